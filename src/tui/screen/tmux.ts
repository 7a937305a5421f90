import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// Real terminal programs (irssi, parley's own client) in tmux panes, driven by keys and read back from
// the panes: how the IRC test checks what an irssi user sees, and how the side-by-side screenshot is
// taken. Each driver has its own tmux server (-L), so it never touches anyone's sessions. Dev-only.

/** One pane: `id` is tmux's pane id (`%3`). */
export interface Pane {
  id: string;
  cols: number;
  rows: number;
}

export class Tmux {
  /** The panes, left to right, after `open`. */
  readonly panes: Pane[] = [];

  /**
   * @param socket tmux's -L socket name: a server of this driver's own.
   * @param session the session's name (prefixed with the owner's name, as the team's tmux rule says).
   */
  constructor(
    private readonly socket: string,
    private readonly session: string,
  ) {}

  /** Whether tmux is installed. */
  static available(): boolean {
    try {
      execFileSync('tmux', ['-V'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * A detached session with `commands.length` panes side by side, each `cols` wide and `rows` high, each
   * running its command (an argv) with `env` on top of the environment.
   */
  open(cols: number, rows: number, commands: string[][], env: Record<string, string> = {}): void {
    const width = commands.length * cols + (commands.length - 1);
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    this.tmux('-f', '/dev/null', 'new-session', '-d', '-s', this.session, '-x', String(width), '-y', String(rows), ...envArgs, '--', ...commands[0]!);
    this.tmux('set-option', '-t', this.session, 'status', 'off');
    this.tmux('set-option', '-t', this.session, 'remain-on-exit', 'on');
    for (const argv of commands.slice(1)) this.tmux('split-window', '-h', '-t', this.session, ...envArgs, '--', ...argv);
    const ids = this.tmux('list-panes', '-t', this.session, '-F', '#{pane_id}').trim().split('\n');
    for (const id of ids) this.tmux('resize-pane', '-t', id, '-x', String(cols));
    for (const id of ids) {
      const [c, r] = this.tmux('display-message', '-p', '-t', id, '#{pane_width} #{pane_height}').trim().split(' ').map(Number);
      this.panes.push({ id, cols: c!, rows: r! });
    }
  }

  /** Type `text` into pane `i` (literally), then Enter unless `enter` is false. */
  type(i: number, text: string, enter = true): void {
    if (text !== '') this.tmux('send-keys', '-t', this.panes[i]!.id, '-l', text);
    if (enter) this.tmux('send-keys', '-t', this.panes[i]!.id, 'Enter');
  }

  /** Pane `i` as text, one line per row (no colours). */
  text(i: number): string {
    return this.tmux('capture-pane', '-p', '-t', this.panes[i]!.id);
  }

  /** Pane `i` as a terminal would draw it: rows with their SGR colour sequences and trailing blanks (capture-pane -e -N). */
  ansi(i: number): string {
    return this.tmux('capture-pane', '-p', '-e', '-N', '-t', this.panes[i]!.id);
  }

  /** Poll pane `i` until `pred` holds for its text; throws with the pane's text after `timeoutMs`. */
  async waitFor(i: number, pred: (text: string) => boolean, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const t = this.text(i);
      if (pred(t)) return t;
      if (Date.now() > deadline) throw new Error(`pane ${i} did not show what was waited for; it shows:\n${t}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stop this driver's tmux server and everything in it, and remove its socket file (tmux leaves it behind). */
  close(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
    fs.rmSync(tmuxSocketPath(this.socket), { force: true });
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }
}

/**
 * Where tmux puts the socket of `-L name`: `$TMUX_TMPDIR/tmux-UID/name` (`/tmp` without TMUX_TMPDIR), as
 * tmux(1) says under -L. A server's exit does not remove it, so whoever starts a private server removes it.
 */
export function tmuxSocketPath(name: string): string {
  return path.join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid?.() ?? 0}`, name);
}
