// The film spec decoded, and what the renderer interpolates: position -> segment, box,
// Play clock. Everything here comes from Python (spacewarp.view.film); nothing is computed
// that Python did not send.

// 7 bits per character, 8 characters to 7 bytes (render/blobs.py b7): text -> Uint8Array
// of whole blocks (nbytes rounded up to 7). A character of U+0080 + g is group g
export function unb7(s, nbytes) {
  const out = new Uint8Array(7 * Math.ceil(nbytes / 7)), g = new Int32Array(8)
  for (let i = 0, o = 0; o < out.length; o += 7) {  // Uint8Array keeps each byte's low 8 bits
    for (let j = 0; j < 8; j++, i++) { const c = s.charCodeAt(i); g[j] = c >= 128 ? c - 128 : c }
    out[o] = g[0] << 1 | g[1] >> 6; out[o + 1] = g[1] << 2 | g[2] >> 5; out[o + 2] = g[2] << 3 | g[3] >> 4
    out[o + 3] = g[3] << 4 | g[4] >> 3; out[o + 4] = g[4] << 5 | g[5] >> 2; out[o + 5] = g[5] << 6 | g[6] >> 1
    out[o + 6] = g[6] << 7 | g[7]
  }
  return out
}

// a page's blob text as bytes, decoded once, so that the page can drop the text (8
// characters per 7 bytes: a text is whole blocks)
export function blobBytes(text) { return unb7(text, text.length / 8 * 7) }

const TYPES = {f4: Float32Array, i2: Int16Array, i4: Int32Array, u1: Uint8Array}

export function typed(desc, blobs) {
  const T = TYPES[desc.dtype], count = desc.shape.reduce((a, b) => a * b, 1)
  const nbytes = count * T.BYTES_PER_ELEMENT
  let bytes
  if (desc.b64 !== undefined) {
    const bin = atob(desc.b64); bytes = new Uint8Array(bin.length)
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i)
  } else {  // a b7 text, or the bytes a page decoded it to once (blobBytes)
    const blob = blobs[desc.blob]
    bytes = typeof blob === 'string' ? unb7(blob, nbytes) : blob
  }
  return new T(bytes.buffer, bytes.byteOffset, count)
}

export function coords(desc, blobs) {  // -> Float32Array(3 n): xyz per point, zero padded
  const a = typed(desc, blobs), [n, d] = desc.shape, out = new Float32Array(3 * n)
  if (desc.dtype === 'i2') {
    for (let j = 0; j < d; j++) {
      const lo = desc.lo[j], step = desc.step[j]
      for (let i = 0; i < n; i++) out[3 * i + j] = lo + (a[d * i + j] + 32767) * step
    }
  } else for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[3 * i + j] = a[d * i + j]
  return out
}

function toBox(b) {  // [[lo, hi] per axis] -> {c: [3], h}: an equal-aspect cube
  const c = [0, 0, 0]; let h = 0
  b.forEach(([lo, hi], j) => { c[j] = (lo + hi) / 2; h = Math.max(h, (hi - lo) / 2) })
  return {c, h: h > 0 ? h : 1}
}

export function decodeSpec(spec, blobs = []) {
  const n = spec.n, idx = typed(spec.color.index, blobs), tab = spec.color.table
  const colors = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    const [r, g, b] = tab[idx[i]]; colors[i] = (255 << 24 | b << 16 | g << 8 | r) >>> 0
  }
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

export function boxAt(seg, u) {  // eased between keyframes: centre linear, size geometric
  const B = seg.boxes
  let i = 0
  while (i + 2 < B.length && u > B[i + 1][0]) i++
  const [u0, a] = B[i], [u1, b] = B[i + 1]
  const f = ease(u1 > u0 ? (u - u0) / (u1 - u0) : 1)
  return {c: a.c.map((x, j) => lerp(x, b.c[j], f)), h: Math.pow(a.h, 1 - f) * Math.pow(b.h, f)}
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
