"""Shared by the binding's tests: paths, the scoring rows built from tests/data/prefs, and
running build/rmtool."""
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
MODELS = os.path.join(ROOT, "tests", "data", "models")
PREFS = os.path.join(ROOT, "tests", "data", "prefs")
RMTOOL = os.environ.get("RMTOOL", os.path.join(ROOT, "build", "rmtool"))
if "RMH_LIB" not in os.environ:
    os.environ["RMH_LIB"] = os.path.join(ROOT, "build", "librm.so")

EX_MODEL = os.path.join(MODELS, "tiny-qwen2-rm.gguf")
POLICY = os.path.join(MODELS, "tiny-qwen2.gguf")
REF = os.path.join(MODELS, "tiny-qwen2-q8_0.gguf")


def score_rows():
    """Scoring rows of `rmtool score --input` from the preference samples: each pair's chosen
    and rejected as `responses` to its prompt (UltraFeedback) or messages (OpenAI DPO), plus
    short pairs and rows that must fail (a missing response, a non-object)."""
    rows = []

    def cut(v):  # texts cut to 300 characters so that most rows fit the fixtures' context of 1024
        if isinstance(v, str):
            return v[:300]
        return [dict(m, content=m["content"][:300]) for m in v]

    with open(os.path.join(PREFS, "ultrafeedback-test-12.jsonl"), encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            c = (lambda v: v) if not rows else cut  # the first row, whole, exceeds the context
            rows.append({"id": "uf%d" % len(rows), "prompt": c(o["prompt"]), "responses": [c(o["chosen"]), c(o["rejected"])]})
    with open(os.path.join(PREFS, "orca_dpo_pairs-12.jsonl"), encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            rows.append({"id": len(rows), "messages": cut(o["input"]["messages"]),
                         "responses": [cut(o["preferred_output"]), cut(o["non_preferred_output"])]})
    rows.append({"prompt": "Tom had a big red ball.", "response": " He threw the ball to his friend."})
    rows.append({"prompt": "Lily", "responses": ["a", "b c", "d e f"]})
    return rows


def write_rows(path, rows, bad_lines=True):
    """JSONL of rows; with bad_lines, line 3 is not JSON and line 5 has no response."""
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    if bad_lines:
        lines.insert(2, "{not json")
        lines.insert(4, json.dumps({"prompt": "no response here"}))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return len(lines)


def rmtool(*args, stdin=None):
    p = subprocess.run([RMTOOL] + list(args), input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def cli_args(kind):
    """rmtool options matching binding_kwargs(kind)."""
    if kind == "ex":
        return ["--model", EX_MODEL, "--mode", "explicit", "--threads", "1"]
    return ["--model", POLICY, "--ref", REF, "--mode", "implicit", "--beta", "0.1", "--threads", "1", "--per-token"]
