# How much does a wider causal context buy the ar nets? Float MLPs on the raw causal window of every
# channel (rows y-R..y-1 over columns x-C..x+C, and the current row's C samples to the left), values
# minus each channel's median edge predictor p0, plus the pixel's earlier channels; the target is
# x - p0 of the coded channel (coding order G, R, B), under the trainer's mixture of two discretized
# logistics. Same pixels, steps and schedule for every (R, C, hidden): only the context and the width
# change. Held-out = the trainer's split (data/images.json). Output: $OUT/context.json, one line per run.
# Data: `node models/ar/train/gpu/export-images.mjs` (train split RGB photos, raw). Not part of CI.
import json, math, os, sys, time
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get('OUT', '.')
ORDER = [1, 0, 2]
LOG_MIN = math.log(0.1)
LOG_MAX = math.log(0.1 * 2 ** (47 / 4))
MAX_R, MAX_C = 8, 8  # every run uses pixels interior for the widest window, so all see the same pixels


def load_images():
    index = json.load(open(os.path.join(HERE, 'data', 'images.json')))
    raw = np.fromfile(os.path.join(HERE, 'data', 'images.bin'), dtype=np.uint8)
    return [(e, raw[e['offset']:e['offset'] + e['height'] * e['width'] * 3].reshape(e['height'], e['width'], 3)) for e in index]


def window(R, C):
    """Causal (dy, dx): R rows above over columns -C..C, then C samples to the left on this row."""
    return [(dy, dx) for dy in range(-R, 0) for dx in range(-C, C + 1)] + [(0, dx) for dx in range(-C, 0)]


def median_edge(xp, w, n, nw):
    mx, mn = xp.maximum(w, n), xp.minimum(w, n)
    return xp.where(nw >= mx, mn, xp.where(nw <= mn, mx, w + n - nw))


def features(xp, cat, img, ys, xs, dys, dxs, k):
    """img: H x W x 3 float; ys, xs: interior positions. Returns (N x D features, N targets)."""
    p0 = median_edge(xp, img[ys, xs - 1], img[ys - 1, xs], img[ys - 1, xs - 1])  # N x 3
    v = img[ys[:, None] + dys[None, :], xs[:, None] + dxs[None, :]] - p0[:, None, :]  # N x O x 3
    v = v[:, :, ORDER]
    cur = (img[ys, xs] - p0)[:, ORDER]
    n = ys.shape[0]
    return cat([v.reshape(n, -1), cur[:, :k]], 1), cur[:, k]


def sample_positions(rng, e, count):
    h, w = e['height'], e['width']
    ys = rng.integers(MAX_R, h, count)
    xs = rng.integers(MAX_C, w - MAX_C, count)
    return ys, xs


def main():
    import torch
    import torch.nn.functional as F
    dev = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    budget = float(os.environ.get('BUDGET', '400'))
    steps = int(os.environ.get('STEPS', '4000'))
    batch = int(os.environ.get('BATCH', '8192'))
    pool_size = int(os.environ.get('POOL', '3000000'))
    started = time.time()
    images = load_images()
    train = [(e, torch.tensor(a, dtype=torch.float32, device=dev)) for e, a in images if not e['heldOut']]
    held = [(e, torch.tensor(a, dtype=torch.float32, device=dev)) for e, a in images if e['heldOut']]
    rng = np.random.default_rng(1)
    area = np.array([(e['height'] - MAX_R) * (e['width'] - 2 * MAX_C) for e, _ in train], dtype=np.float64)
    per_image = np.maximum(1, np.round(pool_size * area / area.sum())).astype(int)
    train_pos = [sample_positions(rng, e, int(c)) for (e, _), c in zip(train, per_image)]
    held_pos = [sample_positions(rng, e, 60000) for e, _ in held]
    to_t = lambda a: torch.tensor(a, dtype=torch.long, device=dev)
    train_pos = [(to_t(y), to_t(x)) for y, x in train_pos]
    held_pos = [(to_t(y), to_t(x)) for y, x in held_pos]

    def pool(sets, positions, dys, dxs, k):
        fs, ts = [], []
        for (_, img), (ys, xs) in zip(sets, positions):
            for s in range(0, ys.shape[0], 200000):
                f, t = features(torch, torch.cat, img, ys[s:s + 200000], xs[s:s + 200000], dys, dxs, k)
                fs.append(f / 32)
                ts.append(t)
        return torch.cat(fs), torch.cat(ts)

    def logp(mean, log_scale, r):
        inv = torch.exp(-log_scale.clamp(LOG_MIN, LOG_MAX))
        c = r - mean
        a, b = (c + 0.5) * inv, (c - 0.5) * inv
        return -(F.softplus(-a) + F.softplus(b)) + torch.log(-torch.expm1(-inv))

    def bits(out, r):
        la = logp(out[:, 0], out[:, 1], r) - F.softplus(-out[:, 4])
        lb = logp(out[:, 2], out[:, 3], r) - F.softplus(out[:, 4])
        return -torch.logsumexp(torch.stack([la, lb], 1), 1).mean() / math.log(2)

    def net(d, hidden):
        sizes = [d] + hidden
        layers = []
        for i in range(len(hidden)):
            layers += [torch.nn.Linear(sizes[i], sizes[i + 1]), torch.nn.ReLU()]
        last = torch.nn.Linear(sizes[-1], 5)
        torch.nn.init.zeros_(last.weight)
        last.bias.data = torch.tensor([0.0, math.log(3), 0.0, math.log(3) + math.log(2), 2.0])
        return torch.nn.Sequential(*layers, last).to(dev)

    plan = [(2, 2, [64, 64]), (8, 8, [128, 128]), (2, 2, [128, 128]), (4, 4, [128, 128]), (8, 8, [256, 256]), (4, 4, [64, 64])]
    # PLAN="R,C,H;..." (hidden H, H) and NETS="0,2" pick other runs.
    if os.environ.get('PLAN'):
        plan = [(int(r), int(c), [int(h), int(h)]) for r, c, h in (p.split(',') for p in os.environ['PLAN'].split(';'))]
    nets = [int(k) for k in os.environ.get('NETS', '0,1,2').split(',')]
    results = []
    out_path = os.path.join(OUT, 'context.json')
    for R, C, hidden in plan:
        for k in nets:
            if time.time() - started > budget:
                print('budget reached', flush=True)
                break
            t0 = time.time()
            offs = window(R, C)
            dys = to_t([dy for dy, _ in offs])
            dxs = to_t([dx for _, dx in offs])
            x, y = pool(train, train_pos, dys, dxs, k)
            vx, vy = pool(held, held_pos, dys, dxs, k)
            torch.manual_seed(1)
            model = net(x.shape[1], hidden)
            opt = torch.optim.Adam(model.parameters(), lr=2e-3)
            sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
            for s in range(steps):
                idx = torch.randint(0, x.shape[0], (batch,), device=dev)
                loss = bits(model(x[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
            with torch.no_grad():
                val = sum(bits(model(vx[i:i + 65536]), vy[i:i + 65536]).item() * min(65536, vx.shape[0] - i) for i in range(0, vx.shape[0], 65536)) / vx.shape[0]
            r = {'R': R, 'C': C, 'hidden': hidden, 'net': k, 'features': x.shape[1], 'trainExamples': x.shape[0], 'heldOutExamples': vx.shape[0],
                 'steps': steps, 'batch': batch, 'trainBits': round(loss.item(), 4), 'heldOutBits': round(val, 4), 'seconds': round(time.time() - t0, 1)}
            print(json.dumps(r), flush=True)
            results.append(r)
            with open(out_path, 'w') as f:
                json.dump({'device': str(dev), 'gpu': torch.cuda.get_device_name(0) if dev.type == 'cuda' else None, 'results': results}, f, indent=1)
            del x, y, vx, vy, model, opt
            torch.cuda.empty_cache() if dev.type == 'cuda' else None


if __name__ == '__main__':
    main()
