// Small DOM helpers. User text only ever goes in through textContent: never as HTML.

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
}

// An inline SVG icon from the small set below (drawn with strokes: no icon font, no emoji).
const svgNS = 'http://www.w3.org/2000/svg';
const iconPaths = {
  menu: ['M4 6h16', 'M4 12h16', 'M4 18h16'],
  people: ['M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z', 'M2.5 20c0-3.6 2.9-6 6.5-6s6.5 2.4 6.5 6',
    'M16 4.3a3.5 3.5 0 0 1 0 6.4', 'M18 14.4c2.1.8 3.5 2.8 3.5 5.6'],
  logout: ['M15 4h3a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3', 'M10 17l-5-5 5-5', 'M5 12h11'],
  lock: ['M6 11h12v9H6z', 'M8.5 11V8a3.5 3.5 0 0 1 7 0v3'],
  close: ['M6 6l12 12', 'M18 6L6 18'],
};
export function icon(name) {
  const svg = document.createElementNS(svgNS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', `icon icon-${name}`);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const d of iconPaths[name] || []) {
    const path = document.createElementNS(svgNS, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

// ---------------------------------------------------------------------------------------------
// Dates and times, always in the reader's own time zone and locale.

export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

// The full date and time, for the tooltip of a time.
export function formatFullDate(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString([], { dateStyle: 'full', timeStyle: 'medium' });
}

// A local calendar day as a key (YYYY-MM-DD) and as a heading ("Today", "Yesterday", a date).
export function dayKey(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function dayLabel(iso, now = new Date()) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const key = dayKey(iso);
  if (key === dayKey(now.toISOString())) return 'Today';
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (key === dayKey(yesterday.toISOString())) return 'Yesterday';
  const sameYear = d.getFullYear() === now.getFullYear();
  return d.toLocaleDateString([], { weekday: 'long', day: 'numeric', month: 'long', year: sameYear ? undefined : 'numeric' });
}

// The local minute of a timestamp (messages of one author in one minute form a group).
export function minuteKey(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${dayKey(iso)}T${d.getHours()}:${d.getMinutes()}`;
}

// "45 seconds", "15 minutes", "2 hours": how long a wait of `seconds` is, rounded up.
export function formatDuration(seconds) {
  const s = Math.max(1, Math.ceil(Number(seconds) || 0));
  const unit = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (s < 90) return unit(s, 'second');
  const minutes = Math.ceil(s / 60);
  if (minutes < 90) return unit(minutes, 'minute');
  return unit(Math.ceil(minutes / 60), 'hour');
}

export const formatCount = (n) => n.toLocaleString('en-US');

// Closes a <dialog> from its Cancel button and on Escape (built in).
export function wireDialog(dialog) {
  for (const button of dialog.querySelectorAll('button.cancel')) {
    button.addEventListener('click', () => dialog.close());
  }
}
