"""rmtool score --shard I/N and --input - (stdin to stdout, a line out per line in)."""
import json
import os
import subprocess
import tempfile
import threading
import unittest

import util


class Shard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.rows = os.path.join(cls.tmp, "rows.jsonl")
        cls.n_lines = util.write_rows(cls.rows, util.score_rows())
        rc, cls.full, _ = util.rmtool("score", "--input", cls.rows, *util.cli_args("ex"))
        assert rc == 1  # three bad lines

    def test_pieces_concatenate(self):
        for n in (1, 4, self.n_lines + 2):
            pieces, lines = [], []
            for i in range(1, n + 1):
                rc, out, err = util.rmtool("score", "--input", self.rows, "--shard", "%d/%d" % (i, n), *util.cli_args("ex"))
                self.assertIn(rc, (0, 1), err)
                pieces.append(out)
                lines.append(sorted({json.loads(x)["line"] for x in out.splitlines()}))
            self.assertEqual("".join(pieces), self.full, "%d shards" % n)
            # contiguous, balanced blocks of input lines (line numbers are the input's)
            sizes = [len(x) for x in lines]
            if n <= self.n_lines:
                self.assertLessEqual(max(sizes) - min(sizes), 1, lines)
            flat = [x for block in lines for x in block]
            self.assertEqual(flat, sorted(flat))
            self.assertEqual(flat, list(range(1, self.n_lines + 1)))

    def test_bad_shards(self):
        for bad in ("0/2", "3/2", "1/0", "x", "1/", "1/2/3", "-1/2"):
            rc, out, err = util.rmtool("score", "--input", self.rows, "--shard", bad, *util.cli_args("ex"))
            self.assertEqual((rc, out), (1, ""), bad)
            self.assertEqual(err.count("\n"), 1, err)
            self.assertTrue(err.startswith("error: --shard"), err)
        rc, out, err = util.rmtool("score", "--input", "-", "--shard", "1/2", *util.cli_args("ex"), stdin=b"")
        self.assertEqual(rc, 1)
        self.assertIn("--shard needs --input FILE", err)

    def test_stdin_stream(self):
        """Each input line's result comes out before the next line goes in."""
        with open(self.rows, "rb") as f:
            lines = f.read().splitlines(keepends=True)
        p = subprocess.Popen([util.RMTOOL, "score", "--input", "-"] + util.cli_args("ex"), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        got = []
        timer = threading.Timer(60, p.kill)
        timer.start()
        try:
            for line in lines:
                p.stdin.write(line)
                p.stdin.flush()
                o = json.loads(p.stdout.readline())  # blocks until rmtool has flushed this line's result
                got.append(o)
                n = 1 if ("error" in o and "index" not in o) else len(json.loads(line).get("responses", [0]))
                for _ in range(n - 1):
                    got.append(json.loads(p.stdout.readline()))
            p.stdin.close()
            rest = p.stdout.read()
            p.stdout.close()
            rc = p.wait()
        finally:
            timer.cancel()
        self.assertEqual(rest, b"")
        self.assertEqual(rc, 1)
        self.assertEqual(got, [json.loads(x) for x in self.full.splitlines()])


if __name__ == "__main__":
    unittest.main()
