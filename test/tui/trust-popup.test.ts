import { afterEach, describe, expect, test } from 'vitest';
import { renderTui, type RenderedTui } from '../../src/tui/screen/headless.js';
import { initialState, reduce, type UiAction, type ViewState } from '../../src/tui/view/state.js';
import { ev } from '../../src/tui/scenes.js';

// The full-screen client's side of server trust: a new server's key asked about in a popup (only the
// Alt+Y chord trusts, so Enter typed mid-sentence never does), and a refused key shown in a popup that
// stays until dismissed, since it may mean someone is impersonating the server.

const FP = 'SHA256:zXfgRanYZnY0FK8iBqvDOt44sXKT8DKYESOEEiwJc3M';
const run = (s: ViewState, ...actions: UiAction[]) => actions.reduce(reduce, s);
const ask: UiAction = { type: 'ask-trust', server: 'chat.example.org:7777', fingerprint: FP };

describe('the trust popup', () => {
  test('Alt+Y trusts; Esc does not; Enter and typing answer nothing', () => {
    const s = run(initialState('alice', 'chat.example.org:7777'), ask, { type: 'submit' }, { type: 'insert', text: 'y' });
    expect(s.popup).toMatchObject({ kind: 'trust', fingerprint: FP });
    expect(s.effects).toEqual([]);
    expect(run(s, { type: 'consent', answer: 'allow' }).effects).toEqual([{ kind: 'trust', value: true }]);
    expect(run(s, { type: 'close' }).effects).toEqual([{ kind: 'trust', value: false }]);
    expect(run(s, { type: 'consent', answer: 'deny' }).effects).toEqual([{ kind: 'trust', value: false }]);
  });

  test('a refused key opens a popup that only Esc closes, and is also in the room', () => {
    const text = 'THE KEY OF chat.example.org:7777 HAS CHANGED: it is now SHA256:new, you trusted SHA256:old.';
    const s = run(initialState('alice', 'chat.example.org:7777'), { type: 'event', event: { kind: 'error', text, code: 'untrusted' } });
    expect(s.popup).toMatchObject({ kind: 'trust', refused: text });
    expect(s.room.at(-1)).toMatchObject({ kind: 'error', text });
    expect(run(s, { type: 'consent', answer: 'allow' }).popup).toBeDefined();
    expect(run(s, { type: 'consent', answer: 'allow' }).effects).toEqual([]);
    expect(run(s, { type: 'close' }).popup).toBeUndefined();
  });
});

describe('on screen', () => {
  let t: RenderedTui;
  afterEach(() => t.cleanup());

  test('the question shows the server and its whole fingerprint', async () => {
    t = renderTui({ cols: 80, rows: 24 });
    await t.events(ev.connected(), ev.welcome(['alice']));
    t.ui.dispatch(ask);
    const frame = t.lastFrame();
    expect(frame).toContain('New server');
    expect(frame).toContain('parley has not talked to chat.example.org:7777 before.');
    expect(frame).toContain(FP);
    expect(frame).toContain('Alt+Y trust · Esc do not trust');
  });

  test('the refusal is shown whole, wrapped in its popup', async () => {
    t = renderTui({ cols: 80, rows: 24 });
    await t.events(ev.connected(), ev.welcome(['alice']));
    await t.events({ kind: 'error', code: 'untrusted', text: `THE KEY OF 127.0.0.1:7777 HAS CHANGED: it is now ${FP}, you trusted SHA256:AAAA. Delete line 1 of /home/a/.config/parley/known_servers` });
    const frame = t.lastFrame();
    expect(frame).toContain('Server refused');
    expect(frame.replace(/[│\s]+/g, ' ')).toContain(`it is now ${FP}, you trusted SHA256:AAAA`);
  });
});
