// Exact linear regions drawn through the network, and the matrices of SVD sub-steps in
// titles. Python sends every region's outline at every film key
// (spacewarp.render.browser_regions): here they are only interpolated, with the points'
// segment and easing (they are the same affine images), and drawn over the points.

import {typed} from './spec.js'

export function decodeRegions(spec, blobs) {  // -> null, or outlines per key and colours
  const R = spec.regions
  if (!R) return null
  const count = typed(R.count, blobs), start = new Int32Array(count.length + 1)
  for (let r = 0; r < count.length; r++) start[r + 1] = start[r] + count[r]
  const keys = R.keys.map(k => {  // (V, d) -> Float32Array(3 V), zero padded
    const a = typed(k, blobs), [v, d] = k.shape, out = new Float32Array(3 * v)
    for (let i = 0; i < v; i++) for (let j = 0; j < d; j++) out[3 * i + j] = a[d * i + j]
    return out
  })
  const colors = typed(R.colors, blobs), [S, n] = R.colors.shape
  return {count, start, keys, colors, S, n, alpha: R.alpha, title: R.title, bar: R.bar,
          fill: R.fill}
}

function caption(G) {
  const fill = G.fill === 'area' && G.bar
    ? ` \u00b7 fill: log10 area change of each region's map (blue shrinks, red grows, ` +
      `${G.bar.lo.toFixed(1)} to ${G.bar.hi.toFixed(1)}; none: collapsed)`
    : ' \u00b7 fill: one colour per region, the same in every stage'
  return G.title + fill
}

export class RegionsLayer {  // the Regions toggle and the outlines drawn over a view
  constructor(controls, onToggle) {
    this.on = true; this.G = null; this.last = null
    this.label = document.createElement('label'); this.label.className = 'sw-regions'
    this.label.innerHTML = '<input type="checkbox" class="sw-regions-toggle" checked> Regions'
    this.box = this.label.querySelector('input')
    this.box.addEventListener('change', () => { this.on = this.box.checked; onToggle() })
    this.text = document.createElement('span'); this.text.className = 'sw-regions-title'
    this.label.append(this.text)
    controls.append(this.label)
  }
  setFilm(G) {
    this.G = G; this.last = null
    this.label.style.display = G ? '' : 'none'
    this.text.textContent = G ? ' ' + caption(G) : ''
  }
  // an overlay for drawView: the outlines at key a, moved towards key b by t, filled
  // with stage `stage`'s colours; `record` keeps them for the test hook
  overlay(a, b, t, stage, record) {
    const G = this.G
    if (!G || !this.on) { if (record) this.last = null; return null }
    const A = G.keys[a], B = G.keys[b], pts = new Float32Array(A.length)
    for (let i = 0; i < A.length; i++) pts[i] = A[i] + t * (B[i] - A[i])
    if (record) this.last = pts
    const s = G.S === 1 ? 0 : Math.min(stage, G.S - 1)
    return (ctx, P, dpr, theme) => drawOutlines(ctx, P, G, pts, s, dpr, theme)
  }
}

function drawOutlines(ctx, P, G, pts, s, dpr, theme) {
  const {start, colors, n} = G
  ctx.save(); ctx.lineWidth = Math.max(1, 0.8 * dpr); ctx.lineJoin = 'round'
  for (let r = 0; r < n; r++) {
    ctx.beginPath()
    for (let i = start[r]; i < start[r + 1]; i++) {
      const q = P.project(pts[3 * i], pts[3 * i + 1], pts[3 * i + 2])
      if (i === start[r]) ctx.moveTo(q[0], q[1]); else ctx.lineTo(q[0], q[1])
    }
    ctx.closePath()
    const o = 4 * (s * n + r)
    if (colors[o + 3]) {
      ctx.globalAlpha = G.alpha; ctx.fillStyle = `rgb(${colors[o]},${colors[o + 1]},${colors[o + 2]})`
      ctx.fill()
    }
    ctx.globalAlpha = 0.75; ctx.strokeStyle = theme.foreground; ctx.stroke()
  }
  ctx.restore()
}

export function stepTitle(text, esc) {  // "title\nM = [..]": the title, then its matrix
  const [head, ...rest] = String(text).split('\n')
  return `<b>${esc(head)}</b>` + rest.map(r => ` <code class="sw-matrix">${esc(r)}</code>`).join('')
}
