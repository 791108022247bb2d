#!/usr/bin/python3
"""Builds tiny random DistilBERT checkpoints in plain PyTorch and records what they compute.

The reference model is written from the published architecture, independently of senti's C++:
each block is torch.nn.TransformerEncoderLayer (post-LN, exact-erf GELU, LayerNorm eps 1e-12),
which computes DistilBERT's TransformerBlock; its weights are then saved under Hugging Face's
parameter names (q_lin/k_lin/v_lin are the three thirds of in_proj_weight).

Writes, for each model, tests/fixtures/models/<name>/ with config.json, model.safetensors,
vocab.txt, tokenizer_config.json, and golden.json: input ids (tokenized here by whitespace split:
the vocabulary is lowercase words, so BERT tokenization is the identity), the last hidden
states and the classifier logits (and MLM logits for the masked-LM model).

Usage: /usr/bin/python3 tools/make-golden-models.py   (Debian python3-torch)
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from distilbert_reference import Reference, hf_state, write_safetensors  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "models")

WORDS = ("the a movie film was is great good bad awful terrible wonderful boring fun plot acting "
         "i loved hated it this and but not very really story ending actors scene music best worst "
         "ever time watch again recommend waste money love hate funny sad long short").split()
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

TEXTS = [
    "the movie was great",
    "i hated it",
    "this film is a waste of time and money",  # "of" is not in the vocabulary: [UNK]
    "wonderful",
    "",
    "the acting was very bad but the music was good and the ending was sad",
    "best movie ever i loved it and i will watch it again",
    " ".join(WORDS * 3),  # longer than max_position_embeddings: truncated (head)
]


def tokenize(text, vocab, max_len):
    ids = [vocab.get(w, 1) for w in text.split()]
    return [2] + ids[:max_len - 2] + [3]


def build(name, dim, heads, layers, hidden, max_pos, labels, activation="gelu", head="classifier",
          dtype="F32", seed=0):
    torch.manual_seed(seed)
    vocab_list = SPECIALS + WORDS
    vocab = {w: i for i, w in enumerate(vocab_list)}
    m = Reference(len(vocab_list), dim, heads, layers, hidden, max_pos, labels, activation).eval()
    with torch.no_grad():  # larger than default init so the logits are far from trivial
        for p in m.parameters():
            if p.dim() > 1:
                p.normal_(0, 0.2)
            else:
                p.normal_(0, 0.1) if p.shape[0] != dim else p.uniform_(0.5, 1.5)
        for b in m.blocks:  # LayerNorm weights around 1, biases around 0
            for ln in (b.norm1, b.norm2):
                ln.weight.uniform_(0.5, 1.5)
                ln.bias.normal_(0, 0.1)

    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    id2label = {str(i): lab for i, lab in enumerate(["NEGATIVE", "POSITIVE", "NEUTRAL"][:labels])}
    if head == "classifier":
        arch, prefix = "DistilBertForSequenceClassification", "distilbert."
        state = hf_state(m, dim, prefix)
        state.update({"pre_classifier.weight": m.pre.weight, "pre_classifier.bias": m.pre.bias,
                      "classifier.weight": m.cls.weight, "classifier.bias": m.cls.bias})
    else:
        arch, prefix = "DistilBertForMaskedLM", "distilbert."
        state = hf_state(m, dim, prefix)
        state.update({"vocab_transform.weight": m.vt.weight, "vocab_transform.bias": m.vt.bias,
                      "vocab_layer_norm.weight": m.vln.weight, "vocab_layer_norm.bias": m.vln.bias,
                      "vocab_projector.bias": m.vbias})
    config = {
        "architectures": [arch], "model_type": "distilbert", "activation": activation,
        "attention_dropout": 0.1, "dim": dim, "dropout": 0.1, "hidden_dim": hidden,
        "initializer_range": 0.02, "max_position_embeddings": max_pos, "n_heads": heads,
        "n_layers": layers, "pad_token_id": 0, "qa_dropout": 0.1, "seq_classif_dropout": 0.2,
        "sinusoidal_pos_embds": False, "tie_weights_": True, "vocab_size": len(vocab_list),
        "id2label": id2label, "label2id": {v: int(k) for k, v in id2label.items()},
    }
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("\n".join(vocab_list) + "\n")
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "model_max_length": max_pos}, f)
    write_safetensors(os.path.join(d, "model.safetensors"), state, dtype)

    # Reference outputs from the weights as stored (rounded to the file's dtype).
    if dtype != "F32":
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(p.to(torch.bfloat16 if dtype == "BF16" else torch.float16).to(torch.float32))
    ids = [tokenize(t, vocab, max_pos) for t in TEXTS]
    longest = max(map(len, ids))
    batch = torch.tensor([x + [0] * (longest - len(x)) for x in ids])
    mask = torch.tensor([[1] * len(x) + [0] * (longest - len(x)) for x in ids])
    with torch.no_grad():
        h, logits, mlm = m(batch, mask)
        singles = [m(torch.tensor([x]), torch.ones(1, len(x), dtype=torch.long)) for x in ids]
    golden = {"texts": TEXTS, "input_ids": ids, "cases": []}
    for i, x in enumerate(ids):
        hs, lg, ml = singles[i]
        # Batched (padded) and single runs must agree: a check on the reference itself.
        assert torch.allclose(hs[0], h[i, :len(x)], atol=1e-5), "reference: padding changed the output"
        case = {"hidden": hs[0].flatten().tolist(), "logits": lg[0].tolist()}
        if head != "classifier":
            case["mlm_logits"] = ml[0].flatten().tolist()
        golden["cases"].append(case)
    with open(os.path.join(d, "golden.json"), "w") as f:
        json.dump(golden, f)
    print(name, arch, f"dim={dim} heads={heads} layers={layers} hidden={hidden} labels={labels} {dtype}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    build("tiny-2label", dim=32, heads=4, layers=2, hidden=64, max_pos=64, labels=2, seed=1)
    build("odd-3label", dim=36, heads=3, layers=3, hidden=70, max_pos=40, labels=3, seed=2)
    build("tiny-bf16", dim=32, heads=2, layers=1, hidden=48, max_pos=64, labels=2, dtype="BF16", seed=3)
    build("tiny-mlm", dim=24, heads=2, layers=2, hidden=40, max_pos=64, labels=2, head="mlm", seed=4)
