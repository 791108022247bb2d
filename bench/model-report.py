#!/usr/bin/env python3
"""Turns bench/model.sh's JSON lines into the markdown tables of bench/README.md: seq/s per
implementation and case, the ratios the issues track, and how much of oneDNN's matmul ceiling
in each type the whole model reaches."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
D, H, L = 768, 3072, 6
IMPLS = ["senti", "senti-bf16", "senti-int8", "pytorch", "onnxruntime", "onnxruntime-int8"]
CEILING_OF = {"senti": "f32", "senti-bf16": "bf16", "senti-int8": "int8"}


def flops_done_per_seq(tokens):  # what senti computes: the last layer only for [CLS] (K, V for all tokens)
    return (L - 1) * (2 * tokens * (4 * D * D + 2 * D * H) + 4 * tokens * tokens * D) + 2 * tokens * 2 * D * D


def cell(r):
    return f"{r['seq_per_s']:.2f} ({r['seq_per_s_min']:.2f}–{r['seq_per_s_max']:.2f})" if r else "—"


def ratio(a, b):
    return f"{a['seq_per_s'] / b['seq_per_s']:.2f}×" if a and b else "—"


present = [i for i in IMPLS if any(r.get("impl") == i for r in rows)]
print("seq/s, median (min–max) over the runs of each case:")
print()
print("| threads | case | " + " | ".join(present) + " |")
print("|---|---|" + "---|" * len(present))
threads = sorted({r["threads"] for r in rows})
cases = []
for r in rows:
    if r["case"] != "ceiling" and r["case"] not in cases:
        cases.append(r["case"])
for t in threads:
    for c in cases:
        get = {r["impl"]: r for r in rows if r["threads"] == t and r["case"] == c}
        print(f"| {t} | {c} | " + " | ".join(cell(get.get(i)) for i in present) + " |")
print()
print("Ratios, and the share of the matmul ceiling of its type that senti reaches on the work it does:")
print()
print("| threads | case | int8 / ORT int8 | int8 / f32 | bf16 / f32 | f32 / ORT f32 | f32 / PyTorch | f32, bf16, int8 % of ceiling |")
print("|---|---|---|---|---|---|---|---|")
for t in threads:
    ceil = {r.get("dtype", "f32"): r["gflops"] for r in rows if r["threads"] == t and r["case"] == "ceiling"}
    for c in cases:
        get = {r["impl"]: r for r in rows if r["threads"] == t and r["case"] == c}
        s, b, i8 = get.get("senti"), get.get("senti-bf16"), get.get("senti-int8")
        frac = ""
        if c.startswith("batch"):
            seq = int(c.split()[3])
            frac = ", ".join(
                f"{100 * get[i]['seq_per_s'] * flops_done_per_seq(seq) / 1e9 / ceil[CEILING_OF[i]]:.0f} %"
                for i in ("senti", "senti-bf16", "senti-int8") if i in get and CEILING_OF[i] in ceil)
        print(f"| {t} | {c} | {ratio(i8, get.get('onnxruntime-int8'))} | {ratio(i8, s)} | {ratio(b, s)} | "
              f"{ratio(s, get.get('onnxruntime'))} | {ratio(s, get.get('pytorch'))} | {frac} |")
print()
print("matmul ceilings (oneDNN, packed weights, 4,096 rows, GFLOP/s): " + "; ".join(
    f"{t} thread(s): " + ", ".join(f"{r.get('dtype', 'f32')} {r['gflops']:.0f}" for r in rows
                                   if r["threads"] == t and r["case"] == "ceiling") for t in threads))
print()
print("peak RSS on the IMDb case (MB): " + ", ".join(
    f"{r['impl']} {r['threads']}t {r['peak_rss_mb']}" for r in rows if r["case"].startswith("imdb")))
