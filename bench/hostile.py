#!/usr/bin/env python3
"""Hostile clients against a running `senti serve` (bench/hostile.sh starts it): slow-header
connections, huge words, a chunked body over the limit, a header flood, deeply nested JSON and
expensive explanations. Prints one JSON line per probe: what the server answered, how long
/health and /api/predict took meanwhile, and the server's RSS (VmRSS now, VmHWM peak).
Usage: hostile.py PORT PID"""
import asyncio
import json
import socket
import sys
import threading
import time

PORT, PID = int(sys.argv[1]), int(sys.argv[2])


def rss():
    out = {}
    try:
        for line in open(f"/proc/{PID}/status"):
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1]) // 1024
    except FileNotFoundError:
        return {"alive": False}
    return {"rss_mb": out.get("VmRSS"), "peak_rss_mb": out.get("VmHWM"), "alive": True}


def request(raw, timeout=60):
    """Sends raw bytes on a new connection; returns (status, seconds) or (error, seconds)."""
    t = time.time()
    try:
        s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
        s.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        status = int(data.split(b" ")[1]) if data.startswith(b"HTTP/1.") else "no answer"
    except OSError as e:
        status = type(e).__name__
    return status, time.time() - t


def answer_after_error(s):
    """The status the server sent before it stopped reading (a 413 or 431 closes the connection)."""
    try:
        s.settimeout(5)
        data = s.recv(200)
        return int(data.split(b" ")[1]) if data.startswith(b"HTTP/1.") else "closed without an answer"
    except (OSError, IndexError, ValueError):
        return "closed without an answer"


def post(path, body, extra=b""):
    if isinstance(body, str):
        body = body.encode()
    return (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra +
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


HEALTH = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
PREDICT = post("/api/predict", '{"inputs": "A fine film with a dull ending."}', b"Connection: close\r\n")


def probe_latency(n=20, gap=0.5, timeout=10):
    """n times /health then /api/predict, each given `timeout` seconds to answer."""
    health, predict = [], []
    for _ in range(n):
        st, s = request(HEALTH, timeout=timeout)
        health.append((st, s))
        st, s = request(PREDICT, timeout=timeout)
        predict.append((st, s))
        time.sleep(gap)
    def summary(xs):
        ok = [s for st, s in xs if st == 200]
        return {"ok": len(ok), "of": len(xs), "max_s": round(max([s for _, s in xs]), 3),
                "median_s": round(sorted(s for _, s in xs)[len(xs) // 2], 4)}
    return {"health": summary(health), "predict": summary(predict)}


async def slowloris(n, every, stop):
    """n connections that each send one header line every `every` seconds, reopened when closed."""
    opened = closed = 0

    async def one():
        nonlocal opened, closed
        while not stop.is_set():
            try:
                r, w = await asyncio.open_connection("127.0.0.1", PORT)
            except OSError:
                await asyncio.sleep(1)
                continue
            opened += 1
            try:
                w.write(b"GET /health HTTP/1.1\r\nHost: x\r\n")
                await w.drain()
                while not stop.is_set():
                    await asyncio.sleep(every)
                    w.write(b"X-Slow: 1\r\n")
                    await w.drain()
                    if r.at_eof():
                        break
            except OSError:
                pass
            closed += 1
            w.close()

    tasks = [asyncio.create_task(one()) for _ in range(n)]
    while not stop.is_set():
        await asyncio.sleep(0.2)
    for t in tasks:
        t.cancel()
    return opened, closed


def run_slowloris(n=2000, every=10):
    stop = threading.Event()
    result = {}
    th = threading.Thread(target=lambda: result.update(counts=asyncio.run(slowloris(n, every, stop))))
    th.start()
    time.sleep(3)  # let them connect
    lat = probe_latency(n=10)
    during = rss()
    stop.set()
    th.join()
    opened, closed = result.get("counts", (0, 0))
    return {"probe": f"slowloris: {n} connections, a header line every {every} s", **lat, **during,
            "connections_opened": opened, "closed_by_server_or_done": closed}


def streamed(name, head, block, count, tail, unit):
    """Sends head, `count` blocks, then tail on one connection; prints the status the server gave
    (a server that stops reading answers before the client is done sending)."""
    t = time.time()
    sent = 0
    s = socket.create_connection(("127.0.0.1", PORT), timeout=60)
    try:
        s.sendall(head)
        for _ in range(count):
            s.sendall(block)
            sent += 1
        s.sendall(tail)
        answer = s.recv(200)
        status = int(answer.split(b" ")[1]) if answer.startswith(b"HTTP/1.") else "no answer"
    except OSError as e:
        status = f"{answer_after_error(s)} ({type(e).__name__} after sending {sent} {unit})"
    print(json.dumps({"probe": name, "status": status, "seconds": round(time.time() - t, 2), **rss()}), flush=True)


def main():
    print(json.dumps({"probe": "baseline", **rss()}), flush=True)
    print(json.dumps(run_slowloris()), flush=True)
    # Huge words on new connections (each lands on some worker thread).
    word = '{"inputs": "' + "a" * 1_900_000 + '"}'
    statuses = [request(post("/api/predict", word))[0] for _ in range(40)]
    print(json.dumps({"probe": "40 requests of one 1.9 MB word", "statuses": sorted(set(map(str, statuses))), **rss()}),
          flush=True)
    streamed("100 MB chunked body", b"POST /api/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
             b"100000\r\n" + b"a" * 0x100000 + b"\r\n", 100, b"0\r\n\r\n", "MB")
    streamed("2 million headers", b"GET /health HTTP/1.1\r\nHost: x\r\n", b"X-a: b\r\n" * 10000, 200, b"\r\n",
             "blocks of 10,000 headers")
    # Expensive explanations, and a small request behind them.
    text = " ".join(["the acting was good but the plot was thin and slow"] * 36)  # ~400 tokens
    big = json.dumps({"inputs": [text, text], "steps": 256, "tolerance": 0})
    small_body = json.dumps({"inputs": "fine", "steps": 8, "tolerance": 0})
    out = {}
    th = threading.Thread(target=lambda: out.update(big=request(post("/api/explain", big), timeout=600)))
    th.start()
    time.sleep(0.5)
    out["small"] = request(post("/api/explain", small_body), timeout=600)
    th.join()
    print(json.dumps({"probe": "explain: 2 x 400 tokens x 256 steps, then a small one",
                      "big": [out["big"][0], round(out["big"][1], 2)],
                      "small": [out["small"][0], round(out["small"][1], 2)], **rss()}), flush=True)
    # Deeply nested JSON (last: it killed the server before).
    n = 70000
    st, s = request(post("/api/predict", '{"inputs":"x","top_k":' + "[" * n + "]" * n + "}"))
    time.sleep(0.5)
    print(json.dumps({"probe": "JSON nested 70,000 deep", "status": st, "health_after": request(HEALTH)[0], **rss()}),
          flush=True)


main()
