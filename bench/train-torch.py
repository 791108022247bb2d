#!/usr/bin/python3
"""PyTorch peer for bench/train.sh: the plain reference DistilBERT (tools/distilbert_reference.py)
with the benchmark's weights, embeddings + layers 0-3 frozen (requires_grad False), layers 4-5 and
the head trained with torch.optim.AdamW, one train step = forward, cross-entropy, backward, clip,
step, in fp32 (senti trains in fp32). bf16 autocast is not measured: Debian's torch 1.13 runs
this model's LayerNorm on bf16 inputs against fp32 weights and stops with a dtype error.

Usage: train-torch.py MODEL_DIR THREADS BATCH SEQ STEPS
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from distilbert_reference import Reference  # noqa: E402


def main():
    model_dir, threads, batch, seq, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    m = Reference(30522, 768, 12, 6, 3072, 512, 2, "gelu")
    m.load_state_dict(torch.load(os.path.join(model_dir, "reference.pt")))
    for p in list(m.word.parameters()) + list(m.pos.parameters()) + list(m.emb_ln.parameters()):
        p.requires_grad_(False)
    for b in m.blocks[:4]:
        for p in b.parameters():
            p.requires_grad_(False)
    for b in m.blocks:  # dropout as DistilBERT's config (0.1) in the trained layers
        b.dropout.p = b.dropout1.p = b.dropout2.p = 0.1
        b.self_attn.dropout = 0.1
    m.train()
    params = [p for p in m.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=5e-5)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, 21000, (batch, seq), generator=g)
    mask = torch.ones(batch, seq, dtype=torch.long)
    labels = torch.arange(batch) % 2
    for autocast in (False,):
        secs = []
        for s in range(steps + 1):
            t0 = time.perf_counter()
            opt.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                _, logits, _ = m(ids, mask)
                loss = torch.nn.functional.cross_entropy(logits.float(), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            if s > 0:
                secs.append(time.perf_counter() - t0)
        secs.sort()
        med = secs[len(secs) // 2]
        print(json.dumps({"impl": "pytorch-bf16-autocast" if autocast else "pytorch", "threads": threads, "cache": False,
                          "batch": batch, "seq": seq, "steps": steps, "seq_per_s": round(batch / med, 3),
                          "seq_per_s_min": round(batch / secs[-1], 3), "seq_per_s_max": round(batch / secs[0], 3)}), flush=True)


if __name__ == "__main__":
    main()
