"""Regenerates fixtures/*.npy from the real-array corpus (train split). Run on purpose only."""
import numpy as np, os, sys
src = os.path.join(os.path.dirname(__file__), '../../../shared/data/corpus/arrays/train')
out = os.path.join(os.path.dirname(__file__), '../../fixtures')
def load(name): return np.load(os.path.join(src, name + '.npy'))
ecg = load('scipy_ecg_360hz')[:4000]                       # uint16 1-D
np.save(os.path.join(out, 'ecg-uint16.npy'), ecg)
dem = load('mpl_dem_jacksboro')[:61, :89]                   # int16 2-D, prime dims
np.save(os.path.join(out, 'dem-int16.npy'), dem)
np.save(os.path.join(out, 'dem-int16-fortran.npy'), np.asfortranarray(dem))
np.save(os.path.join(out, 'dem-int16-bigendian.npy'), dem.astype('>i2'))
digits = load('digits_images_train')[:50]                  # uint8 3-D
np.save(os.path.join(out, 'digits-uint8.npy'), digits)
np.save(os.path.join(out, 'digits-int8.npy'), (digits.astype(np.int16) - 8).astype(np.int8))
timmi = load('eso_timmi2')[:, :40, :48]                     # int32 3-D, large range
np.save(os.path.join(out, 'timmi-int32.npy'), timmi)
np.save(os.path.join(out, 'timmi-uint32.npy'), (timmi.astype(np.int64) + 3_000_000_000).astype(np.uint32))
depth = load('visp_depth_castel_0000')[200:264, 300:380]    # uint16 2-D
np.save(os.path.join(out, 'depth-uint16.npy'), depth)
np.save(os.path.join(out, 'scalar-int32.npy'), np.array(7, dtype=np.int32))
np.save(os.path.join(out, 'empty-uint8.npy'), np.zeros((0, 5), dtype=np.uint8))
np.save(os.path.join(out, 'float32.npy'), (ecg[:256].astype(np.float32) / 7))
