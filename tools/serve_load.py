#!/usr/bin/env python3
"""Bounded loopback load on `rmtool serve`: CLIENTS threads each POST REQUESTS rows (one row a
request, cycling through the file) to /score, one request at a time. Prints one JSON object:
requests, errors (non-200), lost (no answer), latency p50/p99 in ms, responses scored per second.
Standard library only.

usage: serve_load.py URL ROWS.jsonl CLIENTS REQUESTS [TIME_LIMIT_S]"""
import json
import sys
import threading
import time
import urllib.error
import urllib.request


def main():
    url, path, clients, per = sys.argv[1].rstrip("/"), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    limit = float(sys.argv[5]) if len(sys.argv) > 5 else 300.0
    with open(path, encoding="utf-8") as f:
        rows = [line.strip() for line in f if line.strip()]
    lat, errors, lost, scored = [], [0], [0], [0]
    lock = threading.Lock()
    t_end = time.monotonic() + limit

    def client(c):
        for i in range(per):
            if time.monotonic() > t_end:
                with lock:
                    lost[0] += per - i  # not sent: the run hit its time limit
                return
            body = rows[(c * per + i) % len(rows)].encode()
            req = urllib.request.Request(url + "/score", data=body, headers={"Content-Type": "application/json"})
            t0 = time.monotonic()
            try:
                with urllib.request.urlopen(req, timeout=120) as r:
                    out = json.load(r)
                    ok = r.status == 200 and all("reward" in o for o in out)
            except urllib.error.HTTPError:
                ok, out = False, []
            except Exception:
                with lock:
                    lost[0] += 1
                continue
            dt = time.monotonic() - t0
            with lock:
                lat.append(dt)
                if ok:
                    scored[0] += len(out)
                else:
                    errors[0] += 1

    t0 = time.monotonic()
    th = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    wall = time.monotonic() - t0
    lat.sort()

    def q(p):
        return round(1000 * lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else None

    print(json.dumps({"clients": clients, "requests": clients * per, "answered": len(lat), "errors": errors[0], "lost": lost[0],
                      "p50_ms": q(0.50), "p99_ms": q(0.99), "responses": scored[0], "seconds": round(wall, 3),
                      "pairs_per_s": round(scored[0] / wall, 2) if wall > 0 else None}))


if __name__ == "__main__":
    main()
