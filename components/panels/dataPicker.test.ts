// Data picker helpers: which importer a file goes to, and chunked reading with progress.
import { describe, expect, it } from 'vitest';
import { dataSpecFor, readWithProgress } from './dataPicker';

describe('dataSpecFor', () => {
  it('sends zips and files named enwik8 to the enwik8 importer, the rest as text', () => {
    expect(dataSpecFor('anything.zip', new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0])).kind).toBe('enwik8');
    expect(dataSpecFor('enwik8', new Uint8Array([60, 109])).kind).toBe('enwik8');
    expect(dataSpecFor('ENWIK8.zip', new Uint8Array([1])).kind).toBe('enwik8');
    expect(dataSpecFor('shakespeare.txt', new Uint8Array([104, 105])).kind).toBe('text');
  });
});

describe('readWithProgress', () => {
  it('reads every byte and reports progress up to the total', async () => {
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
    const seen: number[] = [];
    const out = await readWithProgress(new Blob([bytes]), (done, total) => {
      expect(total).toBe(bytes.length);
      seen.push(done);
    });
    expect(out).toEqual(bytes);
    expect(seen[seen.length - 1]).toBe(bytes.length);
  });
});
