"""Batch scoring on a Dask ``distributed`` cluster.

Every worker process loads the model once, from a path (the model is never pickled or sent over
the network: each task carries the path and the options only), and keeps it for the tasks that
follow. Partitions keep their order, so results come back in input order::

    from dask.distributed import Client
    import senti.dask

    client = Client("scheduler:8786")                       # or LocalCluster()
    bag = senti.dask.read_texts("reviews/*.jsonl")          # JSONL ({"text": ...}), CSV or plain lines
    scored = senti.dask.classify_bag(bag, model="/models/senti", threads=1)
    scored.to_textfiles("out/*.jsonl", name_function=str)   # or .compute() for a list

``classify_bag`` scores a bag of strings into a bag of ``{"label", "score"}`` dicts (a list per
text with ``top_k``); ``classify_series`` adds ``label`` and ``score`` columns for a dask
dataframe's text column. The model folder must be readable at the same path on every worker
(a shared file system, or the same image).
"""
from __future__ import annotations

import csv
import io
import json
import threading
from typing import Any, Dict, Iterable, List, Optional, Tuple

from . import Classifier, default_model_dir

__all__ = ["classify_bag", "classify_series", "read_texts", "classify_partition"]

_lock = threading.Lock()
_loaded: Dict[Tuple[str, str, int], Classifier] = {}


def _classifier(model: str, dtype: str, threads: int) -> Classifier:
    """This worker's classifier for (model, dtype, threads), loaded on first use."""
    key = (model, dtype, threads)
    with _lock:
        if key not in _loaded:
            _loaded[key] = Classifier(model, dtype=dtype, threads=threads)
        return _loaded[key]


def classify_partition(texts: Iterable[str], model: str, dtype: str = "f32", threads: int = 1,
                       top_k: Optional[int] = 1, batch_size: int = 64, **read: Any) -> List[Any]:
    """Scores one partition with this worker's classifier: a dict per text (top_k=1), else a
    list of dicts per text (top_k=None: every label)."""
    clf = _classifier(model, dtype, threads)
    texts = list(texts)
    out: List[Any] = []
    for start in range(0, len(texts), batch_size):
        rows = clf.classify(texts[start:start + batch_size], top_k=top_k, **read)
        out += [r[0] for r in rows] if top_k == 1 else rows
    return out


def classify_bag(bag, model: Optional[str] = None, dtype: str = "f32", threads: int = 1, top_k: Optional[int] = 1,
                 batch_size: int = 64, **read: Any):
    """A dask bag of texts → a bag of results in the same order (see ``classify_partition``).
    ``threads``: compute threads per worker process (1 when a worker runs one task at a time on
    one core)."""
    path = model or default_model_dir()
    return bag.map_partitions(classify_partition, path, dtype, threads, top_k, batch_size, **read)


def classify_series(series, model: Optional[str] = None, dtype: str = "f32", threads: int = 1, batch_size: int = 64,
                    **read: Any):
    """A dask dataframe column of texts → a dask dataframe with ``label`` and ``score`` columns,
    same index and order."""
    import pandas as pd

    path = model or default_model_dir()

    def part(s: "pd.Series") -> "pd.DataFrame":
        res = classify_partition(s.tolist(), path, dtype, threads, 1, batch_size, **read)
        return pd.DataFrame({"label": [r["label"] for r in res], "score": [r["score"] for r in res]}, index=s.index)

    meta = pd.DataFrame({"label": pd.Series(dtype="object"), "score": pd.Series(dtype="float64")})
    return series.map_partitions(part, meta=meta)


def _texts_of(name: str, content: str, column: Optional[str]) -> List[str]:
    if name.endswith(".csv"):
        rows = list(csv.DictReader(io.StringIO(content)))
        if not rows:
            return []
        names = [column] if column else ["text", "review", "sentence", "content", "comment", "body", "message"]
        col = next((c for c in rows[0] if c and c.strip().lower() in names), None)
        if col is None:
            raise ValueError(f"{name}: no text column (one of {', '.join(names)}) among {', '.join(rows[0])}")
        return [r[col] for r in rows]
    texts = []
    for line in content.splitlines():
        if name.endswith(".jsonl"):
            if line.strip():
                texts.append(json.loads(line)["text"])
        else:
            texts.append(line)
    return texts


def read_texts(pattern: str, column: Optional[str] = None):
    """A bag of texts from files matching ``pattern`` (a glob, local or on a shared file system),
    one partition per file, in name order: ``.jsonl`` ({"text": ...} per line), ``.csv`` (the
    text column by name, or ``column``) or plain text (one text per line)."""
    import glob

    import dask.bag as db
    from dask import delayed

    paths = sorted(glob.glob(pattern))
    if not paths:
        raise FileNotFoundError(f"no files match {pattern!r}")

    def load(path: str) -> List[str]:
        with open(path, encoding="utf-8") as f:
            return _texts_of(path, f.read(), column)

    return db.from_delayed([delayed(load)(p) for p in paths])
