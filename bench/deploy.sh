#!/usr/bin/env bash
# Scaling out behind nginx: wrk with 64 connections against nginx (deploy/nginx/senti.conf, its
# ports changed) balancing 2 `senti serve` processes of 1 thread each, against one `senti serve`
# with 2 threads, on the same texts in one run on this machine (short texts and IMDb reviews, as
# bench/serve.sh makes them): requests/s, p50/p99 latency, errors, and each server's peak RSS.
# Also the 2-thread server behind nginx, to tell the proxy's own cost from the split's.
# MODEL: default the shipped model. SECONDS_SHORT / SECONDS_IMDB: wrk's time per case.
# Needs ../shared (IMDb) and nginx + wrk (scripts/install-deps --bench). Writes bench/results/deploy-<date>.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SENTI_SHARED_DIR:-$root/../shared}
work=${BENCH_DIR:-/tmp/senti-bench}
secs_short=${SECONDS_SHORT:-20}
secs_imdb=${SECONDS_IMDB:-40}
conns=${CONNECTIONS:-64}
[ -d "$shared/data" ] || { echo "bench/deploy.sh: $shared is absent" >&2; exit 1; }
"$root/scripts/install-deps" --bench
(cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release >/dev/null)
senti=$root/build/release/apps/senti/senti
model=${MODEL:-$root/models/default}
nginx=$(command -v nginx || echo /usr/sbin/nginx)
# The texts bench/serve.sh uses (made there when missing).
[ -f "$work/serve-short.txt" ] || CONNECTIONS=1 SECONDS_SHORT=1 SECONDS_IMDB=1 IMDB_ENGINE_TEXTS=2 "$root/bench/serve.sh" >/dev/null

run_dir=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$run_dir"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
serve() {  # port threads -> pid
  "$senti" serve -m "$model" --port "$1" -t "$2" -q --flag-file "$run_dir/flag-$1.csv" &
  pids+=($!)
  for _ in $(seq 1 300); do curl -sf "localhost:$1/health" >/dev/null && return; sleep 0.1; done
  echo "bench/deploy.sh: server on $1 did not start" >&2; exit 1
}
rss_mb() { awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
wrk_case() {  # url kind label
  local secs; secs=$([ "$2" = short ] && echo "$secs_short" || echo "$secs_imdb")
  wrk -t2 -c"$conns" -d"${secs}s" --timeout 60s -s "$root/bench/serve-wrk.lua" "$1" -- "$work/serve-$2.txt" /api/predict |
    grep '^{' | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); r.update(kind=sys.argv[1], setup=sys.argv[2]); print(json.dumps(r))' "$2" "$3"
}
start_nginx() {  # backend-port backend-port -> sets plb; nginx as senti.conf has it, with these ports
  plb=$(free_port)
  sed -e "s/127.0.0.1:7861/127.0.0.1:$1/" -e "s/127.0.0.1:7862/127.0.0.1:$2/" -e "s/listen 8080;/listen 127.0.0.1:$plb;/" \
    "$root/deploy/nginx/senti.conf" >"$run_dir/senti.conf"
  mkdir -p "$run_dir/tmp"
  cat >"$run_dir/nginx.conf" <<CONF
daemon off;
worker_processes auto;
pid $run_dir/nginx.pid;
error_log $run_dir/error.log warn;
user root;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $run_dir/tmp/body;
  proxy_temp_path $run_dir/tmp/proxy;
  fastcgi_temp_path $run_dir/tmp/fastcgi;
  uwsgi_temp_path $run_dir/tmp/uwsgi;
  scgi_temp_path $run_dir/tmp/scgi;
  include $run_dir/senti.conf;
}
CONF
  "$nginx" -p "$run_dir" -c "$run_dir/nginx.conf" -e "$run_dir/error.log" &
  nginx_pid=$!
  pids+=($nginx_pid)
  for _ in $(seq 1 100); do curl -sf "localhost:$plb/health" >/dev/null && return; sleep 0.1; done
  echo "bench/deploy.sh: nginx did not start" >&2; cat "$run_dir/error.log" >&2; exit 1
}
stop_nginx() { kill -QUIT "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true; }
out=$run_dir/results.jsonl

# One server, 2 threads.
p1=$(free_port); serve "$p1" 2; one=${pids[-1]}
for kind in short imdb; do wrk_case "http://127.0.0.1:$p1" "$kind" "1 server x 2 threads" | tee -a "$out"; done
# The same server behind nginx (both upstream entries on it): what the proxy itself costs.
start_nginx "$p1" "$p1"
for kind in short imdb; do wrk_case "http://127.0.0.1:$plb" "$kind" "nginx + 1 server x 2 threads" | tee -a "$out"; done
stop_nginx
echo "{\"setup\": \"1 server x 2 threads\", \"rss_mb\": [$(rss_mb "$one")]}" | tee -a "$out"
kill "$one"; wait "$one" 2>/dev/null || true

# nginx + 2 servers, 1 thread each.
pa=$(free_port); serve "$pa" 1; a=${pids[-1]}
pb=$(free_port); serve "$pb" 1; b=${pids[-1]}
start_nginx "$pa" "$pb"
for kind in short imdb; do wrk_case "http://127.0.0.1:$plb" "$kind" "nginx + 2 servers x 1 thread" | tee -a "$out"; done
echo "{\"setup\": \"nginx + 2 servers x 1 thread\", \"rss_mb\": [$(rss_mb "$a"), $(rss_mb "$b")]}" | tee -a "$out"
# How the requests split between the two backends.
for p in "$pa" "$pb"; do
  curl -s "localhost:$p/metrics" | awk -v p="$p" '/^senti_requests_total\{route="\/api\/predict",code="200"\}/ {print "{\"backend\": " p ", \"answered\": " $2 "}"}'
done | tee -a "$out"

mkdir -p "$root/bench/results"
report="$root/bench/results/deploy-$(date +%Y%m%d-%H%M).md"
python3 - "$out" "$model" "$conns" "$secs_short/$secs_imdb" <<'PY' | tee "$report"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"wrk, {sys.argv[3]} connections, {sys.argv[4]} s per case (short/IMDb), model {sys.argv[2]}, one text per request\n")
print("| setup | texts | requests/s | p50 ms | p99 ms | errors |")
print("|---|---|---:|---:|---:|---:|")
base = {}
for r in rows:
    if "rps" not in r: continue
    errors = r["socket_errors"] + r["non_2xx"]
    base.setdefault(r["kind"], r["rps"])
    print(f"| {r['setup']} | {r['kind']} | {r['rps']:.1f} ({r['rps'] / base[r['kind']]:.2f}x) | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {errors} |")
print()
for r in rows:
    if "rss_mb" in r: print(f"peak RSS, {r['setup']}: " + ", ".join(f"{m} MB" for m in r["rss_mb"]))
    if "backend" in r: print(f"backend :{r['backend']} answered {r['answered']} predictions")
PY
