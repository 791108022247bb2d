#!/usr/bin/python3
"""Checks that a folder senti wrote (senti train) is a Hugging Face DistilBERT checkpoint that an
independent PyTorch implementation loads by Hugging Face's parameter names, and that it computes
the logits senti computes. transformers itself is not installable here; the reference model
(tools/distilbert_reference.py) maps the same names onto torch.nn modules.

Usage: /usr/bin/python3 tools/check-hf-checkpoint.py MODEL_DIR IDS_JSONL SENTI_LOGITS_JSONL
  IDS_JSONL: per line, one JSON array of token ids or a `senti tokenize` object (its "ids");
  SENTI_LOGITS_JSONL: senti's raw logits for the same texts (`senti predict --function-to-apply none --top-k all`).
Exits 1 when any logit differs by more than 1e-4 relative (1e-5 absolute).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from distilbert_reference import load_hf_folder  # noqa: E402


def main():
    model_dir, ids_path, logits_path = sys.argv[1:4]
    m, names, cfg = load_hf_folder(model_dir)
    m.eval()
    config_keys = {"dim", "n_layers", "n_heads", "hidden_dim", "vocab_size", "max_position_embeddings", "id2label"}
    missing = config_keys - set(cfg)
    assert not missing, f"config.json lacks {missing}"
    assert cfg.get("architectures") == ["DistilBertForSequenceClassification"], cfg.get("architectures")
    labels = [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))]
    worst = 0.0
    bad = 0
    for ids_line, senti_line in zip(open(ids_path), open(logits_path)):
        ids = json.loads(ids_line)
        if isinstance(ids, dict):  # a `senti tokenize` line: {"ids": [...], "tokens": [...], ...}
            ids = ids["ids"]
        with torch.no_grad():
            _, logits, _ = m(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long))
        ref = dict(zip(labels, logits[0].tolist()))
        for item in json.loads(senti_line):
            want, got = ref[item["label"]], item["score"]
            err = abs(got - want)
            worst = max(worst, err / max(abs(want), 1e-3))
            if err > 1e-5 + 1e-4 * abs(want):
                bad += 1
    print(f"{model_dir}: {len(names)} tensors loaded by Hugging Face name; worst relative logit difference {worst:.2e}; "
          f"{bad} mismatches")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
