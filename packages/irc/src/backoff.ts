/**
 * How long the bot waits before connecting again (IRC-17) or joining a channel again
 * (IRC-16). Pure functions, so that the growth and the cap are checked without waiting.
 */

/** 2^30 s is far beyond any --reconnect-max, and keeps the number finite. */
const MAX_EXPONENT = 30;

/**
 * The n-th wait (n >= 1) before reconnecting: drawn from [d/2, d], d = min(cap, 2^(n-1) s).
 * "Equal jitter": half fixed, so the waits still grow; half random, so a fleet of bots that
 * lost the same server does not come back in step.
 */
export function reconnectDelayMs(n: number, capSeconds: number, random: () => number = Math.random): number {
  const d = Math.min(capSeconds * 1000, 1000 * 2 ** Math.min(Math.max(n, 1) - 1, MAX_EXPONENT));
  return Math.round(d / 2 + random() * (d / 2));
}

/** The wait before the n-th JOIN retry of one channel (n >= 1): 5 s, doubling, capped. No
 * jitter: one bot's channels are not a fleet, and a fixed time is easier to read in a log. */
export function rejoinDelayMs(n: number, capSeconds: number): number {
  return Math.min(capSeconds * 1000, 5000 * 2 ** Math.min(Math.max(n, 1) - 1, MAX_EXPONENT));
}
