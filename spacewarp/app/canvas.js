// The explorer's views on 2-D canvases: every stage side by side, and the morph view.
// Data comes from canvas.py (one `data` update per change). The morph between stages
// k and k+1 is a + t (b - a) on points padded to 3-D (spacewarp.view.Morph), with the
// camera turning from top-down (2-D ends) to oblique (3-D ends) as t goes 0 -> 1.
// Tests read el.__spacewarp and wait for data-sw-version to change.

const TOP_DOWN = [90, -90], OBLIQUE = [24, -60]  // (elevation, azimuth), view.motion
const MORPH_S = 0.9, HOLD_S = 0.6  // seconds per morph and per hold while playing
const STAGE_H = 210, MORPH_H = 470, MARGIN = 0.06

const ease = u => { u = Math.min(Math.max(u, 0), 1); return u * u * (3 - 2 * u) }

function bytes(s) {
  const bin = atob(s), out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out.buffer
}

function cube(arrays, n) {  // equal-aspect box around every point: {c: [3], h}
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity]
  for (const a of arrays) for (let i = 0; i < n; i++) for (let j = 0; j < 3; j++) {
    const v = a[3 * i + j]; if (v < lo[j]) lo[j] = v; if (v > hi[j]) hi[j] = v
  }
  const c = [0, 1, 2].map(j => (lo[j] + hi[j]) / 2)
  let h = Math.max(...[0, 1, 2].map(j => hi[j] - lo[j])) / 2 * (1 + MARGIN)
  if (!(h > 1e-12)) h = 1
  return {c, h}
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

function basis([el, az]) {  // screen right, screen up and towards-viewer vectors
  const e = el * Math.PI / 180, a = az * Math.PI / 180
  return [[-Math.sin(a), Math.cos(a), 0],
          [-Math.sin(e) * Math.cos(a), -Math.sin(e) * Math.sin(a), Math.cos(e)],
          [Math.cos(e) * Math.cos(a), Math.cos(e) * Math.sin(a), Math.sin(e)]]
}

// One plot: maps data points into a canvas rectangle, flat (2-D axes) or through a camera.
// The morph view's box: the stage's own at rest (so every stage is legible), the
// transition's union while points move (so a squash looks like a squash). u in [0, 1] is
// the raw progress; the box eases in over the first fifth and out over the last, while
// the eased points have barely left or nearly reached their stage.
function restingBox(own, union, next, u) {
  const mix = (p, q, f) => ({c: p.c.map((x, i) => x + f * (q.c[i] - x)), h: p.h + f * (q.h - p.h)})
  if (u > 0.8) return mix(union, next, ease((u - 0.8) / 0.2))
  return mix(union, own, u < 0.2 ? ease(1 - u / 0.2) : 0)
}

function projector(box, cam, rect, flat) {
  const [R, U, D] = basis(flat ? TOP_DOWN : cam)
  let ext = 1
  if (!flat) {
    ext = 0
    for (const sx of [-1, 1]) for (const sy of [-1, 1]) for (const sz of [-1, 1])
      ext = Math.max(ext, Math.abs(R[0] * sx + R[1] * sy + R[2] * sz),
                     Math.abs(U[0] * sx + U[1] * sy + U[2] * sz))
  }
  const k = Math.min(rect.w, rect.h) / 2 / ext / box.h
  const cx = rect.x + rect.w / 2, cy = rect.y + rect.h / 2
  return (x, y, z) => {
    x -= box.c[0]; y -= box.c[1]; z -= box.c[2]
    return [cx + k * (R[0] * x + R[1] * y + R[2] * z), cy - k * (U[0] * x + U[1] * y + U[2] * z),
            D[0] * x + D[1] * y + D[2] * z]
  }
}

class Surface {  // a canvas with a reusable point buffer and depth buffer
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
  points(project, pts, n, colors, size, useDepth) {  // filled squares, nearest on top
    const {w, h, px, depth} = this
    px.fill(0); depth.fill(-Infinity)
    const half = size >> 1
    for (let i = 0; i < n; i++) {
      const [sx, sy, d] = project(pts[3 * i], pts[3 * i + 1], pts[3 * i + 2])
      const x0 = Math.round(sx) - half, y0 = Math.round(sy) - half, col = colors[i]
      if (x0 < 0 || y0 < 0 || x0 + size > w || y0 + size > h) continue
      for (let dy = 0; dy < size; dy++) {
        let o = (y0 + dy) * w + x0
        for (let dx = 0; dx < size; dx++, o++)
          if (!useDepth || d >= depth[o]) { depth[o] = d; px[o] = col }
      }
    }
    this.off.getContext('2d').putImageData(this.img, 0, 0)
    this.ctx.drawImage(this.off, 0, 0)
  }
}

function pointSize(n, dpr, big) {
  const css = n <= 1000 ? 4 : n <= 5000 ? 3 : n <= 30000 ? 2 : 1.5
  return Math.max(1, Math.round(css * dpr * (big ? 1.25 : 1)))
}

// Draws one view: background, axes (flat) or box (3-D), lattice, points.
function drawView(s, v, theme, d) {
  const {ctx, w, h, dpr} = s
  ctx.setTransform(1, 0, 0, 1, 0, 0)
  ctx.fillStyle = theme.background; ctx.fillRect(0, 0, w, h)
  const pad = 30 * dpr
  const rect = {x: pad, y: 8 * dpr, w: w - pad - (v.right || 8) * dpr, h: h - pad - 8 * dpr}
  const project = projector(v.box, v.cam, rect, v.flat)
  ctx.font = `${11 * dpr}px system-ui, sans-serif`
  if (v.flat) axes2d(ctx, project, v.box, theme, dpr, v.oneD)
  else box3d(ctx, project, v.box, theme, dpr)
  if (d.lattice) {
    ctx.strokeStyle = theme.muted; ctx.globalAlpha = 0.55; ctx.lineWidth = dpr
    ctx.beginPath()
    const L = d.lattice
    for (let i = 0; i < L.length; i += 2) {
      const a = project(v.pts[3 * L[i]], v.pts[3 * L[i] + 1], v.pts[3 * L[i] + 2])
      const b = project(v.pts[3 * L[i + 1]], v.pts[3 * L[i + 1] + 1], v.pts[3 * L[i + 1] + 2])
      ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1])
    }
    ctx.stroke(); ctx.globalAlpha = 1
  }
  s.points(project, v.pts, d.n, d.colors, pointSize(d.n, dpr, v.big), !v.flat)
}

function axes2d(ctx, project, box, theme, dpr, oneD) {
  const lo = [box.c[0] - box.h, box.c[1] - box.h], hi = [box.c[0] + box.h, box.c[1] + box.h]
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
  for (const a of [-1, 1]) for (const b of [-1, 1]) {
    edges.push([[-1, a, b], [1, a, b], 0], [[a, -1, b], [a, 1, b], 1], [[a, b, -1], [a, b, 1], 2])
  }
  for (const [p, q] of edges) {  // back edges fainter than front ones
    const A = P(...p), B = P(...q)
    ctx.strokeStyle = theme.muted; ctx.globalAlpha = (A[2] + B[2]) / 2 > 0 ? 0.95 : 0.5
    ctx.beginPath(); ctx.moveTo(A[0], A[1]); ctx.lineTo(B[0], B[1]); ctx.stroke()
  }
  ctx.globalAlpha = 1; ctx.fillStyle = theme.foreground
  // label the three axes on edges at the front-bottom (x, y) and the left (z), ticks
  // at round values along them, pushed out from the box's centre on screen
  const centre = project(c[0], c[1], c[2])
  ctx.textAlign = 'center'; ctx.textBaseline = 'middle'
  for (const axis of [0, 1, 2]) {
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

function colorbar(s, cb, table, theme) {
  const {ctx, w, h, dpr} = s
  const bw = 14 * dpr, x = w - 58 * dpr, y0 = h * 0.2, y1 = h * 0.75
  for (let i = 0; i < 256; i++) {
    ctx.fillStyle = `rgb(${table[3 * i]},${table[3 * i + 1]},${table[3 * i + 2]})`
    const ya = y1 - (i + 1) * (y1 - y0) / 256
    ctx.fillRect(x, ya, bw, (y1 - y0) / 256 + 1)
  }
  ctx.fillStyle = theme.foreground; ctx.font = `${11 * dpr}px system-ui, sans-serif`
  ctx.textAlign = 'left'; ctx.textBaseline = 'bottom'
  ctx.fillText(cb.label, x - 10 * dpr, y0 - 8 * dpr)
  ctx.textBaseline = 'middle'
  const span = cb.hi - cb.lo || 1
  for (const v of niceTicks(cb.lo, cb.hi, 4)) {
    const y = y1 - (v - cb.lo) / span * (y1 - y0)
    ctx.fillText(fmt(v), x + bw + 4 * dpr, y)
  }
}

function decode(data) {
  const n = data.n
  const rgb = new Uint8Array(bytes(data.rgb)), colors = new Uint32Array(n)
  for (let i = 0; i < n; i++)
    colors[i] = (255 << 24 | rgb[3 * i + 2] << 16 | rgb[3 * i + 1] << 8 | rgb[3 * i]) >>> 0
  const stages = data.stages.map(s => new Float32Array(bytes(s.xyz)))
  const morphs = []
  for (let k = 0; k + 1 < stages.length; k++) {
    const box = cube([stages[k], stages[k + 1]], n)
    const [da, db] = [data.stages[k].dim, data.stages[k + 1].dim]
    morphs.push({box, dims: [da, db]})
  }
  return {n, colors, stages, morphs, boxes: stages.map(s => cube([s], n)),
          lattice: data.lattice ? new Int32Array(bytes(data.lattice)) : null,
          table: new Uint8Array(bytes(data.colorbar.table)), meta: data}
}

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
.sw-morph-box { flex: 1; min-width: 0; display: flex; flex-direction: column; }
.sw-morph-title { font-size: 14px; padding: 2px 6px; }
.sw-controls { display: flex; gap: 8px; align-items: flex-start; padding: 4px 6px; }
.sw-controls button { font: 13px system-ui, sans-serif; padding: 4px 12px; border-radius: 4px;
  border: 1px solid #5ab4ff; background: #1d2330; color: #e8e8e8; cursor: pointer; min-width: 72px; }
.sw-slider { flex: 1; position: relative; padding-bottom: 18px; }
.sw-slider input { width: 100%; margin: 6px 0 0 0; accent-color: #5ab4ff; }
.sw-names span { position: absolute; bottom: 0; transform: translateX(-50%); font-size: 11px; white-space: nowrap; opacity: 0.85; }
canvas.sw-3d { cursor: grab; }
`

export function render({model, el}) {
  const root = document.createElement('div'); root.className = 'sw-root'
  const style = document.createElement('style'); style.textContent = CSS
  const row = document.createElement('div'); row.className = 'sw-row'
  const bottom = document.createElement('div'); bottom.className = 'sw-bottom'
  const morphBox = document.createElement('div'); morphBox.className = 'sw-morph-box'
  const morphTitle = document.createElement('div'); morphTitle.className = 'sw-morph-title'
  const morphCanvas = document.createElement('canvas'); morphCanvas.className = 'sw-morph-canvas'
  const controls = document.createElement('div'); controls.className = 'sw-controls'
  const play = document.createElement('button'); play.textContent = '\u25b6 Play'; play.className = 'sw-play'
  const sliderBox = document.createElement('div'); sliderBox.className = 'sw-slider'
  const slider = document.createElement('input')
  slider.type = 'range'; slider.min = 0; slider.step = 'any'; slider.value = 0; slider.className = 'sw-stage-slider'
  const names = document.createElement('div'); names.className = 'sw-names'
  sliderBox.append(slider, names); controls.append(play, sliderBox)
  morphBox.append(morphTitle, morphCanvas, controls)
  bottom.append(morphBox)
  const weights = model.get_child('weights')
  if (weights) { const side = document.createElement('div'); side.className = 'sw-side'; side.append(weights); bottom.append(side) }
  root.append(style, row, bottom)

  const morphSurface = new Surface(morphCanvas)
  let D = null, panels = [], version = 0, playing = null
  const cams = [], morphCam = [0, 0]  // per-stage (el, az); the morph's drag offset
  const pub = {stages: [], dims: [], titles: [], cameras: cams, morph: null, serial: -1}
  root.__spacewarp = pub

  const bump = () => { version += 1; root.dataset.swVersion = String(version) }

  function drawStage(k) {
    const meta = D.meta.stages[k], p = panels[k]
    drawView(p.surface, {pts: D.stages[k], box: D.boxes[k], cam: cams[k], flat: meta.dim < 3,
                         oneD: meta.dim === 1}, D.meta.theme, D)
  }

  function drawMorph() {
    const S = D.stages.length, s = Math.min(Math.max(+slider.value, 0), S - 1)
    const k = Math.min(Math.floor(s), Math.max(S - 2, 0)), t = S < 2 ? 0 : ease(s - k)
    const a = D.stages[k], b = D.stages[Math.min(k + 1, S - 1)], n = D.n
    const pts = pub.morph && pub.morph.points.length === 3 * n ? pub.morph.points : new Float32Array(3 * n)
    for (let i = 0; i < 3 * n; i++) pts[i] = a[i] + t * (b[i] - a[i])
    const m = D.morphs[k] || {box: D.boxes[0], dims: [D.meta.stages[0].dim, D.meta.stages[0].dim]}
    const [ca, cb] = m.dims.map(d => d <= 2 ? TOP_DOWN : OBLIQUE)
    const film3d = D.meta.stages.some(st => st.dim >= 3)
    const cam = [Math.max(-90, Math.min(90, ca[0] + t * (cb[0] - ca[0]) + morphCam[0])),
                 ca[1] + t * (cb[1] - ca[1]) + morphCam[1]]
    const box = restingBox(D.boxes[k], m.box, D.boxes[Math.min(k + 1, S - 1)], S < 2 ? 0 : s - k)
    drawView(morphSurface, {pts, box, cam, flat: !film3d, big: true, right: 80,
                            oneD: m.dims[0] === 1 && m.dims[1] === 1}, D.meta.theme, D)
    colorbar(morphSurface, D.meta.colorbar, D.table, D.meta.theme)
    const to = D.meta.stages[Math.min(k + 1, S - 1)], from = D.meta.stages[k]
    morphTitle.innerHTML = S < 2 ? heading(from) : t <= 0 ? heading(from) : t >= 1 ? heading(to)
      : `${heading(from)} &rarr; ${heading(to)} <span class="sw-mod">t = ${t.toFixed(2)}</span>`
    pub.morph = {stage: k, t, s, points: pts, camera: cam}
  }

  function build() {
    const meta = D.meta, S = meta.stages.length, th = meta.theme
    root.style.background = th.background; root.style.color = th.foreground
    play.style.background = th.background; play.style.color = th.foreground
    const cols = S <= 6 ? S : Math.ceil(S / Math.ceil(S / 6))
    row.style.gridTemplateColumns = `repeat(${cols}, minmax(0, 1fr))`
    const lines = Math.max(0, ...meta.stages.map(s => s.weights.length))
    while (panels.length > S) panels.pop().div.remove()
    while (panels.length < S) {
      const div = document.createElement('div'); div.className = 'sw-panel'
      const head = document.createElement('div'); head.className = 'sw-head'
      const canvas = document.createElement('canvas'); div.append(head, canvas); row.append(div)
      const p = {div, head, canvas, surface: new Surface(canvas), k: panels.length}
      dragger(canvas, () => D.meta.stages[p.k].dim >= 3, (dx, dy) => {
        const c = cams[p.k]; c[1] -= dx * 0.5; c[0] = Math.max(-90, Math.min(90, c[0] + dy * 0.5))
        drawStage(p.k); bump()
      })
      panels.push(p)
    }
    meta.stages.forEach((s, k) => {
      const p = panels[k]
      p.head.innerHTML = heading(s) + `<pre>${esc(s.weights.join('\n'))}${'\n'.repeat(Math.max(0, lines - s.weights.length))}</pre>`
      p.canvas.classList.toggle('sw-3d', s.dim >= 3)
      if (!cams[k] || cams[k].dim !== s.dim) { cams[k] = s.dim >= 3 ? [...OBLIQUE] : [...TOP_DOWN]; cams[k].dim = s.dim }
    })
    cams.length = S
    slider.max = Math.max(S - 1, 0)
    if (+slider.value > S - 1) slider.value = S - 1
    names.innerHTML = meta.stages.map((s, k) => `<span style="left: calc(${S > 1 ? k / (S - 1) * 100 : 0}% ` +
      `+ ${S > 1 ? 8 - 16 * k / (S - 1) : 0}px)">${esc(s.title)}</span>`).join('')
  }

  function layout() {
    if (!D) return
    const S = panels.length, width = row.clientWidth || el.clientWidth || 1200
    const cols = S <= 6 ? S : Math.ceil(S / Math.ceil(S / 6))
    const pw = Math.floor((width - 4 * (cols - 1)) / cols)
    for (const p of panels) p.surface.size(pw, Math.min(STAGE_H, Math.max(150, pw)))
    morphSurface.size(Math.max(200, morphBox.clientWidth || width * 0.6), MORPH_H)
  }

  function drawAll() {
    if (!D) return
    layout()
    for (let k = 0; k < panels.length; k++) drawStage(k)
    drawMorph(); bump()
  }

  function setData() {
    const data = model.data
    if (!data || !data.stages) return
    D = decode(data)
    pub.stages = D.stages; pub.dims = data.stages.map(s => s.dim)
    pub.titles = data.stages.map(s => s.title); pub.serial = data.serial
    pub.theme = data.theme
    build(); drawAll()
  }

  function dragger(canvas, active, move) {
    let last = null
    canvas.addEventListener('pointerdown', e => {
      if (!active()) return
      last = [e.clientX, e.clientY]; canvas.setPointerCapture(e.pointerId); e.preventDefault()
    })
    canvas.addEventListener('pointermove', e => {
      if (!last) return
      const dx = e.clientX - last[0], dy = e.clientY - last[1]; last = [e.clientX, e.clientY]
      move(dx, dy)
    })
    const end = () => { last = null }
    canvas.addEventListener('pointerup', end); canvas.addEventListener('pointercancel', end)
  }
  dragger(morphCanvas, () => D && D.meta.stages.some(s => s.dim >= 3), (dx, dy) => {
    morphCam[1] -= dx * 0.5; morphCam[0] += dy * 0.5; drawMorph(); bump()
  })

  slider.addEventListener('input', () => { if (D) { stop(); drawMorph(); bump() } })

  function stop() {
    if (playing) { cancelAnimationFrame(playing.raf); playing = null; play.textContent = '\u25b6 Play' }
  }
  play.addEventListener('click', () => {
    if (playing) { stop(); return }
    if (!D) return
    const S = D.stages.length
    if (+slider.value >= S - 1) slider.value = 0
    const start = +slider.value, seg = MORPH_S + HOLD_S
    let k = Math.floor(start), clock = (start - k) * MORPH_S, prev = performance.now()
    play.textContent = '\u275a\u275a Pause'
    const tick = now => {
      clock += (now - prev) / 1000; prev = now
      if (clock >= seg) { clock -= seg; k += 1 }
      if (k >= S - 1) { slider.value = S - 1; drawMorph(); bump(); playing = null; play.textContent = '\u25b6 Play'; return }
      slider.value = k + Math.min(clock / MORPH_S, 1); drawMorph(); bump()
      playing.raf = requestAnimationFrame(tick)
    }
    playing = {raf: requestAnimationFrame(tick)}
  })

  const ro = new ResizeObserver(() => { if (D) drawAll() })
  ro.observe(root)
  model.on('data', setData)
  model.on('remove', () => { ro.disconnect(); stop() })
  setData()
  return root
}
