// CLI data commands: download enwik8 into the cache, or describe/export a corpus.
import { downloadEnwik8, defaultCacheDir } from '../../lib/data/node/download';
import { corpusInfo, loadCorpus } from '../../lib/data';
import { type CommandSpec, type ParsedFlags, UsageError } from '../args';
import { progressBar } from '../progress';
import { readDataSpec, writeOutput } from '../shared';

export const dataSpec: CommandSpec = {
  name: 'data',
  summary: 'Get or inspect training data. `data enwik8` downloads enwik8.zip into the cache (checksum verified); `data info --data X` describes a corpus; `data export --data copy --out f.txt` writes a synthetic corpus.',
  usage: 'tokenformer data enwik8 [--cache-dir D] | data info --data SPEC [--max-bytes N] | data export --data TASK --out FILE',
  flags: {
    'cache-dir': { type: 'string', help: `cache folder (default ${defaultCacheDir()}, or $TOKENFORMER_CACHE)` },
    data: { type: 'string', help: 'synthetic task, enwik8, a .zip or a text file' },
    out: { type: 'string', help: 'output file (export)' },
    seed: { type: 'number', default: 0, help: 'seed of a synthetic corpus' },
    'max-bytes': { type: 'number', help: 'use only the first N bytes of enwik8 (info, export)' },
  },
};

export async function dataCommand(f: ParsedFlags, positional: string[]) {
  const sub = positional[0];
  if (sub === 'enwik8') {
    let bar: ReturnType<typeof progressBar> | null = null;
    const r = await downloadEnwik8({
      cacheDir: f['cache-dir'] as string | undefined,
      onProgress: (p) => {
        if (!p.total) return;
        bar ??= progressBar(p.phase, p.total);
        bar.update(p.done);
      },
    });
    (bar as ReturnType<typeof progressBar> | null)?.finish();
    process.stderr.write(`${r.fromCache ? 'already cached' : 'downloaded'}: ${r.path}\n`);
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
