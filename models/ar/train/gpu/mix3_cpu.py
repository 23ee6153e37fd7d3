# Experiment (not part of the coder): does a third logistic component help the wide nets? Net K of INIT
# (2 components, 5 outputs) grown to 3 components (9 outputs: 3 means, 3 log scales, 3 logits under a
# softmax): the third starts as a copy of the first, one scale step wider, at weight ~e^-4, so the start is
# the 2-component net. Trained as wide_cpu.py trains (Adam, warm-up, cosine), held-out float bits per
# quarter. COMPONENTS=2 runs the same loop on the unchanged net (the control).
#   OUT=run-mix3 INIT=wide5-256x256-float.json.gz FAR=2 NETS=2 STEPS=6000 LR=3e-4 python3 mix3_cpu.py
import json, math, os, time
import numpy as np
import wide_cpu as W
from examples import float_params, load_sets

K = int(os.environ.get('COMPONENTS', '3'))
LN2 = math.log(2)

def loss_and_grad(out, r, want_grad=True):
    logits = out[:, 2 * K:3 * K]
    top = logits.max(1, keepdims=True)
    log_prior = logits - (top + np.log(np.exp(logits - top).sum(1, keepdims=True)))
    parts = [W.component(out[:, 2 * j], out[:, 2 * j + 1], r) for j in range(K)]
    a = np.stack([p[0] for p in parts], 1) + log_prior
    amax = a.max(1, keepdims=True)
    total = (amax + np.log(np.exp(a - amax).sum(1, keepdims=True)))[:, 0]
    if not want_grad: return -total.mean() / LN2, None
    post = np.exp(a - total[:, None])
    prior = np.exp(log_prior)
    scale = -1 / (r.shape[0] * LN2)
    grad = np.empty_like(out)
    for j in range(K):
        grad[:, 2 * j] = post[:, j] * parts[j][1] * scale
        grad[:, 2 * j + 1] = post[:, j] * parts[j][2] * scale
        grad[:, 2 * K + j] = (post[:, j] - prior[:, j]) * scale
    return -total.mean() / LN2, grad.astype(np.float32)

def grown(k):
    params = float_params(W.INIT, k)
    Wl, bl = params[-1]
    if K == 2:
        # 2-component layout as this script reads it: m1 s1 m2 s2, then logits (w, 0).
        Wn = np.concatenate([Wl[:, :4], Wl[:, 4:5], np.zeros((Wl.shape[0], 1), np.float32)], 1)
        bn = np.concatenate([bl[:4], bl[4:5], [0.0]]).astype(np.float32)
    else:
        Wn = np.concatenate([Wl[:, :4], Wl[:, 0:2], Wl[:, 4:5], np.zeros((Wl.shape[0], 2), np.float32)], 1)
        bn = np.concatenate([bl[:4], bl[0:1], bl[1:2] + 1.0, bl[4:5], [0.0, -4.0]]).astype(np.float32)
    params[-1] = (Wn, bn)
    return params

def main():
    sets = load_sets(W.AUGMENT, workers=2, far=W.FAR, margin=W.MARGIN, nets=W.NETS)
    out = []
    for k in W.NETS:
        f, r = sets[(k, 'train')]; vf, vr = sets[(k, 'val')]
        params = grown(k)
        start = round(W.evaluate(params, vf, vr, loss=loss_and_grad), 4)
        m = [(np.zeros_like(a), np.zeros_like(b)) for a, b in params]
        v = [(np.zeros_like(a), np.zeros_like(b)) for a, b in params]
        rng = np.random.default_rng(7 + k)
        curve, t0 = [], time.time()
        for s in range(W.STEPS):
            idx = rng.integers(0, r.shape[0], W.BATCH)
            o, kept = W.forward(params, f[idx].astype(np.float32) / 32, keep=True)
            _, g = loss_and_grad(o, r[idx].astype(np.float32))
            grads = W.backward(params, kept, g)
            W.adam_step(params, grads, m, v, W.learning_rate(s), s)
            if (s + 1) % (W.STEPS // 4) == 0:
                curve.append([s + 1, round(W.evaluate(params, vf, vr, loss=loss_and_grad), 4)])
                print(json.dumps({'net': k, 'components': K, 'step': s + 1, 'val': curve[-1][1], 'seconds': round(time.time() - t0)}), flush=True)
        out.append({'net': k, 'components': K, 'init': W.INIT, 'steps': W.STEPS, 'lr': W.LR, 'startValBits': start, 'curve': curve})
        with open(os.path.join(W.OUT, f'mix{K}.json'), 'w') as fh: json.dump(out, fh, indent=1)

if __name__ == '__main__':
    main()
