// `sealdns serve --workers N`: the primary process forks N workers (node:cluster) that run the
// resolver and share the listening sockets. TCP, DoT and DoH sockets are the primary's: it
// accepts connections and hands them to the workers in turn (round-robin); a UDP socket is bound
// once by the primary and every worker reads datagrams from that same handle (Node shares UDP
// handles — there is no round-robin for datagrams, the kernel wakes whichever worker is
// waiting). The listeners pass `exclusive: false` in workers for that (src/server/listeners).
//
// Each worker has its own caches, metrics and upstream state. The primary owns what must exist
// once: the metrics endpoint (the workers' metrics summed through prom-client's
// AggregatorRegistry over the cluster IPC channel), the control socket (commands forwarded to
// every worker, answers gathered), and reload (checked by the primary, applied by each worker).
// A worker that dies is replaced.

import cluster, { type Worker } from 'node:cluster';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { type ControlServer, startControlServer } from '../observe/control.js';
import { createLogger } from '../observe/log.js';
import { clusterMetrics } from '../observe/metrics.js';
import { type MetricsEndpoint, startMetricsEndpoint } from '../observe/metrics-http.js';
import type { BoundListener } from '../server/service.js';
import type { Config } from './config.js';
import { hostPort, type Operations, type ReloadReport, stableKey, startOperations } from './operate.js';
import {
  loadRecordsFile,
  loadServeConfig,
  readTlsCredentials,
  type ServeFlags,
  type Serving,
  startServe,
  untilSignal,
} from './serve.js';

type CommandBody =
  | { cmd: 'stats' | 'servers' }
  | { cmd: 'flush'; name: string }
  | { cmd: 'apply'; fileText: string | undefined };

type WorkerCommand = ({ type: 'sealdns:cmd'; id: number } & CommandBody) | { type: 'sealdns:stop' };

type WorkerMessage =
  | { type: 'sealdns:ready'; listeners: BoundListener[] }
  | { type: 'sealdns:failed'; error: string }
  | { type: 'sealdns:result'; id: number; ok: true; result: unknown }
  | { type: 'sealdns:result'; id: number; ok: false; error: string };

/** How long workers get to start, to answer a command, and to stop before being killed. */
const START_TIMEOUT_MS = 30_000;
const COMMAND_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
/** A worker that dies is replaced after this delay; more than MAX_RESTARTS in a minute gives up. */
const RESTART_DELAY_MS = 1_000;
const MAX_RESTARTS = 10;

const isWorkerMessage = (m: unknown): m is WorkerMessage =>
  typeof m === 'object' &&
  m !== null &&
  typeof (m as { type?: unknown }).type === 'string' &&
  (m as { type: string }).type.startsWith('sealdns:');

// --- primary --------------------------------------------------------------------------------------

interface Slot {
  index: number;
  worker: Worker | undefined;
  /** The worker said it serves (and so listens for commands: messages sent before are lost). */
  ready: boolean;
  listeners: BoundListener[];
}

/** Checks what workers will read (certificate, root hints, trust anchor) once, in the primary. */
async function checkFiles(config: Config): Promise<void> {
  await readTlsCredentials(config);
  if (config.rootHintsFile !== undefined) await loadRecordsFile('root-hints', config.rootHintsFile);
  if (config.trustAnchorFile !== undefined) await loadRecordsFile('trust-anchor', config.trustAnchorFile);
}

export async function runPrimary(flags: ServeFlags, initial: Config): Promise<void> {
  let config = initial;
  const log = createLogger(config.logLevel, { role: 'primary' });
  await checkFiles(config);
  const slots: Slot[] = Array.from({ length: config.workers }, (_, index) => ({
    index,
    worker: undefined,
    ready: false,
    listeners: [],
  }));
  let stopping = false;
  let nextId = 1;
  /** Commands waiting for a worker's answer, by id (`worker`: the process they were sent to). */
  const waiting = new Map<number, { worker: Worker; resolve: (m: WorkerMessage) => void; timer: NodeJS.Timeout }>();
  /** A worker that exits answers nothing more: its waiting commands fail now. */
  const abandon = (w: Worker) => {
    for (const [id, c] of waiting) {
      if (c.worker !== w) continue;
      waiting.delete(id);
      clearTimeout(c.timer);
      c.resolve({ type: 'sealdns:result', id, ok: false, error: 'the worker exited' });
    }
  };
  const restarts: number[] = [];

  cluster.on('message', (_w, m: unknown) => {
    if (!isWorkerMessage(m) || m.type !== 'sealdns:result') return;
    const w = waiting.get(m.id);
    if (w === undefined) return;
    waiting.delete(m.id);
    clearTimeout(w.timer);
    w.resolve(m);
  });

  /** Forks the worker of `slot`; resolves when it serves, rejects when it cannot start. */
  const fork = (slot: Slot): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const w = cluster.fork({ SEALDNS_WORKER: String(slot.index + 1) });
      slot.worker = w;
      slot.ready = false;
      let up = false;
      const timer = setTimeout(() => {
        w.kill('SIGKILL');
        reject(new Error(`worker ${slot.index + 1} did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      w.on('message', (m: unknown) => {
        if (!isWorkerMessage(m)) return;
        if (m.type === 'sealdns:ready') {
          up = true;
          slot.ready = true;
          clearTimeout(timer);
          slot.listeners = m.listeners;
          resolve();
        } else if (m.type === 'sealdns:failed') {
          clearTimeout(timer);
          reject(new Error(m.error));
        }
      });
      w.once('exit', (code, signal) => {
        clearTimeout(timer);
        abandon(w);
        if (slot.worker === w) {
          slot.worker = undefined;
          slot.ready = false;
        }
        if (!up) {
          reject(new Error(`worker ${slot.index + 1} exited while starting (${signal ?? `code ${code}`})`));
          return;
        }
        if (stopping) return;
        log.warn({ worker: slot.index + 1, pid: w.process.pid, code, signal }, 'worker died: replacing it');
        const now = Date.now();
        restarts.push(now);
        while (restarts.length > 0 && now - restarts[0] > 60_000) restarts.shift();
        if (restarts.length > MAX_RESTARTS) {
          log.error({ restarts: restarts.length }, 'workers keep dying: not replacing them any more');
          return;
        }
        setTimeout(() => {
          if (!stopping)
            fork(slot).catch((e: unknown) =>
              log.error({ worker: slot.index + 1, err: (e as Error).message }, 'replacement worker failed'),
            );
        }, RESTART_DELAY_MS).unref();
      });
    });

  const live = () => slots.filter((s): s is Slot & { worker: Worker } => s.ready && s.worker?.isConnected() === true);

  /** Sends a command to every live worker; resolves with each one's answer. */
  const broadcast = async (
    cmd: CommandBody,
  ): Promise<{ worker: number; ok: boolean; result?: unknown; error?: string }[]> =>
    Promise.all(
      live().map(
        (s) =>
          new Promise<{ worker: number; ok: boolean; result?: unknown; error?: string }>((resolve) => {
            const id = nextId++;
            const timer = setTimeout(() => {
              waiting.delete(id);
              resolve({ worker: s.index + 1, ok: false, error: 'no answer' });
            }, COMMAND_TIMEOUT_MS);
            waiting.set(id, {
              worker: s.worker,
              timer,
              resolve: (m) =>
                resolve(
                  m.type === 'sealdns:result'
                    ? m.ok
                      ? { worker: s.index + 1, ok: true, result: m.result }
                      : { worker: s.index + 1, ok: false, error: m.error }
                    : { worker: s.index + 1, ok: false, error: 'unexpected answer' },
                ),
            });
            s.worker.send({ type: 'sealdns:cmd', id, ...cmd } as WorkerCommand);
          }),
      ),
    );

  const stopAll = async (): Promise<void> => {
    stopping = true;
    await Promise.all(
      slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            const w = s.worker;
            if (w === undefined || w.isDead()) return resolve();
            const timer = setTimeout(() => w.kill('SIGKILL'), STOP_TIMEOUT_MS);
            w.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (w.isConnected()) w.send({ type: 'sealdns:stop' } satisfies WorkerCommand);
            else w.kill('SIGTERM');
          }),
      ),
    );
  };

  try {
    await Promise.all(slots.map(fork));
  } catch (e) {
    await stopAll();
    throw e;
  }

  let endpoint: MetricsEndpoint | undefined;
  let control: ControlServer | undefined;
  const aggregated = clusterMetrics();
  const startEndpoint = (m: { address: string; port: number }) =>
    startMetricsEndpoint(m.address, m.port, aggregated, log);

  const reload = async (): Promise<unknown> => {
    const fileText = flags.config === undefined ? undefined : await readFile(flags.config, 'utf8');
    const next = await loadServeConfig(flags, fileText);
    await checkFiles(next);
    const restartNeeded: string[] = [];
    const applied: string[] = [];
    if (next.workers !== config.workers) restartNeeded.push('workers');
    if (stableKey(next.control) !== stableKey(config.control)) restartNeeded.push('control');
    let newEndpoint: MetricsEndpoint | undefined;
    const metricsChanged = stableKey(next.metrics) !== stableKey(config.metrics);
    if (metricsChanged && next.metrics !== undefined) newEndpoint = await startEndpoint(next.metrics);
    const results = await broadcast({ cmd: 'apply', fileText });
    const failed = results.filter((r) => !r.ok);
    if (failed.length === results.length && results.length > 0) {
      await newEndpoint?.close();
      throw new Error(`reload failed: ${failed[0].error}`);
    }
    if (metricsChanged) {
      const old = endpoint;
      endpoint = newEndpoint;
      await old?.close();
      applied.push(next.metrics === undefined ? 'metrics endpoint closed' : 'metrics endpoint');
    }
    if (next.logLevel !== config.logLevel) log.level = next.logLevel;
    config = { ...next, workers: config.workers, control: config.control };
    const report = {
      applied,
      restartNeeded,
      workers: results.map((r) =>
        r.ok ? { worker: r.worker, ...(r.result as ReloadReport) } : { worker: r.worker, error: r.error },
      ),
    };
    if (failed.length > 0)
      throw new Error(`reload failed in worker(s) ${failed.map((f) => `${f.worker}: ${f.error}`).join('; ')}`);
    log.info(report, 'configuration reloaded');
    return report;
  };

  try {
    if (config.metrics !== undefined) endpoint = await startEndpoint(config.metrics);
    if (config.control !== undefined) {
      const handlers = {
        stats: async () => {
          const r = await broadcast({ cmd: 'stats' });
          const per = r.map((x) => (x.ok ? { worker: x.worker, ...(x.result as object) } : x));
          return { workers: r.length, total: sumStats(r.filter((x) => x.ok).map((x) => x.result)), perWorker: per };
        },
        servers: async () => ({
          workers: (await broadcast({ cmd: 'servers' })).map((x) =>
            x.ok ? { worker: x.worker, servers: x.result } : { worker: x.worker, error: x.error },
          ),
        }),
        flush: async (name: string) => {
          const r = await broadcast({ cmd: 'flush', name });
          const bad = r.find((x) => !x.ok);
          if (bad) throw new Error(`worker ${bad.worker}: ${bad.error}`);
          return { ...(r[0]?.result as object), workers: r.length };
        },
        reload,
      };
      try {
        control = await startControlServer(config.control.socket, handlers, log);
      } catch (e) {
        if (config.control.explicit) throw e;
        log.warn({ socket: config.control.socket, err: (e as Error).message }, 'no control socket');
      }
    }
  } catch (e) {
    await endpoint?.close();
    await stopAll();
    throw e;
  }

  const listeners = slots[0].listeners.map((l) => `${l.transport} ${hostPort(l.address, l.port)}`).join(', ');
  log.info({ listen: listeners, workers: slots.length }, 'serving');
  if (endpoint !== undefined)
    log.info({ metrics: `http://${hostPort(endpoint.address, endpoint.port)}/metrics` }, 'metrics endpoint');
  if (control !== undefined) log.info({ socket: control.path }, 'control socket');
  process.stdout.write(`sealdns: serving on ${listeners} (${slots.length} workers)\n`);
  const sig = await untilSignal();
  log.info({ signal: sig }, 'stopping');
  await stopAll();
  await Promise.all([endpoint?.close(), control?.close()]);
}

/** Sums the numbers of the workers' stats, key by key (lists and text are taken from the first). */
export function sumStats(parts: unknown[]): unknown {
  if (parts.length === 0) return {};
  const [first] = parts;
  if (typeof first === 'number') return parts.reduce((a: number, b) => a + (typeof b === 'number' ? b : 0), 0);
  if (typeof first !== 'object' || first === null || Array.isArray(first)) return first;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(first)) {
    if (key === 'pid' || key === 'uptimeS') continue;
    out[key] = sumStats(parts.map((p) => (p as Record<string, unknown> | null)?.[key]));
  }
  return out;
}

// --- worker ---------------------------------------------------------------------------------------

export async function runWorker(flags: ServeFlags): Promise<void> {
  const id = process.env.SEALDNS_WORKER ?? String(cluster.worker?.id ?? '?');
  const send = (m: WorkerMessage) => {
    if (process.connected) process.send?.(m);
  };
  let serving: Serving;
  let ops: Operations;
  let log: Logger;
  try {
    const config = await loadServeConfig(flags);
    log = createLogger(config.logLevel, { worker: Number(id) });
    serving = await startServe(config, log);
    try {
      ops = await startOperations(serving, { reloadConfig: () => loadServeConfig(flags), role: 'worker' });
    } catch (e) {
      await serving.close();
      throw e;
    }
  } catch (e) {
    send({ type: 'sealdns:failed', error: `worker ${id}: ${(e as Error).message}` });
    process.exit(1);
  }

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await ops.close();
      await serving.close();
      process.exit(0);
    })();
    return stopped;
  };
  // Ctrl-C reaches every process of the group: the primary decides, and tells the workers.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => void stop());
  process.on('disconnect', () => void stop());
  process.on('message', (m: unknown) => {
    if (typeof m !== 'object' || m === null) return;
    const c = m as WorkerCommand;
    if (c.type === 'sealdns:stop') {
      void stop();
      return;
    }
    if (c.type !== 'sealdns:cmd') return;
    const run = async (): Promise<unknown> => {
      switch (c.cmd) {
        case 'stats':
          return ops.stats();
        case 'servers':
          return ops.servers();
        case 'flush':
          return ops.flush(c.name);
        case 'apply':
          return ops.apply(await loadServeConfig(flags, c.fileText));
      }
    };
    run().then(
      (result) => send({ type: 'sealdns:result', id: c.id, ok: true, result: result ?? null }),
      (e: unknown) => send({ type: 'sealdns:result', id: c.id, ok: false, error: (e as Error).message ?? String(e) }),
    );
  });
  send({ type: 'sealdns:ready', listeners: [...serving.service.listeners] });
  log.info({ pid: process.pid }, 'worker serving');
  await new Promise<void>(() => {
    // runs until the primary says stop (stop() exits the process)
  });
}
