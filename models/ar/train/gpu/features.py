# The ar nets' context features (models/ar/context.ts, contextOf) for every interior pixel of an image
# (y >= 2, 2 <= x < width - 2: the coder's fast path), vectorized with numpy. The border pixels' own p0
# and errors (which interior features read) follow context.ts's fallback rule. Checked against the
# TypeScript on whole images (check-features.py).
import numpy as np

ORDER3 = [1, 0, 2]
NEIGHBOURS = [(0, -1), (-1, 0), (-1, -1), (-1, 1), (0, -2), (-2, 0), (-2, 1), (-1, -2), (-2, -1), (-1, 2)]
ERRORS = [(0, -1), (-1, 0), (-1, -1), (-1, 1)]
# The far window of the first coded channel (context.ts FAR_NEIGHBOURS, model.json context 2): rows y-4..y-1
# over columns x-4..x+4 less the NEIGHBOURS, row by row, then (0, -4), (0, -3).
FAR = [(dy, dx) for dy in range(-4, 0) for dx in range(-4, 5) if (dy, dx) not in NEIGHBOURS] + [(0, -4), (0, -3)]

def med_edge(w, n, nw):
    mx, mn = np.maximum(w, n), np.minimum(w, n)
    return np.where(nw >= mx, mn, np.where(nw <= mn, mx, w + n - nw))

def median_plane(v):
    """p0 of every sample of one channel (H x W int32), borders by the fallback rule."""
    h, w = v.shape
    p0 = np.zeros_like(v)
    p0[1:, 1:] = med_edge(v[1:, :-1], v[:-1, 1:], v[:-1, :-1])
    p0[0, 1:] = v[0, :-1]          # row 0: W, W, W
    p0[1:, 0] = v[:-1, 0]          # column 0: N
    p0[0, 0] = 0
    return p0

def row_activity(prefix, ys, lo, hi, w):
    """Sum of |error| on rows ys over columns lo..hi clipped to the image (rows < 0 give 0)."""
    a, b = np.maximum(lo, 0), np.minimum(hi, w - 1)
    s = prefix[np.maximum(ys, 0), b + 1] - prefix[np.maximum(ys, 0), a]
    return np.where((ys < 0) | (b < a), 0, s)

def image_features(pixels, h, w, channels, far=False, margin=2):
    """Per coded channel k: (features int16 [N, d_k], residual int16 [N]) over the interior pixels, raster order.

    far: 1 (context 2): the first coded channel also gets its FAR window; 2 (context 3): every coded channel
    its own, after all its other features; margin: the interior's (y >= margin, margin <= x < width -
    margin; the far window needs 4)."""
    planes = pixels.reshape(h, w, channels).astype(np.int32)
    order = ORDER3 if channels == 3 else [0]
    ys, xs = np.meshgrid(np.arange(margin, h), np.arange(margin, w - margin), indexing='ij')
    ys, xs = ys.ravel(), xs.ravel()
    per = []
    for ch in range(channels):
        v = planes[:, :, ch]
        p0 = median_plane(v)
        err = v - p0
        prefix = np.zeros((h, w + 1), np.int64)
        prefix[:, 1:] = np.cumsum(np.abs(err), axis=1)
        above = (row_activity(prefix, ys - 1, xs - 4, xs + 4, w) + row_activity(prefix, ys - 2, xs - 4, xs + 4, w)) >> 2
        left = row_activity(prefix, ys, xs - 6, xs - 1, w)
        per.append(dict(v=v, p0=p0, err=err, act=[np.minimum(above, 255), np.minimum(left, 255)]))
    out = []
    for c in range(len(order)):
        cols = []
        for k in range(c, -1, -1):
            q = per[order[k]]
            p0 = q['p0'][ys, xs]
            cols += [q['v'][ys + dy, xs + dx] - p0 for dy, dx in NEIGHBOURS]
            if k < c: cols.append(q['err'][ys, xs])
            cols += [q['err'][ys + dy, xs + dx] for dy, dx in ERRORS]
            cols += q['act']
            if far == 1 and k == 0 and c == 0: cols += [q['v'][ys + dy, xs + dx] - p0 for dy, dx in FAR]
        own = per[order[c]]
        if far == 2:
            p0 = own['p0'][ys, xs]
            cols += [own['v'][ys + dy, xs + dx] - p0 for dy, dx in FAR]
        out.append((np.stack(cols, 1).astype(np.int16), (own['v'][ys, xs] - own['p0'][ys, xs]).astype(np.int16)))
    return out
