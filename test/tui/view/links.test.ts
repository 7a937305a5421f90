import { describe, expect, test } from 'vitest';
import { findLinks, hyperlinked } from '../../../src/tui/view/links.js';

const shown = (text: string) => findLinks(text).map((l) => text.slice(l.start, l.end));

describe('URLs in messages', () => {
  test.each([
    ['see https://example.org/docs.', ['https://example.org/docs']],
    ['(http://x.example/a_(b)) and <https://y.example/?q=1&r=2>', ['http://x.example/a_(b)', 'https://y.example/?q=1&r=2']],
    ['node.js and example.org are words, not links', []],
    ['javascript:alert(1) file:///etc/passwd ftp://a.example mailto:a@b.example //x.example', []],
    ['HTTPS://EXAMPLE.ORG/ü', ['HTTPS://EXAMPLE.ORG/ü']],
  ])('%s', (text, expected) => {
    expect(shown(text)).toEqual(expected);
  });

  test('plain text where the terminal has no hyperlinks', () => {
    expect(hyperlinked('go to https://example.org now', false)).toBe('go to https://example.org now');
  });

  test('OSC 8 around each link where it does; the rest of the text untouched', () => {
    expect(hyperlinked('a https://a.example b https://b.example/ü c', true)).toBe(
      'a \x1b]8;;https://a.example/\x1b\\https://a.example\x1b]8;;\x1b\\ b \x1b]8;;https://b.example/%C3%BC\x1b\\https://b.example/ü\x1b]8;;\x1b\\ c',
    );
  });
});
