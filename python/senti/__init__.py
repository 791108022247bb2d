"""senti: sentiment analysis with DistilBERT in native C++, from Python.

``senti.pipeline`` keeps the contract of Hugging Face's text-classification pipeline, so
replacing ``transformers.pipeline`` by ``senti.pipeline`` in a script (a Gradio app, say) is a
one-line change::

    import senti
    classify = senti.pipeline("sentiment-analysis")            # the model senti ships
    classify("I loved this movie.")                             # [{'label': 'POSITIVE', 'score': 0.98}]
    classify(["Great.", "Awful."], top_k=None)                  # every label, per text

``Classifier`` gives raw logits as NumPy arrays, ``Explainer`` the word attributions of
``senti explain --json``, ``Tokenizer`` the tokens with offsets. Native work releases the GIL:
threads classify concurrently. Errors are ``FileNotFoundError`` (a missing model or file),
``ValueError`` (a bad argument or malformed file) or ``OSError``, with the CLI's messages.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from . import _senti

__all__ = ["pipeline", "Pipeline", "Classifier", "Explainer", "Tokenizer", "train", "evaluate", "default_model_dir",
           "__version__"]
__version__ = "0.1.0"

_TASKS = ("sentiment-analysis", "text-classification")


def default_model_dir() -> str:
    """``$SENTI_MODEL``, else the model senti ships (``models/default`` of the source tree)."""
    return _senti.default_model_dir()


def _truncation_name(truncation: Union[bool, str, None]) -> str:
    # transformers' True means "cut what does not fit"; senti cuts head+tail by default (Sun et
    # al. 2019), which reads long reviews better than the head alone.
    if truncation is None or truncation is True:
        return "head+tail"
    if truncation is False:
        raise ValueError("truncation=False is not supported: senti always fits a text to the model "
                         "(use truncation='head', 'tail' or 'head+tail', or a sliding window)")
    if isinstance(truncation, str):
        return truncation
    raise ValueError(f"truncation must be True, 'head', 'tail' or 'head+tail', got {truncation!r}")


def _as_list(texts: Union[str, Sequence[str]], what: str = "inputs") -> List[str]:
    if isinstance(texts, str):
        return [texts]
    if not isinstance(texts, (list, tuple)) or not all(isinstance(t, str) for t in texts):
        raise ValueError(f"{what} must be a string or a list of strings")
    return list(texts)


class Classifier:
    """A DistilBERT sequence classifier (a Hugging Face folder: config.json, model.safetensors,
    vocab.txt or tokenizer.json).

    ``dtype``: "f32" (default), "bf16", "int8" or "auto" (as ``senti predict --dtype``).
    ``threads``: threads for this object's work (0 = all cores, or ``$SENTI_THREADS``).
    """

    def __init__(self, model: Optional[str] = None, dtype: str = "f32", threads: int = 0):
        self._c = _senti.Classifier(model or "", dtype, threads)

    @property
    def labels(self) -> List[str]:
        """The labels, in the order of the logits' columns."""
        return list(self._c.labels)

    @property
    def max_length(self) -> int:
        """Tokens the model reads per text (including [CLS] and [SEP])."""
        return self._c.max_length

    @property
    def info(self) -> Dict[str, Any]:
        """Path, labels, shape, parameters and dtypes, as the server's /info reports them."""
        return dict(self._c.info)

    def logits(self, texts: Union[str, Sequence[str]], truncation: Union[bool, str] = True, max_length: int = 0,
               head_tokens: int = 0, window: int = 0, stride: int = 0) -> np.ndarray:
        """Raw logits, a float32 array of shape (len(texts), len(labels)). ``window``/``stride``:
        a sliding window over long texts (logits averaged over the windows)."""
        return self._c.logits(_as_list(texts, "texts"), _truncation_name(truncation), max_length, head_tokens,
                              window, stride)

    def classify(self, texts: Union[str, Sequence[str]], top_k: Optional[int] = 1, function_to_apply: str = "default",
                 truncation: Union[bool, str] = True, max_length: int = 0, head_tokens: int = 0, window: int = 0,
                 stride: int = 0) -> List[List[Dict[str, Any]]]:
        """Per text, labels with scores, best first: ``top_k`` of them (None = all)."""
        k = -1 if top_k is None else int(top_k)
        if top_k is not None and k < 1:
            raise ValueError(f"top_k must be a positive integer or None, got {top_k!r}")
        rows = self._c.classify(_as_list(texts, "texts"), k, function_to_apply, _truncation_name(truncation), max_length,
                                head_tokens, window, stride)
        return [[{"label": label, "score": score} for label, score in row] for row in rows]


class Pipeline:
    """What ``pipeline("sentiment-analysis")`` returns: a callable with the Hugging Face
    text-classification pipeline's contract.

    - ``pipe("text")`` → ``[{"label", "score"}]`` (a one-element list);
    - ``pipe(["a", "b"])`` → ``[{...}, {...}]``, one dict per text;
    - with ``top_k`` (``None`` = every label): a list of dicts for a string, a list of such lists
      for a list of strings;
    - ``function_to_apply``: "default" (softmax, or sigmoid for one label), "softmax", "sigmoid",
      "none"; ``truncation``: True (senti's head+tail), "head", "tail", "head+tail";
      ``batch_size``: texts per forward pass.
    """

    _UNSET = object()

    def __init__(self, classifier: Classifier, batch_size: int = 32, **defaults: Any):
        self.classifier = classifier
        self.batch_size = batch_size
        self.defaults = defaults

    @property
    def model(self) -> Classifier:
        return self.classifier

    def __call__(self, inputs: Union[str, Sequence[str]], top_k: Any = _UNSET, function_to_apply: str = "default",
                 truncation: Union[bool, str] = True, batch_size: Optional[int] = None, **kwargs: Any):
        options = {k: v for k, v in self.defaults.items() if k != "top_k"}
        options.update(kwargs)
        unknown = set(options) - {"max_length", "head_tokens", "window", "stride"}
        if unknown:
            raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
        if top_k is Pipeline._UNSET and "top_k" in self.defaults:
            top_k = self.defaults["top_k"]
        legacy = top_k is Pipeline._UNSET  # transformers: no top_k → one dict per text
        single = isinstance(inputs, str)
        texts = _as_list(inputs)
        size = batch_size or self.batch_size
        if size < 1:
            raise ValueError(f"batch_size must be at least 1, got {size}")
        results: List[List[Dict[str, Any]]] = []
        for start in range(0, len(texts), size):
            results += self.classifier.classify(texts[start:start + size], top_k=1 if legacy else top_k,
                                                function_to_apply=function_to_apply, truncation=truncation, **options)
        if legacy:
            return [r[0] for r in results]
        return results[0] if single else results


def pipeline(task: str = "sentiment-analysis", model: Optional[str] = None, dtype: str = "f32", threads: int = 0,
             batch_size: int = 32, **kwargs: Any) -> Pipeline:
    """A text-classification pipeline, as ``transformers.pipeline(task, model=...)`` builds one.

    ``task``: "sentiment-analysis" or "text-classification". ``model``: a Hugging Face DistilBERT
    folder (None: ``$SENTI_MODEL``, else the model senti ships). ``dtype``, ``threads``: as for
    :class:`Classifier`. Other keyword arguments (``top_k``, ``max_length``, ``window``,
    ``stride``) become the call's defaults.
    """
    if task not in _TASKS:
        raise ValueError(f"senti.pipeline does {' and '.join(_TASKS)}, not {task!r}")
    return Pipeline(Classifier(model, dtype=dtype, threads=threads), batch_size=batch_size, **kwargs)


class Explainer:
    """Which words made the model decide: the same answer as ``senti explain --json``."""

    def __init__(self, model: Optional[str] = None, threads: int = 0):
        self._e = _senti.Explainer(model or "", threads)

    @property
    def labels(self) -> List[str]:
        return list(self._e.labels)

    def explain(self, text: str, method: str = "ig", steps: int = 32, tolerance: float = 0.02, max_steps: int = 256,
                label: Optional[str] = None, truncation: Union[bool, str] = True, max_length: int = 0,
                head_tokens: int = 0) -> Dict[str, Any]:
        """``method``: "ig" (integrated gradients), "gxi" (gradient × input) or "occlusion".
        Returns {"label", "score", "predicted", "log_odds", "method", "baseline_score",
        "words": [{"word", "start", "end", "score"}], "tokens": [...], ...}; spans count code
        points, scores are log-odds (> 0 supports the label)."""
        if not isinstance(text, str):
            raise ValueError("text must be a string")
        return json.loads(self._e.explain_json(text, method, steps, tolerance, max_steps, label or "",
                                               _truncation_name(truncation), max_length, head_tokens))


class Tokenizer:
    """The model's WordPiece tokenizer (vocab.txt or tokenizer.json in a model folder, or the file
    itself), with offsets in code points as Hugging Face's ``tokenizers`` gives them."""

    def __init__(self, path: Optional[str] = None):
        self._t = _senti.Tokenizer(path or default_model_dir())

    @property
    def vocab_size(self) -> int:
        return self._t.vocab_size

    def encode(self, text: str, add_special_tokens: bool = True, max_length: int = 0,
               truncation: str = "head") -> Dict[str, Any]:
        """{"ids", "tokens", "offsets" [(start, end)], "type_ids", "attention_mask",
        "special_tokens_mask", "num_truncated"}."""
        if not isinstance(text, str):
            raise ValueError("text must be a string")
        return self._t.encode_batch([text], add_special_tokens, max_length, truncation)[0]

    def encode_batch(self, texts: Sequence[str], add_special_tokens: bool = True, max_length: int = 0,
                     truncation: str = "head") -> List[Dict[str, Any]]:
        return self._t.encode_batch(_as_list(texts, "texts"), add_special_tokens, max_length, truncation)


def _seconds(duration: Union[int, float, str]) -> float:
    """90, "90s", "20m", "1h30m" → seconds (as senti train --max-time reads them)."""
    if isinstance(duration, (int, float)):
        return float(duration)
    import re
    parts = re.fullmatch(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?", duration.strip())
    if not duration.strip() or not parts:
        raise ValueError(f"max_time must be seconds or a duration like 20m or 1h30m, got {duration!r}")
    h, m, s = (float(x) if x else 0.0 for x in parts.groups())
    return h * 3600 + m * 60 + s


def train(model: str, data: str, out: str, **options: Any) -> Dict[str, Any]:
    """Fine-tunes ``model`` (a checkpoint folder) on ``data`` (an aclImdb-style folder, .csv or
    .jsonl) into ``out``, as ``senti train`` does; options are its flags with underscores
    (``epochs=2, batch_size=16, lr=5e-5, max_length=256, freeze="embeddings,0-3", bf16=True,
    resume=True, max_time="20m", labels=[...], threads=0, progress=True`` ...). Returns
    {"finished", "steps", "seconds", "best_epoch", "validation": {metrics}}."""
    if "max_time" in options:
        options["max_time"] = _seconds(options["max_time"])
    return json.loads(_senti.train(dict(model=model, data=data, out=out, **options)))


def evaluate(model: Optional[str], data: str, truncation: Union[bool, str] = True, max_length: int = 0,
             head_tokens: int = 0, window: int = 0, stride: int = 0, batch_size: int = 32, threads: int = 0,
             skip_bad_rows: bool = False, progress: bool = False, report: Optional[str] = None) -> Dict[str, Any]:
    """Metrics of ``model`` on labelled ``data``, as ``senti eval`` prints them: {"n", "loss",
    "accuracy", "precision", "recall", "f1", "roc_auc", "ece", "confusion_matrix",
    "calibration"}. ``report``: also write the HTML report there."""
    return json.loads(_senti.evaluate(model or "", data, _truncation_name(truncation), max_length, head_tokens, window,
                                      stride, batch_size, threads, skip_bad_rows, progress, report or ""))
