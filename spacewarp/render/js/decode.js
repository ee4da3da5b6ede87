// A film loaded into the state: the spec and its blobs decoded (spec.js, tour.js,
// regions.js, training.js's time axis), a training snapshot selected, a live update
// applied (live.js); then the page's text and every view drawn again.

import {decodeSpec, base64Bytes} from './spec.js'
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

// arrays by id (the explorer's): a copy of `spec` whose inline arrays (base64, or `bin`:
// bytes the explorer sent as a binary buffer) are decoded once, into `blobs`, and whose
// arrays sent as `same` (unchanged since the last spec: Python's render.blobs.drop_known) are the bytes kept from it; `arrays` (Map id -> bytes) then
// holds this spec's. Specs without ids (pages, the widget) pass through as they are
function withArrays(spec, blobs, arrays) {
  if (!arrays) return [spec, blobs]
  const out = blobs.slice(), kept = new Map()
  const take = d => {
    const bytes = d.same ? arrays.get(d.id) : d.bin !== undefined ? binBytes(d.bin) : base64Bytes(d.b64)
    if (!bytes) throw new Error(`array ${d.id} was sent as unchanged, but the last spec had no such array`)
    if (d.id) kept.set(d.id, bytes)
    const {b64, bin, same, ...rest} = d
    out.push(bytes); return {...rest, blob: out.length - 1}
  }
  const copy = v => !v || typeof v !== 'object' ? v : Array.isArray(v) ? v.map(copy)
    : v.dtype && v.shape && (v.b64 !== undefined || v.bin !== undefined || v.same) ? take(v)
    : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]))
  const spec2 = copy(spec)
  arrays.clear(); for (const [id, bytes] of kept) arrays.set(id, bytes)
  return [spec2, out]
}

// an array's bytes sent as a binary buffer (Bokeh: an ArrayBuffer, or a view of one)
const binBytes = b => ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(b)

// the last film's Tour of stage k, kept where the new spec sends the same points (by id:
// the explorer's) in the same box from the same basis: a colour change decodes nothing
// again, and a view turned by hand stays turned
function keptTour(old, F) {
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b)
  return (t, k) => {
    const was = old && (old.spec.tours || [])[k]
    if (!was || !was.data || !t.data.id || was.data.id !== t.data.id) return null
    const keep = same(was.basis, t.basis) && same(old.stageBoxes[k], F.stageBoxes[k])
    return keep ? old.tours[k] : null
  }
}

export function loadSpec(st, spec, blobs) {
  stopPlay(st);
  [spec, blobs] = withArrays(spec, blobs || [], st.opts.arrays)
  const last = st.F, F = st.F = decodeSpec(spec, blobs)
  F.tours = makeTours(spec, blobs, F.stageBoxes, keptTour(last, F))
  st.regions.setFilm(decodeRegions(spec, blobs))
  st.marks.setFilm(decodeMarks(spec, blobs))
  st.time.setSpec(spec, blobs)
  if (st.time.count) {
    st.time.apply(F, spec.training.current)
    st.regions.setFilm(st.time.regions, st.time.regionsNote)  // held ones resolved there
  }
  st.marks.follow(F.keys)  // a slice's anchors that are the film's last points (the snapshot's)
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
  st.marks.follow(st.F.keys)
  st.regions.setFilm(st.time.regions, st.time.regionsNote)  // the snapshot shown (round(s))
  paint(st)
  publish(st)
  if (st.gl) st.gl.setFilm(st.F)
  refill(st); drawAll(st)
}

export function loadLive(st, update) {  // new coordinates for this spec's keys; false if not for it
  const F = st.F
  if (!F || update.base !== F.spec.serial || !applyLive(F, update)) return false
  publish(st); st.pub.live = update.serial
  // a slice's anchors that are the film's last points follow them (the explorer's training
  // specs); marked rows traced apart, with the old network, are hidden, not drawn stale
  if (!st.marks.follow(F.keys)) st.marks.setFilm(null)
  if (st.gl) st.gl.setFilm(F)
  if (update.weights) refill(st)
  liveNote(st.dom.notes, update.note || '')
  for (let k = 0; k < st.panels.length; k++) drawStage(st, k)
  drawMorph(st, +st.dom.slider.value); bump(st)
  return true
}
