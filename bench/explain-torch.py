#!/usr/bin/python3
"""PyTorch peer for bench/explain.sh: Integrated Gradients of the label's log-odds on the embedding
output of the plain reference DistilBERT (tools/distilbert_reference.py) loaded from the same
checkpoint, on the same token ids, with the same baseline ([CLS] [PAD]... [SEP], positions kept)
and the same Gauss-Legendre nodes, all steps in one batch (what Captum does with
internal_batch_size unset); autograd computes the gradients. Also times one prediction. Prints
one JSON line per case, and compares its token attributions with senti's.

Usage: explain-torch.py MODEL_DIR THREADS IDS.json SENTI_IG.json STEPS SECONDS
"""
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from distilbert_reference import load_hf_folder  # noqa: E402


def timed(fn, min_seconds):
    fn()
    secs, start = [], time.perf_counter()
    while len(secs) < 3 or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        fn()
        secs.append(time.perf_counter() - t0)
    secs.sort()
    return {"runs": len(secs), "ms": secs[len(secs) // 2] * 1e3, "ms_min": secs[0] * 1e3, "ms_max": secs[-1] * 1e3}


def main():
    model_dir, threads, ids_path, senti_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    steps, seconds = int(sys.argv[5]), float(sys.argv[6])
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    m, _, cfg = load_hf_folder(model_dir)
    m.eval()
    ids = torch.tensor([json.load(open(ids_path))])
    senti = json.load(open(senti_path))
    labels = [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))]
    target = labels.index(senti["label"])
    pad = cfg.get("pad_token_id", 0)
    base = ids.clone()
    base[0, 1:-1] = pad
    T = ids.shape[1]
    mask = torch.ones(1, T, dtype=torch.long)
    nodes, weights = np.polynomial.legendre.leggauss(steps)
    alphas = torch.tensor((nodes + 1) / 2, dtype=torch.float32).view(-1, 1, 1)
    w = torch.tensor(weights / 2, dtype=torch.float32).view(-1, 1, 1)

    def embed(x_ids):
        pos = torch.arange(T).unsqueeze(0)
        return m.emb_ln(m.word(x_ids) + m.pos(pos))

    def log_odds_from_emb(e):
        x = e
        for b in m.blocks:
            x = b(x)
        z = m.cls(torch.relu(m.pre(x[:, 0])))
        others = torch.cat([z[:, :target], z[:, target + 1:]], dim=1)
        return z[:, target] - torch.logsumexp(others, dim=1)

    def ig():
        with torch.no_grad():
            x, b = embed(ids), embed(base)
        path = (b + alphas * (x - b)).detach().requires_grad_(True)
        f = log_odds_from_emb(path)
        (grad,) = torch.autograd.grad(f.sum(), path)
        return ((x - b) * (grad * w).sum(0, keepdim=True)).sum(-1)[0]

    def predict():
        with torch.inference_mode():
            m(ids, mask)

    out = {"impl": "pytorch", "threads": threads, "tokens": T}
    print(json.dumps({**out, "case": "predict", **timed(predict, seconds)}), flush=True)
    attr = ig()
    print(json.dumps({**out, "case": f"ig {steps} steps", **timed(ig, seconds)}), flush=True)
    mine = attr[1:-1].detach().numpy()
    theirs = np.array(senti["tokens"])
    scale = max(1e-12, float(np.abs(mine).max()))
    print(json.dumps({**out, "case": "agreement", "max_abs_diff": float(np.abs(mine - theirs).max()),
                      "max_abs_attribution": scale, "sum_pytorch": float(mine.sum()),
                      "sum_senti": float(theirs.sum())}), flush=True)


if __name__ == "__main__":
    main()
