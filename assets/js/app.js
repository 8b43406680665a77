// The chat app: sign-in and registration, rooms (kept live), the message timeline with history
// paging, presence, typing, profile. User text is only ever set as textContent.
import { api, ApiError, currentUser, loadConfig, session } from './api.js';
import { avatarNode } from './avatar.js';
import {
  $, clear, el, formatCount, formatDuration, formatFullDate, formatTime, icon, wireDialog,
} from './dom.js';
import { Realtime } from './realtime.js';
import { codePoints, isLong, linkify, maxMessageChars } from './text.js';
import { layout, renderTimeline } from './timeline.js';

const pageSize = 50; // history rows per request
const counterFrom = 3500; // the composer shows its counter from this many characters on
const roomPollMs = 30000; // room list refresh when the server sends no room list events

const state = {
  user: null,
  realtime: null,
  features: new Set(), // from the server's `connected` frame
  rooms: new Map(), // id -> room view state (below)
  current: null, // room id
  lastTypingSent: 0,
  typingStop: null,
  roomPoll: null,
};

function roomState(room) {
  return {
    room,
    messages: [], // stored messages, sorted by seq
    seqs: new Set(),
    pending: new Map(), // client_id -> message awaiting its ack, in the order written
    lastSeq: 0, // newest seq this page holds (or was told about when not loaded)
    loaded: false,
    complete: false, // the first message of the room is loaded
    loadingOlder: false,
    olderError: null,
    unread: 0,
    firstUnread: null, // seq where the "new messages" line goes
    online: [],
    typing: new Map(), // username -> timer
    events: [], // system lines (joins, leaves): { key, text, afterSeq }
    expanded: new Set(), // row keys of long messages shown in full
    gone: null, // why the room went away while open (deleted, removed): a notice
    retryTimer: null,
  };
}

// ---------------------------------------------------------------------------------------------
// Sign in and registration

// Where to go after signing in: only our own pages (no open redirect).
function nextPage() {
  const next = new URLSearchParams(location.search).get('next');
  return next === '/admin.html' ? next : null;
}

function showAuth() {
  $('chat-view').hidden = true;
  $('auth-view').hidden = false;
  selectTab('login');
  document.title = 'Sign in · Parley';
  $('login-username').focus();
}

function selectTab(which) {
  const login = which === 'login';
  $('tab-login').setAttribute('aria-selected', String(login));
  $('tab-register').setAttribute('aria-selected', String(!login));
  $('login-form').hidden = !login;
  $('register-form').hidden = login;
}

function setFieldError(id, message) {
  const p = $(`${id}-error`);
  p.textContent = message || '';
  $(id).setAttribute('aria-invalid', message ? 'true' : 'false');
}

function validateRegistration(form) {
  const errors = {};
  const username = form.username.value.trim();
  if (!username) errors['register-username'] = 'Choose a username.';
  else if (username.length < 3 || username.length > 32) errors['register-username'] = 'Usernames are 3 to 32 characters.';
  else if (!/^[A-Za-z0-9_.-]+$/.test(username)) errors['register-username'] = 'Use letters, digits, dots, dashes and underscores.';
  const email = form.email.value.trim();
  if (!email) errors['register-email'] = 'Enter your email address.';
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) errors['register-email'] = 'This does not look like an email address.';
  const password = form.password.value;
  if (password.length < 8) errors['register-password'] = 'Passwords are at least 8 characters.';
  for (const id of ['register-username', 'register-email', 'register-password']) setFieldError(id, errors[id]);
  return Object.keys(errors).length === 0;
}

// The sentence for a refused sign-in: throttling says for how long (Retry-After).
function signInError(e) {
  if (e.status === 429) {
    return e.retryAfter
      ? `Too many failed sign-in attempts. Try again in ${formatDuration(e.retryAfter)}.`
      : 'Too many failed sign-in attempts. Try again later.';
  }
  if (e.status === 503 && e.retryAfter) return `The server is busy. Try again in ${formatDuration(e.retryAfter)}.`;
  return e.message;
}

async function onLogin(event) {
  event.preventDefault();
  const form = event.target;
  const error = $('login-error');
  error.textContent = '';
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!username || !password) {
    error.textContent = 'Enter your username and password.';
    return;
  }
  try {
    const result = await api('/api/auth/login', { method: 'POST', body: { username, password } });
    await signedIn(result.token, result.user);
  } catch (e) {
    error.textContent = signInError(e);
  }
}

async function onRegister(event) {
  event.preventDefault();
  const form = event.target;
  $('register-error').textContent = '';
  if (!validateRegistration(form)) return;
  try {
    const result = await api('/api/auth/register', {
      method: 'POST',
      body: { username: form.username.value.trim(), email: form.email.value.trim(), password: form.password.value },
    });
    await signedIn(result.token, result.user);
  } catch (e) {
    const message = e.message;
    if (/username/i.test(message)) setFieldError('register-username', message);
    else if (/email/i.test(message)) setFieldError('register-email', message);
    else if (/password/i.test(message)) setFieldError('register-password', message);
    else $('register-error').textContent = message;
  }
}

async function signedIn(token, user) {
  session.token = token;
  const next = nextPage();
  if (next) {
    location.assign(next);
    return;
  }
  for (const form of [$('login-form'), $('register-form')]) form.reset();
  await enterChat({ user_id: user.user_id ?? user.id, username: user.username, is_admin: user.is_admin });
}

function logout() {
  if (state.realtime) state.realtime.stop();
  state.realtime = null;
  clearInterval(state.roomPoll);
  session.token = null;
  for (const rs of state.rooms.values()) clearTimeout(rs.retryTimer);
  state.rooms.clear();
  state.current = null;
  clear($('message-list'));
  delete $('message-list').dataset.roomId;
  showAuth();
}

// ---------------------------------------------------------------------------------------------
// Chat

async function enterChat(user) {
  state.user = user;
  $('auth-view').hidden = true;
  $('chat-view').hidden = false;
  $('me-name').textContent = user.username;
  const me = $('me-avatar');
  clear(me);
  me.append(avatarNode(user.username, { size: 'small' }));
  $('admin-link').hidden = !user.is_admin;
  await loadRooms();
  const { ws_url: url } = await loadConfig();
  state.realtime = new Realtime(url, session.token);
  state.realtime.addEventListener('state', (e) => showConnection(e.detail));
  state.realtime.addEventListener('frame', (e) => onFrame(e.detail));
  state.realtime.addEventListener('unauthorized', () => {
    // 4001: the token expired or was revoked (a deactivated account, for one).
    logout();
    $('login-error').textContent = 'Your session has ended. Sign in again.';
  });
  state.realtime.start();
  const first = [...state.rooms.values()][0];
  if (first && state.current === null) await selectRoom(first.room.id, { focus: true });
  else updateTitle();
}

// The room list from the server; also the resync after a reconnect (events may have been
// missed) and the fallback when the server sends no room list events.
async function loadRooms({ quiet = false } = {}) {
  let rooms;
  try {
    rooms = await api('/api/chat/rooms', { token: session.token });
  } catch (e) {
    if (!quiet) showNotice(`Rooms could not be loaded: ${e.message}`);
    return;
  }
  const seen = new Set();
  for (const room of rooms) {
    seen.add(room.id);
    roomAdded(room);
  }
  for (const id of [...state.rooms.keys()]) {
    if (!seen.has(id)) roomGone(id, 'This room is no longer available to you.');
  }
  renderRooms();
}

function showConnection({ state: s, attempt }) {
  const node = $('connection-state');
  node.dataset.state = s;
  $('connection-label').textContent = {
    connecting: 'Connecting…',
    open: 'Connected',
    reconnecting: attempt ? `Reconnecting… (attempt ${attempt})` : 'Reconnecting…',
    offline: 'Offline',
  }[s] || s;
}

// A line above the timeline (load failures, a room that went away).
function showNotice(text) {
  const n = $('room-notice');
  n.textContent = text || '';
  n.hidden = !text;
}

function renderRooms() {
  const list = $('room-list');
  clear(list);
  let unreadElsewhere = 0;
  for (const rs of state.rooms.values()) {
    const { room } = rs;
    if (state.current !== room.id) unreadElsewhere += rs.unread;
    const label = [room.name, room.is_private ? '(private)' : '', rs.gone ? '(no longer available)' : '',
      rs.unread ? `, ${rs.unread} unread` : ''].filter(Boolean).join(' ');
    const button = el('button', {
      type: 'button',
      class: `room-button${rs.gone ? ' gone' : ''}`,
      'aria-current': state.current === room.id ? 'true' : null,
      'aria-label': label,
      'data-room-id': room.id,
      onclick: () => selectRoom(room.id, { focus: true }),
    },
    el('span', { class: 'room-hash', 'aria-hidden': 'true', text: '#' }),
    el('span', { class: 'room-name', text: room.name }),
    room.is_private ? icon('lock') : null,
    rs.unread ? el('span', { class: 'badge', 'aria-hidden': 'true', text: String(rs.unread) }) : null);
    list.append(el('li', {}, button));
  }
  $('rooms-toggle-badge').hidden = unreadElsewhere === 0;
  updateTitle();
}

// The tab title carries the unread count: "(3) General · Parley".
function updateTitle() {
  let unread = 0;
  for (const rs of state.rooms.values()) unread += rs.unread;
  const rs = state.rooms.get(state.current);
  const base = rs ? `${rs.room.name} · Parley` : 'Parley';
  document.title = unread ? `(${unread}) ${base}` : base;
}

async function selectRoom(id, { focus = false } = {}) {
  const rs = state.rooms.get(id);
  if (!rs) return;
  const previous = state.rooms.get(state.current);
  if (previous && previous !== rs) {
    previous.firstUnread = null; // read while it was open
    if (previous.gone) state.rooms.delete(previous.room.id);
  }
  state.current = id;
  rs.unread = 0;
  closeDrawers();
  renderRooms();
  renderRoomHead();
  renderTimelineFor(rs, { toBottom: true, reveal: rs.firstUnread !== null ? 'new' : null });
  renderOnline();
  renderTyping();
  if (focus) $('composer-input').focus();
  if (!rs.loaded) await loadLatest(rs);
}

function renderRoomHead() {
  const rs = state.rooms.get(state.current);
  if (!rs) return;
  $('room-title').textContent = rs.room.name;
  $('room-description').textContent = rs.room.description || '';
  $('members-button').hidden = !rs.room.is_private || Boolean(rs.gone);
  const input = $('composer-input');
  input.disabled = Boolean(rs.gone);
  $('send-button').disabled = Boolean(rs.gone);
  input.placeholder = `Message #${rs.room.name}`;
  showNotice(rs.gone || '');
  updateCounter();
}

// ---------------------------------------------------------------------------------------------
// History

async function loadLatest(rs) {
  try {
    const messages = await api(`/api/chat/rooms/${rs.room.id}/messages?limit=${pageSize}`, { token: session.token });
    rs.loaded = true;
    for (const m of messages) addMessage(rs, m);
    if (messages.length < pageSize || (messages[0] && messages[0].seq <= 1)) rs.complete = true;
    // Anything newer that the WebSocket announced before the history arrived.
    await fillGap(rs).catch(() => {});
  } catch (e) {
    if (state.current === rs.room.id) showNotice(`History could not be loaded: ${e.message}`);
    return;
  }
  if (state.current === rs.room.id) {
    renderTimelineFor(rs, { toBottom: true, reveal: rs.firstUnread !== null ? 'new' : null });
    maybeLoadOlder(rs);
  }
}

// Older history, a page at a time, when the reader nears the top (or the list does not fill
// the screen yet). The rows above the reader's place grow; their place stays.
async function loadOlder(rs) {
  if (!rs.loaded || rs.complete || rs.loadingOlder) return;
  const oldest = rs.messages.length ? rs.messages[0].seq : rs.lastSeq + 1;
  if (oldest <= 1) {
    rs.complete = true;
    renderTimelineFor(rs);
    return;
  }
  rs.loadingOlder = true;
  rs.olderError = null;
  try {
    const batch = await api(`/api/chat/rooms/${rs.room.id}/messages?before=${oldest}&limit=${pageSize}`, { token: session.token });
    for (const m of batch) addMessage(rs, m);
    if (batch.length < pageSize || (batch[0] && batch[0].seq <= 1)) rs.complete = true;
  } catch (e) {
    rs.olderError = e.message;
  } finally {
    rs.loadingOlder = false;
  }
  if (state.current === rs.room.id) {
    renderTimelineFor(rs);
    if (!rs.olderError) maybeLoadOlder(rs);
  }
}

function maybeLoadOlder(rs) {
  const list = $('message-list');
  if (state.current !== rs.room.id || rs.complete || rs.loadingOlder || rs.olderError) return;
  if (list.scrollTop < 300 || list.scrollHeight <= list.clientHeight + 10) loadOlder(rs);
}

// Fetches every stored message after the newest one this page holds.
async function fillGap(rs, upTo = Infinity) {
  const newest = () => (rs.messages.length ? rs.messages[rs.messages.length - 1].seq : 0);
  for (let guard = 0; guard < 20 && newest() < upTo; guard++) {
    const after = newest();
    const batch = await api(`/api/chat/rooms/${rs.room.id}/messages?after=${after}&limit=100`, { token: session.token });
    for (const m of batch) addMessage(rs, m);
    if (batch.length < 100) break;
  }
}

// Adds a stored message once (by seq); confirms the pending message it answers.
function addMessage(rs, m) {
  const seq = m.seq ?? m.id;
  if (m.client_id && m.user_id === state.user.user_id && rs.pending.has(m.client_id)) {
    rs.pending.delete(m.client_id);
    if (rs.expanded.delete(`p:${m.client_id}`)) rs.expanded.add(`m:${seq}`);
  }
  if (rs.seqs.has(seq)) return false;
  rs.seqs.add(seq);
  const message = { ...m, seq };
  let at = rs.messages.length;
  while (at > 0 && rs.messages[at - 1].seq > seq) at--;
  rs.messages.splice(at, 0, message);
  rs.lastSeq = Math.max(rs.lastSeq, seq);
  return true;
}

// ---------------------------------------------------------------------------------------------
// The timeline: rows built from the room's state

function renderTimelineFor(rs, options = {}) {
  if (state.current !== rs.room.id) return;
  const list = $('message-list');
  if (list.dataset.roomId !== String(rs.room.id)) {
    clear(list); // row keys are per room
    list.dataset.roomId = String(rs.room.id);
  }
  renderTimeline(list, timelineRows(rs), options);
}

function rerender(rs) {
  if (rs && state.current === rs.room.id) renderTimelineFor(rs);
}

function timelineRows(rs) {
  const rows = [];
  const name = rs.room.name;
  const hasAny = rs.messages.length > 0 || rs.pending.size > 0;
  if (!rs.loaded) {
    rows.push(simpleRow('loading', 'loading', 'Loading messages…'));
  } else if (rs.complete && hasAny) {
    rows.push({
      key: 'beginning',
      sig: name,
      build: () => el('li', { class: 'beginning' },
        el('strong', { text: `This is the beginning of #${name}.` }),
        rs.room.description ? el('span', { class: 'muted', text: ` ${rs.room.description}` }) : null),
    });
  } else if (!rs.complete) {
    rows.push(rs.olderError
      ? {
        key: 'older',
        sig: `error|${rs.olderError}`,
        build: () => el('li', { class: 'older' }, `Older messages could not be loaded: ${rs.olderError} `,
          el('button', { type: 'button', class: 'link-button', text: 'Try again', onclick: () => loadOlder(rs) })),
      }
      : simpleRow('older', 'older', 'Loading older messages…'));
  }
  if (rs.loaded && !hasAny) {
    rows.push({
      key: 'empty',
      sig: name,
      build: () => el('li', { class: 'empty-state' },
        el('strong', { text: `No messages in #${name} yet.` }),
        el('span', { text: 'Write the first one below.' })),
    });
  }

  // Stored messages and system lines, in order; then pending messages at the end.
  const items = [];
  const events = [...rs.events];
  for (const m of rs.messages) {
    while (events.length && events[0].afterSeq < m.seq) items.push({ event: events.shift() });
    items.push({ message: m });
  }
  for (const e of events) items.push({ event: e });
  for (const p of rs.pending.values()) items.push({ message: p, pending: true });

  for (const entry of layout(items, { firstUnread: rs.firstUnread })) {
    if (entry.type === 'event') {
      rows.push(simpleRow(entry.event.key, 'system', entry.event.text));
    } else if (entry.type === 'day') {
      rows.push({
        key: entry.key,
        sig: entry.label,
        build: () => el('li', { class: 'day-separator', role: 'separator' }, el('span', { text: entry.label })),
      });
    } else if (entry.type === 'new') {
      rows.push({
        key: 'new',
        sig: 'new',
        build: () => el('li', { class: 'new-messages', role: 'separator' }, el('span', { text: 'New messages' })),
      });
    } else {
      rows.push(messageRow(rs, entry.message, entry));
    }
  }
  return rows;
}

function simpleRow(key, cls, text) {
  return { key, sig: text, build: () => el('li', { class: cls, text }) };
}

function messageRow(rs, m, { first, pending }) {
  const key = pending ? `p:${m.client_id}` : `m:${m.seq}`;
  const status = pending ? (m.failed ? 'failed' : m.waiting ? 'waiting' : 'sending') : 'stored';
  return {
    key,
    sig: [first ? 'first' : 'cont', status, m.failed || ''].join('|'),
    build: () => messageNode(rs, m, key, { first, pending, status }),
  };
}

let textIds = 0;

function messageNode(rs, m, key, { first, pending, status }) {
  const own = m.user_id === state.user.user_id;
  const li = el('li', {
    class: ['message', first ? 'first' : 'cont', own ? 'own' : '', pending ? 'pending' : '', status === 'failed' ? 'failed' : '']
      .filter(Boolean).join(' '),
    'data-seq': pending ? null : m.seq,
    'data-client-id': m.client_id || null,
    'data-user-id': m.user_id,
  });
  const time = el('time', { datetime: m.timestamp || '', title: formatFullDate(m.timestamp), text: formatTime(m.timestamp) });
  const body = el('div', { class: 'body' });
  if (first) {
    li.append(el('div', { class: 'gutter' }, avatarNode(m.username)));
    body.append(el('div', { class: 'meta' }, el('span', { class: 'author', text: m.username }), time));
  } else {
    time.classList.add('hover-time');
    li.append(el('div', { class: 'gutter' }, time));
    body.append(el('span', { class: 'visually-hidden', text: `${m.username}: ` }));
  }
  const text = el('div', { class: 'text', id: `text-${++textIds}` }, ...linkify(m.content));
  body.append(text);
  if (isLong(m.content)) {
    const expanded = rs.expanded.has(key);
    text.classList.toggle('collapsed', !expanded);
    const toggle = el('button', {
      type: 'button',
      class: 'show-more link-button',
      'aria-expanded': String(expanded),
      'aria-controls': text.id,
      text: expanded ? 'Show less' : 'Show more',
    });
    toggle.addEventListener('click', () => {
      const open = !rs.expanded.has(key);
      if (open) rs.expanded.add(key);
      else rs.expanded.delete(key);
      text.classList.toggle('collapsed', !open);
      toggle.setAttribute('aria-expanded', String(open));
      toggle.textContent = open ? 'Show less' : 'Show more';
    });
    body.append(toggle);
  }
  if (pending) {
    const words = { sending: 'Sending…', waiting: 'Waiting to send (rate limit)…', failed: `Not sent: ${m.failed}` };
    const line = el('div', { class: 'status', role: status === 'failed' ? 'alert' : null }, words[status]);
    if (status === 'failed') {
      line.append(' ', el('button', { type: 'button', class: 'link-button', text: 'Retry', onclick: () => retry(rs, m.client_id) }));
    }
    body.append(line);
  }
  li.append(body);
  return li;
}

// ---------------------------------------------------------------------------------------------
// Sending

function randomId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function updateCounter() {
  const input = $('composer-input');
  const n = codePoints(input.value.trim());
  const counter = $('composer-count');
  const over = n > maxMessageChars;
  counter.hidden = n < counterFrom;
  counter.classList.toggle('over', over);
  counter.textContent = over
    ? `${formatCount(n)} / ${formatCount(maxMessageChars)}: ${formatCount(n - maxMessageChars)} too many`
    : `${formatCount(n)} / ${formatCount(maxMessageChars)}`;
  input.setAttribute('aria-invalid', over ? 'true' : 'false');
  if (!over) $('composer-error').textContent = '';
  // Grow with the text, up to about eight lines.
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight + 2, 180)}px`;
}

function onSubmit(event) {
  event.preventDefault();
  const input = $('composer-input');
  const content = input.value.trim();
  if (!content) return;
  const n = codePoints(content);
  if (n > maxMessageChars) {
    $('composer-error').textContent =
      `This message is ${formatCount(n)} characters long; the limit is ${formatCount(maxMessageChars)}. ` +
      'Shorten it or send it in parts. Nothing was sent.';
    input.focus();
    return;
  }
  if (send(content)) {
    input.value = '';
    updateCounter();
  }
}

function send(content) {
  const rs = state.rooms.get(state.current);
  if (!rs || rs.gone) return false;
  const pending = {
    client_id: randomId(),
    room_id: rs.room.id,
    content,
    user_id: state.user.user_id,
    username: state.user.username,
    timestamp: new Date().toISOString(),
    failed: null,
    waiting: false,
    attempts: 0,
  };
  rs.pending.set(pending.client_id, pending);
  rs.firstUnread = null; // replying: what came before is read
  renderTimelineFor(rs, { toBottom: true });
  transmit(pending);
  stopTyping();
  return true;
}

// Sends (or re-sends after a reconnect: the client_id makes that safe) a pending message.
function transmit(p) {
  p.attempts += 1;
  state.realtime.send({ type: 'message', room_id: p.room_id, content: p.content, client_id: p.client_id });
}

function retry(rs, clientId) {
  const p = rs.pending.get(clientId);
  if (!p) return;
  p.failed = null;
  p.attempts = 0;
  rerender(rs);
  transmit(p);
}

function onAck(frame) {
  const rs = state.rooms.get(frame.room_id);
  if (!rs) return;
  const p = rs.pending.get(frame.client_id);
  if (!p) return;
  addMessage(rs, { ...p, seq: frame.seq, id: frame.id, timestamp: frame.timestamp || p.timestamp });
  rerender(rs);
}

// A refused message: a rate limit or a store failure is retried by itself (waiting messages go
// out again in the order written, and land in seq order); anything else waits for "Retry".
function onMessageError(frame) {
  for (const rs of state.rooms.values()) {
    const p = rs.pending.get(frame.client_id);
    if (!p) continue;
    const transient = frame.code === 'rate_limited' || (frame.code === 'unavailable' && p.attempts < 5);
    if (transient) {
      p.waiting = true;
      const wait = frame.code === 'rate_limited' ? Number(frame.retry_after_ms) || 1000 : 1000;
      scheduleResend(rs, wait);
    } else {
      p.failed = frame.message || frame.code;
    }
    rerender(rs);
  }
}

function scheduleResend(rs, wait) {
  clearTimeout(rs.retryTimer);
  rs.retryTimer = setTimeout(() => {
    rs.retryTimer = null;
    for (const p of rs.pending.values()) {
      if (!p.waiting) continue;
      p.waiting = false;
      transmit(p);
    }
    rerender(rs);
  }, Math.max(50, wait) + Math.round(Math.random() * 50));
}

// ---------------------------------------------------------------------------------------------
// Frames from the server

async function onNewMessage(m) {
  const rs = state.rooms.get(m.room_id);
  if (!rs) return;
  const fromOther = m.user_id !== state.user.user_id;
  const reading = state.current === rs.room.id && !document.hidden;
  if (!rs.loaded) {
    // Not on screen yet: count it; history loads when the room is opened.
    if (m.seq > rs.lastSeq) {
      rs.lastSeq = m.seq;
      if (fromOther && !reading) {
        rs.unread += 1;
        if (rs.firstUnread === null) rs.firstUnread = m.seq;
        renderRooms();
      }
    }
    return;
  }
  // A gap (a seq more than one past the newest held): fetch the missing range first.
  if (rs.messages.length && m.seq > rs.lastSeq + 1) {
    try {
      await fillGap(rs, m.seq - 1);
    } catch {
      // The message itself still shows; the next gap check retries.
    }
  }
  const added = addMessage(rs, m);
  if (added && fromOther && !reading) {
    rs.unread += 1;
    if (rs.firstUnread === null) rs.firstUnread = m.seq;
    renderRooms();
  }
  rerender(rs);
}

function onFrame(frame) {
  switch (frame.type) {
    case 'connected':
      onConnected(frame);
      break;
    case 'joined': {
      const rs = state.rooms.get(frame.room_id);
      if (!rs) break;
      // Re-sent after a reconnect: the client_id makes a retry store one message.
      for (const p of rs.pending.values()) if (!p.failed && !p.waiting) transmit(p);
      if (frame.truncated && rs.loaded) fillGap(rs).then(() => rerender(rs)).catch(() => {});
      if (!rs.loaded && frame.last_seq > rs.lastSeq) rs.lastSeq = frame.last_seq;
      break;
    }
    case 'left':
      if (frame.reason === 'removed') roomGone(frame.room_id, 'You were removed from this room.');
      break;
    case 'new_message':
      onNewMessage(frame);
      break;
    case 'ack':
      onAck(frame);
      break;
    case 'user_joined':
    case 'user_left': {
      const rs = state.rooms.get(frame.room_id);
      if (rs && frame.user_id !== state.user.user_id && state.current === frame.room_id) {
        addEvent(rs, frame.message || `${frame.username} ${frame.type === 'user_joined' ? 'joined' : 'left'}`);
      }
      break;
    }
    case 'online_users': {
      const rs = state.rooms.get(frame.room_id);
      if (!rs) break;
      rs.online = frame.users || [];
      if (state.current === frame.room_id) renderOnline();
      break;
    }
    case 'user_typing':
      onTyping(frame);
      break;
    case 'room_added':
      if (frame.room && roomAdded(frame.room)) renderRooms();
      break;
    case 'room_updated':
      if (frame.room) roomUpdated(frame.room);
      break;
    case 'room_removed':
      roomGone(frame.room_id, 'This room was deleted, or you were removed from it.');
      break;
    case 'error':
      if (frame.client_id) onMessageError(frame);
      break;
    default:
      break;
  }
}

let connectedBefore = false;

async function onConnected(frame) {
  state.features = new Set(Array.isArray(frame.features) ? frame.features : []);
  document.documentElement.dataset.features = [...state.features].join(' ');
  // Without room list events, the list is refreshed now and then and when the tab gets focus.
  clearInterval(state.roomPoll);
  if (!state.features.has('room_events')) {
    state.roomPoll = setInterval(() => { if (!document.hidden) loadRooms({ quiet: true }); }, roomPollMs);
  }
  // After a reconnect, room list changes may have been missed.
  if (connectedBefore) await loadRooms({ quiet: true });
  connectedBefore = true;
  for (const rs of state.rooms.values()) if (!rs.gone) joinRoom(rs);
}

function addEvent(rs, text) {
  rs.events.push({ key: `ev:${randomId()}`, text, afterSeq: rs.lastSeq });
  if (rs.events.length > 50) rs.events.shift();
  rerender(rs);
}

function joinRoom(rs) {
  const frame = { type: 'join', room_id: rs.room.id };
  if (rs.lastSeq > 0) frame.last_seq = rs.lastSeq;
  if (state.realtime) state.realtime.send(frame);
}

// A room became visible (created, or we were added): true when it is new to this page.
function roomAdded(room) {
  const known = state.rooms.get(room.id);
  if (known) {
    known.room = { ...known.room, ...room };
    return false;
  }
  const rs = roomState(room);
  state.rooms.set(room.id, rs);
  joinRoom(rs);
  return true;
}

function roomUpdated(room) {
  const rs = state.rooms.get(room.id);
  if (!rs) {
    if (roomAdded(room)) renderRooms();
    return;
  }
  rs.room = { ...rs.room, ...room };
  renderRooms();
  if (state.current === room.id) {
    renderRoomHead();
    renderTimelineFor(rs);
  }
}

// A room went away (deleted, or we lost access). An open room stays on screen, read-only,
// with a notice; it leaves the list when another room is opened.
function roomGone(id, notice) {
  const rs = state.rooms.get(id);
  if (!rs) return;
  clearTimeout(rs.retryTimer);
  rs.pending.clear();
  rs.unread = 0;
  if (state.current === id) {
    rs.gone = rs.gone || notice; // the first reason given (a `left` frame says more than room_removed)
    rs.online = [];
    renderRoomHead();
    renderOnline();
    renderTimelineFor(rs);
  } else {
    state.rooms.delete(id);
  }
  renderRooms();
}

function renderOnline() {
  const list = $('online-list');
  clear(list);
  const rs = state.rooms.get(state.current);
  const users = rs ? rs.online : [];
  for (const u of users) {
    list.append(el('li', {}, avatarNode(u.username, { size: 'small' }), el('span', { class: 'online-name', text: u.username })));
  }
  $('online-count').textContent = String(users.length);
  $('online-toggle').setAttribute('aria-label', `Online: ${users.length}`);
}

// ---------------------------------------------------------------------------------------------
// Typing

function onComposerInput() {
  updateCounter();
  const now = Date.now();
  if (now - state.lastTypingSent > 2000 && state.current !== null && state.realtime) {
    state.lastTypingSent = now;
    state.realtime.send({ type: 'typing', room_id: state.current, is_typing: true });
  }
  clearTimeout(state.typingStop);
  state.typingStop = setTimeout(stopTyping, 3000);
}

function stopTyping() {
  clearTimeout(state.typingStop);
  if (state.lastTypingSent && state.current !== null && state.realtime) {
    state.realtime.send({ type: 'typing', room_id: state.current, is_typing: false });
  }
  state.lastTypingSent = 0;
}

function onTyping(frame) {
  const rs = state.rooms.get(frame.room_id);
  if (!rs || frame.user_id === state.user.user_id) return;
  clearTimeout(rs.typing.get(frame.username));
  if (frame.is_typing) {
    rs.typing.set(frame.username, setTimeout(() => {
      rs.typing.delete(frame.username);
      renderTyping();
    }, 5000));
  } else {
    rs.typing.delete(frame.username);
  }
  renderTyping();
}

function renderTyping() {
  const rs = state.rooms.get(state.current);
  const names = rs ? [...rs.typing.keys()] : [];
  $('typing-indicator').textContent =
    names.length === 0 ? '' : names.length === 1 ? `${names[0]} is typing…` : `${names.join(', ')} are typing…`;
}

// ---------------------------------------------------------------------------------------------
// Drawers (room list and online list on narrow screens)

const narrow = window.matchMedia('(max-width: 760px)');
const drawers = { sidebar: 'rooms-toggle', 'online-panel': 'online-toggle' };

function openDrawer(id) {
  if (!narrow.matches) return;
  closeDrawers({ restoreFocus: false });
  $(id).classList.add('open');
  $(drawers[id]).setAttribute('aria-expanded', 'true');
  $('drawer-backdrop').hidden = false;
  const target = $(id).querySelector('[aria-current="true"]') || $(id).querySelector('button, a, [tabindex]') || $(id);
  target.focus();
}

function closeDrawers({ restoreFocus = true } = {}) {
  for (const [id, toggle] of Object.entries(drawers)) {
    if (!$(id).classList.contains('open')) continue;
    $(id).classList.remove('open');
    $(toggle).setAttribute('aria-expanded', 'false');
    if (restoreFocus && $(id).contains(document.activeElement)) $(toggle).focus();
  }
  $('drawer-backdrop').hidden = true;
}

function toggleDrawer(id) {
  if ($(id).classList.contains('open')) closeDrawers();
  else openDrawer(id);
}

// ---------------------------------------------------------------------------------------------
// Dialogs: new room, members, profile

async function onCreateRoom(event) {
  event.preventDefault();
  const name = $('new-room-name').value.trim();
  const error = $('new-room-error');
  error.textContent = '';
  $('new-room-name').setAttribute('aria-invalid', 'false');
  if (!name) {
    error.textContent = 'Give the room a name.';
    $('new-room-name').focus();
    return;
  }
  try {
    const result = await api('/api/chat/rooms', {
      method: 'POST',
      token: session.token,
      body: { name, description: $('new-room-description').value.trim(), is_private: $('new-room-private').checked },
    });
    const room = result.room || result;
    roomAdded(room);
    $('new-room-dialog').close();
    event.target.reset();
    renderRooms();
    await selectRoom(room.id, { focus: true });
  } catch (e) {
    error.textContent = e.message;
    if (e.status === 409 || e.status === 400) {
      $('new-room-name').setAttribute('aria-invalid', 'true');
      $('new-room-name').focus();
    }
  }
}

async function onAddMember(event) {
  event.preventDefault();
  const username = $('member-username').value.trim();
  const error = $('member-error');
  const status = $('member-status');
  error.textContent = '';
  status.textContent = '';
  if (!username) {
    error.textContent = 'Enter a username.';
    return;
  }
  try {
    const users = await api('/api/auth/users', { token: session.token });
    const user = users.find((u) => u.username.toLowerCase() === username.toLowerCase());
    if (!user) throw new ApiError(404, `No user is called ${username}.`);
    await api(`/api/chat/rooms/${state.current}/members/${user.id}`, { method: 'POST', token: session.token });
    status.textContent = `${user.username} can now see this room.`;
    $('member-username').value = '';
  } catch (e) {
    error.textContent = e.message;
  }
}

async function openProfile() {
  const dialog = $('profile-dialog');
  $('profile-error').textContent = '';
  const preview = $('profile-avatar');
  clear(preview);
  preview.append(avatarNode(state.user.username), el('span', { text: state.user.username }));
  try {
    const profile = await api(`/api/users/profiles/${state.user.user_id}`, { token: session.token });
    $('profile-bio').value = profile.bio || '';
    $('profile-stats').textContent = `${profile.messages_sent ?? 0} messages sent, ${profile.rooms_created ?? 0} rooms created.`;
  } catch (e) {
    $('profile-error').textContent = e.message;
  }
  dialog.showModal();
}

async function onSaveProfile(event) {
  event.preventDefault();
  try {
    await api(`/api/users/profiles/${state.user.user_id}`, {
      method: 'PUT',
      token: session.token,
      body: { bio: $('profile-bio').value },
    });
    $('profile-dialog').close();
  } catch (e) {
    $('profile-error').textContent = e.message;
  }
}

// ---------------------------------------------------------------------------------------------
// Start

function wire() {
  $('tab-login').addEventListener('click', () => selectTab('login'));
  $('tab-register').addEventListener('click', () => selectTab('register'));
  $('login-form').addEventListener('submit', onLogin);
  $('register-form').addEventListener('submit', onRegister);
  for (const id of ['register-username', 'register-email', 'register-password']) {
    $(id).addEventListener('input', () => setFieldError(id, ''));
  }
  $('logout-button').addEventListener('click', logout);
  $('composer').addEventListener('submit', onSubmit);
  $('composer-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('composer').requestSubmit();
    }
  });
  $('composer-input').addEventListener('input', onComposerInput);
  $('message-list').addEventListener('scroll', () => {
    const rs = state.rooms.get(state.current);
    if (rs) maybeLoadOlder(rs);
  }, { passive: true });
  $('new-room-button').addEventListener('click', () => {
    $('new-room-error').textContent = '';
    $('new-room-dialog').showModal();
  });
  $('new-room-form').addEventListener('submit', onCreateRoom);
  $('members-button').addEventListener('click', () => {
    $('member-error').textContent = '';
    $('member-status').textContent = '';
    $('member-dialog').showModal();
  });
  $('member-form').addEventListener('submit', onAddMember);
  $('profile-button').addEventListener('click', openProfile);
  $('profile-form').addEventListener('submit', onSaveProfile);
  for (const d of document.querySelectorAll('dialog')) wireDialog(d);
  $('rooms-toggle').addEventListener('click', () => toggleDrawer('sidebar'));
  $('online-toggle').addEventListener('click', () => toggleDrawer('online-panel'));
  $('drawer-backdrop').addEventListener('click', () => closeDrawers());
  for (const button of document.querySelectorAll('.drawer-close')) button.addEventListener('click', () => closeDrawers());
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !document.querySelector('dialog[open]')) closeDrawers();
  });
  narrow.addEventListener('change', () => closeDrawers({ restoreFocus: false }));
  document.addEventListener('visibilitychange', () => {
    if (document.hidden || state.current === null) return;
    const rs = state.rooms.get(state.current);
    if (rs && rs.unread) {
      rs.unread = 0;
      renderRooms();
    }
  });
  window.addEventListener('focus', () => {
    if (state.realtime && !state.features.has('room_events')) loadRooms({ quiet: true });
  });
}

async function main() {
  wire();
  const params = new URLSearchParams(location.search);
  if (params.has('signout')) {
    session.token = null;
    history.replaceState(null, '', nextPage() ? `/?next=${encodeURIComponent(nextPage())}` : '/');
  }
  try {
    const user = await currentUser();
    if (user && nextPage()) {
      location.replace(nextPage());
      return;
    }
    if (user) await enterChat(user);
    else showAuth();
  } catch (e) {
    showAuth();
    $('login-error').textContent = e.message;
  }
}

main();
