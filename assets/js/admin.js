// The admin dashboard: users, rooms, the /api/stats figures and the live topology, drawn as SVG
// (built with DOM calls and textContent: nothing from the server is parsed as markup).
import { api, currentUser, session } from './api.js';
import { $, clear, el } from './dom.js';

const svgNS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function row(cells) {
  return el('tr', {}, ...cells.map((c) => el('td', { text: c === null || c === undefined ? '' : String(c) })));
}

function formatUptime(seconds) {
  if (typeof seconds !== 'number') return '';
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

async function loadStats() {
  const s = await api('/api/stats', { token: session.token });
  const show = (id, v) => { $(id).textContent = v === null || v === undefined ? '?' : String(v); };
  show('stat-users', s.users);
  show('stat-rooms', s.rooms);
  show('stat-messages', s.messages);
  show('stat-websockets', s.websocket_connections);
}

async function loadUsers() {
  const users = await api('/api/auth/users', { token: session.token });
  const body = $('user-table').tBodies[0];
  clear(body);
  for (const u of users) body.append(row([u.id, u.username, u.email, u.is_admin ? 'yes' : 'no', u.created_at]));
}

async function loadRooms() {
  const rooms = await api('/api/chat/rooms', { token: session.token });
  const body = $('room-table').tBodies[0];
  clear(body);
  for (const r of rooms) body.append(row([r.id, r.name, r.is_private ? 'yes' : 'no', r.created_by, r.created_at]));
}

// Columns in request order: browser, frontend, gateway, then the services behind it.
const columns = [['browser'], ['frontend'], ['gateway'], ['auth', 'user', 'chat']];

function drawTopology(topology) {
  const services = new Map(topology.services.map((s) => [s.name, s.instances]));
  services.set('browser', []);
  const boxWidth = 190;
  const gapX = 70;
  const instanceHeight = 46;
  const positions = new Map();
  let height = 0;
  columns.forEach((names, col) => {
    let y = 10;
    for (const name of names) {
      const instances = services.get(name) || [];
      const h = name === 'browser' ? 60 : 34 + Math.max(1, instances.length) * instanceHeight;
      positions.set(name, { x: 10 + col * (boxWidth + gapX), y, h });
      y += h + 20;
    }
    height = Math.max(height, y);
  });
  const width = 20 + columns.length * boxWidth + (columns.length - 1) * gapX;
  const picture = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'topology-title' });
  picture.append(svg('title', { id: 'topology-title' }, describe(topology)));
  const defs = svg('defs');
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z' }));
  defs.append(marker);
  picture.append(defs);

  for (const [from, to] of topology.links || []) {
    const a = positions.get(from);
    const b = positions.get(to);
    if (!a || !b) continue;
    const backwards = b.x <= a.x;
    const x1 = backwards ? a.x + boxWidth / 2 : a.x + boxWidth;
    const y1 = backwards ? a.y + a.h : a.y + a.h / 2;
    const x2 = backwards ? b.x + boxWidth / 2 : b.x;
    const y2 = backwards ? b.y : b.y + b.h / 2;
    picture.append(svg('path', { class: 'link', d: `M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}` }));
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
      body.append(row([s.name, i.address, i.up ? 'up' : 'down', i.version, formatUptime(i.uptime_s),
        i.open_connections, i.open_websockets, typeof i.requests_per_s === 'number' ? i.requests_per_s.toFixed(1) : '']));
    }
  }
}

async function refreshTopology() {
  try {
    const topology = await api('/api/admin/topology', { token: session.token });
    drawTopology(topology);
    fillInstanceTable(topology);
    $('topology-updated').textContent = `Updated ${new Date().toLocaleTimeString()}.`;
    $('admin-error').textContent = '';
  } catch (e) {
    $('admin-error').textContent = `Topology: ${e.message}`;
  }
}

async function main() {
  const user = await currentUser().catch(() => null);
  if (!user) {
    location.replace('/');
    return;
  }
  if (!user.is_admin) {
    $('admin-error').textContent = 'This page is for administrators.';
    return;
  }
  const report = (what) => (e) => { $('admin-error').textContent = `${what}: ${e.message}`; };
  loadStats().catch(report('Statistics'));
  loadUsers().catch(report('Users'));
  loadRooms().catch(report('Rooms'));
  await refreshTopology();
  setInterval(() => {
    refreshTopology();
    loadStats().catch(report('Statistics'));
  }, 3000);
}

main();
