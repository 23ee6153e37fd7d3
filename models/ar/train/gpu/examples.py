# The ar nets' training examples from data/ (export-images.mjs): every interior pixel of every image,
# features by features.py (= context.ts), split as the trainer splits. Shared by wide.py (PyTorch, a GPU)
# and wide_cpu.py (numpy, this machine's CPU).
import gzip, json, os
import numpy as np
from concurrent.futures import ThreadPoolExecutor
from features import image_features

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')

def load_sets(augment=0, workers=8, far=False, margin=2):
    """{(k, 'train' | 'val'): (features int16 [N, d_k], residual int16 [N])} for nets k = 0, 1, 2.

    augment = 1 adds each train image mirrored left-right, 2 also upside down (other natural images,
    their own causal contexts); held-out images never. far, margin: features.image_features'."""
    index = json.load(open(os.path.join(HERE, 'images.json')))
    data = np.fromfile(os.path.join(HERE, 'images.bin'), np.uint8)
    def variants(e):
        h, w, c = e['height'], e['width'], e['channels']
        px = data[e['offset']:e['offset'] + h * w * c].reshape(h, w, c)
        out = [px]
        if not e['heldOut'] and augment >= 1: out.append(px[:, ::-1])
        if not e['heldOut'] and augment >= 2: out.append(px[::-1])
        return out
    def feats(job):
        e, px = job
        return e, image_features(np.ascontiguousarray(px).ravel(), e['height'], e['width'], e['channels'], far, margin)
    with ThreadPoolExecutor(workers) as pool: done = list(pool.map(feats, [(e, px) for e in index for px in variants(e)]))
    sets = {(k, part): ([], []) for k in range(3) for part in ('train', 'val')}
    for e, per in done:
        for k, (f, r) in enumerate(per):
            s = sets[(k, 'val' if e['heldOut'] else 'train')]
            s[0].append(f); s[1].append(r)
    return {key: (np.concatenate(f), np.concatenate(r)) for key, (f, r) in sets.items()}

def read_float_nets(path):
    """wide.py's float nets file (.json or .json.gz): {'hidden', 'nets': [{'net', 'weights', 'biases', 'sizes'}]}."""
    raw = open(path, 'rb').read()
    return json.loads(gzip.decompress(raw) if path.endswith('.gz') else raw)

def float_net(path, k):
    """Net k of a float nets file (weights inputs x outputs, row-major, per layer)."""
    return next(n for i, n in enumerate(read_float_nets(path)['nets']) if n.get('net', i) == k)
