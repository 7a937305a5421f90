import { describe, expect, it } from 'vitest';
import { codePointLength, sanitizeText, truncateCodePoints } from '../../src/wire/sanitize.js';
import { ESCAPE_CORPUS, FORBIDDEN } from '../helpers/corpus.js';

describe('sanitizeText', () => {
  for (const [name, input] of Object.entries(ESCAPE_CORPUS)) {
    it(`leaves no control, escape, bidi or invisible code point: ${name}`, () => {
      const out = sanitizeText(input);
      expect(out).not.toMatch(FORBIDDEN);
      expect(out).not.toContain('\x1b');
    });
  }

  it('removes whole escape sequences, not just the ESC byte', () => {
    expect(sanitizeText('a\x1b[2Jb')).toBe('ab');
    expect(sanitizeText('a\x1b]0;pwned\x07b')).toBe('ab');
    expect(sanitizeText('a\x1b[31mred\x1b[0m')).toBe('ared');
  });

  it('turns line breaks, CR and tabs into spaces so a line cannot be overwritten', () => {
    expect(sanitizeText('good\rbad')).toBe('good bad');
    expect(sanitizeText('one\ntwo\tthree')).toBe('one two three');
  });

  it('keeps ordinary text, accents, CJK and emoji', () => {
    expect(sanitizeText('héllo 世界 😀 {bold} 100%')).toBe('héllo 世界 😀 {bold} 100%');
  });

  it('normalises to NFC so the same word has the same bytes', () => {
    expect(sanitizeText('e\u0301')).toBe('\u00e9');
  });

  it('replaces lone surrogates with U+FFFD', () => {
    expect(sanitizeText('a\ud800b')).toBe('a\ufffdb');
  });

  it('trims, so a message of only control characters is empty', () => {
    expect(sanitizeText(' \x1b[2J\u200b ')).toBe('');
  });
});

describe('code point counting', () => {
  it('counts an emoji as one character and truncates on code points', () => {
    expect(codePointLength('a😀b')).toBe(3);
    expect(truncateCodePoints('a😀b', 2)).toBe('a😀');
    expect(truncateCodePoints('abc', 5)).toBe('abc');
  });
});

describe('checkText', () => {
  it('gives the cleaned text, or why there is nothing to relay', async () => {
    const { checkText } = await import('../../src/wire/sanitize.js');
    expect(checkText(' hi\x1b[2J ')).toEqual({ ok: true, text: 'hi' });
    expect(checkText('\u200b\x1b[31m')).toMatchObject({ ok: false, code: 'empty_text' });
    expect(checkText('x'.repeat(2001))).toEqual({ ok: false, code: 'text_too_long', message: 'a message may be at most 2000 characters; this one has 2001' });
  });
});
