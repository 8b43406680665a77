// The README's pictures (docs/screenshots/), taken from the real app on a fresh system with plain
// names: sign-in, a conversation, the same room on a phone, the admin dashboard. Written into
// the browser artifacts; `PARLEY_SCREENSHOT_DIR=docs/screenshots` writes them there too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ParleySystem } from './system.mjs';
import {
  adminToken, artifacts, assertGlyphs, createRoom, launch, newPage, openAs, openRoom, registered, seed, shoot,
} from './helpers.mjs';

const system = new ParleySystem();
let browser;
let maria;
let tom;
let room;

before(async () => {
  await system.start();
  browser = await launch();
  maria = await registered(system, { username: 'maria', email: 'maria@example.com', password: 'correct horse 1' });
  tom = await registered(system, { username: 'tom.baker', email: 'tom@example.com', password: 'battery staple 2' });
  await createRoom(system, tom.token, 'random', { description: 'Anything goes' });
  room = await createRoom(system, maria.token, 'design', { description: 'The look and feel of Parley' });
  await createRoom(system, maria.token, 'release-notes', { description: 'What changed, and when', isPrivate: true });
});

after(async () => {
  if (browser) await browser.close();
  await system.stop();
});

test('login.png: the sign-in page', async () => {
  const page = await newPage(browser, { width: 1200, height: 760 });
  await page.goto(system.url('frontend'));
  await page.locator('#login-username').waitFor();
  await assertGlyphs(page);
  await shoot(page, 'login.png');
  await page.context().close();
});

test('chat.png and chat-phone.png: a conversation, wide and on a phone', async () => {
  const page = await newPage(browser, { width: 1200, height: 760 });
  const other = await newPage(browser);
  await page.goto(system.url('frontend'));
  await seed(page, system, maria.token, room.id, ['Morning! The new timeline is on staging: https://staging.example.com/rooms/design',
    'Messages are grouped by author and minute now, with the date above each day.']);
  await seed(page, system, tom.token, room.id, ['Much calmer to read.', 'Does the full date show on hover?']);
  await seed(page, system, maria.token, room.id, ['Yes: hover over any time. Long pastes fold behind "Show more", too.']);
  await openAs(system, page, maria.token);
  await openRoom(page, 'design');
  await openAs(system, other, tom.token);
  await openRoom(other, 'design');
  await page.locator('#online-list li', { hasText: 'tom.baker' }).waitFor();
  await other.getByLabel('Message', { exact: true }).pressSequentially('Looks great');
  await page.locator('#typing-indicator', { hasText: 'tom.baker is typing' }).waitFor();
  // Initials on a colour from the name: the same on every page.
  const avatar = (p, name) => p.locator(`#online-list .avatar[data-name="${name}"]`);
  assert.equal(await avatar(page, 'tom.baker').textContent(), 'TB');
  assert.equal(await avatar(page, 'maria').textContent(), 'MA');
  const colour = (p, name) => avatar(p, name).evaluate((n) => getComputedStyle(n).backgroundColor);
  assert.equal(await colour(page, 'tom.baker'), await colour(other, 'tom.baker'));
  await page.mouse.move(0, 0);
  await assertGlyphs(page);
  await shoot(page, 'chat.png');

  const phone = await newPage(browser, { width: 375, height: 700 });
  await openAs(system, phone, tom.token);
  await openRoom(phone, 'design');
  await phone.waitForTimeout(300); // the drawer's slide
  await assertGlyphs(phone);
  await shoot(phone, 'chat-phone.png');
  await phone.getByRole('button', { name: /^Online/ }).click();
  await phone.locator('#online-panel.open').waitFor();
  await phone.waitForTimeout(300);
  await phone.screenshot({ path: `${artifacts}/chat-phone-online.png` });
  for (const p of [page, other, phone]) await p.context().close();
});

test('admin.png: the dashboard', async () => {
  const page = await newPage(browser, { width: 1200, height: 900 });
  await openAs(system, page, await adminToken(system));
  await page.goto(`${system.url('frontend')}/admin.html`);
  for (const service of ['frontend', 'gateway', 'auth', 'user', 'chat']) {
    await page.locator(`#topology-picture g[data-service="${service}"] rect.instance-up`).first().waitFor();
  }
  await page.locator('#room-table tbody tr', { hasText: 'design' }).waitFor();
  await page.locator('#stat-users').filter({ hasText: /^\d+$/ }).waitFor();
  await assertGlyphs(page);
  await shoot(page, 'admin.png', { fullPage: true });
  await page.context().close();
});
