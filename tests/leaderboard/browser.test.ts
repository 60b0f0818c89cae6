import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { main } from '../../grader/src/cli.ts';
import { record, twoAgents, writeRun } from './records.ts';

// The HTML report in a real browser (Debian's chromium, installed by scripts/infra.sh): no console
// error, no request but the file itself, every plot drawn. The screenshot is kept for a human look:
// $DN_SCREENSHOT_DIR (default <tmp>/datanexus-leaderboard)/leaderboard.png.

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT_DIR = process.env.DN_SCREENSHOT_DIR ?? path.join(os.tmpdir(), 'datanexus-leaderboard');

interface Visit {
  consoleErrors: string[];
  requests: string[];
  page: Page;
}

async function visit(browser: Browser, url: string): Promise<Visit> {
  const page = await browser.newPage();
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${String(e)}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(url, { waitUntil: 'load' });
  return { consoleErrors, requests, page };
}

describe('leaderboard.html in headless chromium', () => {
  let dir: string;
  let browser: Browser;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (scripts/infra.sh installs it when run as root)`);
    dir = await mkdtemp(path.join(os.tmpdir(), 'dn-browser-'));
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      userDataDir: path.join(dir, 'profile'),
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the console-error check catches an error (so its silence below means something)', async () => {
    const file = path.join(dir, 'broken.html');
    await writeFile(file, '<!doctype html><title>x</title><script>console.error("deliberate")</script>');
    const v = await visit(browser, pathToFileURL(file).href);
    assert.deepEqual(v.consoleErrors, ['deliberate']);
    await v.page.close();
  });

  test('the report loads with no console error and no request, draws every plot; screenshot saved', async () => {
    const { oracle, noop } = twoAgents();
    const odd = [record({ task: 'bug:L5', outcome: 'resolved', runId: 'run-c', agent: { name: 'random', version: '1' }, taskHash: 'hash-other' })];
    const runs = [await writeRun(path.join(dir, 'oracle'), oracle), await writeRun(path.join(dir, 'noop'), noop), await writeRun(path.join(dir, 'odd'), odd)];
    const sink = { write: () => true } as unknown as NodeJS.WriteStream;
    assert.equal(await main(['leaderboard', ...runs, '--out', 'lb'], { stdout: sink, stderr: sink, cwd: dir }), 0);
    const url = pathToFileURL(path.join(dir, 'lb', 'leaderboard.html')).href;
    const v = await visit(browser, url);
    assert.deepEqual(v.consoleErrors, []);
    assert.deepEqual(v.requests, [url]);
    const svgs = await v.page.$$eval('svg', (els) => els.map((e) => { const r = e.getBoundingClientRect(); return [r.width, r.height, e.querySelectorAll('rect,circle').length]; }));
    assert.equal(svgs.length, 5);
    for (const [w, h, marks] of svgs) assert.ok(w! > 200 && h! > 50 && marks! > 0, JSON.stringify(svgs));
    const text = await v.page.$eval('body', (b) => (b as HTMLElement).innerText);
    assert.match(text, /oracle@1\t1\.000\t\[1\.000, 1\.000\]\t3\/3 \(100%\)/);
    assert.match(text, /Not comparable, set apart:/);
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    const shot = path.join(SCREENSHOT_DIR, 'leaderboard.png');
    await v.page.screenshot({ path: shot, fullPage: true });
    assert.ok((await stat(shot)).size > 10_000);
    await v.page.close();
  });
});
