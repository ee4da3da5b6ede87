// The colours drawn: the film's own (the spec's, or a training snapshot's), a colour
// override from Python (the notebook widget's `color`), and the selection highlight (the
// points not picked faded towards the background, in every stage). decode.js calls paint
// after it sets the film's colours; film.js's setColors and select call it and redraw.

const FADE = 0.22  // how much of its own colour a point outside the selection keeps

// st.paint: {base: the film's colours (Uint32Array ABGR, n), override: Uint32Array(n) or
// null (alpha 0: keep the base colour), key: the override's colour bar or legend, mask:
// Uint8Array(n) of the picked points or null, out: the colours last painted}
export function makePaint() { return {base: null, override: null, key: null, mask: null, out: null} }

function fade(c, bg) {  // ABGR colour -> towards the background ABGR `bg` by 1 - FADE
  let out = 255 << 24
  for (const sh of [0, 8, 16]) {
    const a = c >> sh & 255, b = bg >> sh & 255
    out |= Math.round(b + FADE * (a - b)) << sh
  }
  return out >>> 0
}

export function rgbaOf(hex) {  // '#rrggbb' -> ABGR, as decode's colours
  const v = j => parseInt(hex.slice(1 + 2 * j, 3 + 2 * j), 16)
  return (255 << 24 | v(2) << 16 | v(1) << 8 | v(0)) >>> 0
}

// the colour bar or legend of the colours drawn (loop.js draws F.colorKey when set, else
// the spec's): the override's own while Python's colours are drawn (key: {table, bar,
// legend} as spec.color's, from Python)
function keyShown(F, key) {
  F.colorKey = key ? {...F.spec.color, ...key} : null
}

// F.colors <- the base colours with the override and the selection applied; a base set
// since the last paint (a new spec or snapshot) is taken as the new base
export function paint(st) {
  const F = st.F, P = st.paint
  if (!F) return
  if (F.colors !== P.out || !P.base || P.base.length !== F.n) P.base = F.colors
  const n = F.n, ov = P.override && P.override.length === n ? P.override : null
  const mask = P.mask && P.mask.length === n ? P.mask : null
  keyShown(F, ov && P.key)
  if (!ov && !mask) { F.colors = P.out = P.base; return }
  const out = new Uint32Array(n), bg = rgbaOf(F.spec.theme.background)
  for (let i = 0; i < n; i++) {
    const c = ov && ov[i] >>> 24 ? (ov[i] | 255 << 24) >>> 0 : P.base[i]
    out[i] = mask && !mask[i] ? fade(c, bg) : c
  }
  F.colors = P.out = out
}
