import { MAX_NAME_CHARS } from './limits.js';

// Names are ASCII letters, digits and `_ - .`: a strict alphabet rules out look-alikes from other scripts
// (Cyrillic `а`, zero-width joiners, fullwidth letters are all simply invalid); within ASCII, uniqueness
// goes by nameSkeleton, which folds case and the look-alike pairs I/l/1, O/0 and rn/m.

export const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** Why `name` is not a valid user name, or null if it is. */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return 'a name cannot be empty';
  if (name.length > MAX_NAME_CHARS) return `a name has at most ${MAX_NAME_CHARS} characters`;
  if (!NAME_PATTERN.test(name)) return 'a name may use only letters (a-z, A-Z), digits, "_", "-" and "."';
  return null;
}

/** The key under which names are unique: `Alice` and `alice` are the same person. */
export function foldName(name: string): string {
  return name.toLowerCase();
}

/**
 * The key under which names must not look alike: `aIice` (capital i), `a1ice` and `alice` share one, as do
 * `m0rn` and `MOM`. The folding, in this order: lower case; `rn` becomes `m`; `i`, `l` and `1` become `l`;
 * `0` becomes `o`. These are the pairs that are identical or nearly so in common terminal fonts (sans-serif
 * capital I and small l are the same glyph; 1 and l differ by a serif; 0 and O by a slash or width; rn
 * kerned tight reads as m). We stop there: folding more (vv/w, cl/d, 5/S, 8/B) would turn away many honest
 * names for look-alikes that most fonts tell apart. The store's migration repeats this with SQL replace(),
 * so the two must change together.
 */
export function nameSkeleton(name: string): string {
  return name.toLowerCase().replaceAll('rn', 'm').replace(/[il1]/g, 'l').replaceAll('0', 'o');
}

/** Order for user lists: alphabetical, ignoring case. */
export function compareNames(a: string, b: string): number {
  const fa = foldName(a);
  const fb = foldName(b);
  return fa < fb ? -1 : fa > fb ? 1 : a < b ? -1 : a > b ? 1 : 0;
}
