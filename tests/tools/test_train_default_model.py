"""tools/train-default-model.sh, stage wiring only: a stand-in senti binary records every command
and writes the files each stage leaves, so the test checks which model each stage starts from,
where it writes, that chained short rounds and seed soups feed each other, and that a rerun
skips finished stages. No training happens here (the real stages are measured in the model card)."""
import os
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "train-default-model.sh"

FAKE_SENTI = """#!/usr/bin/env python3
import os, sys
with open(os.environ["CALLS"], "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\\n")
args = sys.argv[1:]
if "-o" in args:
    out = args[args.index("-o") + 1]
    os.makedirs(out, exist_ok=True)
    for name in ("eval_results.json", "training_metrics.json", "teacher_report.json", "train.jsonl",
                 "validation.jsonl"):
        open(os.path.join(out, name), "a").close()
"""


def make_bench(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    senti = bin_dir / "senti"
    senti.write_text(FAKE_SENTI)
    cmake = bin_dir / "cmake"  # the script builds first; nothing to build here
    cmake.write_text("#!/bin/sh\nexit 0\n")
    for p in (senti, cmake):
        p.chmod(p.stat().st_mode | stat.S_IXUSR)
    archive = tmp_path / "data" / "aclImdb-labeled.tar.gz"  # no unsup archive beside it: UNSUP=0
    archive.parent.mkdir()
    archive.write_bytes(b"")
    work = tmp_path / "work"
    (work / "aclImdb" / "test").mkdir(parents=True)
    (work / "aclImdb" / "train").mkdir(parents=True)
    return senti, archive, work


def run(tmp_path, senti, archive, work, **env_vars):
    env = dict(os.environ, SENTI=str(senti), CALLS=str(tmp_path / "calls"), INSTALL="0",
               PATH=f"{senti.parent}:{os.environ['PATH']}", **env_vars)
    r = subprocess.run(["bash", str(SCRIPT), str(archive), str(work)], capture_output=True, text=True, env=env)
    calls = (tmp_path / "calls").read_text().splitlines() if (tmp_path / "calls").exists() else []
    return r, calls


def arg(call, flag):
    words = call.split()
    return words[words.index(flag) + 1]


def trains(calls):
    return [c for c in calls if c.startswith("train ")]


def test_chained_short_rounds_start_each_from_the_one_before(tmp_path):
    senti, archive, work = make_bench(tmp_path)
    r, calls = run(tmp_path, senti, archive, work, ENCODER="ENC", TF_TEACHER="0", STUDENT_INIT="teacher",
                   SHORT_ROUND="1", SHORT_FROM="init", SHORT_LR="1e-4 5e-5")
    assert r.returncode == 0, r.stderr
    t = trains(calls)
    assert [arg(c, "-m") for c in t] == ["ENC", f"{work}/teacher", f"{work}/student-short"]
    assert [arg(c, "-o") for c in t] == [f"{work}/teacher", f"{work}/student-short", f"{work}/student-short-r2"]
    assert [arg(c, "--lr") for c in t] == ["3e-4", "1e-4", "5e-5"]
    final = [c for c in calls if c.startswith("convert ")][-1]
    assert arg(final, "-m") == f"{work}/student-short-r2" and arg(final, "-o") == f"{work}/default"
    assert "short round 2 from student-short (learning rate 5e-5)" in r.stderr


def test_seed_soups_feed_the_next_round(tmp_path):
    senti, archive, work = make_bench(tmp_path)
    r, calls = run(tmp_path, senti, archive, work, ENCODER="ENC", TF_TEACHER="0", STUDENT_INIT="teacher",
                   SHORT_ROUND="1", SHORT_FROM="init", SHORT_LR="1e-4 5e-5", SEEDS="42 43")
    assert r.returncode == 0, r.stderr
    t = trains(calls)[1:]
    assert [(arg(c, "-m"), arg(c, "-o"), arg(c, "--seed")) for c in t] == [
        (f"{work}/teacher", f"{work}/student-short", "42"),
        (f"{work}/teacher", f"{work}/student-short-s43", "43"),
        (f"{work}/soup", f"{work}/student-short-r2", "42"),
        (f"{work}/soup", f"{work}/student-short-r2-s43", "43"),
    ]
    converts = [c for c in calls if c.startswith("convert ")]
    assert arg(converts[0], "-o") == f"{work}/soup" and arg(converts[1], "-o") == f"{work}/soup-r2"
    assert arg(converts[-1], "-m") == f"{work}/soup-r2"


def test_one_rate_keeps_the_single_round(tmp_path):
    senti, archive, work = make_bench(tmp_path)
    r, calls = run(tmp_path, senti, archive, work, ENCODER="ENC", SHORT_ROUND="1")
    assert r.returncode == 0, r.stderr
    t = trains(calls)
    # teacher, student (stage 6, from the encoder), one short round from the student
    assert [arg(c, "-o") for c in t] == [f"{work}/teacher", f"{work}/student", f"{work}/student-short"]
    assert arg(t[2], "-m") == f"{work}/student" and arg(t[2], "--lr") == "5e-5"
    assert arg([c for c in calls if c.startswith("convert ")][-1], "-m") == f"{work}/student-short"


def test_a_rerun_skips_finished_stages(tmp_path):
    senti, archive, work = make_bench(tmp_path)
    env = dict(ENCODER="ENC", TF_TEACHER="0", STUDENT_INIT="teacher", SHORT_ROUND="1", SHORT_FROM="init",
               SHORT_LR="1e-4 5e-5")
    r, first = run(tmp_path, senti, archive, work, **env)
    assert r.returncode == 0, r.stderr
    r, both = run(tmp_path, senti, archive, work, **env)
    assert r.returncode == 0, r.stderr
    again = both[len(first):]
    assert trains(again) == [] and not any(c.startswith("distill-data ") for c in again)
    assert [c.split()[0] for c in again] == ["convert", "eval", "eval"]  # stage 7 always runs


def test_bad_short_from_is_a_usage_error(tmp_path):
    senti, archive, work = make_bench(tmp_path)
    r, calls = run(tmp_path, senti, archive, work, ENCODER="ENC", SHORT_FROM="teacher")
    assert r.returncode == 2 and "SHORT_FROM must be student or init, not 'teacher'" in r.stderr
    assert calls == []
