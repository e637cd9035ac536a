/** Public surface of the transport layer. */
export * from './agent.js';
export * from './client.js';
export * from './clock.js';
export * from './connector.js';
export * from './diagnostics.js';
export * from './errors.js';
export * from './framing.js';
export * from './limits.js';
export * from './pairing.js';
export { abortError, PendingQuery } from './pending.js';
export * from './pool.js';
export * from './random.js';
export * from './ring.js';
export * from './tcp.js';
export * from './udp.js';
export * from './upstream.js';
