"""The binding against build/rmtool (bit for bit), its row formats, its errors, and threads."""
import json
import struct
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import util  # noqa: F401  (sets sys.path and RMH_LIB)
import rmh
import rmh.jsonl


def hexes(v):
    return [float(x).hex() for x in v]


class CliParity(unittest.TestCase):
    """Every reward, token id, log-prob and contribution equals what `rmtool score --input`
    writes for the same rows, bit for bit (float.hex), and every failing line fails the same way."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.rows_path = os.path.join(cls.tmp, "rows.jsonl")
        util.write_rows(cls.rows_path, util.score_rows())

    def check_kind(self, kind, scorer):
        rc, out, err = util.rmtool("score", "--input", self.rows_path, *util.cli_args(kind))
        self.assertEqual(rc, 1, "rmtool exits 1 when a line fails: " + err)
        with open(self.rows_path, "rb") as f:
            text, errors = rmh.jsonl.score_lines(scorer, rmh.jsonl.split_lines(f.read()), per_token=(kind == "im"))
        want, got = out.splitlines(), text.splitlines()
        self.assertEqual(len(got), len(want))
        n_scored = 0
        for w, g in zip(want, got):
            if w.startswith('{"line":3,"error":"invalid JSON: '):  # the parsers word the fault differently
                self.assertTrue(g.startswith('{"line":3,"error":"invalid JSON: '), g)
                continue
            # the same bytes: rmtool's shortest round-trip digits, so the same doubles bit for bit
            self.assertEqual(w, g)
            n_scored += '"reward"' in w
        self.assertGreaterEqual(n_scored, 40)
        self.assertEqual([n for n, _ in errors], [1, 3, 5])  # the long first row, the bad JSON, no response
        # and straight from the Score objects, float.hex against the numbers rmtool printed
        with open(self.rows_path, encoding="utf-8") as f:
            rows = f.read().splitlines()
        for w in want:
            o = json.loads(w)
            if "reward" not in o:
                continue
            row = json.loads(rows[o["line"] - 1])
            g = scorer.score_row(row)[o["index"]] if o["line"] != 1 else None
            if g is None:
                continue
            self.assertEqual(float(o["reward"]).hex(), g.reward.hex())
            self.assertEqual(o["response_ids"], [int(x) for x in g.response_ids])
            if kind == "im":
                for key in ("logprobs", "ref_logprobs", "contributions"):
                    self.assertEqual(hexes(o[key]), hexes(getattr(g, key)), "line %d %s" % (o["line"], key))
            else:
                self.assertIsNone(g.contributions)

    def test_explicit(self):
        with rmh.Model(util.EX_MODEL) as m, rmh.Scorer(m, mode="explicit", n_threads=1) as s:
            self.assertEqual(s.mode, "explicit")
            self.check_kind("ex", s)

    def test_implicit(self):
        with rmh.Model(util.POLICY) as p, rmh.Model(util.REF) as r:
            with rmh.Scorer(p, ref=r, mode="implicit", beta=0.1, n_threads=1) as s:
                self.check_kind("im", s)

    def test_pair_and_batch(self):
        with rmh.Model(util.POLICY) as p, rmh.Model(util.REF) as r, \
                rmh.Scorer(p, ref=r, mode="implicit", beta=0.1, n_threads=1) as s:
            rc, out, err = util.rmtool("score", "--prompt", "Tom had a ball.", "--response", " He threw it.", "--json",
                                       *util.cli_args("im"))
            self.assertEqual(rc, 0, err)
            want = json.loads(out)
            got = s.score("Tom had a ball.", " He threw it.")
            self.assertEqual(float(want["reward"]).hex(), got.reward.hex())
            self.assertEqual(hexes(want["contributions"]), hexes(got.contributions))
            # the reward is the sum of the contributions (rm.h sums them in order)
            total = 0.0
            for c in got.contributions:
                total += float(c)
            self.assertAlmostEqual(total, got.reward, delta=1e-12)
            b = s.score_batch([("Tom had a ball.", " He threw it."),
                               {"prompt": "Lily", "responses": ["a", "b c"]},
                               {"messages": [{"role": "user", "content": "Lily"}], "response": "b c"}])
            self.assertEqual(len(b), 4)
            self.assertEqual(b.row, [0, 1, 1, 2])
            self.assertEqual(b.index, [0, 0, 1, 0])
            self.assertEqual(float(b.rewards[0]).hex(), got.reward.hex())
            self.assertEqual(float(b.rewards[2]).hex(), float(b.rewards[3]).hex())  # same text, same reward
            self.assertEqual(len(b.contributions[1]), len(b.scores[1].response_ids))
            if rmh.HAVE_NUMPY:
                import numpy as np
                self.assertIsInstance(b.rewards, np.ndarray)
                self.assertEqual(b.rewards.dtype, np.float64)
                self.assertIsInstance(got.contributions, np.ndarray)
                self.assertEqual(got.response_ids.dtype, np.int32)

    def test_hidden(self):
        with rmh.Model(util.EX_MODEL) as m, rmh.Scorer(m, n_threads=1, hidden=True) as s:
            rc, out, err = util.rmtool("score", "--prompt", "Lily", "--response", "b c", "--json", "--hidden",
                                       *util.cli_args("ex"))
            self.assertEqual(rc, 0, err)
            want = json.loads(out)["last_hidden"]
            got = s.score("Lily", "b c").last_hidden
            self.assertEqual(len(got), m.n_embd)
            # rmtool writes the fewest digits that read back as the same float32
            self.assertEqual([struct.pack("<f", w) for w in want], [struct.pack("<f", x) for x in got])

    @unittest.skipUnless(rmh.HAVE_NUMPY, "numpy not installed")
    def test_lists_without_numpy(self):
        code = ("import sys; sys.modules['numpy'] = None; sys.path.insert(0, %r); import rmh; "
                "m = rmh.Model(%r); r = rmh.Model(%r); s = rmh.Scorer(m, ref=r, mode='implicit', n_threads=1); "
                "x = s.score('Lily', 'b c'); b = s.score_batch([('Lily', 'b c')]); "
                "print(rmh.HAVE_NUMPY, type(x.contributions).__name__, type(b.rewards).__name__, x.reward.hex())"
                % (os.path.join(util.ROOT, "python"), util.POLICY, util.REF))
        out = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, check=True).stdout.decode().split()
        with rmh.Model(util.POLICY) as m, rmh.Model(util.REF) as r, rmh.Scorer(m, ref=r, mode="implicit", n_threads=1) as s:
            self.assertEqual(out, ["False", "list", "list", s.score("Lily", "b c").reward.hex()])


class BadInput(unittest.TestCase):
    """Every bad input is an RmError with rm.h's code, name and message; nothing crashes."""

    def assertRm(self, name, fn, *args, **kw):
        with self.assertRaises(rmh.RmError) as cm:
            fn(*args, **kw)
        self.assertEqual(cm.exception.name, name, str(cm.exception))
        self.assertLess(cm.exception.code, 0)
        self.assertTrue(cm.exception.message)
        return cm.exception

    def test_bad_files(self):
        e = self.assertRm("RM_ERR_GGUF_MAGIC", rmh.Model, os.path.join(util.ROOT, "README.md"))
        self.assertEqual(e.code, -100)
        self.assertRm("RM_ERR_IO", rmh.Model, os.path.join(util.ROOT, "no-such-file.gguf"))
        self.assertRm("RM_ERR_GGUF_MAGIC", rmh.Head, os.path.join(util.ROOT, "README.md"))
        with tempfile.NamedTemporaryFile(suffix=".gguf") as f:
            with open(util.EX_MODEL, "rb") as src:
                f.write(src.read()[:5000])  # truncated inside the metadata
            f.flush()
            self.assertIn("does not fit", self.assertRm("RM_ERR_GGUF_COUNT", rmh.Model, f.name).message)

    def test_vocabulary_mismatch(self):
        # the reference with one token's text changed: same size, different vocabulary
        with open(util.REF, "rb") as f:
            data = f.read()
        self.assertIn(b"<unk>", data)
        with tempfile.NamedTemporaryFile(suffix=".gguf") as f:
            f.write(data.replace(b"<unk>", b"<UNK>", 1))
            f.flush()
            with rmh.Model(util.POLICY) as p, rmh.Model(f.name) as r:
                e = self.assertRm("RM_ERR_VOCAB_MISMATCH", rmh.Scorer, p, ref=r, mode="implicit")
                self.assertIn("token 0 differs", e.message)

    def test_modes(self):
        with rmh.Model(util.POLICY) as p:
            self.assertRm("RM_ERR_NO_HEAD", rmh.Scorer, p, mode="explicit")
            self.assertRm("RM_ERR_INVALID_ARG", rmh.Scorer, p, mode="implicit")  # no reference
            self.assertRm("RM_ERR_INVALID_ARG", rmh.Scorer, p, mode="sideways")
            self.assertRm("RM_ERR_INVALID_ARG", rmh.Scorer, p, mode="implicit", ref_free="sum", beta=-1)
            with rmh.Scorer(p, mode="implicit", ref_free="mean") as s:
                self.assertIsNone(s.score("Lily", "b c").ref_logprobs)

    def test_text(self):
        with rmh.Model(util.EX_MODEL) as m, rmh.Scorer(m, n_threads=1) as s:
            self.assertRm("RM_ERR_UTF8", s.score, "Lily", b"\xff\xfe")
            self.assertRm("RM_ERR_UTF8", s.score, "Lily", "\udcff")  # a lone surrogate
            self.assertRm("RM_ERR_UTF8", s.score, b"\xc3", "b")
            self.assertRm("RM_ERR_INVALID_ARG", s.score_row, {"prompt": "x"})
            self.assertRm("RM_ERR_INVALID_ARG", s.score_row, {"prompt": "x", "responses": ["a"] * 17})
            self.assertRm("RM_ERR_CONTEXT", s.score, "Lily " * 2000, "b")
            with self.assertRaises(TypeError):
                s.score(3, "b")
            self.assertTrue(s.score("Lily", "b c").reward == s.score(b"Lily", "b c".encode()).reward)

    def test_closed(self):
        m = rmh.Model(util.POLICY)
        r = rmh.Model(util.REF)
        s = rmh.Scorer(m, ref=r, mode="implicit", n_threads=1)
        s2 = rmh.Scorer(m, ref=r, mode="implicit", n_threads=1)
        s.score("Lily", "b")
        s.close()
        s.close()  # closing twice is harmless
        self.assertRm("RM_ERR_INVALID_ARG", s.score, "Lily", "b")
        self.assertRm("RM_ERR_INVALID_ARG", s.score_batch, [("Lily", "b")])
        r.close()  # closes the scorers over it
        self.assertTrue(s2.closed)
        self.assertRm("RM_ERR_INVALID_ARG", s2.score, "Lily", "b")
        self.assertRm("RM_ERR_INVALID_ARG", rmh.Scorer, m, ref=r, mode="implicit")
        m.close()
        m.close()
        self.assertRm("RM_ERR_INVALID_ARG", rmh.Scorer, m, mode="implicit", ref_free="sum")
        h = rmh.Head(os.path.join(util.ROOT, "models", "stories260K-head.gguf"))
        self.assertEqual(h.n_embd, 64)
        h.close()
        h.close()


class Threads(unittest.TestCase):
    def test_gil_released_and_same_results(self):
        """Two threads, each its own Scorer over one Model, give the single-thread results; and
        while one thread is inside librm.so another keeps running Python (the GIL is released)."""
        rows = [r for r in util.score_rows()[1:]]
        with rmh.Model(util.POLICY) as p, rmh.Model(util.REF) as r:
            scorers = [rmh.Scorer(p, ref=r, mode="implicit", beta=0.1, n_threads=1) for _ in range(2)]
            want = [x.reward.hex() for x in scorers[0].score_batch(rows).scores]
            got = [None, None]

            def work(i):
                got[i] = [x.reward.hex() for x in scorers[i].score_batch(rows).scores]

            ts = [threading.Thread(target=work, args=(i,)) for i in range(2)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            self.assertEqual(got, [want, want])

            # one long call (about 0.1-1 s) on a worker thread; the main thread counts its own loops
            done = threading.Event()
            long_prompt = "Once upon a time " * 150
            t0 = time.perf_counter()
            scorers[0].score(long_prompt, "the end")
            single = time.perf_counter() - t0
            t = threading.Thread(target=lambda: (scorers[0].score_batch([(long_prompt, "the end")] * 5), done.set()))
            spins, longest, last = 0, 0.0, time.perf_counter()
            t.start()
            while not done.is_set():
                now = time.perf_counter()
                longest, last = max(longest, now - last), now
                spins += 1
            t.join()
            # with the GIL held, the main thread would stall for a whole call at a time
            self.assertLess(longest, 0.5 * single, "main thread stalled %.3fs (one call %.3fs)" % (longest, single))
            for s in scorers:
                s.close()


if __name__ == "__main__":
    unittest.main()
