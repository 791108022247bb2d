"""Python package throughput, measured against peers in the same run on this machine:

1. GIL release: texts/s of one Python thread against two Python threads with a Classifier
   each (threads=1 each, so the second thread can only help if native work runs without the
   GIL; one Classifier runs one forward pass at a time, as its workspace is shared).
2. Dask: the IMDb test reviews scored by ``senti.dask.classify_bag`` on a LocalCluster of 1
   and 2 worker processes (1 thread each) against single-process ``senti predict -t 1`` and
   ``-t 2`` on the same texts; the scheduler's cost per task is what separates workers × rate
   from the measured rate.

Usage: PYTHONPATH=build/release/python /usr/bin/python3 bench/python.py SENTI_BINARY MODEL IMDB_TEST_DIR [N]
Prints a Markdown table (bench/python.sh wraps it and saves the result).
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import senti


def main():
    senti_bin, model, test_dir = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 25000
    paths = sorted(glob.glob(os.path.join(test_dir, "pos", "*.txt")) + glob.glob(os.path.join(test_dir, "neg", "*.txt")))[:n]
    texts = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            texts.append(" ".join(f.read().split()))
    print(f"{len(texts)} IMDb test reviews, model {model}\n")
    rows = []

    # 1. One Python thread against two, on one Classifier with one native thread.
    clf = senti.Classifier(model, threads=1)
    sample = texts[:2000]
    clf.classify(sample[:64])  # warm up
    t0 = time.perf_counter()
    clf.classify(sample, top_k=1)
    one = len(sample) / (time.perf_counter() - t0)
    halves = [sample[0::2], sample[1::2]]
    # A Classifier runs one forward pass at a time (one workspace): a thread each, a Classifier each.
    clfs = [clf, senti.Classifier(model, threads=1)]
    clfs[1].classify(sample[:64])
    t0 = time.perf_counter()
    workers = [threading.Thread(target=c.classify, args=(h,)) for c, h in zip(clfs, halves)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    two = len(sample) / (time.perf_counter() - t0)
    rows.append(("1 Python thread (Classifier threads=1)", f"{one:.1f}", ""))
    rows.append(("2 Python threads, a Classifier each (threads=1)", f"{two:.1f}", f"{two / one:.2f}× of 1 thread"))

    # 2. senti predict in one process, then Dask with 1 and 2 workers.
    with tempfile.TemporaryDirectory() as work:
        src = os.path.join(work, "texts.jsonl")
        with open(src, "w", encoding="utf-8") as f:
            for t in texts:
                f.write(json.dumps({"text": t}) + "\n")
        for th in (1, 2):
            t0 = time.perf_counter()
            subprocess.run([senti_bin, "predict", "-m", model, "-t", str(th), "--file", src, "--no-progress", "-b", "64"],
                           check=True, stdout=subprocess.DEVNULL)
            rate = len(texts) / (time.perf_counter() - t0)
            rows.append((f"senti predict -t {th} (one process, load included)", f"{rate:.1f}", ""))
            if th == 1:
                base = rate
        import dask.bag as db
        from distributed import Client, LocalCluster

        import senti.dask as sd

        for nw in (1, 2):
            with LocalCluster(n_workers=nw, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                    Client(cluster):
                bag = db.from_sequence(texts, npartitions=max(8, 4 * nw))
                sd.classify_bag(db.from_sequence(texts[:64], npartitions=nw), model=model).compute()  # load the model
                t0 = time.perf_counter()
                out = sd.classify_bag(bag, model=model).compute()
                rate = len(texts) / (time.perf_counter() - t0)
                assert len(out) == len(texts)
                rows.append((f"Dask, {nw} worker(s) × 1 thread (model loaded)", f"{rate:.1f}",
                             f"{rate / base:.2f}× senti predict -t 1"))

    print("| case | texts/s | ratio |\n|---|---:|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")


if __name__ == "__main__":  # Dask's worker processes import this file again
    main()
