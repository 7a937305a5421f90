import { describe, expect, it } from 'vitest';
import { CapState, decodePlain, SASL_CHUNK_BYTES, SaslExchange } from '../../../src/server/irc/caps.js';
import { stripFormatting, parseCtcp, ircSafe } from '../../../src/server/irc/formatting.js';
import { isupportTokens } from '../../../src/server/irc/isupport.js';
import { MAX_NAME_CHARS } from '../../../src/wire/limits.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('CapState', () => {
  it('lists values only from CAP LS 302 on, and holds registration until CAP END', () => {
    const old = new CapState();
    expect(old.handle('LS', [], false)).toEqual({ replies: [['LS', 'away-notify cap-notify echo-message message-tags multi-prefix sasl server-time userhost-in-names']] });
    const caps = new CapState();
    expect(caps.handle('LS', ['302'], false)).toEqual({ replies: [['LS', 'away-notify cap-notify echo-message message-tags multi-prefix sasl=PLAIN server-time userhost-in-names']] });
    expect(caps.negotiating).toBe(true);
    caps.handle('END', [], false);
    expect(caps.negotiating).toBe(false);
  });

  it('acknowledges a request all or nothing, and can take a capability back', () => {
    const caps = new CapState();
    expect(caps.handle('REQ', ['server-time echo-message'], false)).toEqual({ replies: [['ACK', 'server-time echo-message']] });
    expect(caps.handle('REQ', ['multi-prefix no-such-cap'], false)).toEqual({ replies: [['NAK', 'multi-prefix no-such-cap']] });
    expect(caps.has('multi-prefix')).toBe(false);
    caps.handle('REQ', ['-echo-message'], true);
    expect([...caps.enabled]).toEqual(['server-time']);
    expect(caps.handle('LIST', [], true)).toEqual({ replies: [['LIST', 'server-time']] });
    expect(caps.handle('BOGUS', [], true)).toEqual({ invalid: 'BOGUS' });
  });

  it('does not hold registration open for CAP after registration', () => {
    const caps = new CapState();
    caps.handle('LS', ['302'], true);
    expect(caps.negotiating).toBe(false);
  });
});

describe('SaslExchange (PLAIN)', () => {
  it('asks for the payload, then yields the credentials', () => {
    const s = new SaslExchange();
    expect(s.step('PLAIN')).toEqual({ kind: 'continue' });
    expect(s.step(b64('\0alice\0correct horse'))).toEqual({ kind: 'credentials', authzid: '', authcid: 'alice', password: 'correct horse' });
    expect(s.active).toBe(false);
  });

  it('joins 400-byte chunks, ending with a short chunk or +', () => {
    const payload = b64(`\0alice\0${'p'.repeat(SASL_CHUNK_BYTES)}`);
    const s = new SaslExchange();
    s.step('PLAIN');
    expect(s.step(payload.slice(0, SASL_CHUNK_BYTES))).toEqual({ kind: 'more' });
    expect(s.step(payload.slice(SASL_CHUNK_BYTES))).toMatchObject({ kind: 'credentials', authcid: 'alice' });
    const exact = b64('\0bob\0' + 'x'.repeat(295)); // exactly 400 base64 characters
    expect(exact).toHaveLength(SASL_CHUNK_BYTES);
    s.step('PLAIN');
    expect(s.step(exact)).toEqual({ kind: 'more' });
    expect(s.step('+')).toMatchObject({ kind: 'credentials', authcid: 'bob' });
  });

  it('refuses other mechanisms, garbage, aborts and endless payloads', () => {
    const s = new SaslExchange();
    expect(s.step('EXTERNAL')).toEqual({ kind: 'fail', numeric: 'mechanism' });
    s.step('PLAIN');
    expect(s.step('*')).toEqual({ kind: 'fail', numeric: 'aborted' });
    s.step('PLAIN');
    expect(s.step('not base64!')).toEqual({ kind: 'fail', numeric: 'fail' });
    s.step('PLAIN');
    let last = s.step('A'.repeat(SASL_CHUNK_BYTES));
    for (let i = 0; i < 10 && last.kind === 'more'; i++) last = s.step('A'.repeat(SASL_CHUNK_BYTES));
    expect(last).toEqual({ kind: 'fail', numeric: 'toolong' });
    expect(s.active).toBe(false);
    expect(decodePlain(b64('alice\0secret'))).toEqual({ kind: 'fail', numeric: 'fail' });
    expect(decodePlain(b64('\0\0secret'))).toEqual({ kind: 'fail', numeric: 'fail' });
  });
});

describe('formatting', () => {
  it('removes mIRC bold, colour with its digits, hex colour, italics, underline, reverse and reset whole', () => {
    expect(stripFormatting('\x02bold\x02 \x0304red\x03 \x0304,12on blue\x0f \x1ditalic\x1d \x1funder\x1f \x16rev\x16 \x0402ff00hex\x04 \x11mono')).toBe(
      'bold red on blue italic under rev hex mono',
    );
    expect(stripFormatting('\x031,2x \x0399 bottles')).toBe('x  bottles');
  });

  it('reads CTCP ACTION with or without its closing byte', () => {
    expect(parseCtcp('\x01ACTION waves\x01')).toEqual({ verb: 'ACTION', params: 'waves' });
    expect(parseCtcp('\x01action waves')).toEqual({ verb: 'ACTION', params: 'waves' });
    expect(parseCtcp('\x01VERSION\x01')).toEqual({ verb: 'VERSION', params: '' });
    expect(parseCtcp('plain')).toBeNull();
  });

  it('turns CR, LF and NUL into spaces', () => {
    expect(ircSafe('a\r\nQUIT :x\0y')).toBe('a  QUIT :x y');
  });
});

describe('ISUPPORT', () => {
  it("advertises parley's name rules", () => {
    const t = isupportTokens('parley');
    expect(t).toContain(`NICKLEN=${MAX_NAME_CHARS}`);
    expect(t).toContain('CASEMAPPING=ascii');
    expect(t).toContain('CHANTYPES=#');
    expect(t).toContain('LINELEN=512');
  });
});
