// The pickle writer, read back by the project's own (non-executing) pickle VM.
import { describe, expect, it } from 'vitest';
import { callable, PyTuple, unpickle } from './pickle';
import { pickle, PyFloat, PyGlobal, PyOrderedDict, PyPersistentId, PyReduce, type PyValue } from './pickleWriter';

const read = (bytes: Uint8Array, persistent: (pid: unknown) => unknown = (p) => ({ pid: p })) =>
  unpickle(bytes, {
    findGlobal: (m, n) => (m === 'collections' && n === 'OrderedDict' ? callable('od', () => new Map()) : callable(`${m}.${n}`, (args) => ({ called: `${m}.${n}`, args }))),
    persistentLoad: persistent,
  }).value;

describe('pickle writer', () => {
  it('round-trips numbers of every width, floats, strings, containers', () => {
    const ints = [0, 1, 255, 256, 65535, 65536, -1, -129, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53 - 1, -(2 ** 40)];
    const v = read(pickle([ints, 2n ** 70n, -(2n ** 70n), new PyFloat(3), 1e-8, -2.5, 'Grüße \u{1F600}', '', true, false, null]));
    expect(v).toEqual([ints, 2n ** 70n, -(2n ** 70n), 3, 1e-8, -2.5, 'Grüße \u{1F600}', '', true, false, null]);
    const nested = read(pickle(new Map<string, never>([['a', new PyTuple([1, new PyTuple([]), [2, 3]]) as never], ['b', new PyTuple([1, 2, 3, 4]) as never]])));
    expect(nested).toEqual(new Map([['a', new PyTuple([1, new PyTuple([]), [2, 3]])], ['b', new PyTuple([1, 2, 3, 4])]]));
  });

  it('writes OrderedDicts, long lists, global calls and persistent ids', () => {
    const big = Array.from({ length: 2500 }, (_, i) => i);
    const od = new PyOrderedDict(new Map<string, PyValue>([['x', big], ['y', new PyReduce(new PyGlobal('torch._utils', '_rebuild_tensor_v2'), new PyTuple([new PyPersistentId(new PyTuple(['storage', 'k0'])), 0]))]]));
    const v = read(pickle(od)) as Map<string, unknown>;
    expect(v.get('x')).toEqual(big);
    expect(v.get('y')).toEqual({ called: 'torch._utils._rebuild_tensor_v2', args: [{ pid: new PyTuple(['storage', 'k0']) }, 0] });
    expect(() => pickle(new PyGlobal('os', 'system\nx') as never)).toThrow(/bad global/);
  });
});
