# wide.py without a GPU: the same nets, loss, init, Adam and cosine schedule in numpy (OpenBLAS matrix
# products, the gradients written out), for continuing the wide nets on a CPU (~35-45 ms a step of 8,192
# at 256 units on two cores: 24,000 steps ~15 min a net). Not part of CI.
#   OUT=run-cpu INIT=wide-256x256-float.json.gz AUGMENT=1 NETS=0,2,1 STEPS=24000 LR=5e-4 python3 wide_cpu.py
# Writes $OUT/wide-cpu.json (held-out bits before and after, per net) and $OUT/wide-<hidden>-cpu.json
# (float nets for import-float.mjs; nets not trained yet are copied from INIT) after every net, and
# $OUT/wide-cpu-ckpt.npz (the running net, its Adam state and step) every CHECKPOINT seconds: run again
# with the same settings and it resumes there.
import json, math, os, time
import numpy as np
from examples import float_params, load_sets, read_float_nets

OUT = os.environ.get('OUT', '.')
HIDDEN = [int(u) for u in os.environ.get('HIDDEN', '256x256').split('x')]
STEPS = int(os.environ.get('STEPS', '8000'))
BATCH = int(os.environ.get('BATCH', '8192'))
LR = float(os.environ.get('LR', '5e-4'))
NETS = [int(k) for k in os.environ.get('NETS', '0,2,1').split(',')]
AUGMENT = int(os.environ.get('AUGMENT', '1'))
INIT = os.environ.get('INIT')
CHECKPOINT = float(os.environ.get('CHECKPOINT', '300'))
# Steps of linear warm-up: a fresh Adam state on trained nets jolts them at the full rate.
WARMUP = int(os.environ.get('WARMUP', '200'))
# FAR=1: net 0 also sees the far window (features.FAR; model.json context 2); FAR=2: every net its own
# channel's (context 3). An INIT net with fewer inputs gets zero weights for the new ones (the same
# function to start from). MARGIN: the interior's.
FAR = int(os.environ.get('FAR', '0'))
MARGIN = int(os.environ.get('MARGIN', '4' if FAR else '2'))
# GREY_COPIES=1: each train RGB image also as grey (examples.luma), more grey examples for net 0.
GREY_COPIES = os.environ.get('GREY_COPIES') == '1'
# CHANNEL_COPIES=1: each train RGB image's R and B channels also as grey images, for net 0.
CHANNEL_COPIES = os.environ.get('CHANNEL_COPIES') == '1'
# ALL=1: the held-out images are trained on too (the final run of a chosen recipe; its held-out bits are then not held out).
ALL = os.environ.get('ALL') == '1'
LOG_MIN, LOG_MAX = math.log(0.1), math.log(0.1 * 2 ** (47 / 4))
LN2 = math.log(2)
NAME = 'x'.join(map(str, HIDDEN))
CKPT = os.path.join(OUT, 'wide-cpu-ckpt.npz')
RESULTS = os.path.join(OUT, 'wide-cpu.json')
NETS_OUT = os.path.join(OUT, f'wide-{NAME}-cpu.json')

def softplus(v):
    return np.logaddexp(0, v)

def sigmoid(v):
    return 0.5 * (1 + np.tanh(0.5 * v))

def component(mean, log_scale, r):
    """log P(r) under one discretized logistic, and its derivatives by mean and by log scale."""
    inside = (log_scale >= LOG_MIN) & (log_scale <= LOG_MAX)
    inv = np.exp(-np.clip(log_scale, LOG_MIN, LOG_MAX))
    c = r - mean
    a, b = (c + 0.5) * inv, (c - 0.5) * inv
    # log(sigmoid(a) - sigmoid(b)) = log sigmoid(a) + log sigmoid(-b) + log(1 - exp(-inv))
    logp = -(softplus(-a) + softplus(b)) + np.log(-np.expm1(-inv))
    sa, sb = sigmoid(-a), sigmoid(b)
    d_mean = -inv * (sa - sb)
    d_scale = np.where(inside, -a * sa + b * sb - inv / np.expm1(inv), 0)
    return logp, d_mean, d_scale

def loss_and_grad(out, r, want_grad=True):
    """Mean bits of r under the 2-component mixture `out` (N x 5), and d(bits)/d(out) (None without want_grad)."""
    w = out[:, 4]
    la, dma, dsa = component(out[:, 0], out[:, 1], r)
    lb, dmb, dsb = component(out[:, 2], out[:, 3], r)
    a = la - softplus(-w)
    b = lb - softplus(w)
    top = np.maximum(a, b)
    total = top + np.log(np.exp(a - top) + np.exp(b - top))
    if not want_grad: return -total.mean() / LN2, None
    pa, pb = np.exp(a - total), np.exp(b - total)
    scale = -1 / (r.shape[0] * LN2)
    grad = np.stack([pa * dma, pa * dsa, pb * dmb, pb * dsb, pa * sigmoid(-w) - pb * sigmoid(w)], 1) * scale
    return -total.mean() / LN2, grad.astype(np.float32)

def forward(params, x, keep=False):
    h, kept = x, []
    for i, (W, b) in enumerate(params):
        z = h @ W + b
        if i < len(params) - 1:
            kept.append((h, (z > 0) & (z < 64)))
            h = np.clip(z, 0, 64)
        else:
            kept.append((h, None))
            h = z
    return (h, kept) if keep else h

def backward(params, kept, grad):
    grads = [None] * len(params)
    for i in range(len(params) - 1, -1, -1):
        h, _ = kept[i]
        grads[i] = (h.T @ grad, grad.sum(0))
        if i > 0: grad = (grad @ params[i][0].T) * kept[i - 1][1]
    return grads

def learning_rate(s):
    """Step s's rate: LR after a linear warm-up of WARMUP steps, cosine decay to 0 at STEPS."""
    return LR * 0.5 * (1 + math.cos(math.pi * s / STEPS)) * min(1, (s + 1) / WARMUP) + 1e-6

def adam_step(params, grads, m, v, lr, s):
    """Step s of Adam (0.9, 0.999, bias-corrected) on every (W, b) in place; m, v its moments."""
    c1, c2 = 1 - 0.9 ** (s + 1), 1 - 0.999 ** (s + 1)
    for i, ((W, b), (gW, gb)) in enumerate(zip(params, grads)):
        for p, g, mm, vv in ((W, gW, m[i][0], v[i][0]), (b, gb, m[i][1], v[i][1])):
            mm *= 0.9; mm += 0.1 * g
            vv *= 0.999; vv += 0.001 * g * g
            p -= (lr / c1) * mm / (np.sqrt(vv / c2) + 1e-8)

def init_params(d, k):
    sizes = [d] + HIDDEN + [5]
    if INIT:
        params = float_params(INIT, k, inputs=d)
        got = [params[0][0].shape[0]] + [b.shape[0] for _, b in params]
        if got != sizes: raise SystemExit(f'INIT net {k} has sizes {got} (inputs padded to {d}), not {sizes}')
        return params
    rng = np.random.default_rng(1 + k)
    params = []
    for l in range(len(sizes) - 1):
        if l == len(sizes) - 2:
            params.append((np.zeros((sizes[l], 5), np.float32), np.array([0.0, math.log(3), 0.0, math.log(3) + math.log(2), 2.0], np.float32)))
        else:
            params.append(((rng.standard_normal((sizes[l], sizes[l + 1])) * math.sqrt(2 / sizes[l])).astype(np.float32), np.zeros(sizes[l + 1], np.float32)))
    return params

def evaluate(params, f, r, chunk=1 << 18, loss=None):
    """Mean bits of r under the net's outputs; `loss`: another loss_and_grad (other output layouts)."""
    loss = loss or loss_and_grad
    total = 0.0
    for i in range(0, r.shape[0], chunk):
        x = f[i:i + chunk].astype(np.float32) / 32
        bits, _ = loss(forward(params, x), r[i:i + chunk].astype(np.float32), want_grad=False)
        total += bits * min(chunk, r.shape[0] - i)
    return float(total / r.shape[0])

def as_json(k, params):
    return {'net': k, 'weights': [W.ravel().tolist() for W, _ in params], 'biases': [b.tolist() for _, b in params], 'sizes': [params[0][0].shape[0]] + [b.shape[0] for _, b in params]}

def gradient_check():
    """The written-out gradients against central differences on a small random net (GRADCHECK=1)."""
    rng = np.random.default_rng(0)
    sizes = [6, 8, 8, 5]
    params = [(rng.standard_normal((sizes[l], sizes[l + 1])) * 0.5, rng.standard_normal(sizes[l + 1]) * 0.5) for l in range(3)]
    x, r = rng.standard_normal((64, 6)), rng.integers(-20, 20, 64).astype(np.float64)
    out, kept = forward(params, x, keep=True)
    grads = backward(params, kept, loss_and_grad(out, r)[1].astype(np.float64))
    worst = 0.0
    for l in range(3):
        for j in range(2):
            p, g = params[l][j], grads[l][j]
            for i in range(p.size):
                at = np.unravel_index(i, p.shape)
                old = p[at]
                p[at] = old + 1e-5; up = loss_and_grad(forward(params, x), r)[0]
                p[at] = old - 1e-5; down = loss_and_grad(forward(params, x), r)[0]
                p[at] = old
                worst = max(worst, abs((up - down) / 2e-5 - g[at]))
    print(json.dumps({'gradientCheck': 'largest difference from central differences', 'value': worst}))
    if worst > 1e-6: raise SystemExit('gradient check failed')

def main():
    start = time.time()
    sets = load_sets(AUGMENT, workers=2, far=FAR, margin=MARGIN, grey_copies=GREY_COPIES, channel_copies=CHANNEL_COPIES, nets=NETS, all_train=ALL)
    print(json.dumps({'features_s': round(time.time() - start, 1), 'examples': {k: [int(sets[(k, p)][1].shape[0]) for p in ('train', 'val')] for k in NETS}}), flush=True)
    results = json.load(open(RESULTS)) if os.path.exists(RESULTS) else []
    out_nets = read_float_nets(NETS_OUT) if os.path.exists(NETS_OUT) else (read_float_nets(INIT) if INIT else {'hidden': HIDDEN, 'nets': []})
    for k in NETS:
        if any(rec['net'] == k and rec['steps'] == STEPS and rec['init'] == INIT and rec['augment'] == AUGMENT and rec.get('far', False) == FAR for rec in results):
            print(f'net {k} done', flush=True); continue
        t0 = time.time()
        f, r = sets[(k, 'train')]
        vf, vr = sets[(k, 'val')]
        params = init_params(f.shape[1], k)
        init_val = round(evaluate(params, vf, vr), 4)
        m = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
        v = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
        first, curve = 0, []
        if os.path.exists(CKPT):
            ck = np.load(CKPT, allow_pickle=False)
            if int(ck['net']) == k and int(ck['steps']) == STEPS:
                n = len(params)
                params = [(ck[f'W{i}'], ck[f'b{i}']) for i in range(n)]
                m = [(ck[f'mW{i}'], ck[f'mb{i}']) for i in range(n)]
                v = [(ck[f'vW{i}'], ck[f'vb{i}']) for i in range(n)]
                first, curve = int(ck['step']), json.loads(str(ck['curve']))
                print(f'net {k}: resumed at step {first}', flush=True)
        rng = np.random.default_rng(1000 * k + first)
        saved = time.time()
        for s in range(first, STEPS):
            lr = learning_rate(s)
            idx = rng.integers(0, r.shape[0], BATCH)
            out, kept = forward(params, f[idx].astype(np.float32) / 32, keep=True)
            loss, grad = loss_and_grad(out, r[idx].astype(np.float32))
            grads = backward(params, kept, grad)
            adam_step(params, grads, m, v, lr, s)
            if (s + 1) % (STEPS // 4) == 0:
                curve.append([s + 1, round(float(loss), 4), round(evaluate(params, vf, vr), 4)])
                print(json.dumps({'net': k, 'step': s + 1, 'val': curve[-1][2], 'seconds': round(time.time() - t0)}), flush=True)
            if time.time() - saved > CHECKPOINT and s + 1 < STEPS:
                arrays = {'net': k, 'steps': STEPS, 'step': s + 1, 'curve': json.dumps(curve)}
                for i in range(len(params)):
                    arrays.update({f'W{i}': params[i][0], f'b{i}': params[i][1], f'mW{i}': m[i][0], f'mb{i}': m[i][1], f'vW{i}': v[i][0], f'vb{i}': v[i][1]})
                np.savez(CKPT + '.tmp.npz', **arrays); os.replace(CKPT + '.tmp.npz', CKPT)
                saved = time.time()
        rec = {'hidden': HIDDEN, 'net': k, 'steps': STEPS, 'batch': BATCH, 'lr': LR, 'augment': AUGMENT, 'far': FAR, 'margin': MARGIN, 'init': INIT, 'all': ALL, 'initValBits': init_val,
               'valBits': curve[-1][2], 'curve': curve, 'valCount': int(vr.shape[0]), 'seconds': round(time.time() - t0, 1), 'device': 'cpu (numpy)'}
        print(json.dumps(rec), flush=True)
        results.append(rec)
        out_nets['nets'] = [n for i, n in enumerate(out_nets['nets']) if n.get('net', i) != k] + [as_json(k, params)]
        out_nets['nets'].sort(key=lambda n: n['net'])
        with open(NETS_OUT, 'w') as fh: json.dump(out_nets, fh)
        with open(RESULTS, 'w') as fh: json.dump(results, fh, indent=1)
        if os.path.exists(CKPT): os.remove(CKPT)

if __name__ == '__main__':
    gradient_check() if os.environ.get('GRADCHECK') else main()
