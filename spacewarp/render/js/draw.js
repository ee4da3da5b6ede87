// Drawing one view on a 2-D canvas: axes or a 3-D box, lattice lines, points (a pixel
// buffer with depth), basis arrows, the colour bar or legend. With a WebGL layer (gl.js)
// the points and lattice go there and the canvas keeps the rest.

const HOVER_PX = 12  // CSS pixels within which hover finds a point

function basis([el, az]) {  // screen right, screen up and towards-viewer vectors
  const e = el * Math.PI / 180, a = az * Math.PI / 180
  return [[-Math.sin(a), Math.cos(a), 0],
          [-Math.sin(e) * Math.cos(a), -Math.sin(e) * Math.sin(a), Math.cos(e)],
          [Math.cos(e) * Math.cos(a), Math.cos(e) * Math.sin(a), Math.sin(e)]]
}

function projector(box, cam, rect, flat, zoom) {  // {R, U, D, k, cx, cy, c} and project()
  const [R, U, D] = basis(flat ? [90, -90] : cam)
  let ext = 1
  if (!flat) {
    ext = 0
    for (const sx of [-1, 1]) for (const sy of [-1, 1]) for (const sz of [-1, 1])
      ext = Math.max(ext, Math.abs(R[0] * sx + R[1] * sy + R[2] * sz),
                     Math.abs(U[0] * sx + U[1] * sy + U[2] * sz))
  }
  const k = Math.min(rect.w, rect.h) / 2 / ext / box.h * (zoom || 1)
  const P = {R, U, D, k, cx: rect.x + rect.w / 2, cy: rect.y + rect.h / 2, c: box.c}
  P.project = (x, y, z) => {
    x -= P.c[0]; y -= P.c[1]; z -= P.c[2]
    return [P.cx + k * (R[0] * x + R[1] * y + R[2] * z), P.cy - k * (U[0] * x + U[1] * y + U[2] * z),
            D[0] * x + D[1] * y + D[2] * z]
  }
  return P
}

export class Surface {  // a canvas with a pixel buffer, a depth buffer and the last screen positions
  constructor(canvas) { this.canvas = canvas; this.ctx = canvas.getContext('2d'); this.w = 0 }
  size(cssW, cssH) {
    const dpr = window.devicePixelRatio || 1
    const w = Math.max(1, Math.round(cssW * dpr)), h = Math.max(1, Math.round(cssH * dpr))
    this.canvas.style.width = cssW + 'px'; this.canvas.style.height = cssH + 'px'
    if (w !== this.w || h !== this.h) {
      this.canvas.width = this.w = w; this.canvas.height = this.h = h
      this.img = this.ctx.createImageData(w, h)
      this.px = new Uint32Array(this.img.data.buffer)
      this.depth = new Float32Array(w * h)
      this.off = new OffscreenCanvas(w, h)
    }
    this.dpr = dpr
  }
  points(P, pts, n, colors, size, useDepth, probe) {  // filled squares, nearest on top
    // probe: {count, size}: the first `count` points (a probe grid) as squares of its size,
    // a background layer: the data go over it, whatever their depth
    const {w, h, px, depth} = this
    if (!this.sx || this.sx.length !== n) { this.sx = new Float32Array(n); this.sy = new Float32Array(n) }
    const {sx, sy} = this, dataSize = size
    px.fill(0); if (useDepth) depth.fill(-Infinity)
    const [R, U, D] = [P.R, P.U, P.D], k = P.k, [c0, c1, c2] = P.c
    const pc = probe ? probe.count : 0
    if (size === 1 && !pc) singlePixels(this, P, pts, n, colors, useDepth)
    else for (let i = 0; i < n; i++) {
      if (i === pc && pc && useDepth) depth.fill(-Infinity)  // the data over the probe layer
      const x = pts[3 * i] - c0, y = pts[3 * i + 1] - c1, z = pts[3 * i + 2] - c2
      const X = P.cx + k * (R[0] * x + R[1] * y + R[2] * z), Y = P.cy - k * (U[0] * x + U[1] * y + U[2] * z)
      sx[i] = X; sy[i] = Y
      const size = i < pc ? probe.size : dataSize, half = size >> 1
      const x0 = Math.round(X) - half, y0 = Math.round(Y) - half, col = colors[i]
      if (x0 < 0 || y0 < 0 || x0 + size > w || y0 + size > h) continue
      if (useDepth) {
        const d = D[0] * x + D[1] * y + D[2] * z
        for (let dy = 0; dy < size; dy++) {
          let o = (y0 + dy) * w + x0
          for (let dx = 0; dx < size; dx++, o++) if (d >= depth[o]) { depth[o] = d; px[o] = col }
        }
      } else {
        for (let dy = 0; dy < size; dy++) {
          let o = (y0 + dy) * w + x0
          for (let dx = 0; dx < size; dx++, o++) px[o] = col
        }
      }
    }
    this.off.getContext('2d').putImageData(this.img, 0, 0)
    this.ctx.drawImage(this.off, 0, 0)
  }
  screen(P, pts, n) {  // screen positions without drawing (the WebGL path draws them)
    if (!this.sx || this.sx.length !== n) { this.sx = new Float32Array(n); this.sy = new Float32Array(n) }
    const [R, U] = [P.R, P.U], k = P.k, [c0, c1, c2] = P.c
    for (let i = 0; i < n; i++) {
      const x = pts[3 * i] - c0, y = pts[3 * i + 1] - c1, z = pts[3 * i + 2] - c2
      this.sx[i] = P.cx + k * (R[0] * x + R[1] * y + R[2] * z); this.sy[i] = P.cy - k * (U[0] * x + U[1] * y + U[2] * z)
    }
    this.stale = null
  }
  nearest(x, y, n) {  // index of the drawn point nearest to device pixel (x, y), or -1
    if (this.stale) this.screen(this.stale.P, this.stale.pts, n)
    const {sx, sy} = this
    if (!sx) return -1
    let best = -1, bd = Infinity
    for (let i = 0; i < n; i++) {
      const dx = sx[i] - x, dy = sy[i] - y, d = dx * dx + dy * dy
      if (d < bd) { bd = d; best = i }
    }
    return bd <= (HOVER_PX * this.dpr) ** 2 ? best : -1
  }
}

// one device pixel per point, no probe layer (from 200,000 points at 1 dpr): Surface.points's
// loop without its per-point size and probe tests, the projection in local numbers
function singlePixels(surface, P, pts, n, colors, useDepth) {
  const {w, h, px, depth, sx, sy} = surface, k = P.k, cx = P.cx, cy = P.cy
  const [r0, r1, r2] = P.R, [u0, u1, u2] = P.U, [d0, d1, d2] = P.D, [c0, c1, c2] = P.c
  for (let i = 0, a = 0; i < n; i++, a += 3) {
    const x = pts[a] - c0, y = pts[a + 1] - c1, z = pts[a + 2] - c2
    const X = cx + k * (r0 * x + r1 * y + r2 * z), Y = cy - k * (u0 * x + u1 * y + u2 * z)
    sx[i] = X; sy[i] = Y
    const col = Math.round(X), row = Math.round(Y)
    if (col < 0 || row < 0 || col >= w || row >= h) continue
    const o = row * w + col
    if (useDepth) {
      const d = d0 * x + d1 * y + d2 * z
      if (d < depth[o]) continue
      depth[o] = d
    }
    px[o] = colors[i]
  }
}

// A probe grid's squares: as wide as the grid's spacing on screen, so that its decision
// colours tile the plane as a heat map (in the input, exactly) instead of a dotted mesh. The
// spacing along each lattice direction is the widest step between neighbours (a strided
// sub-grid has a few wider steps), at most twice the median step (taken over a few hundred
// points), so that a stretched corner of a later stage does not blow every square up; the
// larger of the two directions (squares overlap where the grid is sheared)
const PROBE_SAMPLES = 256, PROBE_MAX_CSS = 40

export function probeSize(P, pts, probe, base, dpr) {
  if (!probe || !probe.shape || probe.shape.length !== 2 || probe.count < 4) return null
  const [rows, cols] = probe.shape, stride = Math.max(1, Math.floor(probe.count / PROBE_SAMPLES))
  const far = (i, j) => {
    const dx = pts[3 * i] - pts[3 * j], dy = pts[3 * i + 1] - pts[3 * j + 1], dz = pts[3 * i + 2] - pts[3 * j + 2]
    return P.k * Math.hypot(P.R[0] * dx + P.R[1] * dy + P.R[2] * dz, P.U[0] * dx + P.U[1] * dy + P.U[2] * dz)
  }
  const step = next => {  // next(i): i's neighbour (-1: none), over every point
    const sample = []
    let widest = 0
    for (let i = 0; i < probe.count; i++) {
      const j = next(i)
      if (j < 0) continue
      const d = far(i, j)
      widest = Math.max(widest, d)
      if (i % stride === 0) sample.push(d)
    }
    if (!sample.length) return 0
    sample.sort((a, b) => a - b)
    return Math.min(widest, 2 * sample[sample.length >> 1])
  }
  const spacing = Math.max(step(i => i % cols < cols - 1 ? i + 1 : -1),
                           rows > 1 ? step(i => i + cols < probe.count ? i + cols : -1) : 0)
  return {count: probe.count, size: Math.max(base, Math.min(Math.ceil(spacing), Math.round(PROBE_MAX_CSS * dpr)))}
}

export function pointSize(n, dpr, big) {
  const css = n <= 1000 ? 4 : n <= 5000 ? 3 : n <= 30000 ? 2 : n <= 200000 ? 1.5 : 1
  return Math.max(1, Math.round(css * dpr * (big ? 1.25 : 1)))
}

function niceTicks(lo, hi, count = 4) {
  const raw = (hi - lo) / count, p = Math.pow(10, Math.floor(Math.log10(raw)))
  const step = [1, 2, 5, 10].map(m => m * p).find(s => s >= raw) || raw
  const out = []
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step)
    out.push(Math.abs(v) < step * 1e-6 ? 0 : v)
  return out
}

const fmt = v => { const a = Math.abs(v); return a >= 100 || a === 0 ? v.toFixed(0)
  : a >= 1 ? String(+v.toFixed(1)) : String(+v.toPrecision(2)) }

// WebGL (regl, vendored) for the morph view: the points and lattice lines, in the same
// projection as the canvas path; axes and labels stay on the 2-D canvas beneath, arrows on
// one above. `createREGL` is defined by the vendored bundle inlined before this module.
const ARROWS = ['#ff4b4b', '#3ddc5a']  // e1 red, e2 green, as the stills and films

// v: {pts, box, cam, flat, oneD, zoom, big, right, arrows, gl, front, overlay, axes}; axes:
// {names, ranges} of the stage whose own coordinates are shown (spec.stages[k].axes and
// .ranges: a name and the true [lo, hi] per axis), else null: no axis names
export function drawView(s, v, F, theme) {  // background, axes or box, lattice, points, arrows
  const {ctx, w, h, dpr} = s
  ctx.setTransform(1, 0, 0, 1, 0, 0)
  ctx.fillStyle = theme.background; ctx.fillRect(0, 0, w, h)
  const pad = 30 * dpr
  const rect = {x: pad, y: 8 * dpr, w: w - pad - (v.right || 8) * dpr, h: h - pad - 8 * dpr}
  const P = projector(v.box, v.cam, rect, v.flat, v.zoom)
  ctx.font = `${11 * dpr}px system-ui, sans-serif`
  if (v.flat) axes2d(ctx, P.project, v.box, theme, dpr, v.oneD, v.zoom || 1)
  else box3d(ctx, P.project, v.box, theme, dpr)
  const L = F.lattice, pts = v.pts
  if (v.overlay) v.overlay.under(ctx, P, dpr, theme)  // region fills, beneath the points
  const size = pointSize(F.n, dpr, v.big), probe = probeSize(P, pts, F.probe, size, dpr)
  if (v.gl) {
    v.gl.draw(P, pts, F.n, size, v.flat, theme, v.box.h / (v.zoom || 1), probe)
    s.stale = {P, pts}
  } else {
    s.points(P, pts, F.n, F.colors, size, !v.flat, probe); s.stale = null
  }
  if (L && !v.gl) {  // lattice lines over the points, so that dense sets show them
    ctx.strokeStyle = theme.muted; ctx.globalAlpha = 0.55; ctx.lineWidth = dpr
    ctx.beginPath()
    for (let i = 0; i < L.length; i += 2) {
      const a = 3 * L[i], b = 3 * L[i + 1]
      const A = P.project(pts[a], pts[a + 1], pts[a + 2]), B = P.project(pts[b], pts[b + 1], pts[b + 2])
      ctx.moveTo(A[0], A[1]); ctx.lineTo(B[0], B[1])
    }
    ctx.stroke(); ctx.globalAlpha = 1
  }
  const top = v.front || ctx
  if (v.front) v.front.clearRect(0, 0, w, h)
  if (v.overlay) v.overlay.over(top, P, dpr, theme)  // region outlines (regions.js)
  if (!v.flat) boxLabels(top, P.project, v.box, theme, dpr, v.axes)
  else if (v.axes) axisNames2d(top, P.project, v.box, theme, dpr, v.zoom || 1, v.axes.names)
  arrows(top, P, v.arrows, dpr)
  return P
}

function arrows(ctx, P, ends, dpr) {  // the basis arrows: e1 red, e2 green
  if (ends) {
    const pt = r => P.project(r[0], r[1] || 0, r[2] || 0), tail = pt(ends[0])
    ctx.lineWidth = 2.5 * dpr
    ends.slice(1).forEach((tip, i) => {
      const T = pt(tip), ang = Math.atan2(T[1] - tail[1], T[0] - tail[0]), hl = 9 * dpr
      ctx.strokeStyle = ctx.fillStyle = ARROWS[i]
      ctx.beginPath(); ctx.moveTo(tail[0], tail[1]); ctx.lineTo(T[0], T[1]); ctx.stroke()
      ctx.beginPath(); ctx.moveTo(T[0], T[1])
      ctx.lineTo(T[0] - hl * Math.cos(ang - 0.4), T[1] - hl * Math.sin(ang - 0.4))
      ctx.lineTo(T[0] - hl * Math.cos(ang + 0.4), T[1] - hl * Math.sin(ang + 0.4)); ctx.fill()
    })
  }
}

function axes2d(ctx, project, box, theme, dpr, oneD, zoom) {
  const h = box.h / zoom
  const lo = [box.c[0] - h, box.c[1] - h], hi = [box.c[0] + h, box.c[1] + h]
  const [x0, y1] = project(lo[0], lo[1], box.c[2]), [x1, y0] = project(hi[0], hi[1], box.c[2])
  ctx.lineWidth = dpr; ctx.fillStyle = theme.foreground
  for (const axis of oneD ? [0] : [0, 1]) for (const v of niceTicks(lo[axis], hi[axis])) {
    const [px, py] = axis === 0 ? project(v, box.c[1], box.c[2]) : project(box.c[0], v, box.c[2])
    ctx.strokeStyle = theme.muted; ctx.globalAlpha = v === 0 ? 0.9 : 0.35
    ctx.beginPath()
    if (axis === 0) { ctx.moveTo(px, y0); ctx.lineTo(px, y1) } else { ctx.moveTo(x0, py); ctx.lineTo(x1, py) }
    ctx.stroke(); ctx.globalAlpha = 1
    ctx.textAlign = axis === 0 ? 'center' : 'right'; ctx.textBaseline = axis === 0 ? 'top' : 'middle'
    if (axis === 0) ctx.fillText(fmt(v), px, y1 + 4 * dpr); else ctx.fillText(fmt(v), x0 - 4 * dpr, py)
  }
  if (oneD) {  // the line the points lie on
    const [, py] = project(box.c[0], 0, box.c[2])
    ctx.strokeStyle = theme.muted; ctx.beginPath(); ctx.moveTo(x0, py); ctx.lineTo(x1, py); ctx.stroke()
  }
}

// flat axes' names inside the corners, over the points: the first axis's at the bottom
// right (on the line of a 1-D stage), the second's at the top left
function axisNames2d(ctx, project, box, theme, dpr, zoom, names) {
  const oneD = names.length === 1
  const h = box.h / zoom
  const [x0, y1] = project(box.c[0] - h, box.c[1] - h, box.c[2]), [x1, y0] = project(box.c[0] + h, box.c[1] + h, box.c[2])
  ctx.save(); ctx.fillStyle = theme.foreground; ctx.font = `bold ${11 * dpr}px system-ui, sans-serif`
  ctx.shadowColor = theme.background; ctx.shadowBlur = 3 * dpr  // legible over points
  ctx.textAlign = 'right'; ctx.textBaseline = 'bottom'
  ctx.fillText(names[0], x1 - 4 * dpr, (oneD ? project(box.c[0], 0, box.c[2])[1] : y1) - 4 * dpr)
  ctx.textAlign = 'left'; ctx.textBaseline = 'top'
  if (!oneD) ctx.fillText(names[1], x0 + 4 * dpr, y0 + 4 * dpr)
  ctx.restore()
}

// the cube's twelve edges as [from corner, to corner, axis], corners in -1 / 1 per axis
const EDGES = [-1, 1].flatMap(a => [-1, 1].flatMap(b =>
  [[[-1, a, b], [1, a, b], 0], [[a, -1, b], [a, 1, b], 1], [[a, b, -1], [a, b, 1], 2]]))

const cubeCorner = (project, {c, h}) => (sx, sy, sz) => project(c[0] + sx * h, c[1] + sy * h, c[2] + sz * h)

function box3d(ctx, project, box, theme, dpr) {  // the cube's edges, beneath the points
  const P = cubeCorner(project, box)
  ctx.lineWidth = dpr
  for (const [p, q] of EDGES) {  // back edges fainter than front ones
    const A = P(...p), B = P(...q)
    ctx.strokeStyle = theme.muted; ctx.globalAlpha = (A[2] + B[2]) / 2 > 0 ? 0.95 : 0.5
    ctx.beginPath(); ctx.moveTo(A[0], A[1]); ctx.lineTo(B[0], B[1]); ctx.stroke()
  }
  ctx.globalAlpha = 1
}

// ticks and a name per axis on the cube's front-bottom (x, y) / left (z) edge, over the
// points (a halo of the background keeps them legible where points spill out of the box)
function boxLabels(ctx, project, box, theme, dpr, axes) {
  const P = cubeCorner(project, box), {c, h} = box, centre = project(c[0], c[1], c[2])
  ctx.save(); ctx.fillStyle = theme.foreground; ctx.shadowColor = theme.background; ctx.shadowBlur = 3 * dpr
  ctx.textAlign = 'center'; ctx.textBaseline = 'middle'
  for (const axis of [0, 1, 2]) {
    let best = null, score = -Infinity
    for (const [p, q, ax] of EDGES) {
      if (ax !== axis) continue
      const A = P(...p), B = P(...q)
      const sc = axis === 2 ? -(A[0] + B[0]) : (A[1] + B[1]) + 0.01 * (A[2] + B[2])
      if (sc > score) { score = sc; best = [A, B] }
    }
    const own = axes && axis < axes.names.length  // a 2-D stage in a 3-D view: no third name
      ? {name: axes.names[axis], range: axes.ranges[axis]} : null
    edgeLabels(ctx, best, centre, [c[axis] - h, c[axis] + h], own, dpr)
  }
  ctx.restore()
}

// an edge [A, B] of the cube (screen) spanning [lo, hi] on its axis: ticks beside it, away
// from the cube's centre, and the axis's name beyond them. `own`: {name, range} of the
// stage shown in its own coordinates: ticks only within its range, its name; null: ticks
// along the whole edge, no name (the view's coordinates are no stage's own)
function edgeLabels(ctx, [A, B], centre, [lo, hi], own, dpr) {
  const len = Math.hypot(B[0] - A[0], B[1] - A[1])
  if (len < 30 * dpr) return  // seen end-on
  const mid = [(A[0] + B[0]) / 2, (A[1] + B[1]) / 2]
  let ox = mid[0] - centre[0], oy = mid[1] - centre[1]
  const on = Math.hypot(ox, oy) || 1; ox /= on; oy /= on
  ctx.font = `${10 * dpr}px system-ui, sans-serif`; ctx.globalAlpha = 0.8
  const [from, to] = own ? [Math.max(lo, own.range[0]), Math.min(hi, own.range[1])] : [lo, hi]
  const ticks = to > from ? niceTicks(from, to, len > 120 * dpr ? 4 : 3) : []
  let reach = 0  // how far the tick labels reach from the edge, along (ox, oy)
  for (const v of ticks) {
    const f = (v - lo) / (hi - lo)
    if (f < 0.1 || f > 0.9) continue
    const text = fmt(v), half = Math.abs(ox) * ctx.measureText(text).width / 2 + Math.abs(oy) * 5 * dpr
    ctx.fillText(text, ...keptIn(ctx, text, A[0] + f * (B[0] - A[0]) + ox * 12 * dpr,
                                 A[1] + f * (B[1] - A[1]) + oy * 12 * dpr, dpr))
    reach = Math.max(reach, 12 * dpr + half)
  }
  ctx.globalAlpha = 1; ctx.font = `bold ${12 * dpr}px system-ui, sans-serif`
  if (!own) return
  // the name beyond the ticks: its centre out by their reach, a gap and its own half size
  const far = Math.max(reach, 6 * dpr) + 4 * dpr +
    Math.abs(ox) * ctx.measureText(own.name).width / 2 + Math.abs(oy) * 6 * dpr
  ctx.fillText(own.name, ...keptIn(ctx, own.name, mid[0] + ox * far, mid[1] + oy * far, dpr))
}

// (x, y) of a text centred there, moved the least that keeps it whole on its canvas: a
// name or tick past a small panel's edge was cut in two ("C3" for PC3, "[2]" for h3[2])
function keptIn(ctx, text, x, y, dpr) {
  const half = ctx.measureText(text).width / 2 + 2 * dpr, {width, height} = ctx.canvas
  const tall = 8 * dpr  // half a line of the 12 px name, with a margin
  return [Math.min(Math.max(x, half), Math.max(half, width - half)),
          Math.min(Math.max(y, tall), Math.max(tall, height - tall))]
}

export function colorKey(s, color, theme) {  // the colour bar, or the legend of classes
  const {ctx, w, h, dpr} = s
  ctx.fillStyle = theme.foreground; ctx.font = `${11 * dpr}px system-ui, sans-serif`
  // a legend as far in as its longest name needs ("predicted class 9"), a bar 70 px in
  const names = color.legend ? color.legend.filter(r => r[1] !== null).map(r => ctx.measureText(r[0]).width) : []
  const x = w - Math.max(70 * dpr, Math.max(0, ...names) + 20 * dpr)
  ctx.textAlign = 'left'
  const rgb = c => `rgb(${c[0]},${c[1]},${c[2]})`
  if (color.legend) {
    color.legend.forEach(([name, i], r) => {
      const y = 16 * dpr + r * 16 * dpr
      if (i !== null) {  // null: a note ("colours repeat: ..."), no swatch
        ctx.fillStyle = rgb(color.table[i]); ctx.fillRect(x, y - 5 * dpr, 10 * dpr, 10 * dpr)
      }
      ctx.fillStyle = theme.foreground; ctx.textBaseline = 'middle'
      ctx.textAlign = i === null ? 'right' : 'left'
      ctx.fillText(name, i === null ? w - 6 * dpr : x + 14 * dpr, y)
    })
    return
  }
  const cb = color.bar, bw = 14 * dpr, y0 = h * 0.2, y1 = h * 0.75, T = color.table
  for (let i = 0; i < T.length; i++) {
    ctx.fillStyle = rgb(T[i])
    ctx.fillRect(x, y1 - (i + 1) * (y1 - y0) / T.length, bw, (y1 - y0) / T.length + 1)
  }
  ctx.fillStyle = theme.foreground; ctx.textBaseline = 'bottom'
  ctx.fillText(cb.label, x - 10 * dpr, y0 - 8 * dpr)
  ctx.textBaseline = 'middle'
  const span = cb.hi - cb.lo || 1
  for (const v of niceTicks(cb.lo, cb.hi, 4))
    ctx.fillText(fmt(v), x + bw + 4 * dpr, y1 - (v - cb.lo) / span * (y1 - y0))
}

