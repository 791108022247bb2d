"""The Python package against the CLI and the C++ engine: pipeline output equal to
`senti predict` byte for byte (golden fixtures and the shipped model), the pipeline's shapes
as transformers gives them, NumPy logits, explanations equal to `senti explain --json`,
tokenizer offsets, errors as Python exceptions, and threads classifying at the same time.
Run by ctest (label python) with PYTHONPATH at <build>/python."""
import json
import os
import subprocess
import threading

import numpy as np
import pytest

import senti

SOURCE = os.environ["SENTI_SOURCE_DIR"]
BINARY = os.environ["SENTI_BINARY"]
FIXTURES = os.path.join(SOURCE, "tests", "fixtures", "models")
DEFAULT = os.path.join(SOURCE, "models", "default")
TEXTS = ["the movie was great", "i hated it , a boring plot", "not very good but fun",
         "A moving, beautifully acted film.", "Two hours of my life I will never get back."]


def cli(*args, stdin=None):
    r = subprocess.run([BINARY, *args], input=stdin, capture_output=True, text=True, check=True,
                       env={**os.environ, "SENTI_MODEL": ""})
    return r.stdout


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


MODELS = [os.path.join(FIXTURES, m) for m in ("tiny-2label", "odd-3label")] + [DEFAULT]


@pytest.mark.parametrize("model", MODELS, ids=os.path.basename)
def test_pipeline_equals_senti_predict_byte_for_byte(model):
    pipe = senti.pipeline("sentiment-analysis", model=model, threads=1)
    lines = cli("predict", "-m", model, "-t", "1", *TEXTS).splitlines()
    assert len(lines) == len(TEXTS)
    for text, line in zip(TEXTS, lines):
        assert compact(pipe(text, top_k=1)) == line
    # every label, best first
    lines = cli("predict", "-m", model, "-t", "1", "--top-k", "all", *TEXTS).splitlines()
    assert [compact(r) for r in pipe(TEXTS, top_k=None)] == lines


def test_pipeline_shapes_follow_transformers():
    pipe = senti.pipeline("sentiment-analysis", model=os.path.join(FIXTURES, "tiny-2label"), threads=1)
    one = pipe("the movie was great")
    assert isinstance(one, list) and len(one) == 1 and set(one[0]) == {"label", "score"}
    many = pipe(["great", "bad"])
    assert [type(r) for r in many] == [dict, dict]
    all_labels = pipe("great", top_k=None)
    assert [r["label"] for r in all_labels] != [] and len(all_labels) == 2
    assert all_labels[0]["score"] >= all_labels[1]["score"]
    nested = pipe(["great", "bad"], top_k=None)
    assert len(nested) == 2 and all(len(r) == 2 for r in nested)
    assert pipe(["great", "bad"], top_k=1)[0][0]["label"] in ("POSITIVE", "NEGATIVE")
    raw = pipe("great", top_k=None, function_to_apply="none")
    sig = pipe("great", top_k=None, function_to_apply="sigmoid")
    by = {r["label"]: r["score"] for r in raw}
    for r in sig:
        assert r["score"] == pytest.approx(1 / (1 + np.exp(-by[r["label"]])), rel=1e-5)
    # batch_size changes nothing but the passes
    assert pipe(TEXTS, batch_size=2) == pipe(TEXTS, batch_size=64)
    # defaults given to pipeline() apply to every call
    assert senti.pipeline(model=os.path.join(FIXTURES, "tiny-2label"), top_k=None)("great") == all_labels


def test_logits_equal_the_engine_and_batched_equals_single():
    clf = senti.Classifier(os.path.join(FIXTURES, "odd-3label"), threads=1)
    lg = clf.logits(TEXTS)
    assert lg.dtype == np.float32 and lg.shape == (len(TEXTS), len(clf.labels)) == (5, 3)
    for i, t in enumerate(TEXTS):
        assert np.array_equal(clf.logits([t])[0], lg[i])
    # the scores the pipeline gives are the softmax of these logits
    probs = np.exp(lg - lg.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    top = clf.classify(TEXTS, top_k=None)
    for i in range(len(TEXTS)):
        for r in top[i]:
            assert r["score"] == pytest.approx(probs[i, clf.labels.index(r["label"])], rel=1e-5)
    assert clf.max_length > 0 and clf.info["labels"] == clf.labels


def test_explainer_equals_senti_explain_json():
    model = os.path.join(FIXTURES, "tiny-2label")
    ex = senti.Explainer(model, threads=1)
    text = "the acting was wonderful but the plot was boring"
    for method in ("ig", "gxi", "occlusion"):
        got = ex.explain(text, method=method)
        want = json.loads(cli("explain", "-m", model, "-t", "1", "--json", "--method", method, text))
        assert got == want
        assert 0 < got["baseline_score"] < 1


def test_tokenizer_offsets_cover_the_text():
    tok = senti.Tokenizer(DEFAULT)
    text = "Naïve café-goers LOVED it!"
    enc = tok.encode(text)
    assert enc["tokens"][0] == "[CLS]" and enc["tokens"][-1] == "[SEP]"
    assert len(enc["ids"]) == len(enc["offsets"]) == len(enc["attention_mask"]) == len(enc["special_tokens_mask"])
    for token, (start, end), special in zip(enc["tokens"], enc["offsets"], enc["special_tokens_mask"]):
        if not special and token != "[UNK]":
            assert text[start:end].lower().replace("ï", "i").replace("é", "e") == token.removeprefix("##")
    assert tok.encode(text, add_special_tokens=False)["ids"] == enc["ids"][1:-1]
    assert len(tok.encode("word " * 100, max_length=16)["ids"]) == 16
    assert tok.encode_batch([text, "ok"])[0] == enc


def test_errors_are_python_exceptions_with_the_clis_messages():
    with pytest.raises(FileNotFoundError, match="does not exist"):
        senti.Classifier("/nonexistent/model")
    clf = senti.Classifier(os.path.join(FIXTURES, "tiny-2label"), threads=1)
    with pytest.raises(ValueError, match="empty"):
        clf.classify([""])
    with pytest.raises(ValueError, match="truncation"):
        clf.logits(["x"], truncation="middle")
    with pytest.raises(ValueError, match="function_to_apply"):
        clf.classify(["x"], function_to_apply="tanh")
    with pytest.raises(ValueError, match="dtype"):
        senti.Classifier(os.path.join(FIXTURES, "tiny-2label"), dtype="int4")
    with pytest.raises(ValueError):
        senti.pipeline("translation")
    with pytest.raises(ValueError, match="method"):
        senti.Explainer(os.path.join(FIXTURES, "tiny-2label")).explain("x", method="lime")
    with pytest.raises(TypeError):
        senti.pipeline(model=os.path.join(FIXTURES, "tiny-2label"))("x", colour="red")
    with pytest.raises(ValueError):
        clf.classify([3])


def test_threads_classify_at_the_same_time_with_equal_answers():
    # The GIL is released in native work, so several Python threads run at once; their answers
    # equal one thread's (speed is measured in bench/, not asserted here).
    clf = senti.Classifier(DEFAULT, threads=1)
    texts = TEXTS * 20
    want = clf.classify(texts)
    results = [None] * 4

    def work(i):
        results[i] = clf.classify(texts)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == want for r in results)


def test_default_model_is_the_shipped_one():
    assert senti.default_model_dir().endswith(os.path.join("models", "default"))
    pipe = senti.pipeline()
    assert pipe("What a wonderful film, I loved every minute.")[0]["label"] == "POSITIVE"


def test_dask_cluster_scores_equal_one_process_in_input_order(tmp_path):
    # Two worker processes on a LocalCluster; each loads the model from its path once.
    import dask.bag as db
    import distributed

    import senti.dask as sd

    model = os.path.join(FIXTURES, "tiny-2label")
    texts = [f"{t} {i}" for i in range(60) for t in ("the movie was great", "a boring plot", "not very fun")]
    want = [r[0] for r in senti.Classifier(model, threads=1).classify(texts)]
    files = []
    for k in range(3):  # JSONL, CSV and plain text, 60 texts each
        chunk = texts[k * 60:(k + 1) * 60]
        if k == 0:
            p = tmp_path / "a.jsonl"
            p.write_text("".join(json.dumps({"text": t}) + "\n" for t in chunk))
        elif k == 1:
            p = tmp_path / "b.csv"
            p.write_text("id,comment\n" + "".join(f"{i},{t}\n" for i, t in enumerate(chunk)))
        else:
            p = tmp_path / "c.txt"
            p.write_text("".join(t + "\n" for t in chunk))
        files.append(p)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        got = sd.classify_bag(db.from_sequence(texts, npartitions=7), model=model).compute()
        assert got == want
        from_files = sd.classify_bag(sd.read_texts(str(tmp_path / "*")), model=model).compute()
        assert from_files == want
        # each worker process loaded the model once, whatever the number of tasks
        loaded = client.run(lambda: len(__import__("senti.dask").dask._loaded))
        assert all(n <= 1 for n in loaded.values()) and sum(loaded.values()) >= 1, loaded
        import dask.dataframe as dd
        import pandas as pd
        frame = dd.from_pandas(pd.DataFrame({"text": texts}), npartitions=4)
        scored = sd.classify_series(frame["text"], model=model).compute()
        assert list(scored["label"]) == [w["label"] for w in want]
        assert list(scored["score"]) == pytest.approx([w["score"] for w in want], rel=0, abs=0)


def test_train_and_evaluate_take_the_clis_options_and_return_dicts(tmp_path):
    data = tmp_path / "data.csv"
    pos = ["a great movie", "i loved it", "wonderful acting", "good fun", "great plot"]
    neg = ["a bad movie", "i hated it", "awful acting", "boring plot", "terrible film"]
    data.write_text("text,label\n" + "".join(f"{p},POSITIVE\n{n},NEGATIVE\n" for _ in range(6) for p, n in zip(pos, neg)))
    model = os.path.join(FIXTURES, "tiny-2label")
    out = tmp_path / "out"
    r = senti.train(model, str(data), str(out), epochs=1, batch_size=8, max_length=32, lr=1e-3, threads=1,
                    progress=False, validation_fraction=0.2, freeze="embeddings")
    assert r["finished"] is True and r["steps"] > 0
    assert 0 <= r["validation"]["accuracy"] <= 1
    m = senti.evaluate(str(out), str(data), max_length=32, threads=1)
    cli_m = json.loads(cli("eval", "-m", str(out), "--data", str(data), "--max-length", "32", "-t", "1", "--no-progress"))
    assert m == cli_m
    with pytest.raises(ValueError, match="unexpected option 'colour'"):
        senti.train(model, str(data), str(tmp_path / "o2"), colour="red")
    with pytest.raises(ValueError, match="freeze"):
        senti.train(model, str(data), str(tmp_path / "o3"), freeze="bogus")
    with pytest.raises(ValueError, match="max_time"):
        senti.train(model, str(data), str(tmp_path / "o4"), max_time="soon")
    with pytest.raises(FileNotFoundError):
        senti.evaluate(str(out), str(tmp_path / "missing.csv"))
