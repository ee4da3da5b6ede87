// A slice's marked rows over the views: the anchor rows ringed and titled "row 17 (0)",
// the data rows (--show-data) as dots faded by their distance from the slice. Python sends
// their display coordinates at every film key (spacewarp.render.browser_marks): here they
// are only interpolated with the points' segment (regions.js's moveAlong) and drawn.
// Where rows are images (M.images), each anchor's image is drawn beside its ring while a
// view rests on the input stage, as the stills and films draw it.

import {typed} from './spec.js'
import {moveAlong} from './regions.js'
import {valueImage, blockImage} from './hover.js'

export function decodeMarks(spec, blobs) {  // -> null, or the rows per key and their looks
  const M = spec.marks
  if (!M) return null
  // a training page's anchors are the film's points from M.from on: their places come
  // from the snapshot shown (MarksLayer.follow), none here
  const keys = M.keys === null ? null : M.keys.map(k => {  // (m, d) -> Float32Array(3 m), zero padded
    const a = typed(k, blobs), [m, d] = k.shape, out = new Float32Array(3 * m)
    for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) out[3 * i + j] = a[d * i + j]
    return out
  })
  const I = M.images  // the anchors' rows (m D) as images of one pixel per value
  const rows = I && typed(I.rows, blobs), D = I ? rows.length / M.names.length : 0
  const images = I && Array.from(M.names, (_, i) =>
    valueImage(rows.subarray(D * i, D * (i + 1)), I.shape, I.range))
  return {keys, names: M.names, anchors: M.names.length, ring: M.ring.radius,
          ringView: M.ring.view, alpha: typed(M.alpha, blobs),
          colors: M.colors ? typed(M.colors, blobs) : null, title: M.title,
          images, inset: I, inputKey: spec.stages[0].key, from: M.from ?? null}
}

export class MarksLayer {  // the marks drawn over each view, and their caption
  constructor(row) {
    this.M = null; this.last = null
    this.insets = []  // the anchors' images last drawn in the morph view: [x, y, block] in
    // device px of the canvas drawn on (its top-left corner inside the 1 px frame)
    this.text = document.createElement('span'); this.text.className = 'sw-marks-title'
    row.append(this.text)
  }
  setFilm(M) {
    this.M = M; this.last = null
    this.text.textContent = M && M.title ? ` dots: ${M.title}` : ''
  }
  // a training page, the explorer training: the anchors' places at every key from the
  // film's keys (Float32Array (3 n) each) now (the snapshot shown, the last live update),
  // the points from M.from on; false where the marks are not the film's points
  follow(keys) {
    const M = this.M
    if (!M || M.from === null) return false
    M.keys = keys.map(k => k.subarray(3 * M.from))
    return true
  }
  // the marks at key a, moved towards key b by t; `record` keeps them for the test hook
  overlay(a, b, t, record, rotation) {
    const M = this.M
    if (!M || !M.keys) return null
    const A = M.keys[a], pts = moveAlong(new Float32Array(A.length), A, M.keys[b], t, rotation)
    const resting = (t <= 0 ? a : t >= 1 ? b : -1) === M.inputKey  // on the input, still
    if (record) { this.last = pts; this.insets = [] }
    return {under: () => {}, over: (ctx, P, dpr, theme) => {
      drawMarks(ctx, P, dpr, theme, M, pts)
      const drawn = resting && M.images ? drawInsets(ctx, P, dpr, theme, M, pts) : []
      if (record) this.insets = drawn
    }}
  }
}

export function overlays(...layers) {  // several overlays drawn as one (nulls skipped)
  const on = layers.filter(Boolean)
  if (!on.length) return null
  return {under: (...a) => on.forEach(o => o.under(...a)),
          over: (...a) => on.forEach(o => o.over(...a))}
}

function drawMarks(ctx, P, dpr, theme, M, pts) {  // data dots, then the anchors on top
  ctx.save()
  const m = pts.length / 3, at = i => P.project(pts[3 * i], pts[3 * i + 1], pts[3 * i + 2])
  ctx.lineWidth = 0.6 * dpr; ctx.strokeStyle = theme.foreground
  for (let i = M.anchors; i < m; i++) {
    const q = at(i), j = i - M.anchors, c = M.colors
    ctx.globalAlpha = M.alpha[j]
    ctx.fillStyle = c ? `rgb(${c[3 * j]},${c[3 * j + 1]},${c[3 * j + 2]})` : theme.foreground
    ctx.beginPath(); ctx.arc(q[0], q[1], 2.6 * dpr, 0, 2 * Math.PI); ctx.fill(); ctx.stroke()
  }
  ctx.globalAlpha = 1
  ctx.font = `bold ${12 * dpr}px system-ui, sans-serif`
  // the ring's radius: M.ring CSS px on a view M.ringView CSS px across, the same share of
  // a smaller one (the stage panels), never under 6 px
  const wide = Math.min(ctx.canvas.width, ctx.canvas.height) / dpr
  const r = Math.max(6, M.ring * Math.min(1, wide / M.ringView)) * dpr, off = r * 0.75 + 4 * dpr
  for (let i = 0; i < M.anchors; i++) ring(ctx, at(i), r, dpr, theme)
  for (let i = 0; i < M.anchors; i++) {  // the titles over every ring, each with a halo
    const q = at(i)
    ctx.lineWidth = 3 * dpr; ctx.strokeStyle = theme.background
    ctx.strokeText(M.names[i], q[0] + off, q[1] - off)
    ctx.fillStyle = theme.foreground; ctx.fillText(M.names[i], q[0] + off, q[1] - off)
  }
  ctx.restore()
}

function ring(ctx, q, r, dpr, theme) {  // the foreground ring on a halo of the background,
  ctx.beginPath(); ctx.arc(q[0], q[1], r, 0, 2 * Math.PI)  // legible on any class colour
  ctx.lineWidth = 4.5 * dpr; ctx.strokeStyle = theme.background; ctx.stroke()
  ctx.lineWidth = 2 * dpr; ctx.strokeStyle = theme.foreground; ctx.stroke()
}

// each anchor's image (M.images) beside its ring, as the stills place it: below and left of
// the anchor, on the other side near the view's left or bottom edge (above and right:
// over the title), each value a block of whole device pixels, in a 1 px foreground frame;
// M.inset.size CSS px across on a view M.inset.view across, the same share of a smaller
// one (at least M.inset.least) -> [x, y, block] per image
function drawInsets(ctx, P, dpr, theme, M, pts) {
  const I = M.inset, cw = ctx.canvas.width, ch = ctx.canvas.height
  const wide = Math.min(cw, ch) / dpr, out = []
  const side = Math.max(I.least, I.size * Math.min(1, wide / I.view)) * dpr
  const ring = Math.max(6, M.ring * Math.min(1, wide / M.ringView)) * dpr
  const gap = ring + 3 * dpr, rise = ring * 0.75 + 18 * dpr  // clear of the ring; of the title
  ctx.save(); ctx.strokeStyle = theme.foreground; ctx.lineWidth = dpr
  M.images.forEach((im, i) => {
    const s = Math.max(1, Math.floor(side / Math.max(im.H, im.W))), w = im.W * s, h = im.H * s
    const q = P.project(pts[3 * i], pts[3 * i + 1], pts[3 * i + 2])
    const right = q[0] < 0.3 * cw, up = q[1] > 0.7 * ch
    const x = Math.round(Math.min(Math.max(right ? q[0] + gap : q[0] - gap - w, dpr), cw - w - dpr))
    const y = Math.round(Math.min(Math.max(up ? q[1] - (right ? rise : gap) - h : q[1] + gap, dpr), ch - h - dpr))
    ctx.putImageData(blockImage(ctx, im, s), x, y)
    ctx.strokeRect(x - dpr / 2, y - dpr / 2, w + dpr, h + dpr)
    out.push([x, y, s])
  })
  ctx.restore()
  return out
}
