// The widget's page: its elements and style (makePage), and the text it shows (headings,
// weight lines, the stage names under the slider, notes, the experiment). No drawing and
// no events here: controls.js, hover.js and loop.js use the elements made here.

// el's HTML set only when it differs from what was set last: a new spec (a colour change)
// or a slider step leaves unchanged text alone, so the page has nothing to lay out again
export function setHtml(el, html) {
  if (el.swHtml !== html) { el.innerHTML = html; el.swHtml = html }
}

// each panel's weight lines cut to its width after a whole number, the rest one ellipsis
// ("W = [ 0.14  0.21 …"): the heading's hidden overflow cut them mid-number
export function fitWeights(panels) {
  const ctx = measurer()
  for (const p of panels) {
    const pre = p.weightLines && p.head.querySelector('pre')
    if (!pre || !pre.clientWidth) continue
    ctx.font = getComputedStyle(pre).font
    const room = Math.floor(pre.clientWidth / Math.max(ctx.measureText('0').width, 1))
    pre.textContent = p.weightLines.map(line => elided(line, room)).join('\n') + p.weightPad
  }
}

let measuring = null
const measurer = () => measuring || (measuring = document.createElement('canvas').getContext('2d'))

// `line` in at most `room` characters: whole when it fits, else cut at the last space
// that leaves room for ' …' (a number is kept whole or left out, never cut in two)
export function elided(line, room) {
  if (line.length <= room) return line
  let cut = line.lastIndexOf(' ', room - 2)
  while (cut > 0 && line[cut - 1] === ' ') cut--
  return cut > 0 ? line.slice(0, cut) + ' \u2026' : '\u2026'
}

export function esc(t) { const d = document.createElement('div'); d.textContent = t; return d.innerHTML }

export function heading(s) {
  return `<b>${esc(s.title)}</b>` + (s.module ? ` <span class="sw-mod">(module ${esc(s.module)})</span>` : '') +
    (s.note ? ` <span class="sw-mod sw-note">${esc(s.note)}</span>` : '') +
    (s.measures ? `<br><span class="sw-mod sw-measures">${esc(s.measures)}</span>` : '')  // --measures
}

// a stage panel's head: its note (PCA variance, capture) and measures on lines of their own,
// so a narrow panel does not cut them off; a line that a stage of the row lacks is left
// blank, so the row's canvases stay level
function panelHeading(s, stages) {
  const line = (key, cls) => !stages.some(t => t[key]) ? '' : '<br>' + (s[key]
    ? `<span class="sw-mod ${cls}">${esc(s[key])}</span>` : '<span class="sw-mod">&nbsp;</span>')
  return `<b>${esc(s.title)}</b>` + (s.module ? ` <span class="sw-mod">(module ${esc(s.module)})</span>` : '') +
    line('note', 'sw-note') + line('measures', 'sw-measures')
}

const FILM_CSS = `
.sw-root { display: flex; flex-direction: column; gap: 6px; width: 100%; font-family: system-ui, sans-serif; }
.sw-row { display: grid; gap: 4px; }
.sw-panel { display: flex; flex-direction: column; min-width: 0; }
.sw-head { font-size: 12px; line-height: 1.25; padding: 2px 4px; white-space: nowrap; overflow: hidden; }
.sw-head pre { margin: 2px 0 0 0; font-size: 10.5px; line-height: 1.25; font-family: ui-monospace, 'DejaVu Sans Mono', monospace; }
.sw-mod { font-size: 11px; opacity: 0.75; }
.sw-bottom { display: flex; gap: 8px; align-items: flex-start; }
.sw-morph-box { flex: 1; min-width: 0; display: flex; flex-direction: column; position: relative; }
.sw-morph-title { font-size: 14px; padding: 2px 6px; min-height: 1.3em; }
.sw-controls { display: flex; gap: 8px; align-items: flex-start; padding: 4px 6px; }
.sw-controls button, .sw-controls select { font: 13px system-ui, sans-serif; padding: 4px 10px; border-radius: 4px;
  border: 1px solid #5ab4ff; cursor: pointer; }
.sw-controls button { min-width: 72px; }
.sw-regions { font-size: 12px; white-space: nowrap; } .sw-regions-title { opacity: 0.75; white-space: normal; }
.sw-matrix { font-size: 11px; opacity: 0.85; }
.sw-slider { flex: 1; position: relative; padding-bottom: 18px; }
.sw-slider input { width: 100%; margin: 6px 0 0 0; accent-color: #5ab4ff; }
.sw-names span { position: absolute; bottom: 0; font-size: 11px; white-space: nowrap; opacity: 0.65; }
.sw-names span.sw-current { opacity: 1; text-decoration: underline; text-underline-offset: 2px; }
.sw-tip { position: absolute; pointer-events: none; font: 12px ui-monospace, 'DejaVu Sans Mono', monospace;
  padding: 4px 6px; border-radius: 4px; white-space: pre; display: none; z-index: 2; }
.sw-notes p { margin: 2px 0; font-size: 13px; border-left: 3px solid #e0a030; padding: 1px 8px; }
.sw-notes p.sw-quiet { border-left-color: transparent; opacity: 0.7; font-size: 12px; }
.sw-config { font-size: 12px; }
.sw-config pre { padding: 6px; overflow-x: auto; border: 1px solid; }
canvas.sw-3d { cursor: grab; }
.sw-stack { position: relative; line-height: 0; }
.sw-stack canvas.sw-gl, .sw-stack canvas.sw-front { position: absolute; left: 0; top: 0; pointer-events: none; }
`

export function element(tag, cls, parent) {
  const e = document.createElement(tag); if (cls) e.className = cls; if (parent) parent.append(e); return e
}

// the widget's elements, appended to `el`: notes, the row of stage panels, the morph view
// (title, canvases, tip, controls, the regions row), an optional side panel, the experiment
export function makePage(el, opts) {
  const root = element('div', 'sw-root'), style = element('style', '', root); style.textContent = FILM_CSS
  const notes = element('div', 'sw-notes', root), row = element('div', 'sw-row', root)
  const bottom = element('div', 'sw-bottom', root), morphBox = element('div', 'sw-morph-box', bottom)
  const morphTitle = element('div', 'sw-morph-title', morphBox)
  const stack = element('div', 'sw-stack', morphBox)  // 2-D canvas, WebGL points, arrows on top
  const morphCanvas = element('canvas', 'sw-morph-canvas', stack)
  const glCanvas = element('canvas', 'sw-gl', stack), frontCanvas = element('canvas', 'sw-front', stack)
  const tip = element('div', 'sw-tip', morphBox), controls = element('div', 'sw-controls', morphBox)
  const play = element('button', 'sw-play', controls); play.textContent = '\u25b6 Play'
  const speed = element('select', 'sw-speed', controls)
  speed.innerHTML = [0.25, 0.5, 1, 2, 4].map(v => `<option value="${v}"${v === 1 ? ' selected' : ''}>${v}\u00d7</option>`).join('')
  speed.title = 'speed'
  const sliderBox = element('div', 'sw-slider', controls), slider = element('input', 'sw-stage-slider', sliderBox)
  slider.type = 'range'; slider.min = 0; slider.step = 'any'; slider.value = 0
  const names = element('div', 'sw-names', sliderBox)
  const regionsRow = element('div', 'sw-regions-row', morphBox)
  if (opts.side) element('div', 'sw-side', bottom).append(opts.side)
  const config = element('details', 'sw-config', root)
  el.append(root)
  return {el, root, notes, row, morphBox, morphTitle, morphCanvas, glCanvas, frontCanvas,
          front: frontCanvas.getContext('2d'), tip, controls, play, speed, slider, names, regionsRow, config}
}

// the page's text for the film `spec`: colours of the theme, each panel's head and weight
// lines, the stage names under the slider, the notes and the experiment
export function fillPage(dom, panels, spec, opts) {
  const S = spec.stages.length, th = spec.theme, grid = spec.layout === 'grid'
  dom.root.style.background = th.background; dom.root.style.color = th.foreground
  for (const c of [dom.play, dom.speed]) { c.style.background = th.background; c.style.color = th.foreground }
  const tip = dom.tip
  tip.style.background = th.background; tip.style.color = th.foreground; tip.style.border = `1px solid ${th.muted}`
  dom.row.style.gridTemplateColumns = `repeat(${panelColumns(spec, S)}, minmax(0, 1fr))`
  dom.morphBox.style.display = grid ? 'none' : ''
  const lines = Math.max(0, ...spec.stages.map(s => s.weights.length))
  spec.stages.forEach((s, k) => {
    const p = panels[k], pad = '\n'.repeat(Math.max(0, lines - s.weights.length))
    setHtml(p.head, panelHeading(s, spec.stages) + `<pre>${esc(s.weights.join('\n'))}${pad}</pre>`)
    p.weightLines = s.weights; p.weightPad = pad  // cut to the panel's width by fitWeights
    p.canvas.classList.toggle('sw-3d', s.dim >= 3)
  })
  dom.slider.max = Math.max(S - 1, 0)
  setHtml(dom.names, spec.stages.map((s, k) => sliderName(s.name, S > 1 ? k / (S - 1) : 0)).join(''))
  dom.names.dataset.shown = ''; forgetNameWidths(dom)  // new names: measured and thinned again
  fillNotes(dom, spec, opts)
}

// a stage's name under the slider at fraction f of it: under the thumb's centre (16 px
// wide), its box shifted left by f of its width, so the first name starts at the slider's
// left end, the last ends at its right end, and none runs off the page; in full on hover
function sliderName(name, f) {
  return `<span title="${esc(name)}" style="left: calc(${f * 100}% + ${8 - 16 * f}px); transform: translateX(${-f * 100}%)">` +
    `${esc(name)}</span>`
}

const NAME_GAP = 10  // px between two names shown under the slider

// the names under the slider thinned so that none overlaps another (a 9-stage CNN's ran
// together): stage k's, the one the view is at, always shown and marked, then the others
// outward from it while they fit; the rest hidden (the view's title names every stage)
export function thinSliderNames(dom, k) {
  const spans = [...dom.names.children], S = spans.length
  const m = dom.names.swMeasured || (dom.names.swMeasured = measureNames(dom, spans)), W = m.W
  const key = `${k} ${W}`
  if (!S || !W || dom.names.dataset.shown === key) return  // unchanged, or not laid out
  dom.names.dataset.shown = key
  const spanOf = spans.map((el, j) => {  // [left, right] in px from the slider's left, as sliderName places it
    const f = S > 1 ? j / (S - 1) : 0, w = m.widths[j], left = f * (W - 16) + 8 - f * w
    return [left, left + w]
  })
  const order = spans.map((_, j) => j).sort((a, b) => Math.abs(a - k) - Math.abs(b - k) || a - b)
  const kept = []
  for (const j of order) {
    const fits = kept.every(i => spanOf[j][1] + NAME_GAP <= spanOf[i][0] || spanOf[i][1] + NAME_GAP <= spanOf[j][0])
    if (fits) kept.push(j)
    spans[j].style.visibility = fits ? '' : 'hidden'
    spans[j].classList.toggle('sw-current', j === k)
  }
}

// the slider's width and its names' widths (CSS px), read once per layout: reading them at
// every show() made the browser lay the page out again after each drawing's DOM writes
function measureNames(dom, spans) {
  return {W: dom.names.parentElement.clientWidth, widths: spans.map(el => el.offsetWidth)}
}

export function forgetNameWidths(dom) {  // new names or a new layout: measured again when next thinned
  dom.names.swMeasured = null
}

export function panelColumns(spec, S) {  // the stage panels per row: 3 on a grid, else up to 6
  return spec.layout === 'grid' ? Math.min(S, 3) : S <= 6 ? S : Math.ceil(S / Math.ceil(S / 6))
}

function fillNotes(dom, spec, opts) {  // the notes over the views and the experiment under them
  const said = [[spec.note, 'sw-trace-note', ''], [spec.sample_note, 'sw-sample-note', ''],
                [spec.precision, 'sw-precision', 'sw-quiet']].filter(x => x[0])
  dom.notes.innerHTML = said.map(([t, id, c]) => `<p id="${id}" class="${c}">${esc(t)}</p>`).join('')
  dom.config.style.display = spec.experiment && opts.config !== false ? '' : 'none'
  setHtml(dom.config, '<summary>Experiment (experiment.toml: run it again with <code>spacewarp html --config experiment.toml</code>)</summary>' +
    `<pre style="border-color: ${spec.theme.muted}">${esc(spec.experiment)}</pre>`)
}

export function liveNote(notes, text) {  // a live update's line over the views ("": none)
  let p = notes.querySelector('#sw-live-note')
  if (!text) { if (p) p.remove(); return }
  if (!p) { p = document.createElement('p'); p.id = 'sw-live-note'; notes.appendChild(p) }
  p.textContent = text
}
