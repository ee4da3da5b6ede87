// The controls: Play and Pause along the film's clock (from Python) at the chosen speed,
// the stage slider, and the pointer on the views (a drag turns a 3-D view's camera, the
// wheel zooms, a stage panel's tour handles turn a wide stage by hand).

import {clockAt, timeOf} from './spec.js'
import {Surface} from './draw.js'
import {attachTour} from './tour.js'
import {element} from './page.js'
import {onDrag, onWheel, turnCamera} from './camera.js'
import {drawStage, drawMorph, bump} from './loop.js'

export function stopPlay(st) {
  if (st.playing) { cancelAnimationFrame(st.playing.raf); st.playing = null; stopped(st) }
}

function stopped(st) {  // the button says Play again; film.js's listeners hear it
  st.dom.play.textContent = '\u25b6 Play'
  if (st.drawn) st.drawn()
}

export function startPlay(st) {  // from the slider's position (from 0 at the end) to the end
  if (st.playing || !st.F) return
  const dom = st.dom, S = st.F.spec.stages.length, clock = st.F.spec.clock
  if (+dom.slider.value >= S - 1) dom.slider.value = 0
  let seconds = timeOf(clock, +dom.slider.value), prev = performance.now()
  const end = clock[clock.length - 1][0]
  dom.play.textContent = '\u275a\u275a Pause'
  const tick = now => {
    seconds += (now - prev) / 1000 * +dom.speed.value; prev = now
    drawMorph(st, clockAt(clock, seconds)); bump(st)
    if (seconds >= end) { st.playing = null; stopped(st); return }
    st.playing.raf = requestAnimationFrame(tick)
  }
  st.playing = {raf: requestAnimationFrame(tick)}
}

// the morph view's drag and wheel, the slider and Play; st.dragging() tells hover.js
export function wireControls(st) {
  const dom = st.dom, redraw = () => { drawMorph(st, +dom.slider.value); bump(st) }
  st.dragging = onDrag(dom.morphCanvas, () => st.F && st.F.spec.dim >= 3, (dx, dy) => {
    st.morphCam[1] -= dx * 0.5; st.morphCam[0] += dy * 0.5; redraw()
  })
  onWheel(dom.morphCanvas, () => st.F, f => { st.zoom *= f; redraw() })
  dom.slider.addEventListener('input', () => { if (st.F) { stopPlay(st); redraw() } })
  dom.play.addEventListener('click', () => { if (st.playing) stopPlay(st); else startPlay(st) })
}

// one panel per stage of the spec: new ones get their tour handles, camera drag and zoom
export function ensurePanels(st) {
  const S = st.F.spec.stages.length, panels = st.panels
  while (panels.length > S) panels.pop().div.remove()
  while (panels.length < S) {
    const div = element('div', 'sw-panel', st.dom.row), head = element('div', 'sw-head', div)
    const canvas = element('canvas', '', div)
    const p = {div, head, canvas, surface: new Surface(canvas), k: panels.length}
    const redraw = () => { drawStage(st, p.k); bump(st) }
    // the tour's handles first: a press on one is not also a camera drag
    p.tourShown = attachTour(div, canvas, () => ({tour: st.F.tours[p.k], P: p.P}), redraw)
    onDrag(canvas, () => st.F && st.F.spec.stages[p.k].dim >= 3, (dx, dy) => {
      turnCamera(st.cams[p.k], dx, dy); redraw()
    })
    onWheel(canvas, () => st.F, f => { st.zooms[p.k] = (st.zooms[p.k] || 1) * f; redraw() })
    panels.push(p)
  }
}
