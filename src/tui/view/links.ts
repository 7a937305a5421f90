import { LinkifyIt } from 'linkify-it';
import { osc8 } from '../term/osc.js';

// URLs in messages, found by linkify-it (the recogniser markdown-it uses: balanced brackets, trailing
// punctuation left out, IDNs), limited to explicit http:// and https:// links. Words that merely look
// like domains ("node.js") stay text, and schemes a click should not open (file:, javascript:) are never links.

const linkify = new LinkifyIt({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false });
linkify.add('ftp:', null).add('mailto:', null).add('//', null);

/** A URL in a text: [start, end) in UTF-16 units, and the URL to open. */
export interface Link {
  start: number;
  end: number;
  url: string;
}

/** The http(s) links in already-sanitised text, in order. */
export function findLinks(text: string): Link[] {
  return (linkify.match(text) ?? []).map((m) => ({ start: m.index, end: m.lastIndex, url: m.url }));
}

/**
 * `text` with each link wrapped in an OSC 8 hyperlink when the terminal supports them, else unchanged.
 * `text` must already be sanitised: the sequences are the client's own, built by osc8().
 */
export function hyperlinked(text: string, supported: boolean): string {
  if (!supported) return text;
  let out = '';
  let at = 0;
  for (const l of findLinks(text)) {
    out += text.slice(at, l.start) + (osc8(l.url, text.slice(l.start, l.end)) ?? text.slice(l.start, l.end));
    at = l.end;
  }
  return out + text.slice(at);
}
