import { MAX_PASTE_CHARS, PASTE_IDLE_MS, TYPING_BURST_MS } from '../../wire/limits.js';
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
        // The quit keys always work: Ctrl+C or F10 inside a paste end it and are keys again.
        const quit = QUIT_KEY.exec(data);
        const end = data.indexOf(END);
        if (quit && (end < 0 || quit.index < end)) {
          this.paste = (this.paste + data.slice(0, quit.index)).slice(0, MAX_PASTE_CHARS);
          out.push({ kind: 'paste', text: this.paste });
          this.paste = undefined;
          data = data.slice(quit.index);
          continue;
        }
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

  /** Inside a paste that has not ended: what there is of it, as a paste, and back to keys. */
  end(): InputPart[] {
    if (this.paste === undefined) return [];
    const text = this.paste + this.pending;
    this.paste = undefined;
    this.pending = '';
    return [{ kind: 'paste', text }];
  }

  get inPaste(): boolean {
    return this.paste !== undefined;
  }
}

/** Ctrl+C and F10 (the sequences xterm-compatible terminals send). */
const QUIT_KEY = /\x03|\x1b\[21~/;

/** Length of the longest tail of `data` that begins `marker` (at least `min` characters). */
function partialTail(data: string, marker: string, min = 2): number {
  for (let n = Math.min(marker.length - 1, data.length); n >= min; n--) if (data.endsWith(marker.slice(0, n))) return n;
  return 0;
}

/**
 * A stream for blessed to read keys from: `source`'s bytes minus pastes, which go to `onPaste`. Raw mode
 * requests are passed to the real terminal. Two kinds of paste are recognised: bracketed (ended by its
 * marker, or PASTE_IDLE_MS after its last byte if the marker never comes) and, for terminals without
 * bracketed paste, lines that follow an Enter within TYPING_BURST_MS (faster than anyone types); those
 * reach `onPaste` with `typed` set, and may begin with the Enter that ended the line being typed.
 */
export function keysOnly(source: NodeJS.ReadableStream & { setRawMode?: (on: boolean) => unknown }, onPaste: (text: string, typed?: boolean) => void): PassThrough {
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
  let idle: NodeJS.Timeout | undefined;
  /** Keys held back after an Enter, to see whether more lines follow at once. */
  let burst: string | undefined;
  let burstTimer: NodeJS.Timeout | undefined;
  const flushBurst = () => {
    clearTimeout(burstTimer);
    burstTimer = undefined;
    const text = burst;
    burst = undefined;
    if (text === undefined) return;
    // Two or more lines of plain text arriving together: a paste. Anything else (a lone Enter, keys with
    // escapes or controls) is what was typed.
    if (/^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$/.test(text) && /[\r\n][^\r\n]/.test(text.replace(/^[\r\n]+/, ''))) onPaste(text, true);
    else keys.write(text);
  };
  const typed = (text: string) => {
    if (burst !== undefined) {
      burst += text;
      return;
    }
    const at = text.search(/[\r\n]/);
    if (at < 0) {
      keys.write(text);
      return;
    }
    // Up to the first Enter is typing as usual; from the Enter on, wait a moment for what follows it.
    if (at > 0 && !/[\r\n][^\r\n]/.test(text)) {
      keys.write(text.slice(0, at));
      text = text.slice(at);
    }
    burst = text;
    burstTimer = setTimeout(flushBurst, TYPING_BURST_MS);
  };
  const deliver = (parts: InputPart[]) => {
    for (const part of parts) {
      // A flowing PassThrough hands written keys to blessed at once, so keys and pastes keep their order.
      if (part.kind === 'keys') typed(part.text);
      else {
        flushBurst();
        onPaste(part.text);
      }
    }
  };
  const onData = (chunk: Buffer | string) => {
    clearTimeout(idle);
    deliver(splitter.push(typeof chunk === 'string' ? chunk : decoder.write(chunk)));
    if (splitter.inPaste) idle = setTimeout(() => deliver(splitter.end()), PASTE_IDLE_MS);
  };
  source.on('data', onData);
  // A stream paused earlier (the password prompt before the screen opened pauses stdin) does not flow
  // again by gaining a listener: resume it, or every key after a login is lost.
  source.resume();
  keys.on('close', () => {
    clearTimeout(idle);
    clearTimeout(burstTimer);
    source.removeListener('data', onData);
  });
  return keys;
}
