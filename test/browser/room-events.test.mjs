// The room list stays current without a reload: room list events over the WebSocket
// (docs/protocol.md, "Room list events") once the chat service sends them, and until then a
// refresh when the tab gets focus (and every 30 s).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ParleySystem } from './system.mjs';
import {
  adminToken, api, connectedFrame, createRoom, expectOnce, launch, newPage, openAs, openRoom, person,
  registered, seed, send, skipUnless,
} from './helpers.mjs';

const system = new ParleySystem();
let browser;
let ann;
let ben;
let annPage;
let benPage;
let features = [];

before(async () => {
  await system.start();
  browser = await launch();
  ann = await registered(system, person('ann'));
  ben = await registered(system, person('ben'));
  annPage = await newPage(browser);
  benPage = await newPage(browser);
  await openAs(system, annPage, ann.token);
  await openAs(system, benPage, ben.token);
  features = (await connectedFrame(benPage, system, ben.token)).features || [];
});

after(async () => {
  if (browser) await browser.close();
  await system.stop();
});

const listed = (page, name) => page.locator('#room-list .room-button', { hasText: name });

test('without room list events, the room list catches up when the tab gets focus', async (t) => {
  if (features.includes('room_events')) {
    t.skip('the server sends room list events (the next test covers it)');
    return;
  }
  const room = await createRoom(system, ann.token, 'caught up on focus');
  assert.equal(await listed(benPage, room.name).count(), 0);
  await benPage.evaluate(() => window.dispatchEvent(new Event('focus')));
  await listed(benPage, room.name).waitFor({ timeout: 5000 });
  // Joined at once: a message there counts as unread.
  await seed(annPage, system, ann.token, room.id, ['hello, late room']);
  await listed(benPage, room.name).locator('.badge', { hasText: '1' }).waitFor({ timeout: 5000 });
});

test('room list events: new rooms, being added or removed, renames and deletions show at once', async (t) => {
  if (skipUnless(t, 'room_events', features.includes('room_events'), 'the chat service\'s `connected` frame lists no "room_events" in `features`')) return;
  await openRoom(benPage, 'General');

  // A public room created by someone else appears, already joined: its messages count as unread.
  const open = await createRoom(system, ann.token, 'live public room');
  await listed(benPage, open.name).waitFor({ timeout: 5000 });
  await openRoom(annPage, open.name);
  await send(annPage, 'first in the live room');
  await expectOnce(annPage, 'first in the live room');
  await listed(benPage, open.name).locator('.badge', { hasText: '1' }).waitFor({ timeout: 5000 });

  // Added to a private room: it appears; removed while not looking at it: it goes.
  const secret = await createRoom(system, ann.token, 'live private room', { isPrivate: true });
  await benPage.waitForTimeout(300);
  assert.equal(await listed(benPage, secret.name).count(), 0, 'not visible before being added');
  assert.equal((await api(system, `/api/chat/rooms/${secret.id}/members/${ben.id}`, { method: 'POST', token: ann.token })).status, 201);
  await listed(benPage, secret.name).waitFor({ timeout: 5000 });
  assert.equal((await api(system, `/api/chat/rooms/${secret.id}/members/${ben.id}`, { method: 'DELETE', token: ann.token })).status, 200);
  await listed(benPage, secret.name).waitFor({ state: 'detached', timeout: 5000 });

  // Renamed (when the server has a rename route) while open: the new name shows, in the header
  // too. (Opened first: the event arrives within milliseconds, the old name is gone by then.)
  await openRoom(benPage, open.name);
  const rename = await api(system, `/api/chat/rooms/${open.id}`, { method: 'PATCH', token: ann.token, body: { name: 'renamed live room' } });
  if (rename.status !== 405) {
    assert.equal(rename.status, 200, JSON.stringify(rename.data));
    await benPage.locator('#room-title', { hasText: 'renamed live room' }).waitFor({ timeout: 5000 });
    await listed(benPage, 'renamed live room').waitFor();
  }

  // Deleted by an admin (when the server has the route) while open: it stays, with a notice.
  const admin = await adminToken(system);
  await openRoom(benPage, rename.status !== 405 ? 'renamed live room' : open.name);
  const deleted = await api(system, `/api/chat/rooms/${open.id}`, { method: 'DELETE', token: admin });
  if (deleted.status !== 405) {
    assert.equal(deleted.status, 200, JSON.stringify(deleted.data));
    await benPage.locator('#room-notice', { hasText: 'deleted' }).waitFor({ timeout: 5000 });
    await expectOnce(benPage, 'first in the live room');
    assert.equal(await benPage.locator('#composer-input').isDisabled(), true);
    await openRoom(benPage, 'General');
    assert.equal(await listed(benPage, open.name).count(), 0);
  }
});

test('after a reconnect the room list is resynced (events missed while away)', async () => {
  await openRoom(benPage, 'General');
  await system.kill('chat');
  await benPage.locator('#connection-state[data-state="reconnecting"]').waitFor({ timeout: 10000 });
  await system.startService('chat');
  // Before Ben's page reconnects (its first retry waits at least 250 ms).
  const room = await createRoom(system, ann.token, 'made while ben was away');
  await benPage.locator('#connection-state[data-state="open"]').waitFor({ timeout: 20000 });
  await listed(benPage, room.name).waitFor({ timeout: 5000 });
});
