import type { ServeTransport } from './querylog.js';

/** One bound listener of a server built on the frame. */
export interface Listener {
  readonly kind: ServeTransport;
  /** The bound port (the kernel's choice when 0 was asked for). */
  readonly port: number;
  /** Stops accepting, ends every open connection; resolves when all are gone. */
  close(): Promise<void>;
}
