/** Opaque handle of a scheduled callback. */
export type TimerHandle = unknown;

/** Time as a port, so tests step a fake clock instead of sleeping. */
export interface Clock {
  now(): Date;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The wall clock and Node's timers. Timers are unref'd: a pending pass never keeps a process alive. */
export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
