/**
 * The Lua 5.1 front end: scripts are written for Redis's Lua 5.1 but run on wasmoon's Lua 5.4.
 *
 * `translate51` lexes a chunk with Lua 5.1's lexical rules (llex.c) and rewrites, token by token and
 * without ever moving a token to another line (so line numbers in errors stay the user's):
 * - integer literals become float literals (`10` -> `10.`, `0x10` -> `0x10p0`): with every number a
 *   double, arithmetic is 5.1's (no integer wrap-around at 2^63, no integer division by zero error,
 *   literals past 2^53 lose precision like 5.1's);
 * - 5.4-only operators are split or replaced so that 5.4's parser rejects them exactly where 5.1's
 *   does: `//` -> `/ /`, `<<` -> `< <`, `>>` -> `> >`, `::` -> `: :`; `&`, `|`, a lone `~` and the `<`
 *   of a `local x <const>` attribute become control characters (unknown tokens in 5.4 too), shown
 *   back as `'&'`, `'|'`, `'~'`, `'<'` by `fixMessage51`;
 * - `#e` becomes `(0.0+#e)`, a double as 5.1's length, except where an integer acts the same (before
 *   a comparison, `..`, `]`, or `+ 1`-like arithmetic with a literal; see lenSameAsFloat);
 * - `goto` (a plain name in 5.1) is renamed to a name 5.4 accepts; as a field name (`t.goto`,
 *   `{goto = 1}`) it becomes `["goto"]`, so it is the string key "goto" as in 5.1; a method call
 *   `P:goto(args)` becomes GOTO_CALL`(P, args)` and `function a:goto(x)` `a["goto"] = function(self, x)`;
 * - string escapes 5.1 does not know (`\x`, `\z`, `\u`, `\q`...) keep only the character, as 5.1 does;
 * - with `oneResult` (an EVAL script, of whose results Redis reads one), a `return e` of the main
 *   chunk, outside any function, becomes `return (e)`. In 5.4 `return f(x)` is a tail call that
 *   removes the script's frame, so an error raised in `f` (a library function written in Lua, or a
 *   5.1 wrapper of the prelude) could not name the script's line as 5.1 does; `(e)` is the same first
 *   value without the tail call. Not with several expressions (`return a, b`), nor in loadstring
 *   chunks, whose extra results may be used.
 * - elsewhere (inside functions, in loadstring chunks), `return lib.f(args)` of a Lua library function
 *   becomes `return (lib.f(args))` or `return select(1, lib.f(args))` (see TAIL_ONE);
 * `fixMessage51` maps 5.4 compile and runtime error texts to 5.1's wording.
 * `hoistFunctions` and `cacheFunctions` rewrite an EVAL chunk (translate51's output) so that its
 * top-level local functions are made once per script instead of once per run, where no script can tell.
 * Linear in the size of the chunk; only run when a script is compiled (cached by SHA1).
 *
 * Float formatting itself (5.1's "%.14g" without 5.4's ".0" suffix) is a one-byte patch of the wasm
 * data segment: see lua-wasm.ts.
 */

export const GOTO_NAME = 'goto__lua51';
/** The local that holds a `goto` method in GOTO_CALL (shown as "method 'goto'" in errors). */
const GOTO_METHOD = 'goto_method__lua51';
const GOTO_CALL = `(function(o, ...) local ${GOTO_METHOD} = o["goto"] return ${GOTO_METHOD}(o, ...) end)`;
/** A `{` whose `}` closes a GOTO_CALL call (`t:goto{...}`). */
const BRACE_GOTO = 1123;
function isBrace(b: number | undefined): boolean {
  return b === 123 || b === BRACE_GOTO;
}

/**
 * Time-limit checks (instead of a per-instruction count hook, which makes 5.4's interpreter take its
 * slow path on every instruction: ~1.45x on pure Lua, ~15% of the server's CPU under BullMQ).
 * After every `do` and `repeat` and after a function's parameter list, i.e. at the top of every loop
 * body and function body, a countdown; every TICK_EVERY passes it reads the global TICK_NAME, which
 * the sandbox's missing-global handler answers with a native that checks the deadline and SCRIPT
 * KILL (Sandbox.tick) and returns the next countdown. Straight-line code gets no check: it is bounded
 * by its length. Inserted on the same line as the keyword, so line numbers are unchanged.
 */
export const TICK_NAME = '__redust_tick';
export const TICK_EVERY = 1000;
const COUNTER = '__redust_c';
/**
 * The names the front end writes (COUNTER, TICK_NAME, GOTO_NAME, GOTO_METHOD) start with
 * `__redust` or contain `__lua51`; a script's own variable with such a name, or named `_ENV`
 * (5.4's environment upvalue, a plain name in 5.1), gets USER_PREFIX in
 * front (so `return __redust_c` is the script's missing global, as on Redis), shown without it in
 * error messages. Injective: every renamed name starts with USER_PREFIX, none of the front end's does.
 */
const INTERNAL = /^__redust|__lua51|^_ENV$/;
const USER_PREFIX = '__redust_u';
const CHECK = ` ${COUNTER}=${COUNTER}-1 if ${COUNTER}<0 then ${COUNTER}=${TICK_NAME}() end `;

const CH_AMP = '\x01';
const CH_BAR = '\x02';
const CH_TILDE = '\x03';
const CH_LT = '\x04';
const CH_SEMI = '\x05'; // a ';' where 5.1 has no statement before it

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isAlnum(c: number): boolean {
  return isDigit(c) || isAlpha(c) || c >= 128;
}

/** `[` `=`* `[` at i: the level (count of '='), or -1. */
function longBracket(s: string, i: number): number {
  if (s.charCodeAt(i) !== 91) return -1;
  let j = i + 1;
  while (s.charCodeAt(j) === 61) j++;
  return s.charCodeAt(j) === 91 ? j - i - 1 : -1;
}

/**
 * Translate a 5.1 chunk (latin1 string, one char per byte) to 5.4 source with 5.1 semantics.
 * Lexical errors are left in place for 5.4's lexer to report (same texts in both versions).
 */
export function translate51(src: string, oneResult = false, counterUpvalue = false): string {
  const out: string[] = [];
  const n = src.length;
  let i = 0;
  let last = 0; // start of the not-yet-copied part
  // 'local' namelist state: 0 none, 1 after `local`, 2 after a name in the list, 3 after ','
  let localState = 0;
  // After `function`: the next ')' ends its parameter list (a check goes after it).
  let fnParams = false;
  let checks = 0;
  // Open brackets ({ ( [) and blocks (function, do, if: 0, closed by `end`), innermost last: a
  // `goto =` right inside `{` is a table field, anywhere else an assignment.
  const brackets: number[] = [];
  // Open function bodies (oneResult: a `return` is the main chunk's only outside all of them).
  let functions = 0;
  const fnDepths: number[] = [];
  // 5.1's LUA_COMPAT_VARARG: a vararg function has a local `arg`, {n = select('#', ...), ...} when
  // its body does not use `...` (nil when it does). Only in chunks that name `arg`: per function
  // (parallel to fnDepths), the out slot after its parameters and whether `...` was seen.
  const compatArg = /\barg\b/.test(src) && unshadowed(src, 'select', false, new Map());
  const fnVarargs: ({ slot: number; dots: boolean } | null)[] = [];
  // oneResult: the main chunk's `return` being read: where its expression starts, at which
  // bracket depth; -1 when none (or it has several expressions).
  let retAt = -1;
  let retDepth = 0;
  // The slot of `out` (pushed empty after `return`) that becomes '(' when the return is wrapped.
  let retSlot = -1;
  // End of the last token read (not of a comment or spaces), and whether one is being read.
  let tokEnd = 0;
  let inTok = false;
  // Start of the token being read and of the one before it (-1: none).
  let tokStart = -1;
  let prevTokStart = -1;
  // The starts of the last TOKS_KEPT tokens read, a ring (zeroContext looks back over a unary
  // minus chain): token n (0-based, counting all tokens read) is at toks[n % TOKS_KEPT].
  const toks = new Int32Array(TOKS_KEPT);
  let nToks = 0;
  // Lua 5.1 files a function's number constants in a table keyed by value, so its zero constants
  // (`0`, and `-0` folded to a constant) are one: the first one filed gives the sign of all (`local
  // a = -0.0 return 1/0` is -inf). 5.4 keeps them apart. Each zero numeral gets an out slot; at the
  // end, in each function whose first zero is surely filed there (zeroContext), the zeros of the
  // other sign are written as `(-0.)` (`-(-0.)` is 0). Only in such functions is anything changed.
  const zeros: { slot: number; fn: number; neg: boolean; sure: boolean }[] = [];
  const fnIds: number[] = [];
  let fnCount = 0;
  // The ')' goes right after the explist's last token, on its line: 5.4 gives the instructions
  // that finish a parenthesized expression the line of the ')'.
  const endReturn = () => {
    // (an empty explist: nothing to wrap)
    if (retAt >= 0 && tokEnd > retAt) {
      out[retSlot] = '(';
      flush(tokEnd);
      out.push(')');
    }
    retAt = -1;
  };
  const check = (at: number) => {
    flush(at);
    out.push(CHECK);
    checks++;
  };
  const flush = (upto: number) => {
    if (upto > last) out.push(src.slice(last, upto));
    last = upto;
  };
  const replace = (from: number, to: number, text: string) => {
    flush(from);
    out.push(text);
    last = to;
  };
  // `#e` -> `(0.0+#e)`: 5.4's length operator gives an integer, 5.1's a double. One entry per open
  // `#`, innermost last: the out slot holding `(0.0+` (emptied when the operand is not rewritten),
  // the bracket depth of the `#` and where its operand stands (LEN_*).
  // `alone`: no arithmetic operator before the `#` (`a * #t + 1` is `(a * #t) + 1`).
  const lens: { slot: number; depth: number; phase: number; alone: boolean }[] = [];
  // Before the token at i (first char c): close the `#` operands this token does not continue.
  const lenToken = (c: number) => {
    while (lens.length > 0) {
      const p = lens[lens.length - 1];
      if (brackets.length > p.depth) return; // inside the operand's brackets
      if (brackets.length < p.depth) {
        // the operand's enclosing bracket closed (cannot happen in a well-formed chunk): leave it
        out[p.slot] = '';
        lens.pop();
        continue;
      }
      const k = lenKind(src, i, c);
      if (p.phase === LEN_INSIDE) p.phase = LEN_SUFFIX; // back from the operand's own brackets
      if (p.phase === LEN_START) {
        if (k === K_NAME) p.phase = LEN_SUFFIX;
        else if (k === K_OPEN_PAREN) p.phase = LEN_INSIDE;
        else if (k === K_STRING || k === K_DOTS) p.phase = LEN_FINAL;
        else if (k === K_OPEN_BRACE) p.phase = LEN_INSIDE_FINAL;
        else {
          // `#-x`, `##t`, `#not x`, `#5`, `#function`: not rewritten (errors but with a metamethod)
          out[p.slot] = '';
          lens.pop();
          continue;
        }
        return;
      }
      if (p.phase === LEN_INSIDE_FINAL) p.phase = LEN_FINAL;
      else if (p.phase === LEN_DOT) {
        p.phase = k === K_NAME ? LEN_SUFFIX : LEN_FINAL;
        if (k === K_NAME) return;
      } else if (p.phase === LEN_METHOD) {
        p.phase = k === K_NAME ? LEN_ARGS : LEN_FINAL;
        if (k === K_NAME) return;
      } else if (p.phase === LEN_ARGS) {
        if (k === K_OPEN_PAREN || k === K_OPEN_BRACE) return void (p.phase = LEN_INSIDE);
        if (k === K_STRING) return void (p.phase = LEN_SUFFIX);
        p.phase = LEN_FINAL;
      } else if (p.phase === LEN_SUFFIX) {
        if (k === K_DOT) return void (p.phase = LEN_DOT);
        if (k === K_COLON) return void (p.phase = LEN_METHOD);
        if (k === K_OPEN_PAREN || k === K_OPEN_BRACE || k === K_OPEN_SQUARE) return void (p.phase = LEN_INSIDE);
        if (k === K_STRING) return;
        if (k === K_POW) {
          // `#t^2` is `#(t^2)`: not rewritten (the length of a number is an error anyway)
          out[p.slot] = '';
          lens.pop();
          continue;
        }
        p.phase = LEN_FINAL;
      }
      // LEN_FINAL: the operand ended with the previous token. Where an integer gives the same
      // result as a double, the `#` is left alone (no cost): before a comparison, `..` (lengths
      // print alike below 1e14), `]` (a key: 1 and 1.0 are the same key) and an arithmetic
      // operator whose right operand starts with a number literal (a float: `#t + 1`).
      if (p.alone && lenSameAsFloat(src, i, c)) out[p.slot] = '';
      else {
        if (tokEnd >= last) flush(tokEnd);
        out.push(')');
      }
      lens.pop();
    }
  };
  // A method named goto (`t:goto(x)`, 5.4 refuses the keyword there) becomes a call of GOTO_CALL:
  // `(function(o, ...) ... end)(t, x)`. chain[depth]: the out slot (pushed empty) where the
  // primary expression being read at that bracket depth starts; tracked only in chunks that
  // have a `:goto`. fnName: a `function a.b:c` statement being read (its `function` keyword is
  // in out[slot]); with a goto in the name it becomes `a.b["goto"] = function(self, ...)`.
  const gotoMethods = /:\s*goto(?![A-Za-z0-9_])/.test(src);
  // The script's own names that could be the front end's (see INTERNAL).
  // (and _ENV: 5.4's name of the globals' upvalue, an ordinary name in 5.1, so `return _ENV` is
  // the missing global and `local _ENV = t` changes nothing)
  const internal = src.includes('__redust') || src.includes('__lua51') || src.includes('_ENV');
  const hasGoto = gotoMethods || src.includes('goto');
  const chain: number[] = [];
  let fnName: { slot: number; hasGoto: boolean; self: boolean } | null = null;
  // After a string or `{...}` argument of a goto method call: a ')' closes GOTO_CALL's call.
  let closeAfterString = false;
  let gotoBrace = false;
  // A `return lib.f(args)` being read (TAIL_ONE): the out slot after `return`, the bracket depth of
  // the `return`, whether the call's `)` closed. Wrapped at the end of the explist when nothing but
  // the call is in it.
  let tail: { slot: number; depth: number; multi: boolean; entered: boolean } | null = null;
  const shadowCache = new Map<string, boolean>();
  const tailToken = (c: number) => {
    const t = tail!;
    if (brackets.length > t.depth) {
      t.entered = true; // inside the call's arguments
      return;
    }
    if (brackets.length < t.depth) return void (tail = null);
    if (!t.entered) return; // the name, `.`, and the `(` itself
    // the first token after the call's `)`: the explist must end here
    let end = c === 59 || c < 0;
    if (!end && isAlpha(c)) {
      let e = i;
      while (e < n && isAlnum(src.charCodeAt(e))) e++;
      const w = src.slice(i, e);
      end = w === 'end' || w === 'else' || w === 'elseif' || w === 'until';
    }
    if (end) {
      out[t.slot] = t.multi ? ' select(1,' : '(';
      if (tokEnd >= last) flush(tokEnd);
      out.push(')');
    }
    tail = null;
  };
  // Skip a first line starting with '#' (like luaL_loadfile; Redis strips #! lines itself).
  while (i < n) {
    if (inTok) {
      tokEnd = i;
      inTok = false;
    }
    const c = src.charCodeAt(i);
    if (c === 10 || c === 13 || c === 32 || c === 9 || c === 11 || c === 12) {
      i++;
      continue;
    }
    const prevLocal = localState;
    localState = 0;
    if (c === 45 && src.charCodeAt(i + 1) === 45) {
      // comment
      const lvl = longBracket(src, i + 2);
      if (lvl >= 0) {
        const close = ']' + '='.repeat(lvl) + ']';
        const e = src.indexOf(close, i + 4 + lvl);
        i = e < 0 ? n : e + close.length;
      } else {
        while (i < n && src.charCodeAt(i) !== 10 && src.charCodeAt(i) !== 13) i++;
      }
      localState = prevLocal;
      continue;
    }
    inTok = true;
    prevTokStart = tokStart;
    tokStart = i;
    toks[nToks++ % TOKS_KEPT] = i;
    if (lens.length > 0) lenToken(c);
    if (tail !== null) tailToken(c);
    if (gotoMethods && primaryStart(src, i, c, prevTokStart)) {
      flush(i);
      chain[brackets.length] = out.push('') - 1;
    }
    if (c === 35 && lenAllowed(src, prevTokStart)) {
      flush(i);
      const pc = src.charCodeAt(prevTokStart);
      const alone = pc !== 43 && pc !== 45 && pc !== 42 && pc !== 47 && pc !== 37 && pc !== 94;
      lens.push({ slot: out.push('(0.0+') - 1, depth: brackets.length, phase: LEN_START, alone });
      i++;
      continue;
    }
    if (c === 91) {
      const lvl = longBracket(src, i);
      if (lvl >= 0) {
        const close = ']' + '='.repeat(lvl) + ']';
        const e = src.indexOf(close, i + 2 + lvl);
        i = e < 0 ? n : e + close.length;
        if (closeAfterString) {
          closeAfterString = false;
          flush(i);
          out.push(')');
        }
        continue;
      }
      brackets.push(91);
      i++;
      continue;
    }
    if (c === 34 || c === 39) {
      i = string51(src, i, c, flush, out, (p) => (last = p));
      if (closeAfterString) {
        closeAfterString = false;
        flush(i);
        out.push(')');
      }
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(i + 1)))) {
      // read_numeral of 5.1
      const s = i;
      while (isDigit(src.charCodeAt(i)) || src.charCodeAt(i) === 46) i++;
      const e = src.charCodeAt(i);
      if (e === 69 || e === 101) {
        i++;
        const sg = src.charCodeAt(i);
        if (sg === 43 || sg === 45) i++;
      }
      while (i < n && isAlnum(src.charCodeAt(i))) i++;
      const text = src.slice(s, i);
      // (5.1's token ends here, where 5.4 might read on: '0xA.8' is 0xA then '.8', a space keeps
      // them apart)
      const sep = src.charCodeAt(i) === 46 ? ' ' : '';
      const c0 = text.charCodeAt(0);
      if ((c0 === 48 || c0 === 46) && !sep && Number(text) === 0 && NUMERAL51.test(text)) {
        flush(s);
        const slot = out.push(/^[0-9]+$/.test(text) ? text + '.' : /^0[xX]/.test(text) ? text + 'p0' : text) - 1;
        last = i;
        zeros.push({ slot, fn: fnIds.length > 0 ? fnIds[fnIds.length - 1] : 0, ...zeroContext(src, toks, nToks, i) });
        continue;
      }
      if (/^[0-9]+$/.test(text)) replace(s, i, text + '.' + sep);
      else if (/^0[xX][0-9a-fA-F]+$/.test(text)) replace(s, i, text + 'p0' + sep);
      else if (!NUMERAL51.test(text)) {
        // Malformed for 5.1's luaO_str2d: 5.4 stops reading it earlier ('0x1zz' -> '0x1z'), so it
        // gets a numeral 5.4 reads whole and rejects, carrying the text (fixMessage51 decodes it).
        replace(s, i, MALFORMED + Buffer.from(text, 'latin1').toString('hex') + ' ');
      } else if (sep) replace(s, i, text + sep);
      continue;
    }
    if (isAlpha(c) || c >= 128) {
      const s = i;
      while (i < n && isAlnum(src.charCodeAt(i))) i++;
      const word = src.slice(s, i);
      if (word === 'goto') {
        const dot = fieldDot(src, s);
        const colon = dot < 0 ? methodColon(src, s) : -1;
        if (fnName && (dot >= 0 || colon >= 0)) {
          // `function a.goto(` / `function a:goto(`: `a["goto"] = function(` (self added at the `(`)
          fnName.hasGoto = true;
          out[fnName.slot] = '';
          replace(dot >= 0 ? dot : colon, i, '["goto"]');
          if (colon >= 0) fnName.self = true;
        } else if (colon >= 0 && chain[brackets.length] !== undefined) {
          let j = i;
          while (src.charCodeAt(j) === 32 || src.charCodeAt(j) === 9) j++;
          const a = src.charCodeAt(j);
          const slot = chain[brackets.length];
          if (a === 40) {
            out[slot] = GOTO_CALL + '(' + out[slot];
            let k = j + 1;
            while (k < n && /\s/.test(src[k])) k++;
            replace(colon, j + 1, src.charCodeAt(k) === 41 ? '' : ', ');
            brackets.push(40);
            i = j + 1;
          } else if (a === 34 || a === 39 || a === 123 || (a === 91 && longBracket(src, j) >= 0)) {
            out[slot] = GOTO_CALL + '(' + out[slot];
            replace(colon, i, ', ');
            if (a === 123) gotoBrace = true;
            else closeAfterString = true;
          } else replace(s, i, GOTO_NAME);
        } else if (dot >= 0) replace(dot, i, '["goto"]');
        else if (isBrace(brackets[brackets.length - 1]) && isTableKey(src, s, i)) replace(s, i, '["goto"]');
        else replace(s, i, GOTO_NAME);
      } else if (internal && INTERNAL.test(word) && fieldDot(src, s) < 0 && methodColon(src, s) < 0 && !(isBrace(brackets[brackets.length - 1]) && isTableKey(src, s, i))) {
        replace(s, i, USER_PREFIX + word);
      } else if (word === 'do' || word === 'repeat') check(i);
      else if (word === 'function') {
        fnParams = true;
        if (hasGoto) {
          // a `function name` statement: its keyword in a slot of its own
          let j = i;
          while (j < n && /\s/.test(src[j])) j++;
          if (isAlpha(src.charCodeAt(j)) || src.charCodeAt(j) >= 128) {
            flush(s);
            fnName = { slot: out.push('function') - 1, hasGoto: false, self: false };
            last = i;
          }
        }
      }
      if (retAt >= 0 && brackets.length === retDepth && (word === 'end' || word === 'else' || word === 'elseif' || word === 'until')) endReturn();
      if (oneResult && word === 'return' && functions === 0) {
        retAt = i;
        retDepth = brackets.length;
        flush(i);
        retSlot = out.push('') - 1;
      } else if (word === 'return' && tail === null) {
        // `return lib.f(args)`: see TAIL_ONE
        TAIL_CALL.lastIndex = i;
        const m = TAIL_CALL.exec(src);
        if (m) {
          const method = m[2] === ':';
          const name = m[2] ? m[1] + '.' + m[3] : m[1];
          const multi = method || TAIL_MULTI.has(name);
          if (method ? TAIL_METHODS.has(m[3]) && KEYWORDS.has(m[1]) === false && unshadowed(src, 'select', false, shadowCache)
            : (multi || TAIL_ONE.has(name)) && unshadowed(src, m[1], m[2] !== undefined, shadowCache) && (!multi || unshadowed(src, 'select', false, shadowCache))) {
            flush(i);
            tail = { slot: out.push('') - 1, depth: brackets.length, multi, entered: false };
          }
        }
      }
      if (word === 'function') {
        functions++;
        fnIds.push(++fnCount);
        fnDepths.push(brackets.length);
        if (compatArg) fnVarargs.push(null);
      }
      if (word === 'function' || word === 'do' || word === 'if') brackets.push(0);
      else if (word === 'end') {
        brackets.pop();
        if (fnDepths.length > 0 && fnDepths[fnDepths.length - 1] === brackets.length) {
          fnDepths.pop();
          fnIds.pop();
          functions--;
          const va = compatArg ? fnVarargs.pop() : null;
          if (va) out[va.slot] = va.dots ? ' local arg ' : " local arg = {n = select('#', ...), ...} ";
        }
      }
      if (word === 'local') localState = 1;
      else if ((prevLocal === 1 || prevLocal === 3) && word !== 'function') localState = 2;
      continue;
    }
    const c2 = src.charCodeAt(i + 1);
    if (c === 47 && c2 === 47) replace(i, i + 2, '/ /'), (i += 2);
    else if (c === 60 && c2 === 60) replace(i, i + 2, '< <'), (i += 2);
    else if (c === 62 && c2 === 62) replace(i, i + 2, '> >'), (i += 2);
    else if (c === 58 && c2 === 58) replace(i, i + 2, ': :'), (i += 2);
    else if (c === 59 && emptyStatement(src, prevTokStart)) replace(i, i + 1, CH_SEMI), i++;
    else if (c === 38) replace(i, i + 1, CH_AMP), i++;
    else if (c === 124) replace(i, i + 1, CH_BAR), i++;
    else if (c === 126 && c2 !== 61) replace(i, i + 1, CH_TILDE), i++;
    else if (c === 60 && prevLocal === 2 && c2 !== 61) replace(i, i + 1, CH_LT), i++;
    else if (c === 44 && prevLocal === 2) (localState = 3), i++;
    else if ((c === 44 || c === 59) && retAt >= 0 && brackets.length === retDepth) {
      // `return a, b`: left alone; `return e;`: the explist ends here
      if (c === 44) retAt = -1;
      else endReturn();
      i++;
    }
    else if ((c === 61 || c === 126 || c === 60 || c === 62) && c2 === 61) i += 2;
    else if (c === 46 && c2 === 46) {
      if (src.charCodeAt(i + 2) === 46) {
        if (compatArg && !fnParams && fnVarargs.length > 0) {
          const va = fnVarargs[fnVarargs.length - 1];
          if (va) va.dots = true;
        }
        i += 3;
      } else i += 2;
    }
    else if (c === 58 && fnName !== null && fnName.hasGoto) {
      // `function a.goto:m(`: `a["goto"].m = function(self`
      replace(i, i + 1, '.');
      fnName.self = true;
      i++;
    } else if (c === 40 && fnName !== null) {
      if (fnName.hasGoto) {
        let k = i + 1;
        while (k < n && /\s/.test(src[k])) k++;
        replace(i, i + 1, ' = function(' + (fnName.self ? (src.charCodeAt(k) === 41 ? 'self' : 'self, ') : ''));
      }
      fnName = null;
      brackets.push(40);
      i++;
    } else if (c === 41 && fnParams) {
      i++;
      brackets.pop();
      fnParams = false;
      check(i);
      if (compatArg && fnVarargs.length > 0 && src.startsWith('...', prevTokStart)) {
        fnVarargs[fnVarargs.length - 1] = { slot: out.push('') - 1, dots: false };
      }
    } else {
      if (c === 40) brackets.push(c);
      else if (c === 123) {
        brackets.push(gotoBrace ? BRACE_GOTO : 123);
        gotoBrace = false;
      } else if (c === 125 || c === 41 || c === 93) {
        if (brackets.pop() === BRACE_GOTO) {
          flush(i + 1);
          out.push(')');
        }
      }
      i++;
    }
  }
  if (inTok) tokEnd = n;
  if (lens.length > 0) lenToken(-1);
  if (tail !== null) tailToken(-1);
  if (retAt >= 0) endReturn();
  if (zeros.length > 1) {
    const first = new Map<number, { neg: boolean; sure: boolean }>();
    for (const z of zeros) {
      const f = first.get(z.fn);
      if (f === undefined) first.set(z.fn, z);
      else if (f.sure && z.neg !== f.neg) out[z.slot] = '(-0.)';
    }
  }
  if (out.length === 0) return src;
  flush(n);
  if (checks > 0) {
    // counterUpvalue: the chunk is at Lua's limit of 200 locals (the caller saw the plain form fail),
    // so the counter is made an upvalue: the script runs as a function inside the chunk (one more
    // closure per run). The ')' goes on a line of its own (the last line may end in a comment).
    if (counterUpvalue) return `local ${COUNTER}=${TICK_EVERY}; return (function(...) ` + out.join('') + '\n end)(...)';
    return `local ${COUNTER}=${TICK_EVERY}; ` + out.join('');
  }
  return out.join('');
}

const TOKS_KEPT = 16;
/** Whether the token at t ends an expression (a `-` after it is binary). */
function endsExpression(src: string, t: number): boolean {
  const c = src.charCodeAt(t);
  if (isAlpha(c) || c >= 128) {
    let e = t;
    while (e < src.length && isAlnum(src.charCodeAt(e))) e++;
    const w = src.slice(t, e);
    return !KEYWORDS.has(w) || w === 'nil' || w === 'true' || w === 'false' || w === 'end';
  }
  if (isDigit(c) || c === 41 || c === 93 || c === 125 || c === 34 || c === 39) return true; // numeral ) ] } string
  if (c === 46) return isDigit(src.charCodeAt(t + 1)) || src.startsWith('...', t);
  return c === 91 && longBracket(src, t) >= 0;
}
const ARITH = new Set([43, 45, 42, 47, 37, 94]); // + - * / % ^
const ZERO_UNSURE_BEFORE = new Set(['not', 'if', 'elseif', 'while', 'until']);
/**
 * A zero numeral ending at `end` (its token the last of `toks`): its sign as 5.1 files it (`-0` and
 * `- - -0` are folded to -0, `- -0` to 0), and whether 5.1 surely files it as a constant right
 * there (translate51's zeros). Not sure: an operand of `^` (`-0^2` folds otherwise); the left
 * operand of an arithmetic operator (filed after the right one, or folded: `0 * -1`); the right
 * one with a numeral or `)` on the left (`1 - 0` is folded to 1); a condition or `not`'s operand
 * (`if 0 then`, `0 and x`: no constant); `(0)` (a constant expression, not a call's argument).
 */
function zeroContext(src: string, ring: Int32Array, count: number, end: number): { neg: boolean; sure: boolean } {
  // toks[k]: the k-th token of those kept (the numeral is the last)
  const first = Math.max(0, count - TOKS_KEPT);
  const toks = (k: number) => ring[(first + k) % TOKS_KEPT];
  let k = count - first - 2;
  let minus = 0;
  while (k >= 0 && src.charCodeAt(toks(k)) === 45 && !(k > 0 && endsExpression(src, toks(k - 1)))) {
    minus++;
    k--;
  }
  const neg = minus % 2 === 1;
  // (the whole history was a unary minus chain: what came before is not known)
  if (k < 0 && first > 0) return { neg, sure: false };
  // the next token (past spaces and comments)
  let j = end;
  for (;;) {
    while (j < src.length && /\s/.test(src[j])) j++;
    if (src.charCodeAt(j) !== 45 || src.charCodeAt(j + 1) !== 45) break;
    const lvl = longBracket(src, j + 2);
    if (lvl >= 0) {
      const e = src.indexOf(']' + '='.repeat(lvl) + ']', j + 4 + lvl);
      j = e < 0 ? src.length : e + lvl + 2;
    } else while (j < src.length && src.charCodeAt(j) !== 10 && src.charCodeAt(j) !== 13) j++;
  }
  const nc = src.charCodeAt(j);
  if (ARITH.has(nc) || (src.startsWith('and', j) && !isAlnum(src.charCodeAt(j + 3)))) return { neg, sure: false };
  if (k >= 0) {
    const p = toks(k);
    const pc = src.charCodeAt(p);
    if (ARITH.has(pc) && k > 0) {
      const q = src.charCodeAt(toks(k - 1));
      if (isDigit(q) || q === 41 || (q === 46 && isDigit(src.charCodeAt(toks(k - 1) + 1)))) return { neg, sure: false };
    }
    if (pc === 40 && nc === 41 && !(k > 0 && endsExpression(src, toks(k - 1)))) return { neg, sure: false }; // (not f(0))
    if (isAlpha(pc)) {
      let e = p;
      while (e < src.length && isAlnum(src.charCodeAt(e))) e++;
      if (ZERO_UNSURE_BEFORE.has(src.slice(p, e))) return { neg, sure: false };
    }
  }
  return { neg, sure: true };
}

// Where the operand of a `#` being rewritten stands (see translate51's `lens`).
const LEN_START = 0; // right after `#`
const LEN_SUFFIX = 1; // after a name or a suffix: `.x`, `[k]`, `(args)`, `:m(args)` may follow
const LEN_INSIDE = 2; // inside the operand's ( [ {: back at the `#`'s depth it is LEN_SUFFIX
const LEN_INSIDE_FINAL = 3; // inside `#{...}`: nothing may follow
const LEN_DOT = 4; // after `.`
const LEN_METHOD = 5; // after `:`
const LEN_ARGS = 6; // after `:name`
const LEN_FINAL = 7; // complete: closed before the next token

// Token kinds lenToken tells apart.
const K_OTHER = 0;
const K_NAME = 1;
const K_STRING = 2;
const K_OPEN_PAREN = 3;
const K_OPEN_BRACE = 4;
const K_OPEN_SQUARE = 5;
const K_DOT = 6;
const K_COLON = 7;
const K_POW = 8;
const K_DOTS = 9;
const KEYWORDS = new Set(['and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for', 'function', 'if', 'in', 'local', 'nil', 'not', 'or', 'repeat', 'return', 'then', 'true', 'until', 'while']);

const EXPR_KEYWORDS = new Set(['return', 'if', 'elseif', 'while', 'until', 'and', 'or', 'not', 'in']);

/**
 * A `#` after the token starting at p begins an expression (elsewhere it is a syntax error that
 * must stay "unexpected symbol near '#'", so it is not rewritten).
 */
function lenAllowed(src: string, p: number): boolean {
  if (p < 0) return false;
  const c = src.charCodeAt(p);
  if (isAlpha(c) || c >= 128) {
    let e = p;
    while (e < src.length && isAlnum(src.charCodeAt(e))) e++;
    return EXPR_KEYWORDS.has(src.slice(p, e));
  }
  switch (c) {
    case 43: // + - * / % ^ # , ( { = < > ~ (as ~=)
    case 45:
    case 42:
    case 47:
    case 37:
    case 94:
    case 35:
    case 44:
    case 40:
    case 123:
    case 61:
    case 60:
    case 62:
    case 126:
      return true;
    case 91:
      return longBracket(src, p) < 0;
    case 46:
      return src.charCodeAt(p + 1) === 46 && src.charCodeAt(p + 2) !== 46;
  }
  return false;
}

/** The token at i (first char c) makes an integer operand before it act as a double would. */
function lenSameAsFloat(src: string, i: number, c: number): boolean {
  const c2 = src.charCodeAt(i + 1);
  if (c === 93) return true; // ]
  if (c === 61 || c === 126) return c2 === 61; // == ~=
  if (c === 60 || c === 62) return c2 !== c; // < <= > >= (not the << >> that 5.1 refuses)
  if (c === 46) return c2 === 46 && src.charCodeAt(i + 2) !== 46; // ..
  if (c === 43 || c === 45 || c === 42 || c === 37 || (c === 47 && c2 !== 47)) {
    let j = i + 1;
    while (src.charCodeAt(j) === 32 || src.charCodeAt(j) === 9) j++;
    const d = src.charCodeAt(j);
    return isDigit(d) || (d === 46 && isDigit(src.charCodeAt(j + 1)));
  }
  return false;
}

/** The kind of the token starting at i (first char c; -1 at the end of the chunk). */
function lenKind(src: string, i: number, c: number): number {
  if (c < 0) return K_OTHER;
  if (isAlpha(c) || c >= 128) {
    let e = i;
    while (e < src.length && isAlnum(src.charCodeAt(e))) e++;
    return KEYWORDS.has(src.slice(i, e)) ? K_OTHER : K_NAME;
  }
  const c2 = src.charCodeAt(i + 1);
  switch (c) {
    case 34:
    case 39:
      return K_STRING;
    case 91:
      return longBracket(src, i) >= 0 ? K_STRING : K_OPEN_SQUARE;
    case 40:
      return K_OPEN_PAREN;
    case 123:
      return K_OPEN_BRACE;
    case 46:
      if (c2 === 46) return src.charCodeAt(i + 2) === 46 ? K_DOTS : K_OTHER;
      return isDigit(c2) ? K_OTHER : K_DOT;
    case 58:
      return c2 === 58 ? K_OTHER : K_COLON;
    case 94:
      return K_POW;
  }
  return K_OTHER;
}

/**
 * Tail calls of library functions. 5.1 runs a tail call of a C function as an ordinary call, so an
 * error it raises names the line of the `return` in the script's function. Redust's cjson, cmsgpack,
 * struct, bit and the 5.1 wrappers of the prelude are Lua functions, and 5.4's tail call would drop
 * the function's frame (the error would name the line of its caller). So `return lib.f(args)` is
 * written `return (lib.f(args))` for the functions that return exactly one value, and
 * `return select(1, lib.f(args))` for those that return several (the call is then an argument,
 * made in the function's frame; all its results are kept). Only when the whole explist is the call,
 * and when the chunk never uses the library's name otherwise (a local could shadow it: every
 * occurrence of `cjson` must be `cjson.`, of `tostring` a call `tostring(`).
 */
const TAIL_CALL = /[ \t\r\n]*([A-Za-z_][A-Za-z0-9_]*)(?:[ \t]*([.:])[ \t]*([A-Za-z_][A-Za-z0-9_]*))?[ \t]*\(/y;
/** Methods of strings that are Lua wrappers (`return s:sub(1, 2)`): the object may be a table whose
 * method returns several values, so always `select(1, ...)`. */
const TAIL_METHODS = new Set(['sub', 'rep', 'byte', 'char', 'find', 'match', 'gmatch', 'gsub', 'len', 'format']);
const TAIL_ONE = new Set([
  'string.sub', 'string.rep', 'string.char', 'string.len', 'string.format', 'string.gmatch', 'string.gfind',
  'table.concat', 'table.getn', 'table.maxn', 'table.setn',
  'math.floor', 'math.ceil', 'math.max', 'math.min', 'math.log', 'math.pow', 'math.ldexp', 'math.log10', 'math.cosh', 'math.sinh', 'math.tanh', 'math.atan2', 'math.random',
  'math.acos', 'math.asin', 'math.atan', 'math.fmod', 'math.mod',
  'error', 'gcinfo', 'collectgarbage', 'rawget', 'setmetatable', 'tonumber', 'tostring',
  'redis.error_reply', 'redis.status_reply',
  'cjson.encode', 'cjson.decode', 'cmsgpack.pack', 'struct.pack', 'struct.size',
  ...['tobit', 'bnot', 'band', 'bor', 'bxor', 'lshift', 'rshift', 'arshift', 'rol', 'ror', 'bswap', 'tohex'].map((f) => 'bit.' + f),
]);
const TAIL_MULTI = new Set([
  'string.byte', 'string.find', 'string.match', 'string.gsub', 'select', 'unpack', 'next', 'pairs', 'ipairs',
  'loadstring', 'load', 'assert', 'table.foreach', 'table.foreachi', 'table.insert', 'table.remove', 'table.sort', 'coroutine.yield', 'coroutine.resume', 'math.frexp', 'cmsgpack.unpack', 'cmsgpack.unpack_one', 'cmsgpack.unpack_limit', 'struct.unpack',
]);

/**
 * The global `name` is never shadowed: each of its occurrences as a word in the chunk is followed
 * by `.` (dotted: a library table) or by `(` and not after `function` (a function called).
 */
function unshadowed(src: string, name: string, dotted: boolean, cache: Map<string, boolean>): boolean {
  const key = (dotted ? '.' : '(') + name;
  const known = cache.get(key);
  if (known !== undefined) return known;
  let ok = true;
  for (let p = src.indexOf(name); p >= 0 && ok; p = src.indexOf(name, p + name.length)) {
    if (p > 0 && isAlnum(src.charCodeAt(p - 1))) continue;
    const e = p + name.length;
    if (isAlnum(src.charCodeAt(e))) continue;
    let j = e;
    while (j < src.length && /\s/.test(src[j])) j++;
    if (dotted) ok = src.charCodeAt(j) === 46 && src.charCodeAt(j + 1) !== 46;
    else ok = src.charCodeAt(j) === 40 && !/function\s*$/.test(src.slice(Math.max(0, p - 20), p));
  }
  cache.set(key, ok);
  return ok;
}

/**
 * `goto` at s is a field name after `.` (`t.goto`, not `a .. goto`): the dot's index, or -1. Only
 * spaces and tabs may separate them, so that the rewrite keeps every token on its line.
 */
function fieldDot(src: string, s: number): number {
  let k = s - 1;
  while (k >= 0 && (src.charCodeAt(k) === 32 || src.charCodeAt(k) === 9)) k--;
  return k >= 0 && src.charCodeAt(k) === 46 && src.charCodeAt(k - 1) !== 46 ? k : -1;
}

/** `goto` at s is a method name after `:` (not `::`), spaces or tabs between: the colon's index, or -1. */
function methodColon(src: string, s: number): number {
  let k = s - 1;
  while (k >= 0 && (src.charCodeAt(k) === 32 || src.charCodeAt(k) === 9)) k--;
  return k >= 0 && src.charCodeAt(k) === 58 && src.charCodeAt(k - 1) !== 58 ? k : -1;
}

/**
 * The token at i (first char c) starts a primary expression (a name, or a `(` that is not a call's
 * arguments), given the start p of the token before it.
 */
function primaryStart(src: string, i: number, c: number, p: number): boolean {
  const pc = p < 0 ? -1 : src.charCodeAt(p);
  if (isAlpha(c) || c >= 128) {
    let e = i;
    while (e < src.length && isAlnum(src.charCodeAt(e))) e++;
    if (KEYWORDS.has(src.slice(i, e))) return false;
    return !((pc === 46 && src.charCodeAt(p + 1) !== 46) || (pc === 58 && src.charCodeAt(p + 1) !== 58));
  }
  if (c !== 40) return false;
  if (pc < 0) return true;
  if (isAlpha(pc) || pc >= 128) {
    let e = p;
    while (e < src.length && isAlnum(src.charCodeAt(e))) e++;
    return KEYWORDS.has(src.slice(p, e)) && src.slice(p, e) !== 'function';
  }
  if (pc === 41 || pc === 93 || pc === 125 || pc === 34 || pc === 39) return false;
  if (pc === 91 && longBracket(src, p) >= 0) return false;
  return true;
}

/** Inside `{ }`: `goto` at [s, e) right after `{`, `,` or `;` and before `=` (not `==`) is a key. */
function isTableKey(src: string, s: number, e: number): boolean {
  const space = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
  let k = s - 1;
  while (k >= 0 && space(src.charCodeAt(k))) k--;
  const before = k >= 0 ? src.charCodeAt(k) : -1;
  if (before !== 123 && before !== 44 && before !== 59) return false;
  let j = e;
  while (j < src.length && space(src.charCodeAt(j))) j++;
  return src.charCodeAt(j) === 61 && src.charCodeAt(j + 1) !== 61;
}

/** Lex a 5.1 short string starting at i; rewrite escapes 5.1 treats as the plain character. */
function string51(src: string, i: number, quote: number, flush: (upto: number) => void, out: string[], setLast: (p: number) => void): number {
  const n = src.length;
  i++;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === quote) return i + 1;
    if (c === 10 || c === 13) return i; // unfinished string: 5.4 reports it the same way
    if (c === 92) {
      const e = src.charCodeAt(i + 1);
      if (i + 1 >= n) return n;
      // 5.1 knows a b f n r t v \ " ' newline and decimal escapes; any other char stands for itself
      if ('abfnrtv\\"\'\n\r'.includes(src[i + 1]) || isDigit(e)) {
        i += 2;
        continue;
      }
      flush(i);
      out.push(src[i + 1]);
      setLast(i + 2);
      i += 2;
      continue;
    }
    i++;
  }
  return n;
}

/** What 5.1's luaO_str2d takes whole from a 5.1 numeral token: glibc strtod (decimal, hex float) or strtoul. */
const NUMERAL51 = /^(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|0[xX][0-9a-fA-F]+(?:[pP][0-9]+)?)$/;
const MALFORMED = '0.0.';

/**
 * 5.1's chunk is `{ stat [';'] }`: a ';' with no statement before it (at the start of the chunk or
 * of a block, after another ';') is "unexpected symbol near ';'" where 5.4 takes an empty statement.
 * (The start of a function body, after its parameters' ')', is not told apart from a call.)
 */
function emptyStatement(src: string, prev: number): boolean {
  if (prev < 0) return true;
  const p = src.charCodeAt(prev);
  if (p === 59) return true;
  if (!isAlpha(p)) return false;
  let e = prev;
  while (e < src.length && isAlnum(src.charCodeAt(e))) e++;
  const w = src.slice(prev, e);
  return w === 'do' || w === 'then' || w === 'else' || w === 'repeat';
}

const PLACEHOLDERS: [RegExp, string][] = [
  [/'<\\1>'/g, "'&'"],
  [/'<\\2>'/g, "'|'"],
  [/'<\\3>'/g, "'~'"],
  [/'<\\4>'/g, "'<'"],
  [/'<\\5>'/g, "';'"],
];

/** Map a 5.4 compile or runtime error message to 5.1's wording. */
export function fixMessage51(msg: string): string {
  if (msg.includes("'<\\")) {
    for (const [re, s] of PLACEHOLDERS) msg = msg.replace(re, s);
    // 5.4 quotes any other non-printable byte as '<\N>'; 5.1's luaX_token2str writes a control
    // character as char(N) and any other byte as itself (C's iscntrl/isprint, "C" locale)
    msg = msg.replace(/'<\\(\d+)>'/g, (_, d: string) => {
      const c = Number(d);
      return c < 32 || c === 127 ? `'char(${c})'` : `'${String.fromCharCode(c)}'`;
    });
  }
  if (msg.includes(GOTO_METHOD)) msg = msg.split(`local '${GOTO_METHOD}'`).join("method 'goto'");
  if (msg.includes(GOTO_NAME) || msg.includes(USER_PREFIX)) {
    msg = msg.replace(/[A-Za-z_][A-Za-z0-9_]*/g, (w) => (w.startsWith(USER_PREFIX) ? w.slice(USER_PREFIX.length) : w === GOTO_NAME ? 'goto' : w));
  }
  // 5.1's errorlimit: "main function has more than 200 local variables" (no "near")
  msg = msg.replace(/too many (.+?) \(limit is (\d+)\) in (main function|function at line \d+) near .*$/s, '$3 has more than $2 $1');
  if (msg.includes("malformed number near '0.0.")) msg = msg.replace(/malformed number near '0\.0\.([0-9a-f]*)'/, (_m, h: string) => `malformed number near '${Buffer.from(h, 'hex').toString('latin1')}'`);
  // Literals we rewrote, when an error quotes them: 10. -> 10, 0x10p0 -> 0x10
  msg = msg.replace(/near '([0-9]+)\.'/, "near '$1'").replace(/near '(0[xX][0-9a-fA-F]+)p0'/, "near '$1'");
  // 5.1's read_long_string does not say where the string started
  if (msg.includes('(starting at line ')) msg = msg.replace(/unfinished long (string|comment) \(starting at line \d+\)/, 'unfinished long $1');
  if (msg.includes('<eof>')) msg = msg.replace(/(^|[^'])<eof>(?!')/g, "$1'<eof>'");
  // 5.1's read_string reports the buffer before the backslash; 5.4's decimal escape check includes it
  msg = msg.replace(/decimal escape too large near '(.*)'$/s, (_m, t: string) => `escape sequence too large near '${t.replace(/\\[0-9]{1,3}[^]?$/, '')}'`);
  // 5.4's exprstat says "syntax error" where 5.1's assignment() expects '='
  msg = msg.replace(/: syntax error near /, ": '=' expected near ");
  // "attempt to index a nil value (local 't')" -> "attempt to index local 't' (a nil value)"
  msg = msg.replace(/attempt to (.+?) an? (\w+) value \((local|global|field|upvalue|method) '([^']*)'\)/, "attempt to $1 $3 '$4' (a $2 value)");
  msg = msg.replace(/attempt to (.+?) (an? \w+ value) \(constant '[^']*'\)/, 'attempt to $1 $2');
  // 5.1's xpcall checks only that a handler is there
  msg = msg.replace("bad argument #2 to 'xpcall' (function expected, got no value)", "bad argument #2 to 'xpcall' (value expected)");
  // A chunk named by its source (loadstring): 5.4's luaO_chunkid keeps up to 44 characters whole,
  // or 45 and "..."; 5.1's (LUA_IDSIZE 60, at run time) 43. (load_translated in prelude.ts names
  // compile errors as 5.1's lexer does, before this runs.)
  if (msg.includes('[string "')) msg = msg.replace(/\[string "([^\n]{44})"\]|\[string "([^\n]{45})\.\.\."\]/g, (_m, whole: string | undefined, cut: string | undefined) => `[string "${(whole ?? cut)!.slice(0, 43)}..."]`);
  // str_char: 5.1's luaL_argcheck text
  msg = msg.replace(/bad argument #(\d+) to '(char|\?)' \(value out of range\)/, "bad argument #$1 to '$2' (invalid value)");
  // 5.1's capture index errors (pattern and replacement string) give no index
  msg = msg.replace(/invalid capture index %\d+(?: in [a-z ]+)?/, 'invalid capture index');
  // luaB_setmetatable's luaL_argcheck; math.max/min's luaL_checknumber; OP_FORPREP's texts
  msg = msg.replace(/\((nil or table|string\/function\/table) expected, got [\w ]+\)/, '($1 expected)');
  msg = msg.replace("malformed pattern (missing arguments to '%b')", 'unbalanced pattern');
  msg = msg.replace(/bad argument #1 to '((?:math\.)?(?:max|min))' \(value expected\)/, "bad argument #1 to '$1' (number expected, got no value)");
  msg = msg.replace(/bad 'for' (initial value|limit|step) \(number expected, got [\w ]+\)/, "'for' $1 must be a number");
  return msg;
}

/**
 * Local functions made once per script instead of once per run. A script such as BullMQ's
 * moveToFinished starts with dozens of `local function`s (37) and then its body; every EVALSHA ran
 * the whole chunk and so made every closure again (~150 ns each with its upvalues: luaF_findupval
 * walks the chunk's open upvalues, then the GC frees them all), ~5.7 µs per run for that script
 * against ~1.7 µs for an EVALSHA of `return 1`.
 *
 * `hoistFunctions` takes translate51's output (which compiled) and, when its leading statements are
 * only `local function NAME ... end`, `local NAME = function ... end` and `local NAME = redis.call`
 * (or `redis.pcall`), returns the
 * chunk with the rest (the body) wrapped as `return function(...) BODY \n end`: running the chunk
 * once makes the functions and gives the body's function, which each run then calls (Sandbox.compile).
 * Tokens stay on their lines. Nothing a script can observe changes, because:
 * - the leading statements run nothing (closures and a read of `redis.call`, a constant: the
 *   `redis` table is read-only), so making them once gives the values every run would make;
 * - none of those names is ever assigned (checked below, conservatively: any `NAME =`, `NAME ,`
 *   outside brackets, `local NAME`, `for NAME`, `function NAME` refuses), so no run can see what an
 *   earlier one did; a function's identity is not observable across runs (globals are protected);
 * - in the body such a name becomes an upvalue instead of a local, which only shows in error texts
 *   that name the variable ("attempt to index local 'f'") or through `debug`: the body may only call
 *   them (`NAME(`, `NAME'str'`, `NAME{`), which cannot fail at the call site (they are functions),
 *   and chunks naming `debug`, `getfenv` or `setfenv` are left alone;
 * - the time-limit countdown (COUNTER) is then shared by the runs: a check still comes every
 *   TICK_EVERY passes.
 * Errors inside the functions and the body name the same lines; `error(m, 2)` from the body reaches
 * the C caller as before (the body is called from C as the chunk was). Returns null when the chunk
 * does not have that form.
 */
export function hoistFunctions(t: string): string | null {
  const prefix = `local ${COUNTER}=${TICK_EVERY}; `;
  if (!t.startsWith(prefix)) return null;
  const toks = luaTokens(t, prefix.length);
  if (toks === null) return null;
  const text = (k: number): string => (k < toks.length ? t.slice(toks[k].s, toks[k].e) : '');
  const names = new Set<string>();
  const declared = new Set<number>(); // token indexes of the declarations
  let k = 0;
  for (;;) {
    if (text(k) === ';') {
      k++;
      continue;
    }
    if (text(k) !== 'local') break;
    // `local function NAME`, `local NAME = function`, `local NAME = redis.call` (or pcall)
    const form = text(k + 1) === 'function' && toks[k + 2]?.name ? 1 : toks[k + 1]?.name && text(k + 2) === '=' ? 2 : 0;
    if (form === 0) break;
    const name = form === 1 ? k + 2 : k + 1;
    let next: number;
    if (form === 1 || text(k + 3) === 'function') {
      // Its `end`: blocks open at function, do, if, repeat and close at end, until.
      let depth = 0;
      let j = form === 1 ? k + 1 : k + 3;
      for (; j < toks.length; j++) {
        const w = text(j);
        if (w === 'function' || w === 'do' || w === 'if' || w === 'repeat') depth++;
        else if ((w === 'end' || w === 'until') && --depth === 0) break;
      }
      if (j >= toks.length) return null;
      next = j + 1;
    } else if (text(k + 3) === 'redis' && text(k + 4) === '.' && (text(k + 5) === 'call' || text(k + 5) === 'pcall')) next = k + 6;
    else break;
    // The expression must end there (not `redis.call(...)`, `function() end()`, `... or x`).
    if (form === 2 && next < toks.length && !(text(next) === ';' || (toks[next].name && text(next) !== 'and' && text(next) !== 'or'))) break;
    names.add(text(name));
    declared.add(name);
    k = next;
  }
  if (names.size === 0) return null;
  const bodyStart = k;
  let depth = 0;
  for (let j = 0; j < toks.length; j++) {
    const w = text(j);
    if (w === '(' || w === '[' || w === '{') depth++;
    else if (w === ')' || w === ']' || w === '}') depth--;
    else if (toks[j].name && (w === 'debug' || w === 'getfenv' || w === 'setfenv')) return null;
    if (!toks[j].name || !names.has(w) || declared.has(j)) continue;
    const prev = j > 0 ? text(j - 1) : '';
    if (prev === '.' || prev === ':') continue; // a field or method name
    const next = text(j + 1);
    if (prev === 'local' || prev === 'for' || prev === 'function' || next === '=' || (next === ',' && depth === 0)) return null;
    if (j >= bodyStart && !(next === '(' || next === '{' || toks[j + 1]?.str)) return null;
  }
  const at = bodyStart < toks.length ? toks[bodyStart].s : t.length;
  return t.slice(0, at) + 'return function(...) ' + t.slice(at) + '\nend';
}

interface LuaToken {
  s: number;
  e: number;
  /** A name or keyword. */
  name: boolean;
  /** A string literal (quoted or long). */
  str: boolean;
}

/** Lua 5.4's tokens of `s` from `from` (comments and spaces skipped); null on text it does not expect. */
function luaTokens(s: string, from: number): LuaToken[] | null {
  const toks: LuaToken[] = [];
  const n = s.length;
  let i = from;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13)) {
      i++;
      continue;
    }
    const start = i;
    if (c === 45 && s.charCodeAt(i + 1) === 45) {
      const level = longBracket(s, i + 2);
      if (level >= 0) {
        const close = s.indexOf(']' + '='.repeat(level) + ']', i + 4 + level);
        if (close < 0) return null;
        i = close + level + 2;
      } else {
        const nl = s.indexOf('\n', i);
        i = nl < 0 ? n : nl + 1;
      }
      continue;
    }
    if (isAlpha(c) || c >= 128) {
      while (i < n && isAlnum(s.charCodeAt(i))) i++;
      toks.push({ s: start, e: i, name: true, str: false });
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(s.charCodeAt(i + 1)))) {
      // 5.4's read_numeral: digits, letters, '.', and a sign after an exponent mark.
      while (i < n) {
        const d = s.charCodeAt(i);
        if ((d === 43 || d === 45) && /[eEpP]/.test(s[i - 1])) i++;
        else if (isAlnum(d) || d === 46) i++;
        else break;
      }
      toks.push({ s: start, e: i, name: false, str: false });
      continue;
    }
    if (c === 34 || c === 39) {
      i++;
      while (i < n && s.charCodeAt(i) !== c) {
        if (s.charCodeAt(i) === 92) i++;
        i++;
      }
      if (i >= n) return null;
      i++;
      toks.push({ s: start, e: i, name: false, str: true });
      continue;
    }
    const level = longBracket(s, i);
    if (level >= 0) {
      const close = s.indexOf(']' + '='.repeat(level) + ']', i + 2 + level);
      if (close < 0) return null;
      i = close + level + 2;
      toks.push({ s: start, e: i, name: false, str: true });
      continue;
    }
    if (c < 32 || c === 127) return null;
    const two = s.slice(i, i + 2);
    if (s.startsWith('...', i)) i += 3;
    else if (two === '..' || two === '==' || two === '~=' || two === '<=' || two === '>=' || two === '//' || two === '::' || two === '<<' || two === '>>') i += 2;
    else i++;
    toks.push({ s: start, e: i, name: false, str: false });
  }
  return toks;
}

/** Lua 5.1's reserved words (5.4 has `goto` too, which translate51 renames). */
const KEYWORDS51 = new Set(['and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for', 'function', 'if', 'in', 'local', 'nil', 'not', 'or', 'repeat', 'return', 'then', 'true', 'until', 'while']);

/**
 * Local functions kept from one run to the next where hoistFunctions cannot move them: a script
 * such as BullMQ's addStandardJob declares per-run locals (`local args = cmsgpack.unpack(ARGV[1])`)
 * before its 23 functions. A function defined by a top-level `local function NAME` or
 * `local NAME = function`, whose body names (outside its own and nested functions' parameters and
 * loop variables) no per-run top-level local declared before it, captures only values that are the
 * same on every run: other such functions, `redis.call`/`redis.pcall` aliases and the time-limit
 * countdown. Its definition becomes `local NAME NAME = __redust_F[k] or function ... end
 * __redust_F[k] = NAME` on the same lines, and the chunk `local __redust_F = {} return function(...)
 * CHUNK \n end`, run once by Sandbox.compile: the first run makes the closure, the next ones reuse it.
 * The script's locals stay locals of its (now inner) main function, so error texts are unchanged.
 * Conditions as for hoistFunctions: the kept names and aliases are declared once at the top level
 * and never assigned (`NAME =`, `NAME ,` outside brackets and local lists, `function NAME`), and the
 * chunk does not name debug/getfenv/setfenv (the main function is a nested one). A `local`
 * inside a function body is not taken as shadowing (conservative: the function is then not kept).
 * The names a script writes that start with `__redust` are renamed by translate51, so no script can
 * reach `__redust_F`. Returns null when no function can be kept.
 */
export function cacheFunctions(t: string): string | null {
  const prefix = `local ${COUNTER}=${TICK_EVERY}; `;
  if (!t.startsWith(prefix)) return null;
  const lexed = luaTokens(t, prefix.length);
  if (lexed === null) return null;
  const toks = lexed;
  const n = toks.length;
  const text = (k: number): string => (k >= 0 && k < n ? t.slice(toks[k].s, toks[k].e) : '');
  // Each block opener's closing token, and each token's block depth.
  const closer = new Int32Array(n).fill(-1);
  const depthAt = new Int32Array(n);
  const open: number[] = [];
  for (let j = 0; j < n; j++) {
    depthAt[j] = open.length;
    const w = text(j);
    if (!toks[j].name) continue;
    if (w === 'debug' || w === 'getfenv' || w === 'setfenv') return null;
    if (w === 'function' || w === 'do' || w === 'if' || w === 'repeat') open.push(j);
    else if (w === 'end' || w === 'until') {
      const o = open.pop();
      if (o === undefined) return null;
      closer[o] = j;
    }
  }
  if (open.length > 0) return null;
  // For a name token j in a `local`/`for` name list or after `local function` (a declaration): the
  // index of that `local`/`for`; -1 otherwise.
  const declaredBy = (j: number): number => {
    if (KEYWORDS51.has(text(j))) return -1;
    let k = j - 1;
    if (text(k) === 'function') return text(k - 1) === 'local' ? k - 1 : -1;
    while (text(k) === ',' && toks[k - 1]?.name) k -= 2;
    return text(k) === 'local' || text(k) === 'for' ? k : -1;
  };
  // Names declared more than once at the top level, and names ever assigned.
  const topDecls = new Map<string, number>();
  const assigned = new Set<string>();
  let bracket = 0;
  for (let j = 0; j < n; j++) {
    const w = text(j);
    if (w === '(' || w === '[' || w === '{') bracket++;
    else if (w === ')' || w === ']' || w === '}') bracket--;
    if (!toks[j].name || KEYWORDS51.has(w)) continue;
    const prev = text(j - 1);
    if (prev === '.' || prev === ':') continue;
    const next = text(j + 1);
    const d = declaredBy(j);
    if (d >= 0) {
      if (depthAt[d] === 0 && text(d) === 'local') topDecls.set(w, (topDecls.get(w) ?? 0) + 1);
      continue;
    }
    if (next === '=' || (next === ',' && bracket === 0) || prev === 'function') assigned.add(w);
  }
  const fixed = (name: string): boolean => topDecls.get(name) === 1 && !assigned.has(name);
  // The top-level statements in order: which functions can be kept.
  const perRun = new Set<string>();
  const kept: { name: number; fn: number }[] = [];
  for (let j = 0; j < n; j++) {
    if (depthAt[j] !== 0 || text(j) !== 'local') continue;
    if (text(j + 1) === 'function') {
      const fn = j + 1;
      const name = text(j + 2);
      if (closer[fn] < 0) return null;
      if (fixed(name) && onlyFixed(fn, name)) kept.push({ name: j + 2, fn });
      else perRun.add(name);
      j = closer[fn];
      continue;
    }
    // `local a, b = ...`: its names (declared after the statement; its expressions are not read
    // here, they are run by the body whatever happens).
    const names: string[] = [];
    let k = j + 1;
    while (toks[k]?.name) {
      names.push(text(k));
      if (text(k + 1) !== ',') break;
      k += 2;
    }
    const end = text(k + 2) === 'function' ? closer[k + 2] : -1;
    const after = end >= 0 ? end + 1 : k + 5;
    const single = names.length === 1 && text(k + 1) === '=' && (after >= n || text(after) === ';' || (toks[after].name && text(after) !== 'and' && text(after) !== 'or'));
    if (single && end >= 0 && fixed(names[0]) && onlyFixed(k + 2, '')) kept.push({ name: k, fn: k + 2 });
    else if (!(single && end < 0 && text(k + 2) === 'redis' && text(k + 3) === '.' && (text(k + 4) === 'call' || text(k + 4) === 'pcall') && fixed(names[0]))) {
      for (const x of names) perRun.add(x);
    }
  }
  if (kept.length === 0) return null;

  /**
   * Whether the function at token `fn` (`function`) names no per-run local outside its own and its
   * nested functions' parameters and loop variables (`self`: itself, for `local function self`).
   */
  function onlyFixed(fn: number, self: string): boolean {
    const scopes: { start: number; end: number; names: Set<string> }[] = [];
    for (let j = fn; j <= closer[fn]; j++) {
      while (scopes.length > 0 && j > scopes[scopes.length - 1].end) scopes.pop();
      const w = text(j);
      if (!toks[j].name) continue;
      if (w === 'function') {
        // Parameters: visible from ')' to the function's `end`.
        let p = j + 1;
        const names = new Set<string>();
        while (p < n && text(p) !== '(') {
          if (text(p) === ':') names.add('self');
          p++;
        }
        for (p++; p < n && text(p) !== ')'; p++) if (toks[p].name) names.add(text(p));
        scopes.push({ start: p, end: closer[j], names });
        j = p;
        continue;
      }
      if (w === 'for') {
        // Loop variables: visible from the loop's `do` to its `end` (the header is read outside).
        const names = new Set<string>();
        let p = j + 1;
        for (; toks[p]?.name; p += 2) {
          names.add(text(p));
          if (text(p + 1) !== ',') break;
        }
        let d = p;
        while (d < n && text(d) !== 'do') d = text(d) === 'function' ? closer[d] + 1 : d + 1;
        if (d >= n) return false;
        scopes.push({ start: d, end: closer[d], names });
        j = p;
        continue;
      }
      const prev = text(j - 1);
      if (prev === '.' || prev === ':' || !perRun.has(w) || w === self) continue;
      if (!scopes.some((s) => j > s.start && s.names.has(w))) return false;
    }
    return true;
  }

  const out: string[] = [];
  let last = 0;
  const F = '__redust_F';
  kept.forEach(({ name, fn }, i) => {
    const k = `${F}[${i + 1}]`;
    const nm = text(name);
    if (text(fn - 1) === 'local') {
      // `local function NAME` -> `local NAME NAME = F[k] or function`
      out.push(t.slice(last, toks[fn].s), `${nm} ${nm} = ${k} or function`);
      last = toks[name].e;
    } else {
      // `local NAME = function` -> `local NAME = F[k] or function`
      out.push(t.slice(last, toks[fn].s), `${k} or `);
      last = toks[fn].s;
    }
    const e = toks[closer[fn]].e;
    out.push(t.slice(last, e), ` ${k} = ${nm}`);
    last = e;
  });
  out.push(t.slice(last));
  return `local ${F} = {} return function(...) ` + out.join('') + '\nend';
}
