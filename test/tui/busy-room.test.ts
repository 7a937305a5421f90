import { afterEach, describe, expect, test, vi } from 'vitest';
import { renderTui, type RenderedTui } from '../../src/tui/screen/headless.js';
import { ev } from '../../src/tui/scenes.js';
import { FLOOD_FRAME_INTERVAL_MS, FRAME_INTERVAL_MS, SCROLLBACK_LINES } from '../../src/wire/limits.js';
import { initialState, reduce, reduceAll, type RoomLine, type UiAction } from '../../src/tui/view/state.js';
import { roomSegments, RowCache, visibleRows } from '../../src/tui/view/lines.js';
import { DEFAULT_LOOK } from '../../src/tui/view/look.js';

// A busy room (issue 15, target 7: the full screen at 1,000 messages a second). What the client costs is
// measured by `npm run bench:client`; these tests pin down the work behind it, counted, never timed: how
// many frames a burst draws, and how often a line's text is cut into grapheme clusters.

process.env.TZ = 'UTC';

// Every cut of non-ASCII text into clusters goes through unicode-segmenter's collectGraphemes: counted here.
const segmenter = vi.hoisted(() => ({ calls: 0 }));
vi.mock('unicode-segmenter/grapheme', async (original) => {
  const m = await original<typeof import('unicode-segmenter/grapheme')>();
  return {
    ...m,
    collectGraphemes: (text: string) => {
      segmenter.calls++;
      return m.collectGraphemes(text);
    },
  };
});

let open: RenderedTui[] = [];
afterEach(() => {
  for (const t of open) t.cleanup();
  open = [];
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function tui(cols: number, rows: number): RenderedTui {
  const t = renderTui({ cols, rows });
  t.output.resume(); // a terminal reads what is drawn
  open.push(t);
  return t;
}

/** A client in the room on a fake clock (timers, performance.now, Date), after `quietMs` with nothing new. */
async function onFakeClock(cols: number, rows: number, quietMs: number): Promise<RenderedTui> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance', 'Date'] });
  const t = tui(cols, rows);
  t.ui.event(ev.connected());
  t.ui.event(ev.welcome(['alice', 'bob']));
  await vi.advanceTimersByTimeAsync(quietMs);
  return t;
}

/** Counts the frames blessed draws from now on. */
function countFrames(t: RenderedTui): () => number {
  let frames = 0;
  const render = t.ui.screen.render.bind(t.ui.screen);
  t.ui.screen.render = () => {
    frames++;
    render();
  };
  return () => frames;
}

describe('a busy room', () => {
  test('1,000 messages in one second (a flood: more lines a frame than the pane has rows) are drawn at the flood tick, and the last one is on screen', async () => {
    const t = await onFakeClock(100, 30, 100);
    const frames = countFrames(t);
    for (let i = 1; i <= 1000; i++) {
      t.ui.event(ev.say('bob', `message ${i}`, 1));
      await vi.advanceTimersByTimeAsync(1);
    }
    await vi.advanceTimersByTimeAsync(FLOOD_FRAME_INTERVAL_MS);
    // One second of a flood: about 1000 / FLOOD_FRAME_INTERVAL_MS frames (it was 1000 / FRAME_INTERVAL_MS,
    // 30 frames of which each showed lines no one could read before the next replaced them all).
    expect(frames()).toBeLessThanOrEqual(Math.ceil(1000 / FLOOD_FRAME_INTERVAL_MS) + 3);
    expect(frames()).toBeGreaterThanOrEqual(Math.floor(1000 / FLOOD_FRAME_INTERVAL_MS) - 2);
    const rows = t.lastFrame().split('\n');
    expect(rows.some((r) => r.includes('<bob> message 1000 '))).toBe(true);
  });

  test('a busy room that is not a flood (fewer lines a frame than the pane has rows) is drawn at every frame tick', async () => {
    const t = await onFakeClock(100, 30, 100);
    const frames = countFrames(t);
    // 200 lines a second: 6-7 a frame, under the room pane's 26 rows.
    for (let i = 1; i <= 200; i++) {
      t.ui.event(ev.say('bob', `message ${i}`, 1));
      await vi.advanceTimersByTimeAsync(5);
    }
    await vi.advanceTimersByTimeAsync(FRAME_INTERVAL_MS);
    expect(frames()).toBeLessThanOrEqual(Math.ceil(1000 / FRAME_INTERVAL_MS) + 2);
    expect(frames()).toBeGreaterThanOrEqual(Math.floor(1000 / FRAME_INTERVAL_MS) - 2);
  });

  test('a key typed in a flood is drawn within one frame tick, not at the flood tick', async () => {
    const t = await onFakeClock(100, 30, 100);
    const frames = countFrames(t);
    // The screen buffer as drawn so far (no flush: what the last frame put there).
    const drawn = () => (t.ui.screen as unknown as { lines: [number, string][][] }).lines.map((row) => row.map((c) => c[1]).join('')).join('\n');
    let i = 0;
    const say = async (ms: number) => {
      for (const end = i + ms; i < end; ) {
        t.ui.event(ev.say('bob', `message ${++i}`, 1));
        await vi.advanceTimersByTimeAsync(1);
      }
    };
    await say(500);
    // Just after a flood frame: the next one is FLOOD_FRAME_INTERVAL_MS away.
    const at = frames();
    while (frames() === at) await say(1);
    t.ui.dispatch({ type: 'insert', text: 'zq' });
    await say(FRAME_INTERVAL_MS + 1);
    expect(drawn()).toContain('zq');
  });

  test('a line in a quiet room is drawn in one frame, not in that frame and again a tick later', async () => {
    const t = await onFakeClock(100, 30, 1000);
    const frames = countFrames(t);
    for (let i = 1; i <= 10; i++) {
      t.ui.event(ev.say('bob', `quiet ${i}`, 1));
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(frames()).toBe(10);
    expect(t.lastFrame()).toContain('<bob> quiet 10');
  });

  test('a key after a quiet moment is drawn at once, not a frame tick later', async () => {
    const t = await onFakeClock(80, 24, 1000);
    const frames = countFrames(t);
    t.ui.dispatch({ type: 'insert', text: 'h' });
    await vi.advanceTimersByTimeAsync(0);
    expect(frames()).toBe(1);
  });

  test('each line is cut into grapheme clusters about once, however many frames show it', async () => {
    const t = tui(100, 30);
    t.ui.event(ev.connected());
    t.ui.event(ev.welcome(['alice', 'bob']));
    t.lastFrame();
    const start = segmenter.calls;
    const lines = 300;
    for (let i = 1; i <= lines; i++) {
      t.ui.event(ev.say('bob', `第${i}行 中文 😀 ünïcode line ${i}`, 1));
      t.ui.flush(); // a frame per line: the worst case, every line on screen drawn again each time
    }
    // Before rows were kept between frames, every visible line was segmented again on every frame, several
    // times (194,303 calls for these 300 lines); now a line is cut when it is wrapped, and a new cell's
    // width is looked up once (about 2 calls a line).
    const calls = segmenter.calls - start;
    expect(calls).toBeLessThanOrEqual(3 * lines);
    expect(t.lastFrame()).toContain(`第${lines}行 中文 😀 ünïcode line ${lines}`);
  });

  test('in a flood a line that is never on screen is never cut into clusters, and PgUp still stops at the first line', async () => {
    const t = tui(100, 30);
    t.ui.event(ev.connected());
    t.ui.event(ev.welcome(['alice', 'bob']));
    const say = (i: number) => t.ui.event(ev.say('bob', `第${i}行 中文 😀 ünïcode line ${i}`, 1));
    for (let i = 1; i <= SCROLLBACK_LINES; i++) say(i);
    t.lastFrame();
    const start = segmenter.calls;
    const frames = countFrames(t);
    // 2,000 lines, 100 a frame: the scrollback's oldest lines (never drawn) fall off its top every frame.
    for (let i = SCROLLBACK_LINES + 1; i <= SCROLLBACK_LINES + 2000; i++) {
      say(i);
      if (i % 100 === 0) t.ui.flush();
    }
    // Each frame wraps the lines it shows (26 rows); it used to wrap as many again at the top of the
    // scrollback, to work out how far the room scrolls, every frame (720 calls here in 20 frames; now 380).
    expect(segmenter.calls - start).toBeLessThanOrEqual(frames() * 28);
    expect(t.lastFrame()).toContain(`第${SCROLLBACK_LINES + 2000}行`);
    // The limit is worked out when a key asks: PgUp all the way stops with the oldest line on top.
    t.ui.dispatch({ type: 'focus', pane: 'room' });
    for (let k = 0; k < 2 * SCROLLBACK_LINES / 26 && t.ui.state.roomScroll < SCROLLBACK_LINES - 40; k++) t.ui.dispatch({ type: 'page', dir: -1 });
    for (let k = 0; k < 5; k++) t.ui.dispatch({ type: 'page', dir: -1 });
    const rows = t.lastFrame().split('\n');
    expect(rows[1]).toContain('第2001行');
  });

  test('a full scrollback keeps wrapped rows only for the lines of the last two frames, scrolled or not', () => {
    // Rows were kept for the last 1,024 lines drawn: 5 KiB a line, a third of the client's heap.
    const cache = new RowCache<RoomLine>();
    const room: RoomLine[] = [];
    const height = 28;
    const rowsOf = (l: RoomLine) => cache.get(l, 98, DEFAULT_LOOK, (x) => roomSegments(x, DEFAULT_LOOK));
    let formatted = 0;
    const counting = (l: RoomLine) => {
      formatted++;
      return roomSegments(l, DEFAULT_LOOK);
    };
    for (let i = 1; i <= SCROLLBACK_LINES; i++) {
      room.push({ kind: 'message', time: i, from: 'bob', text: `line ${i} 中文 😀`, action: false, own: false, mention: false });
      cache.nextFrame();
      visibleRows(room, 0, height, rowsOf);
      expect(cache.size).toBeLessThanOrEqual(height + 1);
    }
    // Paging back through the whole scrollback: each page's lines are wrapped once, and only they are kept.
    for (let scroll = 0; scroll < SCROLLBACK_LINES; scroll += height) {
      cache.nextFrame();
      visibleRows(room, scroll, height, (l) => cache.get(l, 98, DEFAULT_LOOK, counting));
      expect(cache.size).toBeLessThanOrEqual(2 * height);
    }
    expect(formatted).toBeLessThanOrEqual(SCROLLBACK_LINES);
  });

  test("a frame writes into the screen buffer's cells rather than a new array a cell", async () => {
    // A new [attr, text] per painted cell per frame was most of what a busy room allocated (120x40 at 30
    // frames a second: ~140,000 arrays a second), each living just long enough to reach the old generation.
    const t = tui(100, 30);
    t.ui.event(ev.connected());
    t.ui.event(ev.welcome(['alice', 'bob']));
    t.lastFrame();
    const buffer = () => (t.ui.screen as unknown as { lines: unknown[][] }).lines.flatMap((row) => [...row]);
    const cells = buffer();
    for (let i = 1; i <= 100; i++) {
      t.ui.event(ev.say('bob', `line ${i} 中文 😀 ünïcode`, 1));
      t.ui.flush();
    }
    expect(t.lastFrame()).toContain('line 100 中文 😀 ünïcode');
    const after = buffer();
    expect(after.filter((cell, i) => cell !== cells[i])).toEqual([]);
  });

  test('a burst applied in one step (one copy of the scrollback) is what line-by-line steps give, and no earlier state changes', () => {
    const say = (i: number): UiAction => ({ type: 'event', event: ev.say('bob', `line ${i}`, 1) });
    const start = reduceAll(initialState('alice', 'x'), [{ type: 'event', event: ev.welcome(['alice', 'bob']) }, ...Array.from({ length: SCROLLBACK_LINES - 10 }, (_, i) => say(i))]);
    const kept = [...start.room];
    const burst = Array.from({ length: 30 }, (_, i) => say(SCROLLBACK_LINES + i));
    const together = reduceAll(start, burst);
    expect(together.room).toEqual(burst.reduce(reduce, start).room);
    expect(together.room).toHaveLength(SCROLLBACK_LINES);
    expect(start.room).toEqual(kept);
    // The next burst starts from a state others have seen: it copies again, never appends to that one.
    const seen = [...together.room];
    reduceAll(together, burst);
    expect(together.room).toEqual(seen);
  });
});
