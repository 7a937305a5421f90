/**
 * Text that waits in memory and goes out in one write: the server's console and server.log (issue 15,
 * target 6). Both are written synchronously, and Node accepts one connection (and reads one socket) per
 * event-loop turn, so nothing per turn would batch their lines: a join storm of 1,000 clients paid 1,000
 * write() calls for its `connect` lines alone.
 *
 * Lines wait until `delayMs` after the first of them, or until `maxBytes` (UTF-8, as written) wait,
 * whichever comes first; then `write` gets all of them, in order, in one call. `flush()` writes what waits
 * at once (shutdown, the exit handler, a fatal error).
 */
export class LineBuffer {
  private text = '';
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;

  /**
   * @param write takes the waiting text (whole lines, newline-terminated); what it throws reaches the
   *   caller of `add` or `flush`, so a sink that must not fail (a full disk) catches its own errors.
   * @param delayMs the longest a line waits, in milliseconds.
   * @param maxBytes written at once when this many bytes wait.
   */
  constructor(
    private readonly write: (text: string) => void,
    private readonly delayMs: number,
    private readonly maxBytes: number,
  ) {}

  /** Queue `line` (without its newline). */
  add(line: string): void {
    this.text += line + '\n';
    // Bytes as written (UTF-8), not UTF-16 units: a line of CJK text is three times its length.
    this.bytes += Buffer.byteLength(line) + 1;
    if (this.bytes >= this.maxBytes) this.flush();
    else if (this.timer === null) {
      // Unreferenced: waiting lines must not keep a finished process alive (its exit path flushes them).
      this.timer = setTimeout(() => this.flush(), this.delayMs);
      this.timer.unref();
    }
  }

  /** Write what waits now, in one call; nothing if nothing waits. */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.text === '') return;
    const text = this.text;
    this.text = '';
    this.bytes = 0;
    this.write(text);
  }
}
