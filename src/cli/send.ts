import { Transport } from '../transport/client.js';

/** Sends one query over UDP or TCP with sealdns's own transport and returns the paired reply. */
export async function sendRaw(
  wire: Uint8Array,
  target: { ip: string; port: number; protocol: 'udp' | 'tcp' },
  timeoutMs: number,
): Promise<Uint8Array> {
  const t = new Transport();
  try {
    const reply = await t.query(wire, { ...target, auth: 'none' }, AbortSignal.timeout(timeoutMs));
    return reply.wire;
  } finally {
    t.destroy();
  }
}
