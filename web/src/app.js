// danlu ui: one page per command, each a form whose state lives in the URL (?page=train&gpus=64),
// drawn from the JSON API of the same server. Charts: uPlot (npm, embedded) and plain SVG.
'use strict';

const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c]);
const fix = (v, d) => (typeof v === 'number' && isFinite(v) ? v.toFixed(d) : '—');
const usd = (v) => (v >= 1e6 ? '$' + (v / 1e6).toFixed(2) + 'M' : '$' + Math.round(v).toLocaleString('en-US'));
const plots = {};  // uPlot instances by element id, destroyed before redrawing

async function api(path, body) {
  const r = await fetch(path, body === undefined ? {} : {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
  let j;
  try { j = await r.json(); } catch (e) { throw new Error(`${path}: not JSON (HTTP ${r.status})`); }
  if (!r.ok) throw new Error(j.error + (j.field ? ` [${j.field}]` : ''));
  return j;
}

function table(head, rows, cls) {
  return '<table><tr>' + head.map((h) => `<th>${esc(h)}</th>`).join('') + '</tr>' +
    rows.map((r) => '<tr>' + r.map((c, i) => `<td class="${(cls && cls[i]) || ''}">${c}</td>`).join('') + '</tr>').join('') + '</table>';
}

function legend(names) {
  return '<div class="legend">' + names.map((n, i) => `<span><i style="background:${COLORS[i % COLORS.length]}"></i>${esc(n)}</span>`).join('') + '</div>';
}

// Horizontal stacked bars: rows of [label, [[part, value], ...]]; an optional limit line.
function stackedBars(rows, unit, limit, limitLabel) {
  const W = 760, left = 110, H = 26, gap = 8;
  const max = Math.max(limit || 0, ...rows.map(([, parts]) => parts.reduce((a, [, v]) => a + v, 0))) || 1;
  const scale = (W - left - 100) / max;
  let svg = `<svg class="chart" width="${W}" height="${rows.length * (H + gap) + 24}" xmlns="http://www.w3.org/2000/svg" font-size="12">`;
  rows.forEach(([label, parts], r) => {
    const y = r * (H + gap);
    let x = left;
    svg += `<text x="0" y="${y + 17}">${esc(label)}</text>`;
    parts.forEach(([k, v], i) => {
      const w = Math.max(0, v * scale);
      svg += `<rect x="${x}" y="${y}" width="${w}" height="${H}" fill="${COLORS[i % COLORS.length]}"><title>${esc(k)}: ${v.toPrecision(4)} ${unit}</title></rect>`;
      x += w;
    });
    svg += `<text x="${x + 4}" y="${y + 17}">${parts.reduce((a, [, v]) => a + v, 0).toPrecision(4)} ${unit}</text>`;
  });
  if (limit) {
    const x = left + limit * scale, h = rows.length * (H + gap);
    svg += `<line x1="${x}" x2="${x}" y1="0" y2="${h}" stroke="#b00" stroke-dasharray="4 3"/><text x="${x}" y="${h + 14}" fill="#b00" text-anchor="middle">${esc(limitLabel)}</text>`;
  }
  return svg + '</svg>' + legend(rows[0][1].map(([k]) => k));
}

// A uPlot chart in element `id`: xs and one or more series [label, ys, {points only?}].
function plot(id, title, xLabel, yLabel, xs, series, opts) {
  if (plots[id]) plots[id].destroy();
  const el = $(id);
  el.innerHTML = '';
  const o = opts || {};
  const cfg = {
    title, width: 760, height: 340,
    scales: {x: {time: false, distr: o.logX ? 3 : 1}, y: {distr: o.logY ? 3 : 1}},
    axes: [{label: xLabel}, {label: yLabel, size: 70}],
    series: [{label: xLabel}].concat(series.map(([label, , s], i) => Object.assign({
      label, stroke: COLORS[i % COLORS.length], width: 2,
      points: {show: true, size: 7, fill: COLORS[i % COLORS.length]},
    }, s || {}))),
  };
  if (o.bars) Object.assign(cfg.series[1], {paths: uPlot.paths.bars({size: [0.9, 100]}), fill: COLORS[0] + '99', points: {show: false}});
  plots[id] = new uPlot(cfg, [xs].concat(series.map(([, ys]) => ys)), el);
  return plots[id];
}
const pointsOnly = {paths: () => null};

// ---- Train
async function train(body) {
  if (body.config) delete body.model;  // a pasted config.json replaces the preset
  const j = await api('/api/train', body);
  const L = j.layout;
  $('train-summary').innerHTML = `step time <b id="train-step">${fix(j.step_time_s, 3)} s</b>, MFU ${fix(100 * j.mfu, 1)} %, ` +
    `${fix(j.tokens_per_s_per_gpu, 0)} tokens/s per GPU; binding: <b>${esc(j.binding)}</b>; layout tp=${L.tp} pp=${L.pp} ` +
    `dp=${L.dp} cp=${L.cp} ${L.ep > 1 || L.etp > 1 ? `ep=${L.ep} etp=${L.etp} ` : ''}vpp=${L.vpp} micro_batch=${L.micro_batch} zero=${L.zero} ` +
    `recompute=${esc(L.recompute)}${L.recompute_num_layers > 0 ? ':' + L.recompute_num_layers : ''}` +
    `${L.recompute_modules && L.recompute_modules.length && L.recompute_modules.join() !== 'core_attn' ? ' (' + esc(L.recompute_modules.join(', ')) + ')' : ''}; ` +
    (j.memory.oom ? `<b class="error">does not fit: ${fix(j.memory.peak_gib, 1)} GiB of ${fix(j.memory.usable_gib, 1)}</b>` : `fits (${fix(j.memory.peak_gib, 1)} of ${fix(j.memory.usable_gib, 1)} GiB)`);
  const parts = Object.entries(j.breakdown_s).filter(([, v]) => v > 0);
  $('train-bar').innerHTML = stackedBars([['step', parts]], 's');
  $('train-table').innerHTML = table(['part', 'seconds', 'share'], parts.map(([k, v]) => [esc(k), fix(v, 4), fix(100 * v / j.step_time_s, 1) + ' %']));
  const kinds = ['weights_gib', 'gradients_gib', 'optimizer_gib', 'activations_gib', 'workspace_gib'];
  const stages = ['first_stage', 'middle_stage', 'last_stage'].filter((s) => j.memory[s]);
  $('train-memory').innerHTML = stackedBars(stages.map((s) => [s.replace('_', ' '), kinds.map((k) => [k.replace('_gib', ''), j.memory[s][k] || 0])]),
    'GiB', j.memory.usable_gib, `usable ${fix(j.memory.usable_gib, 0)} GiB`);
  drawTimeline(j.timeline);
}

function drawTimeline(t) {
  const c = $('train-timeline');
  const g = c.getContext('2d');
  if (!t || !t.events) {
    c.height = 24;
    g.clearRect(0, 0, c.width, c.height);
    g.fillText(t && t.omitted ? t.omitted : 'no timeline', 4, 16);
    return;
  }
  const left = 260, lane = 18, W = c.width;
  c.height = t.lanes.length * lane + 24;
  g.clearRect(0, 0, W, c.height);
  g.font = '11px sans-serif';
  t.lanes.forEach((name, i) => { g.fillStyle = '#222'; g.fillText(name, 2, i * lane + 13); });
  const sx = (W - left - 4) / (t.span_s || 1);
  const color = (n) => (n.startsWith('F') ? COLORS[0] : n.startsWith('B') ? COLORS[1] : n.startsWith('TP') || n.startsWith('CP') ? COLORS[9]
    : n.startsWith('DP') || n.includes('data') ? COLORS[2] : n.startsWith('opt') ? COLORS[4] : COLORS[6]);
  for (const [ln, name, start, dur] of t.events) {
    g.fillStyle = color(name);
    g.fillRect(left + start * sx, ln * lane + 2, Math.max(0.5, dur * sx - 0.3), lane - 5);
  }
  g.fillStyle = '#222';
  g.fillText(`0 s`, left, c.height - 6);
  g.fillText(`${t.span_s.toFixed(3)} s`, W - 60, c.height - 6);
}

// ---- Search
async function search(body) {
  const j = await api('/api/search', body);
  $('search-summary').innerHTML = `<b>${j.ranked.length ? fix(j.ranked[0].step_time_s, 3) + ' s' : 'nothing fits'}</b> fastest step; ` +
    `${j.considered.toLocaleString('en-US')} layouts considered, ${j.evaluated.toLocaleString('en-US')} estimated in ${fix(j.wall_s, 2)} s; ` +
    `${j.pareto.length} on the Pareto front`;
  const front = j.pareto.slice().sort((a, b) => a.memory.peak_gib - b.memory.peak_gib);
  const byGpus = [...new Set(front.map((p) => p.cluster.gpus))].sort((a, b) => a - b);
  const xs = front.map((p) => p.memory.peak_gib);
  const series = byGpus.map((g) => [`${g} GPUs`, front.map((p) => (p.cluster.gpus === g ? p.step_time_s : null)), pointsOnly]);
  if (front.length) {
    const u = plot('search-plot', 'Pareto front (click a point to open it in Train)', 'peak memory per GPU, GiB', 'step time, s', xs, series);
    u.over.addEventListener('click', () => {
      const i = u.cursor.idx;
      if (i !== null && i !== undefined) openInTrain(front[i], body);
    });
  }
  $('search-table').innerHTML = table(['#', 'step s', 'tokens/s/GPU', 'MFU %', 'GiB', 'layout', ''],
    j.ranked.map((r, i) => [i + 1, fix(r.step_time_s, 3), fix(r.tokens_per_s_per_gpu, 0), fix(100 * r.mfu, 1), fix(r.memory.peak_gib, 1),
      esc(`tp=${r.layout.tp} pp=${r.layout.pp} dp=${r.layout.dp} cp=${r.layout.cp} vpp=${r.layout.vpp} mb=${r.layout.micro_batch} zero=${r.layout.zero} ${r.layout.recompute}${r.layout.recompute_num_layers > 0 ? ':' + r.layout.recompute_num_layers : ''}`),
      `<a class="open" data-i="${i}">open in Train</a>`]), [0, 0, 0, 0, 0, 'l', 'l']);
  document.querySelectorAll('#search-table a.open').forEach((a) => a.addEventListener('click', () => openInTrain(j.ranked[+a.dataset.i], body)));
  $('search-rejected').innerHTML = table(['reason', 'layouts'], Object.entries(j.rejected).filter(([, n]) => n > 0).map(([k, n]) => [esc(k), n.toLocaleString('en-US')]));
}

function openInTrain(r, body) {
  const L = r.layout;
  const q = {page: 'train', model: body.model, accelerator: body.accelerator, gpus: r.cluster.gpus, seq_len: L.seq_len,
    global_batch: L.global_batch, tp: L.tp, pp: L.pp, cp: L.cp, vpp: L.vpp, micro_batch: L.micro_batch, zero: L.zero,
    ep: L.ep > 1 ? L.ep : undefined, etp: L.etp > 1 ? L.etp : undefined,
    recompute: L.recompute, recompute_num_layers: L.recompute_num_layers > 0 ? L.recompute_num_layers : undefined, precision: L.precision};
  Object.keys(q).forEach((k) => q[k] === undefined && delete q[k]);
  history.pushState(null, '', '?' + new URLSearchParams(q));
  route(true);
}

// ---- Infer
async function infer(body) {
  const [j, sweep] = await Promise.all([api('/api/infer', body), api('/api/infer', Object.assign({}, body, {sweep: true, concurrency: undefined}))]);
  $('infer-summary').innerHTML = `TTFT <b id="infer-ttft">${fix(j.ttft_ms, 1)} ms</b>, TPOT <b>${fix(j.tpot_ms, 2)} ms</b>, ` +
    `${fix(j.output_tokens_per_s_per_gpu, 0)} output tokens/s per GPU, ${fix(j.output_tokens_per_s_per_user, 1)} per user; binding: ${esc(j.binding)}` +
    (j.usd_per_million_output_tokens !== undefined ? `; <b>$${fix(j.usd_per_million_output_tokens, 3)}</b> per million output tokens` : '');
  const m = j.memory;
  $('infer-table').innerHTML = table(['memory per GPU', 'value'], [
    ['weights', fix(m.weights_gib, 2) + ' GiB'], ['KV cache per sequence', fix(m.kv_cache_gib_per_sequence, 3) + ' GiB'],
    ['KV capacity', fix(m.kv_capacity_sequences, 0) + ' sequences'], ['activations and workspace', fix(m.activations_and_workspace_gib, 2) + ' GiB'],
    ['usable', fix(m.usable_gib, 1) + ' GiB'], ['batch running', fix(j.batch_sequences, 0) + ' sequences']]);
  const pts = sweep.slice().sort((a, b) => a.output_tokens_per_s_per_user - b.output_tokens_per_s_per_user);
  plot('infer-plot', 'Throughput–latency frontier', 'output tokens/s per user', 'output tokens/s per GPU',
    pts.map((p) => p.output_tokens_per_s_per_user), [['per GPU', pts.map((p) => p.output_tokens_per_s_per_gpu)]]);
}

// ---- Plan and cost
async function plan(body) {
  const costKeys = ['years', 'utilisation'];
  const pb = Object.fromEntries(Object.entries(body).filter(([k]) => !costKeys.includes(k)));
  const cb = {accelerator: body.accelerator, gpus: body.gpus, years: body.years, utilisation: body.utilisation};
  const years = [1, 2, 3, 4, 5];
  const [p, c, ...byYear] = await Promise.all([api('/api/plan', pb), api('/api/cost', cb),
    ...years.map((y) => api('/api/cost', Object.assign({}, cb, {years: y})))]);
  const mc = p.monte_carlo;
  $('plan-summary').innerHTML = `<b id="plan-days">${fix(p.days, 1)} days</b> (${fix(p.ideal_days, 1)} without failures), goodput ${fix(100 * p.goodput, 1)} %, ` +
    `${fix(p.facility_mw, 2)} MW facility, ${Math.round(p.energy_mwh).toLocaleString('en-US')} MWh`;
  const money = p.cost && p.cost.rent_market_usd !== undefined ? [['rented at market', usd(p.cost.rent_market_usd)], ['owned', usd(p.cost.build_usd)]] : [];
  $('plan-table').innerHTML = table(['', 'value'], [['GPU-hours', Math.round(p.gpu_hours).toLocaleString('en-US')], ['steps', p.steps.toLocaleString('en-US')],
    ['step time', fix(p.step_time_s, 3) + ' s'], ['MFU', fix(100 * p.mfu, 1) + ' %'], ['job MTBF', fix(p.job_mtbf_h, 1) + ' h'],
    ['checkpoint interval', fix(p.checkpoint_interval_s / 60, 1) + ' min'],
    [`Monte Carlo p50 / p90 (${mc.trials} runs)`, `${fix(mc.days_p50, 2)} / ${fix(mc.days_p90, 2)} days`],
    ['Monte Carlo effective training time', fix(100 * mc.effective_training_time_ratio, 1) + ' %'], ...money]);
  const h = mc.histogram, bw = (h.max_days - h.min_days) / h.counts.length;
  plot('plan-hist', `${mc.trials} simulated runs`, 'days to finish', 'runs', h.counts.map((_, i) => h.min_days + (i + 0.5) * (bw || 1e-9)),
    [['runs', h.counts]], {bars: true});
  const b = c.build;
  const items = [['GPUs', b.gpus_usd], ['rest of servers', b.servers_usd], ['interconnect', b.interconnect_usd], ['storage', b.storage_usd],
    ['facility', b.facility_usd], ['electricity', b.electricity_usd], ['staff', b.staff_usd], ['maintenance', b.maintenance_usd]].filter(([, v]) => v > 0);
  $('plan-stack').innerHTML = `<p>${c.years} years at ${fix(100 * c.utilisation, 0)} % utilisation: own <b>${usd(b.total_usd)}</b> ` +
    `(${fix(b.usd_per_used_gpu_hour, 2)} $/used GPU-hour, GPUs ${fix(100 * b.gpu_share, 0)} %), rent ${usd(c.rent.total_usd)}; ` +
    `break-even utilisation ${fix(100 * c.break_even_utilisation, 0)} %</p>` +
    stackedBars([['own', items.map(([k, v]) => [k, v / 1e6])], ['rent', [['compute', c.rent.compute_usd / 1e6], ['storage', c.rent.storage_usd / 1e6], ['egress', c.rent.egress_usd / 1e6]]]], 'M$');
  plot('plan-years', 'Total cost over the horizon', 'years', 'million USD', years,
    [['build', byYear.map((y) => y.build.total_usd / 1e6)], ['rent', byYear.map((y) => y.rent.total_usd / 1e6)]]);
}

// ---- Validate
async function validate(body) {
  const j = await api('/api/validate', {runs: body.runs});
  const s = j.summary;
  $('validate-summary').innerHTML = `<b id="validate-median">median |error| ${fix(s.median_abs_error_pct, 1)} %</b>, p90 ${fix(s.p90_abs_error_pct, 1)} %, ` +
    `max ${fix(s.max_abs_error_pct, 1)} % on ${s.count} scored (${s.unscored} unscored)`;
  const scored = j.runs.filter((r) => typeof r.predicted === 'number' && typeof r.measured === 'number');
  const metrics = [...new Set(scored.map((r) => r.metric))];
  // Each metric relative to its own measurement: predicted / measured against 1 (the identity).
  const pts = scored.slice().sort((a, b) => a.measured - b.measured);
  const xs = pts.map((r) => r.measured);
  const series = metrics.map((m) => [m, pts.map((r) => (r.metric === m ? r.predicted : null)), pointsOnly]);
  series.push(['identity (predicted = measured)', xs, {stroke: '#888', dash: [5, 4], points: {show: false}}]);
  plot('validate-plot', 'Predicted against measured', 'measured', 'predicted', xs, series, {logX: true, logY: true});
  $('validate-table').innerHTML = table(['run', 'metric', 'measured', 'predicted', 'error %'],
    j.runs.map((r) => [esc(r.id), esc(r.metric || ''), fix(r.measured, 4), fix(r.predicted, 4),
      r.error_pct === undefined || r.error_pct === null ? esc(r.reason || 'unscored') : fix(r.error_pct, 1)]), ['l', 'l']);
}

// ---- Catalog
async function catalog(body) {
  const list = body.list || 'accelerators';
  const j = await api('/api/catalog?list=' + encodeURIComponent(list));
  $('catalog-summary').textContent = `${j.length} ${list}`;
  if (list === 'models') {
    $('catalog-table').innerHTML = table(['id', 'name', 'params B', 'active B', 'layers', 'hidden', 'source'],
      j.map((m) => [esc(m.id), esc(m.name), fix(m.params / 1e9, 1), fix(m.active_params / 1e9, 1), m.layers, m.hidden, esc(m.source)]), ['l', 'l', 0, 0, 0, 0, 'src']);
  } else {
    const rows = [];
    for (const e of j) for (const f of e.figures) rows.push([esc(e.id), esc(f.field), String(f.value), f.uncertain ? 'uncertain' : '', esc(f.source)]);
    $('catalog-table').innerHTML = table(['id', 'figure', 'value', '', 'source'], rows, ['l', 'l', 0, 'l', 'src']);
  }
}

// ---- Forms, URL state and routing
const PAGES = {train, search, infer, plan, validate, catalog};

function formBody(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.dataset.type === 'bool') {
      const on = el.type === 'checkbox' ? el.checked : el.value === 'true';
      if (on) body[el.name] = true;
    } else if (el.dataset.type === 'json') {
      if (el.value.trim() === '') continue;
      try { body[el.name] = JSON.parse(el.value); } catch (e) { throw new Error(`${el.name}: not valid JSON (${e.message})`); }
    } else if (el.value.trim() !== '') {
      const v = el.value.trim();
      body[el.name] = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v) ? Number(v) : v;
    }
  }
  return body;
}

async function submit(form, pushUrl) {
  const page = form.dataset.page;
  const sec = $('page-' + page);
  const err = sec.querySelector('.error');
  err.textContent = '';
  try {
    const body = formBody(form);
    if (pushUrl && !form.dataset.nourl) {
      const q = {page};
      for (const el of form.elements) if (el.name && el.type !== 'hidden' && el.dataset.type !== 'json' && (el.type === 'checkbox' ? el.checked : el.value.trim() !== '')) q[el.name] = el.type === 'checkbox' ? 'true' : el.value.trim();
      history.pushState(null, '', '?' + new URLSearchParams(q));
    }
    await PAGES[page](body);
    sec.querySelector('.out').classList.add('shown');
  } catch (e) {
    err.textContent = e.message;
    sec.querySelector('.out').classList.remove('shown');
  }
  sec.dataset.done = String((+sec.dataset.done || 0) + 1);  // for scripts (and tests): a request finished
}

function route(run) {
  const q = new URLSearchParams(location.search);
  const page = Object.hasOwn(PAGES, q.get('page') || '') ? q.get('page') : 'train';
  document.querySelectorAll('.page').forEach((s) => s.classList.toggle('active', s.id === 'page-' + page));
  document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', a.dataset.page === page));
  const form = document.querySelector(`form[data-page="${page}"]`);
  let given = false;
  for (const el of form.elements) {
    if (!el.name || !q.has(el.name) || el.type === 'hidden') continue;
    given = true;
    if (el.type === 'checkbox') el.checked = q.get(el.name) === 'true'; else el.value = q.get(el.name);
  }
  if (run && (given || page === 'catalog')) submit(form, false);
}

document.querySelectorAll('form').forEach((f) => f.addEventListener('submit', (ev) => { ev.preventDefault(); submit(f, true); }));
document.querySelectorAll('nav a').forEach((a) => a.addEventListener('click', (ev) => {
  ev.preventDefault();
  history.pushState(null, '', '?page=' + a.dataset.page);
  route(true);
}));
window.addEventListener('popstate', () => route(true));

// Pickers from the catalog, and the sample runs for the validate page.
api('/api/catalog?list=models').then((j) => { $('models').innerHTML = j.map((m) => `<option value="${esc(m.id)}">`).join(''); }).catch(() => {});
api('/api/catalog?list=accelerators').then((j) => { $('accelerators').innerHTML = j.map((a) => `<option value="${esc(a.id)}">`).join(''); }).catch(() => {});
api('/api/catalog?list=frameworks').then((j) => { $('frameworks').innerHTML = j.map((f) => `<option value="${esc(f.id)}">`).join(''); }).catch(() => {});
fetch('/assets/sample-runs.json').then((r) => r.text()).then((t) => { document.querySelector('textarea[name=runs]').value = t; }).catch(() => {});
route(true);
