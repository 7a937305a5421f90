import { describe, expect, test } from 'vitest';
import { findLinks } from '../../../src/tui/view/links.js';

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
});
