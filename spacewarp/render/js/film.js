// spacewarp's browser renderer: draws any film spec (spacewarp.render.browser.film_spec).
// It only interpolates: every coordinate array, box, camera, easing and the Play clock
// come from Python (spacewarp.view.film); a wide stage turned by hand (tour.js) is the one
// product computed here, its points times the dragged basis. Used by the offline page, the
// notebook and the explorer. `mount(el, spec, blobs, opts)` returns the public API (window.spacewarp on
// pages): stages, show(position), play(), pause(), and test hooks.

import {decodeSpec, locate, boxAt, clockAt, timeOf, lerp} from './spec.js'
import {Surface, drawView, colorKey} from './draw.js'
import {GlLayer} from './gl.js'
import {applyLive} from './live.js'
import {TimeAxis} from './training.js'
import {makeTours, attachTour} from './tour.js'
import {decodeRegions, RegionsLayer, stepTitle, moveAlong, moveRows} from './regions.js'

const STAGE_H = 210, MORPH_H = 470, GRID_H = 360
const GL_FROM = 0  // points from which the morph view draws with WebGL (when there is one)
// --- the widget -----------------------------------------------------------------------------

function esc(t) { const d = document.createElement('div'); d.textContent = t; return d.innerHTML }

function heading(s) {
  return `<b>${esc(s.title)}</b>` + (s.module ? ` <span class="sw-mod">(module ${esc(s.module)})</span>` : '') +
    (s.note ? ` <span class="sw-mod sw-note">${esc(s.note)}</span>` : '') +
    (s.measures ? `<br><span class="sw-mod sw-measures">${esc(s.measures)}</span>` : '')  // --measures
}

// a stage panel's head: its note (PCA variance, capture) and measures on lines of their own,
// so a narrow panel does not cut them off; a line that a stage of the row lacks is left
// blank, so the row's canvases stay level
function panelHeading(s, stages) {
  const line = (key, cls) => !stages.some(t => t[key]) ? '' : '<br>' + (s[key]
    ? `<span class="sw-mod ${cls}">${esc(s[key])}</span>` : '<span class="sw-mod">&nbsp;</span>')
  return `<b>${esc(s.title)}</b>` + (s.module ? ` <span class="sw-mod">(module ${esc(s.module)})</span>` : '') +
    line('note', 'sw-note') + line('measures', 'sw-measures')
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
.sw-regions { font-size: 12px; white-space: nowrap; } .sw-regions-title { opacity: 0.75; white-space: normal; }
.sw-matrix { font-size: 11px; opacity: 0.85; }
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
  const time = new TimeAxis(morphBox, controls, s => selectSnapshot(s))  // training specs only
  const regions = new RegionsLayer(el_('div', 'sw-regions-row', morphBox), () => drawAll())
  if (opts.side) el_('div', 'sw-side', bottom).append(opts.side)
  const config = el_('details', 'sw-config', root)
  el.append(root)

  const morphSurface = new Surface(morphCanvas)
  let gl = null, useGl = opts.gl === undefined ? 'auto' : opts.gl  // 'auto': WebGL from GL_FROM points
  let F = null, panels = [], version = 0, playing = null, zoom = 1, current = null
  const cams = [], morphCam = [0, 0], zooms = []
  const pub = {stages: [], dims: [], titles: [], cameras: cams, morph: null, serial: -1, panels: []}
  root.__spacewarp = pub
  pub.tour = k => F.tours[k]  // test hooks: tour.js's Tour of stage k (null up to 3-D), and
  pub.panelOf = (k, xyz) => {  // the CSS position of display coordinates in stage k's panel
    const p = panels[k], r = p.canvas.getBoundingClientRect(), [x, y] = p.P.project(...xyz)
    return [r.left + x / p.surface.dpr, r.top + y / p.surface.dpr]
  }
  pub.regions = () => api.regions()  // the outlines last drawn (see api.regions)
  const bump = () => { version += 1; root.dataset.swVersion = String(version) }
  const theme = () => F.spec.theme
  const film3d = () => F.spec.dim >= 3

  function drawStage(k) {
    const st = F.spec.stages[k], tour = F.tours[k], p = panels[k]  // tour.js: turned by hand
    const turned = tour && tour.turned, pts = turned ? tour.points() : F.keys[st.key]
    // region outlines follow the film's projection: hidden while the view is turned by hand
    p.P = drawView(p.surface, {pts, box: F.stageBoxes[k], cam: cams[k],
      flat: st.dim < 3, oneD: st.dim === 1, zoom: zooms[k],
      overlay: turned ? null : regions.overlay(st.key, st.key, 0, k, false)}, F, theme())
    if (tour) tour.draw(p.surface, p.P, theme(), tour.active ?? -1)
    p.tourShown(tour, p.head, (F.spec.tours || [])[k]?.off); pub.panels[k] = pts
  }

  function drawMorph(p) {
    const S = F.spec.stages.length, n = F.n
    p = Math.min(Math.max(+p || 0, 0), S - 1)
    const at = locate(F, p)
    const pts = current && current.length === 3 * n ? current : (current = new Float32Array(3 * n))
    let cam = [90, -90], box = F.stageBoxes[0], t = 0, stage = 0, arrows = null, oneD = F.spec.stages[0].dim === 1
    let overlay = () => regions.overlay(F.spec.stages[0].key, F.spec.stages[0].key, 0, 0, true)
    if (at) {
      const {seg, u} = at, a = F.keys[seg.start], b = F.keys[seg.end]
      t = at.t
      moveAlong(pts, a, b, t, seg.rotation)
      cam = [lerp(seg.cameras[0][0], seg.cameras[1][0], t), lerp(seg.cameras[0][1], seg.cameras[1][1], t)]
      box = boxAt(seg, u)
      stage = Math.min(Math.floor(p), S - 2)
      if (seg.arrows) arrows = moveRows(seg.arrows, t, seg.rotation)
      oneD = F.keyDims[seg.start] === 1 && F.keyDims[seg.end] === 1
      overlay = () => regions.overlay(seg.start, seg.end, at.t, at.t < 0.5 ? seg.from : seg.to, true, seg.rotation)
    } else pts.set(F.keys[0])
    cam = [Math.max(-90, Math.min(90, cam[0] + morphCam[0])), cam[1] + morphCam[1]]
    const right = F.spec.color.legend ? 90 : 80
    drawView(morphSurface, {pts, box, cam, flat: !film3d(), big: true, right, oneD, zoom, arrows,
                            gl: glOn() ? gl : null, front, overlay: overlay()}, F, theme())
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
    // the view turns on a stage, or a sub-step (SVD, + b) goes on inside one
    if (s.kind === 'projection' || s.from === s.to) return `${stepTitle(s.title, esc)}${t}`
    return `${heading(st[s.from])} &rarr; ${stepTitle(s.title, esc)}${t}`
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
      p.tourShown = attachTour(div, canvas, () => ({tour: F.tours[p.k], P: p.P}), () => { drawStage(p.k); bump() })
      dragger(canvas, () => F.spec.stages[p.k].dim >= 3, (dx, dy) => {
        const c = cams[p.k]; c[1] -= dx * 0.5; c[0] = Math.max(-90, Math.min(90, c[0] + dy * 0.5))
        drawStage(p.k); bump()
      })
      wheel(canvas, f => { zooms[p.k] = (zooms[p.k] || 1) * f; drawStage(p.k); bump() })
      panels.push(p)
    }
    spec.stages.forEach((s, k) => {
      const p = panels[k]
      p.head.innerHTML = panelHeading(s, spec.stages) + `<pre>${esc(s.weights.join('\n'))}${'\n'.repeat(Math.max(0, lines - s.weights.length))}</pre>`
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

  function liveNote(text) {  // a live update's line over the views ("": none)
    let p = notes.querySelector('#sw-live-note')
    if (!text) { if (p) p.remove(); return }
    if (!p) { p = document.createElement('p'); p.id = 'sw-live-note'; notes.appendChild(p) }
    p.textContent = text
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
    F.tours = makeTours(spec, specBlobs || [], F.stageBoxes)
    regions.setFilm(decodeRegions(spec, specBlobs || []))
    time.setSpec(spec, specBlobs || [])
    if (time.count) time.apply(F, spec.training.current)
    pub.stages = spec.stages.map(s => F.keys[s.key]); pub.dims = spec.stages.map(s => s.dim)
    pub.titles = spec.stages.map(s => s.title); pub.serial = spec.serial; pub.theme = spec.theme
    api.stages = spec.stages.length
    if (gl) { gl.resize(F.n); gl.setFilm(F) }
    if (+slider.value > spec.stages.length - 1) slider.value = spec.stages.length - 1
    build(); drawAll()
  }

  function selectSnapshot(s) {  // a training spec's snapshot s: its keys, colours and weights
    if (!F || !time.count) return
    time.apply(F, s)
    pub.stages = F.spec.stages.map(st => F.keys[st.key])
    if (gl) gl.setFilm(F)
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
    tour: pub.tour, panelOf: pub.panelOf,
    panel(k) { return pub.panels[k] },  // the coordinates last drawn in stage k's panel (n, 3)
    // the region outlines last drawn in the morph view: null when off or absent, else
    // {position, start (R + 1), points (V, 3)}; showRegions(on) is the Regions toggle
    regions() {
      return regions.last && {position: pub.morph.s, start: regions.G.start, points: regions.last}
    },
    showRegions(on) { regions.box.checked = !!on; regions.on = !!on; drawAll() },
    hoverAt(x, y) { const r = morphCanvas.getBoundingClientRect(); return hover(x - r.left, y - r.top) },
    setSpec, root,
    live(update) {  // new coordinates for this spec's keys (live.js); false if not for it
      if (!F || update.base !== F.spec.serial || !applyLive(F, update)) return false
      pub.stages = F.spec.stages.map(s => F.keys[s.key]); pub.live = update.serial
      if (gl) gl.setFilm(F)
      if (update.weights) build()
      liveNote(update.note || '')
      for (let k = 0; k < panels.length; k++) drawStage(k)
      drawMorph(+slider.value); bump()
      return true
    },
    // training specs: select snapshot s (drawn before it returns), the current one, how many,
    // and replace or append one snapshot's data (an entry of spec.training.snapshots)
    setSnapshot(s) {
      if (!F || !time.count) return
      time.stop(); selectSnapshot(s)
      if (gl && glOn()) gl.regl._gl.finish()
    },
    snapshot() { return time.count ? time.s : -1 },
    get snapshots() { return time.count },
    setSnapshotData(s, entry, entryBlobs) {
      time.setData(s, entry, entryBlobs)
      if (s === time.s) selectSnapshot(s); else time.show()
    },
    playTraining() { time.play() }, pauseTraining() { time.stop() },
    destroy() { ro.disconnect(); stop(); time.stop(); if (gl) gl.destroy(); root.remove() },
  }
  setSpec(spec, blobs)
  return api
}
