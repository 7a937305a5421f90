import type { PasswordPurpose } from '../core/session.js';
// A password read from the terminal without echo, before the full screen is up (logging in to a
// registered name happens while connecting). Raw mode for the duration; Enter ends it, Ctrl+C or Ctrl+D
// cancels, Backspace deletes. Nothing typed is ever written back.

export interface AskTerminal {
  input: NodeJS.ReadableStream & { setRawMode?: (on: boolean) => unknown; isRaw?: boolean };
  output: NodeJS.WritableStream;
}

export function askPasswordOnTerminal(term: AskTerminal, prompt: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const wasRaw = term.input.isRaw === true;
    term.input.setRawMode?.(true);
    term.output.write(prompt);
    let text = '';
    const finish = (value: string | undefined) => {
      term.input.off('data', onData);
      term.input.setRawMode?.(wasRaw);
      term.input.pause();
      term.output.write('\r\n');
      resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n') return finish(text);
        if (ch === '\x03' || ch === '\x04') return finish(undefined);
        if (ch === '\x7f' || ch === '\b') text = [...text].slice(0, -1).join('');
        else if (ch >= ' ') text += ch;
      }
    };
    term.input.on('data', onData);
    term.input.resume();
  });
}

/**
 * How the terminal asks for a password: `password for alice`, `current password for alice`, `new password
 * for alice`, `... again`.
 */
export function passwordPrompt(r: { purpose: PasswordPurpose; name: string; confirm?: boolean }): string {
  if (r.purpose === 'login') return `password for ${r.name}`;
  if (r.purpose === 'current') return `current password for ${r.name}`;
  return r.confirm ? `new password for ${r.name} again` : `new password for ${r.name}`;
}
