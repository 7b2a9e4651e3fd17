/** Every surface, by name. */
import { httpSurface } from "./http.ts";
import { pollingSurface } from "./polling.ts";
import { sioPacketsSurface } from "./sio-packets.ts";
import type { AnySurface, SurfaceName } from "./types.ts";
import { upgradeSurface } from "./upgrade.ts";
import { wsFramesSurface } from "./ws-frames.ts";

export { SURFACE_NAMES, type SurfaceName } from "./types.ts";

/** The surfaces, in the order `all` runs them. */
export const SURFACES: Record<SurfaceName, AnySurface> = {
  "ws-frames": wsFramesSurface as AnySurface,
  "sio-packets": sioPacketsSurface as AnySurface,
  polling: pollingSurface as AnySurface,
  http: httpSurface as AnySurface,
  upgrade: upgradeSurface as AnySurface,
};
