// Errors raised by the notebook format and the cell compiler; both carry a 1-based source position for the UI.

/** A notebook file that cannot be read: malformed front matter, a missing title, a fence never closed. */
export class NotebookFormatError extends Error {
  /** 1-based line in the .md file. */
  readonly line: number;
  readonly column?: number;

  constructor(message: string, line: number, column?: number) {
    super(`${message} (line ${line}${column ? `, column ${column}` : ''})`);
    this.name = 'NotebookFormatError';
    this.line = line;
    this.column = column;
  }
}

/** A cell whose source cannot become a runtime definition (syntax error, import, assignment to another cell's name...). */
export class CellCompileError extends Error {
  /** 1-based line and column within the cell's source. */
  readonly line: number;
  readonly column: number;

  constructor(message: string, line: number, column: number) {
    // The message stays free of the position: the UI shows line/column beside it.
    super(message);
    this.name = 'CellCompileError';
    this.line = line;
    this.column = column;
  }
}
