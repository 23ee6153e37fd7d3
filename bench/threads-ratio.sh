#!/bin/bash
# -T 1 against -T 2 on one image, CLI wall clock (process start included): compress and decompress
# back to back in each round, so that drift hits both; each round also times one against two copies
# of a CPU spin loop (what two threads can get from the machine at that moment).
# Usage, from the repository root after `npm run build`: [P=image.png] [N=rounds] [E=effort] bash bench/threads-ratio.sh
set -e
P=${P:-../shared/data/corpus/photos-ds/train/lomiri20_kleiber.png}
N=${N:-7}
E=${E:-1}
CLI=dist/cli/flowzip.js
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cp "$P" "$W/in.png"
node $CLI compress -T 1 -e "$E" "$W/in.png" -o "$W/in.flz" -f -q
echo 'let s = 0; for (let i = 0; i < 3e8; i++) s += i % 7;' > "$W/spin.js"
t() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; }
for i in $(seq "$N"); do
  c1=$(t node $CLI compress -T 1 -e "$E" "$W/in.png" -o "$W/c1.flz" -f -q)
  c2=$(t node $CLI compress -T 2 -e "$E" "$W/in.png" -o "$W/c2.flz" -f -q)
  d1=$(t node $CLI decompress -T 1 "$W/in.flz" -o "$W/d1.png" -f -q)
  d2=$(t node $CLI decompress -T 2 "$W/in.flz" -o "$W/d2.png" -f -q)
  s1=$(t node "$W/spin.js")
  s2=$(t bash -c "node $W/spin.js & node $W/spin.js; wait")
  echo "$c1 $c2 $d1 $d2 $s1 $s2"
done | tee "$W/rounds.txt"
cmp -s "$W/c1.flz" "$W/c2.flz" || { echo "-T 1 and -T 2 files differ" >&2; exit 1; }
RAW=$(node -e "import('./dist/src/index.js').then(async (m) => { const i = await m.decodeImage(require('fs').readFileSync('$W/in.png')); console.log(i.samples.length * (i.bitDepth / 8)); })")
python3 - "$W/rounds.txt" "$RAW" <<'PY'
import statistics as st, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
raw = float(sys.argv[2]) / 1e6
m = [st.median(c) for c in zip(*rows)]
print("medians: compress -T 1 %.2f s, -T 2 %.2f s (%.2f MB/s); decompress -T 1 %.2f s, -T 2 %.2f s (%.2f MB/s)" % (m[0], m[1], raw / m[1], m[2], m[3], raw / m[3]))
print("ratios of the medians: compress %.2fx, decompress %.2fx; two spins against one: %.2fx" % (m[0] / m[1], m[2] / m[3], 2 * m[4] / m[5]))
print("per round: compress", [round(r[0] / r[1], 2) for r in rows], "decompress", [round(r[2] / r[3], 2) for r in rows], "spin", [round(2 * r[4] / r[5], 2) for r in rows])
PY
