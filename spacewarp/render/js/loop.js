// The draw loop: each stage panel and the morph view drawn from the state (film.js's
// makeState) at a position on the film; sizes from the page's width. Interpolation only:
// spec.js locates the position, regions.js moves the outlines, marks.js the marked rows,
// draw.js draws a view.

import {locate, boxAt, lerp} from './spec.js'
import {drawView, colorKey} from './draw.js'
import {GlLayer} from './gl.js'
import {stepTitle, moveAlong, moveRows} from './regions.js'
import {overlays} from './marks.js'
import {heading, esc, panelColumns, setHtml, thinSliderNames, forgetNameWidths, fitWeights} from './page.js'
import {withOffset} from './camera.js'

const STAGE_H = 210, MORPH_H = 470, GRID_H = 360
const GL_FROM = 0  // points from which the morph view draws with WebGL (when there is one)

export function bump(st) {  // a new drawing: the version tests wait on
  st.version += 1; st.dom.root.dataset.swVersion = String(st.version)
  if (st.drawn) st.drawn()  // film.js's listeners (the notebook widget's sync)
}

export function drawStage(st, k) {  // stage k's panel, or its tour (tour.js) when turned by hand
  const F = st.F, s = F.spec.stages[k], tour = F.tours[k], p = st.panels[k], theme = F.spec.theme
  const turned = tour && tour.turned, pts = turned ? tour.points() : F.keys[s.key]
  // region outlines follow the film's projection: hidden while the view is turned by hand
  p.P = drawView(p.surface, {pts, box: F.stageBoxes[k], cam: st.cams[k],
    flat: s.dim < 3, oneD: s.dim === 1, zoom: st.zooms[k], axes: turned ? null : ownAxes(s),
    overlay: turned ? null : overlays(st.regions.overlay(s.key, s.key, 0, k, false),
                                     st.marks.overlay(s.key, s.key, 0, false))}, F, theme)
  if (tour) tour.draw(p.surface, p.P, theme, tour.active ?? -1)
  p.tourShown(tour, p.head, (F.spec.tours || [])[k]?.off); st.pub.panels[k] = pts
}

// stage s's axis names and true [lo, hi] per axis, from the spec (null: no names sent; no
// ranges sent: its box's)
function ownAxes(s) {
  return s.axes ? {names: s.axes, ranges: s.ranges || s.box} : null
}

// the axes of the stage the morph view rests on at position p when what it shows there is
// that stage's own key (its coordinates as its panel shows them), else null: between
// stages, and where the view shows a stage through the morph's shared projection
function restingAxes(F, at, p) {
  const k = Math.round(p)
  if (Math.abs(p - k) > 1e-9) return null
  const key = !at ? 0 : at.t <= 0 ? at.seg.start : at.t >= 1 ? at.seg.end : -1
  return key === F.spec.stages[k].key ? ownAxes(F.spec.stages[k]) : null
}

// the morph view at position p: points moved between the segment's keys into st.current
// (Float32Array(3 n), reused), and what drawView needs with them
function morphAt(st, p) {
  const F = st.F, first = F.spec.stages[0], at = locate(F, p), n = F.n
  const pts = st.current && st.current.length === 3 * n ? st.current : (st.current = new Float32Array(3 * n))
  const v = {pts, at, cam: [90, -90], box: F.stageBoxes[0], t: 0, stage: 0, arrows: null,
             oneD: first.dim === 1, overlay: () => overlays(st.regions.overlay(first.key, first.key, 0, 0, true),
                                    st.marks.overlay(first.key, first.key, 0, true))}
  if (!at) { pts.set(F.keys[0]); return v }
  const {seg, u, t} = at, c = seg.cameras
  moveAlong(pts, F.keys[seg.start], F.keys[seg.end], t, seg.rotation)
  v.t = t; v.box = boxAt(seg, u)
  v.cam = [lerp(c[0][0], c[1][0], t), lerp(c[0][1], c[1][1], t)]
  v.stage = Math.min(Math.floor(p), F.spec.stages.length - 2)
  if (seg.arrows) v.arrows = moveRows(seg.arrows, t, seg.rotation)
  v.oneD = F.keyDims[seg.start] === 1 && F.keyDims[seg.end] === 1
  v.overlay = () => overlays(
    st.regions.overlay(seg.start, seg.end, t, t < 0.5 ? seg.from : seg.to, true, seg.rotation),
    st.marks.overlay(seg.start, seg.end, t, true, seg.rotation))
  return v
}

export function drawMorph(st, p) {  // the morph view at position p (0: input, k: stage k)
  const F = st.F, dom = st.dom, theme = F.spec.theme
  p = Math.min(Math.max(+p || 0, 0), F.spec.stages.length - 1)
  const v = morphAt(st, p), cam = withOffset(v.cam, st.morphCam)
  const right = legendRoom(F.spec.color.legend)
  const gl = glOn(st) ? st.gl : null
  placeGl(st, gl !== null)
  drawView(st.morphSurface, {pts: v.pts, box: v.box, cam, flat: F.spec.dim < 3, big: true, right,
    oneD: v.oneD, zoom: st.zoom, arrows: v.arrows, gl, front: dom.front,
    overlay: v.overlay(), axes: restingAxes(F, v.at, p)}, F, theme)
  colorKey(st.morphSurface, F.colorKey || F.spec.color, theme)  // paint.js's, or the spec's
  setHtml(dom.morphTitle, morphTitle(F, v.at, p))
  st.pub.morph = {stage: v.stage, t: v.t, s: p, points: v.pts, camera: cam}
  dom.slider.value = String(p)
  thinSliderNames(dom, Math.round(p))
  if (dom.tip.style.display !== 'none') dom.tip.style.display = 'none'  // no style write per show
  return v.pts
}

// CSS px kept free on the right for the colour key: a bar's 80, a legend's 90 or what its
// longest name needs (about 6 px a character at 11 px)
const legendRoom = legend => !legend ? 80 : Math.max(90, 30 + 6 * Math.max(0, ...legend.map(r => r[1] === null ? 0 : r[0].length)))

function morphTitle(F, at, p) {  // the stage at rest, or the step under way and its t
  const st = F.spec.stages
  if (!at || at.t <= 0 && Math.abs(p - Math.round(p)) < 1e-9) return heading(st[Math.round(p)])
  if (at.t >= 1) return heading(st[Math.min(Math.ceil(p - 1e-9), st.length - 1)])
  const s = at.seg, t = ` <span class="sw-mod">t = ${at.t.toFixed(2)}</span>`
  // the view turns on a stage, or a sub-step (SVD, + b) goes on inside one
  if (s.kind === 'projection' || s.from === s.to) return `${stepTitle(s.title, esc)}${t}`
  return `${heading(st[s.from])} &rarr; ${stepTitle(s.title, esc)}${t}`
}

// the widths the views are laid out from (layoutViews)
const layoutWidths = dom => `${dom.row.clientWidth} ${dom.morphBox.clientWidth} ${dom.el.clientWidth}`

export function redrawIfResized(st) {  // the ResizeObserver's call: it also calls once on
  // observe, when the views are drawn at that size already; a draw of 1e6 points is costly
  if (st.F && layoutWidths(st.dom) !== st.laidOut) drawAll(st)
}

function layoutViews(st) {  // canvas sizes from the page's width
  const F = st.F, dom = st.dom, S = st.panels.length, grid = F.spec.layout === 'grid'
  st.laidOut = layoutWidths(dom); forgetNameWidths(dom)
  const width = dom.row.clientWidth || dom.el.clientWidth || 1200
  const cols = panelColumns(F.spec, S), pw = Math.floor((width - 4 * (cols - 1)) / cols)
  for (const p of st.panels) p.surface.size(pw, grid ? Math.min(GRID_H, pw) : Math.min(STAGE_H, Math.max(150, pw)))
  fitWeights(st.panels)
  const mw = Math.max(200, dom.morphBox.clientWidth || width * 0.6), mh = st.opts.morphHeight || MORPH_H
  st.morphSurface.size(mw, mh)
  const front = dom.frontCanvas, s = st.morphSurface
  front.width = s.w; front.height = s.h; front.style.width = mw + 'px'; front.style.height = mh + 'px'
  st.glPlaced = null  // the WebGL canvas is sized and shown again by the morph view's drawing
}

// the WebGL canvas over the morph view's 2-D one at its size, shown while in use
function placeGl(st, on) {
  if (st.glPlaced === on) return
  const s = st.morphSurface, css = s.canvas.style
  st.dom.glCanvas.style.display = on ? '' : 'none'
  if (on) st.gl.size(s.w, s.h, parseFloat(css.width), parseFloat(css.height))
  st.glPlaced = on
}

// WebGL for the morph view: from GL_FROM points, or as asked; never for a mount's first
// drawing (st.version 0), which is the canvas's: 1e6 one-pixel points cost it ~70 ms, where
// a first WebGL frame waits for a context and, in software GL (SwiftShader, no GPU), ~1 s
// of rasterising before the page is shown. prepareGl makes the context just after.
export function glOn(st) {
  const F = st.F
  if (st.useGl === false || (st.useGl === 'auto' && (!F || F.n < GL_FROM || !st.version))) return false
  if (!st.gl) { st.gl = GlLayer.make(st.dom.glCanvas); if (st.gl && F) { st.gl.resize(F.n); st.gl.setFilm(F) } }
  return st.gl !== null
}

// the WebGL layer made and given the film once the page is up (a task after the first
// drawing), so that the first show() or slider step does not wait for it
export function prepareGl(st) {
  setTimeout(() => { if (st.F && st.version) glOn(st) }, 0)
}

export function drawAll(st) {  // every panel and the morph view at the slider's position
  if (!st.F) return
  layoutViews(st)
  for (let k = 0; k < st.panels.length; k++) drawStage(st, k)
  drawMorph(st, +st.dom.slider.value); bump(st)
}

export function finishGl(st) {  // waits for the GPU to finish drawing (the test hooks' promise)
  if (st.gl && glOn(st)) st.gl.regl._gl.finish()
}
