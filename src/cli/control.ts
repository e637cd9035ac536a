// `sealdns control stats | flush NAME | servers | reload`: one request over the control socket of a
// running `sealdns serve` (observe/control.ts), its answer printed for a human (default) or as
// JSON (`--json`). Exit code 1 when the server reports an error (a reload that was refused, a
// bad name), or cannot be reached.

import { type ControlRequest, controlRequest, defaultControlSocket } from '../observe/control.js';
import { formatServers, type ServerState } from '../observe/servers.js';
import { UsageError } from './args.js';

export interface ControlFlags {
  socket?: string;
  json?: boolean;
  timeout?: string;
}

/** Runs one control command; returns the text to print (throws on errors). */
export async function runControl(command: string, args: string[], flags: ControlFlags): Promise<string> {
  const req = toRequest(command, args);
  const socket = flags.socket ?? defaultControlSocket();
  const timeout = flags.timeout === undefined ? 30_000 : Number(flags.timeout);
  if (!Number.isInteger(timeout) || timeout < 1) throw new UsageError(`--timeout: "${flags.timeout}" is not a number`);
  const res = await controlRequest(socket, req, timeout);
  if (!res.ok) throw new Error(`${command}: ${res.error}`);
  if (flags.json) return `${JSON.stringify(res.result, null, 2)}\n`;
  return human(req, res.result);
}

function toRequest(command: string, args: string[]): ControlRequest {
  switch (command) {
    case 'stats':
    case 'servers':
    case 'reload':
      if (args.length > 0) throw new UsageError(`${command} takes no argument`);
      return { cmd: command };
    case 'flush':
      if (args.length !== 1) throw new UsageError('flush needs exactly one NAME');
      return { cmd: 'flush', name: args[0] };
    default:
      throw new UsageError(`unknown control command "${command}" (stats, flush NAME, servers, reload)`);
  }
}

function human(req: ControlRequest, result: unknown): string {
  const r = result as Record<string, unknown>;
  switch (req.cmd) {
    case 'servers': {
      if (Array.isArray(result)) return formatServers(result as ServerState[]);
      // several workers: one table each
      const parts = (r.workers as { worker: number; servers?: ServerState[]; error?: string }[]).map(
        (w) => `worker ${w.worker}:\n${w.servers ? formatServers(w.servers) : `  error: ${w.error}\n`}`,
      );
      return parts.join('\n');
    }
    case 'flush':
      return `flushed ${r.flushed}${r.workers === undefined ? '' : ` in ${r.workers} workers`}\n`;
    case 'reload': {
      const lines: string[] = [];
      const applied = (r.applied as string[] | undefined) ?? [];
      const workers = r.workers as ({ worker: number; applied?: string[] } | undefined)[] | undefined;
      const all = [...applied, ...(workers?.[0]?.applied ?? [])];
      lines.push(all.length > 0 ? `reloaded: ${all.join(', ')}` : 'reloaded: nothing changed');
      const restart = (r.restartNeeded as string[] | undefined) ?? [];
      if (restart.length > 0) lines.push(`needs a restart to take effect: ${restart.join(', ')}`);
      return `${lines.join('\n')}\n`;
    }
    case 'stats':
      return `${flatten(r.total ?? r)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n')}\n`;
  }
}

/** `queries.total: 12`-style lines of a stats object (lists are summarised). */
function flatten(v: unknown, prefix = ''): [string, string][] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) {
    if (prefix.endsWith('listeners'))
      return [
        [
          prefix,
          (v as { transport: string; address: string; port: number }[])
            .map((l) => `${l.transport} ${l.address}:${l.port}`)
            .join(', '),
        ],
      ];
    return [[prefix, JSON.stringify(v)]];
  }
  if (typeof v === 'object')
    return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => flatten(x, prefix ? `${prefix}.${k}` : k));
  return [[prefix, String(v)]];
}
