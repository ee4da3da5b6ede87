// The film spec decoded, and what the renderer interpolates: position -> segment, box,
// Play clock. Everything here comes from Python (spacewarp.view.film); nothing is computed
// that Python did not send.

// base64 text -> Uint8Array, decoded once into one buffer: the browser's own decoder where
// it has one (Uint8Array.fromBase64: Chromium 140, Firefox 133, Safari 18.2), else a table
// decoder writing straight into the preallocated bytes (atob and a copy per character
// took twice the memory and ~4x the time). Text is whole 4-character groups ('=' padded)
export function base64Bytes(text) {
  if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(text)
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
  const out = new Uint8Array(text.length / 4 * 3 - pad), full = out.length - out.length % 3
  let i = 0, o = 0
  for (; o < full; i += 4, o += 3) {  // four 6-bit groups -> three bytes
    const v = B64[text.charCodeAt(i)] << 18 | B64[text.charCodeAt(i + 1)] << 12 |
              B64[text.charCodeAt(i + 2)] << 6 | B64[text.charCodeAt(i + 3)]
    out[o] = v >> 16; out[o + 1] = v >> 8; out[o + 2] = v
  }
  if (o < out.length) {  // the last one or two bytes, from a group padded with '='
    const v = B64[text.charCodeAt(i)] << 18 | B64[text.charCodeAt(i + 1)] << 12 | B64[text.charCodeAt(i + 2)] << 6
    out[o] = v >> 16; if (o + 1 < out.length) out[o + 1] = v >> 8
  }
  return out
}

const B64 = new Uint8Array(128)  // character code -> its 6-bit group
for (let k = 0; k < 64; k++)
  B64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(k)] = k

const TYPES = {f4: Float32Array, i2: Int16Array, i4: Int32Array, u1: Uint8Array}

export function typed(desc, blobs) {
  const T = TYPES[desc.dtype], count = desc.shape.reduce((a, b) => a * b, 1)
  // inline base64 (the explorer's), or a blob: base64 text, or bytes decoded once already
  // (a page's blocks, the widget's buffers)
  const blob = desc.b64 !== undefined ? desc.b64 : blobs[desc.blob]
  const bytes = typeof blob === 'string' ? base64Bytes(blob) : blob
  return new T(bytes.buffer, bytes.byteOffset, count)
}

export function coords(desc, blobs) {  // -> Float32Array(3 n): xyz per point, zero padded
  const a = typed(desc, blobs), [n, d] = desc.shape, out = new Float32Array(3 * n)
  if (desc.dtype !== 'i2') {
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[3 * i + j] = a[d * i + j]
    return out
  }
  // x = lo + (q + 32767) step, point by point: one pass over both arrays (d <= 3)
  const [l0, l1, l2] = desc.lo, [s0, s1, s2] = desc.step
  for (let i = 0, o = 0, q = 0; i < n; i++, o += 3, q += d) {
    out[o] = l0 + (a[q] + 32767) * s0
    if (d > 1) out[o + 1] = l1 + (a[q + 1] + 32767) * s1
    if (d > 2) out[o + 2] = l2 + (a[q + 2] + 32767) * s2
  }
  return out
}

function toBox(b) {  // [[lo, hi] per axis] -> {c: [3], h}: an equal-aspect cube
  const c = [0, 0, 0]; let h = 0
  b.forEach(([lo, hi], j) => { c[j] = (lo + hi) / 2; h = Math.max(h, (hi - lo) / 2) })
  return {c, h: h > 0 ? h : 1}
}

export function decodeSpec(spec, blobs = []) {
  const n = spec.n, idx = typed(spec.color.index, blobs)
  const abgr = new Uint32Array(spec.color.table.map(([r, g, b]) => (255 << 24 | b << 16 | g << 8 | r) >>> 0))
  const colors = new Uint32Array(n)
  for (let i = 0; i < n; i++) colors[i] = abgr[idx[i]]  // a table look-up per point, no array made
  return {
    spec, n, colors, keys: spec.keys.map(k => coords(k, blobs)),
    keyDims: spec.keys.map(k => k.shape[1]),
    // hover's input coordinates: their own array for wide inputs, else stage 0's key
    inputs: spec.inputs ? typed(spec.inputs, blobs) : null,
    inDim: spec.inputs ? spec.inputs.shape[1] : spec.keys[spec.stages[0].key].shape[1],
    lattice: spec.lattice ? typed(spec.lattice, blobs) : null,
    segments: spec.segments.map(s => ({...s, boxes: s.boxes.map(([u, b]) => [u, toBox(b)])})),
    stageBoxes: spec.stages.map(s => toBox(s.box)),
    // a decision probe grid: its first `count` points, a (rows, cols) lattice, row-major
    probe: spec.probe || (spec.training && spec.training.probe) || null,
    slice: spec.slice ? decodeSlice(spec.slice, blobs) : null,
  }
}

// a slice's part of the spec (render/slice_spec.py): origin (D,) and axes (k rows of D) as
// numbers; the data rows' feet (R k), offsets (R) and labels (R, or null) as typed arrays
function decodeSlice(s, blobs) {
  const rows = s.rows && {count: s.rows.count, feet: typed(s.rows.feet, blobs),
    offsets: typed(s.rows.offsets, blobs), labels: s.rows.labels ? typed(s.rows.labels, blobs) : null}
  return {...s, rows}
}

// --- interpolation --------------------------------------------------------------------------

export const ease = u => { u = Math.min(Math.max(u, 0), 1); return u * u * (3 - 2 * u) }
export const lerp = (a, b, t) => a + t * (b - a)

export function locate(F, p) {  // position -> {seg, u, t}; null for a film of one stage
  const segs = F.segments
  if (!segs.length) return null
  let seg = segs[0]
  for (const s of segs) if (s.p0 <= p) seg = s
  const u = Math.min(Math.max((p - seg.p0) / (seg.p1 - seg.p0), 0), 1)
  return {seg, u, t: ease(u)}
}

export function boxAt(seg, u) {  // eased between keyframes as view.motion.zoomed_box:
  const B = seg.boxes  // the size geometric, the centre moving in step with the size (so the
  let i = 0  // box is (1 - w) a + w b and holds what both hold: a linear centre lost points)
  while (i + 2 < B.length && u > B[i + 1][0]) i++
  const [u0, a] = B[i], [u1, b] = B[i + 1]
  const f = ease(u1 > u0 ? (u - u0) / (u1 - u0) : 1)
  const h = Math.pow(a.h, 1 - f) * Math.pow(b.h, f), change = b.h - a.h
  const w = Math.abs(change) > 1e-12 * Math.max(a.h, b.h) ? (h - a.h) / change : f
  return {c: a.c.map((x, j) => lerp(x, b.c[j], w)), h}
}

export function clockAt(clock, time) {  // (seconds, position) keyframes -> position
  for (let i = 1; i < clock.length; i++)
    if (time <= clock[i][0]) {
      const [t0, p0] = clock[i - 1], [t1, p1] = clock[i]
      return t1 > t0 ? lerp(p0, p1, (time - t0) / (t1 - t0)) : p1
    }
  return clock[clock.length - 1][1]
}

export function timeOf(clock, p) {  // the first time the clock reaches position p
  for (let i = 1; i < clock.length; i++) {
    const [t0, p0] = clock[i - 1], [t1, p1] = clock[i]
    if (p1 > p0 && p >= p0 && p <= p1) return lerp(t0, t1, (p - p0) / (p1 - p0))
  }
  return 0
}
