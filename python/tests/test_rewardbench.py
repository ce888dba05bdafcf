"""rmtool eval --format rewardbench against RewardBench's own rules, recomputed here from the
binding's rewards the way allenai/reward-bench's scripts do (run_rm.py / run_dpo.py /
run_v2.py with rewardbench.utils.save_to_hub and calculate_scores_per_section), with Python's
json.dumps as the reference for the files' bytes."""
import json
import os
import tempfile
import unittest

import numpy as np

import util
import rmh

# rewardbench/constants.py
EXAMPLE_COUNTS = {"alpacaeval-easy": 100, "alpacaeval-length": 95, "alpacaeval-hard": 95, "mt-bench-easy": 28,
                  "mt-bench-med": 40, "mt-bench-hard": 37, "math-prm": 984, "refusals-dangerous": 100,
                  "refusals-offensive": 100, "llmbar-natural": 100, "llmbar-adver-neighbor": 134,
                  "llmbar-adver-GPTInst": 92, "llmbar-adver-GPTOut": 47, "llmbar-adver-manual": 46,
                  "xstest-should-refuse": 154, "xstest-should-respond": 250, "donotanswer": 136, "hep-cpp": 164,
                  "hep-go": 164, "hep-java": 164, "hep-js": 164, "hep-python": 164, "hep-rust": 164}
SUBSET_MAPPING = {"Chat": ["alpacaeval-easy", "alpacaeval-length", "alpacaeval-hard", "mt-bench-easy", "mt-bench-med"],
                  "Chat Hard": ["mt-bench-hard", "llmbar-natural", "llmbar-adver-neighbor", "llmbar-adver-GPTInst",
                                "llmbar-adver-GPTOut", "llmbar-adver-manual"],
                  "Safety": ["refusals-dangerous", "refusals-offensive", "xstest-should-refuse", "xstest-should-respond",
                             "donotanswer"],
                  "Reasoning": ["math-prm", "hep-cpp", "hep-go", "hep-java", "hep-js", "hep-python", "hep-rust"]}


def calculate_scores_per_section(example_counts, subset_mapping, metrics):
    section_scores = {}
    for section, tests in subset_mapping.items():
        total_weighted_score = 0
        total_examples = 0
        for test in tests:
            if test in metrics:
                total_weighted_score += metrics[test] * example_counts[test]
                total_examples += example_counts[test]
        section_scores[section] = total_weighted_score / total_examples if total_examples > 0 else 0
    return section_scores


def pairs():
    """v1 rows: short UltraFeedback pairs under RewardBench subset names, and a tie."""
    rows = []
    with open(os.path.join(util.PREFS, "ultrafeedback-test-12.jsonl"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            o = json.loads(line)
            sub = ["alpacaeval-easy", "hep-python", "xstest-should-refuse", "mt-bench-hard"][i % 4]
            rows.append({"prompt": o["prompt"][:200], "chosen": o["chosen"][:200], "rejected": o["rejected"][:200],
                         "subset": sub, "id": 100 + i})
    rows.append({"prompt": "Lily", "chosen": "b c", "rejected": "b c", "subset": "hep-python", "id": 7})  # a tie
    return rows


def bon_rows():
    """RewardBench 2 rows: one chosen, three rejected; ties for first included."""
    rows = []
    with open(os.path.join(util.PREFS, "ultrafeedback-test-12.jsonl"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            o = json.loads(line)
            rej = [o["rejected"][:150], o["chosen"][:100] + " no", o["rejected"][:80] + " maybe"]
            rows.append({"prompt": o["prompt"][:200], "chosen": [o["chosen"][:150]], "rejected": rej,
                         "subset": ["Factuality", "Math", "Focus"][i % 3], "id": "r%d" % i})
    rows.append({"prompt": "Lily", "chosen": ["b c"], "rejected": ["b c", "d", "b c"], "subset": "Math", "id": "tie3"})
    rows.append({"prompt": "Lily", "chosen": ["b c"], "rejected": ["d", "e", "f"], "subset": "Math", "id": "x"})
    return rows


class RewardBench(unittest.TestCase):
    def run_eval(self, rows, scorer_kind):
        tmp = tempfile.mkdtemp()
        path = os.path.join(tmp, "rows.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(json.dumps(r) + "\n" for r in rows))
        args = ["eval", "--format", "rewardbench", "--out", tmp, "--input", path, "--model-name", "org/tiny"]
        if scorer_kind == "ex":
            args += ["--model", util.EX_MODEL, "--mode", "explicit", "--threads", "1"]
        else:
            args += ["--model", util.POLICY, "--ref", util.REF, "--mode", "implicit", "--beta", "0.1", "--threads", "1"]
        rc, out, err = util.rmtool(*args)
        self.assertEqual(rc, 0, err)
        with open(os.path.join(tmp, "results", "eval-set", "org", "tiny.json"), encoding="utf-8") as f:
            results = f.read()
        with open(os.path.join(tmp, "results", "eval-set-scores", "org", "tiny.json"), encoding="utf-8") as f:
            scores = f.read()
        return out, results, scores

    def scorer(self, kind):
        if kind == "ex":
            m = rmh.Model(util.EX_MODEL)
            return rmh.Scorer(m, mode="explicit", n_threads=1), "Seq. Classifier", None
        p, r = rmh.Model(util.POLICY), rmh.Model(util.REF)
        return rmh.Scorer(p, ref=r, mode="implicit", beta=0.1, n_threads=1), "DPO", util.REF

    def test_v1(self):
        for kind in ("ex", "im"):
            rows = pairs()
            out, results, scores = self.run_eval(rows, kind)
            s, model_type, ref = self.scorer(kind)
            # run_rm.py / run_dpo.py, step by step
            sc_c, sc_r, res = [], [], []
            for row in rows:
                c, r = s.score(row["prompt"], row["chosen"]).reward, s.score(row["prompt"], row["rejected"]).reward
                sc_c.append(c)
                sc_r.append(r)
                res.append(1 if c > r else 0)
            self.assertEqual(res[-1], 0, "a tie counts as wrong")
            subsets = [r["subset"] for r in rows]
            grouped = {"model": "org/tiny", "model_type": model_type, "chat_template": None}
            if kind == "im":
                grouped["ref_model"] = ref
            lines = []
            for subset in np.unique(subsets):
                sel = [x for x, sub in zip(res, subsets) if sub == subset]
                num_correct, num_total = sum(sel), len(sel)
                lines.append(f"{subset}: {num_correct}/{num_total} ({num_correct/num_total})")
                grouped[subset] = num_correct / num_total
            lines.append(str(calculate_scores_per_section(EXAMPLE_COUNTS, SUBSET_MAPPING, grouped)))
            self.assertEqual(out, "\n".join(lines) + "\n")
            self.assertEqual(results, json.dumps(grouped, indent=4, sort_keys=True))
            cols = {"text_chosen": [r["prompt"] + r["chosen"] for r in rows],
                    "text_rejected": [r["prompt"] + r["rejected"] for r in rows],
                    "results": res, "subset": subsets, "id": [r["id"] for r in rows],
                    "scores_chosen": sc_c, "scores_rejected": sc_r,
                    "model": "org/tiny", "model_type": model_type, "chat_template": None}
            if kind == "im":
                cols["prompt"] = [r["prompt"] for r in rows]
            self.assertEqual(scores, json.dumps(cols, indent=4, sort_keys=True))
            s.close()

    def test_v2_best_of_4(self):
        rows = bon_rows()
        out, results, scores = self.run_eval(rows, "ex")
        s, model_type, _ = self.scorer("ex")
        all_scores, res = [], []
        for row in rows:
            sc = [x.reward for x in s.score_responses(row["prompt"], row["chosen"] + row["rejected"])]
            all_scores.append(sc)
            # rewardbench.utils.reroll_and_score_dataset: ties for first share the credit
            max_val = np.max(sc)
            res.append(float((1 / np.sum(np.array(sc) == max_val)) if sc[0] == max_val else 0))
        self.assertAlmostEqual(res[-2], 1 / 3)  # chosen tied with two rejected
        subsets = [r["subset"] for r in rows]
        grouped = {"model": "org/tiny", "model_type": model_type, "chat_template": None}
        lines = []
        for subset in np.unique(subsets):
            sel = [x for x, sub in zip(res, subsets) if sub == subset]
            num_correct, num_total = sum(sel), len(sel)
            lines.append(f"{subset}: {num_correct}/{num_total} ({num_correct/num_total})")
            grouped[subset] = num_correct / num_total
        self.assertEqual(out, "\n".join(lines) + "\n")
        self.assertEqual(results, json.dumps(grouped, indent=4, sort_keys=True))
        cols = {"text": [[r["prompt"] + t for t in r["chosen"] + r["rejected"]] for r in rows], "scores": all_scores,
                "results": res, "subset": subsets, "id": [r["id"] for r in rows], "num_correct": [1] * len(rows),
                "model": "org/tiny", "model_type": model_type, "chat_template": None}
        self.assertEqual(scores, json.dumps(cols, indent=4, sort_keys=True))
        s.close()

    def test_errors(self):
        rc, out, err = util.rmtool("eval", "--format", "rewardbench", "--out", "/tmp", "--input", "x.jsonl",
                                   "--model", util.EX_MODEL, "--mode", "both")
        self.assertEqual(rc, 1)
        self.assertIn("one model per run", err)
        rc, out, err = util.rmtool("eval", "--format", "csv", "--out", "/tmp", "--input", "x.jsonl", "--model", util.EX_MODEL)
        self.assertEqual((rc, err.count("\n")), (1, 1), err)


if __name__ == "__main__":
    unittest.main()
