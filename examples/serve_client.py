#!/usr/bin/env python3
"""Scores rows with a running `rmtool serve` (standard library only).

usage: serve_client.py [URL] [ROWS.jsonl]   e.g. serve_client.py http://127.0.0.1:8080 tests/data/serve/rows.jsonl"""
import json
import sys
import urllib.request

url = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080").rstrip("/")
if len(sys.argv) > 2:
    with open(sys.argv[2], encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
else:
    rows = [{"prompt": "Tom had a big red ball.", "responses": [" He threw it to his friend.", " The stock market closed higher."]}]

# POST /score takes the rows of `rmtool score --input` and answers with the objects it writes
req = urllib.request.Request(url + "/score?per_token=1", data=json.dumps(rows).encode(),
                             headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=60) as r:
    for obj in json.load(r):
        print("line %d index %d reward %.6f over %d response tokens" % (obj["line"], obj["index"], obj["reward"], len(obj["response_ids"])))
