// Parley in a real browser: Debian's Chromium driven by playwright-core against the five real
// services (system.mjs). Run by ctest (test/browser/CMakeLists.txt) or `npm test` here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { ParleySystem } from './system.mjs';

const repo = resolve(new URL('../..', import.meta.url).pathname);
const artifacts = process.env.PARLEY_E2E_ARTIFACTS || join(process.env.PARLEY_BUILD_DIR || join(repo, 'build', 'default'), 'browser-artifacts');
mkdirSync(artifacts, { recursive: true });

const system = new ParleySystem();
let browser;
const run = Date.now().toString(36);
const alice = { username: `alice_${run}`, email: `alice_${run}@example.com`, password: 'correct horse 1' };
const bob = { username: `bob_${run}`, email: `bob_${run}@example.com`, password: 'battery staple 2' };
let alicePage;
let bobPage;
const dialogs = [];

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
  const page = await context.newPage();
  page.on('dialog', async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return page;
}

async function register(page, user, { screenshot } = {}) {
  await page.goto(system.url('frontend'));
  await page.getByRole('tab', { name: 'Register' }).click();
  if (screenshot) await page.screenshot({ path: join(artifacts, screenshot) });
  await page.locator('#register-username').fill(user.username);
  await page.locator('#register-email').fill(user.email);
  await page.locator('#register-password').fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await connected(page);
}

async function login(page, username, password) {
  await page.goto(system.url('frontend'));
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await connected(page);
}

async function connected(page) {
  await page.locator('#connection-state[data-state="open"]').waitFor({ timeout: 15000 });
}

async function openRoom(page, name) {
  await page.locator('#room-list .room-button', { hasText: name }).first().click();
  await page.locator('#room-title', { hasText: name }).waitFor();
}

async function send(page, text) {
  const input = page.getByLabel('Message', { exact: true });
  await input.fill(text);
  await input.press('Enter');
}

// Confirmed (stored, acked) copies of a message in the page's list.
function confirmed(page, text) {
  return page.locator('#message-list li.message:not(.pending) .text', { hasText: text });
}

async function expectOnce(page, text) {
  await confirmed(page, text).first().waitFor({ timeout: 15000 });
  const copies = await page.locator('#message-list li.message .text').evaluateAll(
    (nodes, t) => nodes.filter((n) => n.textContent === t).length, text);
  assert.equal(copies, 1, `"${text}" shown ${copies} times`);
}

before(async () => {
  await system.start();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close();
  await system.stop();
});

test('two users register, join a room and chat both ways in real time', async () => {
  alicePage = await newPage();
  bobPage = await newPage();
  await register(alicePage, alice, { screenshot: 'login.png' });
  await register(bobPage, bob);
  await openRoom(alicePage, 'General');
  await openRoom(bobPage, 'General');
  // Each sees the other online.
  await alicePage.locator('#online-list li', { hasText: bob.username }).waitFor();
  await bobPage.locator('#online-list li', { hasText: alice.username }).waitFor();

  await send(alicePage, `hello bob ${run}`);
  await expectOnce(bobPage, `hello bob ${run}`);
  await expectOnce(alicePage, `hello bob ${run}`);
  await send(bobPage, `hi alice ${run}`);
  await expectOnce(alicePage, `hi alice ${run}`);
  // Author and time are shown with the text.
  const item = alicePage.locator('#message-list li.message', { hasText: `hi alice ${run}` });
  assert.equal(await item.locator('.author').textContent(), bob.username);
  assert.match(await item.locator('time').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/);

  // Typing indicator.
  await bobPage.getByLabel('Message', { exact: true }).pressSequentially('typing…');
  await alicePage.locator('#typing-indicator', { hasText: `${bob.username} is typing` }).waitFor();
  await bobPage.getByLabel('Message', { exact: true }).fill('');
  await alicePage.screenshot({ path: join(artifacts, 'chat.png') });
});

test('a message with HTML shows as text and runs nothing', async () => {
  const attack = '<img src=x onerror=alert(1)>';
  await send(bobPage, attack);
  await expectOnce(alicePage, attack);
  assert.equal(await alicePage.locator('#message-list img').count(), 0);
  await alicePage.waitForTimeout(300);
  assert.deepEqual(dialogs, []);
});

test('a private room is invisible to a non-member until added', async () => {
  const name = `secret ${run}`;
  await alicePage.getByRole('button', { name: '+ New Room' }).click();
  await alicePage.locator('#new-room-name').fill(name);
  await alicePage.locator('#new-room-private').check();
  await alicePage.getByRole('button', { name: 'Create' }).click();
  await alicePage.locator('#room-title', { hasText: name }).waitFor();
  await send(alicePage, `private note ${run}`);
  await expectOnce(alicePage, `private note ${run}`);

  await bobPage.reload();
  await connected(bobPage);
  await bobPage.locator('#room-list .room-button', { hasText: 'General' }).waitFor();
  assert.equal(await bobPage.locator('#room-list .room-button', { hasText: name }).count(), 0);
  // Not through the API either.
  const rooms = await bobPage.evaluate(async (base) => {
    const res = await fetch(`${base}/api/chat/rooms`, { headers: { Authorization: `Bearer ${localStorage.getItem('parley.token')}` } });
    return res.json();
  }, system.url('gateway'));
  assert.ok(!rooms.some((r) => r.name === name));

  // Alice adds Bob; after a reload he sees the room and its history.
  await alicePage.getByRole('button', { name: 'Add member' }).click();
  await alicePage.locator('#member-username').fill(bob.username);
  await alicePage.getByRole('button', { name: 'Add', exact: true }).click();
  await alicePage.locator('#member-error', { hasText: 'can now see' }).waitFor();
  await alicePage.keyboard.press('Escape');
  await bobPage.reload();
  await connected(bobPage);
  await openRoom(bobPage, name);
  await expectOnce(bobPage, `private note ${run}`);
});

test('the chat service restarts under an open page: it reconnects and misses nothing', async () => {
  await openRoom(alicePage, 'General');
  await openRoom(bobPage, 'General');
  await send(alicePage, `before restart ${run}`);
  await expectOnce(bobPage, `before restart ${run}`);

  await system.kill('chat');
  await alicePage.locator('#connection-state[data-state="reconnecting"]').waitFor({ timeout: 10000 });
  await system.startService('chat');
  await connected(bobPage);
  const sent = [];
  for (let i = 1; i <= 5; i++) {
    sent.push(`while away ${i} ${run}`);
    await send(bobPage, sent[sent.length - 1]);
  }
  for (const text of sent) await expectOnce(bobPage, text);
  await connected(alicePage);
  for (const text of sent) await expectOnce(alicePage, text);
  // Still exactly once after everything settled.
  await alicePage.waitForTimeout(500);
  for (const text of [...sent, `before restart ${run}`]) await expectOnce(alicePage, text);
});

test('the admin dashboard lists users and draws the topology', async () => {
  const page = await newPage();
  await login(page, 'admin', 'admin123');
  await page.locator('#admin-link').click();
  await page.locator('#user-table td').getByText(alice.username, { exact: true }).waitFor();
  await page.locator('#user-table td').getByText(bob.username, { exact: true }).waitFor();
  for (const service of ['frontend', 'gateway', 'auth', 'user', 'chat']) {
    await page.locator(`#topology-picture g[data-service="${service}"] rect.instance-up`).first().waitFor();
  }
  await page.locator('#stat-users').filter({ hasText: /^\d+$/ }).waitFor();
  await page.screenshot({ path: join(artifacts, 'admin.png'), fullPage: true });
  // A non-admin is told the page is not for them.
  await bobPage.goto(`${system.url('frontend')}/admin.html`);
  await bobPage.locator('#admin-error', { hasText: 'administrators' }).waitFor();
});
