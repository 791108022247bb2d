#!/usr/bin/env python3
"""Grow a DistilBERT checkpoint deeper by copying its transformer layers (progressive stacking).

A deeper encoder pretrained from scratch costs hours per epoch on two cores. Gong et al. (ICML
2019, "Efficient training of BERT by progressively stacking") start the deeper model from a
trained shallow one whose layers are copied, and reach the same loss in less time. This script
writes such a starting point: `--layers 0,1,2,3,2,3` makes a 6-layer checkpoint whose layers are
copies of the source's layers 0, 1, 2, 3, 2 and 3, in that order; everything else (embeddings,
the masked-LM or classification head) is copied unchanged. Tensors keep their dtype and bytes.

What it does not do: it does not train, widen (dim, heads, FFN) or check that the result is a
good model; `senti pretrain -m OUT ...` continues from it. Standard library only.

    /usr/bin/python3 tools/grow-encoder.py models/encoder WORK/grown --layers 0,1,2,3,2,3
"""

import argparse
import json
import os
import re
import shutil
import struct
import sys

LAYER = re.compile(r"^(.*\btransformer\.layer\.)(\d+)(\..+)$")
MAX_HEADER = 100 * 1024 * 1024


class GrowError(Exception):
    pass


def read_safetensors(path):
    """Return (metadata, {name: (dtype, shape, bytes)}) with every offset bounds-checked."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise GrowError(f"{path}: {len(blob)} bytes, expected at least the 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > MAX_HEADER or 8 + n > len(blob):
        raise GrowError(f"{path}: header length {n} does not fit the file ({len(blob)} bytes)")
    try:
        header = json.loads(blob[8:8 + n])
    except ValueError as e:
        raise GrowError(f"{path}: header is not JSON ({e})")
    if not isinstance(header, dict):
        raise GrowError(f"{path}: header is not a JSON object")
    data = blob[8 + n:]
    meta = header.pop("__metadata__", None)
    tensors = {}
    for name, t in header.items():
        try:
            begin, end = t["data_offsets"]
            dtype, shape = t["dtype"], t["shape"]
        except (KeyError, TypeError, ValueError):
            raise GrowError(f"{path}: tensor {name!r}: expected dtype, shape and data_offsets")
        if not (isinstance(begin, int) and isinstance(end, int) and 0 <= begin <= end <= len(data)):
            raise GrowError(f"{path}: tensor {name!r}: data_offsets {t['data_offsets']} outside "
                            f"the {len(data)}-byte data section")
        tensors[name] = (dtype, shape, data[begin:end])
    return meta, tensors


def write_safetensors(path, meta, tensors):
    header, chunks, offset = {}, [], 0
    if meta is not None:
        header["__metadata__"] = meta
    for name in sorted(tensors):
        dtype, shape, raw = tensors[name]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the format aligns the data section to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)


def grow(src, out, layers):
    config_path = os.path.join(src, "config.json")
    try:
        with open(config_path) as f:
            config = json.load(f)
    except (OSError, ValueError) as e:
        raise GrowError(f"{config_path}: {e}")
    n_src = config.get("n_layers")
    if not isinstance(n_src, int) or n_src < 1:
        raise GrowError(f"{config_path}: field n_layers: expected a positive integer, got {n_src!r}")
    if not layers:
        raise GrowError("--layers: expected at least one layer index")
    for i in layers:
        if not 0 <= i < n_src:
            raise GrowError(f"--layers: index {i} outside the source's {n_src} layers (0..{n_src - 1})")
    meta, tensors = read_safetensors(os.path.join(src, "model.safetensors"))
    grown, by_layer = {}, {}
    for name, t in tensors.items():
        m = LAYER.match(name)
        if m:
            by_layer.setdefault(int(m.group(2)), []).append((m.group(1), m.group(3), t))
        else:
            grown[name] = t
    missing = sorted(set(range(n_src)) - set(by_layer))
    if missing:
        raise GrowError(f"{src}/model.safetensors: no tensors for layer(s) {missing} of {n_src}")
    for new_index, old_index in enumerate(layers):
        for prefix, suffix, t in by_layer[old_index]:
            grown[f"{prefix}{new_index}{suffix}"] = t
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, "model.safetensors"), meta, grown)
    config["n_layers"] = len(layers)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if os.path.exists(os.path.join(src, name)):
            shutil.copyfile(os.path.join(src, name), os.path.join(out, name))
    with open(os.path.join(out, "grow_args.json"), "w") as f:
        json.dump({"source": os.path.abspath(src), "layers": layers}, f, indent=2)
        f.write("\n")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("source", help="checkpoint folder (config.json, model.safetensors, vocab)")
    p.add_argument("out", help="output folder (created)")
    p.add_argument("--layers", required=True,
                   help="comma-separated source layer per new layer, bottom first, e.g. 0,1,2,3,2,3")
    args = p.parse_args(argv)
    try:
        layers = [int(x) for x in args.layers.split(",")]
    except ValueError:
        print(f"grow-encoder: --layers {args.layers!r}: expected comma-separated integers", file=sys.stderr)
        return 2
    try:
        grow(args.source, args.out, layers)
    except GrowError as e:
        print(f"grow-encoder: {e}", file=sys.stderr)
        return 1
    print(f"grow-encoder: wrote {args.out} with {len(layers)} layers (from {args.layers})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
