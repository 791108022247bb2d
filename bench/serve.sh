#!/usr/bin/env bash
# HTTP serving throughput: wrk against `senti serve` on loopback with 1, 8 and 64 connections,
# one text per request, short texts and IMDb-length reviews (IMDb test reviews, truncated
# head+tail at 512 tokens as the server does by default): requests/s, p50/p99 latency, errors,
# and the ratio of served texts/s to the engine's own batch throughput (`senti predict -b 64`
# on the same texts, load time subtracted) measured in the same run on this machine.
# Model: $MODEL, default the random-weight DistilBERT-base checkpoint of bench/model.sh.
# SENTI_BIN: the senti binary to measure (default: this checkout's release build), so that two
# builds can be compared one after the other on the same machine; CONNECTIONS: the wrk cases;
# DTYPE: the compute type of the server and of the engine figure (f32, bf16, int8; default f32).
# Needs ../shared (IMDb). Writes bench/results/serve-<date>.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SENTI_SHARED_DIR:-$root/../shared}
work=${BENCH_DIR:-/tmp/senti-bench}
# IMDb cases run longer: with 64 connections a batch of long reviews takes seconds, and the
# requests still in flight when wrk stops are not counted.
secs_short=${SECONDS_SHORT:-15}
secs_imdb=${SECONDS_IMDB:-40}
threads=${THREADS:-2}
[ -d "$shared/data" ] || { echo "bench/serve.sh: $shared is absent" >&2; exit 1; }
"$root/scripts/install-deps" --bench
if [ -z "${SENTI_BIN:-}" ]; then
  (cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release >/dev/null)
fi
senti=${SENTI_BIN:-$root/build/release/apps/senti/senti}
model=${MODEL:-$work/base}
[ -f "$model/model.safetensors" ] || /usr/bin/python3 "$root/bench/make-base-model.py" "$work/base" "$shared"
mkdir -p "$work"

# Texts: IMDb test reviews, and short texts (each review's first sentence, at most 12 words).
if [ ! -f "$work/serve-imdb.txt" ]; then
  tmp=$(mktemp -d)
  tar -xzf "$shared/data/aclImdb-labeled.tar.gz" -C "$tmp" aclImdb/test/pos aclImdb/test/neg
  python3 - "$tmp/aclImdb/test" "$work" <<'PY'
import json, os, re, sys
src, out = sys.argv[1], sys.argv[2]
texts = []
for d in ("pos", "neg"):
    names = sorted(os.listdir(os.path.join(src, d)))[:1000]
    texts += [open(os.path.join(src, d, n), encoding="utf-8").read() for n in names]
with open(os.path.join(out, "serve-imdb.txt"), "w") as f:
    for t in texts: f.write(json.dumps({"inputs": t}) + "\n")
with open(os.path.join(out, "serve-short.txt"), "w") as f:
    for t in texts:
        first = re.split(r"(?<=[.!?])\s", t.replace("<br />", " "))[0]
        f.write(json.dumps({"inputs": " ".join(first.split()[:12])}) + "\n")
PY
  rm -rf "$tmp"
fi

out=$(mktemp)
port=$((20000 + RANDOM % 20000))
log=$(mktemp)
"$senti" serve -m "$model" --dtype "${DTYPE:-f32}" --port "$port" -t "$threads" 2>"$log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$out" "$log"' EXIT
for _ in $(seq 1 300); do curl -sf "localhost:$port/health" >/dev/null && break; sleep 0.1; done
curl -sf "localhost:$port/health" >/dev/null || { cat "$log"; echo "bench/serve.sh: server did not start" >&2; exit 1; }

# The engine alone: texts/s of `senti predict` in batches of 64 on the same texts.
engine() {  # kind count
  local f=$work/serve-$1.txt n=$2
  local texts; texts=$(mktemp)
  head -n "$n" "$f" | python3 -c 'import json,sys; [print(json.dumps({"text": json.loads(l)["inputs"]})) for l in sys.stdin]' >"$texts"
  head -n 1 "$texts" >"$texts.1"
  local t0 t1 t2
  t0=$(date +%s.%N); "$senti" predict -m "$model" --dtype "${DTYPE:-f32}" -t "$threads" -b 64 -q --no-progress -f "$texts.1" >/dev/null
  t1=$(date +%s.%N); "$senti" predict -m "$model" --dtype "${DTYPE:-f32}" -t "$threads" -b 64 -q --no-progress -f "$texts" >/dev/null
  t2=$(date +%s.%N)
  python3 -c "import sys; n,a,b,c=int(sys.argv[1]),*map(float,sys.argv[2:]); print((n-1)/((c-b)-(b-a)))" "$n" "$t0" "$t1" "$t2"
  rm -f "$texts" "$texts.1"
}

for kind in short imdb; do
  n=$([ "$kind" = short ] && echo 2000 || echo ${IMDB_ENGINE_TEXTS:-300})
  rate=$(engine "$kind" "$n")
  echo "{\"kind\": \"$kind\", \"engine_texts_per_s\": $rate}" | tee -a "$out"
  for c in ${CONNECTIONS:-1 8 64 256}; do
    t=$([ "$c" = 1 ] && echo 1 || echo 2)
    secs=$([ "$kind" = short ] && echo "$secs_short" || echo "$secs_imdb")
    [ "$c" = 1 ] && secs=$secs_short
    wrk -t"$t" -c"$c" -d"${secs}s" --timeout 60s -s "$root/bench/serve-wrk.lua" "http://127.0.0.1:$port" \
      -- "$work/serve-$kind.txt" /api/predict | grep '^{' |
      python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); r.update(kind=sys.argv[1], connections=int(sys.argv[2])); print(json.dumps(r))' "$kind" "$c" | tee -a "$out"
  done
done
curl -s "localhost:$port/metrics" | grep -E '^senti_batch_texts_(sum|count)' | tee -a "$log.metrics" >&2 || true

mkdir -p "$root/bench/results"
report="$root/bench/results/serve-$(date +%Y%m%d-%H%M).md"
python3 - "$out" "$model" "$threads" "$secs_short/$secs_imdb" "$senti" "${DTYPE:-f32}" <<'PY' | tee "$report"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
engine = {r["kind"]: r["engine_texts_per_s"] for r in rows if "engine_texts_per_s" in r}
print(f"senti serve ({sys.argv[5]}, --dtype {sys.argv[6]}) on loopback, model {sys.argv[2]}, {sys.argv[3]} inference threads, wrk {sys.argv[4]} s per case (short/IMDb), one text per request\n")
print("| texts | connections | requests/s | p50 ms | p99 ms | errors | served / engine |")
print("|---|---:|---:|---:|---:|---:|---:|")
for r in rows:
    if "rps" not in r: continue
    e = engine[r["kind"]]
    errors = r["socket_errors"] + r["non_2xx"]
    print(f"| {r['kind']} | {r['connections']} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {errors} | {r['rps'] / e:.2f} |")
print()
for k, e in engine.items():
    print(f"engine ({k}): {e:.1f} texts/s with `senti predict -b 64`")
PY
