import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/wire/commands.js';
import { commandsMarkdown, withCommands } from '../../src/tui/docs.js';

describe('README command table', () => {
  it('has a row for every command in the table', () => {
    const md = commandsMarkdown();
    for (const c of COMMANDS) expect(md).toContain('`/' + c.name);
  });

  it('is current: run `npm run docs` after changing src/wire/commands.ts', () => {
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
    expect(withCommands(readme)).toBe(readme);
  });
});
