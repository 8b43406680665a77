// Avatars: the initials of a name on a colour chosen from the name, drawn with text and CSS
// (no images, no emoji: they render with any font that has Latin letters).
import { el } from './dom.js';

export const avatarColours = 12; // .avatar.c0 ... .avatar.c11 in app.css

// "alice_smith" -> "AS", "bob" -> "BO", "x" -> "X".
export function initials(name) {
  const clean = String(name || '?').trim();
  const parts = clean.split(/[\s_.\-]+/).filter(Boolean);
  const letters = parts.length >= 2 ? [parts[0], parts[1]].map((p) => [...p][0]) : [...(parts[0] || clean)].slice(0, 2);
  return letters.join('').toUpperCase() || '?';
}

// FNV-1a over the name's UTF-16 units: the same name gets the same colour everywhere.
export function colourIndex(name) {
  let h = 0x811c9dc5;
  for (const ch of String(name || '')) {
    h ^= ch.codePointAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % avatarColours;
}

export function avatarNode(name, { size = 'normal' } = {}) {
  return el('span', {
    class: `avatar c${colourIndex(name)}${size === 'small' ? ' small' : ''}`,
    'aria-hidden': 'true',
    'data-name': name,
    text: initials(name),
  });
}
