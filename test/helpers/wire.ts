// Small helpers shared by the wire-layer tests.

import assert from 'node:assert/strict';
import {
  decodeRdata,
  decodeRdataFields,
  type Message,
  type Name,
  type RR,
  WireError,
  type WireErrorCode,
  WireReader,
} from '../../src/wire/index.js';

/** Octets from hex text; white space, newlines and `;` comments are ignored. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/;[^\n]*/g, '').replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex: ${text}`);
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Concatenates octet strings; numbers are single octets. */
export function concat(...parts: (Uint8Array | number | string)[]): Uint8Array {
  const chunks = parts.map((p) =>
    typeof p === 'number' ? Uint8Array.of(p) : typeof p === 'string' ? Uint8Array.from(p, (c) => c.charCodeAt(0)) : p,
  );
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

export const u16 = (v: number): Uint8Array => Uint8Array.of(v >> 8, v & 0xff);
export const u32 = (v: number): Uint8Array => Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);

/** A 12-octet header. */
export function header(counts: { id?: number; flags?: number; qd?: number; an?: number; ns?: number; ar?: number }) {
  return concat(
    u16(counts.id ?? 0),
    u16(counts.flags ?? 0),
    u16(counts.qd ?? 0),
    u16(counts.an ?? 0),
    u16(counts.ns ?? 0),
    u16(counts.ar ?? 0),
  );
}

/** Asserts that `fn` throws a WireError (with `code`, when given). */
export function throwsWire(fn: () => unknown, code?: WireErrorCode, message?: string): WireError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof WireError, `${message ?? 'expected a WireError'}: got ${String(caught)}`);
  if (code !== undefined) assert.equal(caught.code, code, `${message ?? ''} ${caught.message}`);
  return caught;
}

/**
 * A comparable plain form of a message or record: names become their lower-cased text
 * (compression may take the case of an earlier occurrence), Uint8Arrays become hex and
 * Maps become entry arrays.
 */
export function plain(v: unknown, exactCase = false): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Uint8Array) return `hex:${toHex(v)}`;
  if (isName(v)) return exactCase ? `name:${v.toString()}` : `name:${v.lower().toString()}`;
  if (v instanceof Map) return [...v.entries()].map(([k, x]) => [k, plain(x, exactCase)]);
  if (Array.isArray(v)) return v.map((x) => plain(x, exactCase));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = plain(x, exactCase);
  }
  return out;
}

function isName(v: object): v is Name {
  return typeof (v as Name).wire === 'string' && typeof (v as Name).lower === 'function';
}

export function assertSameMessage(actual: Message, expected: Message, exactCase = false): void {
  assert.deepEqual(plain(actual, exactCase), plain(expected, exactCase));
}

export function assertSameRR(actual: RR, expected: RR, exactCase = false): void {
  assert.deepEqual(plain(actual, exactCase), plain(expected, exactCase));
}

/**
 * The fast path (decodeRdata) and the field loop (decodeRdataFields) must agree on `raw`:
 * the same value, or WireErrors with the same code.
 */
export function assertDecodersAgree(type: number, raw: Uint8Array): void {
  const run = (f: typeof decodeRdata) => {
    try {
      return { value: plain(f(type, new WireReader(raw), raw.length), true) };
    } catch (e) {
      assert.ok(e instanceof WireError, String(e));
      return { code: e.code };
    }
  };
  assert.deepEqual(run(decodeRdata), run(decodeRdataFields), `type ${type}, RDATA ${toHex(raw)}`);
}
