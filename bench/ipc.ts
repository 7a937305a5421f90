// Messages between the orchestrator (run.ts) and the load-generating worker processes (worker.ts).
import type { ProtoName } from './protocols.js';

export interface ClientSpec {
  nick: string;
  /** Sender index (0..9) for the clients that send, -1 for pure receivers. */
  sender: number;
}

export type ToWorker =
  | { cmd: 'connect'; id: number; proto: ProtoName; host: string; port: number; clients: ClientSpec[]; timeoutMs: number; maxInFlight: number;
      /** IRC only: false stops at registration (001) without joining the channel. parley's hello always enters the room. */
      enterRoom: boolean }
  /** Start a measured step: count only payloads of `run`; senders (if any here) send `ratePerSender` msg/s from `startUs`. */
  | { cmd: 'start'; id: number; run: number; ratePerSender: number; startUs: number; durationMs: number;
      /** Payload size in bytes. */
      payloadBytes: number;
      /** Spread the senders across one interval (true) or let them all send on the same tick. */
      stagger: boolean }
  | { cmd: 'count'; id: number }
  | { cmd: 'collect'; id: number }
  | { cmd: 'close'; id: number }
  | { cmd: 'exit' };

export interface CpuTimes {
  /** User + system CPU seconds of this process so far. */
  cpuSec: number;
  /** The system (kernel) part of it. */
  sysSec: number;
  /** Times this process went to sleep waiting (voluntary context switches): each is a wakeup someone paid for. */
  sleeps: number;
}

export type FromWorker =
  | { ev: 'ready'; pid: number }
  | ({
      ev: 'connected';
      id: number;
      joined: number;
      failed: number;
      lastJoinUs: number;
      /** When each client's TCP connection was up, and when each was in the room (µs, nowUs), in order. */
      connectUs: number[];
      joinUs: number[];
      errors: string[];
      failedSpecs: ClientSpec[];
    } & CpuTimes)
  | ({ ev: 'started'; id: number } & CpuTimes)
  | { ev: 'sent'; id: number; run: number; sent: number; target: number; maxLagMs: number }
  | { ev: 'count'; id: number; received: number; dead: number }
  | ({
      ev: 'collected';
      id: number;
      received: number;
      stale: number;
      dead: number;
      firstUs: number;
      lastUs: number;
      hist: Array<[number, number]>;
      maxUs: number;
    } & CpuTimes)
  | { ev: 'closed'; id: number };
