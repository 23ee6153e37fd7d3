# The ar nets' training examples from data/ (export-images.mjs): every interior pixel of every image,
# features by features.py (= context.ts), split as the trainer splits. Shared by wide.py (PyTorch, a GPU)
# and wide_cpu.py (numpy, this machine's CPU).
import gzip, json, os
import numpy as np
from concurrent.futures import ThreadPoolExecutor
from features import image_features

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')

def luma(px):
    """An RGB image (H x W x 3 uint8) as grey (H x W x 1): Rec. 601 weights on the stored values, rounded."""
    r, g, b = (px[:, :, i].astype(np.int32) for i in range(3))
    y = (299 * r + 587 * g + 114 * b + 500) // 1000
    return y.astype(np.uint8)[:, :, None]

def load_sets(augment=0, workers=8, far=False, margin=2, grey_copies=False, channel_copies=False, nets=(0, 1, 2), all_train=False):
    """{(k, 'train' | 'val'): (features int16 [N, d_k], residual int16 [N])} for nets k = 0, 1, 2.

    augment = 1 adds each train image mirrored left-right, 2 also upside down (other natural images,
    their own causal contexts); held-out images never. grey_copies: each train RGB image (and its
    augmented copies) also as grey (luma), for net 0, which codes grey images: most grey photos are
    converted colour ones. channel_copies: each train RGB image's (and copy's) R and B channels also as
    grey images, for net 0 (G is its own already): more grey-like examples from the same photos.
    augment = 3 adds the transposes of the image and its mirror (measured: far worse, photos have an up).
    far, margin: features.image_features'. nets: the nets whose examples are kept (the others' are
    dropped as each image's are made: memory). all_train: the held-out images are trained on too (and
    still scored, no longer held out): for a final run once the recipe is chosen, more data."""
    index = json.load(open(os.path.join(HERE, 'images.json')))
    data = np.fromfile(os.path.join(HERE, 'images.bin'), np.uint8)
    def variants(e):
        h, w, c = e['height'], e['width'], e['channels']
        px = data[e['offset']:e['offset'] + h * w * c].reshape(h, w, c)
        out = [px]
        train = not e['heldOut'] or all_train
        if train and augment >= 1: out.append(px[:, ::-1])
        if train and augment == 2: out.append(px[::-1])
        if train and augment == 3: out += [p.transpose(1, 0, 2) for p in out]
        colour = list(out) if train and c == 3 else []
        if grey_copies: out += [luma(p) for p in colour]
        if channel_copies: out += [p[:, :, i:i + 1] for p in colour for i in (0, 2)]
        return out
    def feats(job):
        e, px, i = job
        per = image_features(np.ascontiguousarray(px).ravel(), e['height'], e['width'], px.shape[2], far, margin)
        return e, i, [fr if k in nets else None for k, fr in enumerate(per)]
    with ThreadPoolExecutor(workers) as pool: done = list(pool.map(feats, [(e, px, i) for e in index for i, px in enumerate(variants(e))]))
    sets = {(k, part): ([], []) for k in range(3) for part in ('train', 'val')}
    for e, i, per in done:
        for k, fr in enumerate(per):
            if fr is None: continue
            f, r = fr
            # A held-out image itself (variant 0) is scored; with all_train it and its copies train too.
            parts = (['val'] if i == 0 else []) + (['train'] if all_train or i > 0 else []) if e['heldOut'] else ['train']
            for part in parts:
                s = sets[(k, part)]
                s[0].append(f); s[1].append(r)
    return {key: (np.concatenate(f), np.concatenate(r)) for key, (f, r) in sets.items() if f}

def read_float_nets(path):
    """wide.py's float nets file (.json or .json.gz): {'hidden', 'nets': [{'net', 'weights', 'biases', 'sizes'}]}."""
    raw = open(path, 'rb').read()
    return json.loads(gzip.decompress(raw) if path.endswith('.gz') else raw)

def float_net(path, k):
    """Net k of a float nets file (weights inputs x outputs, row-major, per layer)."""
    return next(n for i, n in enumerate(read_float_nets(path)['nets']) if n.get('net', i) == k)

def float_params(path, k, inputs=None, layers=None):
    """Net k of a float nets file as [(W inputs x outputs, b)] float32 arrays, grown so that it computes the
    same function: `inputs` (more than it has) adds zero weights for the new last inputs; `layers` (one more
    than it has) inserts an identity layer after its first hidden layer (the clipped ReLU's outputs are >= 0,
    so it passes them on unchanged). Callers check the shapes they need."""
    src = float_net(path, k)
    sizes = src['sizes']
    params = [(np.array(src['weights'][l], np.float32).reshape(sizes[l], sizes[l + 1]), np.array(src['biases'][l], np.float32)) for l in range(len(sizes) - 1)]
    if inputs is not None and inputs > sizes[0]:
        params[0] = (np.concatenate([params[0][0], np.zeros((inputs - sizes[0], sizes[1]), np.float32)]), params[0][1])
    if layers is not None and layers == len(params) + 1:
        params.insert(1, (np.eye(sizes[1], dtype=np.float32), np.zeros(sizes[1], np.float32)))
    return params
