// Shared plain-data types of lib/data: a corpus is three byte arrays, progress is three numbers.

/** A byte-level corpus. The three splits are usually views into one buffer (no copies). */
export interface Corpus {
  name: string;
  train: Uint8Array;
  val: Uint8Array;
  test: Uint8Array;
}

/** Token ids of a corpus: bytes for the byte vocabulary, wider for BPE vocabularies (GPT-NeoX: 50,277 ids). */
export type TokenIds = Uint8Array | Uint16Array | Int32Array;

/** Reported during long work (download, unzip, checksum) so a UI can draw a real progress bar. */
export interface Progress {
  phase: 'download' | 'unzip' | 'verify';
  /** Units done so far (bytes of the input for 'download'/'unzip', bytes hashed for 'verify'). */
  done: number;
  /** Units in total, or null when unknown (a server that sends no Content-Length). */
  total: number | null;
}

export type ProgressCallback = (p: Progress) => void;

/** Fractions of the bytes given to [train, val, test], in that order along the file. */
export type SplitFractions = readonly [train: number, val: number, test: number];
