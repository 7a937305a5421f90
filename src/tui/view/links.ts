import { LinkifyIt } from 'linkify-it';

// URLs in messages, found by linkify-it (the recogniser markdown-it uses: balanced brackets, trailing
// punctuation left out, IDNs), limited to explicit http:// and https:// links. Words that merely look
// like domains ("node.js") stay text, and schemes a click should not open (file:, javascript:) are never links.
// The full screen draws them as OSC 8 hyperlinks (view/lines.ts, panes/frame.ts, term/osc.ts).

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
