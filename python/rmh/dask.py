"""Scoring across a Dask distributed cluster with the rmh binding.

    from distributed import Client
    import rmh.dask
    client = Client("scheduler:8786")
    rmh.dask.register(client, model="policy.gguf", ref="reference.gguf", mode="implicit", beta=0.1)
    summary = rmh.dask.score_jsonl(client, "pairs.jsonl", "scores.jsonl", per_token=True)

Each worker opens the model files once, when the plugin is registered (or when the worker
joins later): the paths must be readable on every worker. Input lines travel from the client
to the workers in chunks (no shared file system needed for the data), every chunk is scored
in order on one worker, and the output is written in input order, byte for byte what one
`rmtool score --input` run over the whole file prints. A bad line is reported with its line
number (an {"line": N, "error": ...} output line, a warning in the worker's log, and an entry
of the summary) and the other lines are still scored.

Also: score_bag (a Dask bag of rows) and score_dataframe (a Dask dataframe with prompt and
response columns).
"""
import logging
import threading

try:
    from distributed import get_worker
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError as e:  # pragma: no cover - a clear message for users without distributed
    raise ImportError("rmh.dask needs the 'distributed' package (Debian: python3-distributed)") from e

from . import Head, Model, RmError, Scorer
from . import jsonl as _jsonl

__all__ = ["RmhPlugin", "register", "score_jsonl", "score_bag", "score_dataframe", "worker_scorer"]

log = logging.getLogger("rmh.dask")


class RmhPlugin(WorkerPlugin):
    """Opens the models once per worker (setup) and gives each worker thread its own Scorer over
    them; closes everything when the worker shuts down (teardown). Scorer options are passed
    through (mode, beta, ref_free, split, template, precision, n_threads, ...)."""

    def __init__(self, model, ref=None, head=None, name="rmh", **scorer_kwargs):
        self.name = name
        self.paths = (model, ref, head)
        self.kwargs = dict(scorer_kwargs)
        self.kwargs.setdefault("n_threads", 1)  # one rm.h thread per worker thread

    def setup(self, worker=None):
        model, ref, head = self.paths
        self.model = Model(model)
        self.ref = Model(ref) if ref else None
        self.head = Head(head) if head else None
        self._local = threading.local()
        self._scorers = []
        self._lock = threading.Lock()
        self.scorer()  # fail at registration, not at the first task, when the options are wrong

    def scorer(self):
        s = getattr(self._local, "scorer", None)
        if s is None:
            s = Scorer(self.model, ref=self.ref, head=self.head, **self.kwargs)
            self._local.scorer = s
            with self._lock:
                self._scorers.append(s)
        return s

    def teardown(self, worker=None):
        for s in getattr(self, "_scorers", []):
            s.close()
        for m in (getattr(self, "head", None), getattr(self, "ref", None), getattr(self, "model", None)):
            if m is not None:
                m.close()


def register(client, model, ref=None, head=None, name="rmh", **scorer_kwargs):
    """Installs RmhPlugin on every worker of client (and on workers that join later)."""
    plugin = RmhPlugin(model, ref=ref, head=head, name=name, **scorer_kwargs)
    if hasattr(client, "register_plugin"):  # distributed >= 2023.9
        client.register_plugin(plugin, name=name)
    else:
        client.register_worker_plugin(plugin, name=name)
    return plugin


def worker_scorer(name="rmh"):
    """The calling worker thread's Scorer (inside a task)."""
    worker = get_worker()
    try:
        plugin = worker.plugins[name]
    except KeyError:
        raise RuntimeError("no rmh plugin %r on worker %s: call rmh.dask.register(client, ...) first"
                           % (name, worker.address)) from None
    return plugin.scorer()


def _score_chunk(lines, first_line, name, per_token, hidden):
    text, errors = _jsonl.score_lines(worker_scorer(name), lines, first_line, per_token, hidden)
    for n, msg in errors:
        log.warning("rmh: line %d: %s", n, msg)
    return text, errors


def score_jsonl(client, input_path, output_path, name="rmh", lines_per_task=64, per_token=False, hidden=False,
                max_in_flight=None):
    """Scores a JSONL file (the rows `rmtool score --input` reads) on the cluster and writes the
    output in input order to output_path ("-" for none: then the summary carries the text).
    At most max_in_flight chunks (default 4 per worker thread) are submitted ahead of the one
    being written, so memory stays bounded on big files. Returns a summary dict: lines, outputs
    (output lines written), errors (a list of (line number, message)), text (when not written)."""
    from distributed import wait

    if max_in_flight is None:
        threads = sum(client.nthreads().values()) or 1
        max_in_flight = 4 * threads
    out = None if output_path == "-" else open(output_path, "w", encoding="utf-8", newline="\n")
    pending, errors, kept = [], [], []
    n_lines = n_out = 0

    def drain(keep):
        nonlocal n_out
        while len(pending) > keep:
            fut = pending.pop(0)
            text, errs = fut.result()
            errors.extend(tuple(e) for e in errs)
            n_out += text.count("\n")
            if out is not None:
                out.write(text)
            else:
                kept.append(text)

    try:
        with open(input_path, "rb") as f:
            chunk, first = [], 1
            for raw in f:
                line = raw[:-1] if raw.endswith(b"\n") else raw
                chunk.append(line)
                n_lines += 1
                if len(chunk) == lines_per_task:
                    pending.append(client.submit(_score_chunk, chunk, first, name, per_token, hidden, pure=False))
                    first += len(chunk)
                    chunk = []
                    if len(pending) > max_in_flight:
                        wait(pending[0])
                        drain(max_in_flight)
            if chunk:
                pending.append(client.submit(_score_chunk, chunk, first, name, per_token, hidden, pure=False))
        drain(0)
    finally:
        for fut in pending:
            fut.cancel()
        if out is not None:
            out.close()
    summary = {"lines": n_lines, "outputs": n_out, "errors": errors}
    if out is None:
        summary["text"] = "".join(kept)
    return summary


def _score_rows_partition(rows, name, per_token, hidden, partition_info=None):
    s = worker_scorer(name)
    res = []
    for i, row in enumerate(rows):
        try:
            scores = s.score_row(row)
        except RmError as e:
            log.warning("rmh: row %d: %s", i, e.message)
            res.append({"row": i, "error": e.message, "code": e.code})
            continue
        for k, sc in enumerate(scores):
            r = {"row": i, "index": k, "reward": sc.reward, "nonfinite": sc.nonfinite}
            if per_token and sc.contributions is not None:
                r["contributions"] = [float(x) for x in sc.contributions]
            if hidden and sc.last_hidden is not None:
                r["last_hidden"] = [float(x) for x in sc.last_hidden]
            res.append(r)
    return res


def score_bag(bag, name="rmh", per_token=False, hidden=False):
    """A Dask bag of rows (dicts as score_row takes them, or (prompt, response) pairs) -> a bag of
    result dicts in the same order: {row (index within its partition), index, reward,
    nonfinite[, contributions][, last_hidden]}, or {row, error, code} for a row that failed.
    Partitions are scored in order, each on one worker."""
    return bag.map_partitions(_score_rows_partition, name, per_token, hidden)


def _score_frame(df, name, prompt, response, column):
    import pandas as pd
    s = worker_scorer(name)
    rewards, errors = [], []
    for p, r in zip(df[prompt], df[response]):
        try:
            rewards.append(s.score(p, r).reward)
            errors.append(None)
        except RmError as e:
            rewards.append(float("nan"))
            errors.append(e.message)
    return pd.DataFrame({column: pd.Series(rewards, index=df.index, dtype="float64"),
                         column + "_error": pd.Series(errors, index=df.index, dtype="object")})


def score_dataframe(df, name="rmh", prompt="prompt", response="response", column="reward"):
    """A Dask dataframe with prompt and response columns -> a dataframe with the same index and
    the columns `reward` (NaN where the row failed) and `reward_error` (None, or rm.h's message)."""
    import pandas as pd
    meta = pd.DataFrame({column: pd.Series([], dtype="float64"), column + "_error": pd.Series([], dtype="object")})
    return df.map_partitions(_score_frame, name, prompt, response, column, meta=meta)
