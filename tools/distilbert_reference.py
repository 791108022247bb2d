"""A plain-PyTorch DistilBERT, written from the published architecture and independent of senti's
C++: embeddings + LayerNorm, torch.nn.TransformerEncoderLayer blocks (post-LN, exact-erf GELU,
LayerNorm eps 1e-12), the sequence-classification head and the masked-LM head; plus saving its
weights under Hugging Face's names in the safetensors layout (written by hand: the safetensors
package is not installable here). Used by the fixture generators and the benchmarks.
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn


class Reference(nn.Module):
    def __init__(self, vocab, dim, heads, layers, hidden, max_pos, labels, activation):
        super().__init__()
        self.word = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(max_pos, dim)
        self.emb_ln = nn.LayerNorm(dim, eps=1e-12)
        self.blocks = nn.ModuleList([
            nn.TransformerEncoderLayer(dim, heads, hidden, dropout=0.0, activation=activation,
                                       layer_norm_eps=1e-12, batch_first=True, norm_first=False)
            for _ in range(layers)])
        self.pre = nn.Linear(dim, dim)
        self.cls = nn.Linear(dim, labels)
        self.vt = nn.Linear(dim, dim)
        self.vln = nn.LayerNorm(dim, eps=1e-12)
        self.vbias = nn.Parameter(torch.zeros(vocab))
        self.activation = activation

    def forward(self, ids, mask):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.emb_ln(self.word(ids) + self.pos(pos))
        for b in self.blocks:
            x = b(x, src_key_padding_mask=(mask == 0))
        h = x
        logits = self.cls(torch.relu(self.pre(h[:, 0])))
        act = nn.functional.gelu if self.activation == "gelu" else torch.relu
        mlm = self.vln(act(self.vt(h))) @ self.word.weight.T + self.vbias
        return h, logits, mlm


def hf_state(m, dim, prefix):
    s = {}
    s[prefix + "embeddings.word_embeddings.weight"] = m.word.weight
    s[prefix + "embeddings.position_embeddings.weight"] = m.pos.weight
    s[prefix + "embeddings.LayerNorm.weight"] = m.emb_ln.weight
    s[prefix + "embeddings.LayerNorm.bias"] = m.emb_ln.bias
    for i, b in enumerate(m.blocks):
        p = f"{prefix}transformer.layer.{i}."
        w, bias = b.self_attn.in_proj_weight, b.self_attn.in_proj_bias
        for k, name in enumerate(["q_lin", "k_lin", "v_lin"]):
            s[p + f"attention.{name}.weight"] = w[k * dim:(k + 1) * dim]
            s[p + f"attention.{name}.bias"] = bias[k * dim:(k + 1) * dim]
        s[p + "attention.out_lin.weight"] = b.self_attn.out_proj.weight
        s[p + "attention.out_lin.bias"] = b.self_attn.out_proj.bias
        s[p + "sa_layer_norm.weight"] = b.norm1.weight
        s[p + "sa_layer_norm.bias"] = b.norm1.bias
        s[p + "ffn.lin1.weight"] = b.linear1.weight
        s[p + "ffn.lin1.bias"] = b.linear1.bias
        s[p + "ffn.lin2.weight"] = b.linear2.weight
        s[p + "ffn.lin2.bias"] = b.linear2.bias
        s[p + "output_layer_norm.weight"] = b.norm2.weight
        s[p + "output_layer_norm.bias"] = b.norm2.bias
    return s


def write_safetensors(path, tensors, dtype="F32"):
    """The safetensors layout, written by hand (the package is not installable here)."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        if dtype == "F32":
            raw = t.to(torch.float32).numpy().tobytes()
        elif dtype == "BF16":
            raw = t.to(torch.bfloat16).view(torch.int16).numpy().tobytes()
        else:
            raw = t.to(torch.float16).numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, en = e["data_offsets"]
        raw = data[8 + n + b:8 + n + en]
        if e["dtype"] == "F32":
            t = torch.from_numpy(np.frombuffer(raw, dtype=np.float32).copy())
        elif e["dtype"] == "F16":
            t = torch.from_numpy(np.frombuffer(raw, dtype=np.float16).astype(np.float32))
        elif e["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(raw, dtype=np.int16).copy()).view(torch.bfloat16).to(torch.float32)
        else:
            raise ValueError(f"{path}: {name} has dtype {e['dtype']}; expected F32, F16 or BF16")
        out[name] = t.reshape(e["shape"])
    return out


def load_hf_folder(d):
    """Loads a Hugging Face DistilBertForSequenceClassification folder (F32 safetensors) into the
    reference; returns the model, a map from HF names to (tensor, slice), and the config."""
    cfg = json.load(open(os.path.join(d, "config.json")))
    st = read_safetensors(os.path.join(d, "model.safetensors"))
    dim = cfg["dim"]
    m = Reference(cfg["vocab_size"], dim, cfg["n_heads"], cfg["n_layers"], cfg["hidden_dim"],
                  cfg["max_position_embeddings"], len(cfg["id2label"]), cfg["activation"])
    # HF name -> reference parameter (q/k/v are slices of in_proj)
    names = {}
    with torch.no_grad():
        p = "distilbert."
        m.word.weight.copy_(st[p + "embeddings.word_embeddings.weight"]); names[p + "embeddings.word_embeddings.weight"] = (m.word.weight, None)
        m.pos.weight.copy_(st[p + "embeddings.position_embeddings.weight"]); names[p + "embeddings.position_embeddings.weight"] = (m.pos.weight, None)
        for t, q in ((m.emb_ln.weight, "weight"), (m.emb_ln.bias, "bias")):
            t.copy_(st[p + "embeddings.LayerNorm." + q]); names[p + "embeddings.LayerNorm." + q] = (t, None)
        for i, b in enumerate(m.blocks):
            s = f"{p}transformer.layer.{i}."
            for k, lin in enumerate(["q_lin", "k_lin", "v_lin"]):
                b.self_attn.in_proj_weight[k * dim:(k + 1) * dim].copy_(st[s + f"attention.{lin}.weight"])
                b.self_attn.in_proj_bias[k * dim:(k + 1) * dim].copy_(st[s + f"attention.{lin}.bias"])
                names[s + f"attention.{lin}.weight"] = (b.self_attn.in_proj_weight, slice(k * dim, (k + 1) * dim))
                names[s + f"attention.{lin}.bias"] = (b.self_attn.in_proj_bias, slice(k * dim, (k + 1) * dim))
            pairs = {"attention.out_lin": b.self_attn.out_proj, "sa_layer_norm": b.norm1, "ffn.lin1": b.linear1,
                     "ffn.lin2": b.linear2, "output_layer_norm": b.norm2}
            for hf, mod in pairs.items():
                for q in ("weight", "bias"):
                    getattr(mod, q).copy_(st[s + hf + "." + q]); names[s + hf + "." + q] = (getattr(mod, q), None)
        for hf, mod in (("pre_classifier", m.pre), ("classifier", m.cls)):
            if hf + ".weight" not in st:
                continue  # a masked-LM checkpoint
            for q in ("weight", "bias"):
                getattr(mod, q).copy_(st[hf + "." + q]); names[hf + "." + q] = (getattr(mod, q), None)
        if "vocab_transform.weight" in st:
            for hf, mod in (("vocab_transform", m.vt), ("vocab_layer_norm", m.vln)):
                for q in ("weight", "bias"):
                    getattr(mod, q).copy_(st[hf + "." + q]); names[hf + "." + q] = (getattr(mod, q), None)
            m.vbias.copy_(st["vocab_projector.bias"]); names["vocab_projector.bias"] = (m.vbias, None)
    return m, names, cfg
