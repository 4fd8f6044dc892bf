// The notebook layer's public API: file format, cell states, compiler and the reactive runtime.
export type { CellData, CellKind, CellRuntimeState, CellStatus, FrontMatter, Notebook } from './types';
export { NotebookFormatError, CellCompileError } from './errors';
export { parseNotebook, serializeNotebook, nextCellId, CODE_LANG } from './format';
export { FrontMatterSchema } from './frontMatter';
export { transitionCell, initialCellState, toCellError, type CellEvent, type CellError } from './cellState';
export { compileCell, cellFunction, duplicateDeclarations, RESERVED, type CompiledCell, type CellFunction } from './compile';
export { isKnownGlobal } from './globals';
export { Generators, observe, input, valueOf, type ValueStream, type InputLike } from './generators';
export { NotebookRuntime, type NotebookRuntimeOptions } from './runtime';
