// Message text: http(s) addresses become links, everything else stays text. Nothing from a
// message is ever parsed as HTML: links are built with createElement and textContent.
import { el } from './dom.js';

export const maxMessageChars = 4000; // code points, as the server counts (docs/protocol.md)

export function codePoints(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 === s.length) n += 1;
    else {
      const d = s.charCodeAt(i + 1);
      n += 1;
      if (d >= 0xdc00 && d <= 0xdfff) i += 1;
    }
  }
  return n;
}

// Candidate addresses: a scheme, then anything up to white space or a character that cannot
// end an address in running text.
const candidate = /\bhttps?:\/\/[^\s<>"'`]+/gi;

// Trailing punctuation belongs to the sentence, not the address; a closing bracket only when
// the address has no matching opening one (https://en.wikipedia.org/wiki/C_(language) keeps it).
function trimAddress(text) {
  let end = text.length;
  for (;;) {
    const last = text[end - 1];
    if (/[.,;:!?]/.test(last)) end -= 1;
    else if (last === ')' || last === ']') {
      const open = last === ')' ? '(' : '[';
      const part = text.slice(0, end);
      if (part.split(open).length - 1 < part.split(last).length - 1) end -= 1;
      else break;
    } else break;
  }
  return text.slice(0, end);
}

function safeHref(text) {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

// The nodes for a message's text: text nodes and <a> elements, in order.
export function linkify(text) {
  const out = [];
  let at = 0;
  for (const match of text.matchAll(candidate)) {
    const address = trimAddress(match[0]);
    const href = safeHref(address);
    if (!href) continue;
    if (match.index > at) out.push(document.createTextNode(text.slice(at, match.index)));
    out.push(el('a', { href, target: '_blank', rel: 'noopener noreferrer', text: address }));
    at = match.index + address.length;
  }
  if (at < text.length) out.push(document.createTextNode(text.slice(at)));
  return out;
}

// Long messages are shown collapsed, with "Show more".
export const isLong = (text) => text.length > 700 || text.split('\n').length > 12;
