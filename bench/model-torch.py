#!/usr/bin/python3
"""PyTorch peer for bench/model.sh: the plain reference DistilBERT (tools/distilbert_reference.py)
with the benchmark's weights, under torch.inference_mode, threads pinned.

Usage: model-torch.py MODEL_DIR THREADS fixed BATCH SEQ SECONDS | ids FILE.jsonl BATCH
Prints one JSON line like bench_model. Padded batches use the attention mask (padding to the
longest sequence of each batch).
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from distilbert_reference import Reference  # noqa: E402


def main():
    model_dir, threads, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    m = Reference(30522, 768, 12, 6, 3072, 512, 2, "gelu").eval()
    m.load_state_dict(torch.load(os.path.join(model_dir, "reference.pt")))
    batches, min_seconds, min_runs = [], 10.0, 3
    if mode == "fixed":
        b, t, min_seconds = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
        g = torch.Generator().manual_seed(0)
        ids = torch.randint(1000, 21000, (b, t), generator=g)
        batches.append((ids, torch.ones(b, t, dtype=torch.long)))
        label = f"batch {b} x {t}"
    else:
        seqs = [json.loads(line) for line in open(sys.argv[4]) if line.strip()]
        b = int(sys.argv[5])
        for i in range(0, len(seqs), b):
            chunk = seqs[i:i + b]
            longest = max(map(len, chunk))
            ids = torch.tensor([s + [0] * (longest - len(s)) for s in chunk])
            mask = torch.tensor([[1] * len(s) + [0] * (longest - len(s)) for s in chunk])
            batches.append((ids, mask))
        min_seconds, min_runs = 0.0, 1  # one timed pass over the whole set
        label = f"imdb {len(seqs)} reviews, batch {b}"
    n = sum(x.shape[0] for x, _ in batches)
    with torch.inference_mode():
        m(*batches[0])  # warm-up
        secs, start = [], time.perf_counter()
        while len(secs) < min_runs or time.perf_counter() - start < min_seconds:
            t0 = time.perf_counter()
            for ids, mask in batches:
                m(ids, mask)
            secs.append(time.perf_counter() - t0)
    secs.sort()
    med = secs[len(secs) // 2]
    print(json.dumps({"impl": "pytorch", "threads": threads, "case": label, "runs": len(secs),
                      "seq_per_s": round(n / med, 3), "seq_per_s_min": round(n / secs[-1], 3),
                      "seq_per_s_max": round(n / secs[0], 3)}))


if __name__ == "__main__":
    main()
