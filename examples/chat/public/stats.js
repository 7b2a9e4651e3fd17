// The live stats page: samples of the server's own figures from the `/stats` namespace,
// turned into rates (messages per second) and plotted over the last minute.
(() => {
  "use strict";

  const HISTORY = 60; // samples kept and plotted
  const socket = io("/stats");
  const $ = (id) => document.getElementById(id);
  const samples = []; // { t, total, polling, rateIn, rateOut }
  let previous = null;

  function setStatus(text, cls) {
    const status = $("status");
    status.textContent = text;
    status.className = "status " + cls;
  }

  function show(id, value) {
    $(id).textContent = String(value);
  }

  /** Draws `series` (each { color, values }) scaled to the largest value, newest on the right. */
  function plot(canvas, series) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth * ratio;
    const height = canvas.clientHeight * ratio;
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext("2d");
    const pad = 22 * ratio;
    let peak = 0;
    for (const s of series) for (const v of s.values) peak = Math.max(peak, v);
    const max = niceCeiling(Math.max(peak, 1));
    ctx.font = 11 * ratio + "px system-ui, sans-serif";
    ctx.fillStyle = "#6b7280";
    ctx.strokeStyle = "#e3e5ee";
    for (const f of [0, 0.5, 1]) {
      const y = height - pad - f * (height - 2 * pad);
      ctx.beginPath();
      ctx.moveTo(pad, y);
      ctx.lineTo(width, y);
      ctx.stroke();
      ctx.fillText(formatNumber(max * f), 0, y - 2 * ratio);
    }
    const step = (width - pad) / (HISTORY - 1);
    for (const s of series) {
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 2 * ratio;
      ctx.beginPath();
      s.values.forEach((v, i) => {
        const x = pad + (HISTORY - s.values.length + i) * step;
        const y = height - pad - (v / max) * (height - 2 * pad);
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      ctx.stroke();
    }
    canvas.dataset.samples = String(series[0].values.length);
    canvas.dataset.peak = String(peak);
  }

  function niceCeiling(v) {
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  }

  function formatNumber(v) {
    return v >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10);
  }

  function render() {
    plot($("chart-connections"), [
      { color: "#4f46e5", values: samples.map((s) => s.total) },
      { color: "#f59e0b", values: samples.map((s) => s.polling) },
    ]);
    plot($("chart-messages"), [
      { color: "#059669", values: samples.map((s) => s.rateIn) },
      { color: "#4f46e5", values: samples.map((s) => s.rateOut) },
    ]);
  }

  socket.on("stats", (s) => {
    const total = s.connections.polling + s.connections.websocket;
    show("connections", total);
    show("websocket", s.connections.websocket);
    show("polling", s.connections.polling);
    show("users", s.sockets);
    show("rooms-count", s.rooms);
    show("total-in", s.received);
    show("total-out", s.sent);
    // Rates need two samples; the counters only grow while the server runs.
    if (previous !== null && s.t > previous.t) {
      const seconds = (s.t - previous.t) / 1000;
      const rateIn = (s.received - previous.received) / seconds;
      const rateOut = (s.sent - previous.sent) / seconds;
      show("rate-in", formatNumber(rateIn));
      show("rate-out", formatNumber(rateOut));
      samples.push({ t: s.t, total, polling: s.connections.polling, rateIn, rateOut });
      if (samples.length > HISTORY) samples.shift();
      render();
    }
    previous = s;
  });

  socket.on("connect", () => setStatus("live", "connected"));
  socket.on("disconnect", () => setStatus("disconnected", "disconnected"));
  socket.on("connect_error", () => setStatus("cannot connect", "disconnected"));
  window.addEventListener("resize", render);
})();
