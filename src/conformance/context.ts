import { randomBytes } from 'node:crypto';
import { ANSWER_MS, Peer, type Frame } from './peer.js';

// What a check gets: connections to the server under test, closed for it when the check ends, and the
// small steps every check repeats (join with a fresh name, ask and wait for the answer, pace requests under
// the server's flood limit).

/** The check cannot run against this server (a feature it says it does not have); not a failure. */
export class Skip extends Error {}

/** A failed expectation; the message says what was expected and what came instead. */
export class Failure extends Error {}

export function expect(ok: boolean, message: string): asserts ok {
  if (!ok) throw new Failure(message);
}

export interface Joined {
  peer: Peer;
  name: string;
  welcome: Frame;
}

export class Context {
  private readonly peers: Peer[] = [];

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  /** A name no other check (or earlier run) uses: `cf` and 10 random letters and digits. */
  name(): string {
    return `cf${randomBytes(8).toString('base64url').replace(/[^A-Za-z0-9]/g, '').slice(0, 10).padEnd(10, '0')}`;
  }

  async connect(): Promise<Peer> {
    const peer = await Peer.connect(this.host, this.port);
    this.peers.push(peer);
    return peer;
  }

  /** Connect and join as a guest with a fresh name (protocol `version`); fails the check unless `welcome` comes back. */
  async join(name = this.name(), version = 1): Promise<Joined> {
    const peer = await this.connect();
    peer.send({ type: 'hello', name, version });
    const welcome = await peer.take((f) => f.type === 'welcome' || f.type === 'error', 'welcome');
    expect(welcome.type === 'welcome', `hello as ${name} should be welcomed; got ${JSON.stringify(welcome)}`);
    // Replayed history and stored whispers come right after welcome; a ping's pong marks their end.
    peer.send({ type: 'ping', token: 'welcomed' });
    await peer.take((f) => f.type === 'pong' && f.token === 'welcomed', 'the pong after welcome');
    peer.drop((f) => f.history === true || f.late === true);
    return { peer, name, welcome };
  }

  /** Send `frame` and take the first frame that answers it: carrying `ref`, or an error. */
  async ask(peer: Peer, frame: Record<string, unknown>, what = `the answer to ${String(frame.type)}`, ms = ANSWER_MS): Promise<Frame> {
    const ref = typeof frame.ref === 'string' ? frame.ref : `r${randomBytes(4).toString('hex')}`;
    peer.send({ ...frame, ref });
    // welcome is the one reply that does not copy the ref (it opens the session).
    return peer.take((f) => f.ref === ref || (f.type === 'error' && f.ref === undefined) || (frame.type === 'hello' && f.type === 'welcome'), what, ms);
  }

  /**
   * ask(), waiting out `slow_down` (a server MAY budget password checks per address, §9; other checks
   * spend that budget with wrong passwords) up to three times, as a client would.
   */
  async askPatiently(peer: Peer, frame: Record<string, unknown>, what: string): Promise<Frame> {
    for (let i = 0; ; i++) {
      const reply = await this.ask(peer, frame, what, 30_000);
      const seconds = reply.type === 'error' && reply.code === 'slow_down' && typeof reply.seconds === 'number' ? reply.seconds : undefined;
      if (seconds === undefined || i === 3 || seconds > 30) return reply;
      await new Promise((r) => setTimeout(r, seconds * 1000 + 100));
    }
  }

  /**
   * Join as a registered user: register a fresh name with a password. Skips when the server has no
   * accounts. Returns the password too.
   */
  async registered(): Promise<Joined & { password: string; registeredToken: string }> {
    const j = await this.join();
    const password = `pw-${randomBytes(9).toString('base64url')}`;
    const reply = await this.ask(j.peer, { type: 'register', password }, 'registered', 30_000);
    if (reply.type === 'error' && reply.code === 'accounts_off') throw new Skip('the server has no accounts');
    expect(reply.type === 'registered', `register should answer registered; got ${JSON.stringify(reply)}`);
    return { ...j, password, registeredToken: String(reply.token) };
  }

  /** Close every connection this check opened. */
  closeAll(): void {
    for (const p of this.peers) p.close();
    this.peers.length = 0;
  }
}

/** Whether the server says it has accounts (true when it does not say: try, and skip on accounts_off). */
export function mayHaveAccounts(welcome: Frame): boolean {
  const features = welcome.features as Record<string, unknown> | undefined;
  return features?.accounts !== 'off';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
