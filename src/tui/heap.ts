import v8 from 'node:v8';

// The full-screen client's garbage-collector settings (issue 15, target 7). A busy room allocates fast and
// keeps little: 5,000 lines per room and the rows on screen. With V8's defaults the young generation grows to
// two 16 MiB halves and old space grows well past what is live, so the client sat at 105-118 MiB RSS at
// 1,000 lines a second; with these, at 77-80 MiB (`npm run bench:client`, same machine and load), for a few
// more scavenges. Both flags are read at each collection, so setting them at run time, before the screen
// starts, takes effect (a heap size such as --max-semi-space-size would only apply on the command line).

/** V8 flags for the full-screen client: the young generation stays at its first size; old space grows by 20 % over what is live. */
export const CLIENT_HEAP_FLAGS: readonly string[] = ['--semi-space-growth-factor=1', '--heap-growing-percent=20'];

/** Apply CLIENT_HEAP_FLAGS to this process (the full-screen client's, and the bench that measures it). */
export function tuneClientHeap(): void {
  for (const flag of CLIENT_HEAP_FLAGS) v8.setFlagsFromString(flag);
}
