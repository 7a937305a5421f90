import { MAX_ROOM_NAME_CHARS, MAX_SANCTION_SECONDS } from './limits.js';

// Room names: `#` and 1–MAX_ROOM_NAME_CHARS characters from the user-name alphabet (A-Z a-z 0-9 _ - .),
// unique ignoring case. The same strict alphabet as names, for the same reason: no look-alike rooms.

export const ROOM_PATTERN = /^#[A-Za-z0-9_.-]+$/;

/** Why `room` is not a valid room name, or null if it is. */
export function roomProblem(room: string): string | null {
  if (!room.startsWith('#')) return 'a room name starts with #';
  if (room.length === 1) return 'a room name needs at least one character after #';
  if (room.length - 1 > MAX_ROOM_NAME_CHARS) return `a room name has at most ${MAX_ROOM_NAME_CHARS} characters after #`;
  if (!ROOM_PATTERN.test(room)) return 'a room name may use only letters A-Z, digits, "_", "-" and "." after #';
  return null;
}

/** The key under which room names are unique: `#Dev` and `#dev` are the same room. */
export function foldRoom(room: string): string {
  return room.toLowerCase();
}

/**
 * A duration as people type it: `90` (seconds), `30s`, `10m`, `2h`, `7d`. Returns seconds, or a sentence
 * saying what is wrong. At most MAX_SANCTION_SECONDS.
 */
export function parseDuration(text: string): number | string {
  const m = /^(\d{1,9})([smhd]?)$/i.exec(text.trim());
  if (!m) return `"${text.slice(0, 20)}" is not a duration; write 90, 30s, 10m, 2h or 7d`;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]!.toLowerCase() as '' | 's' | 'm' | 'h' | 'd'];
  const seconds = Number(m[1]) * unit;
  if (seconds === 0) return 'a duration must be more than 0';
  if (seconds > MAX_SANCTION_SECONDS) return `a duration is at most ${MAX_SANCTION_SECONDS / 86400} days; give none for "until lifted"`;
  return seconds;
}

/** Seconds as people read them: `45s`, `10m`, `2h`, `3d`, or combinations like `1h 30m`. */
export function formatDuration(seconds: number): string {
  const parts: string[] = [];
  let s = Math.round(seconds);
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  return parts.slice(0, 2).join(' ');
}
