import fs from 'node:fs';
import path from 'node:path';
import { isFingerprint } from '../../wire/fingerprint.js';
import { configDir } from '../config/paths.js';

// The servers this user has trusted, as ssh's known_hosts: one line per server, `host:port SHA256:...`, in
// $XDG_CONFIG_HOME/parley/known_servers (XDG Base Directory spec; ~/.config when the variable is unset or
// not absolute). Keyed by host and port as typed (lower-cased): a name and its address are different
// entries, as in ssh, because what the user typed is what they vouched for.

/** `host:port` as the file and the prompts write it; IPv6 addresses in brackets. */
export function serverKey(host: string, port: number): string {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return `${h.includes(':') ? `[${h}]` : h}:${port}`;
}

export class KnownServers {
  constructor(readonly file: string = path.join(configDir(), 'known_servers')) {}

  /** The remembered fingerprint of `server` (a serverKey), and the line it is on (1-based), if any. */
  lookup(server: string): { fingerprint: string; line: number } | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return undefined; // no file yet: nothing trusted
    }
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const [key, fp] = lines[i]!.trim().split(/\s+/);
      if (key === server && fp !== undefined && isFingerprint(fp)) return { fingerprint: fp, line: i + 1 };
    }
    return undefined;
  }

  /** Remember `fingerprint` for `server`. The directory is made private (0700), the file 0600, like ~/.ssh. */
  remember(server: string, fingerprint: string): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    fs.appendFileSync(this.file, `${server} ${fingerprint}\n`, { mode: 0o600 });
  }
}
