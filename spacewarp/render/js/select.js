// Picking points on the morph view: Shift + drag draws a lasso, Ctrl (or Cmd) + drag a
// box; the points drawn inside become the selection, which paint.js highlights in every
// stage and film.js's API hands to its listener (the notebook widget's `selected`).

import {element} from './page.js'

// a point (x, y) inside the polygon `poly` ([[x, y], ...], closed implicitly): even-odd rule
export function inside(poly, x, y) {
  let odd = false
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i], [xj, yj] = poly[j]
    if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) odd = !odd
  }
  return odd
}

function boxOf([x0, y0], [x1, y1]) {  // two corners -> the box as a polygon
  return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
}

// the drawn points (indices into the film's n) whose screen position lies in `poly`
// (CSS pixels relative to the morph canvas)
export function pointsIn(st, poly) {
  const s = st.morphSurface, n = st.F.n, dpr = s.dpr
  if (s.stale) s.screen(s.stale.P, s.stale.pts, n)
  const xs = poly.map(p => p[0]), ys = poly.map(p => p[1])
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)]
  const out = []
  for (let i = 0; i < n; i++) {
    const x = s.sx[i] / dpr, y = s.sy[i] / dpr
    if (x >= x0 && x <= x1 && y >= y0 && y <= y1 && inside(poly, x, y)) out.push(i)
  }
  return out
}

function drawOutline(canvas, poly) {  // the lasso or box under way, on a canvas of its own
  const g = canvas.getContext('2d'), dpr = window.devicePixelRatio || 1
  const r = canvas.getBoundingClientRect()
  canvas.width = Math.round(r.width * dpr); canvas.height = Math.round(r.height * dpr)
  if (!poly) return
  g.setTransform(dpr, 0, 0, dpr, 0, 0)
  g.strokeStyle = '#5ab4ff'; g.fillStyle = 'rgba(90, 180, 255, 0.12)'; g.lineWidth = 1.5
  g.setLineDash([5, 3]); g.beginPath()
  poly.forEach(([x, y], i) => i ? g.lineTo(x, y) : g.moveTo(x, y))
  g.closePath(); g.fill(); g.stroke()
}

// Shift/Ctrl + drag on the morph canvas; listeners run in the capture phase so that
// camera.js's drag and hover.js never see a picking drag. done(indices) gets the result.
export function wireSelect(st, done) {
  const canvas = st.dom.morphCanvas
  const layer = element('canvas', 'sw-front sw-pick', canvas.parentElement)
  layer.style.width = '100%'; layer.style.height = '100%'
  let mode = null, path = []
  const at = e => { const r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top] }
  canvas.addEventListener('pointerdown', e => {
    if (!(e.shiftKey || e.ctrlKey || e.metaKey)) return
    e.stopImmediatePropagation(); e.preventDefault()
    if (!st.F) { st.pickNote('the data has not arrived yet: pick again once the points are drawn'); return }
    mode = e.shiftKey ? 'lasso' : 'box'; path = [at(e)]
    canvas.setPointerCapture(e.pointerId)
  }, {capture: true})
  canvas.addEventListener('pointermove', e => {
    if (!mode) return
    e.stopImmediatePropagation()
    if (mode === 'lasso') path.push(at(e)); else path[1] = at(e)
    drawOutline(layer, mode === 'box' ? boxOf(path[0], path[1] || path[0]) : path)
  }, {capture: true})
  const end = e => {
    if (!mode) return
    e.stopImmediatePropagation()
    const poly = mode === 'box' ? boxOf(path[0], path[1] || path[0]) : path
    mode = null; drawOutline(layer, null)
    done(poly.length >= 3 ? pointsIn(st, poly) : [])
  }
  canvas.addEventListener('pointerup', end, {capture: true})
  canvas.addEventListener('pointercancel', end, {capture: true})
}
