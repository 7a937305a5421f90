import tls from 'node:tls';
import { Context, Skip, expect, sleep } from './context.js';
import type { Frame, Peer } from './peer.js';
import { ROOM_CHECKS } from './rooms.js';

// One check per MUST of PROTOCOL.md that a client can observe on the wire. Each names its section and the
// requirement in the document's words; it fails with what it expected and what came instead. Checks open
// their own connections with fresh names, so they do not disturb each other or whoever else is on the
// server, and they pace their requests under the default flood limit.

export interface Check {
  /** The section of PROTOCOL.md. */
  section: string;
  /** The requirement, as the document states it. */
  must: string;
  /** Waits for a server timer (registration deadline, keepalive): run together, after the others. */
  slow?: boolean;
  run(ctx: Context): Promise<void>;
}

const EMOJI = '😀';
const emoji = (n: number) => EMOJI.repeat(n);
const json = (f: unknown) => JSON.stringify(f);

/** A `ping` frame of exactly `bytes` bytes of JSON (before its line ending). */
function pingOfBytes(bytes: number, token: string): string {
  const head = `{"type":"ping","token":"${token}","pad":"`;
  const tail = '"}';
  return head + 'x'.repeat(bytes - head.length - tail.length) + tail;
}

/** Send `say` frames one after another (paced under the flood limit) and return the echoed texts. */
async function echoes(ctx: Context, peer: Peer, texts: string[]): Promise<Frame[]> {
  const out: Frame[] = [];
  for (let i = 0; i < texts.length; i++) {
    if (i >= 8) await sleep(260); // a burst of 8, then under 5 per second
    out.push(await ctx.ask(peer, { type: 'say', text: texts[i] }));
  }
  return out;
}

/** The echoed text of a `say`, failing the check if the answer is not a message. */
function textOf(reply: Frame, input: string): string {
  expect(reply.type === 'message', `say ${json(input)} should be echoed as a message; got ${json(reply)}`);
  return reply.text as string;
}

async function saysAs(ctx: Context, cases: [input: string, expected: string][]): Promise<void> {
  const { peer } = await ctx.join();
  const replies = await echoes(ctx, peer, cases.map(([input]) => input));
  cases.forEach(([input, expected], i) => {
    const got = textOf(replies[i]!, input);
    expect(got === expected, `say ${json(input)} should be relayed as ${json(expected)}; got ${json(got)}`);
  });
}

function isError(f: Frame, code: string): boolean {
  return f.type === 'error' && f.code === code;
}

function expectError(f: Frame, code: string, what: string): void {
  expect(isError(f, code), `${what} should get error ${code}; got ${json(f)}`);
}

/** Connection still open and answering: a ping comes back as its pong. */
async function stillOpen(peer: Peer, what: string): Promise<void> {
  peer.send({ type: 'ping', token: 'alive' });
  const pong = await peer.take((f) => f.type === 'pong' && f.token === 'alive', `the pong showing the connection is open ${what}`);
  expect(pong.type === 'pong', 'pong');
}

export const CHECKS: Check[] = [
  // §2.2 Frames
  {
    section: '2.2.1',
    must: 'a receiver MUST ignore a carriage return before the line feed',
    async run(ctx) {
      const peer = await ctx.connect();
      peer.write(`${json({ type: 'hello', name: ctx.name(), version: 1 })}\r\n`);
      const f = await peer.next('welcome');
      expect(f.type === 'welcome', `hello ended by \\r\\n should be welcomed; got ${json(f)}`);
    },
  },
  {
    section: '2.2.2',
    must: 'a server MUST accept a frame of exactly MAX_FRAME_BYTES bytes, whether it ends in \\n or \\r\\n',
    async run(ctx) {
      const peer = await ctx.connect();
      peer.write(pingOfBytes(8192, 'lf') + '\n');
      const lf = await peer.next('pong to an 8192-byte ping ended by \\n');
      expect(lf.type === 'pong' && lf.token === 'lf', `an 8192-byte frame ended by \\n should be answered; got ${json(lf)}`);
      peer.write(pingOfBytes(8192, 'crlf') + '\r\n');
      const crlf = await peer.next('pong to an 8192-byte ping ended by \\r\\n');
      expect(crlf.type === 'pong' && crlf.token === 'crlf', `an 8192-byte frame ended by \\r\\n should be answered; got ${json(crlf)}`);
    },
  },
  {
    section: '2.2.3',
    must: 'a server MUST answer a longer line with one frame_too_large, drop the whole line, and keep the connection',
    async run(ctx) {
      const peer = await ctx.connect();
      peer.write(pingOfBytes(8193, 'big') + '\n');
      expectError(await peer.next('frame_too_large'), 'frame_too_large', 'an 8193-byte line');
      await stillOpen(peer, 'after frame_too_large');
      expect(!peer.unread.some((f) => f.token === 'big'), 'the over-long ping must not be answered');
    },
  },
  {
    section: '2.2.4',
    must: 'a server MUST close a connection that sends more than MAX_DISCARD_BYTES bytes without a line feed',
    async run(ctx) {
      const peer = await ctx.connect();
      peer.write(Buffer.alloc(70_000, 0x61));
      await peer.closes();
    },
  },
  {
    section: '2.2.5',
    must: 'a server MUST ignore a line that is empty or holds only spaces, tabs and carriage returns',
    async run(ctx) {
      const peer = await ctx.connect();
      peer.write('\n \n\t\n \t \r\n\r\n');
      peer.send({ type: 'ping', token: 'after-blank' });
      const f = await peer.next('pong');
      expect(f.type === 'pong' && f.token === 'after-blank', `blank and white-space lines should get no answer; got ${json(f)} before the pong`);
    },
  },
  {
    section: '2.2.6',
    must: 'a server MUST answer invalid UTF-8 with invalid_utf8 and a line that is not JSON with malformed_json; the connection stays open',
    async run(ctx) {
      const peer = await ctx.connect();
      peer.write(Buffer.concat([Buffer.from('{"type":"ping","token":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]));
      expectError(await peer.next('invalid_utf8'), 'invalid_utf8', 'a line with bytes FF FE');
      peer.write('this is not json\n');
      expectError(await peer.next('malformed_json'), 'malformed_json', 'a line of plain text');
      await stillOpen(peer, 'after the errors');
    },
  },
  {
    section: '2.2.8',
    must: 'the server MUST send the replies of one connection in request order (hello, ping, list)',
    async run(ctx) {
      const peer = await ctx.connect();
      peer.write(`${json({ type: 'hello', name: ctx.name(), version: 1 })}\n${json({ type: 'ping', token: 'p' })}\n${json({ type: 'list', ref: 'l' })}\n`);
      const order = [await peer.next(), await peer.next(), await peer.next()].map((f) => f.type);
      expect(json(order) === json(['welcome', 'pong', 'users']), `expected welcome, pong, users in that order; got ${order.join(', ')}`);
    },
  },
  {
    section: '4',
    must: 'while a password hello is checked, the server MUST hold the connection’s later frames (a ping’s pong comes after the hello’s answer)',
    async run(ctx) {
      const peer = await ctx.connect();
      peer.write(`${json({ type: 'hello', name: ctx.name(), version: 1, password: 'not-the-password-1' })}\n${json({ type: 'ping', token: 'barrier' })}\n`);
      const first = await peer.next('the answer to hello', 30_000);
      if (first.type === 'pong') {
        const answer = await peer.next('the answer to hello', 30_000).catch(() => undefined);
        expect(false, `the pong came before the answer to hello (${json(answer)})`);
      }
      expect(first.type === 'welcome' || (first.type === 'error' && first.re === 'hello'), `expected the answer to hello first; got ${json(first)}`);
      const second = await peer.next('pong');
      expect(second.type === 'pong', `expected the pong next; got ${json(second)}`);
    },
  },
  {
    section: '4',
    must: 'while a register is checked, the server MUST hold the connection’s later requests (register, ping, list, say are answered in that order)',
    async run(ctx) {
      const { peer } = await ctx.join();
      const password = `pw-${ctx.name()}`;
      peer.write(
        [
          json({ type: 'register', password, ref: 'reg' }),
          json({ type: 'ping', token: 'p', ref: 'ping' }),
          json({ type: 'list', ref: 'list' }),
          json({ type: 'say', text: 'after register', ref: 'say' }),
        ].join('\n') + '\n',
      );
      const answers: Frame[] = [];
      for (let i = 0; i < 4; i++) answers.push(await peer.take((f) => f.type !== 'joined' && f.type !== 'left' && !(f.type === 'message' && f.ref === undefined), 'four answers', 30_000));
      if (isError(answers[0]!, 'accounts_off')) throw new Skip('the server has no accounts');
      const order = answers.map((f) => `${String(f.type)}${f.ref === undefined ? '' : `(${String(f.ref)})`}`);
      expect(
        answers[0]!.ref === 'reg' && answers[1]!.type === 'pong' && answers[2]!.type === 'users' && answers[3]!.type === 'message',
        `expected registered, pong, users, message in that order; got ${order.join(', ')}`,
      );
    },
  },
  // §2.3 Another protocol
  {
    section: '2.3',
    must: 'a server MUST answer an HTTP request once, as HTTP, and close the connection',
    async run(ctx) {
      const peer = await ctx.connect();
      peer.write('GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: conformance\r\nAccept: */*\r\n\r\n');
      await peer.closes();
      expect(/^HTTP\/1\.[01] [45]\d\d /.test(peer.raw), `expected an HTTP error response; got ${json(peer.raw.slice(0, 120))}`);
    },
  },
  {
    section: '2.3',
    must: 'a server MUST answer a TLS ClientHello either with a TLS handshake (a server that serves TLS on the port) or with not_parley and close the connection',
    async run(ctx) {
      if (await speaksTls(ctx.host, ctx.port)) return;
      const peer = await ctx.connect();
      peer.write(Buffer.from('16030100a5010000a10303', 'hex'));
      await peer.closes();
      const f = peer.unread[0];
      expect(f !== undefined && isError(f, 'not_parley'), `expected a TLS handshake or error not_parley; got ${json(peer.unread)}`);
    },
  },
  // §3 Messages
  {
    section: '3.1',
    must: 'a server MUST answer a frame that is not an object, or has no string type, with invalid_message',
    async run(ctx) {
      const peer = await ctx.connect();
      for (const line of ['[1,2]', '"hello"', '{"text":"no type"}', '{"type":7}']) {
        peer.write(line + '\n');
        expectError(await peer.next(), 'invalid_message', line);
      }
    },
  },
  {
    section: '3.2',
    must: 'a receiver MUST ignore fields it does not know',
    async run(ctx) {
      const peer = await ctx.connect();
      peer.send({ type: 'hello', name: ctx.name(), version: 1, colour: 'blue', future: { x: 1 } });
      const f = await peer.next('welcome');
      expect(f.type === 'welcome', `hello with extra fields should be welcomed; got ${json(f)}`);
      const echo = await ctx.ask(peer, { type: 'say', text: 'hi', mood: 'happy' });
      expect(echo.type === 'message', `say with an extra field should be relayed; got ${json(echo)}`);
    },
  },
  {
    section: '3.2',
    must: 'a missing or mistyped field MUST get invalid_message naming the field, and the request MUST NOT be carried out',
    async run(ctx) {
      const { peer } = await ctx.join();
      const noText = await ctx.ask(peer, { type: 'say' });
      expectError(noText, 'invalid_message', 'say without text');
      expect(String(noText.message).includes('text'), `the message should name the field "text"; got ${json(noText.message)}`);
      const badTo = await ctx.ask(peer, { type: 'whisper', to: 5, text: 'x' });
      expectError(badTo, 'invalid_message', 'whisper with a number for "to"');
    },
  },
  {
    section: '3.3',
    must: 'a server MUST answer a request of a type it does not know with unknown_type',
    async run(ctx) {
      const peer = await ctx.connect();
      peer.send({ type: 'explode', ref: 'x' });
      expectError(await peer.next(), 'unknown_type', 'type "explode" before hello');
      const { peer: joined } = await ctx.join();
      expectError(await ctx.ask(joined, { type: 'explode' }), 'unknown_type', 'type "explode"');
      await stillOpen(joined, 'after unknown_type');
    },
  },
  {
    section: '3.5',
    must: 'the server MUST copy a request’s ref into the reply, echo or error it causes',
    async run(ctx) {
      const a = await ctx.join();
      const b = await ctx.join();
      const checks: [Record<string, unknown>, string][] = [
        [{ type: 'say', text: 'hello' }, 'message'],
        [{ type: 'whisper', to: b.name, text: 'psst' }, 'whisper'],
        [{ type: 'list' }, 'users'],
        [{ type: 'nick', name: ctx.name() }, 'renamed'],
        [{ type: 'whisper', to: ctx.name(), text: 'to nobody' }, 'error'],
      ];
      for (const [frame, type] of checks) {
        const ref = `ref-${String(frame.type)}-${type}`;
        const reply = await ctx.ask(a.peer, { ...frame, ref });
        expect(reply.type === type && reply.ref === ref, `${json(frame)} should be answered by ${type} with ref ${ref}; got ${json(reply)}`);
      }
    },
  },
  {
    section: '3.5',
    must: 'a ref is up to 64 characters counted in code points (64 emoji are accepted, 65 are invalid_message)',
    async run(ctx) {
      const { peer } = await ctx.join();
      const ok = await ctx.ask(peer, { type: 'list', ref: emoji(64) });
      expect(ok.type === 'users' && ok.ref === emoji(64), `a ref of 64 emoji should be accepted and copied; got ${json(ok)}`);
      peer.send({ type: 'list', ref: emoji(65) });
      expectError(await peer.take((f) => f.type === 'error' || f.type === 'users', 'the answer to list'), 'invalid_message', 'a ref of 65 emoji');
    },
  },
  // §4 States
  {
    section: '4',
    must: 'before hello the server MUST answer every request but hello, ping, pong and quit with not_registered',
    async run(ctx) {
      const peer = await ctx.connect();
      for (const frame of [{ type: 'say', text: 'hi' }, { type: 'list' }, { type: 'nick', name: 'x' }, { type: 'whisper', to: 'x', text: 'y' }]) {
        const reply = await ctx.ask(peer, frame);
        expectError(reply, 'not_registered', `${String(frame.type)} before hello`);
      }
    },
  },
  {
    section: '4',
    must: 'before hello the server MUST accept ping (pong with the same token)',
    async run(ctx) {
      const peer = await ctx.connect();
      peer.send({ type: 'ping', token: 'early' });
      const f = await peer.next('pong');
      expect(f.type === 'pong' && f.token === 'early', `ping before hello should get pong with token "early"; got ${json(f)}`);
    },
  },
  {
    section: '4',
    must: 'before hello the server MUST accept pong (no reply, no error)',
    async run(ctx) {
      const peer = await ctx.connect();
      peer.send({ type: 'pong', token: 'unasked' });
      peer.send({ type: 'ping', token: 'after-pong' });
      const f = await peer.next('pong');
      expect(f.type === 'pong' && f.token === 'after-pong', `a pong before hello should get no answer; got ${json(f)} first`);
    },
  },
  {
    section: '4',
    must: 'before hello the server MUST accept quit (and close the connection)',
    async run(ctx) {
      const peer = await ctx.connect();
      peer.send({ type: 'quit', reason: 'wrong server' });
      await peer.closes();
    },
  },
  {
    section: '4',
    must: 'a second hello MUST get already_registered',
    async run(ctx) {
      const { peer } = await ctx.join();
      expectError(await ctx.ask(peer, { type: 'hello', name: ctx.name(), version: 1 }), 'already_registered', 'a second hello');
    },
  },
  // §5 Sessions
  {
    section: '5.2',
    must: 'welcome MUST carry the server’s limits and features',
    async run(ctx) {
      const { welcome } = await ctx.join();
      const limits = welcome.limits as Record<string, unknown> | undefined;
      const features = welcome.features as Record<string, unknown> | undefined;
      expect(typeof limits === 'object' && limits !== null, `welcome should have a limits object; got ${json(welcome)}`);
      for (const k of ['frameBytes', 'textChars', 'nameChars', 'reasonChars', 'refChars', 'rateBurst', 'ratePerSecond', 'pingIntervalMs', 'pingTimeoutMs', 'registrationTimeoutMs']) {
        expect(typeof limits[k] === 'number', `welcome.limits.${k} should be a number; got ${json(limits[k])}`);
      }
      expect(typeof features === 'object' && features !== null, `welcome should have a features object; got ${json(welcome)}`);
      expect(['off', 'optional', 'required'].includes(features.accounts as string), `features.accounts should be off, optional or required; got ${json(features.accounts)}`);
      expect(typeof features.history === 'number', `features.history should be a number; got ${json(features.history)}`);
      for (const k of ['offline', 'blocks', 'private']) expect(typeof features[k] === 'boolean', `features.${k} should be true or false; got ${json(features[k])}`);
    },
  },
  {
    section: '5.3',
    must: 'a say resent with a ref its session already had accepted MUST get the same echo and MUST NOT be relayed again',
    async run(ctx) {
      const a = await ctx.join();
      const watcher = await ctx.join();
      const first = await ctx.ask(a.peer, { type: 'say', text: 'only once', ref: 'once' });
      const again = await ctx.ask(a.peer, { type: 'say', text: 'only once', ref: 'once' });
      expect(first.type === 'message' && again.type === 'message' && first.id === again.id && first.time === again.time, `the resend should be echoed with the same id and time; got ${json(first)} and ${json(again)}`);
      await stillOpen(watcher.peer, '');
      const seen = watcher.peer.unread.filter((f) => f.type === 'message' && f.text === 'only once');
      expect(seen.length === 1, `the watcher should get the line once; got it ${seen.length} times`);
    },
  },
  {
    section: '5.3',
    must: 'refs of another session, even one that used the same name before, MUST NOT suppress a request',
    async run(ctx) {
      const watcher = await ctx.join();
      const first = await ctx.join();
      const name = first.name;
      const earlier = await ctx.ask(first.peer, { type: 'say', text: 'good morning', ref: '1' });
      first.peer.send({ type: 'quit' });
      await watcher.peer.take((f) => f.type === 'left' && f.name === name, `${name} leaving`);
      const later = await ctx.join(name);
      const echo = await ctx.ask(later.peer, { type: 'say', text: 'good morning', ref: '1' });
      expect(echo.type === 'message' && echo.id !== earlier.id, `a new session's say should be a new message, not the earlier one's echo (id ${json(earlier.id)}); got ${json(echo)}`);
      await watcher.peer.take((f) => f.type === 'message' && f.from === name && f.id === echo.id, `the later ${name}'s line relayed to the room`);
    },
  },
  // §6 Requests
  {
    section: '6.1',
    must: 'hello with another version MUST get unsupported_version',
    async run(ctx) {
      const peer = await ctx.connect();
      expectError(await ctx.ask(peer, { type: 'hello', name: ctx.name(), version: 99 }), 'unsupported_version', 'hello version 99');
    },
  },
  {
    section: '11',
    must: 'a server MUST refuse any name outside 1–32 of A-Z a-z 0-9 _ - . with invalid_name',
    async run(ctx) {
      const peer = await ctx.connect();
      const bad = ['', 'two words', '\u0430lice', 'ａｌｉｃｅ', 'al\u200bice', 'x'.repeat(33), 'a/b', 'émile'];
      for (let i = 0; i < bad.length; i++) {
        if (i >= 8) await sleep(260);
        expectError(await ctx.ask(peer, { type: 'hello', name: bad[i], version: 1 }), 'invalid_name', `hello as ${json(bad[i])}`);
      }
      const ok = ctx.name() + 'x'.repeat(20);
      const reply = await ctx.ask(peer, { type: 'hello', name: ok.slice(0, 32), version: 1 });
      expect(reply.type === 'welcome', `a 32-character name should be welcomed; got ${json(reply)}`);
    },
  },
  {
    section: '11',
    must: 'names are unique ignoring case (name_taken)',
    async run(ctx) {
      const a = await ctx.join();
      const peer = await ctx.connect();
      expectError(await ctx.ask(peer, { type: 'hello', name: a.name.toUpperCase(), version: 1 }), 'name_taken', `hello as ${a.name.toUpperCase()} while ${a.name} is here`);
    },
  },
  {
    section: '6.3',
    must: 'a whisper to someone not here gets no_such_user naming them, before any check of its text',
    async run(ctx) {
      const { peer } = await ctx.join();
      const nobody = ctx.name();
      const reply = await ctx.ask(peer, { type: 'whisper', to: nobody, text: '' });
      expectError(reply, 'no_such_user', 'an empty whisper to nobody');
      expect(reply.name === nobody, `the error should name ${nobody}; got ${json(reply.name)}`);
    },
  },
  {
    section: '6.6',
    must: 'quit MUST close the connection, and the room sees left with reason quit and the reason (code points, up to 200)',
    async run(ctx) {
      const watcher = await ctx.join();
      const q = await ctx.join();
      q.peer.send({ type: 'quit', reason: emoji(200) });
      await q.peer.closes();
      const left = await watcher.peer.take((f) => f.type === 'left' && f.name === q.name, `${q.name} leaving`);
      expect(left.reason === 'quit' && left.message === emoji(200), `expected left quit with the 200-emoji reason; got ${json(left)}`);
      await stillOpen(watcher.peer, '');
      const more = watcher.peer.unread.filter((f) => f.type === 'left' && f.name === q.name);
      expect(more.length === 0, `the room should see one left, not ${1 + more.length}`);
    },
  },
  {
    section: '6.6',
    must: 'a reason over 200 characters MUST NOT stop the quit (it is cut to 200)',
    async run(ctx) {
      const watcher = await ctx.join();
      const q = await ctx.join();
      q.peer.send({ type: 'quit', reason: emoji(300) });
      await q.peer.closes();
      const left = await watcher.peer.take((f) => f.type === 'left' && f.name === q.name, `${q.name} leaving`);
      expect(left.reason === 'quit' && left.message === emoji(200), `expected left quit with the reason cut to 200 emoji; got ${json(left)}`);
    },
  },
  {
    section: '6.7',
    must: 'the server MUST answer ping with pong carrying the same token (≤ 64 code points) and ref',
    async run(ctx) {
      const { peer } = await ctx.join();
      peer.send({ type: 'ping', token: emoji(64), ref: 'pr' });
      const f = await peer.take((x) => x.type === 'pong' || x.type === 'error', 'pong');
      expect(f.type === 'pong' && f.token === emoji(64) && f.ref === 'pr', `expected pong with the 64-emoji token and ref "pr"; got ${json(f)}`);
    },
  },
  {
    section: '6.1',
    must: 'hello.token is up to 128 code points: 128 emoji are not invalid_message',
    async run(ctx) {
      const peer = await ctx.connect();
      const reply = await ctx.ask(peer, { type: 'hello', name: ctx.name(), version: 1, token: emoji(128) });
      expect(!isError(reply, 'invalid_message'), `a 128-emoji token should be read (and refused or ignored), not be invalid_message; got ${json(reply)}`);
    },
  },
  {
    section: '6.9',
    must: 'allow, deny, private_port and private_end MUST be answered with ok carrying their ref',
    async run(ctx) {
      const a = await ctx.join();
      const b = await ctx.join();
      const features = a.welcome.features as Record<string, unknown> | undefined;
      if (features?.private === false) throw new Skip('the server does not broker direct chat');
      const asked = await ctx.ask(a.peer, { type: 'private', to: b.name });
      if (isError(asked, 'unknown_type')) throw new Skip('the server does not broker direct chat');
      expect(asked.type === 'private_asked', `private should answer private_asked; got ${json(asked)}`);
      const request = await b.peer.take((f) => f.type === 'private_request', 'private_request');
      // The target may be told the asker's own address (§10.1 step 1); no port or secret before consent, and the asker learns nothing.
      expect(!('host' in asked) && !('port' in asked), `private_asked must carry no address; got ${json(asked)}`);
      expect(!('port' in request) && !('secret' in request), `a request must carry no port or secret; got ${json(request)}`);
      const denied = await ctx.ask(b.peer, { type: 'deny', name: a.name, ref: 'deny' });
      expect(denied.type === 'ok' && denied.ref === 'deny', `deny should answer ok with its ref; got ${json(denied)}`);
      const c = await ctx.join();
      const d = await ctx.join();
      await ctx.ask(c.peer, { type: 'private', to: d.name });
      const allowed = await ctx.ask(d.peer, { type: 'allow', name: c.name, ref: 'allow' });
      expect(allowed.type === 'ok' && allowed.ref === 'allow', `allow should answer ok with its ref; got ${json(allowed)}`);
      const listen = await c.peer.take((f) => f.type === 'private_listen', 'private_listen');
      const ported = await ctx.ask(c.peer, { type: 'private_port', link: listen.link, port: 40_000, ref: 'port' });
      expect(ported.type === 'ok' && ported.ref === 'port', `private_port should answer ok with its ref; got ${json(ported)}`);
      const ended = await ctx.ask(d.peer, { type: 'private_end', name: c.name, reason: 'stopped', ref: 'end' });
      expect(ended.type === 'ok' && ended.ref === 'end', `private_end should answer ok with its ref; got ${json(ended)}`);
      const again = await ctx.ask(c.peer, { type: 'private_end', name: d.name, reason: 'stopped', ref: 'end2' });
      expect(again.type === 'ok' && again.ref === 'end2', `private_end with nothing to end should answer ok too; got ${json(again)}`);
    },
  },
  // §8 Flood control
  {
    section: '8',
    must: 'past the flood limit the server MUST drop a request with rate_limited carrying its ref, and keep the connection',
    async run(ctx) {
      const { peer, welcome } = await ctx.join();
      const limits = welcome.limits as Record<string, number> | undefined;
      if (limits?.ratePerSecond === 0) throw new Skip('the server has no flood control');
      for (let i = 0; i < 40; i++) peer.send({ type: 'list', ref: `f${i}` });
      const limited = await peer.take((f) => isError(f, 'rate_limited'), 'rate_limited');
      expect(typeof limited.ref === 'string' && limited.ref.startsWith('f'), `rate_limited should carry the dropped request's ref; got ${json(limited)}`);
      await stillOpen(peer, 'after rate_limited');
    },
  },
  // §9 Accounts
  {
    section: '9',
    must: 'a register with a password shorter than 8 or longer than 256 characters MUST get weak_password',
    async run(ctx) {
      const { peer } = await ctx.join();
      const cases = ['short', 'x'.repeat(257), 'y'.repeat(2000), emoji(257)];
      for (const password of cases) {
        const reply = await ctx.ask(peer, { type: 'register', password }, 'the answer to register', 30_000);
        if (isError(reply, 'accounts_off')) throw new Skip('the server has no accounts');
        expectError(reply, 'weak_password', `register with a ${[...password].length}-character password`);
      }
    },
  },
  {
    section: '9',
    must: 'a server MUST answer a wrong password and an unknown name with login_failed and the same message',
    async run(ctx) {
      const account = await ctx.registered();
      account.peer.send({ type: 'quit' });
      await account.peer.closes();
      const wrong = await ctx.connect();
      const w = await ctx.ask(wrong, { type: 'hello', name: account.name, version: 1, password: 'not-the-password' }, 'the answer to hello', 30_000);
      const unknown = await ctx.connect();
      const u = await ctx.ask(unknown, { type: 'hello', name: ctx.name(), version: 1, password: 'not-the-password' }, 'the answer to hello', 30_000);
      expectError(w, 'login_failed', 'a wrong password');
      expectError(u, 'login_failed', 'an unknown name with a password');
      expect(w.message === u.message, `the two messages should be the same; got ${json(w.message)} and ${json(u.message)}`);
    },
  },
  {
    section: '9',
    must: 'a failed login MUST NOT disturb a logged-in session of that name',
    async run(ctx) {
      const account = await ctx.registered();
      for (let i = 0; i < 3; i++) {
        const intruder = await ctx.connect();
        const reply = await ctx.ask(intruder, { type: 'hello', name: account.name, version: 1, password: `wrong-${i}-password` }, 'the answer to hello', 30_000);
        expect(reply.type === 'error', `a wrong password should be refused; got ${json(reply)}`);
      }
      await stillOpen(account.peer, 'of the logged-in user');
      const disturbed = account.peer.unread.filter((f) => f.type === 'error' || f.type === 'shutdown');
      expect(disturbed.length === 0, `the logged-in session should hear nothing of it; got ${json(disturbed)}`);
    },
  },
  {
    section: '9',
    must: 'a hello with a live token MUST get a welcome with a new token, and the token used MUST NOT be accepted again (bad_token); password MUST end every session (password_changed with a new token, the old ones get bad_token)',
    async run(ctx) {
      // One account for both (a server MAY budget registrations per address, §9).
      const account = await ctx.registered();
      const first = account.registeredToken;
      account.peer.close(); // a dropped connection, not quit: the token stays live
      const again = await ctx.connect();
      const resumed = await ctx.ask(again, { type: 'hello', name: account.name, version: 1, token: first }, 'the answer to hello with the token');
      expect(resumed.type === 'welcome' && typeof resumed.token === 'string', `a hello with a live token should be welcomed with a token; got ${json(resumed)}`);
      expect(resumed.token !== first, 'the welcome should carry a new token, not the one just used');
      const replay = await ctx.connect();
      expectError(await ctx.ask(replay, { type: 'hello', name: account.name, version: 1, token: first }, 'the answer to a replayed token'), 'bad_token', 'a token used once already');
      const changed = await ctx.askPatiently(again, { type: 'password', old: account.password, password: `${account.password}-new` }, 'the answer to password');
      expect(changed.type === 'password_changed' && typeof changed.token === 'string', `password should answer password_changed with a token; got ${json(changed)}`);
      const stale = await ctx.connect();
      expectError(await ctx.ask(stale, { type: 'hello', name: account.name, version: 1, token: resumed.token }, 'the answer to an ended token'), 'bad_token', 'a token from before the password change');
      again.close();
      const fresh = await ctx.connect();
      const back = await ctx.ask(fresh, { type: 'hello', name: account.name, version: 1, token: changed.token }, 'the answer to hello with the new token');
      expect(back.type === 'welcome', `the token of password_changed should resume; got ${json(back)}`);
    },
  },
  {
    section: '9',
    must: 'logout all from a connection that proved the password MUST end the other sessions (their tokens get bad_token); from one that resumed with a token, without a password, password_required',
    async run(ctx) {
      const account = await ctx.registered();
      const other = account.registeredToken;
      account.peer.close();
      const proven = await ctx.connect();
      const login = await ctx.askPatiently(proven, { type: 'hello', name: account.name, version: 1, password: account.password }, 'the answer to hello with the password');
      expect(login.type === 'welcome' && typeof login.token === 'string', `the password should log in; got ${json(login)}`);
      const ended = await ctx.ask(proven, { type: 'logout', all: true }, 'the answer to logout');
      expect(ended.type === 'sessions' && typeof ended.ended === 'number' && ended.ended >= 1, `logout all should answer sessions with ended ≥ 1; got ${json(ended)}`);
      const stale = await ctx.connect();
      expectError(await ctx.ask(stale, { type: 'hello', name: account.name, version: 1, token: other }, 'the answer to an ended token'), 'bad_token', 'the token of an ended session');
      proven.close();
      const resumed = await ctx.connect();
      const back = await ctx.ask(resumed, { type: 'hello', name: account.name, version: 1, token: login.token }, 'the answer to hello with the token');
      expect(back.type === 'welcome', `the remaining session should resume; got ${json(back)}`);
      expectError(await ctx.ask(resumed, { type: 'logout', all: true }, 'the answer to logout'), 'password_required', 'logout all from a resumed connection without a password');
    },
  },
  // §12 Text
  {
    section: '12',
    must: 'text is 1–2000 code points after sanitising: 2000 emoji are relayed, 2001 get text_too_long, nothing left gets empty_text',
    async run(ctx) {
      const { peer } = await ctx.join();
      const ok = await ctx.ask(peer, { type: 'say', text: emoji(2000) });
      expect(ok.type === 'message' && ok.text === emoji(2000), `2000 emoji should be relayed whole; got ${json(ok).slice(0, 120)}`);
      expectError(await ctx.ask(peer, { type: 'say', text: emoji(2001) }), 'text_too_long', '2001 emoji');
      expectError(await ctx.ask(peer, { type: 'say', text: ' \x1b[2J\u200b ' }), 'empty_text', 'a text of only an escape and invisibles');
    },
  },
  {
    section: '12',
    must: 'a server MUST remove whole escape sequences (CSI, OSC) from what it relays',
    async run(ctx) {
      const watcher = await ctx.join();
      await saysAs(ctx, [
        ['a\x1b[2Jb', 'ab'],
        ['a\x1b]0;title\x07b', 'ab'],
        ['a\x1b]52;c;ZWNobw==\x1b\\b', 'ab'],
        ['a\u009b31mb', 'ab'],
      ]);
      const relayed = watcher.peer.unread.filter((f) => f.type === 'message').map((f) => String(f.text));
      expect(relayed.every((t) => !/[\x00-\x1f\x7f-\x9f]/.test(t)), `others should get no control characters; got ${json(relayed)}`);
    },
  },
  {
    section: '12',
    must: 'a lone C1 character is removed alone and the characters after it MUST be kept (every one of U+0080–U+009F)',
    async run(ctx) {
      const cases: [string, string][] = [];
      for (let cp = 0x80; cp <= 0x9f; cp++) cases.push([`a${String.fromCharCode(cp)}é b`, cp === 0x85 ? 'a é b' : 'aé b']);
      await saysAs(ctx, cases);
    },
  },
  {
    section: '12',
    must: 'an unterminated string sequence or ESC with an ordinary character loses only the ESC; the text after it MUST be kept',
    async run(ctx) {
      await saysAs(ctx, [
        ['hello \x1b]0;and the rest', 'hello ]0;and the rest'],
        ['a\x1bcb', 'acb'],
        ['a\x1b7b', 'a7b'],
        ['a\u009fb', 'ab'],
        ['a\u0090b', 'ab'],
        ['x\x1bP no terminator', 'xP no terminator'],
      ]);
    },
  },
  {
    section: '12',
    must: 'the listed invisible, bidi and hidden-message characters are removed',
    async run(ctx) {
      await saysAs(ctx, [
        ['a\u202eb\u2066c\u200fd', 'abcd'],
        ['a\u200b\u2060\ufeffb', 'ab'],
        ['a\u2800\u17b4\u17b5b', 'ab'],
        ['a\u206a\u206f\ufff9b', 'ab'],
        ['a\u{1d173}\u{1d17a}b', 'ab'],
        ['a\u{e0100}\u{e01ef}\u{e0041}\u{e007f}b', 'ab'],
        ['a\u00ad\u034f\u3164b', 'ab'],
      ]);
    },
  },
  {
    section: '12',
    must: 'ZWNJ and ZWJ are kept: Persian words and emoji ZWJ sequences keep their spelling',
    async run(ctx) {
      await saysAs(ctx, [
        ['نیمه\u200cشب', 'نیمه\u200cشب'],
        ['family 👨\u200d👩\u200d👧', 'family 👨\u200d👩\u200d👧'],
        ['🧑\u200d💻 and 🏳\ufe0f\u200d🌈', '🧑\u200d💻 and 🏳\ufe0f\u200d🌈'],
      ]);
    },
  },
  // Server timers: run together at the end.
  {
    section: '4',
    must: 'a connection with no hello after REGISTRATION_TIMEOUT_MS MUST get registration_timeout and be closed',
    slow: true,
    async run(ctx) {
      const peer = await ctx.connect();
      await peer.closes(30_000);
      const f = peer.unread[0];
      expect(f !== undefined && isError(f, 'registration_timeout'), `expected registration_timeout before the close; got ${json(peer.unread)}`);
    },
  },
  {
    section: '4',
    must: 'the registration deadline MUST NOT count time spent waiting for a password check (hellos sent just in time are answered, not timed out)',
    slow: true,
    async run(ctx) {
      const peers: Peer[] = [];
      for (let i = 0; i < 10; i++) peers.push(await ctx.connect());
      // Just before the 20 s deadline, ten logins at once: the last ones wait for a hash past it.
      await sleep(19_000);
      for (const p of peers) p.send({ type: 'hello', name: ctx.name(), version: 1, password: 'not-the-password-2' });
      const answers = await Promise.all(peers.map((p) => p.next('the answer to hello', 60_000)));
      const timedOut = answers.filter((f) => isError(f, 'registration_timeout')).length;
      expect(timedOut === 0, `${timedOut} of 10 hellos sent in time were answered registration_timeout while their password was checked`);
    },
  },
  {
    section: '8',
    must: 'after PING_INTERVAL_MS without a frame from a registered client the server MUST send ping',
    slow: true,
    async run(ctx) {
      const { peer, welcome } = await ctx.join();
      const interval = ((welcome.limits as Record<string, number> | undefined)?.pingIntervalMs ?? 30_000) + 5000;
      const ping = await peer.take((f) => f.type === 'ping', 'the server’s ping', interval);
      peer.send({ type: 'pong', token: ping.token });
    },
  },
  {
    section: '8',
    must: 'if nothing arrives within PING_TIMEOUT_MS after the ping, the server MUST remove the client (one left, reason timeout)',
    slow: true,
    async run(ctx) {
      const watcher = await ctx.join();
      const silent = await ctx.join();
      const limits = silent.welcome.limits as Record<string, number> | undefined;
      const wait = (limits?.pingIntervalMs ?? 30_000) + (limits?.pingTimeoutMs ?? 30_000) + 5000;
      // The watcher stays alive by answering the server's pings; the silent one never says anything again.
      const alive = setInterval(() => watcher.peer.send({ type: 'pong' }), 10_000);
      try {
        const left = await watcher.peer.take((f) => f.type === 'left' && f.name === silent.name, `${silent.name} timing out`, wait);
        expect(left.reason === 'timeout', `expected left with reason timeout; got ${json(left)}`);
        await silent.peer.closes();
      } finally {
        clearInterval(alive);
      }
    },
  },
  // §15.2.1 Away
  {
    section: '15.2.1',
    must: 'the away frame MUST go to each person who shares a room, every users list MUST carry away, and a version-1 session gets no away frame (its away request is unknown_type)',
    async run(ctx) {
      const watcher = await ctx.join(ctx.name(), 2);
      if ((watcher.welcome.features as Record<string, unknown> | undefined)?.away !== true) throw new Skip('the server does not say features.away');
      const old = await ctx.join();
      const gone = await ctx.join(ctx.name(), 2);
      const echo = await ctx.ask(gone.peer, { type: 'away', message: 'out for lunch' });
      expect(echo.type === 'away' && echo.name === gone.name && echo.away === true && echo.message === 'out for lunch', `away should be echoed as away true with its message; got ${json(echo)}`);
      const seen = await watcher.peer.take((f) => f.type === 'away' && f.name === gone.name, `the away frame of ${gone.name}`);
      expect(seen.away === true && seen.message === 'out for lunch', `the others should get away true with the message; got ${json(seen)}`);
      const list = await ctx.ask(watcher.peer, { type: 'list' });
      expect(Array.isArray(list.away) && (list.away as string[]).includes(gone.name), `the users list should name ${gone.name} in away; got ${json(list)}`);
      await stillOpen(old.peer, 'after someone went away');
      expect(!old.peer.unread.some((f) => f.type === 'away'), `a version-1 session should get no away frame; got ${json(old.peer.unread)}`);
      expectError(await ctx.ask(old.peer, { type: 'away' }), 'unknown_type', 'away from a version-1 session');
      const back = await ctx.ask(gone.peer, { type: 'back' });
      expect(back.type === 'away' && back.away === false, `back should be echoed as away false; got ${json(back)}`);
      const after = await ctx.ask(watcher.peer, { type: 'list' });
      expect(!(Array.isArray(after.away) && (after.away as string[]).includes(gone.name)), `after back the users list should not name ${gone.name} in away; got ${json(after)}`);
    },
  },
  {
    section: '15.2.1',
    must: 'the echo of a whisper to someone away MUST carry their message the first time that sender whispers them in an away period, and MUST NOT afterwards',
    async run(ctx) {
      const sender = await ctx.join(ctx.name(), 2);
      if ((sender.welcome.features as Record<string, unknown> | undefined)?.away !== true) throw new Skip('the server does not say features.away');
      const gone = await ctx.join(ctx.name(), 2);
      await ctx.ask(gone.peer, { type: 'away', message: 'back at 3' });
      const first = await ctx.ask(sender.peer, { type: 'whisper', to: gone.name, text: 'are you there?' });
      expect(first.type === 'whisper' && first.away === 'back at 3', `the first whisper's echo should carry away "back at 3"; got ${json(first)}`);
      const second = await ctx.ask(sender.peer, { type: 'whisper', to: gone.name, text: 'hello?' });
      expect(second.type === 'whisper' && second.away === undefined, `the second whisper's echo should not carry away; got ${json(second)}`);
      await ctx.ask(gone.peer, { type: 'away', message: 'in a meeting' });
      const again = await ctx.ask(sender.peer, { type: 'whisper', to: gone.name, text: 'now?' });
      expect(again.type === 'whisper' && again.away === 'in a meeting', `a new away period should be told again; got ${json(again)}`);
    },
  },
  ...ROOM_CHECKS,
];

/** Whether the server completes a TLS handshake on the port (any certificate: only the protocol is checked here). */
function speaksTls(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 5_000);
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}
