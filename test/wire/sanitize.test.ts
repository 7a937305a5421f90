import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codePointLength, sanitizeText, truncateCodePoints } from '../../src/wire/sanitize.js';
import { MAX_JOINER_RUN } from '../../src/wire/limits.js';
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

// Issue 12, items 5 and 6: the sanitiser removes exactly the escape sequence and never the text after it,
// removes every class PROTOCOL.md §12 lists, and keeps the joiners scripts and emoji need.
describe('sanitizeText removes exactly the sequence', () => {
  const C1 = Array.from({ length: 32 }, (_, i) => String.fromCharCode(0x80 + i));

  it.each(C1.map((c) => [`U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`, c]))('%s alone is removed and the text after it kept', (_, c) => {
    // é cannot continue any sequence, so nothing after the C1 character belongs to one.
    expect(sanitizeText(`a${c}é b`)).toBe(c === '\u0085' ? 'a é b' : 'aé b'); // NEL is a line break: a space
  });

  it('keeps the text after U+0090, U+0098, U+009D, U+009E and U+009F when no terminator follows', () => {
    for (const c of ['\u0090', '\u0098', '\u009d', '\u009e', '\u009f']) expect(sanitizeText(`a${c}b`)).toBe('ab');
  });

  const introducers = new Set(['[', ']', 'P', 'X', '^', '_']);
  const ordinary = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).filter((ch) => !introducers.has(ch));
  it.each(ordinary.map((ch) => [JSON.stringify(ch), ch]))('ESC followed by %s loses only the ESC', (_, ch) => {
    expect(sanitizeText(`a\x1b${ch}b`)).toBe(`a${ch}b`.trim());
  });

  it.each(['\x1b]', '\x1bP', '\x1bX', '\x1b^', '\x1b_'])('an unterminated string sequence %j keeps the rest of the message', (intro) => {
    expect(sanitizeText(`hello ${intro}0;and the rest`)).toBe(`hello ${intro.slice(1)}0;and the rest`);
  });

  it('an unfinished CSI keeps what follows it', () => {
    expect(sanitizeText('a\x1b[12')).toBe('a[12');
    expect(sanitizeText('a\u009b')).toBe('a');
  });

  it('removes a terminated sequence up to MAX_ESCAPE_CHARS whole, and only the introducer of a longer one', () => {
    const inside = (n: number) => `\x1b]8;;${'x'.repeat(n)}\x07`; // 5 + n + 1 code points
    expect(sanitizeText(`a${inside(250)}b`)).toBe('ab');
    expect(sanitizeText(`a${inside(251)}b`)).toBe(`a]8;;${'x'.repeat(251)}b`);
    expect(sanitizeText(`a\x1b[${'1;'.repeat(200)}mb`)).toBe(`a[${'1;'.repeat(200)}mb`);
  });

  it('counts the bound in code points: emoji inside a title are one each', () => {
    expect(sanitizeText(`a\x1b]0;${'😀'.repeat(250)}\x07b`)).toBe('ab');
  });
});

describe('sanitizeText removes every listed class, each character on its own', () => {
  const ranges: [string, number, number][] = [
    ['C0', 0x00, 0x1f],
    ['DEL and C1', 0x7f, 0x9f],
    ['bidi marks', 0x200e, 0x200f],
    ['bidi embeddings and overrides', 0x202a, 0x202e],
    ['bidi isolates', 0x2066, 0x2069],
    ['invisible operators', 0x2060, 0x2064],
    ['deprecated format characters', 0x206a, 0x206f],
    ['interlinear annotations', 0xfff9, 0xfffb],
    ['Khmer inherent vowels', 0x17b4, 0x17b5],
    ['musical format characters', 0x1d173, 0x1d17a],
    ['tag characters', 0xe0000, 0xe007f],
    ['variation selectors supplement', 0xe0100, 0xe01ef],
  ];
  const singles = [0x061c, 0x200b, 0xfeff, 0x180e, 0x00ad, 0x034f, 0x115f, 0x1160, 0x3164, 0xffa0, 0x2800];
  const BREAK = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x85]);

  it.each(ranges)('%s', (_, from, to) => {
    for (let cp = from; cp <= to; cp++) {
      // é after it: no character here can start a sequence that é would complete.
      const expected = BREAK.has(cp) ? 'a é' : 'aé';
      expect(sanitizeText(`a${String.fromCodePoint(cp)}é`), `U+${cp.toString(16)}`).toBe(expected);
    }
  });

  it.each(singles.map((cp) => [`U+${cp.toString(16).toUpperCase()}`, cp]))('%s', (_, cp) => {
    expect(sanitizeText(`a${String.fromCodePoint(cp)}b`)).toBe('ab');
  });

  it('is documented: PROTOCOL.md names every removed class', async () => {
    const fs = await import('node:fs');
    const doc = fs.readFileSync(new URL('../../PROTOCOL.md', import.meta.url), 'utf8');
    const hex = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    for (const [name, from, to] of ranges) {
      if (from <= 0x9f) continue; // C0, DEL and C1 are named as such
      expect(doc, name).toContain(hex(from));
      expect(doc, name).toContain(hex(to));
    }
    for (const cp of singles) expect(doc).toContain(hex(cp));
  });
});

describe('sanitizeText keeps ZWNJ and ZWJ', () => {
  it('keeps the Persian half-space, so the word keeps its spelling', () => {
    expect(sanitizeText('نیمه\u200cشب')).toBe('نیمه\u200cشب');
  });

  it('keeps emoji ZWJ sequences whole: family, technologist, rainbow flag', () => {
    for (const e of ['👨\u200d👩\u200d👧', '🧑\u200d💻', '🏳\ufe0f\u200d🌈']) expect(sanitizeText(`a ${e} b`)).toBe(`a ${e} b`);
  });

  it('keeps Indic conjunct control (Devanagari ZWJ and ZWNJ after a virama)', () => {
    expect(sanitizeText('क्\u200dष क्\u200cष')).toBe('क्\u200dष क्\u200cष');
  });

  it('cuts a run of joiners to two, and drops joiners that join nothing at either end', () => {
    expect(sanitizeText(`a${'\u200d\u200c'.repeat(20)}b`)).toBe('a\u200d\u200cb');
    expect(sanitizeText('\u200d\u200c hi \u200d')).toBe('hi');
    expect(sanitizeText('\u200d\u200d')).toBe('');
  });
});

describe('sanitizeText on plain ASCII (the common case, which skips the rules)', () => {
  it('keeps printable ASCII as it is and still trims spaces at either end', () => {
    for (const t of ['a', '~', 'hello all', 'x = {"a": [1, 2]} \\ /path?q=1&b=2', '!'.repeat(500)]) expect(sanitizeText(t)).toBe(t);
    expect(sanitizeText(' hi')).toBe('hi');
    expect(sanitizeText('hi ')).toBe('hi');
    expect(sanitizeText('   ')).toBe('');
    expect(sanitizeText('')).toBe('');
  });

  it('still cleans ASCII with control characters in it', () => {
    expect(sanitizeText('a\x1b[31mred\x1b[0m')).toBe('ared');
    expect(sanitizeText('a\tb\x7fc')).toBe('a bc');
  });
});

describe('sanitizeText returns clean text as it is, and only clean text (the one-scan path)', () => {
  // Characters of every class a rule touches, mixed with text that needs none: Latin, CJK, Thai, Devanagari
  // and Arabic with marks, emoji with ZWJ, decomposed accents (not NFC), lone surrogates, escapes.
  const pool = ['a', ' ', '日', 'ก', 'ิ', 'क', '्', 'ष', 'ال', 'َ', '👨', '\u200d', '\u200c', 'e\u0301', '\u1100\u1161', '\ud800', '\udc00', '\x1b', '[', '2J', '\x1b]0;t\x07', '\u009b', '\u0085', '\u2028', '\t', '\u200b', '\u202e', '\u00ad', '\u{e0041}', '\ufeff', '\u2066'];
  const text = fc.array(fc.constantFrom(...pool), { maxLength: 24 }).map((parts) => parts.join(''));

  it('leaves no class behind on 5,000 random mixes, and what it returns it returns again unchanged', () => {
    fc.assert(
      fc.property(text, (t) => {
        const out = sanitizeText(t);
        expect(out).not.toMatch(FORBIDDEN);
        expect(out).not.toMatch(/[\u2028\u2029]/);
        expect(out).not.toMatch(new RegExp(`[\u200c\u200d]{${MAX_JOINER_RUN + 1}}`));
        expect(out).not.toMatch(/^[\s\u200c\u200d]|[\s\u200c\u200d]$/);
        expect(out.isWellFormed()).toBe(true);
        expect(out.normalize('NFC')).toBe(out);
        expect(sanitizeText(out)).toBe(out);
      }),
      { numRuns: 5000, seed: 15 },
    );
  });
});
