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
  | 'bad-pickle'
  | 'bad-zip'
  | 'bad-config'
  | 'bad-metadata'
  | 'missing-tensor'
  | 'duplicate-tensor'
  | 'unknown-format'
  | 'unsupported';

export class FormatError extends Error {
  override name = 'FormatError';
  constructor(
    readonly code: FormatErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Describes a value for an error message without ever printing a huge or hostile string in full. */
export function describe(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'bigint' ? `${v}n` : (JSON.stringify(v) ?? String(v));
  } catch {
    s = Object.prototype.toString.call(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
