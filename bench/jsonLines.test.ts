import { describe, expect, it } from 'vitest';
import { runJsonLines } from './jsonLines';

const node = (code: string, timeoutS?: number, onLine?: (o: Record<string, unknown>) => void) => runJsonLines(process.execPath, ['-e', code], { timeoutS, onLine });

describe('runJsonLines', () => {
  it('collects the JSON objects a child prints, in order, and leaves other lines out', async () => {
    const seen: unknown[] = [];
    const r = await node(`console.log('{"a":1}'); console.log('banner text'); console.log('{not json'); console.log('[1,2]'); console.log('{"b":2}')`, undefined, (o) => seen.push(o));
    expect(r.lines).toEqual([{ a: 1 }, { b: 2 }]);
    expect(seen).toEqual(r.lines);
    expect(r.code).toBe(0);
    expect(r.timedOut).toBe(false);
  });

  it('reports the exit code of a failing child with what it printed before', async () => {
    const r = await node(`console.log('{"part":1}'); process.exit(3)`);
    expect(r).toMatchObject({ lines: [{ part: 1 }], code: 3, timedOut: false });
  });

  it('kills a child that runs past its time', async () => {
    const r = await node(`console.log('{"started":true}'); setInterval(() => {}, 1000)`, 1);
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
    expect(r.lines).toEqual([{ started: true }]);
  });

  it('says why a command could not start', async () => {
    const r = await runJsonLines('/nonexistent/python3', []);
    expect(r.error).toMatch(/ENOENT/);
    expect(r.lines).toEqual([]);
  });
});
