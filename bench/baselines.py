#!/usr/bin/python3
"""Classical baselines on the IMDb split senti's default model is measured on: trained on the
25,000 training reviews, scored on all 25,000 test reviews.
  - TF-IDF over word 1-2-grams + logistic regression;
  - NBSVM-style (Wang & Manning 2012): binarized word 1-2-gram counts scaled by the naive-Bayes
    log-count ratio, then a linear classifier (logistic regression here, as NB-LR is commonly run).
Usage: /usr/bin/python3 bench/baselines.py path/to/aclImdb   (needs Debian python3-sklearn)
Prints one JSON line per baseline: accuracy, precision, recall, F1, training seconds.
"""
import json
import os
import re
import sys
import time

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, precision_recall_fscore_support


def read(split_dir):
    texts, labels = [], []
    for label, name in ((0, "neg"), (1, "pos")):
        folder = os.path.join(split_dir, name)
        for f in sorted(os.listdir(folder)):
            with open(os.path.join(folder, f), encoding="utf-8") as fh:
                texts.append(re.sub(r"<br\s*/?>", " ", fh.read(), flags=re.I))
            labels.append(label)
    return texts, np.array(labels)


def report(name, y, pred, seconds):
    p, r, f, _ = precision_recall_fscore_support(y, pred, average="binary", pos_label=1)
    print(json.dumps({"baseline": name, "accuracy": round(accuracy_score(y, pred), 5), "precision": round(p, 5),
                      "recall": round(r, 5), "f1": round(f, 5), "train_seconds": round(seconds, 1)}), flush=True)


def main():
    root = sys.argv[1]
    xtr, ytr = read(os.path.join(root, "train"))
    xte, yte = read(os.path.join(root, "test"))
    token = r"(?u)\b\w+\b|[!?]"

    t0 = time.time()
    tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_df=0.95, sublinear_tf=True, token_pattern=token)
    a = tfidf.fit_transform(xtr)
    lr = LogisticRegression(C=8.0, max_iter=2000, solver="liblinear").fit(a, ytr)
    secs = time.time() - t0
    report("tfidf-1-2gram+logreg", yte, lr.predict(tfidf.transform(xte)), secs)

    t0 = time.time()
    cv = CountVectorizer(ngram_range=(1, 2), binary=True, token_pattern=token)
    b = cv.fit_transform(xtr)
    alpha = 1.0
    p = alpha + b[ytr == 1].sum(axis=0)
    q = alpha + b[ytr == 0].sum(axis=0)
    ratio = np.asarray(np.log((p / p.sum()) / (q / q.sum()))).ravel()
    nb = b.multiply(ratio).tocsr()
    clf = LogisticRegression(C=0.1, max_iter=2000, solver="liblinear", dual=True).fit(nb, ytr)
    secs = time.time() - t0
    report("nbsvm-1-2gram (NB-LR)", yte, clf.predict(cv.transform(xte).multiply(ratio).tocsr()), secs)


if __name__ == "__main__":
    main()
