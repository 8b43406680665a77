// The admin dashboard in a real browser: who may see it, paged and searchable tables, the
// topology picture, and the moderator's actions (which run once the server has their routes:
// docs/api.md, "Admin actions").
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ParleySystem } from './system.mjs';
import {
  adminToken, api, assertGlyphs, connected, createRoom, launch, newPage, openAs, openRoom, person,
  registered, signIn, skipUnless,
} from './helpers.mjs';

const system = new ParleySystem();
let browser;
let admin; // token
let carl;
const crowd = [];

before(async () => {
  await system.start();
  browser = await launch();
  admin = await adminToken(system);
  carl = await registered(system, person('carl'));
  // Enough people and rooms for three pages of users and two of rooms.
  const people = Array.from({ length: 54 }, (_, i) => person(`member${String(i + 1).padStart(2, '0')}`));
  for (let i = 0; i < people.length; i += 6) {
    crowd.push(...await Promise.all(people.slice(i, i + 6).map((p) => registered(system, p))));
  }
  for (let i = 1; i <= 29; i++) await createRoom(system, carl.token, `room ${String(i).padStart(2, '0')}`);
});

after(async () => {
  if (browser) await browser.close();
  await system.stop();
});

async function dashboard() {
  const page = await newPage(browser, { width: 1200, height: 900 });
  await openAs(system, page, admin);
  await page.goto(`${system.url('frontend')}/admin.html`);
  await page.locator('#admin-content').waitFor();
  await page.locator('body[data-actions]').waitFor({ state: 'attached' });
  await page.locator('#user-table tbody tr').first().waitFor();
  return page;
}

test('signed out, /admin.html shows only a sentence and a sign-in link that comes back here', async () => {
  const page = await newPage(browser);
  await page.goto(`${system.url('frontend')}/admin.html`);
  await page.locator('#admin-gate h2', { hasText: 'Sign in to see the admin dashboard' }).waitFor();
  assert.equal(await page.locator('#admin-content').isVisible(), false);
  for (const id of ['#figures', '#user-table', '#topology-picture']) assert.equal(await page.locator(id).isVisible(), false);
  assert.equal(page.url(), `${system.url('frontend')}/admin.html`, 'no silent redirect');
  await page.getByRole('link', { name: 'Sign in', exact: true }).click();
  await page.locator('#login-form').waitFor();
  await signIn(page, 'admin', 'admin123');
  await page.waitForURL(`${system.url('frontend')}/admin.html`);
  await page.locator('#admin-content').waitFor();
  await page.locator('#stat-users').filter({ hasText: /^\d+$/ }).waitFor();
  await page.context().close();
});

test('a non-admin sees only that the page is for administrators, and can switch account', async () => {
  const page = await newPage(browser);
  await openAs(system, page, carl.token);
  await page.goto(`${system.url('frontend')}/admin.html`);
  await page.locator('#admin-gate h2', { hasText: 'This page is for administrators' }).waitFor();
  assert.match(await page.locator('#gate-text').textContent(), new RegExp(`signed in as ${carl.username}, who is not an administrator`));
  assert.equal(await page.locator('#admin-content').isVisible(), false);
  // Not even the data was asked for: the API would refuse anyway.
  const users = await api(system, '/api/admin/topology', { token: carl.token });
  assert.equal(users.status, 403);
  await page.getByRole('link', { name: 'Sign in as an administrator' }).click();
  await page.locator('#login-form').waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('parley.token')), null, 'signed out first');
  await signIn(page, 'admin', 'admin123');
  await page.waitForURL(`${system.url('frontend')}/admin.html`);
  await page.locator('#admin-content').waitFor();
  await page.context().close();
});

test('the users table is paged and searchable', async () => {
  const page = await dashboard();
  const rows = page.locator('#user-table tbody tr');
  const where = page.locator('#user-pager .where');
  const total = 2 + crowd.length; // admin, carl, the crowd
  // The table is filled when the pager says so (a loading row before that).
  await page.locator('#user-pager .where', { hasText: `1-25 of ${total}, page 1 of 3` }).waitFor();
  assert.equal(await rows.count(), 25);
  assert.equal(await page.locator('#user-pager .prev').isDisabled(), true);
  await page.locator('#user-pager .next').click();
  await page.locator('#user-pager .where', { hasText: `26-50 of ${total}, page 2 of 3` }).waitFor();
  await page.locator('#user-pager .next').click();
  await page.locator('#user-pager .where', { hasText: `51-${total} of ${total}, page 3 of 3` }).waitFor();
  assert.equal(await rows.count(), total - 50);
  assert.equal(await page.locator('#user-pager .next').isDisabled(), true);
  // Every user on exactly one page.
  const names = [];
  for (const step of ['3', '2', '1']) {
    await where.filter({ hasText: `page ${step} of 3` }).waitFor();
    names.push(...await page.locator('#user-table tbody tr td:nth-child(2)').allTextContents());
    if (step !== '1') await page.locator('#user-pager .prev').click();
  }
  assert.equal(names.length, total);
  assert.equal(new Set(names).size, total);

  // Search: by name (back to page 1), by email, by id, and nothing.
  await page.locator('#user-search').fill('member0');
  await page.locator('#user-pager .where', { hasText: `1-9 of 9 (filtered from ${total}), page 1 of 1` }).waitFor();
  assert.deepEqual((await page.locator('#user-table tbody td:nth-child(2)').allTextContents()).sort(),
    crowd.slice(0, 9).map((u) => u.username).sort());
  await page.locator('#user-search').fill(crowd[41].email.toUpperCase());
  assert.deepEqual(await page.locator('#user-table tbody td:nth-child(2)').allTextContents(), [crowd[41].username]);
  await page.locator('#user-search').fill(String(carl.id));
  assert.equal(await page.locator('#user-table tbody tr').first().locator('td:nth-child(2)').textContent(), carl.username);
  await page.locator('#user-search').fill('no such person');
  await page.locator('#user-table tbody td.empty', { hasText: 'Nothing matches "no such person".' }).waitFor();
  await page.locator('#user-search').fill('');
  await where.filter({ hasText: `1-25 of ${total}, page 1 of 3` }).waitFor();
  await page.context().close();
});

test('the rooms table is paged and searchable, with who created each room', async () => {
  const page = await dashboard();
  await page.locator('#room-table tbody tr').first().waitFor();
  await page.locator('#room-pager .where', { hasText: '1-25 of 30, page 1 of 2' }).waitFor();
  await page.locator('#room-pager .next').click();
  await page.locator('#room-pager .where', { hasText: '26-30 of 30, page 2 of 2' }).waitFor();
  await page.locator('#room-search').fill('room 2');
  await page.locator('#room-pager .where', { hasText: '1-10 of 10 (filtered from 30), page 1 of 1' }).waitFor();
  const first = page.locator('#room-table tbody tr').first();
  assert.equal(await first.locator('td:nth-child(2)').textContent(), 'room 20');
  assert.equal(await first.locator('td:nth-child(4)').textContent(), carl.username);
  await page.locator('#room-search').fill('general');
  assert.deepEqual(await page.locator('#room-table tbody td:nth-child(2)').allTextContents(), ['General']);
  await page.context().close();
});

test('the topology picture has no stray lines: each link joins its two boxes and crosses none', async () => {
  const page = await dashboard();
  for (const service of ['frontend', 'gateway', 'auth', 'user', 'chat']) {
    await page.locator(`#topology-picture g[data-service="${service}"] rect.instance-up`).first().waitFor();
  }
  const report = await page.locator('#topology-picture svg').evaluate((svg) => {
    const boxes = {};
    for (const g of svg.querySelectorAll('g[data-service]')) {
      const r = g.querySelector('rect.service-box');
      const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((k) => Number(r.getAttribute(k)));
      boxes[g.dataset.service] = { x, y, w, h };
    }
    const inside = (b, p, m) => p.x > b.x + m && p.x < b.x + b.w - m && p.y > b.y + m && p.y < b.y + b.h - m;
    const onEdge = (b, p) => {
      const dx = Math.max(b.x - p.x, 0, p.x - (b.x + b.w));
      const dy = Math.max(b.y - p.y, 0, p.y - (b.y + b.h));
      const outside = Math.hypot(dx, dy);
      const inner = Math.min(p.x - b.x, b.x + b.w - p.x, p.y - b.y, b.y + b.h - p.y);
      return outside <= 1.5 && (outside > 0 || inner <= 1.5);
    };
    const problems = [];
    const links = [...svg.querySelectorAll('path.link')];
    for (const path of links) {
      const { from, to } = path.dataset;
      const length = path.getTotalLength();
      const points = Array.from({ length: 101 }, (_, i) => path.getPointAtLength((length * i) / 100));
      if (!onEdge(boxes[from], points[0])) problems.push(`${from}->${to} does not start at ${from}`);
      if (!onEdge(boxes[to], points[100])) problems.push(`${from}->${to} does not end at ${to}`);
      for (const [name, box] of Object.entries(boxes)) {
        if (points.some((p) => inside(box, p, 1))) problems.push(`${from}->${to} runs through ${name}`);
      }
    }
    const vb = svg.viewBox.baseVal;
    for (const path of links) {
      const b = path.getBBox();
      if (b.x < 0 || b.y < 0 || b.x + b.width > vb.width || b.y + b.height > vb.height) problems.push(`${path.dataset.from}->${path.dataset.to} leaves the picture`);
    }
    return { problems, links: links.map((p) => `${p.dataset.from}->${p.dataset.to}`) };
  });
  assert.deepEqual(report.problems, []);
  assert.deepEqual(report.links.sort(), ['browser->frontend', 'browser->gateway', 'chat->user', 'gateway->auth', 'gateway->chat', 'gateway->user']);
  await assertGlyphs(page);
  await page.context().close();
});

// ---------------------------------------------------------------------------------------------
// Moderator actions: they need the server routes (the lead's side). The page probes them; these
// tests run when it found them, and otherwise check that no button shows.

async function availableActions() {
  const page = await dashboard();
  const actions = (await page.locator('body').getAttribute('data-actions')).split(' ');
  return { page, actions };
}

test('without the admin routes on the server, no action button shows', async (t) => {
  const { page, actions } = await availableActions();
  if (actions.includes('admin') && actions.includes('deactivate') && actions.includes('deleteRoom')) {
    t.skip('the server has every admin route');
  } else {
    if (!actions.includes('admin')) assert.equal(await page.locator('#user-table button.make-admin, #user-table button.revoke-admin').count(), 0);
    if (!actions.includes('deactivate')) assert.equal(await page.locator('#user-table button.deactivate').count(), 0);
    if (!actions.includes('deleteRoom')) assert.equal(await page.locator('#room-table button.delete-room').count(), 0);
    if (!actions.includes('admin') && !actions.includes('deactivate')) assert.equal(await page.locator('#user-table th.actions-head').isVisible(), false);
  }
  await page.context().close();
});

test('make and revoke an admin, confirmed first', async (t) => {
  const { page, actions } = await availableActions();
  if (skipUnless(t, 'admin_actions', actions.includes('admin'), 'PATCH /api/auth/users/{id} answers 405')) return page.context().close();
  const target = crowd[0];
  await page.locator('#user-search').fill(target.username);
  const row = page.locator(`#user-table tr[data-user-id="${target.id}"]`);
  // Cancel changes nothing.
  await row.getByRole('button', { name: `Make admin: ${target.username}` }).click();
  await page.locator('#confirm-dialog[open]').waitFor();
  assert.match(await page.locator('#confirm-title').textContent(), new RegExp(`Make ${target.username} an administrator\\?`));
  await page.locator('#confirm-dialog').getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await row.locator('td:nth-child(4)').textContent(), 'no');
  // Confirm.
  await row.getByRole('button', { name: `Make admin: ${target.username}` }).click();
  await page.locator('#confirm-dialog').getByRole('button', { name: 'Make admin' }).click();
  await page.locator('#admin-status', { hasText: `${target.username} is now an administrator.` }).waitFor();
  await row.locator('td:nth-child(4)', { hasText: 'yes' }).waitFor();
  const relogin = await api(system, '/api/auth/login', { method: 'POST', body: { username: target.username, password: target.password } });
  assert.equal(relogin.data.user.is_admin, true);
  // And back.
  await row.getByRole('button', { name: `Revoke admin: ${target.username}` }).click();
  await page.locator('#confirm-dialog').getByRole('button', { name: 'Revoke admin' }).click();
  await row.locator('td:nth-child(4)', { hasText: 'no' }).waitFor();
  // Not on yourself.
  await page.locator('#user-search').fill('admin@example.com');
  assert.equal(await page.locator('#user-table tbody tr').first().locator('button').count(), 0);
  // A non-admin is refused by the API itself.
  const refused = await api(system, `/api/auth/users/${carl.id}`, { method: 'PATCH', token: carl.token, body: { is_admin: true } });
  assert.equal(refused.status, 403);
  await page.context().close();
});

test('deactivating a user signs them out at once, everywhere', async (t) => {
  const { page, actions } = await availableActions();
  if (skipUnless(t, 'admin_actions', actions.includes('deactivate'), 'GET /api/auth/users/{id}/deactivate answers 404 (no such route)')) return page.context().close();
  const target = crowd[1];
  const victim = await newPage(browser);
  await openAs(system, victim, target.token);
  await page.locator('#user-search').fill(target.username);
  const row = page.locator(`#user-table tr[data-user-id="${target.id}"]`);
  await row.getByRole('button', { name: `Deactivate ${target.username}` }).click();
  await page.locator('#confirm-dialog').getByRole('button', { name: 'Deactivate' }).click();
  await page.locator('#admin-status', { hasText: `${target.username} was deactivated` }).waitFor();
  // Their open page is closed with 4001 and goes back to the sign-in form.
  await victim.locator('#login-form').waitFor({ timeout: 10000 });
  const token = await api(system, '/api/chat/rooms', { method: 'POST', token: target.token, body: { name: `after ${target.username}` } });
  assert.equal(token.status, 401, 'the old token no longer works on chat');
  const again = await api(system, '/api/auth/login', { method: 'POST', body: { username: target.username, password: target.password } });
  assert.notEqual(again.status, 200, 'no new sign-in');
  const refused = await api(system, `/api/auth/users/${carl.id}/deactivate`, { method: 'POST', token: carl.token });
  assert.equal(refused.status, 403);
  await victim.context().close();
  await page.context().close();
});

test('deleting a room removes it for everyone', async (t) => {
  const { page, actions } = await availableActions();
  if (skipUnless(t, 'admin_actions', actions.includes('deleteRoom'), 'DELETE /api/chat/rooms/{id} answers 405')) return page.context().close();
  const room = await createRoom(system, carl.token, 'doomed');
  const reader = await newPage(browser);
  await openAs(system, reader, carl.token);
  await openRoom(reader, 'doomed');
  await page.reload();
  await page.locator('#room-search').fill('doomed');
  const row = page.locator(`#room-table tr[data-room-id="${room.id}"]`);
  await row.getByRole('button', { name: 'Delete room doomed' }).click();
  assert.match(await page.locator('#confirm-title').textContent(), /Delete #doomed\?/);
  await page.locator('#confirm-dialog').getByRole('button', { name: 'Delete room' }).click();
  await page.locator('#admin-status', { hasText: '#doomed was deleted.' }).waitFor();
  await row.waitFor({ state: 'detached' });
  assert.equal((await api(system, `/api/chat/rooms/${room.id}`, { token: carl.token })).status, 404);
  const refused = await api(system, '/api/chat/rooms/1', { method: 'DELETE', token: carl.token });
  assert.equal(refused.status, 403);
  // The open page says so (with room list events), or at the latest on its next refresh.
  await reader.evaluate(() => window.dispatchEvent(new Event('focus')));
  await reader.locator('#room-notice', { hasText: /deleted|no longer available/ }).waitFor({ timeout: 10000 });
  await connected(reader);
  await reader.context().close();
  await page.context().close();
});
