/** The decoding side of the preprocessing: what size and channel order images are brought to. */
import type { Preprocessing } from '../config/runConfig';
import type { PixelSpec } from '../data/pixels';

export function pixelSpecFor(p: Preprocessing): PixelSpec {
  return {
    height: p.height,
    width: p.width,
    channels: p.channels,
    resize: p.resize,
    filter: p.resizeFilter,
    ...(p.resizeShorterTo !== null ? { resizeShorterTo: p.resizeShorterTo } : {}),
  };
}
