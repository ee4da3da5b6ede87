// The cameras: each stage panel's and the morph view's (elevation, azimuth) in degrees,
// turned by dragging, and their zoom, changed by the wheel. Python sends each stage's
// camera at rest and the morph's along the film; the drag adds an offset to those.

// per stage its camera, reset to the spec's when the stage is new or changes dimension;
// `cams` is kept (the test hooks hold it), cut to the spec's stages
export function syncCameras(cams, stages) {
  stages.forEach((s, k) => {
    if (!cams[k] || cams[k].dim !== s.dim) { cams[k] = [...s.camera]; cams[k].dim = s.dim }
  })
  cams.length = stages.length
}

export function turnCamera(cam, dx, dy) {  // a drag by (dx, dy) CSS pixels turns `cam` in place
  cam[1] -= dx * 0.5; cam[0] = Math.max(-90, Math.min(90, cam[0] + dy * 0.5))
}

export function withOffset(cam, offset) {  // the film's camera plus the user's drag, elevation clamped
  return [Math.max(-90, Math.min(90, cam[0] + offset[0])), cam[1] + offset[1]]
}

// pointer drags on `canvas` while active() call move(dx, dy) in CSS pixels; returns
// dragging(): whether a drag is under way
export function onDrag(canvas, active, move) {
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
  return () => last !== null
}

export function onWheel(canvas, active, zoomBy) {  // the wheel zooms by a factor (> 1: closer)
  canvas.addEventListener('wheel', e => {
    if (!active()) return
    e.preventDefault(); zoomBy(Math.exp(-e.deltaY * 0.0015))
  }, {passive: false})
}
