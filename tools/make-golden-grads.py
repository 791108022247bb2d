#!/usr/bin/python3
"""Gradient fixtures for senti's backward pass, from PyTorch autograd on the plain reference model.

For the tiny golden checkpoints (tests/fixtures/models/tiny-2label and odd-3label), with dropout
off, records into tests/fixtures/models/<name>/grads.json:
  - the mean cross-entropy loss and every parameter gradient (Hugging Face names) of one batch,
    with nothing frozen and with the embeddings + layer 0 frozen (frozen parameters: no gradient);
  - ten AdamW steps (lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.01 except biases and
    LayerNorm, linear warmup 2 steps then linear decay to step 10, gradient clipping at norm 1.0)
    with the embeddings + layer 0 frozen: the loss of each step and the final trainable weights;
  - the gradient of the loss with respect to the embedding output (for explanations).
For the masked-LM checkpoint tests/fixtures/models/tiny-mlm, records into its grads.json the
masked-LM loss (mean cross-entropy over the labelled positions, the projector tied to the word
embeddings) and every gradient, with nothing frozen and with the embeddings + layer 0 frozen.
Usage: /usr/bin/python3 tools/make-golden-grads.py
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from distilbert_reference import load_hf_folder  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def load(name):
    return load_hf_folder(os.path.join(ROOT, "tests", "fixtures", "models", name))


def frozen_names(names, n_layers_frozen, embeddings):
    out = set()
    for n in names:
        if embeddings and ".embeddings." in n:
            out.add(n)
        for i in range(n_layers_frozen):
            if f".transformer.layer.{i}." in n:
                out.add(n)
    return out


def grad_of(names, n):
    t, sl = names[n]
    g = t.grad if sl is None else t.grad[sl]
    return g.flatten().tolist()


def value_of(names, n):
    t, sl = names[n]
    v = t if sl is None else t[sl]
    return v.detach().flatten().tolist()


def batch(golden, idx):
    ids = [golden["input_ids"][i] for i in idx]
    longest = max(map(len, ids))
    x = torch.tensor([s + [0] * (longest - len(s)) for s in ids])
    mask = torch.tensor([[1] * len(s) + [0] * (longest - len(s)) for s in ids])
    return ids, x, mask


def main():
    torch.set_num_threads(1)
    for name in ("tiny-2label", "odd-3label"):
        d = os.path.join(ROOT, "tests", "fixtures", "models", name)
        golden = json.load(open(os.path.join(d, "golden.json")))
        out = {"cases": []}
        nlab = None
        for frozen_layers, frozen_emb in ((0, False), (1, True)):
            m, names, cfg = load(name)
            nlab = len(cfg["id2label"])
            idx = [0, 1, 2, 5, 6]
            labels = [i % nlab for i in range(len(idx))]
            ids, x, mask = batch(golden, idx)
            frozen = frozen_names(names, frozen_layers, frozen_emb)
            emb_out = {}

            def hook(mod, inp, outp):
                outp.retain_grad()
                emb_out["t"] = outp
            h = m.emb_ln.register_forward_hook(hook)
            _, logits, _ = m(x, mask)
            h.remove()
            loss = torch.nn.functional.cross_entropy(logits, torch.tensor(labels))
            loss.backward()
            grads = {n: grad_of(names, n) for n in names if n not in frozen}
            ge = emb_out["t"].grad
            case = {"frozen_layers": frozen_layers, "frozen_embeddings": frozen_emb, "input_ids": ids,
                    "labels": labels, "loss": loss.item(), "grads": grads,
                    "embedding_output_grad": [ge[i, :len(s)].flatten().tolist() for i, s in enumerate(ids)]}
            out["cases"].append(case)

        # Ten AdamW steps with embeddings + layer 0 frozen.
        m, names, cfg = load(name)
        frozen = frozen_names(names, 1, True)
        decay, no_decay, seen = [], [], set()
        for n, (t, sl) in names.items():
            if n in frozen or id(t) in seen:
                continue
            seen.add(id(t))
            (no_decay if (n.endswith(".bias") or "LayerNorm" in n or "layer_norm" in n) else decay).append(t)
        for n, (t, sl) in names.items():
            t.requires_grad_(n not in frozen)
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                                lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
        warmup, total = 2, 10
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: s / warmup if s < warmup else max(0.0, (total - s) / (total - warmup)))
        steps = []
        batches = [[0, 1, 2, 5, 6], [3, 7, 1, 0]]
        for step in range(total):
            idx = batches[step % 2]
            labels = [(i + step) % nlab for i in range(len(idx))]
            ids, x, mask = batch(golden, idx)
            opt.zero_grad()
            _, logits, _ = m(x, mask)
            loss = torch.nn.functional.cross_entropy(logits, torch.tensor(labels))
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for g in opt.param_groups for p in g["params"]], 1.0)
            opt.step()
            sched.step()
            steps.append({"input_ids": ids, "labels": labels, "loss": loss.item()})
        out["adamw"] = {"lr": 1e-3, "warmup": warmup, "total": total, "clip": 1.0, "weight_decay": 0.01,
                        "frozen_layers": 1, "frozen_embeddings": True, "steps": steps,
                        "final": {n: value_of(names, n) for n in names if n not in frozen}}
        with open(os.path.join(d, "grads.json"), "w") as f:
            json.dump(out, f)
        print(name, "losses", [round(s["loss"], 5) for s in steps])


def mlm_main():
    name = "tiny-mlm"
    d = os.path.join(ROOT, "tests", "fixtures", "models", name)
    golden = json.load(open(os.path.join(d, "golden.json")))
    mask_id = 4  # [MASK] in the fixture vocabulary
    out = {"mask_id": mask_id, "cases": []}
    for frozen_layers, frozen_emb in ((0, False), (1, True)):
        m, names, cfg = load(name)
        idx = [0, 1, 2, 5, 6, 7]
        ids, x, mask = batch(golden, idx)
        # Labelled positions: a fixed pattern over the content tokens; inputs there become
        # [MASK] on even positions and stay as they are on odd ones (the 80/10/10 rule's cases).
        labels = torch.full(x.shape, -100, dtype=torch.long)
        masked = []
        for b, s in enumerate(ids):
            row = list(s)
            for i in range(1, len(s) - 1):
                if (i * 7 + b) % 3 == 1:
                    labels[b, i] = s[i]
                    if i % 2 == 0:
                        row[i] = mask_id
            masked.append(row)
        longest = max(map(len, masked))
        x = torch.tensor([r + [0] * (longest - len(r)) for r in masked])
        frozen = frozen_names(names, frozen_layers, frozen_emb)
        for n, (t, sl) in names.items():
            t.requires_grad_(True)
        _, _, mlm = m(x, mask)
        loss = torch.nn.functional.cross_entropy(mlm.reshape(-1, mlm.shape[-1]), labels.reshape(-1), ignore_index=-100)
        loss.backward()
        head = ("pre_classifier.", "classifier.")
        grads = {n: grad_of(names, n) for n in names if n not in frozen and not n.startswith(head)}
        if frozen_emb:  # frozen embeddings freeze the tied projector too: no word-embedding gradient
            grads.pop("distilbert.embeddings.word_embeddings.weight", None)
        out["cases"].append({"frozen_layers": frozen_layers, "frozen_embeddings": frozen_emb, "input_ids": masked,
                             "mlm_labels": [labels[b, :len(s)].tolist() for b, s in enumerate(masked)],
                             "loss": loss.item(), "grads": grads})
    with open(os.path.join(d, "grads.json"), "w") as f:
        json.dump(out, f)
    print(name, "mlm losses", [round(c["loss"], 5) for c in out["cases"]])


if __name__ == "__main__":
    main()
    mlm_main()
