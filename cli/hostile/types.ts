// A hostile input for the command line: files written to a fresh folder, then `tokenformer <argv>` run there.
export interface HostileCase {
  /** What the input attacks, e.g. "safetensors: header length past the end of the file". */
  name: string;
  /** File name -> content, written into the case's own folder before the run. */
  files: Record<string, Uint8Array | string>;
  /** CLI arguments, the command first, with paths relative to the case's folder. */
  argv: string[];
}
