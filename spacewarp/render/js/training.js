// The time axis of a training spec (spacewarp.render.training_browser.training_spec): the
// snapshots of a training run, each with its own keys and colours for the same film. Only
// selects a snapshot, or a moment between two (Play: positions and colours interpolated
// linearly, over T.play_seconds from Python): every coordinate, colour, caption and curve
// point comes from Python. film.js hooks it in: a row with the training-time slider, the
// caption and a loss curve.

import {coords, typed} from './spec.js'
import {decodeRegions} from './regions.js'

const TIME_CSS = `
.sw-time { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; padding: 2px 6px; }
.sw-time button { font: 13px system-ui, sans-serif; padding: 4px 10px; border-radius: 4px; border: 1px solid #5ab4ff;
  cursor: pointer; min-width: 96px; }
.sw-time-slider { flex: 1 1 320px; display: flex; flex-direction: column; min-width: 0; }
.sw-time-slider input { width: 100%; margin: 4px 0 0 0; accent-color: #e0a030; }
.sw-caption { font-size: 13px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.sw-time canvas { flex: none; }
`

function colorsOf(desc, table, blobs, n) {  // uint8 index per point -> ABGR Uint32Array
  const idx = typed(desc, blobs), out = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    const [r, g, b] = table[idx[i]]; out[i] = (255 << 24 | b << 16 | g << 8 | r) >>> 0
  }
  return out
}

export class TimeAxis {
  // `parent`: where the row goes (before `before`); onSelect(s) is called when the user
  // moves the slider or plays; film.js then applies the snapshot and redraws
  constructor(parent, before, onSelect) {
    this.row = document.createElement('div'); this.row.className = 'sw-time'
    const style = document.createElement('style'); style.textContent = TIME_CSS; this.row.append(style)
    this.button = document.createElement('button'); this.button.className = 'sw-time-play'
    this.button.textContent = '\u25b6 Snapshots'; this.button.title = 'play the snapshots of training'
    const box = document.createElement('div'); box.className = 'sw-time-slider'
    this.caption = document.createElement('div'); this.caption.className = 'sw-caption'
    this.slider = document.createElement('input'); this.slider.className = 'sw-time-slider-input'
    this.slider.type = 'range'; this.slider.min = 0; this.slider.step = 1
    box.append(this.caption, this.slider)
    this.curve = document.createElement('canvas'); this.curve.className = 'sw-curve'
    this.fit = document.createElement('canvas'); this.fit.className = 'sw-fit'
    this.row.append(this.button, box, this.fit, this.curve)
    parent.insertBefore(this.row, before)
    this.T = null; this.s = 0; this.cache = new Map(); this.timer = null; this.onSelect = onSelect
    this.slider.addEventListener('input', () => { this.stop(); onSelect(+this.slider.value) })
    this.button.addEventListener('click', () => this.timer ? this.stop() : this.play())
  }
  setSpec(spec, blobs) {  // a spec without `training` hides the row
    this.stop(); this.cache.clear()
    this.T = spec.training || null; this.blobs = blobs; this.spec = spec
    this.row.style.display = this.T ? '' : 'none'
    if (!this.T) return
    const th = spec.theme
    this.button.style.background = th.background; this.button.style.color = th.foreground
    this.slider.max = this.T.count - 1
    this.s = this.T.current; this.t = null
  }
  get count() { return this.T ? this.T.count : 0 }
  get regions() { return this.T ? this.data(this.s).regions : null }  // the shown snapshot's
  // why the shown snapshot has no outlines (more regions than a film draws), or ''
  get regionsNote() { return this.T ? this.data(this.s).regionsNote : '' }
  // snapshot s decoded (cached): {keys: [Float32Array(3 n)], colors: Uint32Array(n),
  // regions: its outlines (regions.js's, null without)}
  data(s) {
    if (!this.cache.has(s)) {
      const e = this.T.snapshots[s], blobs = e.blobs || this.blobs
      this.cache.set(s, {keys: e.keys.map(k => coords(k, blobs)),
                         colors: colorsOf(e.color, this.spec.color.table, blobs, this.spec.n),
                         ...this.outlines(e, blobs)})
    }
    return this.cache.get(s)
  }
  // a snapshot's outlines: its own, or {held: j, title}: snapshot j's (the page's cap kept
  // outlines at an even subset; holding the last ones drawn keeps Play from blinking),
  // retitled with the epoch they are of; held -1: none, and the title says why
  outlines(e, blobs) {
    const R = e.regions
    if (!R || R.held === undefined) return {regions: decodeRegions(e, blobs), regionsNote: ''}
    const from = R.held >= 0 ? this.data(R.held).regions : null
    return {regions: from && {...from, title: R.title}, regionsNote: from ? '' : R.title}
  }
  apply(F, t) {  // snapshot t into the decoded film F (keys, colours, weights' lines); a
    // fractional t (Play) blends snapshots floor(t) and floor(t) + 1
    t = Math.max(0, Math.min(this.T.count - 1, +t || 0))
    const lo = Math.floor(t), hi = Math.min(lo + 1, this.T.count - 1), u = t - lo
    const a = this.data(lo)
    if (hi === lo || u < 1e-6) { F.keys = a.keys; F.colors = a.colors }
    else {
      const b = this.data(hi)
      F.keys = a.keys.map((k, i) => this.blendKey(i, k, b.keys[i], u))
      F.colors = this.blendColors(a.colors, b.colors, u)
    }
    const s = Math.round(t), e = this.T.snapshots[s]
    F.spec.stages.forEach((st, k) => { if (e.weights) st.weights = e.weights[k] })
    this.s = s; this.t = t; this.T.current = s
    this.show()
    return s
  }
  blendKey(i, a, b, u) {  // (3 n) positions (1 - u) a + u b, into a buffer kept per key
    this.blend = this.blend || []
    let out = this.blend[i]
    if (!out || out.length !== a.length) out = this.blend[i] = new Float32Array(a.length)
    for (let j = 0; j < a.length; j++) out[j] = a[j] + u * (b[j] - a[j])
    return out
  }
  blendColors(a, b, u) {  // ABGR Uint32 per point, each channel blended
    if (!this.blendRgb || this.blendRgb.length !== a.length) this.blendRgb = new Uint32Array(a.length)
    const out = this.blendRgb
    for (let j = 0; j < a.length; j++) {
      const x = a[j], y = b[j]
      if (x === y) { out[j] = x; continue }
      const r = (x & 255) + u * ((y & 255) - (x & 255))
      const g = (x >>> 8 & 255) + u * ((y >>> 8 & 255) - (x >>> 8 & 255))
      const c = (x >>> 16 & 255) + u * ((y >>> 16 & 255) - (x >>> 16 & 255))
      out[j] = (255 << 24 | Math.round(c) << 16 | Math.round(g) << 8 | Math.round(r)) >>> 0
    }
    return out
  }
  setData(s, entry, blobs) {  // replace (or append, s = count) one snapshot's data
    this.T.snapshots[s] = blobs ? {...entry, blobs} : entry
    if (s >= this.T.count) { this.T.count = s + 1; this.slider.max = s }
    for (const k of ['epoch', ...this.T.curve_names])  // the curves' names come from Python
      if (this.T[k] && entry[k] !== undefined) this.T[k][s] = entry[k]
    if (entry.curve) this.T.curve = entry.curve  // Python's curve over every snapshot so far
    if (entry.fit) this.T.fit = entry.fit  // and its learned curve, placed afresh
    this.cache.delete(s)
  }
  show() {  // the slider, caption and curve at the current snapshot (or moment, playing)
    const e = this.T.snapshots[this.s], t = this.t ?? this.s
    const lo = Math.floor(t), hi = Math.min(lo + 1, this.T.count - 1), u = t - lo
    this.slider.value = String(this.s)
    if (hi === lo || u < 1e-6) {
      this.caption.textContent = `snapshot ${this.s + 1} of ${this.T.count} \u00b7 ${e.caption}`
      this.caption.dataset.epoch = String(e.epoch)
    } else {  // the epoch counter runs with the frames; the numbers are the last snapshot's
      const ea = this.T.snapshots[lo].epoch, eb = this.T.snapshots[hi].epoch
      const epoch = Math.round(ea + u * (eb - ea))
      this.caption.textContent = `epoch ${epoch} \u00b7 snapshots ${lo + 1} to ${hi + 1} of ${this.T.count}: ${this.T.interpolated}`
      this.caption.dataset.epoch = String(epoch)
    }
    this.caption.title = this.caption.textContent  // whole on hover where a narrow row cuts it
    this.drawCurve(); this.drawFit()
  }
  drawFit() {  // regression on a line: the targets (dots) and the output at s (a line), as
    // placed by Python (fit.x, fit.pred[s], fit.data_x, fit.target in [0, 1])
    const f = this.T.fit, th = this.spec.theme, dpr = window.devicePixelRatio || 1
    const W = 240, H = 96, cv = this.fit
    if (!f || !f.pred[this.s]) { cv.style.display = 'none'; return }
    cv.style.display = ''
    cv.width = W * dpr; cv.height = H * dpr; cv.style.width = W + 'px'; cv.style.height = H + 'px'
    const g = cv.getContext('2d'), pad = 4 * dpr, w = cv.width - 2 * pad, h = cv.height - 2 * pad - 10 * dpr
    const X = x => pad + x * w, Y = y => pad + (1 - y) * h
    g.fillStyle = th.background; g.fillRect(0, 0, cv.width, cv.height)
    g.strokeStyle = th.muted; g.lineWidth = dpr; g.strokeRect(pad, pad, w, h)
    g.fillStyle = th.muted
    f.data_x.forEach((x, i) => { const y = f.target[i]; if (x !== null && y !== null) g.fillRect(X(x) - dpr, Y(y) - dpr, 2 * dpr, 2 * dpr) })
    g.strokeStyle = '#e0a030'; g.lineWidth = 1.5 * dpr; g.beginPath()
    let on = false
    f.pred[this.s].forEach((y, i) => { if (y === null) { on = false; return }
      if (on) g.lineTo(X(f.x[i]), Y(y)); else g.moveTo(X(f.x[i]), Y(y)); on = true })
    g.stroke()
    g.fillStyle = th.foreground; g.font = `${9.5 * dpr}px system-ui, sans-serif`; g.textBaseline = 'bottom'
    g.textAlign = 'left'; g.fillText(f.label, pad, cv.height - 1)
  }
  drawCurve() {  // points placed by Python (curve.x, curve.train in [0, 1]); a marker at s
    const c = this.T.curve, th = this.spec.theme, dpr = window.devicePixelRatio || 1
    const W = 240, H = 64, cv = this.curve
    if (!c) { cv.style.display = 'none'; return }
    cv.width = W * dpr; cv.height = H * dpr; cv.style.width = W + 'px'; cv.style.height = H + 'px'
    const g = cv.getContext('2d'), pad = 4 * dpr, w = cv.width - 2 * pad, h = cv.height - 2 * pad - 10 * dpr
    const X = x => pad + x * w, Y = y => pad + (1 - y) * h
    g.fillStyle = th.background; g.fillRect(0, 0, cv.width, cv.height)
    g.strokeStyle = th.muted; g.lineWidth = dpr; g.strokeRect(pad, pad, w, h)
    for (const [ys, dash] of [[c.train, []], [c.test, [4 * dpr, 3 * dpr]]]) {
      if (!ys) continue
      g.strokeStyle = '#4c9be8'; g.setLineDash(dash); g.lineWidth = 1.5 * dpr; g.beginPath()
      let on = false
      ys.forEach((y, i) => { if (y === null) { on = false; return }
        if (on) g.lineTo(X(c.x[i]), Y(y)); else g.moveTo(X(c.x[i]), Y(y)); on = true })
      g.stroke(); g.setLineDash([])
    }
    const x = X(c.x[this.s])
    g.strokeStyle = th.foreground; g.lineWidth = 1.2 * dpr
    g.beginPath(); g.moveTo(x, pad); g.lineTo(x, pad + h); g.stroke()
    if (c.train[this.s] !== null) {
      g.fillStyle = th.foreground; g.beginPath(); g.arc(x, Y(c.train[this.s]), 3 * dpr, 0, 2 * Math.PI); g.fill()
    }
    g.fillStyle = th.foreground; g.font = `${9.5 * dpr}px system-ui, sans-serif`; g.textBaseline = 'bottom'
    g.textAlign = 'left'; g.fillText(c.label, pad, cv.height - 1)
  }
  play() {  // from the first snapshot to the last in T.play_seconds, a frame per repaint
    if (!this.T || this.timer) return
    const last = this.T.count - 1
    const from = this.s >= last ? 0 : (this.t ?? this.s)
    const rate = last / Math.max(this.T.play_seconds || 3, 1e-3)  // snapshots per second
    const t0 = performance.now()
    this.button.textContent = '\u275a\u275a Pause'
    const tick = now => {
      const t = Math.min(last, from + rate * (now - t0) / 1000)
      this.onSelect(t)
      if (t >= last) { this.stop(); return }
      this.timer = requestAnimationFrame(tick)
    }
    this.timer = requestAnimationFrame(tick)
  }
  stop() {
    if (this.timer) { cancelAnimationFrame(this.timer); this.timer = null }
    this.button.textContent = '\u25b6 Snapshots'
  }
}
