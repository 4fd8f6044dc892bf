// Typed errors for lib/data: callers switch on `code`, users read `message` (which says what to do next).

export type DataErrorCode =
  | 'bad-option' // an argument out of range (seqLen < 2, fractions that do not sum to 1, ...)
  | 'too-small' // not enough bytes for the requested split, window or example count
  | 'bad-size' // enwik8 is not 100,000,000 bytes and `partial` was not set
  | 'missing-entry' // the zip has no entry with the expected name
  | 'bad-zip' // not a zip, corrupt deflate stream, CRC mismatch, unsupported method
  | 'bad-token' // a token id outside 0..255
  | 'bad-tokenizer' // a tokenizer.json that is too large, malformed, or of a kind the lab does not run
  | 'bad-prompt' // a synthetic-task prompt the scorer does not recognise
  | 'offline' // the download could not reach the server at all
  | 'download-failed' // the server answered, but not with the file (HTTP error, aborted stream)
  | 'checksum-mismatch'; // the downloaded file is not the expected one

export class DataError extends Error {
  override name = 'DataError';
  constructor(
    readonly code: DataErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Throws a `bad-option` DataError unless `value` is an integer in [min, max]. */
export function assertInt(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new DataError('bad-option', `${name} must be an integer ${range}, got ${value}`);
  }
}
