// CLI data commands: download enwik8 into the cache, or describe/export a corpus.
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_STALL_TIMEOUT_MS, downloadEnwik8, defaultCacheDir } from '../../lib/data/node/download';
import { corpusInfo, loadCorpus } from '../../lib/data';
import { type CommandSpec, type ParsedFlags, UsageError } from '../args';
import { progressBar } from '../progress';
import { readDataSpec, writeOutput } from '../shared';

export const dataSpec: CommandSpec = {
  name: 'data',
  summary: 'Get or inspect training data. `data enwik8` downloads enwik8.zip into the cache (checksum verified); `data info --data X` describes a corpus; `data export --data copy --out f.txt` writes a synthetic corpus.',
  usage: 'tokenformer data enwik8 [--cache-dir D] [--stall-timeout S] | data info --data SPEC [--max-bytes N] | data export --data TASK --out FILE',
  flags: {
    'cache-dir': { type: 'string', help: `cache folder (default ${defaultCacheDir()}, or $TOKENFORMER_CACHE)` },
    'connect-timeout': { type: 'number', default: DEFAULT_CONNECT_TIMEOUT_MS / 1000, help: 'enwik8: seconds to wait for the server to answer' },
    'stall-timeout': { type: 'number', default: DEFAULT_STALL_TIMEOUT_MS / 1000, help: 'enwik8: give up after this many seconds without data (a rerun resumes)' },
    url: { type: 'string', help: 'enwik8: download from this mirror instead (the checksum must still match)' },
    data: { type: 'string', help: 'synthetic task, enwik8, a .zip or a text file' },
    out: { type: 'string', help: 'output file (export)' },
    seed: { type: 'number', default: 0, help: 'seed of a synthetic corpus' },
    'max-bytes': { type: 'number', help: 'use only the first N bytes of enwik8 (info, export)' },
  },
};

export async function dataCommand(f: ParsedFlags, positional: string[]) {
  const sub = positional[0];
  if (sub === 'enwik8') {
    const seconds = (name: string) => {
      const s = Number(f[name]);
      if (!(s > 0)) throw new UsageError(`--${name} must be a number of seconds > 0, got ${f[name]}`);
      return s * 1000;
    };
    let bar: ReturnType<typeof progressBar> | null = null;
    let phase = '';
    const endBar = () => {
      bar?.finish();
      bar = null;
    };
    // Ctrl-C stops the download cleanly: the bytes so far stay as enwik8.zip.part (resumable) or are deleted.
    const stop = new AbortController();
    const onSigint = () => {
      process.stderr.write('\nstopping the download (Ctrl-C again to quit at once)...\n');
      stop.abort();
    };
    process.once('SIGINT', onSigint);
    try {
      const r = await downloadEnwik8({
        cacheDir: f['cache-dir'] as string | undefined,
        url: f.url as string | undefined,
        connectTimeoutMs: seconds('connect-timeout'),
        stallTimeoutMs: seconds('stall-timeout'),
        signal: stop.signal,
        onMessage: (line) => {
          endBar();
          process.stderr.write(`note: ${line}\n`);
        },
        onProgress: (p) => {
          if (!p.total) return;
          if (p.phase !== phase) endBar();
          phase = p.phase;
          bar ??= progressBar(p.phase, p.total);
          bar.update(p.done);
        },
      });
      endBar();
      process.stderr.write(`${r.fromCache ? 'already cached (checksum verified)' : 'downloaded'}: ${r.path}\n`);
    } finally {
      process.off('SIGINT', onSigint);
    }
    return;
  }
  if (sub === 'info' || sub === 'export') {
    if (!f.data) throw new UsageError(`data ${sub} needs --data`);
    const maxBytes = f['max-bytes'] as number | undefined;
    const corpus = await loadCorpus(await readDataSpec(String(f.data), { seed: Number(f.seed), maxBytes }));
    if (sub === 'info') {
      process.stdout.write(JSON.stringify(corpusInfo(corpus)) + '\n');
      return;
    }
    if (!f.out) throw new UsageError('data export needs --out');
    const all = new Uint8Array(corpus.train.length + corpus.val.length + corpus.test.length);
    all.set(corpus.train);
    all.set(corpus.val, corpus.train.length);
    all.set(corpus.test, corpus.train.length + corpus.val.length);
    await writeOutput(String(f.out), all);
    process.stderr.write(`wrote ${all.length} bytes -> ${f.out}\n`);
    return;
  }
  throw new UsageError(`unknown data command "${sub ?? ''}" (enwik8, info, export)`);
}
