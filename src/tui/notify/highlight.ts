// Which lines are highlights: your own name or one of the config's highlight words, as a whole word and
// ignoring case, the rule irssi (`/hilight`) and WeeChat (`weechat.look.highlight`) apply. `bob` highlights
// "bob: hi" and "hi @bob!" but not "bobby", "kebob" or "bob-smith".

/** A span of a line, in UTF-16 units: [start, end). */
export interface Span {
  start: number;
  end: number;
}

/**
 * What continues a word: letters, digits, marks, `_` and `-` (so `bob-smith` is not `bob`, as names may
 * hold `-`). A `.` ends one, so "ask bob." highlights bob.
 */
const WORD_CHAR = /[\p{L}\p{N}\p{M}_-]/u;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}

/**
 * A matcher for `me` and `words`: the spans of `text` that are highlights, in order. Empty words are
 * ignored; a word that itself starts or ends with a non-word character (`c++`) matches at that edge.
 */
export function highlighter(me: string, words: readonly string[]): (text: string) => Span[] {
  const terms = [me, ...words].map((w) => w.trim()).filter((w) => w !== '');
  if (terms.length === 0) return () => [];
  // Longest first, so "bob-smith" wins over "bob" where both match.
  terms.sort((a, b) => b.length - a.length);
  const pattern = new RegExp(terms.map(escapeRegExp).join('|'), 'giu');
  return (text) => {
    const spans: Span[] = [];
    for (const m of text.matchAll(pattern)) {
      const start = m.index;
      const end = start + m[0].length;
      const before = [...text.slice(Math.max(0, start - 2), start)].pop();
      const after = [...text.slice(end, end + 2)][0];
      const edgeOk = (edge: string | undefined, inner: string) => edge === undefined || !WORD_CHAR.test(inner) || !WORD_CHAR.test(edge);
      if (edgeOk(before, [...m[0]][0]!) && edgeOk(after, [...m[0]].pop()!)) spans.push({ start, end });
    }
    return spans;
  };
}
