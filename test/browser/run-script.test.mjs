// scripts/run.sh as a person uses it: a short banner and warnings in the terminal (no JSON log
// lines), the full logs in <data dir>/logs/<service>.log, the app at the printed address, and
// Ctrl-C stopping everything. (Setup and build are skipped: the suite runs after the build.)
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connected, launch, newPage, repo, signIn } from './helpers.mjs';

const dataDir = mkdtempSync(join(tmpdir(), 'parley-run-'));
let browser;

after(async () => {
  if (browser) await browser.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const isFree = (port) => new Promise((ok) => {
  const s = createServer();
  s.once('error', () => ok(false));
  s.listen(port, '127.0.0.1', () => s.close(() => ok(true)));
});
const answers = (port) => new Promise((ok) => {
  const c = connect(port, '127.0.0.1');
  c.once('connect', () => { c.destroy(); ok(true); });
  c.once('error', () => ok(false));
});

async function freeBlock() {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20000 + Math.floor(Math.random() * 9000);
    const ports = [0, 1, 2, 3, 4].map((i) => base + i);
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return base;
  }
  throw new Error('no block of five free ports');
}

test('run.sh: banner and warnings only in the terminal, JSON logs in files, Ctrl-C stops all', async () => {
  const base = await freeBlock();
  const child = spawn(join(repo, 'scripts', 'run.sh'), [], {
    env: {
      ...process.env,
      PARLEY_RUN_NO_SETUP: '1',
      PARLEY_BASE_PORT: String(base),
      PARLEY_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, as a terminal's foreground job
  });
  let out = '';
  child.stdout.on('data', (c) => { out += c; });
  child.stderr.on('data', (c) => { out += c; });
  const exited = new Promise((ok) => child.once('exit', (code, signal) => ok({ code, signal })));
  try {
    const deadline = Date.now() + 30000;
    while (!out.includes('Ctrl-C stops everything.') && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 100));
    assert.match(out, new RegExp(`Parley is running: open http://127\\.0\\.0\\.1:${base}/`));
    assert.match(out, /sign in as admin \/ admin123/);

    // Use it through the printed address.
    browser = await launch();
    const page = await newPage(browser);
    await page.goto(`http://127.0.0.1:${base}/`);
    await signIn(page, 'admin', 'admin123');
    await connected(page);
    await page.locator('#room-title', { hasText: 'General' }).waitFor();
    await page.context().close();

    // The terminal: a few lines, none of them JSON; each warning once.
    const lines = out.split('\n').filter((l) => l.trim());
    assert.ok(lines.length <= 15, out);
    assert.ok(!lines.some((l) => l.trim().startsWith('{')), out);
    const warnings = lines.filter((l) => /^\s+(warn|error) /.test(l));
    assert.equal(new Set(warnings).size, warnings.length);
    assert.ok(warnings.some((l) => l.includes('DEVELOPMENT MODE')), out);
    // The files: every service's full JSON log, requests included.
    const logs = join(dataDir, 'logs');
    assert.deepEqual(readdirSync(logs).sort(), ['auth.log', 'chat.log', 'frontend.log', 'gateway.log', 'user.log']);
    for (const name of readdirSync(logs)) {
      const entries = readFileSync(join(logs, name), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.ok(entries.some((e) => e.message === 'listening'), name);
    }
  } finally {
    // Ctrl-C: SIGINT to the foreground process group.
    process.kill(-child.pid, 'SIGINT');
  }
  let timer;
  const result = await Promise.race([exited, new Promise((ok) => { timer = setTimeout(() => ok('timeout'), 20000); })]);
  clearTimeout(timer);
  assert.notEqual(result, 'timeout', `run.sh did not stop:\n${out}`);
  assert.match(out, /Stopped\. The data \(and logs\) stay in/);
  for (let i = 0; i < 5; i++) assert.equal(await answers(base + i), false, `port ${base + i} still answers`);
});
