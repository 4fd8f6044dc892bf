// Node only: streams one URL into a file, with a connect timeout, a stall timeout and HTTP Range resume.
import { open } from 'node:fs/promises';
import { DataError } from '../errors';

export interface FetchToFileOptions {
  url: string;
  /** The file to write; it holds `resumeFrom` bytes of an earlier attempt (0: start over, the file is truncated). */
  path: string;
  resumeFrom: number;
  /** Exact size of the whole file when known: a body that ends short is an interruption, a longer one is refused. */
  expectedBytes: number | null;
  fetchImpl: typeof fetch;
  /** Abort when the server has not answered (status line and headers) within this many ms. */
  connectTimeoutMs: number;
  /** Abort when no body bytes arrive for this many ms. */
  stallTimeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number | null) => void;
  onMessage?: (line: string) => void;
  /** Appended to the `offline` message: what the user can do without the network. */
  offlineHint?: string;
}

export interface FetchToFileResult {
  /** Size of the file now. */
  bytes: number;
  /** Where this attempt started writing: > 0 when a partial file was resumed with a Range request. */
  resumedFrom: number;
}

/**
 * A download that failed without the file being wrong: `bytes` are on disk, and `resumable` says whether they are
 * worth keeping (the server takes Range requests, or they came from an earlier attempt that was not touched).
 */
export class DownloadInterrupted extends DataError {
  constructor(
    code: 'offline' | 'download-failed',
    message: string,
    readonly bytes: number,
    readonly resumable: boolean,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

const secs = (ms: number) => `${+(ms / 1000).toFixed(3)} s`;

/** `bytes START-END/TOTAL` of a 206 answer, or null when it does not parse. */
function parseContentRange(value: string | null): { start: number; end: number; total: number | null } | null {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value?.trim() ?? '');
  if (!m) return null;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? null : Number(m[3]) };
}

/**
 * Downloads `url` into `path`. With `resumeFrom > 0` it asks for the rest with a Range request and appends when the
 * server answers 206 with the matching Content-Range; a server that ignores the range (200) or refuses it (416) or
 * answers another range gets the file from the start instead. Failures mid-body throw `DownloadInterrupted`.
 */
export async function fetchToFile(o: FetchToFileOptions): Promise<FetchToFileResult> {
  let resumeFrom = o.resumeFrom;
  for (;;) {
    const r = await attempt(o, resumeFrom);
    if (r !== 'restart') return r;
    resumeFrom = 0;
  }
}

async function attempt(o: FetchToFileOptions, resumeFrom: number): Promise<FetchToFileResult | 'restart'> {
  const ctl = new AbortController();
  const signal = o.signal ? AbortSignal.any([ctl.signal, o.signal]) : ctl.signal;
  let timedOut: 'connect' | 'stall' | null = null;
  let timer = setTimeout(() => {
    timedOut = 'connect';
    ctl.abort();
  }, o.connectTimeoutMs);
  const armStall = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = 'stall';
      ctl.abort();
    }, o.stallTimeoutMs);
  };
  // identity: byte ranges must count the bytes of the file, not of a gzip stream a server might wrap it in.
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (resumeFrom > 0) headers.range = `bytes=${resumeFrom}-`;
  try {
    let response: Response;
    try {
      response = await o.fetchImpl(o.url, { signal, headers });
    } catch (e) {
      if (o.signal?.aborted) throw new DownloadInterrupted('download-failed', `download of ${o.url} interrupted before it started`, resumeFrom, true, { cause: e });
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = timedOut === 'connect' ? `no answer within ${secs(o.connectTimeoutMs)}` : (cause?.code ?? cause?.message ?? (e as Error).message);
      const hint = o.offlineHint ? ` ${o.offlineHint}` : '';
      throw new DownloadInterrupted('offline', `could not reach ${o.url} (${why}); this machine looks offline.${hint}`, resumeFrom, true, { cause: e });
    }
    armStall();

    let start = 0;
    if (resumeFrom > 0) {
      if (response.status === 206) {
        const range = parseContentRange(response.headers.get('content-range'));
        const fits = range && range.start === resumeFrom && range.end >= range.start && (o.expectedBytes === null || range.total === null || range.total === o.expectedBytes);
        if (!fits) {
          await response.body?.cancel();
          o.onMessage?.(`the server answered the resume request with range "${response.headers.get('content-range')}", not bytes ${resumeFrom}-; downloading from the start`);
          return 'restart';
        }
        start = resumeFrom;
      } else if (response.status === 416) {
        await response.body?.cancel();
        o.onMessage?.(`the server refused to resume from byte ${resumeFrom} (HTTP 416); downloading from the start`);
        return 'restart';
      } else if (response.ok) {
        o.onMessage?.(`the server does not support resuming (HTTP ${response.status} to a Range request); downloading from the start`);
      }
    }
    // A part of the file is only right as the answer to our own Range request.
    if (!response.ok || !response.body || (response.status === 206 && start === 0)) {
      await response.body?.cancel();
      throw new DownloadInterrupted('download-failed', `${o.url} answered HTTP ${response.status} ${response.statusText}`.trim(), resumeFrom, true);
    }
    const resumable = response.status === 206 || /\bbytes\b/i.test(response.headers.get('accept-ranges') ?? '');
    const length = Number(response.headers.get('content-length') ?? NaN);
    const announced = Number.isFinite(length) && length > 0 ? start + length : null;
    // Refuse before writing a byte when the server announces something else entirely.
    if (o.expectedBytes !== null && announced !== null && announced !== o.expectedBytes) {
      await response.body.cancel();
      throw new DataError('checksum-mismatch', `${o.url} announces ${announced} bytes, expected ${o.expectedBytes}: not the file we know`);
    }
    const total = announced ?? o.expectedBytes;

    // 'a' appends to the bytes already there; 'w' truncates for a fresh start.
    const file = await open(o.path, start > 0 ? 'a' : 'w');
    let done = start;
    try {
      const reader = response.body.getReader();
      for (;;) {
        const { done: end, value } = await reader.read();
        if (end) break;
        armStall();
        // Stop early rather than fill the disk when the server sends more than the file we expect.
        if (o.expectedBytes !== null && done + value.length > o.expectedBytes) {
          await reader.cancel();
          throw new DataError('checksum-mismatch', `download exceeded the expected ${o.expectedBytes} bytes: not the file we know`);
        }
        for (let at = 0; at < value.length; ) at += (await file.write(value, at, value.length - at)).bytesWritten;
        done += value.length;
        o.onProgress?.(done, total);
      }
      if (o.expectedBytes !== null && done < o.expectedBytes) throw new Error(`the body ended at ${done} of ${o.expectedBytes} bytes`);
      await file.sync();
    } catch (e) {
      if (e instanceof DataError) throw e;
      const why =
        timedOut === 'stall'
          ? `no data for ${secs(o.stallTimeoutMs)} (stalled)`
          : o.signal?.aborted
            ? 'interrupted'
            : (e as Error).message;
      throw new DownloadInterrupted('download-failed', `download of ${o.url} stopped after ${done} bytes: ${why}`, done, resumable, { cause: e });
    } finally {
      await file.close();
    }
    return { bytes: done, resumedFrom: start };
  } finally {
    clearTimeout(timer);
    ctl.abort(); // releases the connection when we stopped reading early; a no-op after a complete body
  }
}
