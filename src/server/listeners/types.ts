import type { TlsCredentials } from './dot.js';
import type { ServeTransport } from './querylog.js';

/** One bound listener of a server built on the frame. */
export interface Listener {
  readonly kind: ServeTransport;
  /** The bound port (the kernel's choice when 0 was asked for). */
  readonly port: number;
  /** DoT and DoH: new connections present these (certificate renewal); open ones keep theirs. */
  setCredentials?(creds: TlsCredentials): void;
  /** Stops accepting, ends every open connection; resolves when all are gone. */
  close(): Promise<void>;
}
