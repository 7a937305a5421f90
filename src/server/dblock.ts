import Database from 'better-sqlite3';

// One server per database. Two servers on one file both used to start, and the second refused every
// message. The lock is an exclusive SQLite transaction held open on `<db>.lock` for the life of the
// process: the operating system drops it when the process ends, however it ends (kill -9 included), so
// there is never a stale lock to clean up, and no pid file to be fooled by a reused pid. The database
// itself is not locked: `parley-server user ...` and backups still work beside a running server.

/** Another server holds the lock. */
export class DatabaseInUse extends Error {}

export interface DatabaseLock {
  readonly path: string;
  release(): void;
}

/** Take the lock for `dbFile`, or throw DatabaseInUse at once (no waiting). `:memory:` needs none. */
export function lockDatabase(dbFile: string): DatabaseLock {
  const path = `${dbFile}.lock`;
  if (dbFile === ':memory:') return { path, release() {} };
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new DatabaseInUse(`another parley-server is already using the database ${dbFile}`, { cause: err });
    throw err;
  }
  return {
    path,
    release() {
      if (db.open) db.close();
    },
  };
}
