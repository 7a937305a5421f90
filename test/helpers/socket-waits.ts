import type net from 'node:net';

/** What the line-level test clients share: wait for the next arrival or the close, with deadlines. */
export abstract class SocketWaits {
  closed = false;
  private waiters: Array<() => void> = [];

  protected constructor(readonly socket: net.Socket) {
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('the connection is still open');
      await this.wait(left);
    }
  }

  close(): void {
    this.socket.destroy();
  }

  /** Until the next arrival or close, or `ms`. */
  protected wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  protected wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
