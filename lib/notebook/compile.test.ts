// The cell compiler: declarations, inputs, values, generators and error positions.
import { describe, expect, it } from 'vitest';
import { CTX, cellFunction, compileCell, duplicateDeclarations, errorLine, type CompiledCell } from './compile';
import { CellCompileError } from './errors';
import { createLoopGuard, LoopGuardError } from './loopGuard';

/** Runs a compiled cell with inputs by name (test helper; the runtime does this through Observable). */
async function evaluate(cell: CompiledCell, inputs: Record<string, unknown> = {}, ctx: Record<string, unknown> = {}): Promise<unknown> {
  const params = cell.inputs;
  const fn = cellFunction(cell, params);
  return fn(ctx, ...params.map((p) => inputs[p]));
}

function compileError(source: string): CellCompileError {
  try {
    compileCell(source);
  } catch (e) {
    if (e instanceof CellCompileError) return e;
    throw e;
  }
  throw new Error(`compiled without error: ${source}`);
}

describe('compileCell: names', () => {
  it('finds top-level declarations of every kind, destructuring included', () => {
    const c = compileCell(
      'const a = 1, {b, c: [d, ...e], ...f} = g\nlet h\nvar i = 2\nfunction j() {}\nclass K {}\nasync function* l() {}\nconst [m = n] = []',
    );
    expect(c.declarations).toEqual(['a', 'b', 'd', 'e', 'f', 'h', 'i', 'j', 'K', 'l', 'm']);
    expect(c.inputs).toEqual(['g', 'n']);
  });

  it('does not export names declared in blocks, loops or functions', () => {
    const c = compileCell('{ const a = 1 }\nfor (let i = 0; i < 3; i++) {}\nfor (var k of []) {}\nif (x) { function f() {} }');
    expect(c.declarations).toEqual([]);
    expect(c.inputs).toEqual(['x']);
  });

  it('finds free references in order of first use, skipping locals, properties, keys and labels', () => {
    const c = compileCell(`
const local = 1
const o = { key: model, [computed]: 2, short }
function f(p, {q} = defaults) { const inner = p + q + outer; return arguments.length + inner }
const g = (x) => x.prop + local + y
outer2: for (const v of list) { if (v) break outer2 }
class C extends Base { field = init; m() { return this.field + C.name } }
try { risky() } catch (err) { err.message + handler }
const h = function named() { return named }
label\`tpl \${inTemplate}\`
`);
    expect(c.inputs).toEqual(['model', 'computed', 'short', 'defaults', 'outer', 'y', 'list', 'Base', 'init', 'risky', 'handler', 'label', 'inTemplate']);
    expect(c.declarations).toEqual(['local', 'o', 'f', 'g', 'C', 'h']);
  });

  it('separates host globals from inputs', () => {
    const c = compileCell('const t = Math.max(x, 1); console.log(t, new Map(), globalThis)');
    expect(c.inputs).toEqual(['x']);
    expect(c.globals).toEqual(['Math', 'console', 'Map', 'globalThis']);
  });

  it('treats display, view and invalidation as inputs, and a var used before its declaration as local', () => {
    const c = compileCell('display(view(slider)); invalidation.then(() => {}); hoisted = 1; var hoisted');
    expect(c.inputs).toEqual(['display', 'view', 'slider', 'invalidation']);
  });
});

describe('compileCell: values', () => {
  it('an anonymous cell returns its last expression', async () => {
    expect(await evaluate(compileCell('1 + 1\nx * 2'), { x: 21 })).toBe(42);
    expect(await evaluate(compileCell('x * 2 // trailing comment'), { x: 2 })).toBe(4);
    expect(await evaluate(compileCell('if (true) { 1 }'))).toBeUndefined();
  });

  it('awaits at top level', async () => {
    expect(await evaluate(compileCell('const v = await Promise.resolve(3)'))).toEqual({ v: 3 });
    expect(await evaluate(compileCell('await new Promise((r) => setTimeout(r, 1)); "ok"'))).toBe('ok');
  });

  it('a declaring cell returns its names', async () => {
    const c = compileCell('const a = x + 1\nfunction twice(v) { return 2 * v }\nconst {b} = {b: twice(a)}');
    const value = (await evaluate(c, { x: 1 })) as Record<string, unknown>;
    expect(value.a).toBe(2);
    expect(value.b).toBe(4);
    expect(typeof value.twice).toBe('function');
  });

  it('runs in strict mode, like a module', async () => {
    expect(await evaluate(compileCell('(function () { return this === undefined })()'))).toBe(true);
  });

  it('a cell with top-level yield is an async generator; nested yields do not count', async () => {
    const gen = compileCell('for (let i = 0; i < 3; i++) yield i * k');
    expect(gen.generator).toBe(true);
    const it = (await evaluate(gen, { k: 10 })) as AsyncGenerator;
    const seen: unknown[] = [];
    for await (const v of it) seen.push(v);
    expect(seen).toEqual([0, 10, 20]);
    expect(compileCell('function* g() { yield 1 }\ng()').generator).toBe(false);
  });

  it('a declaring generator exposes a snapshot of its names, undefined before they are declared', async () => {
    const c = compileCell('let step = 0\nyield\nstep = 5\nyield\nconst late = "here"\nyield');
    const ctx: { snapshot?: () => Record<string, unknown> } = {};
    const it = (await evaluate(c, {}, ctx)) as AsyncGenerator;
    await it.next();
    expect(ctx.snapshot!()).toEqual({ step: 0, late: undefined });
    await it.next();
    expect(ctx.snapshot!()).toEqual({ step: 5, late: undefined });
    await it.next();
    expect(ctx.snapshot!()).toEqual({ step: 5, late: 'here' });
  });

  it('names the cell in stack traces', async () => {
    const fn = cellFunction(compileCell('throw new Error("x")'), [], 'cell c7');
    const error = await (fn({}) as Promise<unknown>).catch((e: Error) => e);
    expect((error as Error).stack).toContain('cell_c7.js');
  });

  it('maps a runtime error back to the cell line, for plain and generator cells', async () => {
    const plain = compileCell('const a = 1\n\nnull.boom');
    const e1 = await (cellFunction(plain, [], 'cell x')({}) as Promise<unknown>).catch((e: unknown) => e);
    expect(errorLine(e1, plain, 'cell x')).toBe(3);
    const gen = compileCell('let s = 0\nyield\nfunction f() {\n  return null.boom\n}\nf()');
    const it = cellFunction(gen, [], 'cell y')({ snapshot: null }) as AsyncGenerator;
    await it.next();
    const e2 = await it.next().catch((e: unknown) => e);
    // The innermost frame in the cell: inside f.
    expect(errorLine(e2, gen, 'cell y')).toBe(4);
    expect(errorLine(e2, gen, 'cell other')).toBeNull();
    expect(errorLine('not an error', gen, 'cell y')).toBeNull();
  });

  it('takes the parameter list the runtime chooses', async () => {
    const c = compileCell('Math.max(a, 1)');
    const fake = { max: () => 'shadowed' };
    const fn = cellFunction(c, ['a', 'Math']);
    expect(await fn({}, 5, fake)).toBe('shadowed');
    expect(CTX).toBe('__tfl_ctx');
  });
});

describe('compileCell: loop guard', () => {
  /** Runs a cell with a guard that asks to be called again at once, so it counts every loop iteration. */
  async function iterations(source: string, inputs: Record<string, unknown> = {}): Promise<{ value: unknown; calls: number }> {
    const c = compileCell(source);
    let calls = 0;
    const fn = cellFunction(c, c.inputs, 'cell', () => (calls++, 0));
    const value = await fn({}, ...c.inputs.map((p) => inputs[p]));
    return { value, calls };
  }

  it('checks every iteration of every kind of loop, nested functions, classes and continue paths included', async () => {
    const cases: [string, number][] = [
      ['for (let i = 0; i < 3; i++) {}', 3],
      ['for (let i = 0; i < 3; i++);', 3],
      ['for (const k in { a: 1, b: 2 }) k', 2],
      ['for (const x of [1, 2, 3, 4]) { x }', 4],
      ['for await (const x of (async function* () { yield 1; yield 2 })()) {}', 2],
      ['let w = 0\nwhile (w < 5) w++', 5],
      ['let d = 0\ndo { d++; if (d < 4) continue } while (d < 4)', 4],
      ['let d = 0\ndo d++\nwhile (d < 3)', 3],
      ['outer: for (let i = 0; i < 3; i++) { for (let j = 0; j < 3; j++) { if (j === 1) continue outer } }', 3 + 6],
      ['l: for (const x of [1, 2]) m: for (const y of [1, 2]) continue l', 2 + 2],
      ['function f(n) { let s = 0; while (n-- > 0) s++; return s }\nf(6)', 6],
      ['const g = (n) => { for (;;) if (--n < 0) break }; g(2)', 3],
      ['class C { static { for (const x of [1, 2]) {} } m() { for (const x of [1]) {} } }\nnew C().m()', 3],
      ['if (true) for (const x of [1, 2]) x; else for (const y of [3]) y', 2],
      ['const nested = [[1, 2], [3]].map((a) => { let s = 0; for (const v of a) s += v; return s })', 3],
    ];
    for (const [src, n] of cases) expect((await iterations(src)).calls, src).toBe(n);
  });

  it('leaves values, declarations, generators and line numbers as they were', async () => {
    expect((await iterations('for (const x of [1]);y', { y: 5 })).value).toBe(5);
    expect((await iterations('(() => { let s = 0; for (const x of [1, 2, 3]) s += x; return s })()')).value).toBe(6);
    expect((await iterations('let t = 0\nfor (let i = 0; i < 4; i++) t += i\nconst u = t * 2')).value).toEqual({ t: 6, u: 12 });
    const gen = compileCell('for (let i = 0; i < 3; i++) yield i');
    const seen: unknown[] = [];
    for await (const v of cellFunction(gen, [], 'g', () => 0)({}) as AsyncGenerator) seen.push(v);
    expect(seen).toEqual([0, 1, 2]);
    const c = compileCell('let i = 0\nwhile (i < 2) i++\nfor (;;) {\n  null.boom\n}');
    const e = await (cellFunction(c, [], 'cell z')({}) as Promise<unknown>).catch((x: unknown) => x);
    expect(errorLine(e, c, 'cell z')).toBe(4);
    // Cells without loops compile to what they did.
    expect(compileCell('const a = 1').body).toBe('"use strict";\nconst a = 1\nreturn {a};\n');
  });

  it('stops a real synchronous infinite loop at its line, even one that catches the error', async () => {
    const guard = createLoopGuard({ limitMs: 150 });
    for (const [src, line] of [
      ['let i = 0\nwhile (true) { i++ }', 2],
      // The inner loop's error is caught; the outer loop's next check throws again.
      ['let n = 0\nfor (;;) {\n  try { for (;;) n++ } catch {}\n}', 2],
      ['const spin = () => { do {} while (true) }\nspin()', 1],
      ['while (true) await null', 1],
    ] as const) {
      const c = compileCell(src);
      const t0 = performance.now();
      const e = await (cellFunction(c, [], 'cell loop', guard.check)({}) as Promise<unknown>).catch((x: unknown) => x);
      expect(e, src).toBeInstanceOf(LoopGuardError);
      expect(performance.now() - t0).toBeLessThan(1500);
      expect(errorLine(e, c, 'cell loop'), src).toBe(line);
      await new Promise((r) => setTimeout(r, 5)); // the event loop turns: the guard is clear again
    }
    guard.dispose();
  });

  it('does not stop a long loop that awaits real work', async () => {
    const guard = createLoopGuard({ limitMs: 100 });
    const c = compileCell('let n = 0\nfor (let i = 0; i < 6; i++) { await new Promise((r) => setTimeout(r, 40)); n++ }');
    expect(await cellFunction(c, [], 'cell', guard.check)({})).toEqual({ n: 6 });
    guard.dispose();
  });
});

describe('compileCell: errors', () => {
  it('reports syntax errors at their line and column within the cell', () => {
    const e = compileError('const a = 1\nconst b = (2 +\nconst c = 3');
    expect(e.line).toBe(3);
    expect(e.column).toBe(1);
    expect(e.message).toMatch(/Unexpected token/);
    expect(e.message).not.toMatch(/\(\d+:\d+\)/);
  });

  it('reports an unterminated construct at the end of the cell, not past it', () => {
    const e = compileError('function f() {\n  return 1');
    expect(e.line).toBe(2);
    expect(e.column).toBeGreaterThan(1);
  });

  it('rejects a brace that would close the wrapper', () => {
    const e = compileError('x\n}\nfoo(); {');
    expect(e.message).toMatch(/closes nothing/);
    expect([e.line, e.column]).toEqual([2, 1]);
  });

  it('rejects import/export with a pointer to dynamic import', () => {
    expect(compileError('import x from "y"').message).toMatch(/await import/);
    expect(compileError('export const a = 1').message).toMatch(/not supported/);
  });

  it('rejects top-level return, but not a return in a function', () => {
    const e = compileError('const a = 1\nreturn a');
    expect(e.message).toMatch(/return is not allowed/);
    expect([e.line, e.column]).toEqual([2, 1]);
    expect(() => compileCell('const f = () => { return 1 }')).not.toThrow();
  });

  it('rejects assigning another cell\'s name, allows locals and globals', () => {
    for (const src of ['x = 2', 'x += 1', 'x++', ';[x] = [1]', ';({a: x} = {})', 'for (x of []) {}']) {
      const e = compileError(`const y = 1\n${src}`);
      expect(e.message, src).toMatch(/cannot assign to x/);
      expect(e.line).toBe(2);
    }
    expect(() => compileCell('let x = 1; x = 2; x++; const f = (x) => { x = 3 }; location = "#top"')).not.toThrow();
  });

  it('rejects declaring what the notebook provides', () => {
    const e = compileError('const a = 1\nfunction display() {}');
    expect(e.message).toMatch(/display is provided by the notebook/);
    expect([e.line, e.column]).toEqual([2, 10]);
    expect(compileError('const __tfl_x = 1').message).toMatch(/reserved/);
    for (const src of ['function f(__tfl_x) { return __tfl_x }', '{ let __tfl_y = 1 }', 'try {} catch (__tfl_e) {}', 'const g = ({ __tfl_z }) => 1']) {
      expect(compileError(src).message, src).toMatch(/reserved/);
    }
    expect(() => compileCell('const o = { __tfl_p: 1 }; o.__tfl_p')).not.toThrow();
  });

  it('allows yield and await as the language allows them', () => {
    expect(() => compileCell('const f = async () => await 1; const g = function* () { yield 1 }')).not.toThrow();
    expect(compileError('const f = () => { await 1 }').message).toMatch(/await|reserved|Unexpected/i);
  });
});

describe('duplicateDeclarations', () => {
  it('lists names declared by more than one cell with their cells', () => {
    const dups = duplicateDeclarations([
      { id: 'a', declarations: ['x', 'y'] },
      { id: 'b', declarations: ['x'] },
      { id: 'c', declarations: ['z', 'x'] },
    ]);
    expect([...dups]).toEqual([['x', ['a', 'b', 'c']]]);
  });
});
