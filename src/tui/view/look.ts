import type { ColorRole, Config, DimmableEvent } from '../config/config.js';
import { DIMMABLE_EVENTS } from '../config/config.js';
import { DEFAULT_TIMESTAMP, formatTimestamp } from '../config/timestamp.js';
import { foldName } from '../../wire/names.js';

// How the panes draw what the config file chooses (issue 17, item 1): the time column's format, the colour of
// each role, whose lines and which events are dimmed, and whether URLs become OSC 8 hyperlinks. Plain data,
// read by the line formatters (lines.ts); the config is checked before it gets here (config.ts).

export interface Look {
  /** strftime-style format of the time column (config/timestamp.ts). */
  timestamp: string;
  /** A colour per role (a blessed colour name or `#rrggbb`); a role left out keeps its built-in colour. */
  colors: Partial<Record<ColorRole, string>>;
  /** Folded names whose messages are dimmed. */
  dimNames: readonly string[];
  dimEvents: readonly DimmableEvent[];
  /** Draw URLs as OSC 8 hyperlinks (the terminal supports them, or the config says so). */
  hyperlinks: boolean;
}

/**
 * The built-in colour of each role. `own`, `system` and `link` have none: your lines are bold in the
 * terminal's own colour, system lines are dim, a link is underlined in the colour of its line.
 */
export const DEFAULT_COLORS: Readonly<Partial<Record<ColorRole, string>>> = { mention: 'yellow', whisper: 'magenta', error: 'red', help: 'cyan' };

/** Without a config file: `HH:MM`, built-in colours, joins, leaves, renames and history dimmed, no hyperlinks. */
export const DEFAULT_LOOK: Look = { timestamp: DEFAULT_TIMESTAMP, colors: DEFAULT_COLORS, dimNames: [], dimEvents: DIMMABLE_EVENTS, hyperlinks: false };

/** The look a config asks for; `hyperlinks` is decided by the terminal's features (term/features.ts). */
export function lookOf(config: Config, hyperlinks: boolean): Look {
  return { timestamp: config.timestamp, colors: { ...DEFAULT_COLORS, ...config.colors }, dimNames: config.dimNames.map(foldName), dimEvents: [...config.dimEvents], hyperlinks };
}

/** The time column for `time`. */
export function timeText(look: Look, time: number): string {
  return formatTimestamp(look.timestamp, time);
}

/** A time of the widest kind for most formats (two-digit fields, PM). */
const SAMPLE = Date.UTC(2024, 11, 31, 23, 59, 59);

/** Width of the time column with its space: where wrapped lines continue. Formats have fixed widths. */
export function timeWidth(look: Look): number {
  return [...timeText(look, SAMPLE)].length + 1;
}

/** The time column of a line not sent yet: the format's shape in dashes (`--:--`). */
export function timePlaceholder(look: Look): string {
  return timeText(look, SAMPLE).replace(/[0-9A-Za-z]/g, '-');
}
