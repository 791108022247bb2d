"""tools/make-everyday-sentences.py: deterministic, balanced, never a suite text, and each
construction's target points the way English says (negation, "at all", "but", idioms)."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "make-everyday-sentences.py"


def load():
    spec = importlib.util.spec_from_file_location("everyday", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run(tmp_path, name, count=3000, seed=7):
    out = tmp_path / name
    subprocess.run([sys.executable, str(SCRIPT), "--count", str(count), "--seed", str(seed), "-o", str(out)],
                   check=True, capture_output=True)
    return out


def test_same_seed_same_bytes_and_format(tmp_path):
    a, b = run(tmp_path, "a.jsonl"), run(tmp_path, "b.jsonl")
    assert a.read_bytes() == b.read_bytes()
    rows = [json.loads(line) for line in a.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 3000
    for r in rows:
        p = r["probs"]["POSITIVE"]
        assert 0 < p < 1 and abs(p + r["probs"]["NEGATIVE"] - 1) < 1e-9
        assert r["label"] == ("POSITIVE" if p >= 0.5 else "NEGATIVE")
        assert r["kind"] == "synthetic" and r["text"].strip()
    positive = sum(r["label"] == "POSITIVE" for r in rows)
    assert 0.4 <= positive / len(rows) <= 0.6, positive
    assert len({r["text"] for r in rows}) == len(rows)


def test_no_suite_or_dev_text(tmp_path):
    mod = load()
    suite = mod.held_out_texts()
    assert mod.normalise("I couldn't be happier with this phone.") in suite  # a suite case
    rows = mod.generate(20000, 20261202)
    assert not [t for t, _, _ in rows if mod.normalise(t) in suite]


def test_targets_follow_the_construction():
    mod = load()
    fam = mod.families()
    target = {t: p for rows in fam.values() for t, p in rows}
    assert target["The pizza was delicious."] > 0.9
    assert target["The pizza was not delicious."] < 0.2          # a negated positive word: blame
    assert 0.6 < target["The pizza wasn't bland."] < 0.8         # a negated negative word: weak praise
    assert target["The pizza wasn't bland at all."] > target["The pizza wasn't bland."]
    assert target["The pizza was not delicious at all."] < target["The pizza was not delicious."]
    assert target["I couldn't be happier with the kettle."] > 0.9
    assert target["I couldn't be more disappointed with the kettle."] < 0.1
    assert target["The kettle couldn't have been worse."] < 0.1
    assert target["No complaints with the kettle."] > 0.8
    assert target["No help from the kettle."] < 0.2
    assert target["I can't recommend them enough."] > 0.9
    assert target["I would never go back."] < 0.1
    assert target["I didn't like the kettle."] < 0.2


def test_but_clause_decides():
    import random
    mod = load()
    fam = mod.families()
    plain = dict(fam["plain"])
    for text, p in mod.contrasts(fam, random.Random(1), 200):
        second = text.split(", but ", 1)[1]
        second = second[0].upper() + second[1:]
        assert (p > 0.5) == (plain[second] > 0.5), text


def test_bad_count_fails(tmp_path):
    r = subprocess.run([sys.executable, str(SCRIPT), "--count", "0", "-o", str(tmp_path / "x")],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "--count" in r.stderr


def test_grammar_1_unchanged(tmp_path):
    # The third step of the shipped model's provenance trained on these exact bytes.
    import hashlib
    out = tmp_path / "g1.jsonl"
    subprocess.run([sys.executable, str(SCRIPT), "--count", "20000", "--grammar", "1", "-o", str(out)],
                   check=True, capture_output=True)
    assert hashlib.md5(out.read_bytes()).hexdigest() == "26feec6d85fe26e8b0905ab241e3de37"


def test_grammar_2_targets_follow_the_construction():
    import random
    mod = load()
    fam = mod.families_v2(random.Random(3))
    target = {t: p for rows in fam.values() for t, p in rows}

    def ending(suffix):  # the targets of every sentence that ends so (its determiner varies)
        found = [p for t, p in target.items() if t.endswith(suffix)]
        assert found, suffix
        return found
    assert target["I can't recommend the kettle enough."] > 0.9     # "enough" turns it to praise
    assert target["I can't recommend the kettle."] < 0.1
    assert target["I couldn't recommend the kettle less."] < 0.1
    assert target["Nothing beats the kettle."] > 0.8
    assert target["I wish I hadn't bought the kettle."] < 0.2
    assert target["I wish I had found the kettle sooner."] > 0.8
    assert min(ending(" kettle hardly ever breaks down.")) > 0.8     # "hardly ever" + a fault: praise
    assert max(ending(" kettle hardly ever works.")) < 0.2           # "hardly ever" + a virtue: blame
    assert min(ending(" headphones hardly ever break down.")) > 0.8  # plural agreement
    assert target["Although the wait was long, I would happily go back."] > 0.8
    assert target["I would not go back, even though the staff were friendly."] < 0.2
    assert target["One star."] < 0.1 and target["Five stars."] > 0.9
    facts = dict(fam["fact-neg"] + fam["fact-pos"])
    assert all(p < 0.2 for t, p in fam["fact-neg"]) and all(p > 0.8 for t, p in fam["fact-pos"])
    assert any("arrived cold" in t for t in facts) and any("fixed it in" in t for t in facts)


def test_grammar_2_is_balanced_and_agrees(tmp_path):
    mod = load()
    rows = mod.generate(20000, 20261202, grammar=2)
    assert not mod.check(rows, 20000)
    names = {name for _, _, name in rows}
    assert {"fact-neg", "fact-pos", "idiom-pos", "idiom-neg", "enough", "verdict", "others", "rating"} <= names
    texts = [t.lower() for t, _, _ in rows]
    for wrong in ("headphones breaks", "boots looks", "headphones works", "earbuds crashes", "were delayed by 1 "):
        assert not [t for t in texts if wrong in t], wrong
