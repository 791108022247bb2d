"""tools/grow-encoder.py: copies the chosen layers byte for byte, keeps every other tensor, writes
a checkpoint that senti loads, and rejects bad input with a message naming the file or option."""
import importlib.util
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "grow-encoder.py"
TINY = ROOT / "tests" / "fixtures" / "models" / "tiny-2label"


def load():
    spec = importlib.util.spec_from_file_location("grow", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def grow(tmp_path, layers, name="out"):
    out = tmp_path / name
    r = subprocess.run([sys.executable, str(SCRIPT), str(TINY), str(out), "--layers", layers],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def test_layers_are_copied_and_the_rest_kept(tmp_path):
    mod = load()
    _, src = mod.read_safetensors(TINY / "model.safetensors")
    out = grow(tmp_path, "1,0,1")
    _, dst = mod.read_safetensors(out / "model.safetensors")
    assert json.loads((out / "config.json").read_text())["n_layers"] == 3
    layer_names = [n for n in src if ".transformer.layer." in n]
    other = [n for n in src if n not in layer_names]
    assert layer_names and other
    for n in other:
        assert dst[n] == src[n], n
    for new, old in enumerate([1, 0, 1]):
        for n in layer_names:
            if ".layer.0." in n:
                suffix = n.split(".layer.0.", 1)[1]
                prefix = n.split(".layer.0.", 1)[0]
                assert dst[f"{prefix}.layer.{new}.{suffix}"] == src[f"{prefix}.layer.{old}.{suffix}"]
    assert len(dst) == len(other) + 3 * len(layer_names) // 2
    assert (out / "vocab.txt").read_bytes() == (TINY / "vocab.txt").read_bytes()


def test_identity_gives_the_same_tensors(tmp_path):
    mod = load()
    _, src = mod.read_safetensors(TINY / "model.safetensors")
    _, dst = mod.read_safetensors(grow(tmp_path, "0,1") / "model.safetensors")
    assert dst == src


@pytest.mark.skipif(not os.environ.get("SENTI_BINARY"), reason="SENTI_BINARY not set (CTest sets it)")
def test_senti_loads_the_grown_checkpoint(tmp_path):
    senti = os.environ["SENTI_BINARY"]
    text = "a fine film"

    def scores(model):
        r = subprocess.run([senti, "predict", "-m", str(model), "-t", "1", "--top-k", "all",
                            "--function-to-apply", "none", text], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout.splitlines()[0])

    same = scores(grow(tmp_path, "0,1", "same"))
    assert same == scores(TINY)
    deeper = scores(grow(tmp_path, "0,1,1", "deeper"))
    assert {d["label"] for d in deeper} == {"NEGATIVE", "POSITIVE"}
    assert deeper != same  # a third layer changes the logits


def test_bad_input_is_a_clear_error(tmp_path):
    def fails(args, needle):
        r = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)
        assert r.returncode != 0
        assert needle in r.stderr, r.stderr

    fails([str(TINY), str(tmp_path / "a"), "--layers", "0,2"], "index 2 outside the source's 2 layers")
    fails([str(TINY), str(tmp_path / "b"), "--layers", "x"], "expected comma-separated integers")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text((TINY / "config.json").read_text())
    blob = (TINY / "model.safetensors").read_bytes()
    (bad / "model.safetensors").write_bytes(blob[:-10])
    fails([str(bad), str(tmp_path / "c"), "--layers", "0,1"], "outside the")
    (bad / "model.safetensors").write_bytes(struct.pack("<Q", 1 << 40) + b"{}")
    fails([str(bad), str(tmp_path / "d"), "--layers", "0,1"], "does not fit the file")
    (bad / "config.json").write_text("{}")
    fails([str(bad), str(tmp_path / "e"), "--layers", "0"], "field n_layers")
