import { afterEach, describe, expect, it } from 'vitest';
import { ClientCore } from '../../src/tui/core/core.js';
import type { ChatEvent } from '../../src/tui/core/events.js';
import { renderTui, type RenderedTui } from '../../src/tui/screen/headless.js';
import { ESCAPE_CORPUS, FORBIDDEN } from '../helpers/corpus.js';
import { hostileEvents, hostileFrames } from '../helpers/hostile.js';

// 8. The full-screen client, through its headless renderer: the escape corpus in every field it draws,
//    arriving as a hostile server's frames (through the client core) and as chat events that skipped the
//    core (the renderer's own guard). Checked twice: the drawn text (0 forbidden code points in any cell)
//    and the raw bytes blessed wrote (only blessed's own control sequences; nothing of a payload's).

const FORBIDDEN_GLOBAL = new RegExp(FORBIDDEN.source, 'gu');
/** The control sequences a terminal library writes: CSI, OSC, charset selection, and two-byte escapes. */
const SEQUENCE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[()*+][0-~]|\x1b[ -~]/g;
/**
 * Strings only a payload contains: its title, clipboard text, link target and sixel data. The text after an
 * unterminated OSC is not among them: without its terminator it is no sequence, and it is the user's text.
 */
const PAYLOAD_MARKERS = ['pwned', 'ZWNobyBoaQ==', 'http://evil', '#0;2;0;0;0', '0;x'];

let tui: RenderedTui | undefined;
afterEach(() => tui?.cleanup());

interface Findings {
  drawnHits: string[];
  rawHits: string[];
  badSequences: string[];
  markers: string[];
  frames: number;
}

/** Render `batches` one after another at 160x50, reading the screen after each and the raw bytes at the end. */
async function draw(batches: ChatEvent[][]): Promise<Findings & { screens: string[] }> {
  tui = renderTui({ cols: 160, rows: 50, me: 'victim' });
  let raw = '';
  tui.output.on('data', (d: Buffer) => (raw += d.toString('utf8')));
  const screens: string[] = [];
  const drawnHits: string[] = [];
  for (const batch of batches) {
    await tui.events(...batch);
    const screen = tui.lastFrame();
    screens.push(screen);
    for (const row of screen.split('\n')) drawnHits.push(...(row.match(FORBIDDEN_GLOBAL) ?? []));
  }
  tui.ui.flush();
  await new Promise((r) => setImmediate(r));
  const badSequences: string[] = [];
  for (const seq of raw.match(SEQUENCE) ?? []) {
    if (seq.startsWith('\x1b]') && seq !== '\x1b]0;parley victim\x07') badSequences.push(seq); // OSC: only blessed's title
    else if (/^\x1b\[[\d;]*t$/.test(seq)) badSequences.push(seq); // window operations (title report, resize)
    else if (/^\x1b\[([\d;]*;)?8(;[\d;]*)?m$/.test(seq)) badSequences.push(seq); // SGR 8: hidden text
    else if (seq.startsWith('\x1bP')) badSequences.push(seq); // DCS
  }
  const text = raw.replace(SEQUENCE, '');
  // What is left is drawn text; line feeds, carriage returns and blessed's own bell are its layout.
  const rawHits = (text.match(FORBIDDEN_GLOBAL) ?? []).filter((ch) => !['\n', '\r', '\x07'].includes(ch));
  const markers = PAYLOAD_MARKERS.filter((m) => raw.includes(m));
  return { drawnHits, rawHits, badSequences, markers, frames: screens.length, screens };
}

function report(what: string, f: Findings, events?: number): string {
  return (
    `${what}: ${f.frames} screens checked; forbidden code points drawn ${f.drawnHits.length}, in raw output ${f.rawHits.length}; ` +
    `foreign escape sequences ${f.badSequences.length}; payload strings in output ${f.markers.length}${events === undefined ? '' : `; ${events} events`}`
  );
}

const corpusSize = Object.keys(ESCAPE_CORPUS).length;

describe('escape injection: the full-screen client', () => {
  it('a hostile server\'s frames through the client core: 0 forbidden code points drawn or written', async () => {
    const core = new ClientCore('victim', 'tui');
    const welcome = core.receive({ type: 'welcome', version: 1, name: 'victim', users: ['victim', ...Object.values(ESCAPE_CORPUS).map((b) => `u${b}`)], motd: `motd ${Object.values(ESCAPE_CORPUS).join(' ')}` }, '127.0.0.1:7777');
    const frames = hostileFrames('victim');
    const perEntry = frames.length / corpusSize;
    const batches = [welcome];
    for (let i = 0; i < corpusSize; i++) batches.push(frames.slice(i * perEntry, (i + 1) * perEntry).flatMap((f) => core.receive(f, '127.0.0.1:7777')));
    batches.push(core.receive({ type: 'shutdown', reason: `down ${Object.values(ESCAPE_CORPUS).join(' ')}` }, '127.0.0.1:7777'));
    const f = await draw(batches);
    console.log(report(`${frames.length + 2} hostile server frames`, f));
    expectClean(f);
    for (const field of ['act#1', 'old#1', 'psst#1', 'late#1', 'bye#1', 'err#1', 'down a']) expect(f.screens.join('\n')).toContain(field);
  });

  it('hostile chat events that skipped the client core: 0 forbidden code points drawn or written', async () => {
    const events = hostileEvents('victim');
    const perEntry = events.length / corpusSize;
    const batches: ChatEvent[][] = [[{ kind: 'welcome', name: 'victim', users: ['victim'], motd: 'hi', server: '127.0.0.1:7777', account: false, blocked: [] }]];
    for (let i = 0; i < corpusSize; i++) batches.push(events.slice(i * perEntry, (i + 1) * perEntry));
    const f = await draw(batches);
    console.log(report('raw chat events', f, events.length));
    expectClean(f);
    for (const field of ['act#1', 'psst#1', 'direct#1', 'out#1', 'bye#1', 'err#1', 'closed#1', 'help#1', 'status#1']) expect(f.screens.join('\n')).toContain(field);
  });
});

/** Nothing forbidden drawn or written, and the check looked at real text: the hostile lines were drawn
 * (sanitised) and blessed tags shown as typed. */
function expectClean(f: Awaited<ReturnType<typeof draw>>): void {
  expect(f.drawnHits).toEqual([]);
  expect(f.rawHits).toEqual([]);
  expect(f.badSequences).toEqual([]);
  expect(f.markers).toEqual([]);
  expect(f.screens.join('\n')).toMatch(/say#0 a\s*b/);
  expect(f.screens.join('\n')).toContain('{red-fg}{bold}tagged{/bold}{/red-fg}');
}
