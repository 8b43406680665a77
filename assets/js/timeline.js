// The message list as a keyed list of rows: rendering reuses every row whose key and signature
// are unchanged (so screen readers hear only additions and "show more" keeps its state), moves
// rows into order, and keeps the reader's place: at the bottom when they were at the bottom,
// otherwise the first visible row stays where it was (older history loaded above, for one).

import { dayKey, dayLabel, minuteKey } from './dom.js';

// What the timeline shows, in order, from its items ({ message, pending } or { event }): a day
// separator before each new local day, the "new messages" line before `firstUnread` (a seq), and
// each message marked `first` when it starts a group (another author, another minute, or after
// a separator or a system line).
export function layout(items, { firstUnread = null, now = new Date() } = {}) {
  const out = [];
  let prev = null;
  let prevDay = null;
  for (const item of items) {
    if (item.event) {
      out.push({ type: 'event', event: item.event });
      prev = null;
      continue;
    }
    const m = item.message;
    const day = dayKey(m.timestamp);
    if (day && day !== prevDay) {
      out.push({ type: 'day', key: `day:${day}`, label: dayLabel(m.timestamp, now) });
      prevDay = day;
      prev = null;
    }
    if (!item.pending && firstUnread !== null && m.seq === firstUnread) {
      out.push({ type: 'new' });
      prev = null;
    }
    const first = !(prev && prev.user_id === m.user_id && minuteKey(prev.timestamp) === minuteKey(m.timestamp));
    out.push({ type: 'message', message: m, pending: Boolean(item.pending), first });
    prev = m;
  }
  return out;
}

// rows: [{ key, sig, build() -> HTMLElement }]
function reconcile(list, rows) {
  const existing = new Map();
  for (const child of list.children) existing.set(child.dataset.key, child);
  let cursor = list.firstElementChild;
  for (const row of rows) {
    let node = existing.get(row.key);
    if (node && node.dataset.sig === row.sig) {
      existing.delete(row.key);
    } else {
      node = row.build();
      node.dataset.key = row.key;
      node.dataset.sig = row.sig;
    }
    if (node === cursor) cursor = cursor.nextElementSibling;
    else list.insertBefore(node, cursor);
  }
  for (const stale of existing.values()) if (stale.parentNode === list) stale.remove();
}

const nearBottom = (list) => list.scrollHeight - list.scrollTop - list.clientHeight < 48;

// reveal: the key of a row to bring into view (the "new messages" line) instead of the bottom.
export function renderTimeline(list, rows, { toBottom = false, reveal = null } = {}) {
  const stick = toBottom || nearBottom(list);
  let anchorKey = null;
  let anchorOffset = 0;
  if (!stick) {
    // The first message row in view (not the "loading" line above it, which stays on top).
    for (const child of list.children) {
      if (!child.dataset.key.startsWith('m:')) continue;
      if (child.offsetTop + child.offsetHeight > list.scrollTop) {
        anchorKey = child.dataset.key;
        anchorOffset = child.offsetTop - list.scrollTop;
        break;
      }
    }
  }
  reconcile(list, rows);
  const byKey = (key) => [...list.children].find((c) => c.dataset.key === key);
  const target = reveal && byKey(reveal);
  if (target) {
    list.scrollTop = Math.max(0, target.offsetTop - list.clientHeight / 3);
  } else if (stick) {
    list.scrollTop = list.scrollHeight;
  } else if (anchorKey !== null) {
    const anchor = byKey(anchorKey);
    if (anchor) list.scrollTop = anchor.offsetTop - anchorOffset;
  }
}

export const atBottom = nearBottom;
