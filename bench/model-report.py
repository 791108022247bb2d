#!/usr/bin/env python3
"""Turns bench/model.sh's JSON lines into the markdown table of bench/README.md."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
D, H, L = 768, 3072, 6


def flops_per_seq(tokens):  # the full model, as PyTorch / ONNX Runtime compute it: linear layers + attention
    return L * (2 * tokens * (4 * D * D + 2 * D * H) + 4 * tokens * tokens * D)


def flops_done_per_seq(tokens):  # what senti computes: the last layer only for [CLS] (K, V for all tokens)
    return (L - 1) * (2 * tokens * (4 * D * D + 2 * D * H) + 4 * tokens * tokens * D) + 2 * tokens * 2 * D * D


print("| threads | case | senti seq/s | PyTorch seq/s | ONNX Runtime seq/s | senti / ORT | senti / PyTorch | senti % of ceiling (work done) |")
print("|---|---|---|---|---|---|---|---|")
for t in sorted({r["threads"] for r in rows}):
    ceiling = next(r["gflops"] for r in rows if r["threads"] == t and r["case"] == "ceiling")
    cases = [r["case"] for r in rows if r["threads"] == t and r["impl"] == "senti"]
    for c in cases:
        get = {r["impl"]: r for r in rows if r["threads"] == t and r["case"] == c}
        s, o = get["senti"], get["onnxruntime"]
        p = get.get("pytorch")
        frac = ""
        if c.startswith("batch"):
            b, seq = int(c.split()[1]), int(c.split()[3])
            frac = f"{100 * s['seq_per_s'] * flops_done_per_seq(seq) / 1e9 / ceiling:.0f} %"
        spread = lambda r: f"{r['seq_per_s']:.2f} ({r['seq_per_s_min']:.2f}–{r['seq_per_s_max']:.2f})"
        print(f"| {t} | {c} | {spread(s)} | {spread(p) if p else 'see note'} | {spread(o)} | {s['seq_per_s'] / o['seq_per_s']:.2f}× | "
              f"{(s['seq_per_s'] / p['seq_per_s']) if p else float('nan'):.2f}× | {frac} |")
print()
print("matmul ceiling (oneDNN fp32, packed weights, 4,096 rows): " +
      ", ".join(f"{r['threads']} thread(s) {r['gflops']:.0f} GFLOP/s" for r in rows if r["case"] == "ceiling"))
print()
print("peak RSS on the IMDb case (MB): " + ", ".join(
    f"{r['impl']} {r['threads']}t {r['peak_rss_mb']}" for r in rows if r["case"].startswith("imdb")))
