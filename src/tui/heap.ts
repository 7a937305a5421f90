import v8 from 'node:v8';

// The full-screen client's garbage-collector settings (issue 15, target 7). A busy room allocates fast and
// keeps little: 5,000 lines per room and the rows on screen. The bin's shebang (main.ts) starts V8 in lite
// mode, which caps the young generation at 1 MiB halves; these two, read at each collection and so settable
// at run time before the screen starts, keep it at its first size and let old space grow by only 20 % over
// what is live (with V8's defaults and no lite mode the client sat at 105-118 MiB RSS at 1,000 lines a
// second; with these alone, 77-80 MiB in-process; lite mode and these, ~62 MiB as a process in tmux).

/** V8 flags for the full-screen client: the young generation stays at its first size; old space grows by 20 % over what is live. */
export const CLIENT_HEAP_FLAGS: readonly string[] = ['--semi-space-growth-factor=1', '--heap-growing-percent=20'];

/** Apply CLIENT_HEAP_FLAGS to this process (the full-screen client's, and the bench that measures it). */
export function tuneClientHeap(): void {
  for (const flag of CLIENT_HEAP_FLAGS) v8.setFlagsFromString(flag);
}
