// The control channel (`sealdns control ...`): a local unix socket speaking JSON lines. The client
// writes one request per line, `{"id": 1, "cmd": "stats"}` (also `{"cmd": "flush", "name":
// "example.com"}`, `servers`, `reload`); the server answers each with one line, `{"id": 1, "ok":
// true, "result": ...}` or `{"id": 1, "ok": false, "error": "..."}`, in order. The socket file is
// created mode 0600 (only its owner may connect; the commands flush caches and reload the
// configuration). A stale socket file left by a crashed server is replaced; one a running server
// answers on is not.

import { chmod, unlink } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CONTROL_COMMANDS = ['stats', 'flush', 'servers', 'reload'] as const;
export type ControlCommandName = (typeof CONTROL_COMMANDS)[number];

export type ControlRequest =
  | { id?: number | string; cmd: 'stats' | 'servers' | 'reload' }
  | { id?: number | string; cmd: 'flush'; name: string };

export type ControlResponse =
  | { id?: number | string; ok: true; result: unknown }
  | { id?: number | string; ok: false; error: string };

/** What the control server does for each command (the CLI wires it to the running server). */
export interface ControlHandlers {
  stats(): Promise<unknown> | unknown;
  flush(name: string): Promise<unknown> | unknown;
  servers(): Promise<unknown> | unknown;
  reload(): Promise<unknown> | unknown;
}

export interface ControlLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

/** Longest request line accepted (a flush of a 255-octet name fits easily). */
const MAX_LINE = 4096;
/** Requests one connection may have waiting. */
const MAX_PENDING = 16;

/** `$XDG_RUNTIME_DIR/sealdns.sock`, else `/tmp/sealdns-<uid>.sock`. */
export function defaultControlSocket(env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime !== undefined && runtime !== '') return join(runtime, 'sealdns.sock');
  return join(tmpdir(), `sealdns-${process.getuid?.() ?? 'user'}.sock`);
}

/** Parses and checks one request line; throws Error with the reason. */
export function parseControlRequest(line: string): ControlRequest {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new Error('not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('a request is a JSON object');
  const o = v as Record<string, unknown>;
  const id = typeof o.id === 'number' || typeof o.id === 'string' ? o.id : undefined;
  if (!CONTROL_COMMANDS.includes(o.cmd as ControlCommandName))
    throw new Error(`unknown command ${JSON.stringify(o.cmd)} (one of ${CONTROL_COMMANDS.join(', ')})`);
  if (o.cmd === 'flush') {
    if (typeof o.name !== 'string' || o.name === '') throw new Error('flush needs a name');
    return { id, cmd: 'flush', name: o.name };
  }
  return { id, cmd: o.cmd as 'stats' | 'servers' | 'reload' };
}

/** Listens on `path` (a unix socket) and runs `handlers` for each request. */
export async function startControlServer(
  path: string,
  handlers: ControlHandlers,
  log?: ControlLogger,
): Promise<ControlServer> {
  await removeStale(path);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    serveConnection(socket, handlers, log);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(path, 0o600);
  server.on('error', (err) => log?.warn({ err }, 'control socket error'));
  let closing: Promise<void> | undefined;
  return {
    path,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}

function serveConnection(socket: net.Socket, handlers: ControlHandlers, log?: ControlLogger): void {
  let buf = '';
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  const send = (r: ControlResponse): void => {
    if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(r)}\n`);
  };
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
      if (line === '') continue;
      if (++pending > MAX_PENDING) {
        send({ ok: false, error: 'too many requests waiting' });
        socket.end();
        return;
      }
      // in order, one at a time: a reload never overlaps another command of the same client
      chain = chain.then(async () => {
        send(await run(line, handlers, log));
        pending--;
      });
    }
    if (buf.length > MAX_LINE) {
      send({ ok: false, error: 'request line too long' });
      socket.destroy();
    }
  });
}

async function run(line: string, handlers: ControlHandlers, log?: ControlLogger): Promise<ControlResponse> {
  let req: ControlRequest;
  try {
    req = parseControlRequest(line);
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  const id = req.id === undefined ? {} : { id: req.id };
  try {
    let result: unknown;
    switch (req.cmd) {
      case 'stats':
        result = await handlers.stats();
        break;
      case 'servers':
        result = await handlers.servers();
        break;
      case 'flush':
        result = await handlers.flush(req.name);
        break;
      case 'reload':
        result = await handlers.reload();
        break;
    }
    if (req.cmd === 'flush' || req.cmd === 'reload') log?.info({ cmd: req.cmd, ...id }, 'control command done');
    return { ...id, ok: true, result: result ?? null };
  } catch (e) {
    log?.warn({ cmd: req.cmd, err: e }, 'control command failed');
    return { ...id, ok: false, error: (e as Error).message ?? String(e) };
  }
}

/** Removes a socket file nobody answers on; refuses to take over one in use. */
async function removeStale(path: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const c = net.connect({ path });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`control socket ${path} is in use by another process`);
  await unlink(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}

// --- client -------------------------------------------------------------------------------------

/** Sends one request over the control socket and resolves with the server's answer. */
export function controlRequest(path: string, req: ControlRequest, timeoutMs = 30_000): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path });
    let buf = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(e);
    };
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${JSON.stringify({ id: 1, ...req })}\n`));
    socket.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      socket.end();
      try {
        resolve(JSON.parse(buf.slice(0, nl)) as ControlResponse);
      } catch {
        reject(new Error('the server sent something that is not JSON'));
      }
    });
    socket.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
          ? new Error(`no sealdns control socket at ${path} (is \`sealdns serve\` running with it?)`)
          : e,
      ),
    );
    socket.once('end', () => {
      if (buf.indexOf('\n') < 0) fail(new Error('the server closed the control connection without answering'));
    });
  });
}
