/**
 * Redis's LFU counter (evict.c) for the js-map engine (the wasm engine has the same arithmetic in
 * assembly/keyspace.ts): a new key starts at LFU_INIT_VAL; each access first decays the counter
 * by one per lfu-decay-time minutes elapsed since the last access (whole minutes of the clock, as
 * LFUTimeElapsed), then increments it with probability 1 / ((counter - LFU_INIT_VAL) *
 * lfu-log-factor + 1), saturating at 255. OBJECT FREQ reports the decayed value without storing.
 */
export const LFU_INIT_VAL = 5;

export interface LfuParams {
  logFactor: number;
  decayTime: number;
}

/** LFUDecrAndReturn: `freq` last stamped at `lastMs`, seen at `nowMs`. */
export function lfuDecayed(freq: number, lastMs: number, nowMs: number, decayTime: number): number {
  if (decayTime <= 0) return freq;
  const periods = Math.floor((Math.floor(nowMs / 60000) - Math.floor(lastMs / 60000)) / decayTime);
  return periods <= 0 ? freq : periods > freq ? 0 : freq - periods;
}

/** updateLFU's new counter: decay, then LFULogIncr. */
export function lfuAccess(freq: number, lastMs: number, nowMs: number, p: LfuParams): number {
  let counter = lfuDecayed(freq, lastMs, nowMs, p.decayTime);
  if (counter === 255) return 255;
  const base = Math.max(0, counter - LFU_INIT_VAL);
  if (Math.random() < 1 / (base * p.logFactor + 1)) counter++;
  return counter;
}
