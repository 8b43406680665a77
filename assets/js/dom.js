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
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
}

export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

// Avatars are a fixed set of pictures drawn as emoji: no external images (the CSP allows none).
export const avatars = {
  'default-avatar.png': '🙂',
  fox: '🦊',
  owl: '🦉',
  cat: '🐱',
  robot: '🤖',
  rocket: '🚀',
  cactus: '🌵',
  whale: '🐳',
};
export const avatarGlyph = (name) => avatars[name] || avatars['default-avatar.png'];

// Closes a <dialog> from its Cancel button and on Escape (built in).
export function wireDialog(dialog) {
  for (const button of dialog.querySelectorAll('button.cancel')) {
    button.addEventListener('click', () => dialog.close());
  }
}
