// spacewarp's browser renderer: draws any film spec (spacewarp.render.browser.film_spec).
// It only interpolates: every coordinate array, box, camera, easing and the Play clock
// come from Python (spacewarp.view.film); a wide stage turned by hand (tour.js) is the one
// product computed here, its points times the dragged basis. Used by the offline page, the
// notebook and the explorer. `mount(el, spec, blobs, opts)` returns the public API (window.spacewarp on
// pages): stages, show(position), play(), pause(), input(i), the colours and selection (setColors,
// select, onChange: what the notebook widget syncs), and test hooks.
//
// The modules, each given the one state object made here: page.js (elements, text),
// decode.js (a spec, snapshot or live update loaded), loop.js (drawing), camera.js,
// controls.js (Play, slider, drag, wheel), hover.js, regions.js, training.js (time axis),
// paint.js (colour override, selection highlight), select.js (lasso and box picking).

import {Surface} from './draw.js'
import {TimeAxis} from './training.js'
import {RegionsLayer} from './regions.js'
import {MarksLayer} from './marks.js'
import {makePage} from './page.js'
import {drawAll, drawMorph, bump, glOn, finishGl, redrawIfResized, prepareGl} from './loop.js'
import {wireControls, startPlay, stopPlay} from './controls.js'
import {hoverPoint, wireHover, inputOf, nearestRow} from './hover.js'
import {loadSpec, loadSnapshot, loadLive} from './decode.js'
import {makePaint, paint} from './paint.js'
import {wireSelect} from './select.js'
import {liveNote} from './page.js'

// everything the modules share: the page's elements (dom), the decoded film (F, null until
// a spec is loaded), the panels, cameras and zooms, Play, WebGL, and the test hooks (pub)
function makeState(el, opts) {
  const dom = makePage(el, opts), cams = []
  const st = {el, opts, dom, F: null, panels: [], version: 0, playing: null, current: null,
    cams, zooms: [], morphCam: [0, 0], zoom: 1, morphSurface: new Surface(dom.morphCanvas),
    gl: null, useGl: opts.gl === undefined ? 'auto' : opts.gl,  // 'auto': WebGL from loop.js's GL_FROM
    dragging: () => false, api: null, paint: makePaint(), listeners: [],
    drawn: () => { for (const f of st.listeners) f() },  // after every drawing (loop.js's bump), and when Play stops
    pickNote: text => liveNote(dom.notes, text),
    pub: {stages: [], dims: [], titles: [], cameras: cams, morph: null, serial: -1, panels: []}}
  st.time = new TimeAxis(dom.morphBox, dom.controls, s => loadSnapshot(st, s))  // training specs only
  st.regions = new RegionsLayer(dom.regionsRow, () => drawAll(st))
  st.marks = new MarksLayer(dom.regionsRow)  // a slice's anchors and data rows (marks.js)
  return st
}

function testHooks(st) {  // root.__spacewarp: tour.js's Tour of stage k (null up to 3-D), and
  const pub = st.pub
  pub.tour = k => st.F.tours[k]
  pub.panelOf = (k, xyz) => {  // the CSS position of display coordinates in stage k's panel
    const p = st.panels[k], r = p.canvas.getBoundingClientRect(), [x, y] = p.P.project(...xyz)
    return [r.left + x / p.surface.dpr, r.top + y / p.surface.dpr]
  }
  pub.regions = () => st.api.regions()  // the outlines last drawn (see api.regions)
  pub.marks = () => st.marks.last  // the marked rows last drawn in the morph view (3 m)
  pub.insets = () => st.marks.insets  // the anchors' images last drawn there: [x, y, block]
  pub.screenOf = i => st.api.screenOf(i)  // drawn point i's CSS position in the morph view
  pub.colors = () => st.F.colors  // the colours drawn (ABGR per point: paint.js's)
  st.dom.root.__spacewarp = pub
}

export function mount(el, spec, blobs = [], opts = {}) {
  const st = makeState(el, opts)
  testHooks(st); wireControls(st); wireHover(st)
  wireSelect(st, drawnIndices => { st.api.select(drawnIndices); st.drawn() })
  const ro = new ResizeObserver(() => redrawIfResized(st))
  ro.observe(st.dom.root)
  st.api = publicApi(st, () => { ro.disconnect(); stopPlay(st); st.time.stop(); if (st.gl) st.gl.destroy(); st.dom.root.remove() })
  loadSpec(st, spec, blobs); prepareGl(st)
  return st.api
}

function publicApi(st, destroy) {
  const api = {
    stages: 0,
    show(position) {  // draws before it returns (WebGL: waits for the GPU to finish)
      if (!st.F) return
      stopPlay(st); drawMorph(st, position); bump(st); finishGl(st)
    },
    play: () => startPlay(st), pause: () => stopPlay(st),
    // the input drawn point i stands for, a plain array: D numbers on a slice (origin + u @ axes)
    input: i => st.F ? inputOf(st.F, i) : null,
    get playing() { return st.playing !== null },
    get renderer() { return glOn(st) ? 'webgl' : 'canvas' },
    useWebGL(on) { st.useGl = on; drawAll(st) },  // true, false or "auto"
    setSpec: (spec, blobs) => loadSpec(st, spec, blobs), root: st.dom.root,
    live: update => loadLive(st, update),  // new coordinates for this spec's keys (live.js)
    // training specs: select snapshot s (drawn before it returns), the current one, how many,
    // and replace or append one snapshot's data (an entry of spec.training.snapshots)
    setSnapshot(s) {
      if (!st.F || !st.time.count) return
      st.time.stop(); loadSnapshot(st, s); finishGl(st)
    },
    snapshot() { return st.time.count ? st.time.s : -1 },
    get snapshots() { return st.time.count },
    setSnapshotData(s, entry, entryBlobs) {
      st.time.setData(s, entry, entryBlobs)
      if (s === st.time.s) loadSnapshot(st, s); else st.time.show()
    },
    playTraining() { st.time.play() }, pauseTraining() { st.time.stop() },
    destroy,
  }
  Object.defineProperties(api, Object.getOwnPropertyDescriptors(paintApi(st)))
  return Object.defineProperties(api, Object.getOwnPropertyDescriptors(hookApi(st)))
}

// the colours and the selection, by drawn point (0 .. n - 1), and what the widget listens to
function paintApi(st) {
  const repaint = () => { paint(st); if (st.gl && st.F) st.gl.setFilm(st.F); drawAll(st); finishGl(st) }
  return {
    // rgba: Uint8Array(4 n), a colour per drawn point (alpha 0: the film's own), null: none;
    // key: their colour bar or legend ({table, bar, legend}, as spec.color's)
    setColors(rgba, key) {
      st.paint.override = rgba ? new Uint32Array(rgba.buffer, rgba.byteOffset, rgba.length >> 2) : null
      st.paint.key = key || {bar: null, legend: []}; repaint()
    },
    select(indices) {  // the picked points, highlighted in every stage; [] clears
      const n = st.F ? st.F.n : 0, mask = indices.length ? new Uint8Array(n) : null
      for (const i of indices) if (mask && i >= 0 && i < n) mask[i] = 1
      st.paint.mask = mask; st.pickNote(''); repaint()
    },
    selected() {  // the drawn indices picked, ascending
      const m = st.paint.mask, out = []
      if (m) for (let i = 0; i < m.length; i++) if (m[i]) out.push(i)
      return out
    },
    hovered() { const tip = st.dom.tip; return tip.style.display === 'block' ? +tip.dataset.index : -1 },
    get regionsOn() { return !!(st.regions.G && st.regions.on) },
    get hasRegions() { return !!st.regions.G },
    get position() { return st.pub.morph ? st.pub.morph.s : 0 },
    onChange(f) { st.listeners.push(f) },  // f() after every drawing, pick and stop of Play
    note: text => liveNote(st.dom.notes, text),  // a line over the views ('': none)
  }
}

// test hooks: the coordinates last drawn in the morph view (n, 3), a stage's decoded
// coordinates, the CSS position of point i on the page, and hover at a CSS position
function hookApi(st) {
  const canvas = st.dom.morphCanvas
  return {
    drawn() { return {position: st.pub.morph.s, points: st.current} },
    stage(k) { return st.F.keys[st.F.spec.stages[k].key] },
    screenOf(i) {
      const r = canvas.getBoundingClientRect(), s = st.morphSurface
      if (s.stale) s.screen(s.stale.P, s.stale.pts, st.F.n)
      return [r.left + s.sx[i] / s.dpr, r.top + s.sy[i] / s.dpr]
    },
    tour: st.pub.tour, panelOf: st.pub.panelOf,
    panel(k) { return st.pub.panels[k] },  // the coordinates last drawn in stage k's panel (n, 3)
    // the region outlines last drawn in the morph view: null when off or absent, else
    // {position, start (R + 1), points (V, 3)}; showRegions(on) is the Regions toggle
    regions() {
      const R = st.regions
      return R.last && {position: st.pub.morph.s, start: R.G.start, points: R.last}
    },
    showRegions(on) { st.regions.box.checked = !!on; st.regions.on = !!on; drawAll(st) },
    hoverAt(x, y) { const r = canvas.getBoundingClientRect(); return hoverPoint(st, x - r.left, y - r.top) },
    nearest: i => nearestRow(st.F, i),  // on a slice: {row, label, distance} of drawn point i
  }
}
