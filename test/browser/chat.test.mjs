// The chat page in a real browser: Debian's Chromium driven by playwright-core against the five
// real services (system.mjs). Run by ctest (test/browser/CMakeLists.txt) or `npm test` here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ParleySystem } from './system.mjs';
import {
  api, assertGlyphs, confirmed, connected, createRoom, expectOnce, launch, login, messageRows,
  newPage, openAs, openRoom, person, register, registered, seed, send, signIn, uniq,
} from './helpers.mjs';

const system = new ParleySystem();
let browser;
const alice = person('alice');
const bob = person('bob');
let alicePage;
let bobPage;
const dialogs = [];

before(async () => {
  await system.start();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  await system.stop();
});

test('two users register, join a room and chat both ways in real time', async () => {
  alicePage = await newPage(browser, { dialogs });
  bobPage = await newPage(browser, { dialogs });
  await register(system, alicePage, alice);
  await register(system, bobPage, bob);
  const ids = await alicePage.evaluate(async (base) => {
    const res = await fetch(`${base}/api/auth/users`, { headers: { Authorization: `Bearer ${localStorage.getItem('parley.token')}` } });
    return res.json();
  }, system.url('gateway'));
  alice.id = ids.find((u) => u.username === alice.username).id;
  bob.id = ids.find((u) => u.username === bob.username).id;
  alice.token = await alicePage.evaluate(() => localStorage.getItem('parley.token'));
  bob.token = await bobPage.evaluate(() => localStorage.getItem('parley.token'));
  await openRoom(alicePage, 'General');
  await openRoom(bobPage, 'General');
  // Each sees the other online.
  await alicePage.locator('#online-list li', { hasText: bob.username }).waitFor();
  await bobPage.locator('#online-list li', { hasText: alice.username }).waitFor();

  await send(alicePage, `hello bob ${uniq}`);
  await expectOnce(bobPage, `hello bob ${uniq}`);
  await expectOnce(alicePage, `hello bob ${uniq}`);
  await send(bobPage, `hi alice ${uniq}`);
  await expectOnce(alicePage, `hi alice ${uniq}`);
  // Author and time are shown with the first message of a group.
  const item = alicePage.locator('#message-list li.message', { hasText: `hi alice ${uniq}` });
  assert.equal(await item.locator('.author').textContent(), bob.username);
  assert.match(await item.locator('time').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/);

  // Typing indicator.
  await bobPage.getByLabel('Message', { exact: true }).pressSequentially('typing…');
  await alicePage.locator('#typing-indicator', { hasText: `${bob.username} is typing` }).waitFor();
  await bobPage.getByLabel('Message', { exact: true }).fill('');
});

test('after signing in, the cursor is in the message box', async () => {
  const page = await newPage(browser);
  await login(system, page, alice.username, alice.password);
  await page.locator('#room-title', { hasText: 'General' }).waitFor();
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'composer-input');
  // Typing goes straight into it.
  await page.keyboard.type('straight in');
  assert.equal(await page.locator('#composer-input').inputValue(), 'straight in');
  await page.context().close();
});

test('a message with HTML shows as text and runs nothing', async () => {
  const attack = '<img src=x onerror=alert(1)>';
  await send(bobPage, attack);
  await expectOnce(alicePage, attack);
  assert.equal(await alicePage.locator('#message-list img').count(), 0);
  await alicePage.waitForTimeout(300);
  assert.deepEqual(dialogs, []);
});

test('http(s) links are clickable and safe; other schemes and markup stay text', async () => {
  const text = `see https://example.com/a?b=1&c=2#frag, (https://en.wikipedia.org/wiki/C_(language)) `
    + `and http://example.org/x. not javascript:alert(1) nor data:text/html,<b>x</b> nor ftp://example.net/f `
    + `nor <a href="https://evil.example/">html</a> ${uniq}`;
  await send(bobPage, text);
  await expectOnce(alicePage, text);
  const node = confirmed(alicePage, text).first();
  const links = await node.locator('a').evaluateAll((as) => as.map((a) => ({
    href: a.getAttribute('href'), text: a.textContent, rel: a.getAttribute('rel'), target: a.getAttribute('target'),
  })));
  assert.deepEqual(links.map((l) => l.text), [
    'https://example.com/a?b=1&c=2#frag',
    'https://en.wikipedia.org/wiki/C_(language)',
    'http://example.org/x',
    'https://evil.example/', // inside the text `<a href="...">`: linked as an address, shown as text
  ]);
  for (const l of links) {
    assert.match(l.href, /^https?:\/\//);
    assert.equal(l.rel, 'noopener noreferrer');
    assert.equal(l.target, '_blank');
  }
  // Nothing but text nodes and <a>: no element came from the message's own markup.
  const tags = await node.evaluate((n) => [...n.querySelectorAll('*')].map((e) => e.tagName));
  assert.deepEqual([...new Set(tags)], ['A']);
  assert.equal(await node.textContent(), text);
});

test('messages are grouped by author and minute, under a date separator, with local times', async () => {
  const room = await createRoom(system, alice.token, `groups ${uniq}`);
  const page = await newPage(browser);
  await openAs(system, page, alice.token);
  await openRoom(page, room.name);
  await page.locator('#message-list li.empty-state', { hasText: `No messages in #${room.name} yet` }).waitFor();
  await seed(page, system, alice.token, room.id, ['one', 'two', 'three']);
  await seed(page, system, bob.token, room.id, ['four']);
  await seed(page, system, alice.token, room.id, ['five']);
  await expectOnce(page, 'five');
  const rows = await page.locator('#message-list > li').evaluateAll((nodes) => nodes.map((n) => ({
    cls: n.className, author: n.querySelector('.author')?.textContent ?? null,
    avatar: n.querySelector('.avatar')?.textContent ?? null, text: n.querySelector('.text')?.textContent ?? n.textContent,
  })));
  const messages = rows.filter((r) => r.cls.includes('message'));
  assert.deepEqual(messages.map((m) => [m.text, m.author]), [
    ['one', alice.username], ['two', null], ['three', null], ['four', bob.username], ['five', alice.username],
  ]);
  // An avatar (initials, no emoji) once per group.
  const initials = (u) => u.username.split('_').map((part) => part[0]).join('').toUpperCase();
  assert.deepEqual(messages.map((m) => m.avatar), [initials(alice), null, null, initials(bob), initials(alice)]);
  assert.equal(rows.filter((r) => r.cls.includes('empty-state')).length, 0);
  // One date separator, "Today", above the first message; the beginning of the room above it.
  const separators = rows.filter((r) => r.cls.includes('day-separator'));
  assert.deepEqual(separators.map((s) => s.text), ['Today']);
  assert.ok(rows[0].cls.includes('beginning') && rows[0].text.includes(`This is the beginning of #${room.name}`));
  // Local time, with the full date on hover.
  const time = page.locator('#message-list li.message', { hasText: 'four' }).locator('time');
  const iso = await time.getAttribute('datetime');
  const shown = await time.textContent();
  const full = await time.getAttribute('title');
  const expected = await page.evaluate((i) => ({
    time: new Date(i).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
    year: String(new Date(i).getFullYear()),
    weekday: new Date(i).toLocaleDateString([], { weekday: 'long' }),
  }), iso);
  assert.equal(shown, expected.time);
  assert.ok(full.includes(expected.year) && full.includes(expected.weekday), full);
  // Continuation rows keep their time, shown on hover.
  const cont = page.locator('#message-list li.message.cont', { hasText: 'two' });
  assert.equal(await cont.locator('time.hover-time').isVisible(), false);
  await cont.hover();
  assert.equal(await cont.locator('time.hover-time').isVisible(), true);
  // The layout rule itself, on messages two days and two minutes apart (the module the page
  // loads, run in the page).
  const layout = await page.evaluate(async () => {
    const { layout } = await import('/js/timeline.js');
    const at = (d, h, m) => new Date(2026, 2, d, h, m, 5).toISOString();
    const msg = (seq, user, ts) => ({ message: { seq, user_id: user, username: `u${user}`, timestamp: ts, content: `m${seq}` } });
    const items = [msg(1, 1, at(1, 9, 0)), msg(2, 1, at(1, 9, 0)), msg(3, 1, at(1, 9, 1)), msg(4, 2, at(1, 9, 1)),
      msg(5, 2, at(2, 9, 1)), msg(6, 2, at(2, 9, 1)), { event: { key: 'e', text: 'x joined' } }, msg(7, 2, at(2, 9, 1))];
    return layout(items, { firstUnread: 6, now: new Date(2026, 2, 2, 12) })
      .map((e) => (e.type === 'message' ? `${e.message.seq}${e.first ? '*' : ''}` : e.type === 'day' ? e.label : e.type));
  });
  assert.deepEqual(layout, ['Yesterday', '1*', '2', '3*', '4*', 'Today', '5*', 'new', '6*', 'event', '7*']);
  await page.context().close();
});

test('scrolling up loads older history a page at a time, keeps the place, and marks the beginning', async () => {
  const seeder = await registered(system, person('seeder'));
  const room = await createRoom(system, seeder.token, `history ${uniq}`);
  const page = await newPage(browser, { height: 700 });
  await page.goto(system.url('frontend'));
  const texts = Array.from({ length: 120 }, (_, i) => `history line ${i + 1}`);
  const seqs = await seed(page, system, seeder.token, room.id, texts);
  assert.deepEqual(seqs, texts.map((_, i) => i + 1));

  await openAs(system, page, alice.token);
  await openRoom(page, room.name);
  const list = page.locator('#message-list');
  await page.locator('#message-list li.message[data-seq="120"]').waitFor();
  // The newest page, at the bottom; a screen of it fills the list, so no more loads yet.
  let rows = await messageRows(page);
  assert.deepEqual(rows.map((r) => r.seq), seqs.slice(70));
  assert.equal(await page.locator('#message-list li.beginning').count(), 0);
  assert.ok(await list.evaluate((l) => l.scrollHeight - l.scrollTop - l.clientHeight < 5));

  // To the top: the next page loads above, and the message that was on top stays put.
  const top = () => page.locator('#message-list li.message[data-seq="71"]').evaluate((n) => n.getBoundingClientRect().top);
  // Measured in the same task as the scroll, before the load it starts can land.
  const before = await list.evaluate((l) => {
    l.scrollTop = 0;
    return l.querySelector('[data-seq="71"]').getBoundingClientRect().top;
  });
  await page.locator('#message-list li.message[data-seq="21"]').waitFor();
  await page.waitForTimeout(100);
  const afterLoad = await top();
  assert.ok(Math.abs(afterLoad - before) < 3, `the reader's place moved by ${afterLoad - before} px`);
  assert.ok(await list.evaluate((l) => l.scrollTop > 500));
  rows = await messageRows(page);
  assert.deepEqual(rows.map((r) => r.seq), seqs.slice(20));

  // Again: the last 20, then the beginning of the room.
  await list.evaluate((l) => { l.scrollTop = 0; });
  await page.locator('#message-list li.beginning', { hasText: `This is the beginning of #${room.name}.` }).waitFor();
  rows = await messageRows(page);
  assert.deepEqual(rows.map((r) => r.seq), seqs);
  assert.deepEqual(rows.map((r) => r.text), texts);
  const first = await page.locator('#message-list > li').first().getAttribute('class');
  assert.equal(first, 'beginning');
  // Nothing loads twice, and scrolling further does not ask again.
  await list.evaluate((l) => { l.scrollTop = 0; l.dispatchEvent(new Event('scroll')); });
  await page.waitForTimeout(300);
  assert.equal((await messageRows(page)).length, 120);
  await page.context().close();
});

test('a message over 4,000 characters is refused with a message, never cut', async () => {
  const input = alicePage.locator('#composer-input');
  const counter = alicePage.locator('#composer-count');
  await openRoom(alicePage, 'General');
  await input.fill('a'.repeat(3000));
  assert.equal(await counter.isVisible(), false);
  await input.fill('b'.repeat(3600));
  await alicePage.locator('#composer-count', { hasText: '3,600 / 4,000' }).waitFor();
  // A paste over the limit stays whole; the counter says by how much.
  const long = `${'c'.repeat(4400)} ${'🙂'.repeat(99)}`; // 4,500 code points (the emoji count once each)
  await input.fill(long);
  assert.equal(await input.inputValue(), long);
  await alicePage.locator('#composer-count.over', { hasText: '4,500 / 4,000: 500 too many' }).waitFor();
  const before = (await messageRows(alicePage)).length;
  await input.press('Enter');
  await alicePage.locator('#composer-error', { hasText: 'This message is 4,500 characters long; the limit is 4,000.' }).waitFor();
  assert.equal(await input.inputValue(), long, 'the text is kept');
  assert.equal(await input.getAttribute('aria-invalid'), 'true');
  await alicePage.waitForTimeout(300);
  assert.equal((await messageRows(alicePage)).length, before, 'nothing was sent');
  // Exactly at the limit it goes.
  const max = `${'d'.repeat(3999)}!`;
  await input.fill(max);
  assert.equal(await alicePage.locator('#composer-error').textContent(), '');
  await input.press('Enter');
  await expectOnce(alicePage, max);
  await expectOnce(bobPage, max);
  assert.equal(await input.inputValue(), '');
});

test('long messages are collapsed with "Show more"', async () => {
  const long = Array.from({ length: 30 }, (_, i) => `line ${i + 1} of a long paste ${uniq}`).join('\n');
  await send(alicePage, long);
  await expectOnce(bobPage, long);
  const row = bobPage.locator('#message-list li.message', { hasText: `line 30 of a long paste ${uniq}` });
  const text = row.locator('.text');
  const toggle = row.getByRole('button', { name: 'Show more' });
  assert.ok(await text.evaluate((n) => n.classList.contains('collapsed') && n.scrollHeight > n.clientHeight + 50));
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  await toggle.click();
  assert.ok(await text.evaluate((n) => !n.classList.contains('collapsed') && n.scrollHeight <= n.clientHeight + 1));
  await row.getByRole('button', { name: 'Show less' }).waitFor();
  // It stays open when more messages arrive.
  await send(alicePage, `after the long one ${uniq}`);
  await expectOnce(bobPage, `after the long one ${uniq}`);
  assert.equal(await row.getByRole('button', { name: 'Show less' }).getAttribute('aria-expanded'), 'true');
  // A short message has no toggle.
  assert.equal(await bobPage.locator('#message-list li.message', { hasText: `after the long one ${uniq}` }).locator('.show-more').count(), 0);
});

test('messages retried after rate_limited land in seq order, pending ones at the end', async () => {
  const room = await createRoom(system, alice.token, `burst ${uniq}`);
  const page = await newPage(browser);
  await openAs(system, page, alice.token);
  await openRoom(page, room.name);
  const watcher = await newPage(browser);
  await openAs(system, watcher, bob.token);
  await openRoom(watcher, room.name);
  // 30 at once: the server takes a burst of 20 and refuses the rest with rate_limited.
  await page.evaluate(() => {
    const input = document.getElementById('composer-input');
    for (let i = 1; i <= 30; i++) {
      input.value = `burst ${i}`;
      document.getElementById('composer').requestSubmit();
    }
  });
  await page.locator('#message-list li.message.pending .status', { hasText: 'Waiting to send' }).first().waitFor({ timeout: 5000 });
  // Someone else writes while Alice's messages wait.
  await send(watcher, 'in between');
  await confirmed(page, 'in between').waitFor();
  // Whenever we look: stored messages ascending by seq, every pending one after them.
  const check = (rows) => {
    const firstPending = rows.findIndex((r) => r.pending);
    if (firstPending >= 0) assert.ok(rows.slice(firstPending).every((r) => r.pending), JSON.stringify(rows));
    const stored = rows.filter((r) => !r.pending).map((r) => r.seq);
    assert.deepEqual(stored, [...stored].sort((a, b) => a - b));
  };
  check(await messageRows(page));
  await page.waitForFunction(() => document.querySelectorAll('#message-list li.message.pending').length === 0, null, { timeout: 20000 });
  const rows = await messageRows(page);
  check(rows);
  assert.equal(rows.length, 31);
  assert.deepEqual(rows.map((r) => r.seq), rows.map((_, i) => i + 1), 'seqs 1..31, each once');
  // Every one of Alice's messages once; "in between" where the server stored it.
  assert.deepEqual(rows.filter((r) => r.text !== 'in between').map((r) => r.text).sort(),
    Array.from({ length: 30 }, (_, i) => `burst ${i + 1}`).sort());
  assert.ok(rows.findIndex((r) => r.text === 'in between') < 30, 'stored before the retried ones');
  // The other reader sees the same order.
  await watcher.waitForFunction(() => document.querySelectorAll('#message-list li.message:not(.pending)').length === 31, null, { timeout: 15000 });
  assert.deepEqual((await messageRows(watcher)).map((r) => r.text), rows.map((r) => r.text));
  await page.context().close();
  await watcher.context().close();
});

test('unread messages: a count in the tab title and a "new messages" line where they start', async () => {
  const room = await createRoom(system, alice.token, `unread ${uniq}`);
  await seed(alicePage, system, alice.token, room.id, ['read before']);
  const page = await newPage(browser);
  await openAs(system, page, bob.token);
  await openRoom(page, room.name);
  await expectOnce(page, 'read before');
  await openRoom(page, 'General');
  assert.equal(await page.title(), 'General · Parley');
  await seed(alicePage, system, alice.token, room.id, ['unread one', 'unread two', 'unread three']);
  await page.waitForFunction(() => document.title === '(3) General · Parley', null, { timeout: 10000 });
  await page.locator('#room-list .room-button', { hasText: room.name }).locator('.badge', { hasText: '3' }).waitFor();
  await openRoom(page, room.name);
  await expectOnce(page, 'unread three');
  assert.equal(await page.title(), `${room.name} · Parley`);
  const order = await page.locator('#message-list > li').evaluateAll((nodes) => nodes.map((n) => (n.classList.contains('new-messages') ? 'NEW' : n.querySelector('.text')?.textContent)).filter(Boolean));
  assert.deepEqual(order, ['read before', 'NEW', 'unread one', 'unread two', 'unread three']);
  // Replying reads them: the line goes.
  await send(page, 'read them');
  await expectOnce(page, 'read them');
  assert.equal(await page.locator('#message-list li.new-messages').count(), 0);
  await page.context().close();
});

test('an empty room shows an empty state, then the first message', async () => {
  const name = `empty ${uniq}`;
  await alicePage.getByRole('button', { name: '+ New Room' }).click();
  await alicePage.locator('#new-room-name').fill(name);
  await alicePage.getByRole('button', { name: 'Create' }).click();
  await alicePage.locator('#room-title', { hasText: name }).waitFor();
  const empty = alicePage.locator('#message-list li.empty-state');
  await empty.waitFor();
  assert.match(await empty.textContent(), new RegExp(`No messages in #${name} yet`));
  assert.equal(await alicePage.locator('#message-list li.beginning').count(), 0);
  await send(alicePage, `first words ${uniq}`);
  await expectOnce(alicePage, `first words ${uniq}`);
  assert.equal(await empty.count(), 0);
  await alicePage.locator('#message-list li.beginning').waitFor();
});

test('a public room name that exists is refused, whatever its case', async () => {
  const count = await alicePage.locator('#room-list .room-button').count();
  await alicePage.getByRole('button', { name: '+ New Room' }).click();
  await alicePage.locator('#new-room-name').fill('gENERAL');
  await alicePage.getByRole('button', { name: 'Create' }).click();
  await alicePage.locator('#new-room-error', { hasText: 'A public room named "gENERAL" already exists' }).waitFor();
  assert.equal(await alicePage.locator('#new-room-dialog').evaluate((d) => d.open), true);
  assert.equal(await alicePage.locator('#new-room-name').getAttribute('aria-invalid'), 'true');
  await alicePage.keyboard.press('Escape');
  assert.equal(await alicePage.locator('#room-list .room-button').count(), count);
  const r = await api(system, '/api/chat/rooms', { method: 'POST', token: bob.token, body: { name: `EMPTY ${uniq}` } });
  assert.equal(r.status, 409);
});

test('a private room is invisible to a non-member until added; success is not shown as an error', async () => {
  const name = `secret ${uniq}`;
  await alicePage.getByRole('button', { name: '+ New Room' }).click();
  await alicePage.locator('#new-room-name').fill(name);
  await alicePage.locator('#new-room-private').check();
  await alicePage.getByRole('button', { name: 'Create' }).click();
  await alicePage.locator('#room-title', { hasText: name }).waitFor();
  await send(alicePage, `private note ${uniq}`);
  await expectOnce(alicePage, `private note ${uniq}`);

  await bobPage.reload();
  await connected(bobPage);
  await bobPage.locator('#room-list .room-button', { hasText: 'General' }).waitFor();
  assert.equal(await bobPage.locator('#room-list .room-button', { hasText: name }).count(), 0);
  const rooms = await api(system, '/api/chat/rooms', { token: bob.token });
  assert.ok(!rooms.data.some((r) => r.name === name));

  // Alice adds Bob: a success, in the status line (not the red error slot).
  await alicePage.getByRole('button', { name: 'Add member' }).click();
  await alicePage.locator('#member-username').fill(bob.username);
  await alicePage.getByRole('button', { name: 'Add', exact: true }).click();
  const status = alicePage.locator('#member-status');
  await alicePage.locator('#member-status', { hasText: `${bob.username} can now see this room.` }).waitFor();
  assert.equal(await status.getAttribute('role'), 'status');
  assert.equal(await alicePage.locator('#member-error').textContent(), '');
  const colours = await alicePage.evaluate(() => ({
    status: getComputedStyle(document.getElementById('member-status')).color,
    error: getComputedStyle(document.getElementById('member-error')).color,
  }));
  assert.notEqual(colours.status, colours.error);
  // A failure goes to the error slot and clears the success.
  await alicePage.locator('#member-username').fill(`nobody_${uniq}`);
  await alicePage.getByRole('button', { name: 'Add', exact: true }).click();
  await alicePage.locator('#member-error', { hasText: `No user is called nobody_${uniq}.` }).waitFor();
  assert.equal(await status.textContent(), '');
  await alicePage.keyboard.press('Escape');
  await bobPage.reload();
  await connected(bobPage);
  await openRoom(bobPage, name);
  await expectOnce(bobPage, `private note ${uniq}`);
});

test('a member removed from an open private room keeps it on screen with a notice until moving on', async () => {
  const name = `secret ${uniq}`;
  await openRoom(bobPage, name);
  const rooms = await api(system, '/api/chat/rooms', { token: alice.token });
  const room = rooms.data.find((r) => r.name === name);
  const r = await api(system, `/api/chat/rooms/${room.id}/members/${bob.id}`, { method: 'DELETE', token: alice.token });
  assert.equal(r.status, 200);
  await bobPage.locator('#room-notice', { hasText: 'You were removed from this room.' }).waitFor();
  await expectOnce(bobPage, `private note ${uniq}`); // still readable
  assert.equal(await bobPage.locator('#composer-input').isDisabled(), true);
  assert.ok(await bobPage.locator('#room-list .room-button.gone', { hasText: name }).count() === 1);
  await openRoom(bobPage, 'General');
  assert.equal(await bobPage.locator('#room-list .room-button', { hasText: name }).count(), 0);
  assert.equal(await bobPage.locator('#room-notice').isVisible(), false);
  assert.equal(await bobPage.locator('#composer-input').isDisabled(), false);
});

test('a locked-out sign-in says for how long (Retry-After)', async () => {
  const dave = await registered(system, person('dave'));
  const page = await newPage(browser);
  await page.goto(system.url('frontend'));
  for (let i = 1; i <= 5; i++) {
    await signIn(page, dave.username, 'wrong password');
    await page.locator('#login-error', { hasText: 'Invalid username or password' }).waitFor();
    await page.evaluate(() => { document.getElementById('login-error').textContent = ''; });
  }
  await signIn(page, dave.username, dave.password); // even the right password, while locked
  await page.locator('#login-error', { hasText: 'Too many failed sign-in attempts. Try again in 15 minutes.' }).waitFor();
  assert.equal(await page.locator('#chat-view').isVisible(), false);
  await page.context().close();
});

test('the chat service restarts under an open page: it reconnects and misses nothing', async () => {
  await openRoom(alicePage, 'General');
  await openRoom(bobPage, 'General');
  await send(alicePage, `before restart ${uniq}`);
  await expectOnce(bobPage, `before restart ${uniq}`);

  await system.kill('chat');
  await alicePage.locator('#connection-state[data-state="reconnecting"]').waitFor({ timeout: 10000 });
  await system.startService('chat');
  await connected(bobPage);
  const sent = [];
  for (let i = 1; i <= 5; i++) {
    sent.push(`while away ${i} ${uniq}`);
    await send(bobPage, sent[sent.length - 1]);
  }
  for (const text of sent) await expectOnce(bobPage, text);
  await connected(alicePage);
  for (const text of sent) await expectOnce(alicePage, text);
  // Still exactly once after everything settled.
  await alicePage.waitForTimeout(500);
  for (const text of [...sent, `before restart ${uniq}`]) await expectOnce(alicePage, text);
});

test('every character on the busy page has a glyph (links, markup, long pastes, avatars)', async () => {
  await openRoom(alicePage, 'General');
  assert.equal(await alicePage.locator('#message-list .avatar').first().evaluate((n) => /^[A-Z0-9]{1,2}$/.test(n.textContent)), true);
  await assertGlyphs(alicePage);
});
