import type { ConnId, Outbox } from '../../src/server/hub.js';
import type { ServerMessage } from '../../src/wire/messages.js';

/** An Outbox that records what each connection would have received, decoded, for hub tests. */
export class FakeOutbox implements Outbox {
  readonly received = new Map<ConnId, ServerMessage[]>();
  readonly closed = new Set<ConnId>();
  /** How many distinct Buffers were handed out: a broadcast to N people should add one, not N. */
  readonly buffers = new Set<Buffer>();

  send(conn: ConnId, frame: Buffer, _backlog?: boolean): void {
    this.buffers.add(frame);
    const list = this.received.get(conn) ?? [];
    list.push(JSON.parse(frame.toString('utf8')) as ServerMessage);
    this.received.set(conn, list);
  }

  close(conn: ConnId): void {
    this.closed.add(conn);
  }

  /** Everything conn received since the last call. */
  take(conn: ConnId): ServerMessage[] {
    const list = this.received.get(conn) ?? [];
    this.received.set(conn, []);
    return list;
  }
}
