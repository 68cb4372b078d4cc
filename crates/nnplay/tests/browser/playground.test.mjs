// The playground page in a real browser (Debian's chromium through playwright-core): clicks
// points, trains, waits for the accuracy the issue asks for, checks the colour field moved and
// the link reproduces the points, and feeds the page bad input. Screenshots go to
// target/nnplay-screens/.
//
// Run (after `cargo build --release -p nnplay-server` and one run of it to build the
// site): `cd crates/nnplay/tests/browser && npm ci && node playground.test.mjs`.
// NNPLAY_BIN overrides the server binary, CHROMIUM the browser.

import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import assert from 'node:assert/strict';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../../..');
const bin = process.env.NNPLAY_BIN ?? path.join(root, 'target/release/playground');
const screens = path.join(root, 'target/nnplay-screens');
mkdirSync(screens, { recursive: true });

/** Starts the playground's server on a free port; resolves to its URL and the process. */
function startServer() {
  return new Promise((resolve, reject) => {
    const server = spawn(bin, ['--no-build', '--addr', '127.0.0.1:0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    server.on('error', reject);
    server.on('exit', (code) => reject(new Error(`the server exited with ${code}`)));
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/playground: (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) resolve({ url: m[1], server });
    });
  });
}

const { url, server } = await startServer();
/** Child processes to end however the script ends. */
const children = [server];
process.on('exit', () => children.forEach((c) => c.kill()));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
const failures = [];
const pageErrors = [];

async function newPage(address = url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(address);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  return page;
}

const status = (page) => page.evaluate(() => window.nnplay.status());

/** Clicks the plane at plane coordinates (x, y) in −1…1. */
async function clickPlane(page, x, y) {
  const box = await page.locator('#plane').boundingBox();
  await page.mouse.click(box.x + ((x + 1) / 2) * box.width, box.y + ((1 - y) / 2) * box.height);
}

/** The i-th of 20 click positions in a 5 × 4 block spaced 0.14 apart, centred on (x, y): far
 *  enough apart that no click lands on an earlier point (which would grab it instead). */
function spot(i, [x, y]) {
  return [x + 0.14 * ((i % 5) - 2), y + 0.14 * (Math.floor(i / 5) - 1.5)];
}

async function waitFor(page, what, predicate, timeoutMs) {
  const started = Date.now();
  let last;
  while (Date.now() - started < timeoutMs) {
    last = await status(page);
    if (predicate(last)) return last;
    await page.waitForTimeout(200);
  }
  throw new Error(`${what}: not reached in ${timeoutMs} ms; last status ${JSON.stringify(last)}`);
}

async function check(name, body) {
  const started = Date.now();
  try {
    await body();
    console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failures.push(name);
    console.log(`FAIL ${name}: ${e.stack ?? e}`);
  }
}

/** Clears the plane and clicks 20 points of each class where `cat(i)` and `mouse(i)` say. */
async function clickPoints(page, cat, mouse) {
  await page.click('#clear');
  await page.check('#class-cat');
  for (let i = 0; i < 20; i++) {
    const [x, y] = cat(i);
    await clickPlane(page, x, y);
  }
  await page.check('#class-mouse');
  for (let i = 0; i < 20; i++) {
    const [x, y] = mouse(i);
    await clickPlane(page, x, y);
  }
  assert.equal((await status(page)).points, 40, 'forty clicked points');
}

async function applyModel(page, hidden, activation, learningRate) {
  await page.fill('#hidden', hidden);
  await page.selectOption('#activation', activation);
  await page.fill('#learning-rate', learningRate);
  await page.click('#apply-model');
}

await check('a first visit: Train on the page as it opens reaches >= 95 %', async () => {
  // What a new user sees first (the preset cats vs mice, the perceptron): the time from loading
  // the page to a trained boundary, printed with the check.
  const page = await newPage();
  await page.click('#train');
  await waitFor(page, 'accuracy >= 0.95', (s) => s.accuracy >= 0.95 && s.steps > 0, 30000);
  await page.close();
});

let catsMiceLink;
await check('cats vs mice: a perceptron reaches >= 95 % and the field changes', async () => {
  const page = await newPage();
  await page.selectOption('#preset', 'cats-mice');
  // Cats up and to the right, mice down and to the left.
  await clickPoints(page, (i) => spot(i, [0.45, 0.45]), (i) => spot(i, [-0.45, -0.45]));
  await applyModel(page, '', 'tanh', '0.1');
  const before = await status(page);
  await page.click('#train');
  const done = await waitFor(page, 'accuracy >= 0.95', (s) => s.accuracy >= 0.95 && s.steps > 0, 30000);
  // Keep training a second and count the redraws: at least 10 a second.
  const r0 = (await status(page)).redraws;
  await page.waitForTimeout(1000);
  const r1 = (await status(page)).redraws;
  assert.ok(r1 - r0 >= 10, `${r1 - r0} redraws in one second`);
  await page.click('#pause');
  const after = await status(page);
  assert.notEqual(after.fieldHash, before.fieldHash, 'the colour field changed while training');
  assert.ok(
    (await page.textContent('#boundary')).startsWith('boundary: '),
    'the perceptron shows its line',
  );
  await page.screenshot({ path: path.join(screens, 'cats-mice.png'), fullPage: true });
  catsMiceLink = page.url();
  console.log(`     accuracy ${done.accuracy} after ${done.steps} steps; ${r1 - r0} redraws/s`);
  await page.close();
});

await check('the copied link reproduces the points', async () => {
  assert.ok(catsMiceLink, 'the first check left a link');
  const page = await newPage(catsMiceLink);
  const s = await status(page);
  assert.equal(s.points, 40);
  assert.equal('#' + s.state, new URL(catsMiceLink).hash, 'the same points and settings');
  // Another link pasted into the same tab changes only the fragment: the page loads it.
  await page.evaluate(() => {
    location.hash = '#h=8&a=relu&p=100,100,1_-100,-100,0';
  });
  await waitFor(page, 'the pasted link', (t) => t.points === 2, 5000);
  assert.equal(await page.inputValue('#hidden'), '8');
  await page.close();
});

await check('XOR with a hidden layer reaches 100 %', async () => {
  const page = await newPage();
  // Ten points in each quadrant (2 rows of 5): cats where x·y > 0.
  const block = (i, [x, y]) => [x + 0.14 * ((i % 5) - 2), y + 0.14 * (Math.floor(i / 5) % 2 - 0.5)];
  const corners = [[0.5, 0.5], [-0.5, -0.5], [0.5, -0.5], [-0.5, 0.5]];
  await clickPoints(
    page,
    (i) => block(i % 10, corners[Math.floor(i / 10)]),
    (i) => block(i % 10, corners[2 + Math.floor(i / 10)]),
  );
  await applyModel(page, '8', 'tanh', '0.3');
  await page.click('#train');
  const done = await waitFor(page, 'accuracy 1', (s) => s.accuracy === 1, 60000);
  await page.click('#pause');
  await page.screenshot({ path: path.join(screens, 'xor.png'), fullPage: true });
  console.log(`     accuracy 1 after ${done.steps} steps`);
  await page.close();
});

await check('a learning rate of 1e30 diverges, the page says so and resets', async () => {
  const page = await newPage();
  await applyModel(page, '8', 'relu', '1e30');
  await page.click('#train');
  await waitFor(page, 'diverged', (s) => s.diverged, 20000);
  assert.ok(await page.isVisible('#diverged'), 'the diverged notice shows');
  await page.screenshot({ path: path.join(screens, 'diverged.png') });
  await page.click('#reset-diverged');
  const s = await status(page);
  assert.equal(s.diverged, false);
  assert.equal(s.steps, 0);
  await page.close();
});

await check('bad input gets a message, never a broken page', async () => {
  const page = await newPage();
  await applyModel(page, '1000000000', 'tanh', '0.1');
  assert.match(await page.textContent('#message'), /units/);
  await applyModel(page, '8', 'tanh', 'fast');
  assert.match(await page.textContent('#message'), /learning rate/);
  // An empty box is refused, not read as 0.
  await page.fill('#batch-size', '');
  await applyModel(page, '8', 'tanh', '0.1');
  assert.match(await page.textContent('#message'), /batch size NaN/);
  await page.fill('#batch-size', '10');
  const errors = await page.evaluate(() => {
    const p = window.nnplay.play();
    const messages = [];
    for (const args of [[NaN, 0, 1], [Infinity, 0, 0], [0, 0, 7], [0.1, 0.1, -1]]) {
      try {
        p.add_point(...args);
        messages.push('accepted');
      } catch (e) {
        messages.push(e.message);
      }
    }
    return messages;
  });
  assert.ok(errors.every((m) => m !== 'accepted'), `refused: ${errors.join(' | ')}`);
  // A million points: the cap holds and the page keeps working.
  const count = await page.evaluate(() => {
    const p = window.nnplay.play();
    p.clear_points();
    let refused = 0;
    for (let i = 0; i < 1000000; i++) {
      try {
        p.add_point((i % 1000) / 1000, ((i * 7) % 1000) / 1000, i % 2);
      } catch {
        refused++;
      }
    }
    return { points: p.points().length / 3, refused };
  });
  assert.deepEqual(count, { points: 1000, refused: 999000 });
  await page.click('#step');
  await page.close();
  // A hand-edited link with garbage in it: the page loads, says what it ignored.
  const garbage = `${url}#h=abc&a=wat&lr=-5&b=0&s=x&p=1,2,3_zzz_5000,0,1&junk=%00%ff`;
  const bad = await newPage(garbage);
  assert.match(await bad.textContent('#message'), /ignored/);
  assert.equal((await status(bad)).points, 0, 'no point of the garbage was read');
  await bad.close();
});

await check('the dashboard of a short MNIST fit shows its curves growing', async () => {
  const mnist = process.env.MNIST_DIR;
  if (!mnist) {
    if (process.env.CI) throw new Error('MNIST_DIR is not set');
    console.log('     skipped: set MNIST_DIR to the MNIST files');
    return;
  }
  const example = process.env.NNPLAY_MNIST_MLP ?? path.join(root, 'target/release/examples/mnist_mlp');
  const fit = spawn(example, ['--data', mnist, '--dashboard', '127.0.0.1:0', '--epochs', '40', '--quiet'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(fit);
  const exited = new Promise((resolve) => fit.on('exit', resolve));
  try {
    const address = await new Promise((resolve, reject) => {
      let out = '';
      fit.on('error', reject);
      fit.stdout.on('data', (chunk) => {
        out += chunk;
        const m = out.match(/dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/);
        if (m) resolve(m[1]);
      });
      exited.then((code) => reject(new Error(`mnist_mlp exited with ${code} before serving`)));
    });
    const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(address);
    const dash = () => page.evaluate(() => window.dashboard.status());
    const first = await waitForDash(page, dash, (s) => s.epochs >= 2);
    const later = await waitForDash(page, dash, (s) => s.epochs >= first.epochs + 3);
    assert.ok(later.batches > first.batches, 'batch points keep coming');
    assert.match(await page.textContent('#summary'), /Total params: 25,450/);
    await page.screenshot({ path: path.join(screens, 'dashboard.png'), fullPage: true });
    console.log(`     ${first.epochs} then ${later.epochs} epochs drawn, ${later.batches} batch points`);
    await page.close();
    assert.equal(await exited, 0, 'mnist_mlp finished');
  } finally {
    fit.kill();
  }
});

async function waitForDash(page, dash, predicate) {
  const started = Date.now();
  let last;
  while (Date.now() - started < 60000) {
    last = await dash();
    if (predicate(last)) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(`dashboard: not reached; last ${JSON.stringify(last)}`);
}

if (pageErrors.length > 0) {
  failures.push('uncaught page errors');
  console.log(`FAIL uncaught page errors:\n${pageErrors.join('\n')}`);
}
await browser.close();
server.kill();
console.log(failures.length === 0 ? 'browser tests passed' : `browser tests failed: ${failures.join(', ')}`);
process.exit(failures.length === 0 ? 0 : 1);
