/**
 * ASCII sparklines (Redis's sparkline.c), used by LATENCY GRAPH: a sequence of samples rendered
 * in `rows` rows of 3 levels each ("_-`", or "_o#" with '|' under a filled column), `columns`
 * samples per block, then the labels written vertically under their column after one blank line.
 * Arithmetic as the C code: step = (int)(relval*steps) / relmax, truncated to an int.
 */

export const SPARKLINE_FILL = 1;
export const SPARKLINE_LOG_SCALE = 2;

const CHARSET = '_-`';
const CHARSET_FILL = '_o#';
const LABEL_MARGIN_TOP = 1;

interface Sample {
  value: number;
  label: string | null;
}

export class SparklineSequence {
  min = 0;
  max = 0;
  labels = 0;
  readonly samples: Sample[] = [];

  /** sparklineSequenceAddSample */
  add(value: number, label: string | null): void {
    const l = label === null || label === '' ? null : label;
    if (this.samples.length === 0) this.min = this.max = value;
    else if (value < this.min) this.min = value;
    else if (value > this.max) this.max = value;
    this.samples.push({ value, label: l });
    if (l !== null) this.labels++;
  }
}

function renderRange(seq: SparklineSequence, rows: number, offset: number, len: number, flags: number): string {
  let out = '';
  let relmax = seq.max - seq.min;
  const steps = CHARSET.length * rows;
  const fill = (flags & SPARKLINE_FILL) !== 0;
  const log = (flags & SPARKLINE_LOG_SCALE) !== 0;
  if (log) relmax = Math.log(relmax + 1);
  else if (relmax === 0) relmax = 1;
  let row = 0;
  let loop = true;
  while (loop) {
    loop = false;
    const chars: string[] = new Array(len).fill(' ');
    for (let j = 0; j < len; j++) {
      const s = seq.samples[j + offset];
      let relval = s.value - seq.min;
      if (log) relval = Math.log(relval + 1);
      let step = Math.trunc(Math.trunc(relval * steps) / relmax);
      if (step < 0) step = 0;
      if (step >= steps) step = steps - 1;
      if (row < rows) {
        const charidx = step - (rows - row - 1) * CHARSET.length;
        loop = true;
        if (charidx >= 0 && charidx < CHARSET.length) chars[j] = fill ? CHARSET_FILL[charidx] : CHARSET[charidx];
        else if (fill && charidx >= CHARSET.length) chars[j] = '|';
      } else {
        if (seq.labels > 0 && row - rows < LABEL_MARGIN_TOP) {
          loop = true;
          break;
        }
        if (s.label !== null) {
          const labelChar = row - rows - LABEL_MARGIN_TOP;
          if (s.label.length > labelChar) {
            loop = true;
            chars[j] = s.label[labelChar];
          }
        }
      }
    }
    if (loop) {
      row++;
      out += chars.join('') + '\n';
    }
  }
  return out;
}

/** sparklineRender: blocks of `columns` samples separated by an empty line. */
export function sparklineRender(seq: SparklineSequence, columns: number, rows: number, flags: number): string {
  let out = '';
  for (let j = 0; j < seq.samples.length; j += columns) {
    const sublen = Math.min(seq.samples.length - j, columns);
    if (j !== 0) out += '\n';
    out += renderRange(seq, rows, j, sublen, flags);
  }
  return out;
}
