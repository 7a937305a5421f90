import { foldName } from '../../wire/names.js';

// Who is away, as the client knows it (issue 17): folded names. The client core and the full-screen state
// both keep such a list and change it the same way.

/**
 * After a users list (welcome, users, room) that says which of `users` are `away`: those are away, the
 * other names of that list are not, and names not in it keep what they had (they may be in another room).
 */
export function markAway(known: readonly string[], users: readonly string[], away: readonly string[] | undefined): string[] {
  const listed = new Set(users.map(foldName));
  const marked = (away ?? []).map(foldName);
  return [...known.filter((k) => !listed.has(k)), ...marked.filter((k) => listed.has(k))];
}

/** `name` went away (`away`) or came back. */
export function setAway(known: readonly string[], name: string, away: boolean): string[] {
  const key = foldName(name);
  const rest = known.filter((k) => k !== key);
  return away ? [...rest, key] : rest;
}

/** The away mark follows a change of name. */
export function renameAway(known: readonly string[], old: string, name: string): string[] {
  return known.includes(foldName(old)) ? setAway(setAway(known, old, false), name, true) : [...known];
}
