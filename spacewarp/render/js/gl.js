// The morph view's points and lattice lines in WebGL through regl (vendored, MIT), in the
// same projection as the canvas path. `createREGL` is defined by the vendored bundle that
// render/browser.py inlines before these modules.

const VERT = (colored) => `
precision highp float;
attribute vec3 pos; ${colored ? 'attribute vec3 color; varying vec3 vColor;' : ''}
uniform vec3 centre, R, U, D; uniform float k, depth, size; uniform vec2 origin, canvas;
void main() {
  vec3 p = pos - centre;
  vec2 s = vec2(origin.x + k * dot(R, p), origin.y - k * dot(U, p));  // device pixels
  gl_Position = vec4(s.x / canvas.x * 2.0 - 1.0, 1.0 - s.y / canvas.y * 2.0, -dot(D, p) * depth, 1.0);
  gl_PointSize = size; ${colored ? 'vColor = color;' : ''}
}`
const FRAG_POINTS = 'precision mediump float; varying vec3 vColor; void main() { gl_FragColor = vec4(vColor, 1.0); }'
const FRAG_LINES = 'precision mediump float; uniform vec4 line; void main() { gl_FragColor = line; }'
const UNIFORMS = ['centre', 'R', 'U', 'D', 'k', 'depth', 'size', 'origin', 'canvas']

export class GlLayer {
  static make(canvas) {  // null where WebGL (or the regl bundle) is missing
    if (typeof createREGL !== 'function') return null
    try {
      const regl = createREGL({canvas, extensions: ['OES_element_index_uint'],
        attributes: {antialias: false, preserveDrawingBuffer: true, premultipliedAlpha: false}})
      return regl ? new GlLayer(regl, canvas) : null
    } catch (e) { return null }
  }
  constructor(regl, canvas) {
    this.regl = regl; this.canvas = canvas; this.lines = null
    this.pos = regl.buffer({usage: 'dynamic', type: 'float', length: 12})
    this.col = regl.buffer({type: 'uint8', length: 3})
    const uniforms = extra => Object.fromEntries([...UNIFORMS, ...extra].map(u => [u, regl.prop(u)]))
    const depth = {enable: regl.prop('useDepth'), mask: true, func: '<='}  // ties: the later
    this.points = regl({
      vert: VERT(true), frag: FRAG_POINTS, uniforms: uniforms([]), depth, primitive: 'points',
      attributes: {pos: {buffer: this.pos, size: 3}, color: {buffer: this.col, size: 3, normalized: true}},
      offset: regl.prop('offset'), count: regl.prop('count')})
    this.drawLines = regl({
      vert: VERT(false), frag: FRAG_LINES, uniforms: uniforms(['line']), depth,
      attributes: {pos: {buffer: this.pos, size: 3}}, elements: regl.prop('elements'),
      blend: {enable: true, func: {src: 'src alpha', dst: 'one minus src alpha'}}})
  }
  setFilm(F) {  // per spec: colours and lattice pairs stay on the GPU
    const rgb = new Uint8Array(3 * F.n), c = F.colors
    for (let i = 0; i < F.n; i++) { rgb[3 * i] = c[i] & 255; rgb[3 * i + 1] = c[i] >> 8 & 255; rgb[3 * i + 2] = c[i] >> 16 & 255 }
    this.col({data: rgb, type: 'uint8'})
    if (this.lines) this.lines.destroy()
    this.lines = F.lattice ? this.regl.elements({primitive: 'lines', type: 'uint32',
      data: new Uint32Array(F.lattice.buffer, F.lattice.byteOffset, F.lattice.length)}) : null
  }
  size(w, h, cssW, cssH) {
    if (this.canvas.width !== w || this.canvas.height !== h) { this.canvas.width = w; this.canvas.height = h }
    this.canvas.style.width = cssW + 'px'; this.canvas.style.height = cssH + 'px'
  }
  draw(P, pts, n, size, flat, theme, boxH, probe) {  // probe: {count, size} (draw.js)
    const regl = this.regl, {width, height} = this.canvas
    regl.poll(); regl.clear({color: [0, 0, 0, 0], depth: 1})
    this.pos.subdata(pts)
    const u = {centre: P.c, R: P.R, U: P.U, D: P.D, k: P.k, depth: 0.2 / boxH, size,
               origin: [P.cx, P.cy], canvas: [width, height], useDepth: !flat}
    const pc = probe ? probe.count : 0
    if (pc) {  // the probe grid first, a background layer: the data go over it
      this.points({...u, size: probe.size, offset: 0, count: pc})
      regl.clear({depth: 1})
    }
    if (n > pc) this.points({...u, offset: pc, count: n - pc})
    if (this.lines) {  // over the points, so that dense sets show them
      const m = theme.muted, hex = j => parseInt(m.slice(1 + 2 * j, 3 + 2 * j), 16) / 255
      this.drawLines({...u, line: [hex(0), hex(1), hex(2), 0.85], elements: this.lines})
    }
  }
  resize(n) { this.pos({usage: 'dynamic', type: 'float', length: 12 * n}) }
  destroy() { this.regl.destroy() }
}
