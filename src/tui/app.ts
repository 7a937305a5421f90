import { appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChatEvent } from './core/events.js';
import { EXIT_CODES, ParleyError } from './core/errors.js';
import { Session, type PasswordRequest } from './core/session.js';
import { askPasswordOnTerminal, passwordPrompt } from './screen/askpass.js';
import { askTrustOnTerminal } from './screen/asktrust.js';
import type { KnownServers } from './core/known-servers.js';
import type { TrustQuestion } from './core/verify.js';
import { Ui } from './screen/ui.js';
import { defaultConfig, type Config } from './config/config.js';
import type { ChatLog } from './log/chatlog.js';
import { logged, logWhere } from './log/record.js';
import { Notifier } from './notify/notifier.js';
import { termFeatures } from './term/features.js';
import { lookOf } from './view/look.js';

// The full-screen client: a Session (reconnecting) feeding a Ui. We connect before touching the terminal,
// so "server unreachable" and "name refused" leave it exactly as it was: main.ts prints the one line and
// exits with the code from EXIT_CODES. Once the screen is up, every way out goes through `restore`.

export interface Terminal {
  input: NodeJS.ReadableStream & { setRawMode?: (on: boolean) => unknown; pause(): unknown };
  output: NodeJS.WritableStream;
  err: (line: string) => void;
}

/** Signals that end the client the way F10 does: the terminal is restored, the server told goodbye. */
const QUIT_SIGNALS = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT'] as const;

/** Errors of a terminal that is gone (hung up, closed): the client leaves as on SIGHUP. */
const TERMINAL_GONE = new Set(['EIO', 'EPIPE', 'ENXIO', 'EBADF']);

const processTerminal: Terminal = { input: process.stdin, output: process.stdout, err: (l) => process.stderr.write(l + '\n') };

export async function runFullScreen(
  o: { name: string; host: string; port: number; config?: Config; log?: ChatLog; tls?: 'auto' | 'on'; trust?: string; knownServers?: KnownServers; rooms?: readonly string[] },
  term: Terminal = processTerminal): Promise<number> {
  const config = o.config ?? defaultConfig();
  let ui: Ui | undefined;
  const early: ChatEvent[] = [];
  let answer: ((value: string | undefined) => void) | undefined;
  // Before the screen is up (logging in while connecting) the terminal asks without echo, as ssh does;
  // afterwards (/register, or a login after a reconnect) a popup asks.
  const askPassword = (r: PasswordRequest): Promise<string | undefined> => {
    if (!ui) {
      const why = r.why ? `${r.why}\r\n` : '';
      return askPasswordOnTerminal(term, `${why}${passwordPrompt(r)}: `);
    }
    answer?.(undefined);
    ui.dispatch({ type: 'ask-password', purpose: r.purpose, name: r.name, why: r.why, ...(r.confirm && { confirm: true }) });
    return new Promise((resolve) => (answer = resolve));
  };
  let trustAnswer: ((value: boolean) => void) | undefined;
  // A new server's key: on the terminal before the screen is up (as ssh asks), in a popup after.
  const askTrust = (q: TrustQuestion): Promise<boolean> => {
    if (!ui) return askTrustOnTerminal(term, q);
    trustAnswer?.(false);
    ui.dispatch({ type: 'ask-trust', server: q.server, fingerprint: q.fingerprint });
    return new Promise((resolve) => (trustAnswer = resolve));
  };
  const session = new Session({ name: o.name, host: o.host, port: o.port, mode: 'tui', reconnect: true, askPassword, askTrust, ...(o.tls !== undefined && { tls: o.tls }), ...(o.trust !== undefined && { trust: o.trust }), ...(o.knownServers && { knownServers: o.knownServers }), ...(o.rooms && { rooms: o.rooms }) }, logged(o.log, (e) => (ui ? ui.event(e) : early.push(e))));
  session.core.logWhere = logWhere(o.log);
  session.core.highlightWords = config.highlight;
  await session.start(); // a ParleyError here reaches main.ts with the terminal untouched
  // Why the session ended for good (logged in elsewhere, a refused key): the screen stays until the user
  // leaves, then the exit code and the one line are those of line mode (README "Exit codes").
  let over: ParleyError | undefined;
  session.done.catch((err: unknown) => {
    if (err instanceof ParleyError) over = err;
  });

  return new Promise<number>((resolve) => {
    let done = false;
    const leave = () => restore(over ? EXIT_CODES[over.code] : 0, over && `parley: ${over.message}`);
    const restore = (code: number, line?: string) => {
      if (done) return;
      done = true;
      ui?.destroy();
      term.input.pause();
      if (term === processTerminal) removeCrashHandlers();
      if (line) term.err(line);
      resolve(code);
    };
    // The terminal is given back at once; saying goodbye to the server may take a moment after that.
    let quitting = false;
    const quit = () => {
      ui?.destroy();
      if (quitting) return;
      quitting = true;
      void session.quit().finally(leave);
    };
    const crash = (err: unknown) => {
      session.destroy();
      restore(1, `parley: unexpected error: ${(err as Error)?.message ?? String(err)} (details in ${crashLog(err)})`);
    };
    const signal = () => quit();
    // The terminal went away (its window closed, the ssh link dropped): reads and writes fail with EIO or
    // EPIPE, in whichever order they and the SIGHUP arrive. That is a way out like SIGHUP, not a fault.
    const terminalError = (err: NodeJS.ErrnoException) => (TERMINAL_GONE.has(err.code ?? '') ? quit() : crash(err));
    // Whatever else ends the process (a process.exit anywhere) still leaves the terminal as it was.
    const lastResort = () => ui?.destroy();
    function removeCrashHandlers() {
      process.off('uncaughtException', crash);
      process.off('unhandledRejection', crash);
      for (const s of QUIT_SIGNALS) process.off(s, signal);
      process.off('exit', lastResort);
    }
    // Left on after the end: the last writes of the way out may fail the same way.
    term.output.on('error', terminalError);
    term.input.on('error', terminalError);
    if (term === processTerminal) {
      process.on('uncaughtException', crash);
      process.on('unhandledRejection', crash);
      // All four, SIGINT and SIGQUIT included: blessed's own handlers for those exit the process at once
      // (and so left bracketed paste on) unless someone else listens.
      for (const s of QUIT_SIGNALS) process.on(s, signal);
      process.on('exit', lastResort);
    }
    const features = termFeatures(process.env, config.links, config.desktop);
    try {
      ui = new Ui({
        input: term.input,
        output: term.output,
        me: session.core.name,
        server: session.server,
        onLine: (line) => {
          if (session.input(line)) void session.done.then(leave, leave);
        },
        onQuit: quit,
        notifier: new Notifier({ bell: config.bell, features, write: (b) => term.output.write(b) }),
        look: lookOf(config, features.hyperlinks),
        keys: config.keys,
        mouse: config.mouse,
        servers: Object.keys(config.servers),
        onPassword: (value) => {
          answer?.(value);
          answer = undefined;
        },
        onTrust: (value) => {
          trustAnswer?.(value);
          trustAnswer = undefined;
        },
      });
      for (const e of early) ui.event(e);
    } catch (err) {
      crash(err);
    }
  });
}

/** Where the stack of an unexpected error goes: a person sees one line, the details stay in a file. */
function crashLog(err: unknown): string {
  const file = path.join(os.tmpdir(), `parley-crash-${process.pid}.log`);
  try {
    appendFileSync(file, `${new Date().toISOString()} ${(err as Error)?.stack ?? String(err)}\n`);
  } catch {
    return 'nowhere: the log could not be written';
  }
  return file;
}
