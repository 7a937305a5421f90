// Search over a pane's scrollback, as `/search TEXT` and its key use it: every match (case-insensitive,
// Unicode simple case folding), the one in view, and moving to the previous (older) or next (newer) match.
// Pure: the view keeps a Search in its state and scrolls to `scrollFor` its current match.

/** One match: the line's index in the scrollback, and [start, end) in UTF-16 units of its text. */
export interface SearchMatch {
  line: number;
  start: number;
  end: number;
}

export interface Search {
  query: string;
  /** In scrollback order, oldest first. */
  matches: SearchMatch[];
  /** Index into `matches` of the match in view; -1 when there is none. */
  current: number;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}

/** Every match of `query` in `lines`, oldest first; none for an empty query. */
export function findAll(lines: readonly string[], query: string): SearchMatch[] {
  if (query === '') return [];
  const pattern = new RegExp(escapeRegExp(query), 'giu');
  const out: SearchMatch[] = [];
  lines.forEach((text, line) => {
    for (const m of text.matchAll(pattern)) out.push({ line, start: m.index, end: m.index + m[0].length });
  });
  return out;
}

/** A new search; the current match is the newest, since a person searches back from the bottom. */
export function startSearch(lines: readonly string[], query: string): Search {
  const matches = findAll(lines, query);
  return { query, matches, current: matches.length - 1 };
}

/** The search again after the scrollback changed, keeping the current match on the same line if it still is. */
export function refreshSearch(s: Search, lines: readonly string[], shifted = 0): Search {
  const matches = findAll(lines, s.query);
  const was = s.matches[s.current];
  if (!was) return { ...s, matches, current: matches.length - 1 };
  const at = matches.findIndex((m) => m.line === was.line - shifted && m.start === was.start);
  return { ...s, matches, current: at >= 0 ? at : Math.min(matches.length - 1, Math.max(0, s.current - 1)) };
}

/** The previous (`-1`, older) or next (`1`, newer) match, wrapping around at either end. */
export function stepSearch(s: Search, dir: -1 | 1): Search {
  if (s.matches.length === 0) return s;
  return { ...s, current: (s.current + dir + s.matches.length) % s.matches.length };
}

/** The matches on one line, for highlighting it. */
export function matchesOn(s: Search, line: number): SearchMatch[] {
  return s.matches.filter((m) => m.line === line);
}

/**
 * The scroll (lines up from the bottom, as the room pane counts) that brings `line` of `total` into view,
 * a few lines above the bottom edge when it can so the context after it shows too.
 */
export function scrollFor(line: number, total: number, pageRows: number): number {
  const below = Math.floor(Math.max(1, pageRows) / 3);
  return Math.max(0, total - 1 - line - below);
}

/** The status text for a search: `3/17 "deploy"`, or that nothing matched. */
export function searchStatus(s: Search): string {
  if (s.matches.length === 0) return `no match for "${s.query}"`;
  return `match ${s.current + 1} of ${s.matches.length} for "${s.query}"`;
}
