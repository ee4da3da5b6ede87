// Turning a wide stage's view by hand: the Grand Tour's direct manipulation
// (distillpub/post--grand-tour, GrandTour.js and utils.orthogonalize). Every data axis j
// of a stage wider than 3-D has a handle: the line from the origin to s * M[j, 0:3], where
// M is a D x D orthogonal matrix whose first three columns are the view's basis. Dragging
// a handle puts row j's first three entries where the pointer is and re-orthonormalises
// the rows by Gram-Schmidt with row j first (so it stays where it was put); the other
// rows turn with it.
//
// Python computed the data (the stage's points, centred on its PCA mean, render/tour.py)
// and the starting basis (the PCA the stage is drawn with, so the picture before any drag
// is Python's). What happens here is only the matrix product of those points with the
// basis the user drags: that product has to run in the browser, at pointer speed, which
// is the point of direct manipulation.

import {typed} from './spec.js'

const HANDLE_PX = 10  // CSS pixels within which a press grabs a handle's end
const REACH = 0.8  // the longest starting handle spans this share of the stage's box

function decode(desc, blobs) {  // int16 (n, D) -> Float32Array(n D)
  const q = typed(desc, blobs), [n, D] = desc.shape, out = new Float32Array(n * D)
  for (let i = 0; i < n; i++)
    for (let j = 0; j < D; j++) out[D * i + j] = desc.lo[j] + (q[D * i + j] + 32767) * desc.step[j]
  return out
}

function unit(M, D, r, against) {  // row r minus its parts along rows `against`; normalised
  const o = r * D
  for (const a of against) {
    const p = a * D; let d = 0
    for (let j = 0; j < D; j++) d += M[o + j] * M[p + j]
    for (let j = 0; j < D; j++) M[o + j] -= d * M[p + j]
  }
  let s = 0
  for (let j = 0; j < D; j++) s += M[o + j] * M[o + j]
  s = Math.sqrt(s)
  if (s < 1e-9) return false
  for (let j = 0; j < D; j++) M[o + j] /= s
  return true
}

// Gram-Schmidt on the rows of M (D x D), row `first` first, as utils.orthogonalize's
// priority row; a row that collapses (it lay along the rows before it) becomes the first
// coordinate vector that is independent of them.
export function orthonormalise(M, D, first) {
  const done = []
  for (const r of [first, ...Array.from({length: D}, (_, i) => i).filter(i => i !== first)]) {
    if (!unit(M, D, r, done))
      for (let e = 0; e < D; e++) {
        M.fill(0, r * D, r * D + D); M[r * D + e] = 1
        if (unit(M, D, r, done) && unit(M, D, r, done)) break
      }
    done.push(r)
  }
  return M
}

function complete(basis, D) {  // (3, D) orthonormal rows -> D x D orthogonal M, M[:, c] = basis[c]
  const T = new Float64Array(D * D)  // rows of T: the basis, then coordinate vectors
  basis.forEach((b, c) => T.set(b, c * D))
  const kept = []
  for (let c = 0; c < basis.length; c++) { unit(T, D, c, kept); kept.push(c) }
  let r = basis.length
  for (let e = 0; e < D && r < D; e++) {
    T.fill(0, r * D, r * D + D); T[r * D + e] = 1
    if (unit(T, D, r, kept) && unit(T, D, r, kept)) kept.push(r++)
  }
  const M = new Float64Array(D * D)
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) M[j * D + i] = T[i * D + j]
  return M
}

export class Tour {
  constructor(desc, blobs, box) {
    const [n, D] = desc.data.shape
    this.n = n; this.D = D; this.basis = desc.basis
    this.X = decode(desc.data, blobs)
    this.total = 0  // the points' variance, all D columns
    for (let j = 0; j < D; j++) {
      let s = 0, s2 = 0
      for (let i = 0; i < n; i++) { const v = this.X[D * i + j]; s += v; s2 += v * v }
      this.total += s2 / n - (s / n) ** 2
    }
    this.reset()
    this.pts = new Float32Array(3 * n)
    this.pca = this.variance()  // the starting basis's share: the title's (Python's) figure
    let longest = 0
    for (let j = 0; j < D; j++) longest = Math.max(longest, Math.hypot(...this.row(j)))
    this.scale = REACH * box.h / (longest || 1)  // display units per unit of a row
  }
  reset() { this.M = complete(this.basis, this.D); this.turned = false; this.stale = true }
  row(j) { const o = j * this.D; return [this.M[o], this.M[o + 1], this.M[o + 2]] }
  columns() {  // the view's basis now: three columns of length D
    return [0, 1, 2].map(c => Array.from({length: this.D}, (_, j) => this.M[j * this.D + c]))
  }
  points() {  // (n, 3): the centred points times the basis, in display coordinates
    if (!this.stale) return this.pts
    const {X, M, D, n, pts} = this
    for (let i = 0; i < n; i++) {
      let a = 0, b = 0, c = 0
      for (let j = 0, o = D * i; j < D; j++) {
        const x = X[o + j], m = j * D
        a += x * M[m]; b += x * M[m + 1]; c += x * M[m + 2]
      }
      pts[3 * i] = a; pts[3 * i + 1] = b; pts[3 * i + 2] = c
    }
    this.stale = false
    return pts
  }
  variance() {  // the share of the points' variance the three columns keep
    const p = this.points(), n = this.n
    let kept = 0
    for (let c = 0; c < 3; c++) {
      let s = 0, s2 = 0
      for (let i = 0; i < n; i++) { const v = p[3 * i + c]; s += v; s2 += v * v }
      kept += s2 / n - (s / n) ** 2
    }
    return this.total > 0 ? kept / this.total : 1
  }
  // Row j's first three entries become t (display units / scale, at most length 1): its
  // part outside the view keeps its direction and shrinks so that the row stays a unit
  // vector; then Gram-Schmidt with row j first.
  dragTo(j, t) {
    const D = this.D, o = j * D, len = Math.hypot(...t)
    if (len > 1 - 1e-9) t = t.map(v => v * (1 - 1e-9) / len)
    let g = 0
    for (let e = 3; e < D; e++) g += this.M[o + e] ** 2
    g = Math.sqrt(g)
    const want = Math.sqrt(Math.max(0, 1 - t[0] ** 2 - t[1] ** 2 - t[2] ** 2))
    for (let e = 3; e < D; e++) this.M[o + e] = g > 1e-12 ? this.M[o + e] * want / g : (e === 3 ? want : 0)
    this.M[o] = t[0]; this.M[o + 1] = t[1]; this.M[o + 2] = t[2]
    orthonormalise(this.M, D, j)
    this.turned = true; this.stale = true
  }
  tip(j) { return this.row(j).map(v => v * this.scale) }  // display coordinates
  nearest(P, x, y, dpr) {  // the handle whose end is nearest device pixel (x, y), or -1
    let best = -1, bd = (HANDLE_PX * dpr) ** 2
    for (let j = 0; j < this.D; j++) {
      const [sx, sy] = P.project(...this.tip(j)), d = (sx - x) ** 2 + (sy - y) ** 2
      if (d < bd) { bd = d; best = j }
    }
    return best
  }
  draw(surface, P, theme, active) {  // the handles over the points, the dragged one named
    const {ctx, dpr} = surface, [ox, oy] = P.project(0, 0, 0)
    ctx.save(); ctx.lineWidth = dpr; ctx.strokeStyle = theme.foreground; ctx.globalAlpha = 0.35
    ctx.beginPath()
    for (let j = 0; j < this.D; j++) {
      const [x, y] = P.project(...this.tip(j))
      ctx.moveTo(ox, oy); ctx.lineTo(x, y); ctx.moveTo(x + 1.5 * dpr, y); ctx.arc(x, y, 1.5 * dpr, 0, 2 * Math.PI)
    }
    ctx.stroke(); ctx.globalAlpha = 1
    if (active >= 0) {
      const [x, y] = P.project(...this.tip(active))
      ctx.strokeStyle = ctx.fillStyle = '#e0a030'; ctx.lineWidth = 2 * dpr
      ctx.beginPath(); ctx.moveTo(ox, oy); ctx.lineTo(x, y); ctx.stroke()
      ctx.font = `${11 * dpr}px system-ui, sans-serif`; ctx.textAlign = 'left'; ctx.textBaseline = 'bottom'
      ctx.fillText(`axis ${active}`, x + 4 * dpr, y - 2 * dpr)
    }
    ctx.fillStyle = theme.foreground; ctx.globalAlpha = 0.7; ctx.textBaseline = 'bottom'
    ctx.font = `${10 * dpr}px system-ui, sans-serif`; ctx.textAlign = 'left'
    const pct = v => `${(100 * v).toFixed(0)}%`
    // the longest of the hint's forms that fits the panel: a narrow one cut it mid-word
    const forms = this.turned
      ? [`turned by hand: ${pct(this.variance())} of variance (PCA: ${pct(this.pca)})`,
         `turned: ${pct(this.variance())} of variance`]
      : [`PCA: ${pct(this.pca)} of variance; drag an axis end to turn`, `PCA: ${pct(this.pca)} of variance`]
    const fits = forms.find(t => ctx.measureText(t).width <= surface.w - 8 * dpr)
    if (fits) ctx.fillText(fits, 4 * dpr, surface.h - 2 * dpr)
    ctx.restore()
  }
}

// per stage: a Tour, or null; kept(t, k): a Tour of the last spec to keep for entry t
export function makeTours(spec, blobs, boxes, kept = () => null) {
  return (spec.tours || spec.stages.map(() => null)).map((t, k) =>
    t && t.data ? kept(t, k) || new Tour(t, blobs, boxes[k]) : null)
}

// A stage panel's handles: a press near a handle's end drags it (and nothing else sees
// the press: register this before the panel's camera drag); "reset view" undoes the turn.
// `get()` -> {tour, P, note} for the panel now; `redraw()` draws it again.
export function attachTour(div, canvas, get, redraw) {
  div.style.position = 'relative'
  const reset = document.createElement('button')
  reset.className = 'sw-tour-reset'; reset.textContent = 'reset view'
  reset.style.cssText = 'position: absolute; right: 4px; font: 11px system-ui, sans-serif; display: none; cursor: pointer'
  div.append(reset)
  reset.addEventListener('click', () => { const {tour} = get(); if (tour) { tour.reset(); redraw() } })
  let grab = null
  canvas.addEventListener('pointerdown', e => {
    const {tour, P} = get()
    if (!tour || !P) return
    const r = canvas.getBoundingClientRect(), dpr = window.devicePixelRatio || 1
    const j = tour.nearest(P, (e.clientX - r.left) * dpr, (e.clientY - r.top) * dpr, dpr)
    if (j < 0) return
    grab = {j, x: e.clientX, y: e.clientY, tip: tour.tip(j), P, dpr}
    canvas.setPointerCapture(e.pointerId); e.preventDefault(); e.stopImmediatePropagation()
    tour.active = j; redraw()
  })
  canvas.addEventListener('pointermove', e => {
    if (!grab) return
    e.stopImmediatePropagation()
    const {tour} = get(), {R, U, k} = grab.P, f = grab.dpr / k
    const dx = (e.clientX - grab.x) * f, dy = (e.clientY - grab.y) * f  // display units
    // the end moves in the screen's plane through it: right R, up U (draw.js's projector)
    const to = [0, 1, 2].map(c => (grab.tip[c] + dx * R[c] - dy * U[c]) / tour.scale)
    tour.dragTo(grab.j, to); redraw()
  })
  const end = e => { if (grab) { e.stopImmediatePropagation(); grab = null; const {tour} = get(); if (tour) tour.active = -1; redraw() } }
  canvas.addEventListener('pointerup', end); canvas.addEventListener('pointercancel', end)
  return (tour, head, off) => {  // after each draw: the reset control and the title's variance
    reset.style.display = tour && tour.turned ? '' : 'none'
    reset.style.top = `${canvas.offsetTop + 4}px`  // the canvas's top right corner
    const note = head.querySelector('.sw-note')
    if (note && off && !note.title) { note.title = off; note.textContent += ' (too big to turn by hand)' }
    if (!note || !tour) return
    note.dataset.pca = note.dataset.pca || note.textContent
    note.textContent = tour.turned ? `turned by hand from ${note.dataset.pca.split(',')[0]}: ` +
      `${(100 * tour.variance()).toFixed(0)}% of variance` : note.dataset.pca
  }
}
