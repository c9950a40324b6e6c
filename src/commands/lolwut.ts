/**
 * LOLWUT (lolwut.c, lolwut5.c, lolwut6.c of Redis 7.0): computer art, and the version.
 *
 * LOLWUT [VERSION v] [...] dispatches as Redis 7.0 does: v (taken as a C unsigned int, so only
 * its low 32 bits count) 5 draws Georg Nees's "Schotter" in Braille characters, 6 draws a
 * skyline in the terminal's four grays, anything else (and no VERSION: Redust reports 7.0.15)
 * answers "Redis ver. 7.0.15". The reply is a verbatim string ("txt") in RESP3, a bulk in RESP2.
 *
 * The drawing follows Redis's arithmetic step by step, C `float` included (Math.fround) and C's
 * round() (halves away from zero), so the parts that do not depend on rand() are byte-identical
 * to Redis's (e.g. `LOLWUT VERSION 5 66 8 2`, whose squares are all unrotated); rand() is
 * Math.random here, so the random parts differ from run to run, as they do on Redis.
 */
import type { Client } from '../server/client';
import type { CommandRow } from './table';
import { intArg, isWord } from './args';
import { REDIS_VERSION } from '../server/server';

const f32 = Math.fround;
const RAND_MAX = 0x7fffffff;

/** glibc rand(): 0..RAND_MAX. */
function rand(): number {
  return Math.floor(Math.random() * (RAND_MAX + 1));
}

/** C round(): halves away from zero. */
function cRound(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}

/** lwCanvas: width × height pixels of colors 0-3, created filled with a background color. */
class Canvas {
  readonly pixels: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
    bgcolor: number,
  ) {
    this.pixels = new Uint8Array(width * height).fill(bgcolor);
  }

  /** Writes outside the canvas are ignored. */
  set(x: number, y: number, color: number): void {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return;
    this.pixels[x + y * this.width] = color;
  }

  /** 0 outside the canvas. */
  get(x: number, y: number): number {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return 0;
    return this.pixels[x + y * this.width];
  }

  /** Bresenham's line from (x1, y1) to (x2, y2), both ends included. */
  line(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const dx = Math.abs(x2 - x1);
    const dy = Math.abs(y2 - y1);
    const sx = x1 < x2 ? 1 : -1;
    const sy = y1 < y2 ? 1 : -1;
    let err = dx - dy;
    for (;;) {
      this.set(x1, y1, color);
      if (x1 === x2 && y1 === y2) break;
      const e2 = err * 2;
      if (e2 > -dy) {
        err -= dy;
        x1 += sx;
      }
      if (e2 < dx) {
        err += dx;
        y1 += sy;
      }
    }
  }

  /** lwDrawSquare: a square centred on (x, y), `size` wide (a float), rotated by `angle` (a float). */
  square(x: number, y: number, size: number, angle: number, color: number): void {
    // The corners are on the circle around the square: scale by 1/sqrt(2), then round.
    size = f32(cRound(f32(size / 1.4142135623)));
    const px: number[] = [];
    const py: number[] = [];
    let k = f32(Math.PI / 4 + angle);
    for (let j = 0; j < 4; j++) {
      px.push(cRound(Math.sin(k) * size + x));
      py.push(cRound(Math.cos(k) * size + y));
      k = f32(k + Math.PI / 2);
    }
    for (let j = 0; j < 4; j++) this.line(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4], color);
  }
}

/** The UTF-8 bytes (as a latin1 string) of the Braille character for a 2x4 group of pixels. */
function braille(byte: number): string {
  const code = 0x2800 + byte;
  return String.fromCharCode(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
}

/** lwDrawSchotter: rows of squares, more rotated and displaced the lower they are. */
function schotter(consoleCols: number, squaresPerRow: number, squaresPerCol: number): Canvas {
  const canvasWidth = consoleCols * 2;
  const padding = canvasWidth > 4 ? 2 : 0;
  const side = f32(f32(canvasWidth - padding * 2) / f32(squaresPerRow));
  const canvasHeight = Math.trunc(f32(f32(side * f32(squaresPerCol)) + padding * 2));
  const canvas = new Canvas(canvasWidth, canvasHeight, 0);
  for (let y = 0; y < squaresPerCol; y++) {
    for (let x = 0; x < squaresPerRow; x++) {
      let sx = Math.trunc(f32(f32(f32(f32(x) * side) + f32(side / 2)) + padding));
      let sy = Math.trunc(f32(f32(f32(f32(y) * side) + f32(side / 2)) + padding));
      let angle = 0;
      if (y > 1) {
        const r = () => f32(f32(f32(f32(rand()) / f32(RAND_MAX)) / f32(squaresPerCol)) * f32(y));
        let r1 = r();
        let r2 = r();
        let r3 = r();
        if (rand() % 2) r1 = -r1;
        if (rand() % 2) r2 = -r2;
        if (rand() % 2) r3 = -r3;
        angle = r1;
        sx = Math.trunc(f32(sx + f32(f32(r2 * side) / 3)));
        sy = Math.trunc(f32(sy + f32(f32(r3 * side) / 3)));
      }
      canvas.square(sx, sy, side, angle, 1);
    }
  }
  return canvas;
}

/** lolwut5's renderCanvas: one Braille character per 2x4 pixels. */
function renderBraille(canvas: Canvas): string {
  let text = '';
  for (let y = 0; y < canvas.height; y += 4) {
    for (let x = 0; x < canvas.width; x += 2) {
      let byte = 0;
      if (canvas.get(x, y)) byte |= 1 << 0;
      if (canvas.get(x, y + 1)) byte |= 1 << 1;
      if (canvas.get(x, y + 2)) byte |= 1 << 2;
      if (canvas.get(x + 1, y)) byte |= 1 << 3;
      if (canvas.get(x + 1, y + 1)) byte |= 1 << 4;
      if (canvas.get(x + 1, y + 2)) byte |= 1 << 5;
      if (canvas.get(x, y + 3)) byte |= 1 << 6;
      if (canvas.get(x + 1, y + 3)) byte |= 1 << 7;
      text += braille(byte);
    }
    if (y !== canvas.height - 1) text += '\n';
  }
  return text;
}

/** One skyscraper of lolwut6's skyline: xoff, width and height in pixels; windows in the two grays. */
function skyscraper(canvas: Canvas, xoff: number, width: number, height: number, windows: boolean, color: number): void {
  const starty = canvas.height - 1;
  const endy = starty - height + 1;
  for (let y = starty; y >= endy; y--) {
    for (let x = xoff; x < xoff + width; x++) {
      // The roof is four pixels narrower.
      if (y === endy && (x <= xoff + 1 || x >= xoff + width - 2)) continue;
      let c = color;
      if (windows && x > xoff + 1 && x < xoff + width - 2 && y > endy + 1 && y < starty - 1) {
        const relx = x - (xoff + 1);
        const rely = y - (endy + 1);
        // Windows two pixels wide and one tall (terminal cells are not square).
        if (Math.trunc(relx / 2) % 2 && rely % 2) {
          do c = 1 + (rand() % 2);
          while (c === color);
          if (relx % 2) c = canvas.get(x - 1, y);
        }
      }
      canvas.set(x, y, c);
    }
  }
}

/** generateSkyline: two background rows of plain buildings, then the foreground with windows. */
function skyline(canvas: Canvas): void {
  const h = canvas.height;
  for (let color = 2; color >= 1; color--) {
    for (let offset = -10; offset < canvas.width; ) {
      offset += rand() % 8;
      const width = 10 + (rand() % 9);
      const height = color === 2 ? Math.trunc(h / 2) + Math.trunc((rand() % h) / 2) : Math.trunc(h / 2) + Math.trunc((rand() % h) / 3);
      skyscraper(canvas, offset, width, height, false, color);
      offset += color === 2 ? Math.trunc(width / 2) : width + 1;
    }
  }
  for (let offset = -10; offset < canvas.width; ) {
    offset += rand() % 8;
    let width = 5 + (rand() % 14);
    if (width % 4) width += width % 3;
    const height = Math.trunc(h / 3) + Math.trunc((rand() % h) / 2);
    skyscraper(canvas, offset, width, height, true, 0);
    offset += width + 5;
  }
}

/** lolwut6's renderCanvas: one terminal cell per pixel, foreground and background in its gray. */
const CELLS = ['0;30;40m', '0;90;100m', '0;37;47m', '0;97;107m'].map((gray) => `\x1b[${gray} \x1b[0m`);
function renderGrays(canvas: Canvas): string {
  const rows: string[] = [];
  const row: string[] = new Array<string>(canvas.width);
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) row[x] = CELLS[canvas.get(x, y)];
    rows.push(row.join(''));
  }
  return rows.join('\n');
}

/** The version-specific arguments: getLongFromObjectOrReply each, then clamped. */
function longs(args: Buffer[], defaults: number[]): number[] {
  return defaults.map((d, i) => (i < args.length ? intArg(args[i]) : d));
}
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

function lolwut5(c: Client, args: Buffer[]): void {
  const [cols, perRow, perCol] = longs(args, [66, 8, 12]);
  const canvas = schotter(clamp(cols, 1, 1000), clamp(perRow, 1, 200), clamp(perCol, 1, 200));
  c.reply.verbatim(`${renderBraille(canvas)}\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ${REDIS_VERSION}\n`);
}

function lolwut6(c: Client, args: Buffer[]): void {
  const [cols, rows] = longs(args, [80, 20]);
  const canvas = new Canvas(clamp(cols, 1, 1000), clamp(rows, 1, 1000), 3);
  skyline(canvas);
  c.reply.verbatim(
    `${renderGrays(canvas)}\nDedicated to the 8 bit game developers of past and present.\n` +
      `Original 8 bit image from Plaguemon by hikikomori. Redis ver. ${REDIS_VERSION}\n`,
  );
}

function lolwut(c: Client): void {
  const argv = c.argv;
  let version = REDIS_VERSION;
  let args = argv.slice(1);
  if (argv.length >= 3 && isWord(argv[1], 'version')) {
    intArg(argv[2]);
    // snprintf("%u.0.0", (unsigned int)ver); BigInt keeps the low 32 bits exact past 2^53.
    version = `${BigInt.asUintN(32, BigInt(argv[2].toString('latin1')))}.0.0`;
    args = argv.slice(3);
  }
  if (/^5\.[^9]/.test(version)) lolwut5(c, args);
  else if (/^6\.[^9]/.test(version)) lolwut6(c, args);
  else c.reply.verbatim(`Redis ver. ${REDIS_VERSION}\n`);
}

export const commands: CommandRow[] = [{ name: 'lolwut', handler: lolwut }];
