// Frame Streams (fstrm), the framing dnstap travels in (standards digest 10.4), written from the
// protocol description: a data frame is a 32-bit big-endian length (> 0) and that many octets; a
// control frame starts with the escape 0x00000000, then its own 32-bit length, a 32-bit type and
// fields (32-bit field type, 32-bit length, value). The only field is CONTENT_TYPE.
//
// - File (unidirectional): START(content type), data frames, STOP.
// - Unix socket (bidirectional): the writer sends READY(content types), the reader answers ACCEPT
//   (the content type it takes), the writer sends START, data frames, STOP; the reader answers
//   FINISH and the writer closes.
//
// The writer never grows without limit and never blocks its caller: data frames wait in a
// bounded ring while the output is not ready (connecting, reconnecting with back-off) or slow
// (the stream's own buffer above a high-water mark); a frame that does not fit is dropped and
// counted. A dnstap collector that stops reading therefore costs at most the configured bytes.

import { createWriteStream, type WriteStream } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { RingQueue } from '../transport/ring.js';

export const FstrmControl = { ACCEPT: 0x01, START: 0x02, STOP: 0x03, READY: 0x04, FINISH: 0x05 } as const;
export const FSTRM_FIELD_CONTENT_TYPE = 0x01;
/** Longest control frame (its length field), per the Frame Streams protocol. */
export const MAX_CONTROL_FRAME = 512;
/** Longest content type string. */
export const MAX_CONTENT_TYPE = 256;
/** Longest data frame the reader accepts (a dnstap message holds two DNS messages of at most 64 KiB). */
export const MAX_DATA_FRAME = 1 << 20;

export type FstrmErrorCode = 'bad-frame' | 'frame-too-large' | 'handshake' | 'content-type' | 'io';

export class FstrmError extends Error {
  override readonly name = 'FstrmError';
  readonly code: FstrmErrorCode;
  constructor(code: FstrmErrorCode, message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.code = code;
  }
}

export type Frame = { kind: 'data'; payload: Uint8Array } | { kind: 'control'; type: number; contentTypes: string[] };

/** One control frame with the given content types (escape and length included). */
export function controlFrame(type: number, contentTypes: readonly string[] = []): Uint8Array {
  const types = contentTypes.map((t) => Buffer.from(t, 'utf8'));
  for (const t of types)
    if (t.length > MAX_CONTENT_TYPE) throw new FstrmError('content-type', `content type of ${t.length} octets`);
  const body = 4 + types.reduce((n, t) => n + 8 + t.length, 0);
  if (body > MAX_CONTROL_FRAME) throw new FstrmError('frame-too-large', `control frame of ${body} octets`);
  const out = Buffer.alloc(8 + body);
  out.writeUInt32BE(0, 0);
  out.writeUInt32BE(body, 4);
  out.writeUInt32BE(type, 8);
  let p = 12;
  for (const t of types) {
    out.writeUInt32BE(FSTRM_FIELD_CONTENT_TYPE, p);
    out.writeUInt32BE(t.length, p + 4);
    t.copy(out, p + 8);
    p += 8 + t.length;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** One data frame carrying `payload` (which must not be empty: length 0 is the control escape). */
export function dataFrame(payload: Uint8Array): Uint8Array {
  if (payload.length === 0) throw new FstrmError('bad-frame', 'empty data frame');
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, 4);
  return out;
}

function parseControl(body: Uint8Array): Frame {
  const v = new DataView(body.buffer, body.byteOffset, body.length);
  if (body.length < 4) throw new FstrmError('bad-frame', `control frame of ${body.length} octets`);
  const type = v.getUint32(0);
  const contentTypes: string[] = [];
  let p = 4;
  while (p < body.length) {
    if (p + 8 > body.length) throw new FstrmError('bad-frame', 'truncated control field');
    const field = v.getUint32(p);
    const len = v.getUint32(p + 4);
    if (p + 8 + len > body.length) throw new FstrmError('bad-frame', 'control field longer than its frame');
    if (field === FSTRM_FIELD_CONTENT_TYPE) {
      if (len > MAX_CONTENT_TYPE) throw new FstrmError('content-type', `content type of ${len} octets`);
      contentTypes.push(Buffer.from(body.subarray(p + 8, p + 8 + len)).toString('utf8'));
    }
    p += 8 + len;
  }
  return { kind: 'control', type, contentTypes };
}

/** Incremental decoder: feed it chunks as they arrive, get whole frames back. */
export class FrameDecoder {
  #buf: Uint8Array = new Uint8Array(0);
  readonly #maxData: number;

  constructor(maxDataFrame = MAX_DATA_FRAME) {
    this.#maxData = maxDataFrame;
  }

  /** Octets received that do not yet form a whole frame. */
  get pending(): number {
    return this.#buf.length;
  }

  push(input: Uint8Array): Frame[] {
    // a plain view, so frames are Uint8Arrays even when the chunk is a Buffer
    const chunk = new Uint8Array(input.buffer, input.byteOffset, input.length);
    if (this.#buf.length === 0) this.#buf = chunk;
    else {
      const joined = new Uint8Array(this.#buf.length + chunk.length);
      joined.set(this.#buf);
      joined.set(chunk, this.#buf.length);
      this.#buf = joined;
    }
    const frames: Frame[] = [];
    const b = this.#buf;
    const v = new DataView(b.buffer, b.byteOffset, b.length);
    let p = 0;
    for (;;) {
      if (b.length - p < 4) break;
      const len = v.getUint32(p);
      if (len !== 0) {
        if (len > this.#maxData) throw new FstrmError('frame-too-large', `data frame of ${len} octets`);
        if (b.length - p - 4 < len) break;
        frames.push({ kind: 'data', payload: b.slice(p + 4, p + 4 + len) });
        p += 4 + len;
        continue;
      }
      if (b.length - p < 8) break;
      const clen = v.getUint32(p + 4);
      if (clen > MAX_CONTROL_FRAME) throw new FstrmError('frame-too-large', `control frame of ${clen} octets`);
      if (b.length - p - 8 < clen) break;
      frames.push(parseControl(b.subarray(p + 8, p + 8 + clen)));
      p += 8 + clen;
    }
    this.#buf = p === b.length ? new Uint8Array(0) : b.slice(p);
    return frames;
  }
}

/** Every frame of a complete Frame Streams file or capture; throws if it ends inside a frame. */
export function readFrames(bytes: Uint8Array, maxDataFrame = MAX_DATA_FRAME): Frame[] {
  const d = new FrameDecoder(maxDataFrame);
  const frames = d.push(bytes);
  if (d.pending > 0) throw new FstrmError('bad-frame', `${d.pending} octets after the last whole frame`);
  return frames;
}

/**
 * The payloads of a unidirectional stream (START with `contentType`, data, STOP). Throws when the
 * stream does not start with START for that content type or does not end with STOP.
 */
export function readDataFrames(bytes: Uint8Array, contentType: string): Uint8Array[] {
  const frames = readFrames(bytes);
  const first = frames[0];
  if (first?.kind !== 'control' || first.type !== FstrmControl.START)
    throw new FstrmError('bad-frame', 'the stream does not begin with START');
  if (first.contentTypes.length > 0 && !first.contentTypes.includes(contentType))
    throw new FstrmError('content-type', `content type ${first.contentTypes.join(', ')}, not ${contentType}`);
  const last = frames[frames.length - 1];
  if (frames.length < 2 || last.kind !== 'control' || last.type !== FstrmControl.STOP)
    throw new FstrmError('bad-frame', 'the stream does not end with STOP');
  const out: Uint8Array[] = [];
  for (const f of frames.slice(1, -1)) {
    if (f.kind !== 'data') throw new FstrmError('bad-frame', `control frame ${f.type} inside the stream`);
    out.push(f.payload);
  }
  return out;
}

// --- writer ----------------------------------------------------------------------------------------

export type FstrmOutput = { file: string } | { socket: string };

export interface FstrmWriterOptions {
  contentType: string;
  /** Data frames held while the output is not ready or slow (default 10,000). */
  maxQueuedFrames?: number;
  /** Octets held in the queue (default 8 MiB). */
  maxQueuedBytes?: number;
  /** Octets the output stream may buffer before frames wait in the queue instead (default 1 MiB). */
  highWaterBytes?: number;
  /** Socket: READY → ACCEPT deadline, and how long `close()` waits for FINISH (default 5 s). */
  handshakeTimeoutMs?: number;
  /** Socket: reconnection back-off, doubling from min to max (default 1 s .. 30 s). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Told about output errors (the writer keeps going: reconnects, or drops for a broken file). */
  onError?: (err: Error) => void;
}

export interface FstrmWriterStats {
  /** Data frames handed to the output. */
  written: number;
  /** Data frames dropped: queue full, output gone, or still queued at close. */
  dropped: number;
  /** Data frames waiting in the queue now. */
  queued: number;
  /** Completed handshakes (socket) or opened files. */
  connects: number;
  errors: number;
}

type State = 'connecting' | 'ready' | 'backoff' | 'closing' | 'closed';

export const DEFAULT_MAX_QUEUED_FRAMES = 10_000;
export const DEFAULT_MAX_QUEUED_BYTES = 8 << 20;
export const DEFAULT_HIGH_WATER_BYTES = 1 << 20;

/** A Frame Streams writer to a file or a unix socket. */
export class FstrmWriter {
  readonly output: FstrmOutput;
  readonly #opts: Required<Omit<FstrmWriterOptions, 'onError'>> & Pick<FstrmWriterOptions, 'onError'>;
  readonly #queue = new RingQueue<Uint8Array>();
  #queuedBytes = 0;
  #state: State = 'connecting';
  #stream: WriteStream | Socket | undefined;
  #backoffMs: number;
  #timer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;
  /** Called when the socket reader's FINISH arrives (or the socket goes away) during close. */
  #onFinish: (() => void) | undefined;
  /** Called when a pending connection attempt settles (ready or failed), for close() to wait on. */
  #onSettled: (() => void) | undefined;
  readonly #stats = { written: 0, dropped: 0, connects: 0, errors: 0 };

  constructor(output: FstrmOutput, opts: FstrmWriterOptions) {
    this.output = output;
    this.#opts = {
      contentType: opts.contentType,
      maxQueuedFrames: opts.maxQueuedFrames ?? DEFAULT_MAX_QUEUED_FRAMES,
      maxQueuedBytes: opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
      highWaterBytes: opts.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES,
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 5_000,
      reconnectMinMs: opts.reconnectMinMs ?? 1_000,
      reconnectMaxMs: opts.reconnectMaxMs ?? 30_000,
      onError: opts.onError,
    };
    if (Buffer.byteLength(opts.contentType) > MAX_CONTENT_TYPE)
      throw new FstrmError('content-type', 'content type too long');
    this.#backoffMs = this.#opts.reconnectMinMs;
    if ('file' in output) this.#openFile(output.file);
    else this.#connect(output.socket);
  }

  get stats(): FstrmWriterStats {
    return { ...this.#stats, queued: this.#queue.length };
  }

  /** Whether the output is connected (socket handshake done, or file open) and taking frames. */
  get ready(): boolean {
    return this.#state === 'ready';
  }

  /**
   * Queues one payload as a data frame. Returns false when it was dropped (queue full or writer
   * closed); never throws for output problems and never blocks.
   */
  write(payload: Uint8Array): boolean {
    if (this.#state === 'closing' || this.#state === 'closed' || payload.length === 0) {
      this.#stats.dropped++;
      return false;
    }
    if (
      this.#queue.length >= this.#opts.maxQueuedFrames ||
      this.#queuedBytes + payload.length + 4 > this.#opts.maxQueuedBytes
    ) {
      this.#stats.dropped++;
      return false;
    }
    this.#queue.push(dataFrame(payload));
    this.#queuedBytes += payload.length + 4;
    if (this.#state === 'ready') this.#flush(false);
    return true;
  }

  /** Whether frames can be taken now without being dropped (cheap check before encoding one). */
  get accepting(): boolean {
    return (
      this.#state !== 'closing' &&
      this.#state !== 'closed' &&
      this.#queue.length < this.#opts.maxQueuedFrames &&
      this.#queuedBytes < this.#opts.maxQueuedBytes
    );
  }

  /** Counts a frame the caller chose not to build (e.g. `accepting` was false). */
  countDropped(n = 1): void {
    this.#stats.dropped += n;
  }

  /**
   * Writes what is queued, then STOP; over a socket waits for FINISH (bounded), then closes.
   * Frames that cannot be delivered (no connection at close) are counted as dropped. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    clearTimeout(this.#timer);
    if (this.#state === 'connecting') {
      // give a handshake in progress its chance (bounded by its own deadline)
      await new Promise<void>((resolve) => {
        this.#onSettled = resolve;
      });
    }
    const wasReady = this.#state === 'ready';
    this.#state = 'closing';
    const stream = this.#stream;
    if (!wasReady || stream === undefined) {
      this.#dropQueue();
      stream?.destroy();
      this.#state = 'closed';
      return;
    }
    this.#flush(true);
    const socket = 'file' in this.output ? undefined : (stream as Socket);
    const finished =
      socket === undefined
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, this.#opts.handshakeTimeoutMs);
            this.#onFinish = () => {
              clearTimeout(timer);
              resolve();
            };
          });
    stream.write(controlFrame(FstrmControl.STOP));
    await finished;
    await new Promise<void>((resolve) => {
      if (stream.destroyed) {
        resolve();
        return;
      }
      stream.once('close', () => resolve());
      stream.once('error', () => resolve());
      stream.end();
    });
    this.#state = 'closed';
  }

  #dropQueue(): void {
    this.#stats.dropped += this.#queue.length;
    this.#queue.drain();
    this.#queuedBytes = 0;
  }

  /** Moves queued frames into the stream while its buffer is below the high-water mark (all of them when `all`). */
  #flush(all: boolean): void {
    const s = this.#stream;
    if (s === undefined) return;
    while (this.#queue.length > 0 && (all || s.writableLength < this.#opts.highWaterBytes)) {
      const f = this.#queue.shift()!;
      this.#queuedBytes -= f.length;
      s.write(f);
      this.#stats.written++;
    }
  }

  #error(err: Error): void {
    this.#stats.errors++;
    try {
      this.#opts.onError?.(err);
    } catch {
      // a logger's bug must not break the writer
    }
  }

  #settled(): void {
    const f = this.#onSettled;
    this.#onSettled = undefined;
    f?.();
  }

  #openFile(path: string): void {
    const ws = createWriteStream(path, { flags: 'w' });
    this.#stream = ws;
    ws.on('error', (err) => {
      this.#error(new FstrmError('io', `dnstap file ${path}: ${err.message}`, { cause: err }));
      // a file that cannot be written stays broken: drop from now on
      this.#stream = undefined;
      this.#dropQueue();
      if (this.#state !== 'closing') this.#state = 'closed';
      this.#settled();
    });
    ws.on('drain', () => {
      if (this.#state === 'ready') this.#flush(false);
    });
    ws.once('open', () => {
      if (this.#state !== 'connecting') return;
      ws.write(controlFrame(FstrmControl.START, [this.#opts.contentType]));
      this.#state = 'ready';
      this.#stats.connects++;
      this.#settled();
      this.#flush(false);
    });
  }

  #connect(path: string): void {
    this.#state = 'connecting';
    const socket = connect({ path });
    this.#stream = socket;
    const decoder = new FrameDecoder(MAX_CONTROL_FRAME);
    let accepted = false;
    const handshakeTimer = setTimeout(() => {
      socket.destroy(new FstrmError('handshake', `dnstap socket ${path}: no ACCEPT within the deadline`));
    }, this.#opts.handshakeTimeoutMs);
    socket.once('connect', () => {
      socket.write(controlFrame(FstrmControl.READY, [this.#opts.contentType]));
    });
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      } catch (e) {
        socket.destroy(e as Error);
        return;
      }
      for (const f of frames) {
        if (f.kind !== 'control') {
          socket.destroy(new FstrmError('bad-frame', 'the dnstap reader sent a data frame'));
          return;
        }
        if (!accepted && f.type === FstrmControl.ACCEPT) {
          if (!f.contentTypes.includes(this.#opts.contentType)) {
            socket.destroy(
              new FstrmError('content-type', `the reader accepts ${f.contentTypes.join(', ') || 'nothing'}`),
            );
            return;
          }
          accepted = true;
          clearTimeout(handshakeTimer);
          socket.write(controlFrame(FstrmControl.START, [this.#opts.contentType]));
          this.#state = 'ready';
          this.#stats.connects++;
          this.#backoffMs = this.#opts.reconnectMinMs;
          this.#settled();
          this.#flush(false);
        } else if (f.type === FstrmControl.FINISH) {
          this.#onFinish?.();
        }
      }
    });
    socket.on('drain', () => {
      if (this.#state === 'ready') this.#flush(false);
    });
    socket.on('error', (err) => {
      this.#error(
        err instanceof FstrmError ? err : new FstrmError('io', `dnstap socket ${path}: ${err.message}`, { cause: err }),
      );
    });
    socket.once('close', () => {
      clearTimeout(handshakeTimer);
      if (this.#stream === socket) this.#stream = undefined;
      this.#onFinish?.();
      if (this.#state === 'closing' || this.#state === 'closed') return;
      // connection lost or refused: keep queueing (bounded) and try again later
      this.#state = 'backoff';
      this.#settled();
      const delay = this.#backoffMs;
      this.#backoffMs = Math.min(this.#opts.reconnectMaxMs, this.#backoffMs * 2);
      this.#timer = setTimeout(() => {
        if (this.#state === 'backoff') this.#connect(path);
      }, delay);
      this.#timer.unref();
    });
  }
}
