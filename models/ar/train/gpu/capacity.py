# Does the ar net's capacity limit it? Train float MLPs of several widths on the same features and
# targets as models/ar/train/train.ts (same loss, clipping, init, Adam + cosine decay), report held-out
# bits/sample. Output: $OUT/capacity.json and a log.
import gzip, io, json, math, os, sys, time
import numpy as np
import torch

OUT = os.environ.get('OUT', '.')
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')
dev = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
LOG_MIN = math.log(0.1)
LOG_MAX = math.log(0.1 * 2 ** (47 / 4))

def load(name):
    with gzip.open(os.path.join(here, name), 'rb') as f:
        return np.load(io.BytesIO(f.read()))

def bits(out, r):
    mean, log_scale = out[:, 0], out[:, 1].clamp(LOG_MIN, LOG_MAX)
    inv = torch.exp(-log_scale)
    c = r - mean
    a, b = (c + 0.5) * inv, (c - 0.5) * inv
    logp = -(torch.nn.functional.softplus(-a) + torch.nn.functional.softplus(b)) + torch.log(-torch.expm1(-inv))
    return -logp.mean() / math.log(2)

class Net(torch.nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        sizes = [d] + hidden + [2]
        self.layers = torch.nn.ModuleList(torch.nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1))
        for i, l in enumerate(self.layers):
            last = i == len(self.layers) - 1
            if last:
                torch.nn.init.zeros_(l.weight); l.bias.data = torch.tensor([0.0, math.log(3)])
            else:
                torch.nn.init.normal_(l.weight, 0, math.sqrt(2 / sizes[i])); torch.nn.init.zeros_(l.bias)
    def forward(self, x):
        h = x / 2 ** 5
        for i, l in enumerate(self.layers):
            h = l(h)
            if i < len(self.layers) - 1: h = h.clamp(0, 64)
        return h

def run(k, hidden, steps, lr=2e-3, batch=4096, seed=1):
    torch.manual_seed(seed)
    x, y = torch.tensor(load(f'k{k}-train-x.npy.gz'), dtype=torch.float32, device=dev), torch.tensor(load(f'k{k}-train-y.npy.gz'), dtype=torch.float32, device=dev)
    vx, vy = torch.tensor(load(f'k{k}-val-x.npy.gz'), dtype=torch.float32, device=dev), torch.tensor(load(f'k{k}-val-y.npy.gz'), dtype=torch.float32, device=dev)
    net = Net(x.shape[1], hidden).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    t0, best, curve = time.time(), 1e9, []
    for s in range(steps):
        idx = torch.randint(0, x.shape[0], (batch,), device=dev)
        loss = bits(net(x[idx]), y[idx])
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
        if (s + 1) % max(1, steps // 8) == 0 or s + 1 == steps:
            with torch.no_grad(): v = bits(net(vx), vy).item()
            best = min(best, v); curve.append([s + 1, round(loss.item(), 4), round(v, 4)])
    params = sum(p.numel() for p in net.parameters())
    r = {'net': k, 'hidden': hidden, 'steps': steps, 'params': params, 'valBits': curve[-1][2], 'bestValBits': round(best, 4), 'curve': curve, 'seconds': round(time.time() - t0, 1)}
    print(json.dumps(r), flush=True)
    return r

results = []
budget = float(os.environ.get('BUDGET', '420'))
start = time.time()
plan = [(k, h, s) for s in [8000] for k in [2, 0] for h in [[64, 64], [128, 128], [256, 256], [512, 512], [256, 256, 256]]]
plan += [(2, [64, 64], 30000), (2, [256, 256], 30000)]
for k, h, s in plan:
    if time.time() - start > budget: print('budget reached', flush=True); break
    results.append(run(k, h, s))
    with open(os.path.join(OUT, 'capacity.json'), 'w') as f: json.dump({'device': str(dev), 'gpu': torch.cuda.get_device_name(0) if dev.type == 'cuda' else None, 'results': results}, f, indent=1)
