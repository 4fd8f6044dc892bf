// Cell compiler: a cell's JavaScript -> its declared names, its inputs, and the async function (or generator) that runs it.
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';
import { CellCompileError } from './errors';
import { isKnownGlobal } from './globals';
import { defaultLoopGuard, type LoopCheck } from './loopGuard';
import { analyzeScopes } from './scope';

/** Provided per cell by the notebook runtime, so no cell may declare them. */
export const RESERVED = ['display', 'view', 'invalidation'] as const;
/** The parameter through which a generator cell hands the runtime a way to read its current top-level values. */
export const CTX = '__tfl_ctx';
const INTERNAL_PREFIX = '__tfl_';
// The loop guard's function and countdown in compiled code. The prefix is reserved, so no cell can declare, shadow or
// assign them; the random part keeps code a cell builds at run time (eval) from naming them either.
const NONCE = Math.random().toString(36).slice(2, 10);
const GUARD = `${INTERNAL_PREFIX}guard_${NONCE}`;
const COUNTDOWN = `${INTERNAL_PREFIX}countdown_${NONCE}`;
/** Injected at the start of every loop body: a decrement and a compare, and a call to the guard every so often. */
const LOOP_CHECK = `if (--${COUNTDOWN} < 0) ${COUNTDOWN} = ${GUARD}();`;

export interface CompiledCell {
  source: string;
  /** Top-level names this cell defines, in source order (one runtime variable each). Empty: an anonymous cell. */
  declarations: string[];
  /** Free names that are not host globals: other cells' names, builtins, display/view/invalidation. */
  inputs: string[];
  /** Free names that are host globals (Math, console...): used directly unless a cell or builtin defines them. */
  globals: string[];
  /** True when the cell has a top-level `yield`: it runs as an async generator and each yield publishes a value. */
  generator: boolean;
  /** Lines of the body before the cell's first line (for mapping stack traces back to the cell). */
  bodyOffset: number;
  /**
   * The function body. Its parameters are CTX followed by the names the runtime passes (see cellFunction). It returns
   * the last expression's value (anonymous cell) or an object of the declared names; a generator cell yields instead.
   */
  body: string;
}

// The cell is parsed inside an async generator so top-level await and yield are legal; the prefix is one line, so
// positions map back by subtracting a line and columns need no change.
const PREFIX = 'async function* __cell() {\n';
const SUFFIX = '\n}';

/** Compiles one cell. Throws CellCompileError (1-based line/column within the cell) for code that cannot run as a cell. */
export function compileCell(source: string): CompiledCell {
  const wrapped = PREFIX + source + SUFFIX;
  const at = (offset: number) => position(source, offset - PREFIX.length);
  let program: acorn.Program;
  try {
    program = acorn.parse(wrapped, { ecmaVersion: 'latest', sourceType: 'module', locations: true });
  } catch (e) {
    const err = e as SyntaxError & { pos?: number };
    const { line, column } = at(typeof err.pos === 'number' ? err.pos : PREFIX.length);
    throw new CellCompileError(explainSyntaxError(err.message), line, column);
  }
  const fn = program.body[0];
  if (program.body.length !== 1 || fn.type !== 'FunctionDeclaration' || fn.end !== wrapped.length) {
    // The cell's own `}` closed the wrapper: report it where it stands in the cell.
    const closing = fn.type === 'FunctionDeclaration' ? fn.end - 1 : PREFIX.length;
    const { line, column } = at(closing);
    throw new CellCompileError('Unexpected token }: this brace closes nothing in the cell', line, column);
  }

  const scope = analyzeScopes(fn);
  if (scope.topLevelReturn) {
    const { line, column } = at(scope.topLevelReturn.start);
    throw new CellCompileError("return is not allowed at a cell's top level: its last expression is its value", line, column);
  }
  for (const id of scope.externalAssignments) {
    if (isKnownGlobal(id.name)) continue;
    const { line, column } = at(id.start);
    throw new CellCompileError(
      `cannot assign to ${id.name}: this cell does not declare it, and a cell cannot change another cell's value (declare it here with let)`,
      line,
      column,
    );
  }
  for (const name of [...scope.declarations, ...scope.references]) {
    const reserved = (RESERVED as readonly string[]).includes(name) && scope.declarations.includes(name);
    if (!reserved && !name.startsWith(INTERNAL_PREFIX)) continue;
    const { line, column } = at(PREFIX.length + Math.max(0, source.search(new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`))));
    throw new CellCompileError(
      reserved ? `${name} is provided by the notebook and cannot be declared by a cell` : `names starting with ${INTERNAL_PREFIX} are reserved`,
      line,
      column,
    );
  }
  const internal = internalBinding(fn);
  if (internal) {
    // A parameter or nested declaration too: nothing in a cell may bind a name the compiled code relies on.
    const { line, column } = at(internal.start);
    throw new CellCompileError(`names starting with ${INTERNAL_PREFIX} are reserved`, line, column);
  }

  const generator = scope.topLevelYield;
  const declarations = scope.declarations;
  const off = PREFIX.length;
  const guards = loopGuardInsertions(fn, off);
  const text = (from: number, to: number) => withInsertions(source, guards, from, to);
  let code = text(0, source.length);
  const statements = fn.body.body;
  const last = statements[statements.length - 1];
  if (!generator && declarations.length === 0 && last?.type === 'ExpressionStatement') {
    // Like Observable and marimo: an anonymous cell's value is its last expression.
    const expr = text(last.expression.start - off, last.expression.end - off);
    code = `${text(0, last.start - off)}return (${expr});${text(last.end - off, source.length)}`;
  } else if (!generator && declarations.length) {
    code = `${code}\nreturn {${declarations.join(', ')}};`;
  }
  // A generator publishes its declared names at each yield. The snapshot reads them through a closure declared first, so
  // a name still in its temporal dead zone (declared below the yield) reads as undefined instead of throwing.
  const prologue =
    generator && declarations.length
      ? `${CTX}.snapshot = () => { const ${INTERNAL_PREFIX}o = {}; ${declarations
          .map((n) => `try { ${INTERNAL_PREFIX}o.${n} = ${n}; } catch {}`)
          .join(' ')} return ${INTERNAL_PREFIX}o; };\n`
      : '';

  return {
    source,
    declarations,
    inputs: scope.references.filter((n) => !isKnownGlobal(n)),
    globals: scope.references.filter((n) => isKnownGlobal(n)),
    generator,
    bodyOffset: prologue ? 2 : 1,
    // The countdown shares the first line, so line numbers in stack traces keep their offset.
    body: `"use strict";${guards.length ? ` let ${COUNTDOWN} = 0;` : ''}\n${prologue}${code}\n`,
  };
}

/** The first identifier named with the internal prefix, other than a property name (`o.__tfl_x`, `{ __tfl_x: 1 }`). */
function internalBinding(fn: acorn.Node): acorn.Identifier | null {
  let found: acorn.Identifier | null = null;
  walk.fullAncestor(fn, (node, _state, ancestors) => {
    if (found || node.type !== 'Identifier' || !(node as acorn.Identifier).name.startsWith(INTERNAL_PREFIX)) return;
    const parent = ancestors[ancestors.length - 2] as acorn.AnyNode | undefined;
    const propertyName =
      (parent?.type === 'MemberExpression' && parent.property === node && !parent.computed) ||
      ((parent?.type === 'Property' || parent?.type === 'MethodDefinition' || parent?.type === 'PropertyDefinition') && parent.key === node && !parent.computed && !(parent.type === 'Property' && parent.shorthand));
    if (!propertyName) found = node as acorn.Identifier;
  });
  return found;
}

/** Text inserted into a cell's source at `at`; `after` text belongs to what precedes it (a closing brace). */
interface Insertion {
  at: number;
  text: string;
  after: boolean;
}

const LOOPS = ['ForStatement', 'ForInStatement', 'ForOfStatement', 'WhileStatement', 'DoWhileStatement'] as const;

/**
 * The loop check at the start of every loop body in the cell, nested functions and classes included. Every iteration
 * passes there, whatever `continue` (labelled or not) brought it back. Insertions hold no newline, so lines keep their
 * numbers. `off` converts parser offsets (in the wrapped text) to offsets in the cell's source.
 */
function loopGuardInsertions(fn: acorn.Node, off: number): Insertion[] {
  const out: Insertion[] = [];
  const visit = (node: acorn.ForStatement | acorn.ForInStatement | acorn.ForOfStatement | acorn.WhileStatement | acorn.DoWhileStatement) => {
    const body = node.body;
    if (body.type === 'BlockStatement') out.push({ at: body.start + 1 - off, text: ` ${LOOP_CHECK}`, after: false });
    else {
      // `while (x) step()` becomes `while (x) {check step()}`.
      out.push({ at: body.start - off, text: `{${LOOP_CHECK} `, after: false });
      out.push({ at: body.end - off, text: '}', after: true });
    }
  };
  walk.simple(fn, Object.fromEntries(LOOPS.map((t) => [t, visit])) as walk.SimpleVisitors<unknown>);
  // At one offset a closing brace comes before an opening one.
  return out.sort((a, b) => a.at - b.at || Number(b.after) - Number(a.after));
}

/** `source.slice(from, to)` with the insertions that fall in that range. */
function withInsertions(source: string, insertions: readonly Insertion[], from: number, to: number): string {
  let out = '';
  let pos = from;
  for (const ins of insertions) {
    const inside = ins.after ? ins.at > from && ins.at <= to : ins.at >= from && ins.at < to;
    if (!inside) continue;
    out += source.slice(pos, ins.at) + ins.text;
    pos = ins.at;
  }
  return out + source.slice(pos, to);
}

const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<unknown>;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor as new (
  ...args: string[]
) => (...a: unknown[]) => AsyncGenerator<unknown, unknown, unknown>;

export type CellFunction = (...args: unknown[]) => Promise<unknown> | AsyncGenerator<unknown, unknown, unknown>;

/**
 * The runnable function of a compiled cell, taking CTX and then `params` (a subset of inputs and globals the runtime
 * chooses to pass). `label` names the cell in stack traces; `guard` is what its loops call (lib/notebook/loopGuard).
 */
export function cellFunction(cell: CompiledCell, params: readonly string[], label = 'cell', guard: LoopCheck = defaultLoopGuard().check): CellFunction {
  const body = `${cell.body}//# sourceURL=${scriptName(label)}\n`;
  const fn: CellFunction = cell.generator ? new AsyncGeneratorFunction(GUARD, CTX, ...params, body) : new AsyncFunction(GUARD, CTX, ...params, body);
  return fn.bind(undefined, guard);
}

const scriptName = (label: string) => `${label.replace(/[^\w.-]/g, '_')}.js`;

// How many lines the engine puts before a Function body (V8: `async function anonymous(...\n) {\n`), measured once.
const HEADER_LINES = (() => {
  try {
    const stack = String((new Function('return new Error()\n//# sourceURL=tfl-probe.js')() as Error).stack);
    const m = /tfl-probe\.js:(\d+)/.exec(stack);
    return m ? Number(m[1]) - 1 : 2;
  } catch {
    return 2;
  }
})();

/**
 * The cell line an error thrown while running the cell points at: the innermost stack frame inside the cell's code
 * (an error from library code reports the cell line that called it). Null when the stack does not say.
 */
export function errorLine(error: unknown, cell: CompiledCell, label: string): number | null {
  const stack = (error as { stack?: unknown } | null)?.stack;
  if (typeof stack !== 'string') return null;
  const m = new RegExp(`${scriptName(label).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):\\d+`).exec(stack);
  if (!m) return null;
  const line = Number(m[1]) - HEADER_LINES - cell.bodyOffset;
  return line >= 1 && line <= cell.source.split('\n').length ? line : null;
}

/** Names defined by more than one cell, with the ids of the cells defining them (in the given order). */
export function duplicateDeclarations(cells: readonly { id: string; declarations: readonly string[] }[]): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  for (const c of cells) for (const n of c.declarations) owners.set(n, [...(owners.get(n) ?? []), c.id]);
  for (const [n, ids] of owners) if (ids.length < 2) owners.delete(n);
  return owners;
}

/** 1-based line and column of `offset` within `source`, clamped to the source (the parser may point past its end). */
function position(source: string, offset: number): { line: number; column: number } {
  const o = Math.max(0, Math.min(offset, source.length));
  const before = source.slice(0, o);
  const line = before.split('\n').length;
  return { line, column: o - (before.lastIndexOf('\n') + 1) + 1 };
}

function explainSyntaxError(message: string): string {
  const plain = message.replace(/\s*\(\d+:\d+\)$/, '');
  if (/'import' and 'export' may only appear at the top level/.test(plain)) {
    return 'import and export statements are not supported in cells; use `await import(url)` to load a module';
  }
  return plain;
}
