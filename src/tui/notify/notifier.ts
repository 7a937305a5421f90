import { NOTIFY_MIN_INTERVAL_MS } from '../../wire/limits.js';
import type { TermFeatures } from '../term/features.js';
import { osc777, osc9, tmuxPassthrough } from '../term/osc.js';

// What the client does on a highlight or a whisper: ring the bell and send a desktop notification, each at
// most once per NOTIFY_MIN_INTERVAL_MS (a flood of whispers is one ring, not a siren), and no desktop
// notification about the conversation a person is looking at in a focused terminal. Pure apart from the
// `write` it is given; the clock is injected.

export interface NotifierOptions {
  bell: boolean;
  features: Pick<TermFeatures, 'notify' | 'tmux'>;
  /** Writes raw bytes to the terminal. */
  write: (bytes: string) => void;
  /** ms since the epoch; tests pass a fake. */
  now?: () => number;
}

/** Something worth a person's attention. */
export interface Alert {
  /** `highlight` in a room, or a `whisper` to us. */
  kind: 'highlight' | 'whisper';
  /** Room or person, e.g. `#general` or `bob`. */
  conversation: string;
  from: string;
  text: string;
  /** The conversation is the one on screen and the terminal has focus: no desktop notification. */
  seen: boolean;
}

export class Notifier {
  private lastBell = -Infinity;
  private lastDesktop = -Infinity;
  private readonly now: () => number;

  constructor(private readonly o: NotifierOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Ring and notify as the rules allow; returns what was written, for the log of what happened. */
  alert(a: Alert): { bell: boolean; desktop: boolean } {
    const t = this.now();
    const bell = this.o.bell && t - this.lastBell >= NOTIFY_MIN_INTERVAL_MS;
    if (bell) {
      this.lastBell = t;
      this.o.write('\x07');
    }
    const kind = this.o.features.notify;
    const desktop = kind !== undefined && !a.seen && t - this.lastDesktop >= NOTIFY_MIN_INTERVAL_MS;
    if (desktop) {
      this.lastDesktop = t;
      const title = a.kind === 'whisper' ? `parley: ${a.from} whispers` : `parley: ${a.from} in ${a.conversation}`;
      const seq = kind === 'osc777' ? osc777(title, a.text) : osc9(title, a.text);
      this.o.write(this.o.features.tmux ? tmuxPassthrough(seq) : seq);
    }
    return { bell, desktop };
  }
}
