#!/usr/bin/env python3
"""Turns the preference samples in tests/data/prefs into the score rows `rmtool score --input`
and `rmtool serve`'s /score read: {prompt|messages, responses: [chosen, rejected]} per pair, and
{prompt, response} for the chosen reply alone. Standard library only; deterministic.

usage: tools/prefs_to_rows.py tests/data/prefs/*.jsonl > rows.jsonl"""
import json
import sys

TAG = "\n\nAssistant:"


def reply(v):
    # a response is a string or a message list ending with the assistant's turn
    return v if isinstance(v, str) else v[-1]["content"]


def rows(o):
    if "input" in o:  # OpenAI DPO
        msgs = o["input"]["messages"]
        return [{"messages": msgs, "responses": [reply(o["preferred_output"]), reply(o["non_preferred_output"])]}]
    if "prompt" in o:  # UltraFeedback
        return [{"prompt": o["prompt"], "responses": [reply(o["chosen"]), reply(o["rejected"])]},
                {"prompt": o["prompt"], "response": reply(o["chosen"])}]
    c, r = o["chosen"], o["rejected"]  # HH-RLHF: split at the last assistant tag
    cut = c.rfind(TAG) + len(TAG)
    return [{"prompt": c[:cut], "responses": [c[cut:], r[cut:]]}]


def main():
    n = 0
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    for row in rows(json.loads(line)):
                        n += 1
                        row["id"] = "r%d" % n
                        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
