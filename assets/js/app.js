// The chat app: sign-in and registration, rooms, messages in real time, presence, typing,
// profile. User text is only ever set as textContent.
import { api, ApiError, currentUser, loadConfig, session } from './api.js';
import { $, avatarGlyph, avatars, clear, el, formatTime, wireDialog } from './dom.js';
import { Realtime } from './realtime.js';

const state = {
  user: null,
  realtime: null,
  rooms: new Map(), // id -> room view state (below)
  current: null, // room id
  lastTypingSent: 0,
  typingStop: null,
};

function roomState(room) {
  return {
    room,
    messages: [], // sorted by seq
    seqs: new Set(),
    pending: new Map(), // client_id -> message awaiting its ack
    lastSeq: 0, // newest seq this page holds (or was told about when not loaded)
    loaded: false,
    unread: 0,
    online: [],
    typing: new Map(), // username -> timer
  };
}

// ---------------------------------------------------------------------------------------------
// Sign in and registration

function showAuth() {
  $('chat-view').hidden = true;
  $('auth-view').hidden = false;
  selectTab('login');
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
  else if (username.length < 3 || username.length > 80) errors['register-username'] = 'Usernames are 3 to 80 characters.';
  else if (!/^[A-Za-z0-9_.-]+$/.test(username)) errors['register-username'] = 'Use letters, digits, dots, dashes and underscores.';
  const email = form.email.value.trim();
  if (!email) errors['register-email'] = 'Enter your email address.';
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) errors['register-email'] = 'This does not look like an email address.';
  const password = form.password.value;
  if (password.length < 8) errors['register-password'] = 'Passwords are at least 8 characters.';
  for (const id of ['register-username', 'register-email', 'register-password']) setFieldError(id, errors[id]);
  return Object.keys(errors).length === 0;
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
    error.textContent = e.message;
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
  await enterChat({ user_id: user.user_id ?? user.id, username: user.username, is_admin: user.is_admin });
}

function logout() {
  if (state.realtime) state.realtime.stop();
  state.realtime = null;
  session.token = null;
  state.rooms.clear();
  state.current = null;
  showAuth();
}

// ---------------------------------------------------------------------------------------------
// Chat

async function enterChat(user) {
  state.user = user;
  $('auth-view').hidden = true;
  $('chat-view').hidden = false;
  $('me-name').textContent = user.username;
  $('admin-link').hidden = !user.is_admin;
  loadMyAvatar();
  await loadRooms();
  const { ws_url: url } = await loadConfig();
  state.realtime = new Realtime(url, session.token);
  state.realtime.addEventListener('state', (e) => showConnection(e.detail));
  state.realtime.addEventListener('frame', (e) => onFrame(e.detail));
  state.realtime.addEventListener('unauthorized', () => logout());
  state.realtime.start();
  const first = [...state.rooms.values()][0];
  if (first && state.current === null) selectRoom(first.room.id);
}

async function loadMyAvatar() {
  try {
    const profile = await api(`/api/users/profiles/${state.user.user_id}`, { token: session.token });
    $('me-avatar').textContent = avatarGlyph(profile.avatar);
  } catch {
    $('me-avatar').textContent = avatarGlyph();
  }
}

async function loadRooms() {
  try {
    const rooms = await api('/api/chat/rooms', { token: session.token });
    for (const room of rooms) {
      if (!state.rooms.has(room.id)) state.rooms.set(room.id, roomState(room));
      else state.rooms.get(room.id).room = room;
    }
  } catch (e) {
    showStatusLine(`Rooms could not be loaded: ${e.message}`);
  }
  renderRooms();
}

function showConnection({ state: s, attempt }) {
  const node = $('connection-state');
  node.dataset.state = s;
  node.textContent = {
    connecting: 'Connecting…',
    open: 'Connected',
    reconnecting: attempt ? `Reconnecting… (attempt ${attempt})` : 'Reconnecting…',
    offline: 'Offline',
  }[s] || s;
}

function showStatusLine(text) {
  const list = $('message-list');
  list.append(el('li', { class: 'system', text }));
}

function renderRooms() {
  const list = $('room-list');
  clear(list);
  for (const rs of state.rooms.values()) {
    const { room } = rs;
    const label = [room.name, room.is_private ? '(private)' : '', rs.unread ? `, ${rs.unread} unread` : ''].join(' ').trim();
    const button = el('button', {
      type: 'button',
      class: 'room-button',
      'aria-current': state.current === room.id ? 'true' : null,
      'aria-label': label,
      'data-room-id': room.id,
      onclick: () => selectRoom(room.id),
    },
    el('span', { class: 'room-name', text: room.name }),
    room.is_private ? el('span', { class: 'lock', 'aria-hidden': 'true', text: '🔒' }) : null,
    rs.unread ? el('span', { class: 'badge', 'aria-hidden': 'true', text: String(rs.unread) }) : null);
    list.append(el('li', {}, button));
  }
}

async function selectRoom(id) {
  const rs = state.rooms.get(id);
  if (!rs) return;
  state.current = id;
  rs.unread = 0;
  renderRooms();
  $('room-title').textContent = rs.room.name;
  $('room-description').textContent = rs.room.description || '';
  $('members-button').hidden = !rs.room.is_private;
  $('composer-input').disabled = false;
  $('send-button').disabled = false;
  renderMessages();
  renderOnline();
  renderTyping();
  if (!rs.loaded) await loadHistory(rs);
}

async function loadHistory(rs) {
  try {
    const messages = await api(`/api/chat/rooms/${rs.room.id}/messages?limit=50`, { token: session.token });
    rs.loaded = true;
    for (const m of messages) addMessage(rs, m, { quiet: true });
    // Anything newer that the WebSocket announced before the history arrived.
    await fillGap(rs).catch(() => {});
    if (state.current === rs.room.id) renderMessages();
  } catch (e) {
    if (state.current === rs.room.id) showStatusLine(`History could not be loaded: ${e.message}`);
  }
}

// Fetches every stored message after the newest one this page holds.
async function fillGap(rs, upTo = Infinity) {
  const newest = () => (rs.messages.length ? rs.messages[rs.messages.length - 1].seq : 0);
  for (let guard = 0; guard < 20 && newest() < upTo; guard++) {
    const after = newest();
    const batch = await api(`/api/chat/rooms/${rs.room.id}/messages?after=${after}&limit=100`, { token: session.token });
    for (const m of batch) addMessage(rs, m, {});
    if (batch.length < 100) break;
  }
}

// Adds a stored message once (by seq); confirms the pending message it answers.
function addMessage(rs, m, { quiet }) {
  const seq = m.seq ?? m.id;
  if (m.client_id && rs.pending.has(m.client_id) && m.user_id === state.user.user_id) {
    rs.pending.delete(m.client_id);
  }
  if (rs.seqs.has(seq)) return false;
  rs.seqs.add(seq);
  const message = { ...m, seq };
  let at = rs.messages.length;
  while (at > 0 && rs.messages[at - 1].seq > seq) at--;
  rs.messages.splice(at, 0, message);
  rs.lastSeq = Math.max(rs.lastSeq, seq);
  if (!quiet && state.current === rs.room.id) upsertMessageNode(message);
  return true;
}

function messageNode(m, { pending = false, failed = null } = {}) {
  const own = m.user_id === state.user.user_id;
  const li = el('li', {
    class: ['message', own ? 'own' : '', pending ? 'pending' : '', failed ? 'failed' : ''].join(' ').trim(),
    'data-seq': m.seq ?? null,
    'data-client-id': m.client_id ?? null,
  },
  el('div', { class: 'meta' },
    el('span', { class: 'author', text: m.username }),
    el('time', { datetime: m.timestamp || '', text: m.timestamp ? formatTime(m.timestamp) : '' }),
    pending ? el('span', { class: 'status', text: failed ? `not sent: ${failed}` : 'sending…' }) : null),
  el('p', { class: 'text', text: m.content }));
  if (failed) {
    li.append(el('button', { type: 'button', class: 'link-button', text: 'Retry', onclick: () => retry(m.client_id) }));
  }
  return li;
}

function renderMessages() {
  const list = $('message-list');
  clear(list);
  const rs = state.rooms.get(state.current);
  if (!rs) return;
  for (const m of rs.messages) list.append(messageNode(m));
  for (const p of rs.pending.values()) list.append(messageNode(p, { pending: true, failed: p.failed }));
  list.scrollTop = list.scrollHeight;
}

// Puts one stored message into the visible list: replaces its pending copy, or goes in seq order.
function upsertMessageNode(m) {
  const list = $('message-list');
  const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const node = messageNode(m);
  const pendingCopy = m.client_id ? list.querySelector(`li.pending[data-client-id="${CSS.escape(m.client_id)}"]`) : null;
  if (pendingCopy) {
    pendingCopy.replaceWith(node);
  } else {
    let before = null;
    for (const li of list.children) {
      if (li.classList.contains('pending') || (li.dataset.seq && Number(li.dataset.seq) > m.seq)) {
        before = li;
        break;
      }
    }
    list.insertBefore(node, before);
  }
  if (stick) list.scrollTop = list.scrollHeight;
}

function randomId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function send(content) {
  const rs = state.rooms.get(state.current);
  if (!rs) return;
  const pending = {
    client_id: randomId(),
    room_id: rs.room.id,
    content,
    user_id: state.user.user_id,
    username: state.user.username,
    timestamp: new Date().toISOString(),
  };
  rs.pending.set(pending.client_id, pending);
  $('message-list').append(messageNode(pending, { pending: true }));
  $('message-list').scrollTop = $('message-list').scrollHeight;
  transmit(pending);
  stopTyping();
}

// Sends (or re-sends after a reconnect: the client_id makes that safe) a pending message.
function transmit(p) {
  state.realtime.send({ type: 'message', room_id: p.room_id, content: p.content, client_id: p.client_id });
}

function retry(clientId) {
  const rs = state.rooms.get(state.current);
  const p = rs && rs.pending.get(clientId);
  if (!p) return;
  p.failed = null;
  renderMessages();
  transmit(p);
}

function onAck(frame) {
  const rs = state.rooms.get(frame.room_id);
  if (!rs) return;
  const p = rs.pending.get(frame.client_id);
  if (!p) return;
  addMessage(rs, { ...p, seq: frame.seq, id: frame.id }, {});
}

function onMessageError(frame) {
  for (const rs of state.rooms.values()) {
    const p = rs.pending.get(frame.client_id);
    if (!p) continue;
    p.failed = frame.message || frame.code;
    if (state.current === rs.room.id) renderMessages();
  }
}

async function onNewMessage(m) {
  const rs = state.rooms.get(m.room_id);
  if (!rs) return;
  // A gap (a seq more than one past the newest held): fetch the missing range first.
  if (rs.loaded && rs.messages.length && m.seq > rs.lastSeq + 1) {
    try {
      await fillGap(rs, m.seq - 1);
    } catch {
      // The message itself still shows; the next gap check retries.
    }
  }
  if (!rs.loaded) {
    // Not on screen yet: count it, history loads when the room is opened.
    if (m.seq > rs.lastSeq) {
      rs.lastSeq = m.seq;
      if (m.user_id !== state.user.user_id && state.current !== rs.room.id) rs.unread += 1;
      renderRooms();
    }
    return;
  }
  const added = addMessage(rs, m, {});
  if (added && m.user_id !== state.user.user_id && (state.current !== rs.room.id || document.hidden)) {
    rs.unread += 1;
    renderRooms();
  }
}

function onFrame(frame) {
  switch (frame.type) {
    case 'connected':
      for (const rs of state.rooms.values()) joinRoom(rs);
      break;
    case 'joined': {
      const rs = state.rooms.get(frame.room_id);
      if (!rs) break;
      // Re-sent after a reconnect: the client_id makes a retry store one message.
      for (const p of rs.pending.values()) if (!p.failed) transmit(p);
      if (frame.truncated && rs.loaded) fillGap(rs).catch(() => {});
      if (!rs.loaded && frame.last_seq > rs.lastSeq) rs.lastSeq = frame.last_seq;
      break;
    }
    case 'new_message':
      onNewMessage(frame);
      break;
    case 'ack':
      onAck(frame);
      break;
    case 'user_joined':
    case 'user_left': {
      const rs = state.rooms.get(frame.room_id);
      if (rs && frame.user_id !== state.user.user_id && state.current === frame.room_id) showStatusLine(frame.message);
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
    case 'error':
      if (frame.client_id) onMessageError(frame);
      break;
    default:
      break;
  }
}

function joinRoom(rs) {
  const frame = { type: 'join', room_id: rs.room.id };
  if (rs.lastSeq > 0) frame.last_seq = rs.lastSeq;
  state.realtime.send(frame);
}

function renderOnline() {
  const list = $('online-list');
  clear(list);
  const rs = state.rooms.get(state.current);
  if (!rs) return;
  for (const u of rs.online) list.append(el('li', { text: u.username }));
}

// ---------------------------------------------------------------------------------------------
// Typing

function onComposerInput() {
  const now = Date.now();
  if (now - state.lastTypingSent > 2000 && state.current !== null) {
    state.lastTypingSent = now;
    state.realtime.send({ type: 'typing', room_id: state.current, is_typing: true });
  }
  clearTimeout(state.typingStop);
  state.typingStop = setTimeout(stopTyping, 3000);
}

function stopTyping() {
  clearTimeout(state.typingStop);
  if (state.lastTypingSent && state.current !== null) {
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
// Dialogs: new room, members, profile

async function onCreateRoom(event) {
  event.preventDefault();
  const name = $('new-room-name').value.trim();
  const error = $('new-room-error');
  error.textContent = '';
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
    state.rooms.set(room.id, roomState(room));
    $('new-room-dialog').close();
    event.target.reset();
    renderRooms();
    joinRoom(state.rooms.get(room.id));
    await selectRoom(room.id);
  } catch (e) {
    error.textContent = e.message;
  }
}

async function onAddMember(event) {
  event.preventDefault();
  const username = $('member-username').value.trim();
  const error = $('member-error');
  error.textContent = '';
  if (!username) {
    error.textContent = 'Enter a username.';
    return;
  }
  try {
    const users = await api('/api/auth/users', { token: session.token });
    const user = users.find((u) => u.username.toLowerCase() === username.toLowerCase());
    if (!user) throw new ApiError(404, `No user is called ${username}.`);
    await api(`/api/chat/rooms/${state.current}/members/${user.id}`, { method: 'POST', token: session.token });
    error.textContent = `${user.username} can now see this room.`;
    $('member-username').value = '';
  } catch (e) {
    error.textContent = e.message;
  }
}

let chosenAvatar = 'default-avatar.png';

async function openProfile() {
  const dialog = $('profile-dialog');
  $('profile-error').textContent = '';
  const choices = $('avatar-choices');
  clear(choices);
  try {
    const profile = await api(`/api/users/profiles/${state.user.user_id}`, { token: session.token });
    chosenAvatar = profile.avatar in avatars ? profile.avatar : 'default-avatar.png';
    $('profile-bio').value = profile.bio || '';
    $('profile-stats').textContent = `${profile.messages_sent ?? 0} messages sent, ${profile.rooms_created ?? 0} rooms created.`;
  } catch (e) {
    $('profile-error').textContent = e.message;
  }
  for (const [name, glyph] of Object.entries(avatars)) {
    const id = `avatar-${name.replace(/\W/g, '')}`;
    const input = el('input', { type: 'radio', name: 'avatar', id, value: name, checked: name === chosenAvatar });
    input.addEventListener('change', () => { chosenAvatar = name; });
    choices.append(el('label', { for: id, class: 'avatar-choice' }, input, el('span', { 'aria-hidden': 'true', text: glyph }),
      el('span', { class: 'visually-hidden', text: name === 'default-avatar.png' ? 'default' : name })));
  }
  dialog.showModal();
}

async function onSaveProfile(event) {
  event.preventDefault();
  try {
    await api(`/api/users/profiles/${state.user.user_id}`, {
      method: 'PUT',
      token: session.token,
      body: { bio: $('profile-bio').value, avatar: chosenAvatar },
    });
    $('me-avatar').textContent = avatarGlyph(chosenAvatar);
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
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $('composer-input');
    const content = input.value.trim();
    if (!content) return;
    send(content);
    input.value = '';
  });
  $('composer-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('composer').requestSubmit();
    }
  });
  $('composer-input').addEventListener('input', onComposerInput);
  $('new-room-button').addEventListener('click', () => {
    $('new-room-error').textContent = '';
    $('new-room-dialog').showModal();
  });
  $('new-room-form').addEventListener('submit', onCreateRoom);
  $('members-button').addEventListener('click', () => {
    $('member-error').textContent = '';
    $('member-dialog').showModal();
  });
  $('member-form').addEventListener('submit', onAddMember);
  $('profile-button').addEventListener('click', openProfile);
  $('profile-form').addEventListener('submit', onSaveProfile);
  for (const d of document.querySelectorAll('dialog')) wireDialog(d);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && state.current !== null) {
      const rs = state.rooms.get(state.current);
      if (rs && rs.unread) {
        rs.unread = 0;
        renderRooms();
      }
    }
  });
}

async function main() {
  wire();
  try {
    const user = await currentUser();
    if (user) await enterChat(user);
    else showAuth();
  } catch (e) {
    showAuth();
    $('login-error').textContent = e.message;
  }
}

main();
