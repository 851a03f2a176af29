# An independent NumPy model of the integer operators, written from ../shared/spec/operators.md and
# the ONNX operator definitions (not from src/reference/), used to cross-check the expected outputs
# of the generated golden cases. Input: a folder of cases, each with graph.json (nodes, inputs,
# outputs, initializer names), consts.npz, inputs.npz; prints one JSON line per case with outputs.
import json, sys, os
import numpy as np


def att(a, k, d=None):
    v = a.get(k, d)
    if isinstance(v, list) and len(v) == 1 and isinstance(v[0], (int, float)) and k not in ('axes', 'perm', 'pads', 'strides', 'dilations', 'kernel_shape'):
        return v[0]
    return v


def tdiv(a, b):  # C division (truncating), integers
    a = np.asarray(a, dtype=np.int64); b = np.asarray(b, dtype=np.int64)
    q = np.abs(a) // np.abs(b)
    return np.where((a < 0) != (b < 0), -q, q)


def f32(r):
    r = np.asarray(r, dtype=np.float64)
    return np.where(r == np.round(r), r, r.astype(np.float32).astype(np.float64))


def window_pad(x, k, st, dl, pads, fill):
    sp = len(k)
    pw = [(0, 0), (0, 0)] + [(pads[i], pads[i + sp]) for i in range(sp)]
    return np.pad(x, pw, constant_values=fill)


def conv(x, w, b, a):
    sp = x.ndim - 2
    k = list(w.shape[2:]); st = a.get('strides', [1] * sp); dl = a.get('dilations', [1] * sp); pads = a.get('pads', [0] * 2 * sp)
    g = int(att(a, 'group', 1))
    xp = window_pad(x, k, st, dl, pads, 0)
    if sp == 1:
        xp = xp[:, :, None, :]; w = w[:, :, None, :]; k = [1] + k; st = [1] + st; dl = [1] + dl
    B, C, H, W = xp.shape; F, Cg = w.shape[0], w.shape[1]
    OH = (H - dl[0] * (k[0] - 1) - 1) // st[0] + 1; OW = (W - dl[1] * (k[1] - 1) - 1) // st[1] + 1
    out = np.zeros((B, F, OH, OW), dtype=np.int64)
    Fg = F // g
    for f in range(F):
        gi = f // Fg
        xs = xp[:, gi * Cg:(gi + 1) * Cg].astype(np.int64)
        for oh in range(OH):
            for ow in range(OW):
                patch = xs[:, :, oh * st[0]: oh * st[0] + dl[0] * (k[0] - 1) + 1: dl[0], ow * st[1]: ow * st[1] + dl[1] * (k[1] - 1) + 1: dl[1]]
                out[:, f, oh, ow] = (patch * w[f].astype(np.int64)).sum(axis=(1, 2, 3))
        if b is not None:
            out[:, f] += int(b[f])
    return out[:, :, 0, :] if sp == 1 else out


def maxpool(x, a):
    sp = x.ndim - 2
    k = a['kernel_shape']; st = a.get('strides', [1] * sp); pads = a.get('pads', [0] * 2 * sp)
    xp = window_pad(x.astype(np.float64), k, st, [1] * sp, pads, -np.inf)
    if sp == 1:
        xp = xp[:, :, None, :]; k = [1] + k; st = [1] + st
    B, C, H, W = xp.shape
    OH = (H - k[0]) // st[0] + 1; OW = (W - k[1]) // st[1] + 1
    out = np.zeros((B, C, OH, OW))
    for oh in range(OH):
        for ow in range(OW):
            out[:, :, oh, ow] = xp[:, :, oh * st[0]:oh * st[0] + k[0], ow * st[1]:ow * st[1] + k[1]].max(axis=(2, 3))
    return out[:, :, 0, :] if sp == 1 else out


def requant(x, mul, add, a):
    x = x.astype(np.int64); mul = mul.astype(np.int64); add = add.astype(np.int64)
    def fit(p):
        try:
            if np.broadcast_shapes(x.shape, p.shape) == x.shape:
                return p
        except ValueError:
            pass
        return p.reshape((1, -1) + (1,) * (x.ndim - 2))
    div = int(att(a, 'div')); n = int(att(a, 'n_levels_out', att(a, 'n_levels', 256))); signed = int(att(a, 'signed', 1))
    y = (x * fit(mul) + fit(add) + div // 2) // div
    lo, hi = (-n // 2, n // 2 - 1) if signed else (0, n - 1)
    return np.clip(y, lo, hi)


def isoftmax(x, a):
    A, B, C, L, n = (int(att(a, k)) for k in ('coeffA', 'coeffB', 'coeffC', 'log2', 'n_levels'))
    x = x.astype(np.int64)
    xt = x - x.max(axis=-1, keepdims=True)
    z = np.clip(-xt // L, 0, 31)  # -xt >= 0: floor = C division
    p = xt + z * L
    y = (A * (p + B) ** 2 + C) >> z
    return (y * (n - 1)) // y.sum(axis=-1, keepdims=True)


def itamax(x, a):
    n = int(att(a, 'n_levels', 256)); x = x.astype(np.int64)
    shift = (x.max(axis=-1, keepdims=True) - x + 16) >> 5
    s = (256 >> np.minimum(shift, 62)).sum(axis=-1, keepdims=True)
    return ((((n - 1) * 256) // s) >> shift) - n // 2


def isqrt(v):
    r = np.floor(np.sqrt(v.astype(np.float64))).astype(np.int64)
    r = np.where(r * r > v, r - 1, r)
    return np.where((r + 1) * (r + 1) <= v, r + 1, r)


def irmsnorm(x, w, a):
    x = x.astype(np.int64); N = x.shape[-1]; log2D = int(np.log2(att(a, 'D'))); n = int(att(a, 'n_levels', 256))
    std = isqrt((x * x).sum(axis=-1, keepdims=True) // N + 1)
    return np.clip(tdiv(x * w.astype(np.int64), std) >> log2D, -n // 2, n // 2 - 1)


def ilayernorm(x, w, b, a):
    x = x.astype(np.int64); N = x.shape[-1]; log2D = int(np.log2(att(a, 'D')))
    mean = tdiv(x.sum(axis=-1, keepdims=True), N)
    std = isqrt(tdiv(((x - mean) ** 2).sum(axis=-1, keepdims=True), N) + 1)
    v = (tdiv((x - mean) * w.astype(np.int64), std) + b.astype(np.int64)) >> log2D
    return ((v + 128) % 256) - 128


def run_case(d):
    g = json.load(open(os.path.join(d, 'graph.json')))
    env = {}
    with np.load(os.path.join(d, 'consts.npz')) as z:
        for k in z.files:
            env[k] = z[k].astype(np.float64)
    with np.load(os.path.join(d, 'inputs.npz')) as z:
        for name, k in zip(g['inputs'], z.files):
            env[name] = z[k].astype(np.float64)
    for nd in g['nodes']:
        a = nd['attrs']; ins = [env[i] if i else None for i in nd['inputs']]; op = nd['op']; x = ins[0] if ins else None
        if op in ('Add', 'Sub', 'Mul'):
            r = {'Add': np.add, 'Sub': np.subtract, 'Mul': np.multiply}[op](ins[0], ins[1]); y = f32(r)
        elif op == 'Div': y = (ins[0].astype(np.float32) / ins[1].astype(np.float32)).astype(np.float64)
        elif op == 'Round': y = np.round(x)
        elif op == 'Clip': y = np.clip(x, ins[1], ins[2])
        elif op == 'Cast': y = ((np.trunc(x).astype(np.int64) + 128) % 256) - 128 if att(a, 'to') == 3 else x
        elif op in ('Identity', 'Squeeze', 'Unsqueeze', 'Reshape', 'Flatten'):
            y = x.reshape(nd['outShape'])
        elif op == 'Transpose': y = x.transpose(a['perm'])
        elif op == 'Concat': y = np.concatenate(ins, axis=att(a, 'axis'))
        elif op == 'Slice':  # ONNX clamping rules, then an explicit index list per axis
            y = x
            axes = ins[3] if len(ins) > 3 else range(len(ins[1]))
            steps = ins[4] if len(ins) > 4 else np.ones(len(ins[1]))
            for s, e, ax, st in zip(ins[1], ins[2], axes, steps):
                s, e, ax, st = int(s), int(e), int(ax), int(st)
                dim = x.shape[ax]
                s = s + dim if s < 0 else s
                e = e + dim if e < 0 else e
                if st > 0:
                    s, e = min(max(s, 0), dim), min(max(e, 0), dim)
                else:
                    s, e = min(max(s, -1), dim - 1), min(max(e, -1), dim - 1)
                y = np.take(y, list(range(s, e, st)), axis=ax)
        elif op == 'Pad':
            p = [int(v) for v in (a['pads'] if 'pads' in a else ins[1])]; r = x.ndim
            y = np.pad(x, [(p[i], p[i + r]) for i in range(r)], constant_values=(ins[2].item() if len(ins) > 2 else att(a, 'value', 0)))
        elif op == 'Gather': y = np.take(x, ins[1].astype(np.int64), axis=att(a, 'axis', 0))
        elif op == 'MatMul': y = np.matmul(ins[0].astype(np.int64), ins[1].astype(np.int64))
        elif op == 'Gemm':
            A = ins[0].T if att(a, 'transA', 0) else ins[0]; B = ins[1].T if att(a, 'transB', 0) else ins[1]
            y = att(a, 'alpha', 1) * (A.astype(np.int64) @ B.astype(np.int64)) + (att(a, 'beta', 1) * ins[2] if len(ins) > 2 else 0)
        elif op == 'Conv': y = conv(x, ins[1], ins[2] if len(ins) > 2 else None, a)
        elif op == 'MaxPool': y = maxpool(x, a)
        elif op == 'ReduceSum': y = x.sum(axis=tuple(int(v) for v in (a['axes'] if 'axes' in a else ins[1])), keepdims=bool(att(a, 'keepdims', 1)))
        elif op == 'ReduceMean':
            axes = tuple(a['axes']); N = int(np.prod([x.shape[i] for i in axes]))
            y = (2 * x.sum(axis=axes, keepdims=bool(att(a, 'keepdims', 1))).astype(np.int64) + N) // (2 * N)
        elif op == 'RequantShift': y = requant(x, ins[1], ins[2], a)
        elif op == 'iSoftmax': y = isoftmax(x, a)
        elif op == 'ITAMax': y = itamax(x, a)
        elif op == 'iRMSNorm': y = irmsnorm(x, ins[1], a)
        elif op == 'iLayerNorm': y = ilayernorm(x, ins[1], ins[2], a)
        elif op == 'iHardswish':
            xi = x.astype(np.int64); y = xi * (np.clip(xi + int(att(a, 'three')), 0, int(att(a, 'six'))) * int(att(a, 'one_over_six')))
        elif op == 'iGELU':
            xi = x.astype(np.int64); b = int(att(a, 'b')); one = int(att(a, 'one'))
            q = np.minimum(np.abs(xi), -b); L = np.sign(xi) * (one - (q + b) ** 2); y = xi * ((one + L) >> 1)
        elif op == 'TrueIntegerDiv':
            k = (int(att(a, 'Delta')) * int(att(a, 'eta'))) // (int(att(a, 'eta')) * int(att(a, 'y')) + int(att(a, 'eps')))
            y = x.astype(np.int64) * k
        else:
            raise SystemExit(f'numpy model: no {op}')
        env[nd['outputs'][0]] = np.asarray(y, dtype=np.float64) + 0.0  # no -0
    return [env[o].ravel().tolist() for o in g['outputs']]


root = sys.argv[1]
for name in sorted(os.listdir(root)):
    print(json.dumps({'case': name, 'outputs': run_case(os.path.join(root, name))}))
