/**
 * @jest-environment ./test/support/onnx-environment.js
 */
/**
 * The workbench in a real browser: Debian's Chromium driven by playwright-core against the real
 * service (127.0.0.1, port 0): a query with explanations and index info, liked creators found by
 * name, a comparison (overlap@k, rank changes, a shareable URL), judgments that change
 * `npm run eval --judgments`, a rating task exported by labels:export, eval reports as charts,
 * and the page over TLS.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`). Without it the test fails, unless
 * MATCH_UI_BROWSER_TESTS=off, which skips it. UPDATE_SCREENSHOTS=1 writes docs/workbench.png
 * (the README's screenshot); otherwise the screenshots go to a temp dir.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { main as evalCli } from '../../tools/eval/cli';
import { exportTask } from '../../tools/labels/task';
import { unary } from '../helpers/server';
import { ensureWebBuilt, postJson, request, ROOT, sampleIndex, startUi, type UiRunning } from './helpers';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const skip = !existsSync(CHROMIUM) && process.env.MATCH_UI_BROWSER_TESTS === 'off';
if (skip) console.warn(`test/ui/browser.test.ts skipped: ${CHROMIUM} is missing and MATCH_UI_BROWSER_TESTS=off (install it with apt-get install -y chromium)`);
const suite = skip ? describe.skip : describe;

const FAN = 'fan_ui_1';
const TEXT = 'weekly true crime podcast';

interface Browser {
  context: BrowserContext;
  page: Page;
  errors: string[];
  close(): Promise<void>;
}

/** Chromium with a new empty profile; page errors and console errors (CSP violations too) are collected. */
async function openBrowser(opts: { ignoreHTTPSErrors?: boolean } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with apt-get install -y chromium (or set MATCH_UI_BROWSER_TESTS=off to skip the browser tests)`);
  const profile = mkdtempSync(path.join(os.tmpdir(), 'creator-match-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1400, height: 1000 }, ...opts });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      await fs.rm(profile, { recursive: true, force: true });
    },
  };
}

/** The creator ids of result rows, in order. */
const creatorIds = async (rows: Locator): Promise<Array<string | null>> => Promise.all((await rows.all()).map((r) => r.getAttribute('data-creator')));

const lines = (file: string): Array<Record<string, unknown>> =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];

async function evalNdcg(indexDir: string, fans: string, judgments: string, json: string): Promise<number> {
  let out = '';
  const code = await evalCli(['--index', indexDir, '--fans', fans, '--judgments', judgments, '--json', json], (s) => (out += s));
  expect(code).toBe(0);
  expect(out).toContain('judgments: graded');
  return (JSON.parse(readFileSync(json, 'utf8')) as { systems: { model: { ndcg: number } } }).systems.model.ndcg;
}

// One sample index for both suites (built with the real model, about 6 s).
let shared: { dir: string; indexDir: string } | undefined;
const sharedIndex = async (): Promise<{ dir: string; indexDir: string }> => (shared ??= await sampleIndex());
afterAll(async () => {
  if (shared) await fs.rm(shared.dir, { recursive: true, force: true });
});

suite('the workbench in Chromium', () => {
  let dir: string;
  let indexDir: string;
  let s: UiRunning;
  let b: Browser;
  let judgments: string;
  let fansFile: string;
  let taskFile: string;
  const shots = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs') : mkdtempSync(path.join(os.tmpdir(), 'creator-match-shots-'));

  beforeAll(async () => {
    ensureWebBuilt();
    indexDir = (await sharedIndex()).indexDir;
    dir = mkdtempSync(path.join(os.tmpdir(), 'creator-match-ui-'));
    judgments = path.join(dir, 'judgments', 'ui.jsonl');
    fansFile = path.join(dir, 'fans.jsonl');
    writeFileSync(fansFile, [JSON.stringify({ fan_id: FAN, interest_text: TEXT, language: 'en', expected_categories: ['podcasts'] }), JSON.stringify({ fan_id: 'fan_ui_2', follows: ['cr_000730', 'cr_000023'], language: 'en' })].join('\n') + '\n');
    taskFile = path.join(dir, 'task.csv');
    await exportTask({ indexDir, fansFile, out: taskFile, perFan: 3, raters: 1, goldShare: 0, seed: 1 });
    s = await startUi(indexDir, { MATCH_UI_JUDGMENTS_FILE: judgments, MATCH_UI_TASK_FILE: taskFile });
    b = await openBrowser();
  });
  afterAll(async () => {
    await b?.close();
    await s?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    expect(b.errors).toEqual([]);
  });

  it('runs a query: results with profiles, scores and explanations, and the serving index', async () => {
    const { page } = b;
    await page.goto(`${s.base}/`);
    await page.getByTestId('rater-id').fill('rater-e2e');
    await page.getByTestId('rater-id').press('Enter');
    await page.getByTestId('interest-text').fill(TEXT);
    await page.getByTestId('fan-id').fill(FAN);
    await page.getByTestId('col-a-mode').selectOption('RETRIEVAL_DENSE');
    await page.getByTestId('run').click();
    const results = page.getByTestId('results').getByTestId('result');
    await results.first().waitFor();
    expect(await results.count()).toBe(10);
    const viaGrpc = await unary(s.client, 'Match', { interest_text: TEXT, k: 10, retrieval: 'RETRIEVAL_DENSE', fan_id: FAN });
    expect(await creatorIds(results)).toEqual(viaGrpc.matches.map((m) => m.creator_id));
    expect(await results.first().getByTestId('explanation').textContent()).toMatch(/dense \d\.\d{3} #1/);
    expect(page.url()).toContain('mode=dense');
    const info = await unary(s.client, 'GetIndexInfo', {});
    expect(await page.getByTestId('info-version').textContent()).toBe(info.version);
    expect(await page.getByTestId('info-count').textContent()).toContain('1,200');
  });

  it('judges results; the judgments change npm run eval --judgments', async () => {
    const { page } = b;
    const results = page.getByTestId('results').getByTestId('result');
    const first = (await results.nth(0).getAttribute('data-creator'))!;
    const second = (await results.nth(1).getAttribute('data-creator'))!;
    await page.getByTestId(`judge-${first}-0`).click();
    await page.getByTestId('status').filter({ hasText: `recorded: ${first} = 0` }).waitFor();
    await page.getByTestId(`judge-${second}-2`).click();
    await page.getByTestId('status').filter({ hasText: `recorded: ${second} = 2` }).waitFor();
    await page.getByTestId(`judge-${second}-2`).and(page.locator('.on')).waitFor();
    expect(lines(judgments).map((l) => [l.rater_id, l.fan_id, l.creator_id, l.grade, l.mode, l.retrieval, l.rank])).toEqual([
      ['rater-e2e', FAN, first, 0, 'query', 'RETRIEVAL_DENSE', 1],
      ['rater-e2e', FAN, second, 2, 'query', 'RETRIEVAL_DENSE', 2],
    ]);
    const before = await evalNdcg(indexDir, fansFile, judgments, path.join(dir, 'eval-before.json'));
    // The rater changes their mind about the first result: eval follows the latest grade.
    await page.getByTestId(`judge-${first}-2`).click();
    await page.getByTestId('status').filter({ hasText: `recorded: ${first} = 2` }).waitFor();
    const after = await evalNdcg(indexDir, fansFile, judgments, path.join(dir, 'eval-after.json'));
    expect(before).toBeCloseTo(3 / Math.log2(3) / 3, 4); // the relevant creator second, the first not relevant
    expect(after).toBeCloseTo(1, 6);
    // A reload shows the rater's earlier grades.
    await page.reload();
    await page.getByTestId(`judge-${first}-2`).and(page.locator('.on')).waitFor();
  });

  it('finds liked creators by name and queries with them', async () => {
    const { page } = b;
    await page.goto(`${s.base}/`);
    await page.getByTestId('kind-like').check();
    await page.getByTestId('creator-search').fill('crumb');
    await page.getByTestId('hit-cr_000023').click();
    expect(await page.getByTestId('liked-chip').textContent()).toContain('crumb_maya');
    await page.getByTestId('run').click();
    const results = page.getByTestId('results').getByTestId('result');
    await results.first().waitFor();
    const ids = await creatorIds(results);
    expect(ids).not.toContain('cr_000023');
    expect(page.url()).toContain('like=cr_000023');
  });

  it('compares two modes: overlap@k, rank changes, and a URL that reproduces the comparison', async () => {
    const { page } = b;
    await page.goto(`${s.base}/?view=compare&q=${encodeURIComponent(TEXT)}&fan=${FAN}&a.mode=dense&b.mode=lexical`);
    await page.getByTestId('results-b').getByTestId('result').first().waitFor();
    const [a, bb] = await Promise.all([
      unary(s.client, 'Match', { interest_text: TEXT, k: 10, retrieval: 'RETRIEVAL_DENSE', fan_id: FAN }),
      unary(s.client, 'Match', { interest_text: TEXT, k: 10, retrieval: 'RETRIEVAL_LEXICAL', fan_id: FAN }),
    ]);
    const idsA = a.matches.map((m) => m.creator_id);
    const shared = bb.matches.filter((m) => idsA.includes(m.creator_id)).length;
    expect(await page.getByTestId('overlap').textContent()).toBe(`overlap@10 ${(shared / 10).toFixed(2)}`);
    const marks = await page.getByTestId('results-b').getByTestId('rank-mark').allTextContents();
    expect(marks).toHaveLength(10);
    bb.matches.forEach((m, i) => {
      const was = idsA.indexOf(m.creator_id);
      expect(marks[i]).toBe(was < 0 ? 'new' : was === i ? '=' : was > i ? `▲${was - i}` : `▼${i - was}`);
    });
    await page.screenshot({ path: path.join(shots, 'workbench.png'), fullPage: false });
    // Change column B in the form, run, and open the address in a new tab: the same comparison.
    await page.getByTestId('col-b-mode').selectOption('RETRIEVAL_HYBRID');
    await page.getByTestId('run').click();
    await page.waitForURL(/b\.mode=hybrid/);
    await page.getByTestId('col-title-b').filter({ hasText: 'hybrid' }).waitFor();
    const overlap = await page.getByTestId('overlap').textContent();
    const tab = await b.context.newPage();
    await tab.goto(page.url());
    await tab.getByTestId('results-b').getByTestId('result').first().waitFor();
    expect(await tab.getByTestId('overlap').textContent()).toBe(overlap);
    expect(await tab.getByTestId('col-b-mode').inputValue()).toBe('RETRIEVAL_HYBRID');
    await tab.close();
  });

  it('walks a rater through a rating task (configured, or uploaded)', async () => {
    const { page } = b;
    await page.goto(`${s.base}/?view=task`);
    await page.getByTestId('task-configured').click();
    const progress = page.getByTestId('task-progress');
    await progress.waitFor();
    const total = readFileSync(taskFile, 'utf8').trim().split('\n').length - 1;
    expect(await progress.textContent()).toMatch(new RegExp(`^\\d+ of ${total} rated by rater-e2e`));
    const start = Number((await progress.textContent())!.split(' ')[0]);
    const creator = await page.getByTestId('task-creator').textContent();
    await page.keyboard.press('2');
    await progress.filter({ hasText: `${start + 1} of ${total}` }).waitFor();
    expect(await page.getByTestId('task-creator').textContent()).not.toBe(creator);
    await page.getByTestId('task-grade-0').click();
    await progress.filter({ hasText: `${start + 2} of ${total}` }).waitFor();
    const task = lines(judgments).filter((l) => l.mode === 'task');
    expect(task).toHaveLength(2);
    expect(task.map((l) => l.grade)).toEqual([2, 0]);
    const csv = readFileSync(taskFile, 'utf8');
    for (const l of task) expect(csv).toContain(`${String(l.item_id)},${String(l.fan_id)},`);
    // The same task uploaded from the rater's machine.
    await page.goto(`${s.base}/?view=task`);
    await page.getByTestId('task-upload').setInputFiles(taskFile);
    await progress.filter({ hasText: `${start + 2} of ${total}` }).waitFor();
  });

  it('renders eval reports side by side as charts', async () => {
    const { page } = b;
    await page.goto(`${s.base}/?view=reports`);
    await page.getByTestId('report-upload').setInputFiles([path.join(dir, 'eval-before.json'), path.join(dir, 'eval-after.json')]);
    await page.getByTestId('report-table').waitFor();
    expect(await page.getByTestId('report-table').locator('tbody tr').count()).toBe(2);
    const bars = page.getByTestId('chart-systems').locator('rect[data-value]');
    expect(await bars.count()).toBeGreaterThanOrEqual(4);
    expect(await page.getByTestId('chart-languages').locator('rect[data-value]').count()).toBe(2);
    expect(await page.getByTestId('chart-categories').locator('rect[data-value]').count()).toBe(2);
    await page.screenshot({ path: path.join(shots, 'workbench-reports.png'), fullPage: false });
  });
});

suite('the workbench over TLS', () => {
  let dir: string;
  let indexDir: string;
  const file = (name: string): string => path.join(dir, name);
  const openssl = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });

  beforeAll(async () => {
    ensureWebBuilt();
    indexDir = (await sharedIndex()).indexDir;
    dir = mkdtempSync(path.join(os.tmpdir(), 'creator-match-tls-'));
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test-ca']);
    for (const [name, cn, ext] of [
      ['server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
      ['client', 'rater-laptop', 'extendedKeyUsage=clientAuth'],
    ] as const) {
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
      writeFileSync(file(`${name}.ext`), `${ext}\n`);
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
    }
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('serves the page and the JSON API over TLS with the MATCH_TLS_* files; a query works in the browser', async () => {
    const s = await startUi(indexDir, { MATCH_TLS_CERT_FILE: file('server.pem'), MATCH_TLS_KEY_FILE: file('server.key') });
    const b = await openBrowser({ ignoreHTTPSErrors: true });
    try {
      expect(s.base).toMatch(/^https:/);
      const ca = readFileSync(file('ca.pem'));
      expect((await request(`${s.base}/`, { ca })).status).toBe(200);
      await expect(request(`http://127.0.0.1:${s.uiPort}/`)).rejects.toThrow();
      await b.page.goto(`${s.base}/?q=${encodeURIComponent('sourdough baking')}`);
      await b.page.getByTestId('results').getByTestId('result').first().waitFor();
      expect(await b.page.getByTestId('results').getByTestId('result').count()).toBe(10);
      expect(b.errors).toEqual([]);
    } finally {
      await b.close();
      await s.stop();
    }
  });

  it('with a client CA (mutual TLS) the workbench port wants a client certificate too', async () => {
    const s = await startUi(indexDir, { MATCH_TLS_CERT_FILE: file('server.pem'), MATCH_TLS_KEY_FILE: file('server.key'), MATCH_TLS_CLIENT_CA_FILE: file('ca.pem') });
    try {
      const ca = readFileSync(file('ca.pem'));
      await expect(request(`${s.base}/`, { ca })).rejects.toThrow();
      await expect(postJson(`${s.base}/creatormatch.v1.CreatorMatcher/GetIndexInfo`, {})).rejects.toThrow();
      const ok = await request(`${s.base}/creatormatch.v1.CreatorMatcher/GetIndexInfo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}', ca, cert: readFileSync(file('client.pem')), key: readFileSync(file('client.key')) });
      expect(ok.status).toBe(200);
      expect(ok.json()).toMatchObject({ creator_count: '1200' });
    } finally {
      await s.stop();
    }
  });
});
