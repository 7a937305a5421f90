import { MAX_OFFLINE_BYTES_PER_SENDER, MAX_OFFLINE_BYTES_TOTAL } from '../wire/limits.js';
import type { ErrorCode } from '../wire/messages.js';
import type { Store } from './store.js';

// What one sender may make the server keep for people who are offline. Whispers to someone online cost
// nothing to store; a stored one is bytes on disk until its recipient logs in, so a sender (by name, and by
// source address, since a guest can rename) has a quota, the server has a total, and nothing new is stored
// while the disk is low (issue 10: one host once filled the database at 19 MB/min).

export interface Refusal {
  code: ErrorCode;
  message: string;
}

const KiB = 1024;

/** Why a whisper of `bytes` from `senderKey` at `source` may not be stored now, or null. Store errors throw. */
export function offlineRefusal(store: Store, senderKey: string, source: string, bytes: number): Refusal | null {
  if (store.lowOnDisk()) return diskFull('whispers to people who are offline are not stored; whisper them when they are online');
  const mine = Math.max(store.offlineBytesFrom(senderKey), store.offlineBytesFromSource(source));
  if (mine + bytes > MAX_OFFLINE_BYTES_PER_SENDER) {
    return {
      code: 'quota_exceeded',
      message: `you already have ${Math.round(mine / KiB)} KiB of whispers waiting for people who are offline (at most ${MAX_OFFLINE_BYTES_PER_SENDER / KiB} KiB); wait until they log in`,
    };
  }
  if (store.offlineBytesTotal() + bytes > MAX_OFFLINE_BYTES_TOTAL) {
    return { code: 'quota_exceeded', message: 'the server holds as many whispers for offline users as it will; try again after they log in' };
  }
  return null;
}

/** The refusal for anything new to store while the disk is low. */
export function diskFull(what: string): Refusal {
  return { code: 'disk_full', message: `the server is low on disk space: ${what}` };
}
