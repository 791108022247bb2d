#!/usr/bin/env bash
# `senti predict` as a pipe stage, the way Spark's RDD.pipe, Hadoop Streaming and GNU parallel
# use it: N IMDb test reviews as JSONL through `parallel --pipe -k -N BLOCK -j 2 senti predict -q
# -t 1` (2 processes of 1 thread; a new process per block) against one `senti predict -q -t 2`
# and one `-t 1` on the same input, in one run on this machine; every output is compared byte
# for byte with the single process's. Also what a process pays to start (a one-text predict:
# loading the model, its peak RSS). MODEL: default the shipped model; N: reviews (default all
# 25,000); BLOCKS: lines per block to try (default "1000 12500"). Needs ../shared (IMDb) and GNU
# parallel (scripts/install-deps). Writes bench/results/pipe-<date>.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SENTI_SHARED_DIR:-$root/../shared}
work=${BENCH_DIR:-/tmp/senti-bench}
n=${N:-25000}
model=${MODEL:-$root/models/default}
[ -d "$shared/data" ] || { echo "bench/pipe.sh: $shared is absent" >&2; exit 1; }
command -v parallel >/dev/null || { echo "bench/pipe.sh: needs GNU parallel (scripts/install-deps)" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "bench/pipe.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
(cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release >/dev/null)
senti=$root/build/release/apps/senti/senti
mkdir -p "$work" "$root/bench/results"
[ -d "$work/aclImdb/test" ] || tar -xzf "$shared/data/aclImdb-labeled.tar.gz" -C "$work" aclImdb/test
in=$work/pipe-$n.jsonl
python3 - "$work/aclImdb/test" "$n" >"$in" <<'PY'
import glob, json, os, sys
paths = sorted(glob.glob(os.path.join(sys.argv[1], "pos", "*.txt")) + glob.glob(os.path.join(sys.argv[1], "neg", "*.txt")))
for p in paths[: int(sys.argv[2])]:
    print(json.dumps({"text": " ".join(open(p, encoding="utf-8").read().split())}))
PY
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rate() {  # name command...: runs it on the input into $out/name.jsonl, prints "reviews/s seconds"
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$@" <"$in" >"$out/$name.jsonl"
  t1=$(date +%s.%N)
  python3 -c "import sys; n, s = int(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2]); print(f'{n / s:.1f} {s:.1f}')" \
    "$(wc -l <"$in")" "$t0" "$t1"
}
report=$root/bench/results/pipe-$(date +%Y%m%d-%H%M).md
{
  echo "$(wc -l <"$in") IMDb test reviews (JSONL), model $model, $(nproc) cores"
  echo
  echo "| setup | reviews/s | seconds | output equals one process's |"
  echo "|---|---:|---:|---|"
  read -r r s < <(rate t2 "$senti" predict -q -t 2 -m "$model")
  echo "| \`senti predict -t 2\` | $r | $s | (the reference) |"
  read -r r s < <(rate t1 "$senti" predict -q -t 1 -m "$model")
  same=$(cmp -s "$out/t1.jsonl" "$out/t2.jsonl" && echo yes || echo NO)
  echo "| \`senti predict -t 1\` | $r | $s | $same |"
  for block in ${BLOCKS:-1000 12500}; do
    read -r r s < <(rate "p$block" parallel --pipe -k -N "$block" -j 2 "$senti" predict -q -t 1 -m "$model")
    same=$(cmp -s "$out/p$block.jsonl" "$out/t2.jsonl" && echo yes || echo NO)
    echo "| \`parallel --pipe -k -N $block -j 2 senti predict -t 1\` | $r | $s | $same |"
  done
  echo
  # What one process pays to start: the whole run of a one-text predict (load, one text, exit).
  for i in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$out/start" "$senti" predict -q -t 1 -m "$model" "A fine film." >/dev/null
    cat "$out/start"
  done | python3 -c '
import sys
rows = [l.split() for l in sys.stdin if l.strip()]
print("Starting a process (a one-text predict, 3 runs): %s s, peak RSS %s MB" %
      (" / ".join(r[0] for r in rows), " / ".join(str(round(int(r[1]) / 1024)) for r in rows)))'
} | tee "$report"
echo "saved $report"
# A split that changed the output is a failure, not a figure.
if grep -q "| NO |" "$report"; then
  echo "bench/pipe.sh: an output differs from the single process's (see $report)" >&2
  exit 1
fi
