// Hover on the morph view: the point nearest the pointer, its input coordinates and where
// it is now, in a tip beside it (draw.js's Surface keeps the screen positions last drawn).

// CSS pixels relative to the morph canvas -> the point's index (-1: none near), tip shown
export function hoverPoint(st, cx, cy) {
  const F = st.F, s = st.morphSurface, tip = st.dom.tip, canvas = st.dom.morphCanvas
  const i = s.nearest(cx * s.dpr, cy * s.dpr, F.n)
  if (i < 0) { tip.style.display = 'none'; return -1 }
  const d = F.inDim, dims = Math.max(...F.keyDims)
  const from = F.inputs || F.keys[F.spec.stages[0].key], stride = F.inputs ? d : 3
  const inp = Array.from(from.slice(stride * i, stride * i + d), v => +v.toFixed(3))
  const now = Array.from(st.current.slice(3 * i, 3 * i + Math.min(dims, 3)), v => +v.toFixed(3))
  tip.textContent = `point ${i}\ninput (${inp.join(', ')})\nnow   (${now.join(', ')})  at ${st.pub.morph.s.toFixed(2)}`
  tip.style.display = 'block'
  tip.style.left = (canvas.offsetLeft + s.sx[i] / s.dpr + 12) + 'px'
  tip.style.top = (canvas.offsetTop + s.sy[i] / s.dpr + 12) + 'px'
  tip.dataset.index = String(i)
  return i
}

export function wireHover(st) {  // not while dragging or playing
  const canvas = st.dom.morphCanvas
  canvas.addEventListener('pointermove', e => {
    if (!st.F || st.dragging() || st.playing) return
    const r = canvas.getBoundingClientRect()
    hoverPoint(st, e.clientX - r.left, e.clientY - r.top)
  })
  canvas.addEventListener('pointerleave', () => { st.dom.tip.style.display = 'none' })
}
