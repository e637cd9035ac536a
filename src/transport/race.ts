/**
 * Happy Eyeballs-style racing (RFC 8305): start the attempts in preference order, the
 * next one `delayMs` after the previous (or at once when the previous failed); the
 * first attempt that produces a result wins and the others are aborted. Resolves
 * undefined when every attempt failed.
 */
export const CONNECTION_ATTEMPT_DELAY = { DEFAULT_MS: 250, MIN_MS: 100, MAX_MS: 2000 } as const;

export function clampAttemptDelay(ms: number): number {
  return Math.max(CONNECTION_ATTEMPT_DELAY.MIN_MS, Math.min(CONNECTION_ATTEMPT_DELAY.MAX_MS, ms));
}

export async function raceAttempts<A, R>(
  attempts: readonly A[],
  run: (attempt: A, signal: AbortSignal, index: number) => Promise<R | undefined>,
  delayMs: number,
): Promise<{ result: R; winner: A; index: number } | undefined> {
  if (attempts.length === 0) return undefined;
  if (attempts.length === 1) {
    const ac = new AbortController();
    const r = await run(attempts[0], ac.signal, 0);
    return r === undefined ? undefined : { result: r, winner: attempts[0], index: 0 };
  }
  const controllers = attempts.map(() => new AbortController());
  return new Promise((resolve) => {
    let next = 0;
    let running = 0;
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (v: { result: R; winner: A; index: number } | undefined) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      controllers.forEach((c, i) => {
        if (v === undefined || i !== v.index) c.abort();
      });
      resolve(v);
    };
    const startNext = () => {
      if (done || next >= attempts.length) return;
      const i = next++;
      running++;
      if (timer) clearTimeout(timer);
      if (next < attempts.length) {
        timer = setTimeout(startNext, delayMs);
        timer.unref?.();
      }
      run(attempts[i], controllers[i].signal, i).then(
        (r) => {
          running--;
          if (r !== undefined) finish({ result: r, winner: attempts[i], index: i });
          else if (next < attempts.length) startNext();
          else if (running === 0) finish(undefined);
        },
        () => {
          running--;
          if (next < attempts.length) startNext();
          else if (running === 0) finish(undefined);
        },
      );
    };
    startNext();
  });
}
