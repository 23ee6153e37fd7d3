# features.py against context.ts (dump-features.mjs, run first for each index): python3 check-features.py 2 53 0
# (FAR=1: context 2's features, from `dump-features.mjs <i> 2`, over the interior that the far window needs;
# FAR=2: context 3's, from `dump-features.mjs <i> 3`)
import json, os, sys
import numpy as np
from features import image_features
FAR = int(os.environ.get('FAR', '0'))
M = 4 if FAR else 2
idx = json.load(open('data/images.json'))
data = np.fromfile('data/images.bin', np.uint8)
for i in map(int, sys.argv[1:]):
    e = idx[i]; h, w, c = e['height'], e['width'], e['channels']
    px = data[e['offset']:e['offset'] + h * w * c]
    for k, (f, r) in enumerate(image_features(px, h, w, c, FAR, M)):
        d = f.shape[1]
        ref = np.fromfile(f'data/feat-{i}-{k}{["", "-far", "-far3"][FAR]}.bin', np.int16).reshape(h, w, d + 1)[M:, M:w - M].reshape(-1, d + 1)
        print(i, k, d, 'features equal' if np.array_equal(ref[:, :d], f) else 'FEATURES DIFFER', 'residual equal' if np.array_equal(ref[:, d], r) else 'RESIDUAL DIFFERS')
