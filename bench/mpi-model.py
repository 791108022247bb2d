"""bench/mpi.sh's report: measured steps/s per setup, the bytes all-reduced per step (the
trainable parameters of layers 4-5 and the classification head, float32), and a cost model for
N nodes: a step takes compute / N (the global batch of 16 split evenly; one rank's compute at 8
sequences measured here, scaled) plus a ring all-reduce of those bytes, 2 (N - 1) / N × bytes /
bandwidth (latency ignored: 2 (N - 1) messages of a few microseconds each are small against it).

Usage: bench/mpi-model.py RESULTS.jsonl CONFIG.json
"""
import json
import sys
from collections import defaultdict

rows = [json.loads(line) for line in open(sys.argv[1])]
cfg = json.load(open(sys.argv[2]))
d, h, layers = cfg["dim"], cfg["hidden_dim"], cfg["n_layers"]
per_layer = 4 * (d * d + d) + 2 * (2 * d) + (d * h + h) + (h * d + d)  # q k v out, 2 LayerNorms, FFN
trainable_layers = layers - 4
head = d * d + d + d * 2 + 2  # pre_classifier, classifier (2 labels)
params = trainable_layers * per_layer + head
reduce_bytes = 4 * params
tokens_per_step = 16 * 256  # upper bound: reviews shorter than 256 tokens make fewer

by = defaultdict(list)
for r in rows:
    by[r["setup"]].append(r["tokens_per_s"])
print("Optimizer steps of a global batch of 16 IMDb reviews (256 tokens at most), DistilBERT-base shape, "
      "embeddings + layers 0-3 frozen; tokens/s averaged over the steps after the first, each setup run "
      f"{max(len(v) for v in by.values())} times (interleaved)\n")
print("| setup | tokens/s (runs) | vs 1 process x 2 threads, batch 16 |\n|---|---:|---:|")
base = sum(by["1 process x 2 threads, batch 16"]) / len(by["1 process x 2 threads, batch 16"])
for setup, v in by.items():
    m = sum(v) / len(v)
    print(f"| {setup} | {m:.0f} ({', '.join(f'{x:.0f}' for x in v)}) | {m / base:.2f}x |")
print(f"\nAll-reduced per step: {params:,} trainable parameters = {reduce_bytes / 1e6:.1f} MB (float32, one fused buffer).\n")

one = by.get("1 process x 1 thread, batch 8")
if one:
    # One rank's compute for its 8 sequences, in seconds per step (tokens/s -> s for 8 × 256 tokens at most).
    t8 = (8 * 256) / (sum(one) / len(one))
    t16 = 2 * t8  # one node's compute for the whole global batch at 1 thread
    print(f"Cost model: one node (1 thread) computes a 16-sequence step in {t16:.2f} s; N nodes each compute 16/N "
          "sequences and then all-reduce the gradients in a ring.\n")
    print("| nodes | compute s | 10 Gbit/s: all-reduce s, speed-up | 25 Gbit/s | 100 Gbit/s |\n|---:|---:|---|---|---|")
    for n in (1, 2, 4, 8, 16):
        c = t16 / n
        cells = []
        for gbit in (10, 25, 100):
            ar = 0 if n == 1 else 2 * (n - 1) / n * reduce_bytes * 8 / (gbit * 1e9)
            cells.append(f"{ar:.3f} s, {t16 / (c + ar):.1f}x")
        print(f"| {n} | {c:.3f} | " + " | ".join(cells) + " |")
    print("\nScaling stops where the all-reduce time reaches the compute time: the ring's time tends to "
          "2 × bytes / bandwidth whatever N, while the compute shrinks as 1/N (and a global batch of 16 "
          "cannot be split over more than 16 nodes). A larger global batch (more --grad-accum) moves that point out.")
    # Nodes with c cores compute about c times faster (1 -> 2 threads gave the ratio below here).
    two = by.get("1 process x 2 threads, 2 x 8")
    if two:
        print(f"\nOne rank at 2 threads computes {sum(two) / len(two) / (sum(one) / len(one)):.2f}x as fast as at 1 thread here. "
              "Assuming nodes of c cores compute c times as fast, the all-reduce equals the compute at "
              "N = compute(1 node) / (2 × bytes / bandwidth) nodes, for a global batch of 16:\n")
        print("| cores per node | 10 Gbit/s | 25 Gbit/s | 100 Gbit/s |\n|---:|---:|---:|---:|")
        for c in (1, 8, 32):
            cells = [f"{t16 / c / (2 * reduce_bytes * 8 / (g * 1e9)):.0f} nodes" for g in (10, 25, 100)]
            print(f"| {c} | " + " | ".join(cells) + " |")
