// The admin dashboard: the /api/stats figures, the live topology (SVG built with DOM calls and
// textContent: nothing from the server is parsed as markup), users and rooms in paged,
// searchable tables, and the moderator's actions, each confirmed first. Only a signed-in
// administrator sees any of it; anyone else gets one clear sentence and a way to sign in.
import { api, apiStatus, currentUser, session } from './api.js';
import { $, clear, el, formatCount, formatFullDate } from './dom.js';

const pageSize = 25;
let me = null;
let users = [];
let rooms = [];

// ---------------------------------------------------------------------------------------------
// Who may see the page

function gate(title, text, { signInLabel = 'Sign in', signInHref = '/?next=%2Fadmin.html' } = {}) {
  $('admin-content').hidden = true;
  $('admin-gate').hidden = false;
  $('gate-title').textContent = title;
  $('gate-text').textContent = text;
  $('gate-signin').textContent = signInLabel;
  $('gate-signin').href = signInHref;
  document.title = 'Parley admin: sign in';
}

// ---------------------------------------------------------------------------------------------
// Messages

function say(text) {
  $('admin-status').textContent = text;
  $('admin-error').textContent = '';
}
function complain(text) {
  $('admin-error').textContent = text;
  $('admin-status').textContent = '';
}

// ---------------------------------------------------------------------------------------------
// Paged, searchable tables

function pagedTable({ table, pager, search, matches, row, empty }) {
  const view = { items: [], page: 0, query: '' };
  const body = $(table).tBodies[0];
  const columns = $(table).tHead.rows[0].cells.length;
  const prev = $(pager).querySelector('.prev');
  const next = $(pager).querySelector('.next');
  const where = $(pager).querySelector('.where');
  function filtered() {
    const q = view.query.trim().toLowerCase();
    if (!q) return view.items;
    // An exact id first, then the rest that match.
    const hits = view.items.filter((item) => matches(item, q));
    return [...hits.filter((item) => String(item.id) === q), ...hits.filter((item) => String(item.id) !== q)];
  }
  function render() {
    const list = filtered();
    const pages = Math.max(1, Math.ceil(list.length / pageSize));
    view.page = Math.min(view.page, pages - 1);
    const start = view.page * pageSize;
    const shown = list.slice(start, start + pageSize);
    clear(body);
    for (const item of shown) body.append(row(item));
    if (!shown.length) {
      body.append(el('tr', {}, el('td', { class: 'empty', colspan: columns, text: view.query ? `Nothing matches "${view.query.trim()}".` : empty })));
    }
    const of = view.query.trim() ? ` (filtered from ${formatCount(view.items.length)})` : '';
    where.textContent = list.length
      ? `${formatCount(start + 1)}-${formatCount(start + shown.length)} of ${formatCount(list.length)}${of}, page ${view.page + 1} of ${pages}`
      : '';
    prev.disabled = view.page === 0;
    next.disabled = view.page >= pages - 1;
    $(pager).hidden = list.length <= pageSize && view.page === 0 && !view.query;
  }
  prev.addEventListener('click', () => { view.page -= 1; render(); });
  next.addEventListener('click', () => { view.page += 1; render(); });
  $(search).addEventListener('input', (e) => {
    view.query = e.target.value;
    view.page = 0;
    render();
  });
  return {
    set(items) { view.items = items; render(); },
    render,
  };
}

function cell(value) {
  return el('td', { text: value === null || value === undefined ? '' : String(value) });
}

function createdCell(iso) {
  if (!iso) return el('td');
  const d = new Date(iso);
  return el('td', {}, el('time', { datetime: iso, title: formatFullDate(iso), text: Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString() }));
}

const deactivated = (u) => u.is_active === false || Boolean(u.deactivated_at);

const userTable = pagedTable({
  table: 'user-table',
  pager: 'user-pager',
  search: 'user-search',
  empty: 'No users.',
  matches: (u, q) => String(u.id) === q || u.username.toLowerCase().includes(q) || (u.email || '').toLowerCase().includes(q),
  row: (u) => {
    const name = el('td', { text: u.username });
    if (deactivated(u)) name.append(' ', el('span', { class: 'tag', text: 'deactivated' }));
    const tr = el('tr', { 'data-user-id': u.id }, cell(u.id), name, cell(u.email), cell(u.is_admin ? 'yes' : 'no'), createdCell(u.created_at));
    if (actions.admin || actions.deactivate) tr.append(userActions(u));
    return tr;
  },
});

const roomTable = pagedTable({
  table: 'room-table',
  pager: 'room-pager',
  search: 'room-search',
  empty: 'No rooms.',
  matches: (r, q) => String(r.id) === q || r.name.toLowerCase().includes(q),
  row: (r) => {
    const creator = users.find((u) => u.id === r.created_by);
    const tr = el('tr', { 'data-room-id': r.id }, cell(r.id), cell(r.name), cell(r.is_private ? 'yes' : 'no'),
      cell(creator ? creator.username : r.created_by ?? ''), cell(r.last_seq ?? ''), createdCell(r.created_at));
    if (actions.deleteRoom) tr.append(roomActions(r));
    return tr;
  },
});

async function loadUsers() {
  users = await api('/api/auth/users', { token: session.token });
  userTable.set(users);
  roomTable.render(); // "created by" names
}

async function loadRooms() {
  rooms = await api('/api/chat/rooms', { token: session.token });
  roomTable.set(rooms);
}

async function loadStats() {
  const s = await api('/api/stats', { token: session.token });
  const show = (id, v) => { $(id).textContent = v === null || v === undefined ? '?' : formatCount(v); };
  show('stat-users', s.users ?? s.total_users);
  show('stat-rooms', s.rooms ?? s.total_rooms);
  show('stat-messages', s.messages);
  show('stat-websockets', s.websocket_connections);
}

// ---------------------------------------------------------------------------------------------
// Moderator actions (docs/api.md, "Admin actions"). Until the server has a route its buttons
// stay hidden: each is probed once without side effects (a method the path does not have
// answers 405, a path that does not exist 404).

const actions = { admin: false, deactivate: false, deleteRoom: false };

async function probeActions() {
  const [admin, deactivate, deleteRoom] = await Promise.all([
    // An existing path with another method: 405 until PATCH exists; then 404 (no user 0).
    apiStatus('/api/auth/users/0', { method: 'PATCH', body: { is_admin: false }, token: session.token }),
    // GET on a POST-only path: 405 once it exists, 404 before.
    apiStatus('/api/auth/users/0/deactivate', { token: session.token }),
    // 405 until DELETE exists; then 404 (no room 0).
    apiStatus('/api/chat/rooms/0', { method: 'DELETE', token: session.token }),
  ]);
  actions.admin = admin.status !== 405 && admin.status !== 0;
  actions.deactivate = deactivate.status === 405;
  actions.deleteRoom = deleteRoom.status !== 405 && deleteRoom.status !== 0;
  for (const head of document.querySelectorAll('#user-table .actions-head')) head.hidden = !(actions.admin || actions.deactivate);
  for (const head of document.querySelectorAll('#room-table .actions-head')) head.hidden = !actions.deleteRoom;
  document.body.dataset.actions = Object.entries(actions).filter(([, v]) => v).map(([k]) => k).join(' ') || 'none';
  userTable.render();
  roomTable.render();
}

function confirmAction({ title, text, ok }) {
  const dialog = $('confirm-dialog');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = ok;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
  });
}

// A route that went away (or never came): hide its buttons.
function unsupported(e, key, what) {
  if (e.status === 405 || (e.status === 404 && e.message === 'Not found')) {
    actions[key] = false;
    probeActions().catch(() => {});
    complain(`This server does not support ${what} yet.`);
    return true;
  }
  return false;
}

async function run(key, what, call, done) {
  try {
    await call();
    say(done);
  } catch (e) {
    if (!unsupported(e, key, what)) complain(`${what[0].toUpperCase()}${what.slice(1)} failed: ${e.message}`);
  }
}

function userActions(u) {
  const td = el('td', { class: 'actions' });
  if (u.id === me.user_id || deactivated(u)) return td; // not on yourself; nothing left to do
  if (actions.admin) {
    const make = !u.is_admin;
    td.append(el('button', {
      type: 'button',
      class: make ? 'make-admin' : 'revoke-admin',
      text: make ? 'Make admin' : 'Revoke admin',
      'aria-label': `${make ? 'Make' : 'Revoke'} admin: ${u.username}`,
      onclick: async () => {
        const sure = await confirmAction({
          title: make ? `Make ${u.username} an administrator?` : `Revoke ${u.username}'s administrator rights?`,
          text: make
            ? `${u.username} will see every user's email, every room, and this dashboard, and can take these actions.`
            : `${u.username} keeps their account but loses the dashboard and access to private rooms they are not a member of.`,
          ok: make ? 'Make admin' : 'Revoke admin',
        });
        if (!sure) return;
        await run('admin', 'changing administrators', () => api(`/api/auth/users/${u.id}`, { method: 'PATCH', body: { is_admin: make }, token: session.token }),
          make ? `${u.username} is now an administrator.` : `${u.username} is no longer an administrator.`);
        await loadUsers().catch((e) => complain(`Users: ${e.message}`));
      },
    }));
  }
  if (actions.deactivate) {
    td.append(el('button', {
      type: 'button',
      class: 'deactivate danger',
      text: 'Deactivate',
      'aria-label': `Deactivate ${u.username}`,
      onclick: async () => {
        const sure = await confirmAction({
          title: `Deactivate ${u.username}?`,
          text: `${u.username} is signed out everywhere at once and can no longer sign in. Their messages stay.`,
          ok: 'Deactivate',
        });
        if (!sure) return;
        await run('deactivate', 'deactivating users', () => api(`/api/auth/users/${u.id}/deactivate`, { method: 'POST', token: session.token }),
          `${u.username} was deactivated and signed out.`);
        await loadUsers().catch((e) => complain(`Users: ${e.message}`));
      },
    }));
  }
  return td;
}

function roomActions(r) {
  return el('td', { class: 'actions' }, el('button', {
    type: 'button',
    class: 'delete-room danger',
    text: 'Delete',
    'aria-label': `Delete room ${r.name}`,
    onclick: async () => {
      const sure = await confirmAction({
        title: `Delete #${r.name}?`,
        text: `The room and its ${formatCount(r.last_seq ?? 0)} messages are deleted for everyone. This cannot be undone.`,
        ok: 'Delete room',
      });
      if (!sure) return;
      await run('deleteRoom', 'deleting rooms', () => api(`/api/chat/rooms/${r.id}`, { method: 'DELETE', token: session.token }),
        `#${r.name} was deleted.`);
      await loadRooms().catch((e) => complain(`Rooms: ${e.message}`));
      loadStats().catch(() => {});
    },
  }));
}

// ---------------------------------------------------------------------------------------------
// The topology: columns in request order (browser; frontend and gateway, which the browser
// talks to; the services behind the gateway). Every link joins neighbouring columns edge to
// edge, or, within a column, bends around its right side: no line runs behind a box.

const svgNS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function formatUptime(seconds) {
  if (typeof seconds !== 'number') return '';
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

const columns = [['browser'], ['frontend', 'gateway'], ['auth', 'user', 'chat']];

function linkPath(a, b, boxWidth) {
  if (b.col === a.col) {
    // Around the right side of the column.
    const x = a.x + boxWidth;
    const y1 = a.y + a.h / 2;
    const y2 = b.y + b.h / 2;
    const bend = 36;
    return `M${x},${y1} C${x + bend},${y1} ${x + bend},${y2} ${x},${y2}`;
  }
  const forward = b.col > a.col;
  const x1 = forward ? a.x + boxWidth : a.x;
  const x2 = forward ? b.x : b.x + boxWidth;
  const y1 = a.y + a.h / 2;
  const y2 = b.y + b.h / 2;
  const mid = (x1 + x2) / 2;
  return `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
}

function drawTopology(topology) {
  const services = new Map(topology.services.map((s) => [s.name, s.instances]));
  const boxWidth = 200;
  const gapX = 80;
  const gapY = 22;
  const instanceHeight = 46;
  const margin = 12;
  const heightOf = (name) => (name === 'browser' ? 60 : 34 + Math.max(1, (services.get(name) || []).length) * instanceHeight);
  const columnHeight = (names) => names.reduce((sum, n) => sum + heightOf(n), 0) + gapY * (names.length - 1);
  const height = Math.max(...columns.map(columnHeight)) + 2 * margin;
  const positions = new Map();
  columns.forEach((names, col) => {
    let y = margin + (height - 2 * margin - columnHeight(names)) / 2;
    for (const name of names) {
      positions.set(name, { x: margin + col * (boxWidth + gapX), y, h: heightOf(name), col });
      y += heightOf(name) + gapY;
    }
  });
  const width = 2 * margin + columns.length * boxWidth + (columns.length - 1) * gapX + 44; // room for bends
  const picture = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'topology-title' });
  picture.append(svg('title', { id: 'topology-title' }, describe(topology)));
  const defs = svg('defs');
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse', markerUnits: 'strokeWidth' });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z' }));
  defs.append(marker);
  picture.append(defs);

  for (const [from, to] of topology.links || []) {
    const a = positions.get(from);
    const b = positions.get(to);
    if (!a || !b || from === to) continue;
    picture.append(svg('path', { class: 'link', 'data-from': from, 'data-to': to, d: linkPath(a, b, boxWidth) }));
  }
  for (const [name, pos] of positions) {
    const g = svg('g', { 'data-service': name });
    g.append(svg('rect', { class: 'service-box', x: pos.x, y: pos.y, width: boxWidth, height: pos.h, rx: 8 }));
    g.append(svg('text', { class: 'title', x: pos.x + 10, y: pos.y + 20 }, name));
    (services.get(name) || []).forEach((inst, i) => {
      const y = pos.y + 30 + i * instanceHeight;
      const up = inst.up;
      g.append(svg('rect', { class: up ? 'instance-up' : 'instance-down', x: pos.x + 8, y, width: boxWidth - 16, height: instanceHeight - 8, rx: 5, 'data-instance': inst.address }));
      g.append(svg('text', { x: pos.x + 14, y: y + 15 }, up ? (inst.instance || inst.address) : `${inst.address} (down)`));
      if (up) {
        const load = `${inst.open_connections ?? 0} conn · ${inst.open_websockets ?? 0} ws · ${(inst.requests_per_s ?? 0).toFixed(1)} req/s`;
        g.append(svg('text', { x: pos.x + 14, y: y + 31 }, load));
      }
    });
    if (name === 'browser') g.append(svg('text', { x: pos.x + 10, y: pos.y + 42 }, 'you'));
    picture.append(g);
  }
  const holder = $('topology-picture');
  clear(holder);
  holder.append(picture);
}

function describe(topology) {
  return topology.services
    .map((s) => `${s.name}: ${s.instances.filter((i) => i.up).length} of ${s.instances.length} instances up`)
    .join('; ');
}

function fillInstanceTable(topology) {
  const body = $('instance-table').tBodies[0];
  clear(body);
  for (const s of topology.services) {
    for (const i of s.instances) {
      body.append(el('tr', {}, ...[s.name, i.address, i.up ? 'up' : 'down', i.version, formatUptime(i.uptime_s),
        i.open_connections, i.open_websockets, typeof i.requests_per_s === 'number' ? i.requests_per_s.toFixed(1) : ''].map(cell)));
    }
  }
}

async function refreshTopology() {
  try {
    const topology = await api('/api/admin/topology', { token: session.token });
    drawTopology(topology);
    fillInstanceTable(topology);
    $('topology-updated').textContent = `Updated ${new Date().toLocaleTimeString()}.`;
  } catch (e) {
    complain(`Topology: ${e.message}`);
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  let user = null;
  try {
    user = await currentUser();
  } catch (e) {
    gate('The server cannot be reached', e.message, { signInLabel: 'Try again', signInHref: '/admin.html' });
    return;
  }
  if (!user) {
    gate('Sign in to see the admin dashboard', 'The admin dashboard is for administrators. Sign in with an administrator account to see it.');
    return;
  }
  if (!user.is_admin) {
    gate('This page is for administrators',
      `You are signed in as ${user.username}, who is not an administrator.`,
      { signInLabel: 'Sign in as an administrator', signInHref: '/?signout=1&next=%2Fadmin.html' });
    return;
  }
  me = user;
  $('admin-gate').hidden = true;
  $('admin-content').hidden = false;
  document.title = 'Parley admin';
  wireConfirm();
  const report = (what) => (e) => complain(`${what}: ${e.message}`);
  loadStats().catch(report('Statistics'));
  await probeActions().catch(() => {});
  loadUsers().catch(report('Users'));
  loadRooms().catch(report('Rooms'));
  await refreshTopology();
  setInterval(() => {
    refreshTopology();
    loadStats().catch(report('Statistics'));
  }, 3000);
}

function wireConfirm() {
  const dialog = $('confirm-dialog');
  for (const b of dialog.querySelectorAll('button.cancel')) b.addEventListener('click', () => dialog.close(''));
}

main();
