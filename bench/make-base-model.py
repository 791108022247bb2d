#!/usr/bin/python3
"""Writes a DistilBERT-base-shaped random sequence classifier (66M parameters; dim 768, 6 layers,
12 heads, hidden 3072, 2 labels) for the inference benchmark: a Hugging Face folder for senti
(config.json, model.safetensors, the bert-base-uncased vocab.txt) and model.onnx exported by
torch.onnx from the same plain-PyTorch reference (tools/distilbert_reference.py).

Usage: /usr/bin/python3 bench/make-base-model.py OUT_DIR SHARED_DIR
"""
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from distilbert_reference import Reference, hf_state, write_safetensors  # noqa: E402


class LogitsOnly(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, ids, mask):
        return self.m(ids, mask)[1]


def main():
    out, shared = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    dim, vocab = 768, 30522
    m = Reference(vocab, dim, 12, 6, 3072, 512, 2, "gelu").eval()
    with torch.no_grad():  # transformers' DistilBERT initialization: N(0, 0.02), LayerNorm 1/0
        for name, p in m.named_parameters():
            if p.dim() > 1:
                p.normal_(0, 0.02)
            elif "norm" in name or "ln" in name:
                p.fill_(1.0 if name.endswith("weight") else 0.0)
            else:
                p.zero_()
    state = hf_state(m, dim, "distilbert.")
    state.update({"pre_classifier.weight": m.pre.weight, "pre_classifier.bias": m.pre.bias,
                  "classifier.weight": m.cls.weight, "classifier.bias": m.cls.bias})
    write_safetensors(os.path.join(out, "model.safetensors"), state)
    config = {"architectures": ["DistilBertForSequenceClassification"], "model_type": "distilbert",
              "activation": "gelu", "dim": dim, "hidden_dim": 3072, "n_heads": 12, "n_layers": 6,
              "max_position_embeddings": 512, "vocab_size": vocab, "sinusoidal_pos_embds": False,
              "id2label": {"0": "NEGATIVE", "1": "POSITIVE"}, "label2id": {"NEGATIVE": 0, "POSITIVE": 1}}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    shutil.copy(os.path.join(shared, "data", "bert-base-uncased-vocab.txt"), os.path.join(out, "vocab.txt"))
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "model_max_length": 512}, f)
    torch.save(m.state_dict(), os.path.join(out, "reference.pt"))
    ids = torch.randint(1000, 2000, (2, 16))
    mask = torch.ones(2, 16, dtype=torch.long)
    torch.onnx.export(LogitsOnly(m), (ids, mask), os.path.join(out, "model.onnx"), opset_version=14,
                      input_names=["input_ids", "attention_mask"], output_names=["logits"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                    "logits": {0: "batch"}})
    print("wrote", out)


if __name__ == "__main__":
    main()
