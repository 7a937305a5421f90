import net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import xterm from '@xterm/headless';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { renderTui, KEY, type RenderedTui } from '../../src/tui/screen/headless.js';
import { SCENES, ev } from '../../src/tui/scenes.js';
import { runFullScreen } from '../../src/tui/app.js';
import { ParleyError } from '../../src/tui/core/errors.js';
import { cellGrid, columnsOf } from './frame.js';

process.env.TZ = 'UTC';

let open: RenderedTui[] = [];
function tui(cols: number, rows: number, ui?: Parameters<typeof renderTui>[0]['ui']): RenderedTui {
  const t = renderTui({ cols, rows, ...(ui && { ui }) });
  open.push(t);
  return t;
}
afterEach(() => {
  for (const t of open) t.cleanup();
  open = [];
});

describe('every scene', () => {
  for (const scene of SCENES) {
    test(`${scene.name}: ${scene.title}`, async () => {
      const t = tui(scene.cols, scene.rows, scene.ui);
      await scene.play(t);
      const frame = t.lastFrame();
      // Every row is exactly as wide as the terminal, counted in cells.
      for (const row of cellGrid(frame)) expect(row.length).toBe(scene.cols);
      await expect(frame + '\n').toMatchFileSnapshot(`../../screenshots/${scene.name}.txt`);
    });
  }
});

async function scene(name: string): Promise<{ t: RenderedTui; frame: string }> {
  const s = SCENES.find((x) => x.name === name)!;
  const t = tui(s.cols, s.rows);
  await s.play(t);
  return { t, frame: t.lastFrame() };
}

describe('layout', () => {
  test('at 80x24 the room, whispers and users borders stand in fixed columns on every row', async () => {
    const { frame } = await scene('unicode');
    const rows = frame.split('\n');
    for (let y = 1; y < 21; y++) {
      if (y === 14 || y === 15) continue; // the room's bottom and the whispers' top border
      expect(columnsOf(frame, y, '│'), `row ${y}: ${rows[y]}`).toEqual([0, 59, 60, 79]);
    }
    expect(rows[22]).toMatch(/^alice> 中文 ok 😀/);
  });

  test('the users pane lists everyone sorted, marks you and counts them in its title', async () => {
    const { frame } = await scene('conversation');
    const rows = frame.split('\n');
    expect(rows[0]).toContain('┌─ Users (3) ');
    expect(rows.slice(1, 4).map((r) => r.slice(60).trim())).toEqual(['│* alice (you)     │', '│  bob             │', '│  carol           │']);
  });

  test('a whisper shows in its own pane tagged with the sender, and the title counts unread ones', async () => {
    const { t, frame } = await scene('whisper');
    const rows = frame.split('\n');
    expect(rows[15]).toMatch(/^┌─ Whispers \(2 unread\) ─+┐/);
    expect(rows[16]).toMatch(/^│09:06 \*carol\* can you review my PR later\? +│/);
    await t.keys(KEY.ctrlN + KEY.ctrlN); // input → users → whispers
    expect(t.lastFrame().split('\n')[15]).toMatch(/^┌─ Whispers ─+┐/);
  });

  test('scrolled up, new lines do not move the view and are counted', async () => {
    const { t, frame } = await scene('scrolled');
    const rows = frame.split('\n');
    expect(rows[0]).toMatch(/^┌─ Room · 3 new ─/);
    expect(rows[1]).toContain('message number 17');
    expect(rows[13]).toMatch(/^│ ▼ 3 new — PgDn +│/);
    await t.events(ev.say('bob', 'one more', 53));
    expect(t.lastFrame().split('\n')[1]).toContain('message number 17');
    await t.keys(KEY.pageDown + KEY.pageDown);
    const after = t.lastFrame().split('\n');
    expect(after[0]).toMatch(/^┌─ Room ─/);
    expect(after[13]).toMatch(/^│09:53 <bob> one more +│/);
  });

  test('40x12: the users pane hides, F3 shows it over the room and asks the server for the list', async () => {
    const { t, frame } = await scene('narrow');
    expect(frame).not.toContain('Users');
    expect(frame.split('\n')[10]).toMatch(/^alice> +$/);
    await t.keys(KEY.f3);
    const rows = t.lastFrame().split('\n');
    expect(rows[0]).toMatch(/┌─ Users \(3\) ─+┐$/);
    expect(columnsOf(t.lastFrame(), 1, '│')).toEqual([0, 24, 39]);
    expect(t.sent).toEqual(['/list']);
    await t.keys(KEY.escape);
    expect(t.lastFrame()).not.toContain('Users');
  });

  test('resizing reflows every pane', async () => {
    const { t } = await scene('conversation');
    await t.resize(50, 14);
    const frame = t.lastFrame();
    for (const row of cellGrid(frame)) expect(row.length).toBe(50);
    expect(frame.split('\n')[0]).toMatch(/^┌─ Room ─+┐$/);
    expect(frame.split('\n')[12]).toMatch(/^alice> /);
  });
});

describe('keys', () => {
  test('typing and Enter sends the line; Up recalls it', async () => {
    const t = tui(80, 24);
    await t.events(ev.connected(), ev.welcome(['alice', 'bob']));
    await t.keys('hello' + KEY.enter);
    expect(t.sent).toEqual(['hello']);
    expect(t.lastFrame().split('\n')[22]).toMatch(/^alice> +$/);
    await t.keys(KEY.up);
    expect(t.lastFrame().split('\n')[22]).toMatch(/^alice> hello +$/);
  });

  test('Tab completes a name; F4 on a selected user starts a whisper to them', async () => {
    const t = tui(80, 24);
    await t.events(ev.connected(), ev.welcome(['alice', 'bob', 'carol']));
    await t.keys('ca' + KEY.tab);
    expect(t.lastFrame().split('\n')[22]).toMatch(/^alice> carol: +$/);
    await t.keys(KEY.f3 + KEY.down + KEY.f4 + 'hi');
    expect(t.lastFrame().split('\n')[22]).toMatch(/^alice> \/w bob hi +$/);
  });

  test('F2 asks for the new name and sends /nick; Escape cancels', async () => {
    const { t, frame } = await scene('rename');
    expect(frame.split('\n')[10]).toContain('│> alice_█');
    await t.keys(KEY.enter);
    expect(t.sent).toEqual(['/nick alice_']);
    expect(t.lastFrame()).not.toContain('Rename ─');
    await t.keys(KEY.f2 + 'x' + KEY.escape);
    expect(t.sent).toEqual(['/nick alice_']);
  });

  test('F1 opens help built from the command table; Escape closes it', async () => {
    const { t, frame } = await scene('help');
    expect(frame).toMatch(/\/nick <name> +change your name/);
    expect(frame).toMatch(/\/tell; key F4 or[\s│]+Alt\+W\)/); // wraps where the widest usage puts it
    expect(frame).not.toContain('…'); // long lines wrap under their description, never cut
    await t.keys(KEY.escape);
    expect(t.lastFrame()).not.toContain('┌─ Help');
  });

  test('a private-chat request asks for consent: Alt+Y allows, Alt+D denies, typing goes on untouched', async () => {
    const { t, frame } = await scene('private');
    expect(frame).toContain('carol asks to chat with you directly,');
    // Where allowing connects is part of the question (issue 10, item 12).
    expect(frame).toMatch(/│Allowing connects your client to 203\.0\.113\.7 +│/);
    expect(frame).toMatch(/│\(carol's address as the server sees it\)\. +│/);
    expect(frame).toContain('Alt+Y/F7 allow · Alt+D/F8 deny');
    expect(frame).toMatch(/\*bob\*= the server cannot see this/);
    expect(frame).toMatch(/→ \*bob\*= nor this/);
    // Someone mid-sentence: letters (y included) and Enter are their message, not an answer.
    await t.keys('hey you\r');
    expect(t.sent).toEqual(['hey you']);
    expect(t.lastFrame()).toContain('carol asks to chat with you directly,');
    await t.keys('\x1by'); // Alt+Y
    expect(t.sent).toContain('/allow carol');
    expect(t.lastFrame()).not.toContain('asks to chat with you directly');
    await t.events({ kind: 'private_request', from: 'dave', time: 0 });
    await t.keys('\x1bd'); // Alt+D
    expect(t.sent).toContain('/deny dave');
    await t.events({ kind: 'private_request', from: 'erin', time: 0 });
    await t.keys(KEY.escape);
    expect(t.sent.filter((l) => l.includes('erin'))).toEqual([]);
    expect(t.lastFrame()).toContain('erin asks for a direct private chat');
  });

  test('F10 and Ctrl+Q quit', async () => {
    const t = tui(80, 24);
    await t.keys(KEY.f10);
    await t.keys(KEY.ctrlQ);
    expect(t.quits).toBe(2);
  });

  test('a multi-line paste asks first, then sends each line as text (never as a command)', async () => {
    const t = tui(80, 24);
    await t.events(ev.connected(), ev.welcome(['alice', 'bob']));
    await t.keys(KEY.paste('one\ntwo\n/quit\n'));
    expect(t.sent).toEqual([]);
    expect(t.lastFrame()).toContain('Send these 3 lines to the room?');
    await t.keys(KEY.enter);
    expect(t.sent).toEqual(['one', 'two', '//quit']);
  });

  test('a pasted block can be kept for editing instead', async () => {
    const t = tui(80, 24);
    await t.keys('>' + KEY.paste('one\ntwo'));
    await t.keys(KEY.escape);
    await t.keys('<');
    expect(t.sent).toEqual([]);
    expect(t.lastFrame().split('\n')[22]).toMatch(/^alice> >one two< +$/);
  });
});

describe('what is drawn', () => {
  test('remote markup and escapes are shown as text, never obeyed', async () => {
    const { t, frame } = await scene('unicode');
    expect(frame).toContain('markup stays text: {red-fg}not red{/} and not');
    const ansi = t.lastFrameAnsi().split('\n')[12]!;
    expect(ansi).not.toMatch(/\x1b\[(\d+;)*31m/);
  });

  test('a pending line is replaced by its echo once the server has it', async () => {
    const { t } = await scene('disconnected');
    expect(t.lastFrame()).toContain('<alice> anyone still here? (not sent yet)');
    await t.events(ev.connected(), { ...ev.welcome(['alice', 'bob']), again: true }, ev.say('alice', 'anyone still here?', 9, { ref: '7' }));
    const frame = t.lastFrame();
    expect(frame).toContain('09:09 <alice> anyone still here?');
    expect(frame).not.toContain('not sent yet');
    expect(frame).toContain('* reconnected to 127.0.0.1:7777 as alice');
    expect(frame.split('\n')[23]).toMatch(/^● connected 127\.0\.0\.1:7777/);
  });

  test('in a real terminal emulator, emoji and CJK leave every border where blessed put it', async () => {
    const s = SCENES.find((x) => x.name === 'unicode')!;
    const t = tui(s.cols, s.rows);
    const term = new xterm.Terminal({ cols: s.cols, rows: s.rows, allowProposedApi: true });
    term.loadAddon(new Unicode11Addon());
    term.unicode.activeVersion = '11';
    let written = Promise.resolve();
    t.output.on('data', (d: Buffer) => {
      written = written.then(() => new Promise<void>((r) => term.write(d, r)));
    });
    await s.play(t);
    // Ctrl+L redraws every cell: blessed's usual diff output re-positions the cursor after each changed run,
    // which can hide a width disagreement that a full redraw (first frame, resize) shows.
    await t.keys(KEY.ctrlL);
    t.lastFrame();
    await new Promise((r) => setImmediate(r));
    await written;
    const screen: string[] = [];
    for (let y = 0; y < s.rows; y++) {
      const line = term.buffer.active.getLine(y)!;
      let row = '';
      for (let x = 0; x < s.cols; x++) {
        const c = line.getCell(x)!;
        row += c.getWidth() === 0 ? '' : c.getChars() || ' ';
      }
      screen.push(row);
    }
    const borders = (y: number) => {
      const line = term.buffer.active.getLine(y)!;
      const xs: number[] = [];
      for (let x = 0; x < s.cols; x++) if (line.getCell(x)!.getChars() === '│') xs.push(x);
      return xs;
    };
    for (let y = 1; y < 21; y++) {
      if (y === 14 || y === 15) continue;
      expect(borders(y), `row ${y}: ${screen[y]}`).toEqual([0, 59, 60, 79]);
    }
    expect(screen.some((r) => r.includes('😀😀😀 three grins and a ✅ check'))).toBe(true);
    expect(screen.some((r) => r.includes('中文字符也可以'))).toBe(true);
    term.dispose();
  });

  test('closing restores the terminal: paste mode off, cursor shown, main screen back', async () => {
    const t = renderTui({ cols: 40, rows: 12 });
    let out = '';
    t.output.on('data', (d: Buffer) => (out += d.toString()));
    t.cleanup();
    await new Promise((r) => setImmediate(r));
    expect(out).toContain('\x1b[?2004l');
    expect(out).toContain('\x1b[?1049l');
    expect(out.lastIndexOf('\x1b[?25h')).toBeGreaterThan(out.lastIndexOf('\x1b[?1049l'));
  });
});

describe('startup', () => {
  test('an unreachable server fails with one clear error before the terminal is touched', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((r) => server.close(r));
    const output = new PassThrough();
    let written = '';
    output.on('data', (d: Buffer) => (written += d.toString()));
    const input = Object.assign(new PassThrough(), { setRawMode: () => input });
    const err = await runFullScreen({ name: 'alice', host: '127.0.0.1', port }, { input, output, err: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParleyError);
    expect((err as ParleyError).code).toBe('unreachable');
    expect((err as ParleyError).message).toMatch(/connection refused/);
    expect(written).toBe('');
  });
});

describe('accounts on screen', () => {
  test('the password popup shows one dot per character and never the text', async () => {
    const t = tui(80, 24);
    await t.events(ev.connected(), ev.welcome(['alice']));
    t.ui.dispatch({ type: 'ask-password', purpose: 'register', name: 'alice', why: '' });
    await t.keys('hunter22');
    const frame = t.lastFrame();
    expect(frame).toContain('Choose a password for alice:');
    expect(frame).toContain('> ••••••••█');
    expect(frame).not.toContain('hunter22');
  });

  test('history is marked, late and stored whispers are labelled, blocked names are counted', async () => {
    const t = tui(100, 24);
    await t.events(ev.connected(), { ...ev.welcome(['alice', 'bob']), blocked: ['eve'] });
    await t.events({ ...ev.say('bob', 'said before you came', 1), history: true });
    await t.events({ ...ev.whisper('bob', 'alice', 'while you were away', 2), late: true }, { ...ev.whisper('alice', 'carol', 'see you', 3), stored: true });
    const frame = t.lastFrame();
    expect(frame).toMatch(/09:01 \[history\] <bob> said before you came/);
    expect(frame).toContain('*bob* while you were away (sent while you were away)');
    expect(frame).toContain('→ *carol* see you (stored: delivered when they log in)');
    const rows = frame.split('\n');
    expect(rows[0]).toContain('┌─ Users (2) ──');
    expect(rows[3]!.slice(80)).toContain('(1 blocked)');
  });
});
