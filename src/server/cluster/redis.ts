import { Redis } from 'ioredis';
import { REDIS_COMMAND_TIMEOUT_MS, REDIS_RETRY_MAX_MS } from '../../wire/limits.js';

// Connections to the cluster's Redis (ioredis). Commands fail fast while Redis is away instead of piling up
// in a queue: the node then refuses what needs Redis with a clear error and keeps serving its own users,
// and ioredis keeps reconnecting in the background (quick retries, then every REDIS_RETRY_MAX_MS).

/** Where the cluster's Redis is, from `redis://[:password@]HOST[:PORT][/DB]`. */
export interface RedisAddress {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** The URL with any password masked, for logs and messages. */
  shown: string;
}

/** A `--redis` URL that cannot be used; the message is one line for the operator. */
export class RedisUrlError extends Error {}

/**
 * Parse a Redis URL (`redis://HOST:PORT/DB`; port 6379 and db 0 by default; `rediss://` is refused: this
 * build does not configure TLS to Redis). Throws RedisUrlError naming what is wrong.
 */
export function parseRedisUrl(text: string): RedisAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RedisUrlError(`"${text}" is not a URL; write redis://HOST:PORT/DB`);
  }
  if (url.protocol !== 'redis:') throw new RedisUrlError(`"${url.protocol}" is not supported; write redis://HOST:PORT/DB`);
  if (url.hostname === '') throw new RedisUrlError('the Redis URL has no host; write redis://HOST:PORT/DB');
  const port = url.port === '' ? 6379 : Number(url.port);
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!/^\d*$/.test(dbText) || !Number.isInteger(db) || db < 0 || db > 15) {
    throw new RedisUrlError(`"${dbText}" is not a database number (0-15); write redis://HOST:PORT/DB`);
  }
  const shown = `redis://${url.password ? `${url.username}:***@` : ''}${url.host}/${db}`;
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    ...(url.username && { username: decodeURIComponent(url.username) }),
    ...(url.password && { password: decodeURIComponent(url.password) }),
    shown,
  };
}

/** How a connection reports its state changes: `up` after (re)connecting, `down` with why when lost. */
export type LinkListener = (state: 'up' | 'down', detail: string) => void;

/**
 * One ioredis connection to `address`. `name` shows in CLIENT LIST (which node, which job). It connects
 * in the background; commands issued while it is not ready reject at once (enableOfflineQueue off).
 */
export function openRedis(address: RedisAddress, name: string, onState?: LinkListener): Redis {
  const redis = new Redis({
    host: address.host,
    port: address.port,
    db: address.db,
    ...(address.username !== undefined && { username: address.username }),
    ...(address.password !== undefined && { password: address.password }),
    connectionName: name,
    enableOfflineQueue: false,
    // A command in flight when the link dropped is failed, not resent: the caller decides (a publish
    // whose fate is unknown is refused to the user, who resends with the same ref).
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 10), REDIS_RETRY_MAX_MS),
    lazyConnect: false,
  });
  let wasUp = false;
  redis.on('ready', () => {
    wasUp = true;
    onState?.('up', `connected to ${address.shown}`);
  });
  // ioredis also emits 'error' on every failed reconnect; without a listener Node would throw it.
  let lastError = '';
  redis.on('error', (err: Error) => {
    lastError = err.message;
  });
  redis.on('close', () => {
    if (!wasUp) return;
    wasUp = false;
    onState?.('down', `lost ${address.shown}${lastError ? `: ${lastError}` : ''}`);
  });
  return redis;
}

/** Resolves once `redis` is ready; rejects after `timeoutMs` with the last connection error. */
export function whenReady(redis: Redis, address: RedisAddress, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError = 'no answer';
    const onError = (err: Error): void => {
      lastError = err.message;
    };
    const onReady = (): void => {
      clearTimeout(timer);
      redis.off('error', onError);
      resolve();
    };
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      redis.off('error', onError);
      reject(new Error(`cannot reach Redis at ${address.shown} (${lastError}); start it or fix --redis`));
    }, timeoutMs);
    redis.on('error', onError);
    redis.once('ready', onReady);
  });
}
