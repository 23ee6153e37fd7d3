# The fifteenth session's device call (run from the repository root on the device, with .gpu/ carried):
#   mkdir -p .gpu && xz -6 -T2 -kc models/ar/train/gpu/data/images.bin > .gpu/images.bin.xz && cp models/ar/train/gpu/data/images.json .gpu/
#   (export-images.mjs first; echo /.gpu/ >> .git/info/exclude), then the device tool runs `bash models/ar/train/gpu/device-deep.sh` carrying .gpu.
set -x
export PYTHONUNBUFFERED=1
G=models/ar/train/gpu
mkdir -p $G/data && xz -dc .gpu/images.bin.xz > $G/data/images.bin && cp .gpu/images.json $G/data/ || exit 3
nvidia-smi --query-gpu=name --format=csv
cd $G
INIT=$PWD/wide5-256x256-float.json.gz
mkdir -p $OUT/deep $OUT/ctrl
OUT=$OUT/deep INIT=$INIT FAR=2 GREY_COPIES=1 AUGMENT=1 DEEPEN=1 PLAN=256x256x256 NETS=0,2,1 STEPS=200000 LR=5e-4 WARMUP=500 BUDGET=380 WORKERS=16 python3 wide.py 2>&1 | tee $OUT/deep.log
S=$(python3 -c "import json;print(next(r['steps'] for r in json.load(open('$OUT/deep/wide.json'))['results'] if r['net']==2))" 2>/dev/null || echo 20000)
OUT=$OUT/ctrl INIT=$INIT FAR=2 AUGMENT=1 PLAN=256x256 NETS=2 STEPS=$S LR=5e-4 WARMUP=500 BUDGET=170 WORKERS=16 python3 wide.py 2>&1 | tee $OUT/ctrl.log
gzip $OUT/deep/wide-*.json $OUT/ctrl/wide-*.json; ls -la $OUT/deep $OUT/ctrl
