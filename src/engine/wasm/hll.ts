/**
 * Engine.hllRegisters for the wasm engine: the 16384 raw registers and the 64-count histogram
 * live in one block of linear memory (allocated on first use, kept for the engine's life), and
 * the loops run in assembly/hyperloglog.ts over the HLL values where they are stored. Only the
 * histogram (256 bytes) or, for PFMERGE into a sparse target, the registers are read from JS.
 */
import type { HllRegisters, StringEdit, StringPeek } from '../types';
import { WasmInstance, WasmOutOfMemoryError } from './loader';
import { HLL_DENSE } from '../../util/hyperloglog';

const REGISTERS = 16384;
const HISTO_BYTES = 64 * 4;

export class WasmHllRegisters implements HllRegisters {
  private block = 0;

  constructor(private readonly w: WasmInstance) {}

  private regs(): number {
    if (this.block === 0) {
      this.block = this.w.x.alloc(REGISTERS + HISTO_BYTES) >>> 0;
      if (this.block === 0) throw new WasmOutOfMemoryError('HLL registers');
    }
    return this.block;
  }

  reset(): void {
    const p = this.regs();
    this.w.sync();
    this.w.u8.fill(0, p, p + REGISTERS);
  }

  merge(v: StringPeek): boolean {
    const p = this.regs();
    // The wasm engine's views are over linear memory: v.start is the value's address.
    const b = v.bytes as Uint8Array;
    if (b[v.start + 4] === HLL_DENSE) {
      this.w.x.hllMergeDense(p, v.start);
      return true;
    }
    return this.w.x.hllMergeSparse(p, v.start, v.length) === 1;
  }

  histogram(): Int32Array {
    const p = this.regs();
    this.w.x.hllHisto(p, p + REGISTERS);
    this.w.sync();
    return new Int32Array(this.w.u8.buffer, p + REGISTERS, 64);
  }

  registers(): Uint8Array {
    const p = this.regs();
    this.w.sync();
    return this.w.u8.subarray(p, p + REGISTERS);
  }

  raiseDense(v: StringEdit): void {
    this.w.x.hllDenseRaise(v.start, this.regs());
  }
}
