/** Public surface of the wire layer: the DNS message codec. */
export * from './canonical.js';
export * from './constants.js';
export * from './edns.js';
export * from './encoding.js';
export * from './errors.js';
export { NameMode } from './fields.js';
export * from './ip.js';
export * from './message.js';
export * from './name.js';
export * from './rdata.js';
export { WireReader } from './reader.js';
export * from './svcb.js';
export * from './text.js';
export * from './tokenizer.js';
export { WireWriter } from './writer.js';
