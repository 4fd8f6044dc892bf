// Typed errors for every file format this project reads: callers switch on `code`, users read `message`.

export type FormatErrorCode =
  | 'truncated'
  | 'bad-header'
  | 'header-too-large'
  | 'bad-offsets'
  | 'unknown-dtype'
  | 'shape-mismatch'
  | 'non-finite'
  | 'unsafe-pickle'
  | 'bad-zip'
  | 'bad-config'
  | 'missing-tensor';

export class FormatError extends Error {
  override name = 'FormatError';
  constructor(
    readonly code: FormatErrorCode,
    message: string,
  ) {
    super(message);
  }
}
