// The notebook widget's front (anywidget): spacewarp.render.widget.Widget's traits synced
// with the renderer (film.js's mount). Appended to the inlined renderer (render.browser's
// renderer_js), so `mount` is in scope; the spec comes as a trait and its arrays as binary
// buffers (DataViews), nothing from a CDN.
//
// Traits: spec (the film spec, its blobs as buffers), ids (Int32 per drawn point: its index
// in the trace, -1 for a training's probe grid), position, playing, selected, hovered,
// color (RGBA per drawn point, alpha 0: the film's own) and color_key (its colour bar or
// legend), regions, snapshot, error.

function bytesOf(view) {  // a DataView (or ArrayBuffer) -> a Uint8Array of its own, offset 0
  if (!view) return null
  const b = view.buffer || view, off = view.byteOffset || 0
  return new Uint8Array(b.slice(off, off + view.byteLength))
}

function idsOf(model) {  // drawn point -> trace index, and its inverse (a Map)
  const ids = new Int32Array(bytesOf(model.get('ids')).buffer), back = new Map()
  ids.forEach((t, i) => { if (t >= 0) back.set(t, i) })
  return {ids, back}
}

// the renderer on the spec trait, or null with a note: while the data has not all come
// (the spec, its buffers, the ids), or when it cannot be drawn
function mountFrom(model, el) {
  const spec = model.get('spec'), buffers = model.get('blobs') || [], ids = model.get('ids')
  if (!spec || !spec.stages || !buffers.length || !ids || !ids.byteLength) {
    el.textContent = 'spacewarp: waiting for the data from the kernel'; return null
  }
  try { return mount(el, spec, buffers.map(bytesOf), {morphHeight: 420}) }
  catch (e) { el.textContent = `spacewarp: this widget's data cannot be drawn (${e.message}); make it again`; return null }
}

// model -> view: position, playing, selection, colours, regions, snapshot
function listenModel(model, api, map) {
  const on = (name, f) => model.on(`change:${name}`, () => f(model.get(name)))
  on('position', p => { if (Math.abs(p - api.position) > 1e-9) api.show(p) })
  on('playing', p => { if (p && !api.playing) api.play(); else if (!p && api.playing) api.pause() })
  on('selected', sel => api.select(sel.map(t => map.back.get(t)).filter(i => i !== undefined)))
  const colors = () => api.setColors(bytesOf(model.get('color')), model.get('color_key'))
  on('color', colors); on('color_key', colors)
  on('regions', r => { if (r !== api.regionsOn) api.showRegions(r) })
  on('snapshot', s => { if (s !== api.snapshot()) api.setSnapshot(s) })
  on('error', text => api.note(text || ''))
}

// view -> model: what the user did, sent only when it changed
function listenView(model, api, map) {
  const sent = {}
  const put = (name, value, same) => {
    if (same ? same(model.get(name), value) : model.get(name) === value) return false
    model.set(name, value); return true
  }
  const sameList = (a, b) => a.length === b.length && a.every((v, i) => v === b[i])
  const sync = () => {
    // a training's probe grid is not picked: the view shows the pick as Python holds it
    const drawn = api.selected(), kept = drawn.filter(i => map.ids[i] >= 0)
    if (kept.length < drawn.length) api.select(kept)
    const picked = kept.map(i => map.ids[i]).sort((a, b) => a - b)
    const changed = [put('position', api.position), put('playing', api.playing),
      put('selected', picked, sameList), put('regions', api.regionsOn),
      put('snapshot', api.snapshots ? api.snapshot() : -1)].some(Boolean)
    if (changed) model.save_changes()
  }
  api.onChange(sync)
  api.root.addEventListener('pointermove', () => {
    const i = api.hovered(), t = i >= 0 ? map.ids[i] : -1
    if (sent.hovered !== t) { sent.hovered = t; model.set('hovered', t); model.save_changes() }
  })
}

// a restarted kernel leaves this view without a model: the widget manager marks the model
// dead (comm_live false), which it announces with 'comm_live_update' (anywidget passes
// model.on through; once drawn, the comm only ever goes from live to dead)
function watchKernel(model, api) {
  model.on('comm_live_update', () =>
    api.note('The kernel was restarted: this view no longer talks to Python. Run the cell again.'))
}

// a view drawn before its data came (a page restored, a slow kernel) draws once it has come;
// what was picked in Python meanwhile is shown then (showView)
function render({model, el}) {
  let api = showView(model, el)
  if (!api) {
    const later = () => { if (!api) { el.textContent = ''; api = showView(model, el) } }
    for (const name of ['spec', 'blobs', 'ids']) model.on(`change:${name}`, later)
  }
  return () => { if (api) api.destroy() }
}

function showView(model, el) {  // the renderer with the model's state, in sync; null: not yet
  const api = mountFrom(model, el)
  if (!api) return null
  const map = idsOf(model)
  api.show(model.get('position'))
  if (model.get('color')) api.setColors(bytesOf(model.get('color')), model.get('color_key'))
  const sel = model.get('selected')  // picked in Python before this view was drawn
  if (sel.length) api.select(sel.map(t => map.back.get(t)).filter(i => i !== undefined))
  if (api.hasRegions && model.get('regions') !== api.regionsOn) api.showRegions(model.get('regions'))
  if (api.snapshots && model.get('snapshot') >= 0) api.setSnapshot(model.get('snapshot'))
  if (model.get('error')) api.note(model.get('error'))
  listenModel(model, api, map); listenView(model, api, map); watchKernel(model, api)
  return api
}

export default {render}
