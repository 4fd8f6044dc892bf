# Writes a micro TokenFormer in exactly the published checkpoints' layout, for a padded BPE vocabulary:
#   neox-bpe/pytorch_model.bin  torch.save of the state dict with the reference key names, float32, every tensor a
#                               view into one flat storage at an offset (as DeepSpeed's zero_to_fp32.py saves it);
#                               the embedding has 640 rows: the tokenizer's 581 ids padded to a multiple of 128
#   neox-bpe/tiny_eval.yml      an eval config in the official style (comments, Python True/False, keys that do not
#                               matter here, dashed tokenizer keys, no vocab size, no layernorm_epsilon)
#   neox-bpe/expected.json      the text, its ids (encoded here by a third, independent BPE encoder) and the logits
#                               and loss of the reference math (../shared/fixtures/README.md) computed in float64
# The tokenizer is lib/data/testdata/tiny-neox-tokenizer.json. Needs torch:
#   /usr/bin/python3 lib/io/testdata/make_bpe_model.py
import collections, json, math, os, unicodedata

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'neox-bpe')
TOKENIZER = os.path.join(HERE, '..', '..', 'data', 'testdata', 'tiny-neox-tokenizer.json')
L, H, HEADS, QKV, PROJ, FFN, SEQ, ROTARY_PCT = 2, 16, 2, 16, 12, 40, 64, 0.25
TEXT = "The model reads text as tokens.\n    return x  # 2024: café 🙂<|endoftext|>It's the end"

CONFIG = f"""# TokenFormer micro eval config, written like the published *_eval.yml files
{{
  # parallelism settings
  "pipe_parallel_size": 1,
  "model_parallel_size": 1,

  # model settings
  "num_layers": {L},
  "hidden_size": {H},
  "num_attention_heads": {HEADS},
  "seq_length": {SEQ},
  "max_position_embeddings": {SEQ},
  "norm": "layernorm_nonparam",
  "final_norm": "layernorm",
  "pos_emb": "rotary",
  "rotary_pct": {ROTARY_PCT},
  "no_weight_tying": false,
  "gpt_j_residual": false,
  "output_layer_parallelism": "column",
  "attention_config": [[["tokenformer"], {L}]],
  "qkv_slot_num": {QKV},
  "proj_slot_num": {PROJ},
  "ffn_slot_num": {FFN},
  "norm_activation_type": "l2_norm_gelu",

  # these should provide some speedup but takes a while to build, set to true if desired
  "scaled_upper_triang_masked_softmax_fusion": false,
  "bias_gelu_fusion": false,
  "rope_fusion": false,
  "layernorm_fusion": false,

  # init methods
  "init_method": "normal",
  "output_layer_init_method": "wang_init",

  # optimizer settings
  "optimizer": {{
    "type": "Adam",
    "params": {{
      "lr": 0.0006,
      "betas": [0.9, 0.95],
      "eps": 1.0e-8,
    }}
  }},
  "min_lr": 0.00006,

  "zero_optimization": {{
    "stage": 1,
    "allgather_partitions": True,
    "allgather_bucket_size": 500000000,
    "overlap_comm": True,
    "reduce_scatter": True,
    "reduce_bucket_size": 500000000,
    "contiguous_gradients": True,
  }},

  "train_micro_batch_size_per_gpu": 32,
  "data_impl": "mmap",
  "checkpoint_activations": True,
  "checkpoint_num_layers": 1,
  "partition_activations": True,
  "synchronize_each_layer": True,
  "gradient_clipping": 1.0,
  "weight_decay": 0.1,
  "hidden_dropout": 0,
  "attention_dropout": 0,
  "precision": "fp16",
  "fp16": {{ "fp16": true, "enabled": true, "loss_scale": 0, "loss_scale_window": 1000, "initial_scale_power": 12, "hysteresis": 2, "min_loss_scale": 1 }},

  "train_iters": 143000,
  "lr_decay_iters": 143000,
  "distributed_backend": "nccl",
  "lr_decay_style": "cosine",
  "warmup": 0.01,
  "checkpoint_factor": 10000,
  "eval_interval": 143000,
  "eval_iters": 10,
  "eval_tasks": ["lambada_openai", "piqa", "hellaswag", "arc_easy", "arc_challenge", "winogrande"],

  "log_interval": 10,
  "steps_per_print": 10,
  "wall_clock_breakdown": true,

  "tokenizer-type": "HFTokenizer",
  "vocab-file": "./tokenizer.json",
  "load": "./checkpoints/tokenformer_micro",
  "save": "./checkpoints/tokenformer_micro",
  "launcher": "pdsh",
  "deepspeed_mpi": False,
}}
"""


# --- a third BPE encoder (the tests' TypeScript reference is the second; the library the first) ---
def byte_chars():
    keep = lambda b: 33 <= b <= 126 or 161 <= b <= 172 or 174 <= b <= 255
    out, extra = [], 256
    for b in range(256):
        if keep(b): out.append(chr(b))
        else: out.append(chr(extra)); extra += 1
    return out


def pretokenize(s):
    """GPT-2's pattern by hand: contractions, ' ?L+', ' ?N+', ' ?[^sLN]+', s+(?!S), s+."""
    cat = lambda c: 'L' if unicodedata.category(c)[0] == 'L' else 'N' if unicodedata.category(c)[0] == 'N' else 'S' if c.isspace() else 'O'
    out, i, n = [], 0, len(s)
    while i < n:
        c = next((x for x in ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d") if s.startswith(x, i)), None)
        if c: out.append(c); i += len(c); continue
        j = i + 1 if s[i] == ' ' and i + 1 < n and cat(s[i + 1]) != 'S' else i
        k = cat(s[j])
        if k != 'S':
            e = j + 1
            while e < n and cat(s[e]) == k: e += 1
            out.append(s[i:e]); i = e; continue
        e = i
        while e < n and cat(s[e]) == 'S': e += 1
        if e < n and e - i > 1: e -= 1
        out.append(s[i:e]); i = e
    return out


def encode(text, tok):
    chars = byte_chars()
    vocab, ranks = tok['model']['vocab'], {m: r for r, m in enumerate(tok['model']['merges'])}
    added = {t['content']: t for t in tok['added_tokens']}

    def split(s, contents):
        out, buf, i = [], '', 0
        while i < len(s):
            hit = max((c for c in contents if s.startswith(c, i)), key=len, default=None)
            if hit: out += ([buf] if buf else []) + [hit]; buf = ''; i += len(hit)
            else: buf += s[i]; i += 1
        return out + ([buf] if buf else [])

    raw = [c for c, t in added.items() if not t['normalized']]
    norm = [c for c, t in added.items() if t['normalized']]
    ids = []
    for sec in split(text, raw):
        if sec in raw: ids.append(added[sec]['id']); continue
        for part in split(unicodedata.normalize('NFC', sec), norm):
            if part in norm: ids.append(added[part]['id']); continue
            for w in pretokenize(part):
                syms = [chars[b] for b in w.encode('utf-8')]
                while True:
                    cands = [(ranks[f'{a} {b}'], i) for i, (a, b) in enumerate(zip(syms, syms[1:])) if f'{a} {b}' in ranks]
                    if not cands: break
                    _, i = min(cands)
                    a, b = syms[i], syms[i + 1]
                    merged, j = [], 0
                    while j < len(syms):
                        if j + 1 < len(syms) and syms[j] == a and syms[j + 1] == b: merged.append(a + b); j += 2
                        else: merged.append(syms[j]); j += 1
                    syms = merged
                ids += [vocab[s] for s in syms]
    return ids


# --- the reference math in float64 ---
def pattention(x, k, v):
    s = x @ k.T
    n = k.shape[0]
    s = s / s.norm(dim=-1, keepdim=True) * math.sqrt(n)
    return torch.nn.functional.gelu(s) @ v


def layernorm(x, w=None, b=None):
    y = torch.nn.functional.layer_norm(x, x.shape[-1:], eps=1e-5)
    return y * w + b if w is not None else y


def rotary(x, dims):
    T = x.shape[-2]
    inv = 1.0 / (10000 ** (torch.arange(0, dims, 2, dtype=torch.float64) / dims))
    f = torch.outer(torch.arange(T, dtype=torch.float64), inv)
    emb = torch.cat([f, f], dim=-1)
    xr, xp = x[..., :dims], x[..., dims:]
    x1, x2 = xr[..., : dims // 2], xr[..., dims // 2:]
    rot = torch.cat([-x2, x1], dim=-1)
    return torch.cat([xr * emb.cos() + rot * emb.sin(), xp], dim=-1)


def forward(w, ids):
    x = w['sequential.0.word_embeddings.weight'][ids]  # [T, H]
    T, hd = len(ids), H // HEADS
    r = int(hd * ROTARY_PCT)
    for i in range(L):
        p = lambda name: (w[f'sequential.{i + 2}.{name}.key_param_tokens'], w[f'sequential.{i + 2}.{name}.value_param_tokens'])
        h = layernorm(x)
        q, k, v = (pattention(h, *p(f'attention.{n}')).view(T, HEADS, hd).transpose(0, 1) for n in ('query', 'key', 'value'))
        q, k = rotary(q, r), rotary(k, r)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        att = att.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float('-inf')).softmax(-1)
        ctx = (att @ v).transpose(0, 1).reshape(T, H)
        x = x + pattention(ctx, *p('attention.proj'))
        x = x + pattention(layernorm(x), *p('mlp'))
    x = layernorm(x, w[f'sequential.{L + 3}.norm.weight'], w[f'sequential.{L + 3}.norm.bias'])
    return x @ w['sequential.0.word_embeddings.weight'].T


tok = json.load(open(TOKENIZER, encoding='utf-8'))
n_ids = max([*tok['model']['vocab'].values(), *(t['id'] for t in tok['added_tokens'])]) + 1
padded = -(-n_ids // 128) * 128
torch.manual_seed(0)
shapes = collections.OrderedDict()
shapes['sequential.0.word_embeddings.weight'] = [padded, H]
for i in range(L):
    for part, n, d_out in (('attention.query', QKV, H), ('attention.key', QKV, H), ('attention.value', QKV, H), ('attention.proj', PROJ, H), ('mlp', FFN, H)):
        shapes[f'sequential.{i + 2}.{part}.key_param_tokens'] = [n, H]
        shapes[f'sequential.{i + 2}.{part}.value_param_tokens'] = [n, d_out]
shapes[f'sequential.{L + 3}.norm.weight'] = [H]
shapes[f'sequential.{L + 3}.norm.bias'] = [H]
flat = torch.zeros(sum(math.prod(s) for s in shapes.values()), dtype=torch.float32)
state, off = collections.OrderedDict(), 0
for name, shape in shapes.items():
    view = flat[off: off + math.prod(shape)].view(*shape)
    if name.endswith('norm.weight'): view.copy_(1 + 0.1 * torch.randn(shape))
    elif name.endswith('norm.bias'): view.copy_(0.1 * torch.randn(shape))
    else: view.copy_(0.5 * torch.randn(shape))
    state[name] = view
    off += math.prod(shape)
os.makedirs(OUT, exist_ok=True)
torch.save(state, os.path.join(OUT, 'pytorch_model.bin'))
open(os.path.join(OUT, 'tiny_eval.yml'), 'w').write(CONFIG)

ids = encode(TEXT, tok)
assert len(ids) <= SEQ, len(ids)
w64 = {k: v.double() for k, v in state.items()}
with torch.no_grad():
    logits = forward(w64, torch.tensor(ids))
    loss = torch.nn.functional.cross_entropy(logits[:-1], torch.tensor(ids[1:])).item()
json.dump({'text': TEXT, 'ids': [ids], 'vocab': n_ids, 'padded_vocab': padded, 'loss': loss,
           'logits': [[[float('%.7g' % x) for x in row] for row in logits.tolist()]]},
          open(os.path.join(OUT, 'expected.json'), 'w'), separators=(',', ':'))
print(f'{len(ids)} ids, vocab {n_ids} -> {padded}, loss {loss:.6f}, {flat.numel()} floats')
