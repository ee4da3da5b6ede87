// Live updates of a mounted film (the explorer while it trains): new coordinates for every
// key of the film, new colour indices and weight lines. Boxes, cameras, segments and the
// projections behind the coordinates stay those of the spec (spacewarp.view.live), so what
// moves on screen is the network changing, never the view being refit.

import {typed, coords} from './spec.js'

export function applyLive(F, live) {  // false when the update is not for this film
  if (!live || !live.keys || live.keys.length !== F.keys.length) return false
  if (live.keys.some((k, i) => k && (k.shape[0] !== F.n || k.shape[1] !== F.keyDims[i]))) return false
  live.keys.forEach((k, i) => { if (k) F.keys[i] = coords(k, []) })  // null: unchanged
  if (live.color) {
    const idx = typed(live.color, []), tab = F.spec.color.table
    for (let i = 0; i < F.n; i++) {
      const [r, g, b] = tab[idx[i]]; F.colors[i] = (255 << 24 | b << 16 | g << 8 | r) >>> 0
    }
  }
  if (live.weights) live.weights.forEach((w, k) => { F.spec.stages[k].weights = w })
  return true
}
