// Errors a person sees: one line, a stable code, and the exit status the command-line clients use for it.

export type ClientErrorCode = 'usage' | 'unreachable' | 'name_refused' | 'connection_lost' | 'protocol' | 'auth_failed' | 'signed_out' | 'untrusted';

export const EXIT_CODES: Record<ClientErrorCode, number> = {
  usage: 2,
  unreachable: 3,
  name_refused: 4,
  connection_lost: 5,
  protocol: 5,
  /** No password, a wrong one, or the name is locked. */
  auth_failed: 6,
  /** Logged in from another location, or logged out for being idle. */
  signed_out: 7,
  /** The server's TLS key is not one the user trusts (unknown and not accepted, or changed). */
  untrusted: 8,
};

export class ParleyError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ParleyError';
  }
}

/** A socket error as a person would say it. */
export function describeSocketError(err: NodeJS.ErrnoException, host: string, port: number): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return `cannot connect to ${host}:${port}: connection refused (is parley-server running there?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot connect to ${host}:${port}: unknown host "${host}"`;
    case 'ETIMEDOUT':
      return `cannot connect to ${host}:${port}: timed out`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `cannot connect to ${host}:${port}: no route to that host`;
    default:
      return `cannot connect to ${host}:${port}: ${err.message}`;
  }
}
