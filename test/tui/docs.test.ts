import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/wire/commands.js';
import { TUI_KEYS } from '../../src/tui/view/keys.js';
import { commandsMarkdown, keysMarkdown, withGenerated } from '../../src/tui/docs.js';

describe('README tables', () => {
  it('have a row for every command and every screen key', () => {
    const commands = commandsMarkdown();
    for (const c of COMMANDS) expect(commands).toContain('`/' + c.name);
    const keys = keysMarkdown();
    for (const k of TUI_KEYS.filter((x) => x.label)) expect(keys).toContain(`| ${k.label} |`);
  });

  it('are current: run `npm run docs` after changing src/wire/commands.ts or src/tui/view/keys.ts', () => {
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
    expect(withGenerated(readme)).toBe(readme);
  });
});
