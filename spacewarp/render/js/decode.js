// A film loaded into the state: the spec and its blobs decoded (spec.js, tour.js,
// regions.js, training.js's time axis), a training snapshot selected, a live update
// applied (live.js); then the page's text and every view drawn again.

import {decodeSpec} from './spec.js'
import {applyLive} from './live.js'
import {makeTours} from './tour.js'
import {decodeRegions} from './regions.js'
import {decodeMarks} from './marks.js'
import {fillPage, liveNote} from './page.js'
import {syncCameras} from './camera.js'
import {drawAll, drawStage, drawMorph, bump} from './loop.js'
import {stopPlay, ensurePanels} from './controls.js'
import {paint} from './paint.js'

function refill(st) {  // the panels, their cameras and the page's text for the film now
  ensurePanels(st)
  fillPage(st.dom, st.panels, st.F.spec, st.opts)
  syncCameras(st.cams, st.F.spec.stages)
}

function publish(st) {  // the test hooks' stage coordinates
  st.pub.stages = st.F.spec.stages.map(s => st.F.keys[s.key])
}

export function loadSpec(st, spec, blobs) {
  stopPlay(st)
  blobs = blobs || []
  const F = st.F = decodeSpec(spec, blobs)
  F.tours = makeTours(spec, blobs, F.stageBoxes)
  st.regions.setFilm(decodeRegions(spec, blobs))
  st.marks.setFilm(decodeMarks(spec, blobs))
  st.time.setSpec(spec, blobs)
  if (st.time.count) st.time.apply(F, spec.training.current)
  paint(st)  // the colour override and selection over the new colours
  const pub = st.pub
  publish(st); pub.dims = spec.stages.map(s => s.dim)
  pub.titles = spec.stages.map(s => s.title); pub.serial = spec.serial; pub.theme = spec.theme
  st.api.stages = spec.stages.length
  if (st.gl) { st.gl.resize(F.n); st.gl.setFilm(F) }
  const slider = st.dom.slider
  if (+slider.value > spec.stages.length - 1) slider.value = spec.stages.length - 1
  refill(st); drawAll(st)
}

export function loadSnapshot(st, s) {  // a training spec's snapshot s: its keys, colours and weights
  if (!st.F || !st.time.count) return
  st.time.apply(st.F, s)
  st.regions.setFilm(st.time.regions)  // the partition of the snapshot shown (round(s))
  paint(st)
  publish(st)
  if (st.gl) st.gl.setFilm(st.F)
  refill(st); drawAll(st)
}

export function loadLive(st, update) {  // new coordinates for this spec's keys; false if not for it
  const F = st.F
  if (!F || update.base !== F.spec.serial || !applyLive(F, update)) return false
  publish(st); st.pub.live = update.serial
  st.marks.setFilm(null)  // the marked rows were traced with the old network: hidden, not stale
  if (st.gl) st.gl.setFilm(F)
  if (update.weights) refill(st)
  liveNote(st.dom.notes, update.note || '')
  for (let k = 0; k < st.panels.length; k++) drawStage(st, k)
  drawMorph(st, +st.dom.slider.value); bump(st)
  return true
}
