import type { DesktopMode, LinkMode } from '../config/config.js';

// What the terminal can do beyond drawing, guessed from the environment as other clients do (there is no
// query for OSC 8 or notifications that every terminal answers): a terminal not recognised gets neither,
// so an unknown terminal never shows stray text. The config can force either on or off.

export type Env = Readonly<Record<string, string | undefined>>;

export interface TermFeatures {
  /** OSC 8 hyperlinks. */
  hyperlinks: boolean;
  /** The desktop-notification sequence to use, or undefined for none. */
  notify: 'osc777' | 'osc9' | undefined;
  /** Inside tmux: OSC sequences for the outer terminal need the passthrough wrapper. */
  tmux: boolean;
}

/** Known terminals, by TERM_PROGRAM, TERM or a variable only they set. Sources: each terminal's docs. */
function terminal(env: Env): string {
  const program = (env['TERM_PROGRAM'] ?? '').toLowerCase();
  const term = (env['TERM'] ?? '').toLowerCase();
  if (program === 'iterm.app') return 'iterm2';
  if (program === 'wezterm' || env['WEZTERM_EXECUTABLE']) return 'wezterm';
  if (program === 'ghostty' || term === 'xterm-ghostty') return 'ghostty';
  if (env['KITTY_WINDOW_ID'] || term === 'xterm-kitty') return 'kitty';
  if (env['WT_SESSION']) return 'windows-terminal';
  if (term.startsWith('foot')) return 'foot';
  if (term.startsWith('rxvt')) return 'rxvt';
  if (env['VTE_VERSION']) return Number(env['VTE_VERSION']) >= 5000 ? 'vte' : 'old-vte';
  return 'unknown';
}

const HYPERLINKS = new Set(['iterm2', 'wezterm', 'ghostty', 'kitty', 'windows-terminal', 'foot', 'vte']);
const NOTIFY: Record<string, 'osc777' | 'osc9'> = { iterm2: 'osc9', wezterm: 'osc9', ghostty: 'osc9', kitty: 'osc9', 'windows-terminal': 'osc9', foot: 'osc777', rxvt: 'osc777' };

/** The features to use, from the environment and the config's `links` and `notify.desktop`. */
export function termFeatures(env: Env, links: LinkMode, desktop: DesktopMode): TermFeatures {
  const t = terminal(env);
  return {
    hyperlinks: links === 'on' || (links === 'auto' && HYPERLINKS.has(t)),
    notify: desktop === 'off' ? undefined : desktop === 'auto' ? NOTIFY[t] : desktop,
    tmux: Boolean(env['TMUX']),
  };
}
