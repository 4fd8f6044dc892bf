# Writes small PyTorch-format fixtures with Python's own pickle and a stand-in `torch` module (no torch needed),
# so the TypeScript reader is checked against an independent writer. Run: python3 lib/io/testdata/make_fixtures.py
import collections, io, json, os, pickle, struct, sys, types, zipfile

torch = types.ModuleType('torch'); utils = types.ModuleType('torch._utils')
sys.modules['torch'] = torch; sys.modules['torch._utils'] = utils; torch._utils = utils

def mk_storage_type(name, fmt, width):
    cls = type(name, (), {'__module__': 'torch', 'fmt': fmt, 'width': width})
    setattr(torch, name, cls); return cls
FloatStorage = mk_storage_type('FloatStorage', '<f', 4)
HalfStorage = mk_storage_type('HalfStorage', '<e', 2)
LongStorage = mk_storage_type('LongStorage', '<q', 8)

class Storage:
    def __init__(self, key, stype, values):
        self.key, self.stype, self.values = key, stype, values
    def raw(self):
        return b''.join(struct.pack(self.stype.fmt, v) for v in self.values)

def _rebuild_tensor_v2(*a): raise RuntimeError('never called')
def _rebuild_parameter(*a): raise RuntimeError('never called')
for f in (_rebuild_tensor_v2, _rebuild_parameter):
    f.__module__ = 'torch._utils'; setattr(utils, f.__name__, f)

class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
    def __reduce__(self):
        return (_rebuild_tensor_v2, (self.storage, self.offset, tuple(self.size), tuple(self.stride), False, collections.OrderedDict()))
class Parameter:
    def __init__(self, t): self.t = t
    def __reduce__(self): return (_rebuild_parameter, (self.t, True, collections.OrderedDict()))

def contiguous(t):
    out = []
    def rec(d, base):
        if d == len(t.size): out.append(t.storage.values[base]); return
        for i in range(t.size[d]): rec(d + 1, base + i * t.stride[d])
    if all(t.size): rec(0, t.offset)
    return out

# Storage a: 12 floats used by a [3,4] tensor, its transpose [4,3], and a [2,2] slice at offset 5 with stride (4,1).
a = Storage('a0', FloatStorage, [i * 0.5 - 2 for i in range(12)])
h = Storage('h1', HalfStorage, [0.5, -1.25, 65504.0, 6.103515625e-05, 0.0, -0.0])
l = Storage('l2', LongStorage, [7, 8])
state = collections.OrderedDict()
state['w'] = Tensor(a, 0, [3, 4], [4, 1])
state['w_t'] = Tensor(a, 0, [4, 3], [1, 4])
state['w_slice'] = Parameter(Tensor(a, 5, [2, 2], [4, 1]))
state['half'] = Tensor(h, 1, [5], [1])
state['count'] = Tensor(l, 0, [2], [1])
state['scalar'] = Tensor(a, 3, [], [])
state['empty'] = Tensor(a, 0, [0, 4], [4, 1])
state._metadata = collections.OrderedDict([('', {'version': 1})])
expected = {k: {'shape': list((v.t if isinstance(v, Parameter) else v).size),
                'data': contiguous(v.t if isinstance(v, Parameter) else v)}
            for k, v in state.items() if k != 'count'}
for v in expected.values():
    v['data'] = [struct.unpack('<f', struct.pack('<f', x))[0] for x in v['data']]

def dump_main(f, protocol, legacy):
    storages = {}
    class P(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                storages[obj.key] = obj
                base = ('storage', obj.stype, obj.key, 'cpu', len(obj.values))
                return base + (None,) if legacy else base
            return None
    P(f, protocol=protocol).dump(state)
    return storages

here = os.path.dirname(os.path.abspath(__file__))
# Legacy (non-zip) form, as torch.save(..., _use_new_zipfile_serialization=False) writes it.
buf = io.BytesIO()
for obj in (0x1950a86a20f9469cfc6c, 1001, {'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 4}}):
    pickle.dump(obj, buf, protocol=2)
storages = dump_main(buf, 2, True)
keys = sorted(storages)
pickle.dump(keys, buf, protocol=2)
for k in keys:
    s = storages[k]
    buf.write(struct.pack('<q', len(s.values))); buf.write(s.raw())
open(os.path.join(here, 'legacy.pt'), 'wb').write(buf.getvalue())

# Zip form with a protocol-4 pickle (FRAME, MEMOIZE, STACK_GLOBAL) and deflated entries.
buf = io.BytesIO()
pk = io.BytesIO(); storages = dump_main(pk, 4, False)
with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('archive/data.pkl', pk.getvalue())
    z.writestr('archive/byteorder', 'little')
    for k, s in storages.items(): z.writestr('archive/data/' + k, s.raw())
    z.writestr('archive/version', '3\n')
open(os.path.join(here, 'proto4-deflate.pt'), 'wb').write(buf.getvalue())
json.dump(expected, open(os.path.join(here, 'expected.json'), 'w'), indent=0)
