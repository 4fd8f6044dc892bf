# The PyTorch side of `npm run bench`: a TokenFormer written from the reference math (../shared/fixtures/README.md),
# proved to be the same model on the fixture weights, then timed on the training step the Node bench times.
#
#   /usr/bin/python3 bench/torchTokenformer.py --config '{"numLayers":4,...}' [--fixture DIR]... [--steps 10]
#       [--warmup 2] [--batch 16] [--seq 128] [--threads default,cores]
#
# --config is a ModelConfig as JSON (bench/torch.ts passes the preset's). Prints JSON lines, one object each:
# `torch-parity` per fixture (max |Δlogit|, loss and gradient-norm errors per norm; exits 1 when off) and
# one `torch` line per thread setting. Without torch it prints one `torch` line with `skipped` and exits 0.
import argparse
import ctypes
import json
import math
import os
import struct
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:  # the bench goes on without the comparison
    print(json.dumps({"bench": "torch", "skipped": f"no torch in {sys.executable}: {e}"}), flush=True)
    sys.exit(0)

KINDS = ("query", "key", "value", "proj", "ffn")
# Float32 tolerances of the fixtures (their README): logits absolute, loss and gradient norms relative.
TOL = {"logits": 1e-4, "loss": 1e-5, "grad_norms": 1e-3}


def log(msg):
    print(f"[torch] {msg}", file=sys.stderr, flush=True)


def prefix(layer, kind):
    return f"sequential.{layer + 2}.mlp" if kind == "ffn" else f"sequential.{layer + 2}.attention.{kind}"


def tokens_of(c, kind):
    return c["projTokens"] if kind == "proj" else c["ffnTokens"] if kind == "ffn" else c["qkvTokens"]


def param_shapes(c):
    """Reference checkpoint names and shapes, in checkpoint order."""
    d = c["hiddenSize"]
    shapes = {"sequential.0.word_embeddings.weight": (c["vocabSize"], d)}
    for layer in range(c["numLayers"]):
        for kind in KINDS:
            n = tokens_of(c, kind)
            shapes[f"{prefix(layer, kind)}.key_param_tokens"] = (n, d)
            shapes[f"{prefix(layer, kind)}.value_param_tokens"] = (n, d)
    shapes[f"sequential.{c['numLayers'] + 3}.norm.weight"] = (d,)
    shapes[f"sequential.{c['numLayers'] + 3}.norm.bias"] = (d,)
    return shapes


def init_params(c, seed, dtype):
    """The reference init's distributions (lib/tokenformer/params.ts initStd), not its exact draws."""
    g = torch.Generator().manual_seed(seed)
    wang = 2 / (c["numLayers"] * math.sqrt(c["hiddenSize"]))
    out = {}
    for name, shape in param_shapes(c).items():
        if name.endswith("norm.weight"):
            t = torch.ones(shape)
        elif name.endswith("norm.bias"):
            t = torch.zeros(shape)
        else:
            std = wang if name.endswith("value_param_tokens") else c["initStd"]
            t = torch.randn(shape, generator=g) * std
        out[name] = t.to(dtype)
    return out


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    body = bytearray(raw[8 + n :])
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        if h["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {h['dtype']} (expected F32)")
        a, b = h["data_offsets"]
        out[name] = torch.frombuffer(body[a:b], dtype=torch.float32).reshape(h["shape"]).clone()
    return out


class TokenFormer(torch.nn.Module):
    """Pre-norm TokenFormer: every projection is a Pattention; rotary attention; tied embedding."""

    def __init__(self, c, values):
        super().__init__()
        self.c = c
        missing = set(param_shapes(c)) ^ set(values)
        if missing:
            raise ValueError(f"parameters do not match the config: {sorted(missing)[:4]}")
        self.names = list(param_shapes(c))
        self.p = torch.nn.ParameterList([torch.nn.Parameter(values[n].clone()) for n in self.names])
        self.index = {n: i for i, n in enumerate(self.names)}
        self.rotary_cache = {}

    def param(self, name):
        return self.p[self.index[name]]

    def pattention(self, x, layer, kind):
        pre = prefix(layer, kind)
        keys = self.param(f"{pre}.key_param_tokens")  # [n, d]
        vals = self.param(f"{pre}.value_param_tokens")  # [n, d]
        m = keys.shape[0]
        s = x @ keys.t()  # [N, n]
        norm = self.c["norm"]
        if norm == "l2_norm_gelu":
            w = F.gelu(s / s.norm(dim=-1, keepdim=True) * math.sqrt(m))
        elif norm == "gelu_l2_norm":
            g = F.gelu(s)
            w = g / g.norm(dim=-1, keepdim=True) * math.sqrt(m)
        else:
            w = torch.softmax(s, dim=-1) * m
        return w @ vals  # [N, d]

    def rotary(self, t, r, dtype):
        key = (t, r, dtype)
        if key not in self.rotary_cache:
            inv = 1.0 / (self.c["rotaryBase"] ** (torch.arange(0, r, 2, dtype=torch.float64) / r))  # [r/2]
            ang = torch.outer(torch.arange(t, dtype=torch.float64), inv)  # [T, r/2]
            emb = torch.cat([ang, ang], dim=-1)  # [T, r]
            self.rotary_cache[key] = (emb.cos().to(dtype), emb.sin().to(dtype))
        return self.rotary_cache[key]

    def attention(self, q, k, v, b, t):
        c = self.c
        h = c["numHeads"]
        hd = c["hiddenSize"] // h
        r = int(hd * c["rotaryPct"])
        q, k, v = (z.reshape(b, t, h, hd).transpose(1, 2) for z in (q, k, v))  # [B, H, T, hd]
        if r:
            cos, sin = self.rotary(t, r, q.dtype)

            def rope(z):
                zr, zp = z[..., :r], z[..., r:]
                half = r // 2
                rotated = torch.cat([-zr[..., half:], zr[..., :half]], dim=-1)
                return torch.cat([zr * cos + rotated * sin, zp], dim=-1)

            q, k = rope(q), rope(k)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd)  # [B, H, T, T]
        causal = torch.ones(t, t, dtype=torch.bool).triu(1)
        probs = torch.softmax(scores.masked_fill(causal, float("-inf")), dim=-1)
        return (probs @ v).transpose(1, 2).reshape(b * t, c["hiddenSize"])  # [N, d]

    def forward(self, ids):
        c = self.c
        b, t = ids.shape
        d = c["hiddenSize"]
        eps = c["layerNormEps"]
        emb = self.param("sequential.0.word_embeddings.weight")  # [V, d]
        x = emb[ids.reshape(-1)]  # [N, d]
        for layer in range(c["numLayers"]):
            h = F.layer_norm(x, (d,), eps=eps)
            q, k, v = (self.pattention(h, layer, kind) for kind in ("query", "key", "value"))
            x = x + self.pattention(self.attention(q, k, v, b, t), layer, "proj")
            x = x + self.pattention(F.layer_norm(x, (d,), eps=eps), layer, "ffn")
        fin = f"sequential.{c['numLayers'] + 3}.norm"
        x = F.layer_norm(x, (d,), self.param(f"{fin}.weight"), self.param(f"{fin}.bias"), eps)
        return (x @ emb.t()).reshape(b, t, c["vocabSize"])  # [B, T, V]

    def loss(self, ids):
        """Mean next-token cross-entropy over positions 0..T-2."""
        logits = self.forward(ids)
        v = self.c["vocabSize"]
        return F.cross_entropy(logits[:, :-1].reshape(-1, v), ids[:, 1:].reshape(-1))


def config_from_reference(ref, norm):
    return {
        "numLayers": ref["num_layers"],
        "hiddenSize": ref["hidden_size"],
        "numHeads": ref["num_attention_heads"],
        "qkvTokens": ref["qkv_slot_num"],
        "projTokens": ref["proj_slot_num"],
        "ffnTokens": ref["ffn_slot_num"],
        "vocabSize": ref["vocab_size"],
        "rotaryPct": ref["rotary_pct"],
        "rotaryBase": ref.get("rotary_emb_base", 10000),
        "layerNormEps": ref["layernorm_epsilon"],
        "norm": norm,
        "initStd": 0.02,
    }


def parity(fixture):
    """Float32 logits, loss and per-tensor gradient norms against the fixture, for every norm."""
    with open(os.path.join(fixture, "expected.json")) as f:
        expected = json.load(f)
    ref = expected.get("config")
    if ref is None:
        with open(os.path.join(fixture, "config.json")) as f:
            ref = json.load(f)
    weights = read_safetensors(os.path.join(fixture, "model.safetensors"))
    ids = torch.tensor(expected["ids"], dtype=torch.long)
    report = {"bench": "torch-parity", "fixture": os.path.basename(os.path.normpath(fixture)), "ok": True, "tolerance": TOL}
    for norm, want in expected["by_norm"].items():
        model = TokenFormer(config_from_reference(ref, norm), weights)
        loss = model.loss(ids)
        loss.backward()
        logits = model.forward(ids).detach()
        logit_diff = (logits.double() - torch.tensor(want["logits"], dtype=torch.float64)).abs().max().item()
        loss_rel = abs(loss.item() - want["loss"]) / abs(want["loss"])
        grad_rel = 0.0
        for name, g_want in want.get("grad_norms", {}).items():
            g = model.param(name).grad
            got = 0.0 if g is None else g.double().norm().item()
            grad_rel = max(grad_rel, abs(got - g_want) / max(abs(g_want), 1e-12))
        ok = logit_diff <= TOL["logits"] and loss_rel <= TOL["loss"] and grad_rel <= TOL["grad_norms"]
        report[norm] = {"maxAbsLogitDiff": float(f"{logit_diff:.3e}"), "lossRelErr": float(f"{loss_rel:.3e}"), "ok": ok}
        if "grad_norms" in want:
            report[norm]["maxGradNormRelErr"] = float(f"{grad_rel:.3e}")
        report["ok"] = report["ok"] and ok
    return report


def loaded_blas():
    """
    The BLAS library torch calls (Debian's torch takes whatever libblas.so.3 points to: netlib is ~5x slower than
    OpenBLAS) and, for OpenBLAS, its thread control: it keeps its own pool beside torch's OpenMP threads.
    """
    torch.randn(64, 64) @ torch.randn(64, 64)
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({os.path.realpath(line.split()[-1]) for line in f if "blas" in line.split()[-1]})
    except OSError:
        return None, None
    lib = next((x for x in libs if "libopenblas" in os.path.basename(x)), None)
    control = None
    if lib:
        try:
            control = ctypes.CDLL(lib)
            control.openblas_get_num_threads.restype = ctypes.c_int
        except (OSError, AttributeError):
            control = None
    return (lib or (libs[0] if libs else None)), control


def time_training(c, threads, steps, warmup, batch, seq, seed=0):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = TokenFormer(c, init_params(c, seed, torch.float32))
    # The Node optimizer: AdamW β (0.9, 0.95), ε 1e-8, weight decay 0.1 on matrices only, global-norm clip 1.
    decay = [p for p in model.p if p.dim() >= 2]
    rest = [p for p in model.p if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.95), eps=1e-8)
    g = torch.Generator().manual_seed(seed + 1)
    batches = [torch.randint(0, c["vocabSize"], (batch, seq), generator=g) for _ in range(steps + warmup)]
    times = []
    loss = float("nan")
    for i, ids in enumerate(batches):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        out = model.loss(ids)
        out.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss = out.item()  # the Node bench reads its loss back every step too (logEvery 1)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    mean = sum(times) / len(times)
    best = min(times)
    tokens = batch * seq
    return {
        "params": sum(p.numel() for p in model.p),
        "tokensPerSec": round(tokens / mean),
        "msPerStep": round(mean * 1000, 1),
        "bestMsPerStep": round(best * 1000, 1),
        "bestTokensPerSec": round(tokens / best),
        "finalLoss": round(loss, 4),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", required=True, help="ModelConfig as JSON")
    ap.add_argument("--preset", default="", help="preset name, for the report")
    ap.add_argument("--fixture", action="append", default=[], help="fixture folder (expected.json, model.safetensors) to prove parity on first; repeatable")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--threads", default="default,cores", help="comma list: default, cores, or numbers")
    a = ap.parse_args()
    c = json.loads(a.config)
    if c.get("arch", "tokenformer") != "tokenformer":
        raise SystemExit("only the tokenformer is written here")
    if a.steps < 1 or a.batch < 1 or a.seq < 2 or a.seq > c["maxSeqLen"]:
        raise SystemExit(f"bad sizes: steps {a.steps}, batch {a.batch}, seq {a.seq} (maxSeqLen {c['maxSeqLen']})")

    default_threads = torch.get_num_threads()
    cores = os.cpu_count() or 1
    blas, blas_control = loaded_blas()
    default_blas_threads = blas_control.openblas_get_num_threads() if blas_control else None
    # Debian's libblas3 is the netlib reference: a comparison against it would flatter the Node engine.
    note = None
    if blas and "openblas" not in blas and "mkl" not in blas:
        note = "reference (netlib) BLAS: torch runs several times slower than with OpenBLAS (apt-get install libopenblas0-openmp)"
    elif blas and "openblas-pthread" in blas:
        note = "pthread OpenBLAS beside torch's OpenMP threads oversubscribes the cores (libopenblas0-openmp shares one pool)"
    for fixture in a.fixture:
        log(f"parity on {fixture}")
        report = parity(fixture)
        print(json.dumps(report), flush=True)
        if not report["ok"]:
            print(f"the torch TokenFormer does not match {fixture}: {json.dumps(report)}", file=sys.stderr)
            sys.exit(1)

    settings = []
    for s in a.threads.split(","):
        n = default_threads if s == "default" else cores if s == "cores" else int(s)
        if n < 1:
            raise SystemExit(f"bad thread setting {s!r}")
        if not any(x == n and (lx == "default") == (s == "default") for x, lx in settings):
            settings.append((n, s))
    for n, label in settings:
        log(f"timing {a.preset or 'model'} with {n} thread(s), {a.warmup} + {a.steps} steps")
        # `default` keeps OpenBLAS's own pool as it starts (one thread per core); a number sets both pools.
        if blas_control:
            blas_control.openblas_set_num_threads(default_blas_threads if label == "default" else n)
        r = time_training(c, n, a.steps, a.warmup, a.batch, a.seq)
        print(json.dumps({
            "bench": "torch",
            "preset": a.preset or None,
            "torch": torch.__version__,
            "threads": n,
            "threadSetting": label,
            "defaultThreads": default_threads,
            "blasThreads": blas_control.openblas_get_num_threads() if blas_control else None,
            "defaultBlasThreads": default_blas_threads,
            "cores": cores,
            "dtype": "float32",
            "blas": blas,
            **({"note": note} if note else {}),
            "batch": a.batch,
            "seq": a.seq,
            "steps": a.steps,
            **r,
        }), flush=True)


if __name__ == "__main__":
    main()
