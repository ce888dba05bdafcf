"""Thread scaling of the binding: pairs/s of 1 Python thread against 2 threads, each with its
own Scorer (n_threads=1) over one shared Model. Not part of the unittest suite (timing).

    /usr/bin/python3 python/tests/bench_threads.py MODEL.gguf [PAIRS] [REPEATS]

MODEL: e.g. `build/rmtool synth --preset qwen2.5-0.5b --type q8_0 -o build/bench-models/qwen2.5-0.5b-q8_0.gguf`.
Scores PAIRS pairs (prompt ~100 tokens, response ~60) implicitly (reference-free sum, so the
LM head runs at response positions); prints the best of REPEATS of each and the ratio."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
if "RMH_LIB" not in os.environ:
    os.environ["RMH_LIB"] = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "librm.so")
import rmh  # noqa: E402


def main():
    path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    prompt = "The committee reviewed the proposal in detail and asked for a revised budget, " * 6
    pairs = [(prompt + " Case %d." % i, " The revised budget lowers travel costs and adds a test phase; " * 4)
             for i in range(n)]
    with rmh.Model(path) as m:
        scorers = [rmh.Scorer(m, mode="implicit", ref_free="sum", n_threads=1) for _ in range(2)]
        scorers[0].score(*pairs[0])  # warm the mapping
        scorers[1].score(*pairs[0])

        def run(k):
            def work(s, part):
                for p, r in part:
                    s.score(p, r)
            ts = [threading.Thread(target=work, args=(scorers[i], pairs)) for i in range(k)]
            t0, c0 = time.perf_counter(), time.process_time()
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            return k * len(pairs) / wall, cpu / wall

        one, cpu1 = max(run(1) for _ in range(reps))
        two, cpu2 = max(run(2) for _ in range(reps))
        for s in scorers:
            s.close()
    # cpu/wall: cores the process kept busy (2 threads outside the GIL can reach 2.0)
    print("model %s: 1 thread %.2f pairs/s (cpu/wall %.2f), 2 threads %.2f pairs/s (cpu/wall %.2f), ratio %.2f; "
          "load average %s on %d cores" % (os.path.basename(path), one, cpu1, two, cpu2, two / one,
                                            " ".join("%.1f" % x for x in os.getloadavg()), os.cpu_count()))


if __name__ == "__main__":
    main()
