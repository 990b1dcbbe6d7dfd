// End-to-end test of `danlu ui` in a real browser: Debian's chromium driven by playwright-core
// (no browser download). Starts the server on a free port, opens each page, fills its form,
// submits, and checks the result numbers, a drawn chart and the absence of console errors.
// Usage: node web/test/e2e.mjs DANLU_BINARY [SCREENSHOT_DIR]
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [binary, shots] = process.argv.slice(2);
if (!binary) {
  console.error('usage: node web/test/e2e.mjs DANLU_BINARY [SCREENSHOT_DIR]');
  process.exit(2);
}
const browserPath = process.env.CHROMIUM || '/usr/bin/chromium';
let failures = 0;
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
};

const server = spawn(binary, ['ui', '--port', '0', '--limit-s', '60'], { stdio: ['ignore', 'ignore', 'pipe'] });
const port = await new Promise((resolve, reject) => {
  let log = '';
  const t = setTimeout(() => reject(new Error('server did not start: ' + log)), 15000);
  server.stderr.on('data', (d) => {
    log += d;
    const m = log.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
    if (m) { clearTimeout(t); resolve(Number(m[1])); }
  });
  server.on('exit', (code) => reject(new Error(`server exited with ${code}: ${log}`)));
});
const base = `http://127.0.0.1:${port}/`;

const browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  if (shots) mkdirSync(shots, { recursive: true });

  // A canvas inside `sel` has non-blank pixels: the chart was drawn, not just laid out.
  const drawn = (sel) => page.evaluate((s) => {
    const el = document.querySelector(s);
    const cs = el ? (el.tagName === 'CANVAS' ? [el] : [...el.querySelectorAll('canvas')]) : [];
    return cs.some((c) => {
      if (!c.width || !c.height) return false;
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let ink = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) ink++;
      return ink > 200;
    });
  }, sel);
  const number = async (sel) => {
    const m = (await page.textContent(sel)).replace(/,/g, '').match(/[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/);
    return m ? parseFloat(m[0]) : NaN;
  };

  // Submit a page's form and wait until the page says the request finished (data-done grows).
  async function submitAndWait(name) {
    const before = await page.getAttribute(`#page-${name}`, 'data-done');
    await page.click(`form[data-page="${name}"] button[type=submit]`);
    await page.waitForFunction(([n, b]) => document.getElementById('page-' + n).getAttribute('data-done') !== b, [name, before], { timeout: 60000 });
  }

  async function visit(name, fill, resultSel, chartSel, extra) {
    errors.length = 0;
    await page.goto(base + '?page=' + name);
    await page.waitForSelector(`#page-${name}.active`);
    // The validate page fills its runs box from a fetched sample: submit only once it is there.
    if (name === 'validate') await page.waitForFunction(() => document.querySelector('textarea[name=runs]').value.length > 100);
    const form = `form[data-page="${name}"]`;
    for (const [field, value] of Object.entries(fill)) {
      const el = `${form} [name="${field}"]`;
      if (typeof value === 'boolean') await page.setChecked(el, value); else await page.fill(el, String(value));
    }
    await submitAndWait(name);
    const err = await page.textContent(`#page-${name} .error`);
    check(err === '', `${name}: no error shown ${err ? '(' + err + ')' : ''}`);
    const v = await number(resultSel).catch(() => NaN);
    check(Number.isFinite(v) && v > 0, `${name}: result number ${resultSel} = ${v}`);
    check(await drawn(chartSel), `${name}: chart drawn in ${chartSel}`);
    if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
    if (extra) await extra();
    check(errors.length === 0, `${name}: no console errors ${errors.join(' | ')}`);
    return v;
  }

  // Train: the page's number is the API's number; the URL carries the form.
  const step = await visit('train', { model: 'llama3-8b', gpus: 16, tp: 2, pp: 2 }, '#train-step', '#train-timeline', async () => {
    const api = await page.evaluate(async () => (await (await fetch('/api/train', { method: 'POST', body: JSON.stringify({ model: 'llama3-8b', gpus: 16, tp: 2, pp: 2 }) })).json()).step_time_s);
    check(Math.abs(Number((await page.textContent('#train-step')).replace(' s', '')) - api) < 1e-3, `train: page shows the API's step time ${api}`);
    check(new URL(page.url()).searchParams.get('tp') === '2', 'train: form state in the URL');
    check(await page.locator('#train-memory svg rect').count() >= 3, 'train: memory bars drawn');
  });
  // Shared link: opening the URL again reproduces the result without touching the form.
  const url = page.url();
  await page.goto(url);
  await page.waitForSelector('#page-train .out.shown', { timeout: 60000 });
  check(Math.abs((await number('#train-step')) - step) < 1e-3, 'train: a shared URL reproduces the result');

  // MoE: ep and etp from the URL reach the estimate and its summary.
  await page.goto(base + '?page=train&model=mixtral-8x7b&gpus=16&tp=2&pp=1&ep=4&etp=2');
  await page.waitForSelector('#page-train .out.shown', { timeout: 60000 });
  check((await page.textContent('#train-summary')).includes('ep=4 etp=2'), 'train: an MoE layout shows its ep and etp');
  await page.goto(base + '?page=train&model=deepseek-v3&accelerator=gb200&gpus=256&tp=1&pp=4&vpp=4&ep=64&seq_len=4096&global_batch=2048&recompute_modules=mla_up_proj');
  await page.waitForSelector('#page-train .out.shown', { timeout: 60000 });
  check((await page.textContent('#train-summary')).includes('(mla_up_proj)'), 'train: Megatron recompute modules reach the estimate');

  // A pasted config.json gives the same step as the catalog's preset of the same model.
  const here = new URL('.', import.meta.url).pathname;
  const cfg = readFileSync(here + '../../tests/data/hf/llama3-70b.json', 'utf8');
  await page.goto(base + '?page=train&model=llama3-70b&gpus=64&seq_len=8192');
  await page.waitForSelector('#page-train .out.shown', { timeout: 60000 });
  const presetStep = await number('#train-step');
  await page.click('#page-train details summary');
  await page.fill('form[data-page="train"] [name=config]', cfg);
  await submitAndWait('train');
  check((await page.textContent('#page-train .error')) === '' && Math.abs((await number('#train-step')) - presetStep) < 1e-3,
    `train: a pasted config.json gives the preset's step (${presetStep} s)`);
  await page.fill('form[data-page="train"] [name=config]', '{"hidden_size": 4096}');
  await submitAndWait('train');
  check((await page.textContent('#page-train .error')).startsWith('config'), 'train: a broken config.json is named as config');

  await visit('search', { model: 'llama3-8b', gpus: 32, min_gpus: 8, top: 3 }, '#search-summary b', '#search-plot', async () => {
    check(await page.locator('#search-table tr').count() === 4, 'search: three ranked layouts listed');
    await page.click('#search-table a.open >> nth=0');
    await page.waitForSelector('#page-train.active');
    await page.waitForSelector('#page-train .out.shown', { timeout: 60000 });
    check(new URL(page.url()).searchParams.get('page') === 'train', 'search: a layout opens in Train');
  });
  await visit('infer', { model: 'llama3-8b', gpus: 1, concurrency: 16, price_per_gpu_hour: 2.5 }, '#infer-ttft', '#infer-plot', async () => {
    check((await page.textContent('#infer-summary')).includes('per million output tokens'), 'infer: cost per million tokens shown');
  });
  await visit('plan', { model: 'llama3-8b', gpus: 64, tokens: '1e11', trials: 50, async_checkpoint: true }, '#plan-days', '#plan-hist', async () => {
    check(await drawn('#plan-years'), 'plan: rent vs build chart drawn');
    check(await page.locator('#plan-stack svg rect').count() >= 4, 'plan: cost stack drawn');
  });
  await visit('validate', {}, '#validate-median', '#validate-plot', async () => {
    check(await page.locator('#validate-table tr').count() >= 8, 'validate: a row per run and metric');
  });
  // A broken runs box gets the server's one-line error, not a crash.
  await page.fill('textarea[name=runs]', '[{"id": "x"}]');
  await submitAndWait('validate');
  check((await page.textContent('#page-validate .error')).includes('runs[0]'), 'validate: a bad run is named by index');
  errors.length = 0;
  await page.goto(base + '?page=catalog');
  await page.waitForSelector('#page-catalog .out.shown', { timeout: 60000 });
  check((await page.locator('#catalog-table tr').count()) > 50, 'catalog: accelerator figures listed');
  check((await page.textContent('#catalog-table')).includes('datasheet'), 'catalog: sources shown');
  check(errors.length === 0, `catalog: no console errors ${errors.join(' | ')}`);
  if (shots) await page.screenshot({ path: `${shots}/catalog.png`, fullPage: false });
  // Bad input on a form: the error line, no console error beyond the failed request.
  await page.goto(base + '?page=train');
  await page.fill('form[data-page="train"] [name=accelerator]', 'h100-sx');
  await submitAndWait('train');
  const badAcc = await page.textContent('#page-train .error');
  check(badAcc.includes("did you mean 'h100-sxm'"), `train: a bad accelerator gets the closest name (${badAcc})`);
} finally {
  await browser.close();
  server.kill('SIGTERM');
}
console.log(failures === 0 ? 'all browser checks passed' : `${failures} browser checks failed`);
process.exit(failures === 0 ? 0 : 1);
