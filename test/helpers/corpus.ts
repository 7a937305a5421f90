// Text that tries to drive a terminal, for every test that shows someone else's text.

/** Code points that must never reach a terminal from someone else's text. */
export const FORBIDDEN = /[\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u2800\u3164\uffa0\ufeff]|[\ud800-\udfff]|[\u{e0000}-\u{e007f}\u{e0100}-\u{e01ef}]/u;

export const ESCAPE_CORPUS: Record<string, string> = {
  'clear screen': 'a\x1b[2Jb',
  'window title (OSC 0, BEL)': 'a\x1b]0;pwned\x07b',
  'clipboard (OSC 52, ST)': 'a\x1b]52;c;ZWNobyBoaQ==\x1b\\b',
  'hyperlink (OSC 8)': 'a\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\b',
  'DCS': 'a\x1bPq#0;2;0;0;0\x1b\\b',
  'title report (CSI 21 t)': 'a\x1b[21tb',
  'hidden text SGR 8': 'a\x1b[8mhidden\x1b[0mb',
  '8-bit CSI U+009B': 'a\u009b2Jb',
  '8-bit OSC U+009D': 'a\u009d0;x\u009cb',
  'NEL U+0085': 'a\u0085b',
  'RTL override U+202E': 'a\u202eb',
  'zero width space U+200B': 'a\u200bb',
  'carriage return': 'good\rbad',
  'backspace and bell': 'a\x08\x07b',
  'lone high surrogate': 'a\ud800b',
  'lone low surrogate': 'a\udc00b',
  'unterminated OSC': 'a\x1b]0;title with no end',
  'BOM and word joiner': '\ufeffa\u2060b',
  'isolates U+2066..2069': 'a\u2066b\u2069c',
  'hidden tag characters': 'a\u{e0068}\u{e0069}b',
  'soft hyphen, CGJ, Hangul filler': 'a\u00adb\u034fc\u3164d',
  'variation selectors supplement, braille blank': 'a\u{e0100}\u{e0101}b\u2800c',
  // Not a terminal escape: the full-screen client's own markup, which must show as typed, uncoloured.
  'blessed {tags}': 'a{red-fg}{bold}tagged{/bold}{/red-fg}b',
};

