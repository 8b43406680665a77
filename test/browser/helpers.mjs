// Shared by the browser test files: the browser, pages, the API, and the steps a person takes
// (register, sign in, open a room, send). Each test file starts its own ParleySystem.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const repo = resolve(new URL('../..', import.meta.url).pathname);
export const artifacts = process.env.PARLEY_E2E_ARTIFACTS
  || join(process.env.PARLEY_BUILD_DIR || join(repo, 'build', 'default'), 'browser-artifacts');
mkdirSync(artifacts, { recursive: true });

// Features whose tests skip until the server side exists; listed here (comma-separated), such
// a test fails instead of skipping: PARLEY_E2E_REQUIRE=room_events,admin_actions
const required = new Set((process.env.PARLEY_E2E_REQUIRE || '').split(',').map((s) => s.trim()).filter(Boolean));
export function skipUnless(t, feature, available, reason) {
  if (available) return false;
  if (required.has(feature)) assert.fail(`${feature} is required (PARLEY_E2E_REQUIRE) but ${reason}`);
  t.skip(`${reason} (set PARLEY_E2E_REQUIRE=${feature} to fail instead)`);
  return true;
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const uniq = Date.now().toString(36);
let counter = 0;
export function person(name) {
  counter += 1;
  const username = `${name}_${uniq}${counter}`;
  return { username, email: `${username}@example.com`, password: `pass phrase ${counter}!` };
}

export async function newPage(browser, { width = 1200, height = 760, dialogs = [], colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme });
  const page = await context.newPage();
  page.on('dialog', async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  page.errors = [];
  page.on('pageerror', (e) => {
    page.errors.push(e.message);
    console.error('page error:', e.message);
  });
  return page;
}

// The gateway's HTTP API from the test itself (Node's fetch).
export async function api(system, path, { method = 'GET', body, token, raw } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(system.url('gateway') + path, {
    method,
    headers,
    body: body === undefined ? undefined : (raw ? body : JSON.stringify(body)),
  });
  const text = await res.text();
  let data = null;
  try { data = JSON.parse(text); } catch { data = text; }
  return { status: res.status, data, headers: res.headers };
}

// Registers through the API: { ...user, id, token }.
export async function registered(system, user) {
  const r = await api(system, '/api/auth/register', { method: 'POST', body: user });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  return { ...user, id: r.data.user.id, token: r.data.token };
}

export async function adminToken(system) {
  const r = await api(system, '/api/auth/login', { method: 'POST', body: { username: 'admin', password: 'admin123' } });
  assert.equal(r.status, 200);
  return r.data.token;
}

export async function createRoom(system, token, name, { isPrivate = false, description = '' } = {}) {
  const r = await api(system, '/api/chat/rooms', { method: 'POST', token, body: { name, description, is_private: isPrivate } });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  return r.data.room;
}

export async function connected(page) {
  await page.locator('#connection-state[data-state="open"]').waitFor({ timeout: 15000 });
}

export async function register(system, page, user, { screenshot } = {}) {
  await page.goto(system.url('frontend'));
  await page.getByRole('tab', { name: 'Register' }).click();
  if (screenshot) await shoot(page, screenshot);
  await page.locator('#register-username').fill(user.username);
  await page.locator('#register-email').fill(user.email);
  await page.locator('#register-password').fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await connected(page);
}

export async function login(system, page, username, password, { path = '/' } = {}) {
  await page.goto(system.url('frontend') + path);
  await signIn(page, username, password);
  await connected(page);
}

export async function signIn(page, username, password) {
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

// A page already signed in with a token (no UI steps).
export async function openAs(system, page, token) {
  await page.goto(system.url('frontend'));
  await page.evaluate((t) => localStorage.setItem('parley.token', t), token);
  await page.reload();
  await connected(page);
}

export async function openRoom(page, name) {
  // On a narrow screen the room list is a drawer: open it first, as a person would.
  if (await page.locator('#rooms-toggle').isVisible()) await page.locator('#rooms-toggle').click();
  await page.locator('#room-list .room-button', { hasText: name }).first().click();
  await page.locator('#room-title', { hasText: name }).waitFor();
  await page.locator('#message-list li.loading').waitFor({ state: 'detached' });
}

export async function send(page, text) {
  const input = page.getByLabel('Message', { exact: true });
  await input.fill(text);
  await input.press('Enter');
}

// Confirmed (stored, acked) copies of a message in the page's list.
export function confirmed(page, text) {
  return page.locator('#message-list li.message:not(.pending) .text', { hasText: text });
}

export async function expectOnce(page, text) {
  await confirmed(page, text).first().waitFor({ timeout: 15000 });
  const copies = await page.locator('#message-list li.message .text').evaluateAll(
    (nodes, t) => nodes.filter((n) => n.textContent === t).length, text);
  assert.equal(copies, 1, `"${text}" shown ${copies} times`);
}

// Stores `texts` in a room as the token's user over a WebSocket of its own, opened in `page`
// (any page of the app: Node 18 has no WebSocket), waiting out the rate limit as a client must.
export async function seed(page, system, token, roomId, texts) {
  const wsUrl = `${system.url('gateway').replace('http', 'ws')}/ws`;
  return page.evaluate(async ({ wsUrl, token, roomId, texts }) => {
    const ws = new WebSocket(wsUrl);
    const frames = [];
    let wake = null;
    ws.onmessage = (e) => { frames.push(JSON.parse(e.data)); if (wake) wake(); };
    const next = async (type) => {
      for (;;) {
        const i = frames.findIndex((f) => f.type === type || (type === 'ack' && f.type === 'error'));
        if (i >= 0) return frames.splice(i, 1)[0];
        await new Promise((ok) => { wake = ok; setTimeout(ok, 200); });
      }
    };
    await new Promise((ok) => { ws.onopen = ok; });
    ws.send(JSON.stringify({ type: 'auth', token }));
    await next('connected');
    ws.send(JSON.stringify({ type: 'join', room_id: roomId }));
    await next('joined');
    const seqs = [];
    for (let i = 0; i < texts.length; i++) {
      const clientId = `seed-${Date.now()}-${i}`;
      for (;;) {
        ws.send(JSON.stringify({ type: 'message', room_id: roomId, content: texts[i], client_id: clientId }));
        const answer = await next('ack');
        if (answer.type === 'ack') { seqs.push(answer.seq); break; }
        if (answer.code !== 'rate_limited') throw new Error(answer.message);
        await new Promise((ok) => setTimeout(ok, answer.retry_after_ms || 100));
      }
    }
    ws.close();
    return seqs;
  }, { wsUrl, token, roomId, texts });
}

// The first frame a fresh WebSocket gets after auth (to read the server's `features`).
export async function connectedFrame(page, system, token) {
  const wsUrl = `${system.url('gateway').replace('http', 'ws')}/ws`;
  return page.evaluate(async ({ wsUrl, token }) => {
    const ws = new WebSocket(wsUrl);
    await new Promise((ok) => { ws.onopen = ok; });
    const frame = new Promise((ok) => { ws.onmessage = (e) => ok(JSON.parse(e.data)); });
    ws.send(JSON.stringify({ type: 'auth', token }));
    const f = await frame;
    ws.close();
    return f;
  }, { wsUrl, token });
}

// A screenshot into the artifacts (and into PARLEY_SCREENSHOT_DIR, e.g. docs/screenshots).
export async function shoot(page, name, options = {}) {
  const path = join(artifacts, name);
  await page.screenshot({ path, ...options });
  if (process.env.PARLEY_SCREENSHOT_DIR) copyFileSync(path, join(process.env.PARLEY_SCREENSHOT_DIR, name));
}

// Every character a page shows (text, form values and placeholders, SVG text) has a glyph in a
// font installed here (fontconfig), so nothing renders as an empty box.
export async function assertGlyphs(page) {
  const text = await page.evaluate(() => {
    const parts = [document.body.innerText];
    for (const n of document.querySelectorAll('input, textarea')) parts.push(n.value, n.placeholder || '');
    for (const n of document.querySelectorAll('svg text')) parts.push(n.textContent);
    for (const n of document.querySelectorAll('button, a, span, li, p, h1, h2, time')) {
      const before = getComputedStyle(n, '::before').content;
      if (before && before !== 'none' && before !== 'normal') parts.push(before.replace(/^"|"$/g, ''));
    }
    return parts.join('');
  });
  const missing = [];
  for (const ch of new Set(text)) {
    const cp = ch.codePointAt(0);
    if (cp <= 0x20 || (cp >= 0x7f && cp <= 0xa0)) continue; // white space and controls
    const fonts = execFileSync('fc-list', [`:charset=${cp.toString(16)}`, 'family'], { encoding: 'utf8' }).trim();
    if (!fonts) missing.push(`U+${cp.toString(16).toUpperCase().padStart(4, '0')} ${ch}`);
  }
  assert.deepEqual(missing, [], `characters without a glyph in any installed font: ${missing.join(', ')}`);
}

// DOM order of the message rows: [{ seq, pending, text }]
export async function messageRows(page) {
  return page.locator('#message-list li.message').evaluateAll((nodes) => nodes.map((n) => ({
    seq: n.dataset.seq ? Number(n.dataset.seq) : null,
    pending: n.classList.contains('pending'),
    text: n.querySelector('.text').textContent,
  })));
}
