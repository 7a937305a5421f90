import { FLOOD_FRAME_INTERVAL_MS, FRAME_INTERVAL_MS, NOTIFY_MIN_INTERVAL_MS } from '../../wire/limits.js';
import type { ChatEvent } from '../core/events.js';
import { blessed, type Screen } from './blessed.js';
import { keysOnly, PASTE_OFF, PASTE_ON } from './paste.js';
import { KeyMap, type KeyOverrides } from '../view/keys.js';
import { layout, type Layout, type Rect } from '../view/layout.js';
import { mouseAction, type MouseInput } from '../view/mouse.js';
import type { Notifier } from '../notify/notifier.js';
import type { Look } from '../view/look.js';
import { initialState, reduce, reduceAll, type Effect, type UiAction, type ViewState } from '../view/state.js';
import { RoomPane } from '../panes/room.js';
import { UsersPane } from '../panes/users.js';
import { WhispersPane } from '../panes/whispers.js';
import { InputPane } from '../panes/input.js';
import { StatusPane } from '../panes/status.js';
import { PopupPane } from '../panes/popup.js';
import { RoomBarPane } from '../panes/roombar.js';
import { hasRoomBar } from '../view/roombar.js';

// The blessed shell around the view state: keys become UiActions, state changes become one coalesced
// redraw, and effects the state asks for (send a line, quit) go to the owner. Nothing here decides anything.

export interface UiOptions {
  /** The terminal's input (bytes); pastes are lifted out before blessed reads keys from it. */
  input: NodeJS.ReadableStream & { setRawMode?: (on: boolean) => unknown };
  output: NodeJS.WritableStream;
  me: string;
  server: string;
  /** A line to send (as typed: `/nick bob`, `hello`). */
  onLine: (line: string) => void;
  onQuit: () => void;
  /** The answer to a password popup (undefined: cancelled). */
  onPassword?: (value: string | undefined) => void;
  /** Rings and notifies on highlights and whispers; without one, a plain bell. */
  notifier?: Notifier;
  /** Mouse reporting: the wheel scrolls the pane under it, a click on a user whispers them (default on). */
  mouse?: boolean;
  /** The config's server names, for Tab completion. */
  servers?: readonly string[];
  /** The answer to a new server's key (popup). */
  onTrust?: (value: boolean) => void;
  /** The config's time format, colours, dimming, and whether URLs are hyperlinks (view/look.ts). */
  look?: Look;
  /** The config's `[keys]`: keys per command instead of the command table's. */
  keys?: KeyOverrides;
}

/** Turns off focus reports (DECSET 1004), which blessed turns on but does not turn off on exit. */
const FOCUS_REPORTS_OFF = '\x1b[?1004l';

interface KeyEvent {
  full: string;
  ctrl?: boolean;
  meta?: boolean;
}

const EDIT_KEYS: Record<string, Extract<UiAction, { type: 'edit' }>['op']> = {
  backspace: 'backspace',
  delete: 'delete',
  left: 'left',
  right: 'right',
  home: 'home',
  end: 'end',
  'C-a': 'home',
  'C-e': 'end',
  'C-b': 'left',
  'C-f': 'right',
  'C-u': 'kill-line',
  'C-k': 'kill-end',
  'C-w': 'kill-word',
  'C-d': 'delete',
};

export class Ui {
  private current: ViewState;
  /** Room lines received this turn and not applied yet (see event()). */
  private held: UiAction[] = [];
  readonly screen: Screen;
  private readonly room: RoomPane;
  private readonly users: UsersPane;
  private readonly whispers: WhispersPane;
  private readonly inputLine: InputPane;
  private readonly status: StatusPane;
  private readonly popup: PopupPane;
  private readonly bar: RoomBarPane;
  private dirty = false;
  private renderTimer: { cancel(): void } | undefined;
  /** When the last frame was drawn (performance.now()), for the frame tick. */
  private lastRender = -Infinity;
  /** Room lines received since the last frame. */
  private linesSinceFrame = 0;
  /** The last frame came after more room lines than the pane has rows: the next waits FLOOD_FRAME_INTERVAL_MS. */
  private flooded = false;
  /** The state's roomScrollMax was not worked out at the last frame (the room was at its bottom). */
  private scrollMaxStale = false;
  private destroyed = false;
  private lastBell = -Infinity;
  private lastLayout: Layout | undefined;
  /** Whether the terminal window has focus, from focus reports (CSI I / CSI O); assumed until told. */
  private terminalFocused = true;

  private readonly keys: KeyMap;
  private readonly keyHints: readonly string[];

  constructor(private readonly o: UiOptions) {
    this.keys = new KeyMap(o.keys);
    this.keyHints = this.keys.hints();
    this.current = initialState(o.me, o.server, o.servers, o.look);
    const keys = keysOnly(o.input, (text, typed) => this.dispatch({ type: 'paste', text, ...(typed && { typed: true }) }));
    this.screen = blessed.screen({
      input: keys,
      output: o.output,
      terminal: 'xterm-256color',
      fullUnicode: true,
      // Debian's extended-format terminfo makes blessed pop up a parse warning over the UI.
      warnings: false,
      smartCSR: false,
      autoPadding: false,
    });
    this.room = new RoomPane(this.screen);
    this.whispers = new WhispersPane(this.screen);
    this.users = new UsersPane(this.screen);
    this.inputLine = new InputPane(this.screen);
    this.status = new StatusPane(this.screen);
    this.bar = new RoomBarPane(this.screen);
    this.popup = new PopupPane(this.screen);
    // Box characters as UTF-8, not the VT100 line-drawing set: tmux and some terminals show that as "lqqk".
    this.screen.program.tput.brokenACS = true;
    // blessed wraps some output (the title) in tmux passthrough (DCS tmux; ...) when TMUX is set in the
    // environment, whatever `output` is: the bytes would depend on where the process was started, and tmux
    // handles the title itself. Write the same bytes everywhere.
    (this.screen.program as unknown as { tmux: boolean }).tmux = false;
    this.screen.title = `parley ${o.me}`;
    this.screen.program.hideCursor();
    o.output.write(PASTE_ON);
    this.screen.on('keypress', (ch: string | undefined, key: KeyEvent) => this.onKey(ch, key));
    const program = this.screen.program as unknown as NodeJS.EventEmitter & {
      bindMouse(): void;
      setMouse(o: object, on: boolean): void;
      _bindMouse(s: string | Buffer, buf: Buffer): void;
    };
    // blessed reads one mouse report per chunk of input; a terminal sends several in one chunk when the
    // wheel turns fast, and the rest were lost. Hand them over one at a time.
    const parseMouse = program._bindMouse.bind(program);
    program._bindMouse = (text, buf) => {
      const reports = typeof text === 'string' ? text.match(/\x1b\[<\d+;\d+;\d+[Mm]/g) : null;
      if (!reports || reports.length < 2) return parseMouse(text, buf);
      for (const r of reports) parseMouse(r, Buffer.from(r));
    };
    if (o.mouse !== false) {
      this.screen.enableMouse();
      program.on('mouse', (m: MouseInput) => this.onMouse(m));
    } else program.bindMouse(); // focus reports arrive through blessed's mouse parser
    // Focus reports, so a desktop notification is never sent about what a person is looking at.
    program.setMouse({ sendFocus: true }, true);
    program.on('focus', () => (this.terminalFocused = true));
    program.on('blur', () => (this.terminalFocused = false));
    this.screen.on('resize', () => this.render());
    this.render();
  }

  /** The view state, every event received so far applied. */
  get state(): ViewState {
    this.applyHeld();
    return this.current;
  }

  set state(s: ViewState) {
    this.applyHeld();
    this.current = s;
  }

  event(e: ChatEvent): void {
    if (this.destroyed) return;
    // Room lines are held until the turn ends and applied together (reduceAll: one copy of the scrollback
    // per burst, not per line); anything else, and anyone reading the state, applies them first.
    if (e.kind === 'message') {
      this.held.push({ type: 'event', event: e });
      this.linesSinceFrame++;
      this.scheduleRender();
      return;
    }
    this.dispatch({ type: 'event', event: e });
  }

  dispatch(a: UiAction): void {
    if (this.destroyed) return;
    // A key, and /search, act on the screen as it is laid out now (page height and scroll limit come from
    // drawing): a frame held back by the frame tick is drawn first, and a scroll limit left stale is worked out.
    const readsLayout = a.type !== 'event' || a.event.kind === 'search';
    if (this.dirty && readsLayout) this.render();
    // What a person does is drawn at the normal frame tick, flood or not.
    if (a.type !== 'event') this.flooded = false;
    if (readsLayout && this.scrollMaxStale && this.lastLayout && this.refreshScrollMax(this.lastLayout.room)) this.scheduleRender();
    this.applyHeld();
    this.advance([a]);
  }

  private applyHeld(): void {
    if (this.held.length === 0) return;
    const held = this.held;
    this.held = [];
    this.advance(held);
  }

  private advance(actions: readonly UiAction[]): void {
    const before = this.current;
    this.current = reduceAll(this.current, actions);
    if (this.current.effects.length > 0) {
      const effects = this.current.effects;
      this.current = reduce(this.current, { type: 'take-effects' });
      for (const e of effects) this.apply(e);
    }
    if (this.current !== before) this.scheduleRender();
  }

  /** Draw now if anything changed (tests call this before reading the screen). */
  flush(): void {
    if (this.dirty) this.render();
  }

  /** Leave the terminal as we found it: paste mode off, cursor shown, main screen back. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.renderTimer?.cancel();
    this.o.output.write(PASTE_OFF + FOCUS_REPORTS_OFF);
    this.screen.destroy();
    // blessed's destroy leaves the alternate screen and shows the cursor, but skips both when its
    // program believes it already did; say it again, it is harmless.
    this.o.output.write('\x1b[?25h');
  }

  private apply(e: Effect): void {
    switch (e.kind) {
      case 'send':
        this.o.onLine(e.line);
        return;
      case 'quit':
        this.o.onQuit();
        return;
      case 'bell': {
        if (this.o.notifier && e.alert) {
          // The notifier rate-limits its own bell and notifications.
          const s = this.state;
          const onScreen = e.alert.kind === 'whisper' ? s.whisperScroll === 0 : s.roomScroll === 0 && e.elsewhere !== true;
          this.o.notifier.alert({ ...e.alert, seen: onScreen && this.terminalFocused });
          return;
        }
        // At most one ring per NOTIFY_MIN_INTERVAL_MS: a flood of whispers or private-chat requests
        // (issue 10: 4,878 rings in 10 s) is one ring, not a siren.
        const now = Date.now();
        if (now - this.lastBell < NOTIFY_MIN_INTERVAL_MS) return;
        this.lastBell = now;
        this.screen.program.bell();
        return;
      }
      case 'redraw':
        this.screen.realloc();
        this.render();
        return;
      case 'password':
        this.o.onPassword?.(e.value);
        return;
      case 'trust':
        this.o.onTrust?.(e.value);
        return;
    }
  }

  private onKey(ch: string | undefined, key: KeyEvent | undefined): void {
    if (!key) return;
    const bound = this.keys.action(key.full);
    if (bound?.kind === 'command') return this.dispatch({ type: 'key', command: bound.command });
    if (bound?.kind === 'line') return this.dispatch({ type: 'run', line: bound.line });
    if (bound?.kind === 'tui') {
      switch (bound.action) {
        case 'complete':
          return this.dispatch({ type: 'complete' });
        case 'history-prev':
          return this.dispatch({ type: 'history', dir: -1 });
        case 'history-next':
          return this.dispatch({ type: 'history', dir: 1 });
        case 'page-up':
          return this.dispatch({ type: 'page', dir: -1 });
        case 'page-down':
          return this.dispatch({ type: 'page', dir: 1 });
        case 'next-pane':
          return this.dispatch({ type: 'next-pane' });
        case 'redraw':
          return this.dispatch({ type: 'redraw' });
        case 'close':
          return this.dispatch({ type: 'close' });
        case 'interrupt':
          return this.dispatch({ type: 'key', command: 'quit' });
        case 'allow':
        case 'deny':
          return this.dispatch({ type: 'consent', answer: bound.action });
      }
    }
    // blessed reports a carriage return twice, as `return` and as `enter`: act on one of them.
    if (key.full === 'return' || key.full === 'linefeed') return this.dispatch({ type: 'submit' });
    const op = EDIT_KEYS[key.full];
    if (op) return this.dispatch({ type: 'edit', op });
    if (ch !== undefined && !key.ctrl && !key.meta && !/[\x00-\x1f\x7f]/.test(ch)) this.dispatch({ type: 'insert', text: ch });
  }

  private onMouse(m: MouseInput): void {
    if (!this.lastLayout) return;
    const a = mouseAction(this.state, this.lastLayout, m);
    if (a) this.dispatch(a);
  }

  /**
   * Draw once the current turn is over, and at most once per FRAME_INTERVAL_MS: a key after a quiet
   * moment is drawn at once, a busy room (hundreds of lines a second) once per frame tick, and a flood
   * (more lines per frame than the room pane shows) once per FLOOD_FRAME_INTERVAL_MS.
   */
  private scheduleRender(): void {
    this.dirty = true;
    if (this.renderTimer) return;
    const draw = () => {
      this.renderTimer = undefined;
      if (this.dirty && !this.destroyed) this.render();
    };
    const wait = this.lastRender + (this.flooded ? FLOOD_FRAME_INTERVAL_MS : FRAME_INTERVAL_MS) - performance.now();
    if (wait <= 0) {
      const t = setImmediate(draw);
      this.renderTimer = { cancel: () => clearImmediate(t) };
    } else {
      const t = setTimeout(draw, wait);
      this.renderTimer = { cancel: () => clearTimeout(t) };
    }
  }

  /** Work out how far the room scrolls at `r` (the room pane's place) into the state; true if that moved the view. */
  private refreshScrollMax(r: Rect): boolean {
    this.scrollMaxStale = false;
    const s = this.state;
    const scrollMax = this.room.scrollLimit(s, r);
    if (scrollMax === s.roomScrollMax) return false;
    this.state = reduce(s, { type: 'room-scroll-max', max: scrollMax });
    return this.state.roomScroll !== s.roomScroll;
  }

  private render(): void {
    // Lines held for this frame are applied before it is marked drawn: applying them asks for a frame,
    // which is this one (it was drawing each line twice, the second frame a tick later with nothing new).
    this.applyHeld();
    this.renderTimer?.cancel();
    this.renderTimer = undefined;
    this.dirty = false;
    this.lastRender = performance.now();
    const cols = this.screen.width as number;
    const rows = this.screen.height as number;
    const s = this.state;
    const l = layout(cols, rows, s.focus === 'users', hasRoomBar(s));
    this.lastLayout = l;
    this.bar.draw(s, l.bar);
    this.room.draw(s, l.room);
    this.whispers.draw(s, l.whispers);
    this.users.draw(s, l.users);
    if (l.users) this.users.box.setFront();
    this.inputLine.draw(s, l.input);
    this.status.draw(s, l.status, this.keyHints);
    this.popup.draw(s, cols, rows, l.bar ? l.bar.height : 0);
    const pageRows = RoomPane.innerRows(l.room);
    if (pageRows !== s.pageRows) this.state = reduce(this.state, { type: 'page-rows', rows: pageRows });
    // The limit moved (a resize, new lines): a view scrolled past it is redrawn at it. A view at the
    // bottom cannot be past it, so there the limit waits for the next key, wheel or search (dispatch):
    // working it out wraps the room's oldest lines, and in a flood those change every frame.
    this.scrollMaxStale = s.roomScroll === 0;
    if (!this.scrollMaxStale && this.refreshScrollMax(l.room)) return this.render();
    this.flooded = this.linesSinceFrame > pageRows;
    this.linesSinceFrame = 0;
    this.screen.render();
  }
}
