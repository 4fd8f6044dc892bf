# Writes small DeepSpeed checkpoint folders laid out as the official TokenFormer trainer (GPT-NeoX + DeepSpeed)
# saves them, with real torch.save, so the TypeScript importer is checked against PyTorch's own writer.
# Needs torch (Debian: apt-get install python3-torch). Run: /usr/bin/python3 lib/io/testdata/make_neox_fixtures.py
# Output (lib/io/testdata/neox/):
#   model.safetensors                the weights, float32, 256 vocabulary rows (values exact in float16)
#   seq/latest, seq/global_step7/    pipe_parallel_size <= 1: mp_rank_00_model_states.pt with the weights under
#                                    `module` (float16, vocabulary padded to 512 as CharLevelTokenizer does) and
#                                    DeepSpeed's other entries: RNG states (torch, numpy, Python), a set, a pickled
#                                    config object, parameter shapes; configs/model.yml as NeoX copies it there
#   pipe/latest, pipe/global_step7/  pipe_parallel_size >= 2: layer_XX-model_00-model_states.pt per stateful layer
#                                    (names relative to the layer), mp_rank_00_model_states.pt with module None;
#                                    plus an older pipe/global_step3 that `latest` does not name
import collections, json, os, random, struct, sys, types

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'neox')
L, H, HEADS, QKV, PROJ, FFN, VOCAB, PADDED = 2, 8, 2, 6, 5, 10, 256, 512
torch.manual_seed(0)

CONFIG = f"""# a micro TokenFormer in the official configs' style (JSON-like YAML, Python booleans, comments)
{{
  "pipe_parallel_size": 1,
  "model_parallel_size": 1,
  "num_layers": {L},
  "hidden_size": {H},
  "num_attention_heads": {HEADS},
  "qkv_slot_num": {QKV},
  "proj_slot_num": {PROJ},
  "ffn_slot_num": {FFN},
  "seq_length": 16,
  "max_position_embeddings": 16,
  "pos_emb": "rotary",
  "rotary_pct": 0.5,
  "no_weight_tying": false,
  "norm": "layernorm_nonparam",
  "final_norm": "layernorm",
  "attention_config": [[["tokenformer"], {L}]],
  "norm_activation_type": "l2_norm_gelu", # "l2_norm_gelu", "gelu_l2_norm", "softmax"
  "tokenizer-type": "CharLevelTokenizer",
  "checkpoint_validation_with_forward_pass": False,
  "data_path": "./data/enwik8/enwik8_text_document",
}}
"""


def h(shape, scale=0.5):
    return (torch.randn(*shape) * scale).half()


# Reference names, in the order NeoX's nn.Sequential registers them.
weights = collections.OrderedDict()
weights['sequential.0.word_embeddings.weight'] = h([PADDED, H])
for i in range(L):
    for part, n in (('attention.query', QKV), ('attention.key', QKV), ('attention.value', QKV), ('attention.proj', PROJ), ('mlp', FFN)):
        weights[f'sequential.{i + 2}.{part}.key_param_tokens'] = h([n, H])
        weights[f'sequential.{i + 2}.{part}.value_param_tokens'] = h([n, H])
weights[f'sequential.{L + 3}.norm.weight'] = (1 + h([H], 0.1).float()).half()
weights[f'sequential.{L + 3}.norm.bias'] = h([H], 0.1)


def state_dict(items):
    sd = collections.OrderedDict(items)
    sd._metadata = collections.OrderedDict([('', {'version': 1})])  # what Module.state_dict attaches
    return sd


# A stand-in for deepspeed.runtime.config.DeepSpeedConfig: pickled by reference to its class, as DeepSpeed's is.
ds_mod = types.ModuleType('deepspeed.runtime.config')
class DeepSpeedConfig:
    def __init__(self):
        self.train_batch_size = 8
        self.zero_config = {'stage': 1}
DeepSpeedConfig.__module__ = 'deepspeed.runtime.config'
ds_mod.DeepSpeedConfig = DeepSpeedConfig
sys.modules['deepspeed'] = types.ModuleType('deepspeed')
sys.modules['deepspeed.runtime'] = types.ModuleType('deepspeed.runtime')
sys.modules['deepspeed.runtime.config'] = ds_mod

ARGS = {'num_layers': L, 'hidden_size': H, 'num_attention_heads': HEADS, 'max_position_embeddings': 16,
        'make_vocab_size_divisible_by': 128, 'padded_vocab_size': PADDED, 'tokenizer_type': 'CharLevelTokenizer',
        'model_parallel_size': 1}


def model_states(module, rng=True, step=7):
    s = dict(module=module, buffer_names=[], optimizer=None,
             param_shapes=[collections.OrderedDict((k, v.shape) for k, v in weights.items())],
             frozen_param_shapes=None, shared_params=None, frozen_param_fragments=None,
             lr_scheduler={'start_lr': 6e-4, 'warmup_iter': 1, 'num_iters': step, 'decay_style': 'cosine', 'end_iter': 100, 'min_lr': 6e-5},
             data_sampler=None, random_ltd=None, sparse_tensor_module_names=set(), skipped_steps=0,
             global_steps=step, global_samples=step * 8, dp_world_size=1, mp_world_size=1,
             ds_config=DeepSpeedConfig(), ds_version='0.12.4+02e2ebf', iteration=step, args=dict(ARGS))
    if rng:
        random.seed(0); np.random.seed(0)
        s.update(random_rng_state=random.getstate(), np_rng_state=np.random.get_state(),
                 torch_rng_state=torch.get_rng_state(), cuda_rng_state=torch.get_rng_state(),
                 rng_tracker_states={'model-parallel-rng': torch.get_rng_state()})
    return s


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w' if isinstance(data, str) else 'wb') as f:
        f.write(data)


def save(obj, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save(obj, path)


# pipe_parallel_size <= 1: one file, weights under `module`.
save(model_states(state_dict(weights.items())), f'{OUT}/seq/global_step7/mp_rank_00_model_states.pt')
write(f'{OUT}/seq/global_step7/configs/model.yml', CONFIG)
write(f'{OUT}/seq/latest', 'global_step7')

# pipe_parallel_size >= 2: one file per stateful layer, names relative to it.
def layer_files(root, ws):
    by_layer = collections.OrderedDict()
    for k, v in ws.items():
        _, idx, rest = k.split('.', 2)
        by_layer.setdefault(int(idx), []).append((rest, v))
    for idx, items in by_layer.items():
        save(state_dict(items), f'{root}/layer_{idx:02d}-model_00-model_states.pt')

layer_files(f'{OUT}/pipe/global_step7', weights)
save(model_states(None, rng=False), f'{OUT}/pipe/global_step7/mp_rank_00_model_states.pt')
write(f'{OUT}/pipe/global_step7/configs/model.yml', CONFIG.replace('"pipe_parallel_size": 1', '"pipe_parallel_size": 2'))
# An older checkpoint (different weights) that `latest` does not name: the importer must not take it.
layer_files(f'{OUT}/pipe/global_step3', collections.OrderedDict((k, torch.zeros_like(v)) for k, v in weights.items()))
save(model_states(None, rng=False, step=3), f'{OUT}/pipe/global_step3/mp_rank_00_model_states.pt')
write(f'{OUT}/pipe/global_step3/configs/model.yml', CONFIG)
write(f'{OUT}/pipe/latest', 'global_step7')

# The safetensors the checkpoint came from: float32, the 256 rows the byte tokenizer uses.
tensors = collections.OrderedDict((k, v.float()[:VOCAB] if k.endswith('word_embeddings.weight') else v.float()) for k, v in weights.items())
header, offset, blobs = {}, 0, []
for k, v in tensors.items():
    b = v.contiguous().numpy().astype('<f4').tobytes()
    header[k] = {'dtype': 'F32', 'shape': list(v.shape), 'data_offsets': [offset, offset + len(b)]}
    offset += len(b); blobs.append(b)
hb = json.dumps(header, separators=(',', ':')).encode()
hb += b' ' * (-len(hb) % 8)
write(f'{OUT}/model.safetensors', struct.pack('<Q', len(hb)) + hb + b''.join(blobs))
write(f'{OUT}/config.yml', CONFIG)
print('wrote', OUT)
