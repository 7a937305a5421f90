import { MAX_NAME_CHARS } from './limits.js';

// Names are ASCII letters, digits and `_ - .`: a strict alphabet is what makes look-alikes impossible
// (Cyrillic `а`, zero-width joiners, fullwidth letters are all simply invalid), and uniqueness ignores case.

export const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** Why `name` is not a valid user name, or null if it is. */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return 'a name cannot be empty';
  if (name.length > MAX_NAME_CHARS) return `a name has at most ${MAX_NAME_CHARS} characters`;
  if (!NAME_PATTERN.test(name)) return 'a name may use only letters A-Z, digits, "_", "-" and "."';
  return null;
}

/** The key under which names are unique: `Alice` and `alice` are the same person. */
export function foldName(name: string): string {
  return name.toLowerCase();
}

/** Order for user lists: alphabetical, ignoring case. */
export function compareNames(a: string, b: string): number {
  const fa = foldName(a);
  const fb = foldName(b);
  return fa < fb ? -1 : fa > fb ? 1 : a < b ? -1 : a > b ? 1 : 0;
}
