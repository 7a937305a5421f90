import os from 'node:os';
import path from 'node:path';

// Where parley keeps a person's files, by the XDG Base Directory Specification
// (specifications.freedesktop.org/basedir-spec): settings under $XDG_CONFIG_HOME, logs under
// $XDG_DATA_HOME. A relative value is invalid by the spec and is ignored, as the spec says.

/** The environment variables these paths read; tests pass their own. */
export type Env = Readonly<Record<string, string | undefined>>;

function base(env: Env, variable: string, fallback: string[]): string {
  const value = env[variable];
  if (value && path.isAbsolute(value)) return value;
  return path.join(env['HOME'] || os.homedir(), ...fallback);
}

/** `$XDG_CONFIG_HOME/parley`, else `~/.config/parley`. */
export function configDir(env: Env = process.env): string {
  return path.join(base(env, 'XDG_CONFIG_HOME', ['.config']), 'parley');
}

/** `$XDG_DATA_HOME/parley`, else `~/.local/share/parley`. */
export function dataDir(env: Env = process.env): string {
  return path.join(base(env, 'XDG_DATA_HOME', ['.local', 'share']), 'parley');
}

/** The config file: `configDir()/config.toml`. */
export function configFile(env: Env = process.env): string {
  return path.join(configDir(env), 'config.toml');
}

/** The default root of the chat logs: `dataDir()/logs`. */
export function logsDir(env: Env = process.env): string {
  return path.join(dataDir(env), 'logs');
}
