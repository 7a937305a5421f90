// Timestamps in the room and whisper panes, in a person's chosen format: a small subset of strftime(3), the
// notation irssi (`timestamp_format`) and WeeChat (`weechat.look.buffer_time_format`) users already write.

/** The strftime conversions parley understands, each to its local-time value. */
const CONVERSIONS: Record<string, (d: Date) => string> = {
  H: (d) => pad(d.getHours()),
  I: (d) => pad(((d.getHours() + 11) % 12) + 1),
  M: (d) => pad(d.getMinutes()),
  S: (d) => pad(d.getSeconds()),
  p: (d) => (d.getHours() < 12 ? 'AM' : 'PM'),
  d: (d) => pad(d.getDate()),
  m: (d) => pad(d.getMonth() + 1),
  Y: (d) => String(d.getFullYear()),
  y: (d) => pad(d.getFullYear() % 100),
  '%': () => '%',
};

/** The default: `HH:MM`, as irssi shows it. */
export const DEFAULT_TIMESTAMP = '%H:%M';

/** Longest format accepted, in characters: a timestamp is a narrow column, not a sentence. */
export const MAX_TIMESTAMP_FORMAT_CHARS = 32;

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Why `format` cannot be used, or null: an unknown `%x`, a trailing `%`, a control character, too long. */
export function timestampProblem(format: string): string | null {
  if ([...format].length > MAX_TIMESTAMP_FORMAT_CHARS) return `a timestamp format has at most ${MAX_TIMESTAMP_FORMAT_CHARS} characters`;
  if (/[\x00-\x1f\x7f-\x9f]/.test(format)) return 'a timestamp format cannot contain control characters';
  for (const m of format.matchAll(/%(.?)/gsu)) {
    if (!(m[1]! in CONVERSIONS)) return m[1] === '' ? 'a timestamp format cannot end with a lone "%"' : `"%${m[1]}" is not a known conversion (use %H %I %M %S %p %d %m %Y %y %%)`;
  }
  return null;
}

/** `time` (ms since the epoch) in local time by `format`; the format must have passed timestampProblem. */
export function formatTimestamp(format: string, time: number): string {
  const d = new Date(time);
  return format.replace(/%(.)/gsu, (_, c: string) => CONVERSIONS[c]?.(d) ?? '');
}
