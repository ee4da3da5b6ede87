// The explorer's views: the shared renderer (render/js/film.js, prepended by canvas.py)
// fed the film spec that canvas.py sends as `data`. Tests read el.__spacewarp and wait
// for data-sw-version to change (both set by the renderer).

export function render({model, el}) {
  const box = document.createElement('div')
  let api = null
  const set = () => {
    const spec = model.data
    if (!spec || !spec.stages) return
    if (api) api.setSpec(spec, [])
    else api = mount(box, spec, [], {side: model.get_child('weights'), config: false})
  }
  model.on('data', set)
  model.on('remove', () => { if (api) api.destroy() })
  set()
  return box
}
