import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Tmux } from '../../../src/tui/screen/tmux.js';

// A private tmux server (the irssi test's, the IRC screenshot's) must leave nothing behind: tmux keeps
// its socket file after kill-server, and every run left one more in /tmp/tmux-UID. The servers here get a
// TMUX_TMPDIR of their own, so what is left there is exactly what the driver left.

const saved = process.env.TMUX_TMPDIR;
let dir = '';
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-tmux-'));
  process.env.TMUX_TMPDIR = dir;
});
afterEach(() => {
  if (saved === undefined) delete process.env.TMUX_TMPDIR;
  else process.env.TMUX_TMPDIR = saved;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!Tmux.available())('a private tmux server', () => {
  it('leaves no socket file behind once closed, and close can be called again', () => {
    const tmux = new Tmux(`driver-test-${process.pid}`, 'driver-test');
    tmux.open(20, 5, [['sleep', '30']]);
    const socket = path.join(dir, `tmux-${process.getuid!()}`, `driver-test-${process.pid}`);
    expect(fs.statSync(socket).isSocket()).toBe(true); // the path is where tmux put it
    tmux.close();
    expect(fs.readdirSync(path.dirname(socket))).toEqual([]);
    tmux.close();
    expect(fs.readdirSync(path.dirname(socket))).toEqual([]);
  });
});
