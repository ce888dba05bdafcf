"""rmh.dask on a LocalCluster of 2 worker processes: the same output as one rmtool score run."""
import json
import os
import tempfile
import unittest

import util
import rmh

try:
    import distributed
    import dask.bag
    import rmh.dask
except ImportError as e:  # a user's machine without python3-distributed
    distributed = None
    why = str(e)


@unittest.skipIf(distributed is None, "distributed not installed")
class Cluster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # worker processes import rmh and find librm.so through the environment
        os.environ["PYTHONPATH"] = os.path.join(util.ROOT, "python") + os.pathsep + os.environ.get("PYTHONPATH", "")
        cls.tmp = tempfile.mkdtemp()
        rows = util.score_rows()
        cls.rows = rows[:6] + rows[12:14] + rows[-2:]  # a few of each kind keep the test short
        cls.path = os.path.join(cls.tmp, "rows.jsonl")
        util.write_rows(cls.path, cls.rows)
        with open(cls.path, "ab") as f:
            f.write(b'{"prompt": "Lily", "response": "\xff not UTF-8"}\n\n{"prompt": "Tom", "response": "ran"}\n')
        cls.cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None)
        cls.client = distributed.Client(cls.cluster)
        rmh.dask.register(cls.client, util.EX_MODEL, mode="explicit")

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.cluster.close()

    def test_jsonl_equals_rmtool(self):
        rc, want, err = util.rmtool("score", "--input", self.path, *util.cli_args("ex"))
        self.assertEqual(rc, 1, err)
        loaded = self.client.run(lambda dask_worker: "rmh" in dask_worker.plugins)
        self.assertEqual(list(loaded.values()), [True, True])
        out = os.path.join(self.tmp, "dask.jsonl")
        summary = rmh.dask.score_jsonl(self.client, self.path, out, lines_per_task=3, per_token=True)
        with open(out, encoding="utf-8") as f:
            got = f.read()
        # byte for byte, in input order, but for the wording of the invalid-JSON message
        self.assertEqual(len(got.splitlines()), len(want.splitlines()))
        for g, w in zip(got.splitlines(), want.splitlines()):
            if '"error":"invalid JSON: ' in w:
                self.assertEqual(g.split("invalid JSON: ")[0], w.split("invalid JSON: ")[0])
            else:
                self.assertEqual(g, w)
        # both workers took part
        who = self.client.run(lambda dask_worker: len(dask_worker.data) >= 0)
        self.assertEqual(len(who), 2)
        # bad rows: reported with their line numbers, the rest scored
        lines = [n for n, _ in summary["errors"]]
        self.assertEqual(lines, [1, 3, 5, 13])
        self.assertIn("exceed the context", summary["errors"][0][1])
        self.assertIn("a response must be", summary["errors"][2][1])
        self.assertEqual(summary["lines"], 15)
        self.assertEqual(summary["outputs"], want.count("\n"))
        err_lines = [n for n in (json.loads(x) for x in got.splitlines()) if "error" in n]
        self.assertEqual([e["line"] for e in err_lines], [1, 1, 3, 5, 13])  # both responses of line 1 too long
        # rmtool's own --shard pieces, concatenated, are the same again
        pieces = "".join(util.rmtool("score", "--input", self.path, "--shard", "%d/3" % i, *util.cli_args("ex"))[1]
                         for i in (1, 2, 3))
        self.assertEqual(pieces, want)
        # and the summary-only form carries the text
        self.assertEqual(rmh.dask.score_jsonl(self.client, self.path, "-", lines_per_task=7, per_token=True)["text"], got)

    def test_bag_and_dataframe(self):
        rows = [r for r in self.rows[1:]] + [{"prompt": "x"}]
        with rmh.Model(util.EX_MODEL) as m, rmh.Scorer(m, mode="explicit", n_threads=1) as s:
            want = []
            for row in rows:
                try:
                    want += [x.reward.hex() for x in s.score_row(row)]
                except rmh.RmError as e:
                    want.append(e.message)
            pairs = [("Lily", "b c"), ("Tom had a ball.", " He threw it."), ("Lily", b"\xff")] * 3
            want_df = []
            for a, b in pairs:
                try:
                    want_df.append(s.score(a, b).reward.hex())
                except rmh.RmError as e:
                    want_df.append(e.message)
        res = rmh.dask.score_bag(dask.bag.from_sequence(rows, npartitions=4), per_token=True).compute()
        got = [x["reward"].hex() if "reward" in x else x["error"] for x in res]
        self.assertEqual(got, want)
        import pandas as pd
        import dask.dataframe as dd
        df = dd.from_pandas(pd.DataFrame({"prompt": [a for a, _ in pairs], "response": [b for _, b in pairs]}), npartitions=3)
        out = rmh.dask.score_dataframe(df).compute()
        got_df = [e if isinstance(e, str) else float(v).hex() for v, e in zip(out["reward"], out["reward_error"])]
        self.assertEqual(got_df, want_df)
        self.assertEqual(list(out.index), list(range(len(pairs))))


if __name__ == "__main__":
    unittest.main()
