/**
 * Time, injected (convention 14). Only `systemClock` reads the platform clock; everything else takes a Clock, so
 * tests can pass a FakeClock and infra functions can take `now` as an argument.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch, monotonic within the process (may be fractional). */
  now(): number;
}

/**
 * `performance.timeOrigin + performance.now()`: epoch-based (so values can be persisted and compared across
 * restarts, as RFC 9539 state needs) yet not moved by wall-clock steps while the process runs (so RTTs stay sane).
 */
const timeOrigin = performance.timeOrigin; // fixed for the process's life; its getter is not free
export const systemClock: Clock = {
  now: () => timeOrigin + performance.now(),
};

/** A clock that moves only when told to. */
export class FakeClock implements Clock {
  #now: number;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a clock does not go backwards');
    this.#now += ms;
  }

  set(ms: number): void {
    this.#now = ms;
  }
}
