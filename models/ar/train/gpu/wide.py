# Wider ar nets on every interior pixel of the train split (an experiment on a GPU; not part of CI).
# Same features (features.py = context.ts), targets, mixture loss, clipping, init and schedule as
# models/ar/train/train.ts --mixture; every width trains nets 0 (G and grey), 1 (R), 2 (B) from scratch
# and is scored on the trainer's held-out images (float nets, no adaptation). Writes $OUT/wide.json
# (held-out bits per net and width) and $OUT/wide-<hidden>.json (float weights, inputs x outputs as
# tfjs, for models/ar/train/gpu/import-float.mjs) after every net, so a run cut short keeps what finished.
# INIT=<float nets .json or .json.gz> starts every net from those (same widths) instead of at random;
# AUGMENT=1 adds each train image mirrored left-right, AUGMENT=2 also upside down (held-out images never).
# FAR, MARGIN, GREY_COPIES: as wide_cpu.py (context 2 or 3 features; grey copies for net 0); an INIT net
# with fewer inputs gets zero weights for the new ones. DEEPEN=1: an INIT net with one hidden layer fewer
# than the plan gets an identity layer after its first (ReLU'd activations are >= 0, so the same function
# to start from). STEPS is cut to what fits each net's share of BUDGET, timed on 50 steps after 10;
# WARMUP steps of linear warm-up.
import json, math, os, time
import torch
from examples import float_params, load_sets

OUT = os.environ.get('OUT', '.')
PLAN = [[int(u) for u in h.split('x')] for h in os.environ.get('PLAN', '64x64;128x128;256x256').split(';')]
STEPS = int(os.environ.get('STEPS', '20000'))
BATCH = int(os.environ.get('BATCH', '8192'))
LR = float(os.environ.get('LR', '2e-3'))
BUDGET = float(os.environ.get('BUDGET', '400'))
NETS = [int(k) for k in os.environ.get('NETS', '0,1,2').split(',')]
AUGMENT = int(os.environ.get('AUGMENT', '0'))
INIT = os.environ.get('INIT')
FAR = int(os.environ.get('FAR', '0'))
MARGIN = int(os.environ.get('MARGIN', '4' if FAR else '2'))
GREY_COPIES = os.environ.get('GREY_COPIES') == '1'
DEEPEN = os.environ.get('DEEPEN') == '1'
WARMUP = int(os.environ.get('WARMUP', '0'))
dev = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
LOG_MIN, LOG_MAX = math.log(0.1), math.log(0.1 * 2 ** (47 / 4))
start = time.time()

sets = load_sets(AUGMENT, workers=int(os.environ.get('WORKERS', '8')), far=FAR, margin=MARGIN, grey_copies=GREY_COPIES, nets=NETS)
tensors = {key: (torch.tensor(f, dtype=torch.float32, device=dev) / 32, torch.tensor(r, dtype=torch.float32, device=dev)) for key, (f, r) in sets.items()}
print(json.dumps({'features_s': round(time.time() - start, 1), 'examples': {f'{k}': [int(v[1].shape[0]) for v in (tensors[(k, 'train')], tensors[(k, 'val')])] for k in NETS}}), flush=True)

def logistic(mean, log_scale, r):
    inv = torch.exp(-log_scale.clamp(LOG_MIN, LOG_MAX))
    c = r - mean
    a, b = (c + 0.5) * inv, (c - 0.5) * inv
    return -(torch.nn.functional.softplus(-a) + torch.nn.functional.softplus(b)) + torch.log(-torch.expm1(-inv))

def bits(out, r):
    a = logistic(out[:, 0], out[:, 1], r) - torch.nn.functional.softplus(-out[:, 4])
    b = logistic(out[:, 2], out[:, 3], r) - torch.nn.functional.softplus(out[:, 4])
    return -torch.logsumexp(torch.stack([a, b], 1), 1).mean() / math.log(2)

class Net(torch.nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        sizes = [d] + hidden + [5]
        self.layers = torch.nn.ModuleList(torch.nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1))
        for i, l in enumerate(self.layers):
            if i == len(self.layers) - 1:
                torch.nn.init.zeros_(l.weight); l.bias.data = torch.tensor([0.0, math.log(3), 0.0, math.log(3) + math.log(2), 2.0])
            else:
                torch.nn.init.normal_(l.weight, 0, math.sqrt(2 / sizes[i])); torch.nn.init.zeros_(l.bias)
    def forward(self, h):
        for i, l in enumerate(self.layers):
            h = l(h)
            if i < len(self.layers) - 1: h = h.clamp(0, 64)
        return h

CHUNK = 1 << 20
def load_init(k, net):
    # wide.py's own output (weights inputs x outputs, row-major): net k's layers into `net`.
    params = float_params(INIT, k, inputs=net.layers[0].in_features, layers=len(net.layers) if DEEPEN else None)
    for l, layer in enumerate(net.layers):
        w = torch.from_numpy(params[l][0]).t() if l < len(params) else None
        if w is None or w.shape != layer.weight.shape: raise SystemExit(f'INIT net {k} layer {l} is {None if w is None else tuple(w.shape)}, not {tuple(layer.weight.shape)}')
        layer.weight.data.copy_(w); layer.bias.data.copy_(torch.from_numpy(params[l][1]))

def evaluate(net, x, r):
    with torch.no_grad():
        total = sum(bits(net(x[i:i + CHUNK]), r[i:i + CHUNK]).item() * r[i:i + CHUNK].shape[0] for i in range(0, r.shape[0], CHUNK))
    return total / r.shape[0]

results = json.load(open(os.path.join(OUT, 'wide.json'))) if os.path.exists(os.path.join(OUT, 'wide.json')) else []
for hidden in PLAN:
    name = 'x'.join(map(str, hidden))
    weights = {'hidden': hidden, 'nets': []}
    for k in NETS:
        if time.time() - start > BUDGET: print('budget reached', flush=True); break
        t0 = time.time()
        torch.manual_seed(1 + k)
        x, r = tensors[(k, 'train')]
        vx, vr = tensors[(k, 'val')]
        net = Net(x.shape[1], hidden)
        if INIT: load_init(k, net)
        net = net.to(dev)
        init_val = round(evaluate(net, vx, vr), 4) if INIT else None
        opt = torch.optim.Adam(net.parameters(), lr=LR)
        # Time 50 steps of a zero-rate optimizer (the net does not move) after 10 that warm CUDA up (they
        # read 1.5x too slow in the fifteenth session), and fit the run into this net's share of what is left.
        probe = torch.optim.Adam(net.parameters(), lr=0.0)
        for s in range(60):
            if s == 10:
                torch.cuda.synchronize() if dev.type == 'cuda' else None
                tp = time.time()
            idx = torch.randint(0, x.shape[0], (BATCH,), device=dev)
            loss = bits(net(x[idx]), r[idx]); probe.zero_grad(set_to_none=True); loss.backward(); probe.step()
        torch.cuda.synchronize() if dev.type == 'cuda' else None
        per_step = (time.time() - tp) / 50
        share = (BUDGET - (time.time() - start)) / (len(NETS) - NETS.index(k)) - 15
        steps = max(100, min(STEPS, int(share / per_step) // 4 * 4))
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (0.5 * (1 + math.cos(math.pi * min(s, steps) / steps))) * min(1, (s + 1) / WARMUP if WARMUP else 1) + 1e-6 / LR)
        print(json.dumps({'net': k, 'perStep_ms': round(per_step * 1000, 2), 'steps': steps, 'initValBits': init_val}), flush=True)
        curve = []
        for s in range(steps):
            idx = torch.randint(0, x.shape[0], (BATCH,), device=dev)
            loss = bits(net(x[idx]), r[idx])
            opt.zero_grad(set_to_none=True); loss.backward(); opt.step(); sched.step()
            if (s + 1) % (steps // 4) == 0: curve.append([s + 1, round(loss.item(), 4), round(evaluate(net, vx, vr), 4)])
        rec = {'hidden': hidden, 'net': k, 'steps': steps, 'far': FAR, 'greyCopies': GREY_COPIES, 'deepen': DEEPEN, 'batch': BATCH, 'lr': LR, 'augment': AUGMENT, 'init': INIT, 'initValBits': init_val, 'valBits': curve[-1][2], 'curve': curve, 'valCount': int(vr.shape[0]), 'seconds': round(time.time() - t0, 1)}
        print(json.dumps(rec), flush=True)
        results.append(rec)
        weights['nets'].append({'net': k, 'weights': [l.weight.detach().t().contiguous().cpu().numpy().ravel().tolist() for l in net.layers],
                                'biases': [l.bias.detach().cpu().numpy().tolist() for l in net.layers],
                                'sizes': [l.in_features for l in net.layers] + [5]})
        with open(os.path.join(OUT, 'wide.json'), 'w') as f: json.dump({'gpu': torch.cuda.get_device_name(0) if dev.type == 'cuda' else None, 'results': results}, f, indent=1)
        with open(os.path.join(OUT, f'wide-{name}.json'), 'w') as f: json.dump(weights, f)
