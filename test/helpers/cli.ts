// Running the `sealdns` command as a user does, in a child process, with every wait bounded:
// shared by the CLI tests (serve, operate, ...).

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled CLI entry point. */
export const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface Cli {
  child: ChildProcess;
  /** Everything printed so far, stdout and stderr interleaved. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `sealdns ARGS...`. */
export function spawnCli(args: string[]): Cli {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString('utf8');
  });
  child.stderr!.on('data', (b: Buffer) => {
    out += b.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/** `p`, or a rejection naming `what()` after `ms`. */
export function bounded<V>(p: Promise<V>, ms: number, what: () => string): Promise<V> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what()} (after ${ms} ms)`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Waits until the output matches `re`; fails when the process exits first or after `ms`. */
export async function waitFor(cli: Cli, re: RegExp, ms = 10_000): Promise<void> {
  let gone = false;
  void cli.exited.then(() => {
    gone = true;
  });
  const poll = (async () => {
    while (!re.test(cli.output())) {
      if (gone) throw new Error(`sealdns exited before printing ${re}:\n${cli.output()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  await bounded(poll, ms, () => `sealdns did not print ${re}:\n${cli.output()}`);
}

/** Runs the CLI to completion (bounded) and returns its exit code and output. */
export async function runCli(args: string[], ms = 10_000): Promise<{ code: number | null; output: string }> {
  const cli = spawnCli(args);
  try {
    const { code } = await bounded(cli.exited, ms, () => `sealdns ${args.join(' ')} did not exit`);
    return { code, output: cli.output() };
  } finally {
    if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
  }
}
