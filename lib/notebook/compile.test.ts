// The cell compiler: declarations, inputs, values, generators and error positions.
import { describe, expect, it } from 'vitest';
import { CTX, cellFunction, compileCell, duplicateDeclarations, errorLine, type CompiledCell } from './compile';
import { CellCompileError } from './errors';

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
