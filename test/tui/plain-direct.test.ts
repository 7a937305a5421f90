import { describe, expect, it } from 'vitest';
import { ClientCore } from '../../src/tui/core/core.js';
import { clock, formatPlain } from '../../src/tui/plain.js';

describe('line mode: direct private chat', () => {
  const t = new Date(2024, 0, 1, 12, 1, 7).getTime();

  it('marks whispers that went over the direct link with "=" and leaves relayed ones as they were', () => {
    const base = { id: 1, time: t, text: 'psst' };
    expect(formatPlain({ kind: 'whisper', ...base, from: 'bob', to: 'alice', outgoing: false, direct: true })?.line).toBe(`${clock(t)} *bob*= psst`);
    expect(formatPlain({ kind: 'whisper', ...base, from: 'alice', to: 'bob', outgoing: true, direct: true })?.line).toBe(`${clock(t)} -> *bob*= psst`);
    expect(formatPlain({ kind: 'whisper', ...base, from: 'bob', to: 'alice', outgoing: false })?.line).toBe(`${clock(t)} *bob* psst`);
  });

  it('shows a request with the commands that answer it, and each step as a notice', () => {
    expect(formatPlain({ kind: 'private_request', from: 'bob', time: t })?.line).toBe(`${clock(t)} -!- bob asks for a direct private chat: /allow bob or /deny bob`);
    expect(formatPlain({ kind: 'private', with: 'bob', state: 'open', detail: 'direct chat with bob is open', time: t })?.line).toBe(`${clock(t)} -!- direct chat with bob is open`);
  });
});

describe('ClientCore: the private-chat commands', () => {
  it('turns /private, /startprivate, /allow, /deny and /stopprivate into their requests', () => {
    const core = new ClientCore('alice', 'plain');
    const sent = (line: string) => core.input(line).send[0];
    expect(sent('/private bob')).toMatchObject({ type: 'private', to: 'bob' });
    expect(sent('/startprivate bob')).toMatchObject({ type: 'private', to: 'bob' });
    expect(sent('/allow bob')).toMatchObject({ type: 'allow', name: 'bob' });
    expect(sent('/deny bob')).toMatchObject({ type: 'deny', name: 'bob' });
    expect(sent('/stopprivate bob')).toMatchObject({ type: 'private_end', name: 'bob', reason: 'stopped' });
    expect(core.input('/private').events).toEqual([{ kind: 'error', text: 'usage: /private <name>' }]);
  });

  it('lists them in /help from the command table', () => {
    const help = new ClientCore('alice', 'plain').input('/help').events[0];
    expect(help?.kind === 'help' && help.lines.join('\n')).toMatch(/\/private <name>.*also \/startprivate[\s\S]*\/allow <name>[\s\S]*\/deny <name>[\s\S]*\/stopprivate <name>/);
  });
});
