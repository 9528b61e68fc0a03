// Retry timing for sync: exponential back-off with jitter (after the AWS architecture blog's
// "Exponential Backoff And Jitter"), so that a hall of phones coming back online at once
// does not hammer the server in step.
export const BASE_DELAY_MS = 2_000;
export const MAX_DELAY_MS = 5 * 60_000;

/** The wait before retry `attempt` (1 = first): uniform in [10 %, 100 %] of min(cap, base·2^(attempt-1)). */
export function nextDelay(attempt, random = Math.random, base = BASE_DELAY_MS, cap = MAX_DELAY_MS) {
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  // Never 0: at least a tenth of the ceiling, so a broken server is not retried in a tight loop.
  return Math.round(ceiling * (0.1 + 0.9 * random()));
}

/** Split the outbox into push batches within the server's limits (count and bytes). */
export function batches(mutations, maxCount = 200, maxBytes = 1_000_000) {
  const out = [];
  let current = [];
  let bytes = 0;
  for (const m of mutations) {
    const size = JSON.stringify(m).length;
    if (current.length && (current.length >= maxCount || bytes + size > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length) out.push(current);
  return out;
}
