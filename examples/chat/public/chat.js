// The chat page: one Socket.IO connection; join a room, talk in it, watch the room list.
// All text from the network goes through textContent, never innerHTML.
(() => {
  "use strict";

  // Default options: long-polling first, then an upgrade to WebSocket.
  const socket = io();

  const $ = (id) => document.getElementById(id);
  const status = $("status");
  const joinForm = $("join-form");
  const nickInput = $("nick");
  const roomInput = $("room");
  const joinError = $("join-error");
  const current = $("current-room");
  const messages = $("messages");
  const form = $("form");
  const input = $("input");
  const send = $("send");
  const roomList = $("rooms");

  let room = null; // the room we are in, once a join was acknowledged
  let nick = null;
  // Member count per room: the server sends the whole list on connection ("rooms", again when
  // more rooms changed at once than it holds), then only the rooms that changed ("rooms
  // changed", 0 members = gone).
  const rooms = new Map();
  // As many as the server's list holds (LIMITS.roomsListed in validate.ts).
  const ROOMS_LISTED = 100;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function scrollDown() {
    messages.scrollTop = messages.scrollHeight;
  }

  function addNotice(text) {
    messages.appendChild(el("li", "notice", text));
    scrollDown();
  }

  function addMessage(from, text, mine) {
    const li = el("li", mine ? "message mine pending" : "message theirs");
    li.dataset.from = from;
    li.append(el("span", "from", from), el("span", "text", text));
    messages.appendChild(li);
    scrollDown();
    return li;
  }

  function setStatus(text, cls) {
    status.textContent = text;
    status.className = "status " + cls;
  }

  function setChatEnabled(enabled) {
    input.disabled = !enabled;
    send.disabled = !enabled;
    input.placeholder = enabled ? "Message #" + room : "Join a room to chat";
  }

  function renderCurrent(count) {
    current.replaceChildren("You are ", el("strong", "", nick), " in ", el("strong", "", "#" + room),
      " · " + count + (count === 1 ? " member" : " members"));
  }

  // Most populated first, then by name, as the server orders its list.
  function busiestRooms() {
    const list = [];
    for (const [name, members] of rooms) list.push({ name, members });
    list.sort((a, b) => b.members - a.members || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return list.slice(0, ROOMS_LISTED);
  }

  function renderRooms() {
    if (room && rooms.has(room)) renderCurrent(rooms.get(room));
    const list = busiestRooms();
    roomList.replaceChildren();
    if (list.length === 0) roomList.appendChild(el("li", "empty", "no rooms yet"));
    for (const r of list) {
      const li = el("li", r.name === room ? "current" : "");
      li.dataset.room = r.name;
      li.title = "Join #" + r.name;
      li.append(el("span", "name", "#" + r.name), el("span", "count", String(r.members)));
      li.addEventListener("click", () => {
        roomInput.value = r.name;
        join();
      });
      roomList.appendChild(li);
    }
  }

  function join() {
    joinError.textContent = "";
    const wanted = roomInput.value.trim();
    const name = nickInput.value.trim();
    if (!wanted) {
      joinError.textContent = "Pick a room name.";
      return;
    }
    socket.emit("join", wanted, name || undefined, (reply) => {
      if (reply.error) {
        joinError.textContent = reply.error;
        return;
      }
      const changed = reply.room !== room;
      room = reply.room;
      nick = reply.nick;
      nickInput.value = nick;
      document.body.dataset.room = room;
      renderCurrent(reply.count);
      for (const li of roomList.querySelectorAll("li[data-room]")) {
        li.classList.toggle("current", li.dataset.room === room);
      }
      if (changed) {
        messages.replaceChildren();
        const others = reply.members.filter((m) => m !== nick);
        addNotice("You joined #" + room + (others.length ? " with " + others.join(", ") : " (nobody else here yet)"));
      }
      setChatEnabled(true);
      input.focus();
    });
  }

  joinForm.addEventListener("submit", (e) => {
    e.preventDefault();
    join();
  });

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text || !room) return;
    // Shown at once; the server excludes the sender from the room broadcast.
    const li = addMessage(nick, text, true);
    input.value = "";
    socket.emit("chat message", text, (reply) => {
      li.classList.remove("pending");
      if (reply && reply.error) {
        li.classList.add("failed");
        li.title = reply.error;
      } else {
        li.classList.add("sent");
      }
    });
  });

  // No filtering by room here: the server sends only what belongs to our room (a message
  // still in flight from a room we left arrives before the join reply, which clears the list).
  socket.on("chat message", (msg) => addMessage(msg.from, msg.text, false));

  socket.on("notice", (n) => addNotice(n.nick + (n.kind === "join" ? " joined #" : " left #") + n.room));

  socket.on("rooms", (list) => {
    rooms.clear();
    for (const r of list) rooms.set(r.name, r.members);
    renderRooms();
  });

  socket.on("rooms changed", (changes) => {
    for (const r of changes) {
      if (r.members > 0) rooms.set(r.name, r.members);
      else rooms.delete(r.name);
    }
    renderRooms();
  });

  socket.on("connect", () => {
    setStatus("connected", "connected");
    // A reconnection is a new session: the server has forgotten our room, so join it again.
    if (room) {
      roomInput.value = room;
      join();
    }
  });

  socket.on("disconnect", () => {
    setStatus("disconnected", "disconnected");
    setChatEnabled(false);
  });

  socket.on("connect_error", () => setStatus("cannot connect", "disconnected"));
})();
