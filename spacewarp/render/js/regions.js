// Exact linear regions drawn through the network, and the matrices of SVD sub-steps in
// titles. Python sends every region's outline at every film key
// (spacewarp.render.browser_regions): here they are only interpolated, with the points'
// segment and easing (they are the same affine images), and drawn over the points.

import {coords, typed} from './spec.js'

// -> null, or outlines per key and colours; `spec.regions`: a trace page's, or a training
// snapshot's (training.js: its outlines, int16 keys like its points)
export function decodeRegions(spec, blobs) {
  const R = spec.regions
  if (!R || R.held !== undefined) return null  // a training snapshot's stand-in: training.js
  const count = typed(R.count, blobs), start = new Int32Array(count.length + 1)
  for (let r = 0; r < count.length; r++) start[r + 1] = start[r] + count[r]
  // (V, d) -> Float32Array(3 V), zero padded; a training snapshot's keys hold each vertex
  // once, and `index` gives each corner's (spacewarp.view.outline_thinning)
  const index = R.index ? typed(R.index, blobs) : null
  const keys = R.keys.map(k => index ? corners(coords(k, blobs), index) : coords(k, blobs))
  const colors = typed(R.colors, blobs), [S, n] = R.colors.shape
  // outlines fainter as regions multiply, so thousands of them do not whiten the view
  const lineAlpha = Math.min(0.75, Math.max(0.12, 0.75 * Math.sqrt(100 / Math.max(n, 1))))
  return {count, start, keys, colors, S, n, alpha: R.alpha, title: R.title, bar: R.bar,
          fill: R.fill, lineAlpha}
}

function corners(unique, index) {  // Float32Array(3 U), indices (V) -> Float32Array(3 V)
  const out = new Float32Array(3 * index.length)
  for (let i = 0; i < index.length; i++) {
    const j = 3 * index[i]
    out[3 * i] = unique[j]; out[3 * i + 1] = unique[j + 1]; out[3 * i + 2] = unique[j + 2]
  }
  return out
}

function caption(G) {
  if (G.fill === 'none') return G.title + ' \u00b7 outlines only'
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
  setFilm(G, note) {  // note: why there are no outlines to draw (then G is null)
    this.G = G; this.last = null
    this.label.style.display = G || note ? '' : 'none'
    this.text.textContent = G ? ' ' + caption(G) : note ? ' ' + note : ''
  }
  // an overlay for drawView: the outlines at key a, moved towards key b by t, filled
  // with stage `stage`'s colours; `record` keeps them for the test hook
  overlay(a, b, t, stage, record, rotation) {
    const G = this.G
    if (!G || !this.on) { if (record) this.last = null; return null }
    const A = G.keys[a], pts = moveAlong(new Float32Array(A.length), A, G.keys[b], t, rotation)
    if (record) this.last = pts
    const s = G.S === 1 ? 0 : Math.min(stage, G.S - 1)
    return {under: (ctx, P) => paths(ctx, P, G, pts, r => fill(ctx, G, s, r)),
            over: (ctx, P, dpr, theme) => {  // outlines; a 1-D input's pieces in colour
              ctx.save(); ctx.lineJoin = 'round'
              paths(ctx, P, G, pts, r => {
                const piece = G.count[r] === 2, o = 4 * (s * G.n + r), c = G.colors
                ctx.lineWidth = (piece ? 3 : 0.8) * dpr; ctx.globalAlpha = piece ? 0.9 : G.lineAlpha
                ctx.strokeStyle = piece ? `rgb(${c[o]},${c[o + 1]},${c[o + 2]})` : theme.foreground
                ctx.stroke()
              })
              ctx.restore()
            }}
  }
}

function paths(ctx, P, G, pts, each) {  // every region's outline as a path, then each(r)
  const {start, n} = G
  for (let r = 0; r < n; r++) {
    ctx.beginPath()
    for (let i = start[r]; i < start[r + 1]; i++) {
      const q = P.project(pts[3 * i], pts[3 * i + 1], pts[3 * i + 2])
      if (i === start[r]) ctx.moveTo(q[0], q[1]); else ctx.lineTo(q[0], q[1])
    }
    ctx.closePath(); each(r)
  }
}

function fill(ctx, G, s, r) {  // stage s's colour of region r; none where it collapsed
  const o = 4 * (s * G.n + r), c = G.colors
  if (!c[o + 3]) return
  ctx.globalAlpha = G.alpha; ctx.fillStyle = `rgb(${c[o]},${c[o + 1]},${c[o + 2]})`
  ctx.fill(); ctx.globalAlpha = 1
}

export function stepTitle(text, esc) {  // "title\nM = [..]": the title, then its matrix
  const [head, ...rest] = String(text).split('\n')
  return `<b>${esc(head)}</b>` + rest.map(r => ` <code class="sw-matrix">${esc(r)}</code>`).join('')
}

// --- SVD rotation sub-steps: along the turn's arc, not the chord (view/svd.py) -------------

function turnAt(gen, t) {  // expm(t L) for a 2x2 or 3x3 skew-symmetric L, as rows of 3
  if (gen.length === 2) {
    const a = t * gen[1][0], c = Math.cos(a), s = Math.sin(a)
    return [[c, -s, 0], [s, c, 0], [0, 0, 1]]
  }
  const w = [gen[2][1], gen[0][2], gen[1][0]], ang = t * Math.hypot(...w)
  const R = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
  if (ang < 1e-15) return R
  const n = Math.hypot(...w), [x, y, z] = w.map(v => v / n)
  const K = [[0, -z, y], [z, 0, -x], [-y, x, 0]], s = Math.sin(ang), c = 1 - Math.cos(ang)
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    let kk = 0
    for (let m = 0; m < 3; m++) kk += K[i][m] * K[m][j]
    R[i][j] += s * K[i][j] + c * kk
  }
  return R
}

// points (3 m, xyz each) at t: straight from A to B, or A turned by expm(t L) when the
// segment is a rotation; the ends are A and B exactly
export function moveAlong(out, A, B, t, rotation) {
  if (t >= 1) { out.set(B.subarray(0, out.length)); return out }
  if (!rotation || t <= 0) {  // one flat loop, no test inside: 3e6 numbers at 1e6 points
    for (let i = 0; i < out.length; i++) out[i] = A[i] + t * (B[i] - A[i])
    return out
  }
  return turnPoints(out, A, B, t, turnAt(rotation, t), rotation.length)
}

// A's rows (xyz) turned by R (3x3 rows) in its first r axes, the rest straight from A to B;
// R's entries in locals: the per-point loop reads no nested arrays
function turnPoints(out, A, B, t, R, r) {
  const [[a0, a1, a2], [b0, b1, b2], [c0, c1, c2]] = R
  for (let i = 0; i < out.length; i += 3) {
    const x = A[i], y = A[i + 1], z = A[i + 2]
    if (r === 3) {
      out[i] = a0 * x + a1 * y + a2 * z; out[i + 1] = b0 * x + b1 * y + b2 * z
      out[i + 2] = c0 * x + c1 * y + c2 * z
    } else {
      out[i] = a0 * x + a1 * y; out[i + 1] = b0 * x + b1 * y; out[i + 2] = z + t * (B[i + 2] - z)
    }
  }
  return out
}

export function moveRows(ends, t, rotation) {  // the basis arrows' [start rows, end rows]
  const [a, b] = ends, d = a[0].length
  const pad = rows => Float32Array.from(rows.flatMap(r => [0, 1, 2].map(j => j < d ? r[j] : 0)))
  const out = moveAlong(new Float32Array(3 * a.length), pad(a), pad(b), t, rotation)
  return a.map((_, i) => Array.from(out.slice(3 * i, 3 * i + d)))
}
