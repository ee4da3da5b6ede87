// spacewarp's browser renderer: draws any film spec (spacewarp.render.browser.film_spec).
// It only interpolates: every coordinate array, box, camera, easing and the Play clock
// come from Python (spacewarp.view.film). Used by the offline page, the notebook and the
// explorer. `mount(el, spec, blobs, opts)` returns the public API (window.spacewarp on
// pages): stages, show(position), play(), pause(), and test hooks.

const STAGE_H = 210, MORPH_H = 470, GRID_H = 360, HOVER_PX = 12
const GL_FROM = 0  // points from which the morph view draws with WebGL (when there is one)

// --- decoding -------------------------------------------------------------------------------

export function unb7(s, nbytes) {  // 7 bits per character; see render/browser.py b7
  const out = new Uint8Array(nbytes)
  let acc = 0, bits = 0, o = 0
  for (let i = 0; i < s.length && o < nbytes; i++) {
    let c = s.charCodeAt(i); if (c >= 256) c -= 256
    acc = ((acc << 7) | c) & 0x3fff; bits += 7
    if (bits >= 8) { bits -= 8; out[o++] = (acc >> bits) & 255 }
  }
  return out
}

const TYPES = {f4: Float32Array, i2: Int16Array, i4: Int32Array, u1: Uint8Array}

export function typed(desc, blobs) {
  const T = TYPES[desc.dtype], count = desc.shape.reduce((a, b) => a * b, 1)
  const nbytes = count * T.BYTES_PER_ELEMENT
  let bytes
  if (desc.b64 !== undefined) {
    const bin = atob(desc.b64); bytes = new Uint8Array(bin.length)
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i)
  } else bytes = unb7(blobs[desc.blob], nbytes)
  return new T(bytes.buffer, bytes.byteOffset, count)
}

function coords(desc, blobs) {  // -> Float32Array(3 n): xyz per point, zero padded
  const a = typed(desc, blobs), [n, d] = desc.shape, out = new Float32Array(3 * n)
  if (desc.dtype === 'i2') {
    for (let j = 0; j < d; j++) {
      const lo = desc.lo[j], step = desc.step[j]
      for (let i = 0; i < n; i++) out[3 * i + j] = lo + (a[d * i + j] + 32767) * step
    }
  } else for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[3 * i + j] = a[d * i + j]
  return out
}

function toBox(b) {  // [[lo, hi] per axis] -> {c: [3], h}: an equal-aspect cube
  const c = [0, 0, 0]; let h = 0
  b.forEach(([lo, hi], j) => { c[j] = (lo + hi) / 2; h = Math.max(h, (hi - lo) / 2) })
  return {c, h: h > 0 ? h : 1}
}

export function decodeSpec(spec, blobs = []) {
  const n = spec.n, idx = typed(spec.color.index, blobs), tab = spec.color.table
  const colors = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    const [r, g, b] = tab[idx[i]]; colors[i] = (255 << 24 | b << 16 | g << 8 | r) >>> 0
  }
  return {
    spec, n, colors, keys: spec.keys.map(k => coords(k, blobs)),
    keyDims: spec.keys.map(k => k.shape[1]),
    // hover's input coordinates: their own array for wide inputs, else stage 0's key
    inputs: spec.inputs ? typed(spec.inputs, blobs) : null,
    inDim: spec.inputs ? spec.inputs.shape[1] : spec.keys[spec.stages[0].key].shape[1],
    lattice: spec.lattice ? typed(spec.lattice, blobs) : null,
    segments: spec.segments.map(s => ({...s, boxes: s.boxes.map(([u, b]) => [u, toBox(b)])})),
    stageBoxes: spec.stages.map(s => toBox(s.box)),
  }
}

// --- interpolation --------------------------------------------------------------------------

const ease = u => { u = Math.min(Math.max(u, 0), 1); return u * u * (3 - 2 * u) }
const lerp = (a, b, t) => a + t * (b - a)

function locate(F, p) {  // position -> {seg, u, t}; null for a film of one stage
  const segs = F.segments
  if (!segs.length) return null
  let seg = segs[0]
  for (const s of segs) if (s.p0 <= p) seg = s
  const u = Math.min(Math.max((p - seg.p0) / (seg.p1 - seg.p0), 0), 1)
  return {seg, u, t: ease(u)}
}

function boxAt(seg, u) {  // eased between keyframes: centre linear, size geometric
  const B = seg.boxes
  let i = 0
  while (i + 2 < B.length && u > B[i + 1][0]) i++
  const [u0, a] = B[i], [u1, b] = B[i + 1]
  const f = ease(u1 > u0 ? (u - u0) / (u1 - u0) : 1)
  return {c: a.c.map((x, j) => lerp(x, b.c[j], f)), h: Math.pow(a.h, 1 - f) * Math.pow(b.h, f)}
}

function clockAt(clock, time) {  // (seconds, position) keyframes -> position
  for (let i = 1; i < clock.length; i++)
    if (time <= clock[i][0]) {
      const [t0, p0] = clock[i - 1], [t1, p1] = clock[i]
      return t1 > t0 ? lerp(p0, p1, (time - t0) / (t1 - t0)) : p1
    }
  return clock[clock.length - 1][1]
}

function timeOf(clock, p) {  // the first time the clock reaches position p
  for (let i = 1; i < clock.length; i++) {
    const [t0, p0] = clock[i - 1], [t1, p1] = clock[i]
    if (p1 > p0 && p >= p0 && p <= p1) return lerp(t0, t1, (p - p0) / (p1 - p0))
  }
  return 0
}

// --- drawing --------------------------------------------------------------------------------

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

class Surface {  // a canvas with a pixel buffer, a depth buffer and the last screen positions
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
  points(P, pts, n, colors, size, useDepth) {  // filled squares, nearest on top
    const {w, h, px, depth} = this
    if (!this.sx || this.sx.length !== n) { this.sx = new Float32Array(n); this.sy = new Float32Array(n) }
    const {sx, sy} = this
    px.fill(0); if (useDepth) depth.fill(-Infinity)
    const [R, U, D] = [P.R, P.U, P.D], k = P.k, [c0, c1, c2] = P.c, half = size >> 1
    for (let i = 0; i < n; i++) {
      const x = pts[3 * i] - c0, y = pts[3 * i + 1] - c1, z = pts[3 * i + 2] - c2
      const X = P.cx + k * (R[0] * x + R[1] * y + R[2] * z), Y = P.cy - k * (U[0] * x + U[1] * y + U[2] * z)
      sx[i] = X; sy[i] = Y
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

function pointSize(n, dpr, big) {
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
const VERT = (colored) => `
precision highp float;
attribute vec3 pos; ${colored ? 'attribute vec3 color; varying vec3 vColor;' : ''}
uniform vec3 centre, R, U, D; uniform float k, depth, size; uniform vec2 origin, canvas;
void main() {
  vec3 p = pos - centre;
  vec2 s = vec2(origin.x + k * dot(R, p), origin.y - k * dot(U, p));  // device pixels
  gl_Position = vec4(s.x / canvas.x * 2.0 - 1.0, 1.0 - s.y / canvas.y * 2.0, -dot(D, p) * depth, 1.0);
  gl_PointSize = size; ${colored ? 'vColor = color;' : ''}
}`
const FRAG_POINTS = 'precision mediump float; varying vec3 vColor; void main() { gl_FragColor = vec4(vColor, 1.0); }'
const FRAG_LINES = 'precision mediump float; uniform vec4 line; void main() { gl_FragColor = line; }'
const UNIFORMS = ['centre', 'R', 'U', 'D', 'k', 'depth', 'size', 'origin', 'canvas']

class GlLayer {
  static make(canvas) {  // null where WebGL (or the regl bundle) is missing
    if (typeof createREGL !== 'function') return null
    try {
      const regl = createREGL({canvas, extensions: ['OES_element_index_uint'],
        attributes: {antialias: false, preserveDrawingBuffer: true, premultipliedAlpha: false}})
      return regl ? new GlLayer(regl, canvas) : null
    } catch (e) { return null }
  }
  constructor(regl, canvas) {
    this.regl = regl; this.canvas = canvas; this.lines = null
    this.pos = regl.buffer({usage: 'dynamic', type: 'float', length: 12})
    this.col = regl.buffer({type: 'uint8', length: 3})
    const uniforms = extra => Object.fromEntries([...UNIFORMS, ...extra].map(u => [u, regl.prop(u)]))
    const depth = {enable: regl.prop('useDepth'), mask: true}
    this.points = regl({
      vert: VERT(true), frag: FRAG_POINTS, uniforms: uniforms([]), depth, primitive: 'points',
      attributes: {pos: {buffer: this.pos, size: 3}, color: {buffer: this.col, size: 3, normalized: true}},
      count: regl.prop('count')})
    this.drawLines = regl({
      vert: VERT(false), frag: FRAG_LINES, uniforms: uniforms(['line']), depth,
      attributes: {pos: {buffer: this.pos, size: 3}}, elements: regl.prop('elements'),
      blend: {enable: true, func: {src: 'src alpha', dst: 'one minus src alpha'}}})
  }
  setFilm(F) {  // per spec: colours and lattice pairs stay on the GPU
    const rgb = new Uint8Array(3 * F.n), c = F.colors
    for (let i = 0; i < F.n; i++) { rgb[3 * i] = c[i] & 255; rgb[3 * i + 1] = c[i] >> 8 & 255; rgb[3 * i + 2] = c[i] >> 16 & 255 }
    this.col({data: rgb, type: 'uint8'})
    if (this.lines) this.lines.destroy()
    this.lines = F.lattice ? this.regl.elements({primitive: 'lines', type: 'uint32',
      data: new Uint32Array(F.lattice.buffer, F.lattice.byteOffset, F.lattice.length)}) : null
  }
  size(w, h, cssW, cssH) {
    if (this.canvas.width !== w || this.canvas.height !== h) { this.canvas.width = w; this.canvas.height = h }
    this.canvas.style.width = cssW + 'px'; this.canvas.style.height = cssH + 'px'
  }
  draw(P, pts, n, size, flat, theme, boxH) {
    const regl = this.regl, {width, height} = this.canvas
    regl.poll(); regl.clear({color: [0, 0, 0, 0], depth: 1})
    this.pos.subdata(pts)
    const u = {centre: P.c, R: P.R, U: P.U, D: P.D, k: P.k, depth: 0.2 / boxH, size,
               origin: [P.cx, P.cy], canvas: [width, height], useDepth: !flat}
    this.points({...u, count: n})
    if (this.lines) {  // over the points, so that dense sets show them
      const m = theme.muted, hex = j => parseInt(m.slice(1 + 2 * j, 3 + 2 * j), 16) / 255
      this.drawLines({...u, line: [hex(0), hex(1), hex(2), 0.85], elements: this.lines})
    }
  }
  resize(n) { this.pos({usage: 'dynamic', type: 'float', length: 12 * n}) }
  destroy() { this.regl.destroy() }
}

const ARROWS = ['#ff4b4b', '#3ddc5a']  // e1 red, e2 green, as the stills and films

function drawView(s, v, F, theme) {  // background, axes or box, lattice, points, arrows
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
  if (v.gl) {
    v.gl.draw(P, pts, F.n, pointSize(F.n, dpr, v.big), v.flat, theme, v.box.h / (v.zoom || 1))
    s.stale = {P, pts}
  } else {
    s.points(P, pts, F.n, F.colors, pointSize(F.n, dpr, v.big), !v.flat); s.stale = null
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
  if (v.front) { v.front.clearRect(0, 0, w, h); arrows(v.front, P, v.arrows, dpr) } else arrows(ctx, P, v.arrows, dpr)
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

function box3d(ctx, project, box, theme, dpr) {
  const {c, h} = box
  const P = (sx, sy, sz) => project(c[0] + sx * h, c[1] + sy * h, c[2] + sz * h)
  ctx.lineWidth = dpr
  const edges = []
  for (const a of [-1, 1]) for (const b of [-1, 1])
    edges.push([[-1, a, b], [1, a, b], 0], [[a, -1, b], [a, 1, b], 1], [[a, b, -1], [a, b, 1], 2])
  for (const [p, q] of edges) {  // back edges fainter than front ones
    const A = P(...p), B = P(...q)
    ctx.strokeStyle = theme.muted; ctx.globalAlpha = (A[2] + B[2]) / 2 > 0 ? 0.95 : 0.5
    ctx.beginPath(); ctx.moveTo(A[0], A[1]); ctx.lineTo(B[0], B[1]); ctx.stroke()
  }
  ctx.globalAlpha = 1; ctx.fillStyle = theme.foreground
  const centre = project(c[0], c[1], c[2])
  ctx.textAlign = 'center'; ctx.textBaseline = 'middle'
  for (const axis of [0, 1, 2]) {  // ticks and a label on the front-bottom (x, y) / left (z) edge
    let best = null, score = -Infinity
    for (const [p, q, ax] of edges) {
      if (ax !== axis) continue
      const A = P(...p), B = P(...q)
      const sc = axis === 2 ? -(A[0] + B[0]) : (A[1] + B[1]) + 0.01 * (A[2] + B[2])
      if (sc > score) { score = sc; best = [A, B] }
    }
    const [A, B] = best, len = Math.hypot(B[0] - A[0], B[1] - A[1])
    if (len < 30 * dpr) continue  // seen end-on
    const mid = [(A[0] + B[0]) / 2, (A[1] + B[1]) / 2]
    let ox = mid[0] - centre[0], oy = mid[1] - centre[1]
    const on = Math.hypot(ox, oy) || 1; ox /= on; oy /= on
    ctx.font = `${10 * dpr}px system-ui, sans-serif`; ctx.globalAlpha = 0.8
    const lo = c[axis] - h, ticks = niceTicks(lo, c[axis] + h, len > 120 * dpr ? 4 : 3)
    for (const v of ticks) {
      const f = (v - lo) / (2 * h)
      if (f < 0.1 || f > 0.9) continue
      ctx.fillText(fmt(v), A[0] + f * (B[0] - A[0]) + ox * 12 * dpr, A[1] + f * (B[1] - A[1]) + oy * 12 * dpr)
    }
    ctx.globalAlpha = 1; ctx.font = `bold ${12 * dpr}px system-ui, sans-serif`
    const far = ticks.length ? 26 : 12
    ctx.fillText('xyz'[axis], mid[0] + ox * far * dpr, mid[1] + oy * far * dpr)
  }
}

function colorKey(s, color, theme) {  // the colour bar, or the legend of classes
  const {ctx, w, h, dpr} = s, x = w - 70 * dpr
  ctx.fillStyle = theme.foreground; ctx.font = `${11 * dpr}px system-ui, sans-serif`
  ctx.textAlign = 'left'
  const rgb = c => `rgb(${c[0]},${c[1]},${c[2]})`
  if (color.legend) {
    color.legend.forEach(([name, i], r) => {
      const y = 16 * dpr + r * 16 * dpr
      ctx.fillStyle = rgb(color.table[i]); ctx.fillRect(x, y - 5 * dpr, 10 * dpr, 10 * dpr)
      ctx.fillStyle = theme.foreground; ctx.textBaseline = 'middle'
      ctx.fillText(name, x + 14 * dpr, y)
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

// --- the widget -----------------------------------------------------------------------------

function esc(t) { const d = document.createElement('div'); d.textContent = t; return d.innerHTML }

function heading(s) {
  return `<b>${esc(s.title)}</b>` + (s.module ? ` <span class="sw-mod">(module ${esc(s.module)})</span>` : '') +
    (s.note ? ` <span class="sw-mod">${esc(s.note)}</span>` : '')
}

const CSS = `
.sw-root { display: flex; flex-direction: column; gap: 6px; width: 100%; font-family: system-ui, sans-serif; }
.sw-row { display: grid; gap: 4px; }
.sw-panel { display: flex; flex-direction: column; min-width: 0; }
.sw-head { font-size: 12px; line-height: 1.25; padding: 2px 4px; white-space: nowrap; overflow: hidden; }
.sw-head pre { margin: 2px 0 0 0; font-size: 10.5px; line-height: 1.25; font-family: ui-monospace, 'DejaVu Sans Mono', monospace; }
.sw-mod { font-size: 11px; opacity: 0.75; }
.sw-bottom { display: flex; gap: 8px; align-items: flex-start; }
.sw-morph-box { flex: 1; min-width: 0; display: flex; flex-direction: column; position: relative; }
.sw-morph-title { font-size: 14px; padding: 2px 6px; min-height: 1.3em; }
.sw-controls { display: flex; gap: 8px; align-items: flex-start; padding: 4px 6px; }
.sw-controls button, .sw-controls select { font: 13px system-ui, sans-serif; padding: 4px 10px; border-radius: 4px;
  border: 1px solid #5ab4ff; cursor: pointer; }
.sw-controls button { min-width: 72px; }
.sw-slider { flex: 1; position: relative; padding-bottom: 18px; }
.sw-slider input { width: 100%; margin: 6px 0 0 0; accent-color: #5ab4ff; }
.sw-names span { position: absolute; bottom: 0; transform: translateX(-50%); font-size: 11px; white-space: nowrap; opacity: 0.85; }
.sw-tip { position: absolute; pointer-events: none; font: 12px ui-monospace, 'DejaVu Sans Mono', monospace;
  padding: 4px 6px; border-radius: 4px; white-space: pre; display: none; z-index: 2; }
.sw-notes p { margin: 2px 0; font-size: 13px; border-left: 3px solid #e0a030; padding: 1px 8px; }
.sw-notes p.sw-quiet { border-left-color: transparent; opacity: 0.7; font-size: 12px; }
.sw-config { font-size: 12px; }
.sw-config pre { padding: 6px; overflow-x: auto; border: 1px solid; }
canvas.sw-3d { cursor: grab; }
.sw-stack { position: relative; line-height: 0; }
.sw-stack canvas.sw-gl, .sw-stack canvas.sw-front { position: absolute; left: 0; top: 0; pointer-events: none; }
`

function el_(tag, cls, parent) {
  const e = document.createElement(tag); if (cls) e.className = cls; if (parent) parent.append(e); return e
}

export function mount(el, spec, blobs = [], opts = {}) {
  const root = el_('div', 'sw-root'), style = el_('style', '', root); style.textContent = CSS
  const notes = el_('div', 'sw-notes', root), row = el_('div', 'sw-row', root)
  const bottom = el_('div', 'sw-bottom', root), morphBox = el_('div', 'sw-morph-box', bottom)
  const morphTitle = el_('div', 'sw-morph-title', morphBox)
  const stack = el_('div', 'sw-stack', morphBox)  // 2-D canvas, WebGL points, arrows on top
  const morphCanvas = el_('canvas', 'sw-morph-canvas', stack)
  const glCanvas = el_('canvas', 'sw-gl', stack), frontCanvas = el_('canvas', 'sw-front', stack)
  const front = frontCanvas.getContext('2d')
  const tip = el_('div', 'sw-tip', morphBox)
  const controls = el_('div', 'sw-controls', morphBox)
  const play = el_('button', 'sw-play', controls); play.textContent = '\u25b6 Play'
  const speed = el_('select', 'sw-speed', controls)
  speed.innerHTML = [0.25, 0.5, 1, 2, 4].map(v => `<option value="${v}"${v === 1 ? ' selected' : ''}>${v}\u00d7</option>`).join('')
  speed.title = 'speed'
  const sliderBox = el_('div', 'sw-slider', controls), slider = el_('input', 'sw-stage-slider', sliderBox)
  slider.type = 'range'; slider.min = 0; slider.step = 'any'; slider.value = 0
  const names = el_('div', 'sw-names', sliderBox)
  if (opts.side) el_('div', 'sw-side', bottom).append(opts.side)
  const config = el_('details', 'sw-config', root)
  el.append(root)

  const morphSurface = new Surface(morphCanvas)
  let gl = null, useGl = opts.gl === undefined ? 'auto' : opts.gl  // 'auto': WebGL from GL_FROM points
  let F = null, panels = [], version = 0, playing = null, zoom = 1, current = null
  const cams = [], morphCam = [0, 0], zooms = []
  const pub = {stages: [], dims: [], titles: [], cameras: cams, morph: null, serial: -1}
  root.__spacewarp = pub
  const bump = () => { version += 1; root.dataset.swVersion = String(version) }
  const theme = () => F.spec.theme
  const film3d = () => F.spec.dim >= 3

  function drawStage(k) {
    const st = F.spec.stages[k]
    drawView(panels[k].surface, {pts: F.keys[st.key], box: F.stageBoxes[k], cam: cams[k],
      flat: st.dim < 3, oneD: st.dim === 1, zoom: zooms[k]}, F, theme())
  }

  function drawMorph(p) {
    const S = F.spec.stages.length, n = F.n
    p = Math.min(Math.max(+p || 0, 0), S - 1)
    const at = locate(F, p)
    const pts = current && current.length === 3 * n ? current : (current = new Float32Array(3 * n))
    let cam = [90, -90], box = F.stageBoxes[0], t = 0, stage = 0, arrows = null, oneD = F.spec.stages[0].dim === 1
    if (at) {
      const {seg, u} = at, a = F.keys[seg.start], b = F.keys[seg.end]
      t = at.t
      for (let i = 0; i < 3 * n; i++) pts[i] = a[i] + t * (b[i] - a[i])
      cam = [lerp(seg.cameras[0][0], seg.cameras[1][0], t), lerp(seg.cameras[0][1], seg.cameras[1][1], t)]
      box = boxAt(seg, u)
      stage = Math.min(Math.floor(p), S - 2)
      if (seg.arrows) arrows = seg.arrows[0].map((r, i) => r.map((x, j) => lerp(x, seg.arrows[1][i][j], t)))
      oneD = F.keyDims[seg.start] === 1 && F.keyDims[seg.end] === 1
    } else pts.set(F.keys[0])
    cam = [Math.max(-90, Math.min(90, cam[0] + morphCam[0])), cam[1] + morphCam[1]]
    const right = F.spec.color.legend ? 90 : 80
    drawView(morphSurface, {pts, box, cam, flat: !film3d(), big: true, right, oneD, zoom, arrows,
                            gl: glOn() ? gl : null, front}, F, theme())
    colorKey(morphSurface, F.spec.color, theme())
    morphTitle.innerHTML = title(at, p)
    pub.morph = {stage, t, s: p, points: pts, camera: cam}
    slider.value = String(p)
    tip.style.display = 'none'
    return pts
  }

  function title(at, p) {
    const st = F.spec.stages
    if (!at || at.t <= 0 && Math.abs(p - Math.round(p)) < 1e-9) return heading(st[Math.round(p)])
    if (at.t >= 1) return heading(st[Math.min(Math.ceil(p - 1e-9), st.length - 1)])
    const s = at.seg, t = ` <span class="sw-mod">t = ${at.t.toFixed(2)}</span>`
    if (s.kind === 'projection') return `<b>${esc(s.title)}</b>${t}`  // the view turns on a stage
    return `${heading(st[s.from])} &rarr; <b>${esc(s.title)}</b>${t}`
  }

  function build() {
    const spec = F.spec, S = spec.stages.length, th = spec.theme, grid = spec.layout === 'grid'
    root.style.background = th.background; root.style.color = th.foreground
    for (const c of [play, speed]) { c.style.background = th.background; c.style.color = th.foreground }
    tip.style.background = th.background; tip.style.color = th.foreground; tip.style.border = `1px solid ${th.muted}`
    const cols = grid ? Math.min(S, 3) : S <= 6 ? S : Math.ceil(S / Math.ceil(S / 6))
    row.style.gridTemplateColumns = `repeat(${cols}, minmax(0, 1fr))`
    morphBox.style.display = grid ? 'none' : ''
    const lines = Math.max(0, ...spec.stages.map(s => s.weights.length))
    while (panels.length > S) panels.pop().div.remove()
    while (panels.length < S) {
      const div = el_('div', 'sw-panel', row), head = el_('div', 'sw-head', div), canvas = el_('canvas', '', div)
      const p = {div, head, canvas, surface: new Surface(canvas), k: panels.length}
      dragger(canvas, () => F.spec.stages[p.k].dim >= 3, (dx, dy) => {
        const c = cams[p.k]; c[1] -= dx * 0.5; c[0] = Math.max(-90, Math.min(90, c[0] + dy * 0.5))
        drawStage(p.k); bump()
      })
      wheel(canvas, f => { zooms[p.k] = (zooms[p.k] || 1) * f; drawStage(p.k); bump() })
      panels.push(p)
    }
    spec.stages.forEach((s, k) => {
      const p = panels[k]
      p.head.innerHTML = heading(s) + `<pre>${esc(s.weights.join('\n'))}${'\n'.repeat(Math.max(0, lines - s.weights.length))}</pre>`
      p.canvas.classList.toggle('sw-3d', s.dim >= 3)
      if (!cams[k] || cams[k].dim !== s.dim) { cams[k] = [...s.camera]; cams[k].dim = s.dim }
    })
    cams.length = S
    slider.max = Math.max(S - 1, 0)
    names.innerHTML = spec.stages.map((s, k) => `<span style="left: calc(${S > 1 ? k / (S - 1) * 100 : 0}% ` +
      `+ ${S > 1 ? 8 - 16 * k / (S - 1) : 0}px)">${esc(s.name)}</span>`).join('')
    const said = [[spec.note, 'sw-trace-note', ''], [spec.sample_note, 'sw-sample-note', ''],
                  [spec.precision, 'sw-precision', 'sw-quiet']].filter(x => x[0])
    notes.innerHTML = said.map(([t, id, c]) => `<p id="${id}" class="${c}">${esc(t)}</p>`).join('')
    config.style.display = spec.experiment && opts.config !== false ? '' : 'none'
    config.innerHTML = '<summary>Experiment (experiment.toml: run it again with <code>spacewarp html --config experiment.toml</code>)</summary>' +
      `<pre style="border-color: ${th.muted}">${esc(spec.experiment)}</pre>`
  }

  function layout() {
    const S = panels.length, width = row.clientWidth || el.clientWidth || 1200, grid = F.spec.layout === 'grid'
    const cols = grid ? Math.min(S, 3) : S <= 6 ? S : Math.ceil(S / Math.ceil(S / 6))
    const pw = Math.floor((width - 4 * (cols - 1)) / cols)
    for (const p of panels) p.surface.size(pw, grid ? Math.min(GRID_H, pw) : Math.min(STAGE_H, Math.max(150, pw)))
    const mw = Math.max(200, morphBox.clientWidth || width * 0.6), mh = opts.morphHeight || MORPH_H
    morphSurface.size(mw, mh)
    frontCanvas.width = morphSurface.w; frontCanvas.height = morphSurface.h
    frontCanvas.style.width = mw + 'px'; frontCanvas.style.height = mh + 'px'
    glCanvas.style.display = glOn() ? '' : 'none'
    if (glOn()) gl.size(morphSurface.w, morphSurface.h, mw, mh)
  }

  function glOn() {  // WebGL for the morph view: from GL_FROM points, or as asked
    if (useGl === false || (useGl === 'auto' && (!F || F.n < GL_FROM))) return false
    if (!gl) { gl = GlLayer.make(glCanvas); if (gl && F) { gl.resize(F.n); gl.setFilm(F) } }
    return gl !== null
  }

  function drawAll() {
    if (!F) return
    layout()
    for (let k = 0; k < panels.length; k++) drawStage(k)
    drawMorph(+slider.value); bump()
  }

  function setSpec(spec, specBlobs) {
    stop()
    F = decodeSpec(spec, specBlobs || [])
    pub.stages = spec.stages.map(s => F.keys[s.key]); pub.dims = spec.stages.map(s => s.dim)
    pub.titles = spec.stages.map(s => s.title); pub.serial = spec.serial; pub.theme = spec.theme
    api.stages = spec.stages.length
    if (gl) { gl.resize(F.n); gl.setFilm(F) }
    if (+slider.value > spec.stages.length - 1) slider.value = spec.stages.length - 1
    build(); drawAll()
  }

  function dragger(canvas, active, move) {
    let last = null
    canvas.addEventListener('pointerdown', e => {
      if (!F || !active()) return
      last = [e.clientX, e.clientY]; canvas.setPointerCapture(e.pointerId); e.preventDefault()
    })
    canvas.addEventListener('pointermove', e => {
      if (!last) return
      const dx = e.clientX - last[0], dy = e.clientY - last[1]; last = [e.clientX, e.clientY]
      move(dx, dy)
    })
    const end = () => { last = null }
    canvas.addEventListener('pointerup', end); canvas.addEventListener('pointercancel', end)
    return () => last !== null
  }

  function wheel(canvas, zoomBy) {
    canvas.addEventListener('wheel', e => {
      if (!F) return
      e.preventDefault(); zoomBy(Math.exp(-e.deltaY * 0.0015))
    }, {passive: false})
  }

  const dragging = dragger(morphCanvas, () => film3d(), (dx, dy) => {
    morphCam[1] -= dx * 0.5; morphCam[0] += dy * 0.5; drawMorph(+slider.value); bump()
  })
  wheel(morphCanvas, f => { zoom *= f; drawMorph(+slider.value); bump() })

  function hover(cx, cy) {  // CSS pixels relative to the morph canvas -> the point's index
    const s = morphSurface, i = s.nearest(cx * s.dpr, cy * s.dpr, F.n)
    if (i < 0) { tip.style.display = 'none'; return -1 }
    const k = pub.morph, d = F.inDim, dims = Math.max(...F.keyDims)
    const from = F.inputs || F.keys[F.spec.stages[0].key], stride = F.inputs ? d : 3
    const inp = Array.from(from.slice(stride * i, stride * i + d), v => +v.toFixed(3))
    const now = Array.from(current.slice(3 * i, 3 * i + Math.min(dims, 3)), v => +v.toFixed(3))
    tip.textContent = `point ${i}\ninput (${inp.join(', ')})\nnow   (${now.join(', ')})  at ${k.s.toFixed(2)}`
    tip.style.display = 'block'
    tip.style.left = (morphCanvas.offsetLeft + s.sx[i] / s.dpr + 12) + 'px'
    tip.style.top = (morphCanvas.offsetTop + s.sy[i] / s.dpr + 12) + 'px'
    tip.dataset.index = String(i)
    return i
  }
  morphCanvas.addEventListener('pointermove', e => {
    if (!F || dragging() || playing) return
    const r = morphCanvas.getBoundingClientRect()
    hover(e.clientX - r.left, e.clientY - r.top)
  })
  morphCanvas.addEventListener('pointerleave', () => { tip.style.display = 'none' })

  slider.addEventListener('input', () => { if (F) { stop(); drawMorph(+slider.value); bump() } })

  function stop() {
    if (playing) { cancelAnimationFrame(playing.raf); playing = null; play.textContent = '\u25b6 Play' }
  }
  function start() {
    if (playing || !F) return
    const S = F.spec.stages.length, clock = F.spec.clock
    if (+slider.value >= S - 1) slider.value = 0
    let time = timeOf(clock, +slider.value), prev = performance.now()
    const end = clock[clock.length - 1][0]
    play.textContent = '\u275a\u275a Pause'
    const tick = now => {
      time += (now - prev) / 1000 * +speed.value; prev = now
      drawMorph(clockAt(clock, time)); bump()
      if (time >= end) { playing = null; play.textContent = '\u25b6 Play'; return }
      playing.raf = requestAnimationFrame(tick)
    }
    playing = {raf: requestAnimationFrame(tick)}
  }
  play.addEventListener('click', () => { if (playing) stop(); else start() })

  const ro = new ResizeObserver(() => { if (F) drawAll() })
  ro.observe(root)

  const api = {
    stages: 0,
    show(position) {  // draws before it returns (WebGL: waits for the GPU to finish)
      if (!F) return
      stop(); drawMorph(position); bump()
      if (gl && glOn()) gl.regl._gl.finish()
    },
    play: start, pause: stop,
    get playing() { return playing !== null },
    get renderer() { return glOn() ? 'webgl' : 'canvas' },
    useWebGL(on) { useGl = on; drawAll() },  // true, false or "auto"
    // test hooks: the coordinates last drawn in the morph view (n, 3), a stage's decoded
    // coordinates, the CSS position of point i on the page, and hover at a CSS position
    drawn() { return {position: pub.morph.s, points: current} },
    stage(k) { return F.keys[F.spec.stages[k].key] },
    screenOf(i) {
      const r = morphCanvas.getBoundingClientRect(), s = morphSurface
      if (s.stale) s.screen(s.stale.P, s.stale.pts, F.n)
      return [r.left + s.sx[i] / s.dpr, r.top + s.sy[i] / s.dpr]
    },
    hoverAt(x, y) { const r = morphCanvas.getBoundingClientRect(); return hover(x - r.left, y - r.top) },
    setSpec, root,
    destroy() { ro.disconnect(); stop(); if (gl) gl.destroy(); root.remove() },
  }
  setSpec(spec, blobs)
  return api
}
