import net from 'node:net';
import { dialableAddress, Handshake, isLinkId, isSecret } from '../../wire/direct.js';
import { dialRefusal } from '../../wire/dial.js';
import { DIRECT_MIN_PORT } from '../../wire/limits.js';
import type { ClientMessage, PrivateEndReason, ServerMessage } from '../../wire/messages.js';
import { foldName } from '../../wire/names.js';
import { sanitizeText } from '../../wire/sanitize.js';
import type { ClientCore } from './core.js';
import { connectDirect, DEFAULT_LINK_OPTIONS, DirectListener, type DirectLink, type DirectLinkOptions, type LinkHandlers, type OutgoingWhisper } from './directlink.js';
import type { ChatEvent, PrivateState } from './events.js';

// The client's direct private chats, one per peer: it watches what the user sends (/private, /allow, /deny,
// /stopprivate, whispers) and the server's private_* frames, opens the listener or the connection when the
// server hands over the details, and routes whispers to a peer over its open link. It only ever listens
// after the user asked and only connects after the user allowed, whatever the server says. Every way a
// link ends tells the server (so the other side is told) and resends unconfirmed whispers via the server.

export interface DirectManagerOptions {
  core: ClientCore;
  /** Queue a frame for the server (the session paces it). */
  toServer: (m: ClientMessage) => void;
  emit: (e: ChatEvent) => void;
  /** Our end of the server connection: the interface the server reaches us on, where we listen. */
  localAddress: () => string | undefined;
  /** The server's address as our socket sees it: what bounds where the server may send us (PROTOCOL.md §10.5). */
  serverAddress: () => string | undefined;
  link?: Partial<DirectLinkOptions>;
}

interface Peer {
  name: string;
  /** requested: they asked us and wait for our answer; the rest as PrivateState. */
  state: 'requested' | Exclude<PrivateState, 'closed'>;
  link?: DirectLink;
  /** Where the server said they are when they asked: shown with the question, the only address we dial. */
  host?: string;
  /** Abandons a listener or connection attempt still in progress. */
  abort?: () => void;
}

const END_WORDS: Record<PrivateEndReason, (name: string) => string> = {
  denied: (n) => `${n} refused your private-chat request`,
  cancelled: (n) => `${n} withdrew the private-chat request`,
  stopped: (n) => `${n} closed the direct chat`,
  left: (n) => `${n} left, so the private chat is over`,
  timeout: (n) => `the private-chat request with ${n} lapsed (no answer in time)`,
  unreachable: (n) => `a direct connection with ${n} could not be made`,
  failed: (n) => `the direct link with ${n} could not be authenticated`,
  lost: (n) => `the direct link with ${n} was lost`,
};

const FALLBACK = 'whispers go through the server';

export class DirectManager {
  private readonly peers = new Map<string, Peer>();
  private readonly linkOptions: DirectLinkOptions;

  constructor(private readonly o: DirectManagerOptions) {
    this.linkOptions = { ...DEFAULT_LINK_OPTIONS, ...o.link };
  }

  /** Whether whispers to `name` currently go over a direct link. */
  isDirect(name: string): boolean {
    return this.peers.get(foldName(name))?.link?.isOpen === true;
  }

  /** A frame the user's input produced. Returns true when it was handled here and must not go to the server. */
  outgoing(m: ClientMessage): boolean {
    switch (m.type) {
      case 'whisper': {
        const link = this.peers.get(foldName(m.to))?.link;
        if (!link?.isOpen) return false;
        link.send(m);
        return true;
      }
      case 'private': {
        const p = this.peers.get(foldName(m.to));
        if (p?.state === 'open') return this.refuse(`a direct chat with ${p.name} is already open`);
        // Asking someone who asked us is consent (the server treats it so too).
        if (p?.state === 'requested') p.state = 'allowed';
        else if (!p) this.peers.set(foldName(m.to), { name: m.to, state: 'asked' });
        return false;
      }
      case 'allow': {
        const p = this.peers.get(foldName(m.name));
        if (p?.state !== 'requested') return this.refuse(`${m.name} has not asked you for a private chat`);
        p.state = 'allowed';
        this.status(p.name, 'allowed', `you allowed ${p.name}'s request; setting up the direct link`);
        return false;
      }
      case 'deny': {
        const p = this.peers.get(foldName(m.name));
        if (p?.state !== 'requested') return this.refuse(`${m.name} has not asked you for a private chat`);
        this.peers.delete(foldName(m.name));
        this.status(p.name, 'closed', `you refused ${p.name}'s private-chat request`);
        return false;
      }
      case 'private_end': {
        const p = this.peers.get(foldName(m.name));
        if (!p) return this.refuse(`you have no private chat with ${m.name}`);
        const resent = this.teardown(p, 'stopped');
        this.status(p.name, 'closed', `direct chat with ${p.name} closed; ${FALLBACK}${resentNote(resent)}`, 'stopped');
        return false;
      }
      default:
        return false;
    }
  }

  /** Every frame from the server; the private_* ones drive the links, renames and errors keep names right. */
  receive(m: ServerMessage): void {
    switch (m.type) {
      case 'private_request': {
        const name = sanitizeText(m.from);
        const p = this.peers.get(foldName(name));
        if (p && p.state !== 'requested') return; // a crossing request: ours is consent already
        const host = m.host !== undefined && net.isIP(dialableAddress(m.host)) !== 0 ? dialableAddress(m.host) : undefined;
        this.peers.set(foldName(name), { name, state: 'requested', ...(host !== undefined && { host }) });
        // An address the client will refuse whatever the port is said now, not after the user allowed.
        const refused = host === undefined ? null : dialRefusal(host, DIRECT_MIN_PORT, this.o.serverAddress());
        return this.o.emit({ kind: 'private_request', from: name, time: m.time, ...(host !== undefined && { host }), ...(refused !== null && { refused }) });
      }
      case 'private_asked': {
        const p = this.peers.get(foldName(m.to));
        if (p?.state === 'asked') this.status(p.name, 'asked', `asked ${p.name} for a direct private chat; waiting for their answer`);
        return;
      }
      case 'private_listen':
        return void this.listen(m);
      case 'private_connect':
        return this.connect(m);
      case 'private_end': {
        const p = this.peers.get(foldName(m.with));
        if (!p) return;
        const resent = this.teardown(p, 'stopped');
        // The reason is only type-checked as a string on the wire: an unknown one is not passed on.
        const known = Object.hasOwn(END_WORDS, m.reason) ? m.reason : undefined;
        const words = known ? END_WORDS[known](p.name) : `the private chat with ${p.name} ended`;
        return this.status(p.name, 'closed', `${words}; ${FALLBACK}${resentNote(resent)}`, known);
      }
      case 'blocks': {
        // Blocking someone ends any private chat with them: nothing of theirs arrives by any path.
        const blocked = new Set(m.names.map((n) => foldName(sanitizeText(n))));
        for (const [key, p] of this.peers) {
          if (!blocked.has(key)) continue;
          this.teardown(p, 'stopped');
          this.o.toServer({ type: 'private_end', name: p.name, reason: 'stopped' });
          this.status(p.name, 'closed', `direct chat with ${p.name} closed: you block them`, 'stopped');
        }
        return;
      }
      case 'renamed': {
        const p = this.peers.get(foldName(m.old));
        if (!p) return;
        this.peers.delete(foldName(m.old));
        p.name = sanitizeText(m.new);
        this.peers.set(foldName(p.name), p);
        return;
      }
      case 'error': {
        // A request the server refused leaves nothing to wait for.
        if (m.name === undefined || !['private', 'allow', 'private_port'].includes(m.re ?? '')) return;
        if (m.code === 'already_private') return;
        const p = this.peers.get(foldName(m.name));
        if (p && p.state !== 'open') {
          p.abort?.();
          this.peers.delete(foldName(m.name));
        }
        return;
      }
      default:
        return;
    }
  }

  /** Close every link (we quit, or lost the server: the server ends our pairings for the peers). */
  closeAll(reason: string): void {
    for (const p of this.peers.values()) this.teardown(p, reason);
    this.peers.clear();
  }

  /** The server says the peer consented: listen, and report the port. Only if we asked. */
  private async listen(m: Extract<ServerMessage, { type: 'private_listen' }>): Promise<void> {
    const p = this.peers.get(foldName(m.with));
    if (p?.state !== 'asked' || !isSecret(m.secret) || !isLinkId(m.link)) return this.unexpected(m.with);
    p.state = 'connecting';
    const host = dialableAddress(this.o.localAddress() ?? '127.0.0.1');
    try {
      const open = () => DirectListener.open(host, () => new Handshake('listener', m.secret, m.link), this.handlers(p), this.linkOptions);
      let listener = await open();
      // The peer refuses to dial a port below DIRECT_MIN_PORT; a system whose ephemeral range reaches lower gets more tries.
      for (let i = 0; i < 8 && listener.port < DIRECT_MIN_PORT; i++) {
        listener.stop();
        listener = await open();
      }
      if (this.peers.get(foldName(p.name)) !== p) return listener.stop(); // stopped while we were opening it
      p.abort = () => listener.stop();
      this.o.toServer({ type: 'private_port', link: m.link, port: listener.port });
      this.status(p.name, 'connecting', `${p.name} allowed your request; waiting for them to connect directly`);
    } catch (err) {
      this.failed(p, `could not listen on ${host}: ${(err as Error).message}`);
    }
  }

  /**
   * The server hands over the asker's address: connect. Only if we allowed, only to the address shown when
   * we did, and only where the server could honestly have seen the asker (dialRefusal).
   */
  private connect(m: Extract<ServerMessage, { type: 'private_connect' }>): void {
    const p = this.peers.get(foldName(m.with));
    if (p?.state !== 'allowed' || !isSecret(m.secret) || !isLinkId(m.link) || net.isIP(m.host) === 0) return this.unexpected(m.with);
    const host = dialableAddress(m.host);
    const where = hostPort(host, m.port);
    const why =
      p.host === undefined
        ? 'the server did not say where they are when they asked'
        : host !== p.host
          ? `it is not ${p.host}, the address shown when you allowed`
          : dialRefusal(host, m.port, this.o.serverAddress());
    if (why !== null) {
      this.teardown(p, 'failed');
      this.o.toServer({ type: 'private_end', name: p.name, reason: 'failed' });
      return this.status(p.name, 'closed', `did not connect to ${p.name} at ${where}: ${why}; ${FALLBACK}`, 'failed');
    }
    p.state = 'connecting';
    this.status(p.name, 'connecting', `connecting directly to ${p.name} at ${where}`);
    p.abort = connectDirect(host, m.port, new Handshake('connector', m.secret, m.link), this.handlers(p), this.linkOptions);
  }

  private handlers(p: Peer): LinkHandlers {
    const current = () => this.peers.get(foldName(p.name)) === p;
    return {
      onOpen: (link) => {
        if (!current()) return void link.close('stopped');
        p.state = 'open';
        p.link = link;
        delete p.abort;
        this.status(p.name, 'open', `direct chat with ${p.name} is open: your whispers to ${p.name} now go straight to them, not through the server`);
      },
      onWhisper: (n, text) => {
        if (this.o.core.blocked.some((b) => foldName(b) === foldName(p.name))) return; // blocked mid-link
        this.o.core.lastWhisperFrom = p.name;
        this.o.emit({ kind: 'whisper', id: n, from: p.name, to: this.o.core.name, text, time: Date.now(), outgoing: false, direct: true });
      },
      onDelivered: (n, w) => {
        this.o.emit({ kind: 'whisper', id: n, from: this.o.core.name, to: p.name, text: sanitizeText(w.text), time: Date.now(), outgoing: true, direct: true, ...(w.ref !== undefined && { ref: w.ref }) });
      },
      onRefused: (message, w) => {
        this.o.emit({ kind: 'error', text: w ? `${p.name}'s client refused your whisper: ${message}` : `${p.name}'s client: ${message}`, ...(w?.ref !== undefined && { ref: w.ref }) });
      },
      onClose: (why, wasOpen, unsent) => {
        if (!current()) return this.resend(unsent);
        this.peers.delete(foldName(p.name));
        this.o.toServer({ type: 'private_end', name: p.name, reason: wasOpen ? 'lost' : 'unreachable' });
        this.resend(unsent);
        const what = wasOpen ? `direct chat with ${p.name} closed: ${why}` : `could not connect directly with ${p.name}: ${why}`;
        this.status(p.name, 'closed', `${what}; ${FALLBACK}${resentNote(unsent)}`, wasOpen ? 'lost' : 'unreachable');
      },
    };
  }

  /** Close whatever is open or in progress with `p`, forget it, and resend what the peer did not confirm. */
  private teardown(p: Peer, reason: string): OutgoingWhisper[] {
    this.peers.delete(foldName(p.name));
    p.abort?.();
    const unsent = p.link?.close(reason) ?? [];
    this.resend(unsent);
    return unsent;
  }

  private failed(p: Peer, why: string): void {
    this.teardown(p, 'failed');
    this.o.toServer({ type: 'private_end', name: p.name, reason: 'failed' });
    this.status(p.name, 'closed', `could not set up a direct chat with ${p.name}: ${why}; ${FALLBACK}`, 'failed');
  }

  /** Connection details we did not ask for, or malformed: refuse them, and end the pairing on the server. */
  private unexpected(name: string): void {
    const p = this.peers.get(foldName(name));
    if (p) this.teardown(p, 'failed');
    this.o.toServer({ type: 'private_end', name, reason: 'failed' });
    this.o.emit({ kind: 'error', text: `ignored direct-chat details for ${sanitizeText(name)} that you did not ask for or allow` });
  }

  private resend(unsent: OutgoingWhisper[]): void {
    for (const w of unsent) this.o.toServer(w);
  }

  private refuse(text: string): true {
    this.o.emit({ kind: 'error', text: sanitizeText(text) });
    return true;
  }

  private status(name: string, state: PrivateState, detail: string, reason?: PrivateEndReason): void {
    this.o.emit({ kind: 'private', with: name, state, detail, ...(reason !== undefined && { reason }), time: Date.now() });
  }
}

/** `host:port`, with IPv6 addresses in brackets (RFC 3986 §3.2.2) so the port stays readable. */
function hostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function resentNote(unsent: OutgoingWhisper[]): string {
  if (unsent.length === 0) return '';
  return unsent.length === 1 ? '; 1 unconfirmed whisper was resent through the server' : `; ${unsent.length} unconfirmed whispers were resent through the server`;
}
