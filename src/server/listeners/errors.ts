// Errors of the server frame (authoritative server and resolver service): bad options at start-up and listeners that cannot
// bind. Protocol problems with clients are never errors: they are answered (FORMERR, SERVFAIL,
// HTTP 4xx) or dropped, and logged.

export type ServeErrorCode =
  | 'bad-option' // an option is out of range or contradicts another (e.g. DoT without `tls`)
  | 'bind-failed'; // a listener could not bind its address and port

export type ServeMetricLabel = 'config' | 'bind';

export class ServeError extends Error {
  override readonly name = 'ServeError';
  readonly code: ServeErrorCode;
  readonly metricLabel: ServeMetricLabel;
  /** The listener concerned, when there is one. */
  readonly listener: string | undefined;

  constructor(code: ServeErrorCode, reason: string, opts: { listener?: string; cause?: unknown } = {}) {
    super(reason, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.metricLabel = code === 'bad-option' ? 'config' : 'bind';
    this.listener = opts.listener;
  }
}
