// Hover on the morph view: the point nearest the pointer, its input coordinates and where
// it is now, in a tip beside it (draw.js's Surface keeps the screen positions last drawn).
// On a slice (F.slice: render/slice_spec.py) also the input the point stands for,
// origin + u @ axes (u its slice coordinates), drawn as an image where rows are images,
// and the data row nearest to it.

const IMAGE_PX = 96  // an image's longer side in the tip (CSS px), at whole pixels per value
const round3 = v => +v.toFixed(3)

// drawn point i -> the input it stands for, a plain array: D numbers on a slice
// (origin + u @ axes, u as drawn: float32, or int16 from 100,000 points), else its input
// coordinates as they travel (all D of a wide input up to the page's cap, spec.inputs_note
// says where only the first 6 travel)
export function inputOf(F, i) {
  const S = F.slice
  if (!S) {
    const d = F.inDim, from = F.inputs || F.keys[F.spec.stages[0].key], stride = F.inputs ? d : 3
    return Array.from(from.slice(stride * i, stride * i + d))
  }
  const u = F.keys[F.spec.stages[0].key], x = S.origin.slice()  // u: (n, 3), zero padded
  S.axes.forEach((axis, j) => {
    const uj = u[3 * i + j]
    for (let c = 0; c < x.length; c++) x[c] += uj * axis[c]
  })
  return x
}

// the data row nearest drawn point i on a slice, {row, label (null: none), distance}; null
// where the rows did not travel. |x - row|^2 = |u - foot|^2 + offset^2 (inputs/nearest.py):
// one pass over the R rows' k + 1 numbers
export function nearestRow(F, i) {
  const R = F.slice && F.slice.rows
  if (!R || !R.count) return null
  const u = F.keys[F.spec.stages[0].key], k = F.slice.axes.length
  let best = 0, bestSq = Infinity
  for (let r = 0; r < R.count; r++) {
    let sq = R.offsets[r] * R.offsets[r]
    for (let j = 0; j < k; j++) { const e = u[3 * i + j] - R.feet[k * r + j]; sq += e * e }
    if (sq < bestSq) { bestSq = sq; best = r }
  }
  return {row: best, label: R.labels ? R.labels[best] : null, distance: Math.sqrt(bestSq)}
}

// the input x (C H W values, row-major) as an image of one pixel per value: grey levels
// over the data's range [lo, hi] (lo black, hi white, beyond clipped); 3 channels as RGB,
// another count its first channel -> {rgba: (H W 4) bytes, H, W, C, clipped: the values
// beyond the range by more than half a grey level}. The tip's image and the anchors' (marks.js)
export function valueImage(x, shape, [lo, hi]) {
  const [C, H, W] = shape.length === 3 ? shape : [1, ...shape], span = hi - lo || 1
  const rgba = new Uint8ClampedArray(4 * H * W)
  let clipped = 0
  const level = v => {
    if (v < lo - span / 510 || v > hi + span / 510) clipped++
    return Math.round(255 * Math.min(Math.max((v - lo) / span, 0), 1))
  }
  for (let p = 0; p < H * W; p++) {
    const g = C === 3 ? null : level(x[p])
    rgba[4 * p] = g === null ? level(x[p]) : g
    rgba[4 * p + 1] = g === null ? level(x[H * W + p]) : g
    rgba[4 * p + 2] = g === null ? level(x[2 * H * W + p]) : g
    rgba[4 * p + 3] = 255
  }
  return {rgba, H, W, C, clipped}
}

// an image of one pixel per value (valueImage) with each pixel a block of s x s -> ImageData
export function blockImage(ctx, im, s) {
  const out = ctx.createImageData(im.W * s, im.H * s), d = out.data
  for (let by = 0; by < im.H * s; by++) for (let bx = 0; bx < im.W * s; bx++) {
    const o = 4 * (by * im.W * s + bx), p = 4 * (Math.floor(by / s) * im.W + Math.floor(bx / s))
    d[o] = im.rgba[p]; d[o + 1] = im.rgba[p + 1]; d[o + 2] = im.rgba[p + 2]; d[o + 3] = 255
  }
  return out
}

// the input x drawn on `canvas` (valueImage), each value a block of whole pixels
// (nearest-neighbour), about IMAGE_PX across -> the tip's line
export function drawInput(canvas, x, shape, [lo, hi]) {
  const im = valueImage(x, shape, [lo, hi]), {C, H, W} = im
  const s = Math.max(1, Math.floor(IMAGE_PX / Math.max(H, W)))
  canvas.width = W * s; canvas.height = H * s
  canvas.style.width = `${W * s}px`; canvas.style.height = `${H * s}px`
  const ctx = canvas.getContext('2d')
  ctx.putImageData(blockImage(ctx, im, s), 0, 0)
  const what = C === 3 ? ' (RGB)' : C > 1 ? ` (channel 0 of ${C})` : ''
  const beyond = im.clipped ? `, ${im.clipped} values outside the data's ${round3(lo)}..${round3(hi)}, clipped` : ''
  return `image ${H}x${W}${what}${beyond}`
}

function tipParts(tip) {  // page.js's tip holds a text block and, beside it, an image
  if (!tip.swText) {
    tip.textContent = ''
    tip.swText = document.createElement('div'); tip.swImage = document.createElement('canvas')
    tip.swText.style.cssText = 'display: inline-block; vertical-align: top'
    tip.swImage.className = 'sw-tip-image'
    tip.swImage.style.cssText = 'display: none; vertical-align: top; margin-left: 8px; image-rendering: pixelated'
    tip.append(tip.swText, tip.swImage)
  }
  return tip
}

function sliceLines(F, i, image) {  // a slice's lines of the tip; draws the image
  const S = F.slice, x = inputOf(F, i), lines = []
  if (!S.image) lines.push(`input (${x.slice(0, 6).map(round3).join(', ')}${x.length > 6 ? `, ... ${x.length} numbers` : ''})`)
  const near = nearestRow(F, i)
  // 3 significant digits; 0 below a millionth of the data's range (float32 rounding)
  const dist = near && (near.distance < 1e-6 * (S.range[1] - S.range[0]) ? 0 : +near.distance.toPrecision(3))
  if (near) lines.push(`nearest data row ${near.row}${near.label === null ? '' : ` (label ${near.label})`}, ` +
    `distance ${dist}`)
  else if (S.rows_note) lines.push(S.rows_note)
  image.style.display = S.image ? 'inline-block' : 'none'
  if (S.image) lines.push(drawInput(image, x, S.image, S.range))
  return lines
}

// off a slice: a wide input's row drawn as an image where it is one (spec.input_image:
// its shape and the data's range), and what the page leaves out of it (spec.inputs_note)
function rowLines(F, i, image) {
  const I = F.spec.input_image, lines = []
  image.style.display = I ? 'inline-block' : 'none'
  if (I) lines.push(drawInput(image, inputOf(F, i), I.shape, I.range))
  if (F.spec.inputs_note) lines.push(F.spec.inputs_note)
  return lines
}

// CSS pixels relative to the morph canvas -> the point's index (-1: none near), tip shown
export function hoverPoint(st, cx, cy) {
  const F = st.F, s = st.morphSurface, tip = tipParts(st.dom.tip), canvas = st.dom.morphCanvas
  const i = s.nearest(cx * s.dpr, cy * s.dpr, F.n)
  if (i < 0) { tip.style.display = 'none'; return -1 }
  const d = F.inDim, dims = Math.max(...F.keyDims)
  const from = F.inputs || F.keys[F.spec.stages[0].key], stride = F.inputs ? d : 3
  const inp = Array.from(from.slice(stride * i, stride * i + Math.min(d, 6)), round3)
  const now = Array.from(st.current.slice(3 * i, 3 * i + Math.min(dims, 3)), round3)
  const more = d > 6 ? `, ... ${d} numbers` : ''
  const lines = [`point ${i}`, `${F.slice ? 'slice' : 'input'} (${inp.join(', ')}${more})`,
    `now   (${now.join(', ')})  at ${st.pub.morph.s.toFixed(2)}`]
  if (F.slice) lines.push(...sliceLines(F, i, tip.swImage))
  else lines.push(...rowLines(F, i, tip.swImage))
  tip.swText.textContent = lines.join('\n')
  tip.style.display = 'block'
  tip.style.left = (canvas.offsetLeft + s.sx[i] / s.dpr + 12) + 'px'
  tip.style.top = (canvas.offsetTop + s.sy[i] / s.dpr + 12) + 'px'
  tip.dataset.index = String(i)
  return i
}

export function wireHover(st) {  // not while dragging or playing
  const canvas = st.dom.morphCanvas
  canvas.addEventListener('pointermove', e => {
    if (!st.F || st.dragging() || st.playing) return
    const r = canvas.getBoundingClientRect()
    hoverPoint(st, e.clientX - r.left, e.clientY - r.top)
  })
  canvas.addEventListener('pointerleave', () => { st.dom.tip.style.display = 'none' })
}
