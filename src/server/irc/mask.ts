// IRC masks (WHO, WHOWAS): `*` stands for any run of characters, `?` for one, and case is ASCII case
// (CASEMAPPING=ascii). Matched by hand, not by a regular expression: a mask is the client's input, and a
// regex of many `*` (`.*.*.*…!`) backtracks exponentially against a name it does not match, which would
// hold the event loop (and every other client) for as long as it takes.

/** `c` with ASCII capitals lowered, others as they are (CASEMAPPING=ascii). */
function foldAscii(c: string): string {
  return c >= 'A' && c <= 'Z' ? String.fromCharCode(c.charCodeAt(0) + 32) : c;
}

/**
 * Whether `name` matches the IRC mask `mask` (`*` any run, `?` one character, ASCII case ignored).
 * Greedy with one backtrack point, the last `*` seen: O(mask × name) steps at worst, whatever the mask.
 * Characters are code points, so `?` matches an emoji whole.
 */
export function matchMask(mask: string, name: string): boolean {
  const m = Array.from(mask, foldAscii);
  const n = Array.from(name, foldAscii);
  let i = 0; // in the mask
  let j = 0; // in the name
  let star = -1; // the last `*` seen in the mask
  let resume = 0; // where in the name that `*` stopped matching
  while (j < n.length) {
    if (i < m.length && m[i] === '*') {
      star = i++;
      resume = j;
    } else if (i < m.length && (m[i] === '?' || m[i] === n[j])) {
      i++;
      j++;
    } else if (star !== -1) {
      // The last `*` takes one more character of the name, and the rest of the mask is tried after it.
      i = star + 1;
      j = ++resume;
    } else {
      return false;
    }
  }
  while (i < m.length && m[i] === '*') i++;
  return i === m.length;
}
