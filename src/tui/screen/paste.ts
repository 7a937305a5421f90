import { MAX_PASTE_CHARS } from '../../wire/limits.js';
import { PassThrough } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

// blessed does not understand bracketed paste: it would turn each pasted newline into Enter. The terminal
// wraps a paste in ESC[200~ ... ESC[201~ (once we ask with ESC[?2004h), so we lift pastes out of the byte
// stream before blessed sees it and hand them over whole.

export const PASTE_ON = '\x1b[?2004h';
export const PASTE_OFF = '\x1b[?2004l';
const START = '\x1b[200~';
const END = '\x1b[201~';

export type InputPart = { kind: 'keys'; text: string } | { kind: 'paste'; text: string };

export class PasteSplitter {
  private pending = '';
  private paste: string | undefined;

  push(chunk: string): InputPart[] {
    const out: InputPart[] = [];
    let data = this.pending + chunk;
    this.pending = '';
    while (data !== '') {
      if (this.paste === undefined) {
        const at = data.indexOf(START);
        if (at < 0) {
          // Hold back a tail that may be the start of ESC[200~ (never a lone ESC: that is the Escape key).
          const keep = partialTail(data, START);
          if (data.length > keep) out.push({ kind: 'keys', text: data.slice(0, data.length - keep) });
          this.pending = data.slice(data.length - keep);
          break;
        }
        if (at > 0) out.push({ kind: 'keys', text: data.slice(0, at) });
        this.paste = '';
        data = data.slice(at + START.length);
      } else {
        const at = data.indexOf(END);
        const body = at < 0 ? data.slice(0, data.length - partialTail(data, END, 1)) : data.slice(0, at);
        this.paste = (this.paste + body).slice(0, MAX_PASTE_CHARS);
        if (at < 0) {
          this.pending = data.slice(body.length);
          break;
        }
        out.push({ kind: 'paste', text: this.paste });
        this.paste = undefined;
        data = data.slice(at + END.length);
      }
    }
    return out;
  }
}

/** Length of the longest tail of `data` that begins `marker` (at least `min` characters). */
function partialTail(data: string, marker: string, min = 2): number {
  for (let n = Math.min(marker.length - 1, data.length); n >= min; n--) if (data.endsWith(marker.slice(0, n))) return n;
  return 0;
}

/**
 * A stream for blessed to read keys from: `source`'s bytes minus pastes, which go to `onPaste`. Raw mode
 * requests are passed to the real terminal.
 */
export function keysOnly(source: NodeJS.ReadableStream & { setRawMode?: (on: boolean) => unknown }, onPaste: (text: string) => void): PassThrough {
  const splitter = new PasteSplitter();
  const decoder = new StringDecoder('utf8');
  const keys = Object.assign(new PassThrough(), {
    isTTY: true,
    isRaw: false,
    setRawMode(on: boolean) {
      keys.isRaw = on;
      source.setRawMode?.(on);
      return keys;
    },
  });
  const onData = (chunk: Buffer | string) => {
    for (const part of splitter.push(typeof chunk === 'string' ? chunk : decoder.write(chunk))) {
      // A flowing PassThrough hands written keys to blessed at once, so keys and pastes keep their order.
      if (part.kind === 'keys') keys.write(part.text);
      else onPaste(part.text);
    }
  };
  source.on('data', onData);
  // A stream paused earlier (the password prompt before the screen opened pauses stdin) does not flow
  // again by gaining a listener: resume it, or every key after a login is lost.
  source.resume();
  keys.on('close', () => source.removeListener('data', onData));
  return keys;
}
