"""rmh: Python binding of rm.h (reward-model scoring on GGUF models, CPU) over librm.so.

Pure Python with ctypes; numpy is optional (arrays come back as numpy arrays when it is
installed, as lists otherwise).

    import rmh
    with rmh.Model("reward.gguf") as m, rmh.Scorer(m, mode="explicit", n_threads=1) as s:
        r = s.score("What is 2+2?", "4")
        print(r.reward, r.response_ids)

The library is looked up in this order: the RMH_LIB environment variable (a path to
librm.so), librm.so next to this package, then build/librm.so of the source tree this package
sits in (python/rmh -> ../../build). Build it with `make lib`.

Threads: ctypes releases the GIL during every call into librm.so, so Python threads scoring
through their own Scorer over one shared Model run in parallel. One Scorer serves one call at
a time (calls from several threads on one Scorer are serialised by a lock).
"""
import ctypes
import os
import threading
import weakref

try:
    import numpy as _np
except ImportError:  # numpy is optional
    _np = None

__all__ = ["RmError", "Model", "Head", "Scorer", "Score", "Batch", "load_library", "HAVE_NUMPY"]

HAVE_NUMPY = _np is not None

MODE_EXPLICIT, MODE_IMPLICIT, MODE_HIDDEN = 0, 1, 2
_MODES = {"explicit": MODE_EXPLICIT, "implicit": MODE_IMPLICIT, "hidden": MODE_HIDDEN}
_REF_FREE = {None: 0, "off": 0, "sum": 1, "mean": 2, "norm": 3}
_SPLITS = {"paper": 0, "rewardbench": 1, "none": 2}
_PRECISIONS = {"auto": 0, "bf16": 1, "f32": 2}
_CHAT_AUTO = 0  # RM_CHAT_AUTO
RM_ERR_INVALID_ARG = -1


class RmError(Exception):
    """A failure reported by rm.h: code (the negative rm_result), name ("RM_ERR_UTF8") and
    message (the object's detailed message, or the code's description)."""

    def __init__(self, code, name, message):
        super().__init__("%s (%d): %s" % (name, code, message))
        self.code = code
        self.name = name
        self.message = message


# ---------------------------------------------------------------------------------------------
# The C declarations (must match rm.h)
# ---------------------------------------------------------------------------------------------

class _Str(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_char_p), ("len", ctypes.c_size_t)]


class _ChatMsg(ctypes.Structure):
    _fields_ = [("role", ctypes.c_char_p), ("role_len", ctypes.c_size_t),
                ("content", ctypes.c_char_p), ("content_len", ctypes.c_size_t)]


class _Hparams(ctypes.Structure):
    _fields_ = [("arch", ctypes.c_int),
                ("n_vocab", ctypes.c_int64), ("n_ctx_train", ctypes.c_int64), ("n_embd", ctypes.c_int64),
                ("n_layer", ctypes.c_int64), ("n_head", ctypes.c_int64), ("n_head_kv", ctypes.c_int64),
                ("head_dim", ctypes.c_int64), ("n_ff", ctypes.c_int64), ("n_rot", ctypes.c_int64),
                ("rope_base", ctypes.c_double), ("rope_scale", ctypes.c_double), ("norm_eps", ctypes.c_double),
                ("attn_softcap", ctypes.c_double), ("final_softcap", ctypes.c_double),
                ("sliding_window", ctypes.c_int64), ("n_cls_out", ctypes.c_int)]


class _ScorerDesc(ctypes.Structure):
    _fields_ = [("model", ctypes.c_void_p), ("ref", ctypes.c_void_p), ("head", ctypes.c_void_p),
                ("mode", ctypes.c_int), ("beta", ctypes.c_double), ("ref_free", ctypes.c_int),
                ("split", ctypes.c_int), ("chat_template", ctypes.c_int), ("normalize", ctypes.c_int),
                ("n_ctx", ctypes.c_int64), ("n_threads", ctypes.c_int), ("kv_f16", ctypes.c_int),
                ("precision", ctypes.c_int), ("max_length", ctypes.c_int64), ("isa", ctypes.c_int),
                ("label", ctypes.c_char_p)]


class _Score(ctypes.Structure):
    _fields_ = [("reward", ctypes.c_double), ("nonfinite", ctypes.c_int),
                ("prompt_ids", ctypes.POINTER(ctypes.c_int32)), ("n_prompt", ctypes.c_int64),
                ("response_ids", ctypes.POINTER(ctypes.c_int32)), ("n_response", ctypes.c_int64),
                ("logprobs", ctypes.POINTER(ctypes.c_double)), ("ref_logprobs", ctypes.POINTER(ctypes.c_double)),
                ("contributions", ctypes.POINTER(ctypes.c_double)), ("last_hidden", ctypes.POINTER(ctypes.c_float)),
                ("truncated", ctypes.c_int), ("n_prompt_cut", ctypes.c_int64), ("n_response_cut", ctypes.c_int64),
                ("rewards", ctypes.POINTER(ctypes.c_double)), ("n_rewards", ctypes.c_int64)]


_lib = None
_lib_lock = threading.Lock()


def _candidates():
    env = os.environ.get("RMH_LIB")
    if env:
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    return [os.path.join(here, "librm.so"), os.path.join(here, "..", "..", "build", "librm.so")]


def load_library(path=None):
    """Loads librm.so (path, else RMH_LIB, else next to the package, else the source tree's
    build/) once and declares its functions; returns the ctypes.CDLL."""
    global _lib
    with _lib_lock:
        if _lib is not None and path is None:
            return _lib
        tried = [path] if path else _candidates()
        lib = None
        for p in tried:
            if os.path.exists(p):
                lib = ctypes.CDLL(os.path.abspath(p))
                break
        if lib is None:
            raise OSError("librm.so not found (tried %s): run `make lib` or set RMH_LIB" % ", ".join(tried))
        P, I, S, V = ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t, None
        PP = ctypes.POINTER(ctypes.c_void_p)
        sig = {
            "rm_result_string": (ctypes.c_char_p, [I]),
            "rm_result_name": (ctypes.c_char_p, [I]),
            "rm_model_open": (I, [ctypes.c_char_p, PP]),
            "rm_model_close": (V, [P]),
            "rm_model_error": (ctypes.c_char_p, [P]),
            "rm_model_hparams": (ctypes.POINTER(_Hparams), [P]),
            "rm_arch_name": (ctypes.c_char_p, [I]),
            "rm_head_open": (I, [ctypes.c_char_p, PP]),
            "rm_head_close": (V, [P]),
            "rm_head_error": (ctypes.c_char_p, [P]),
            "rm_head_n_embd": (ctypes.c_int64, [P]),
            "rm_scorer_new": (I, [ctypes.POINTER(_ScorerDesc), PP]),
            "rm_scorer_free": (V, [P]),
            "rm_scorer_error": (ctypes.c_char_p, [P]),
            "rm_scorer_template": (I, [P]),
            "rm_scorer_n_labels": (ctypes.c_int64, [P]),
            "rm_scorer_label": (_Str, [P, ctypes.c_int64]),
            "rm_score_chat": (I, [P, ctypes.POINTER(_ChatMsg), S, ctypes.POINTER(_Str), ctypes.c_int64,
                                  ctypes.POINTER(_Score)]),
            "rm_chat_template_from_name": (I, [ctypes.c_char_p]),
            "rm_chat_template_name": (ctypes.c_char_p, [I]),
        }
        for name, (res, args) in sig.items():
            f = getattr(lib, name)
            f.restype = res
            f.argtypes = args
        if path is None:
            _lib = lib
        return lib


def _error(code, detail=None):
    lib = load_library()
    name = lib.rm_result_name(code).decode()
    msg = detail.decode("utf-8", "replace") if detail else lib.rm_result_string(code).decode()
    return RmError(code, name, msg)


def _bytes(s, what):
    """UTF-8 bytes of a str (lone surrogates pass through as the invalid bytes they are, for
    rm.h to refuse with RM_ERR_UTF8), or bytes as given."""
    if isinstance(s, (bytes, bytearray)):
        return bytes(s)
    if isinstance(s, str):
        return s.encode("utf-8", "surrogatepass")
    raise TypeError("%s must be str or bytes, not %s" % (what, type(s).__name__))


def _array(ptr, n, kind):
    if not ptr or n <= 0:
        if _np is not None:
            return _np.zeros(0, dtype={"i": _np.int32, "d": _np.float64, "f": _np.float32}[kind])
        return []
    if _np is not None:
        return _np.ctypeslib.as_array(ptr, shape=(n,)).copy()
    return ptr[:n]


class _Handle:
    """A C object owned by a Python object; closing twice is harmless, use after close raises."""
    _kind = "object"

    def __init__(self):
        self._h = None
        self._lock = threading.RLock()

    def _ptr(self):
        if self._h is None:
            raise RmError(RM_ERR_INVALID_ARG, "RM_ERR_INVALID_ARG", "this %s is closed" % self._kind)
        return self._h

    @property
    def closed(self):
        return self._h is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class _Owner(_Handle):
    """A model or head: closing it first closes the Scorers made over it (they then raise)."""

    def close(self):
        if getattr(self, "_h", None) is None:
            return
        for ref in list(self._scorers):
            s = ref()
            if s is not None:
                s.close()
        with self._lock:
            if self._h is not None:
                self._free()
                self._h = None


class Model(_Owner):
    """A GGUF model opened with rm_model_open (memory-mapped, immutable, shareable by threads).
    Closing it closes the Scorers made over it first."""
    _kind = "model"

    def __init__(self, path):
        super().__init__()
        self._scorers = []
        lib = load_library()
        self._lib = lib
        h = ctypes.c_void_p()
        rc = lib.rm_model_open(os.fsencode(path), ctypes.byref(h))
        if rc != 0:
            err = _error(rc, lib.rm_model_error(h))
            lib.rm_model_close(h)
            raise err
        self._h = h.value
        self.path = path
        hp = lib.rm_model_hparams(self._h).contents
        self.n_embd = hp.n_embd
        self.n_vocab = hp.n_vocab
        self.n_layer = hp.n_layer
        self.n_ctx_train = hp.n_ctx_train
        self.n_cls_out = hp.n_cls_out
        self.arch = (lib.rm_arch_name(hp.arch) or b"").decode()

    def _free(self):
        self._lib.rm_model_close(self._h)


class Head(_Owner):
    """A reward head GGUF (cls.output.weight, optional bias and mean/std), as fit-head writes."""
    _kind = "head"

    def __init__(self, path):
        super().__init__()
        self._scorers = []
        lib = load_library()
        self._lib = lib
        h = ctypes.c_void_p()
        rc = lib.rm_head_open(os.fsencode(path), ctypes.byref(h))
        if rc != 0:
            err = _error(rc, lib.rm_head_error(h))
            lib.rm_head_close(h)
            raise err
        self._h = h.value
        self.path = path
        self.n_embd = lib.rm_head_n_embd(self._h)

    def _free(self):
        self._lib.rm_head_close(self._h)


class Score:
    """One scored response: reward (float; NaN when nonfinite), nonfinite (bool), prompt_ids,
    response_ids, and for implicit scorers logprobs, ref_logprobs (None without a reference)
    and contributions (each response token's share of the reward), last_hidden (the final-normed
    hidden state of the last token, float32) when the scorer has it; truncated, n_prompt_cut,
    n_response_cut: what max_length dropped; rewards: for a reward head, a dict of every output
    of the head by label name (multi-attribute reward models), else None. Arrays are numpy arrays
    when numpy is installed, lists otherwise."""
    __slots__ = ("reward", "nonfinite", "prompt_ids", "response_ids", "logprobs", "ref_logprobs",
                 "contributions", "last_hidden", "truncated", "n_prompt_cut", "n_response_cut", "rewards")

    def __init__(self, c, n_embd, hidden, labels=None):
        self.reward = c.reward
        self.nonfinite = bool(c.nonfinite)
        self.prompt_ids = _array(c.prompt_ids, c.n_prompt, "i")
        self.response_ids = _array(c.response_ids, c.n_response, "i")
        self.logprobs = _array(c.logprobs, c.n_response, "d") if c.logprobs else None
        self.ref_logprobs = _array(c.ref_logprobs, c.n_response, "d") if c.ref_logprobs else None
        self.contributions = _array(c.contributions, c.n_response, "d") if c.contributions else None
        self.last_hidden = _array(c.last_hidden, n_embd, "f") if (hidden and c.last_hidden) else None
        self.truncated = bool(c.truncated)
        self.n_prompt_cut = c.n_prompt_cut
        self.n_response_cut = c.n_response_cut
        self.rewards = None
        if c.rewards and labels is not None:
            self.rewards = {labels[i]: c.rewards[i] for i in range(min(c.n_rewards, len(labels)))}

    def __repr__(self):
        return "Score(reward=%r, n_prompt=%d, n_response=%d)" % (self.reward, len(self.prompt_ids), len(self.response_ids))


class Batch:
    """score_batch's result: one entry per response, in row order (a row with "responses"
    gives several). rewards: numpy float64 array (list without numpy); row / index: the row
    each came from and its place in that row's responses; scores: the Score objects;
    contributions: the per-token contributions of each (None for explicit scorers)."""

    def __init__(self, scores, rows, index):
        self.scores = scores
        self.row = rows
        self.index = index
        r = [s.reward for s in scores]
        self.rewards = _np.array(r, dtype=_np.float64) if _np is not None else r
        self.contributions = [s.contributions for s in scores]

    def __len__(self):
        return len(self.scores)


def _row_conversation(row):
    """A scoring row as rmtool score reads it: {prompt | messages, response | responses}, where a
    response is a string or a message list ending with the assistant's message; also a
    (prompt, response) pair. Returns (messages as (role, content) pairs, responses)."""
    if isinstance(row, (tuple, list)) and len(row) == 2:
        return [("user", row[0])], [row[1]]
    if not isinstance(row, dict):
        raise RmError(RM_ERR_INVALID_ARG, "RM_ERR_INVALID_ARG", "a row must be a dict or a (prompt, response) pair")
    if isinstance(row.get("input"), dict) and "messages" in row["input"]:  # OpenAI DPO
        msgs = _messages(row["input"]["messages"])
        return msgs, [_response_text(row.get("preferred_output")), _response_text(row.get("non_preferred_output"))]
    if isinstance(row.get("prompt"), (str, bytes)):
        msgs = [("user", row["prompt"])]
    elif "messages" in row:
        msgs = _messages(row["messages"])
    elif isinstance(row.get("chosen"), str) and isinstance(row.get("rejected"), str):
        raise RmError(RM_ERR_INVALID_ARG, "RM_ERR_INVALID_ARG",
                      "HH-RLHF transcripts are read by rmtool, not by the binding: give prompt/messages")
    else:
        raise RmError(RM_ERR_INVALID_ARG, "RM_ERR_INVALID_ARG", 'no "prompt", "messages", HH-RLHF transcripts or OpenAI "input"')
    if "response" not in row and "responses" not in row and "chosen" in row and "rejected" in row:
        return msgs, [_response_text(row["chosen"]), _response_text(row["rejected"])]
    if "responses" in row:
        resp = row["responses"]
        if not isinstance(resp, list) or not 1 <= len(resp) <= 16:
            raise RmError(RM_ERR_INVALID_ARG, "RM_ERR_INVALID_ARG", '"responses" must be an array of 1 to 16 strings')
    else:
        resp = [row.get("response")]
    return msgs, [_response_text(r) for r in resp]


def _messages(m):
    if not isinstance(m, list):
        raise RmError(RM_ERR_INVALID_ARG, "RM_ERR_INVALID_ARG", "messages must be an array")
    msgs = []
    for x in m:
        if not isinstance(x, dict) or not isinstance(x.get("role"), str) or not isinstance(x.get("content"), (str, bytes)):
            raise RmError(RM_ERR_INVALID_ARG, "RM_ERR_INVALID_ARG", 'each message needs string "role" and "content"')
        msgs.append((x["role"], x["content"]))
    return msgs


def is_pair_row(row):
    """Whether rmtool score reads the row as a preference pair (outputs say "which")."""
    if not isinstance(row, dict):
        return False
    if isinstance(row.get("input"), dict) and "messages" in row["input"]:
        return True
    return "response" not in row and "responses" not in row and "chosen" in row and "rejected" in row


def _response_text(v):
    if isinstance(v, (str, bytes)):
        return v
    if isinstance(v, list) and v and isinstance(v[-1], dict) and v[-1].get("role") == "assistant" \
            and isinstance(v[-1].get("content"), (str, bytes)):
        return v[-1]["content"]
    raise RmError(RM_ERR_INVALID_ARG, "RM_ERR_INVALID_ARG",
                  "a response must be a string or a message list ending with an assistant message")


class Scorer(_Handle):
    """rm_scorer over a model: Scorer(model, ref=None, head=None, mode=None, beta=None, ...).

    mode: "explicit" (EX-RM: head . h_last + b), "implicit" (IM-RM: beta * (log pi - log pi_ref)
    summed over response tokens), "hidden" (only last_hidden); None picks explicit when there
    is a head (head= or the model's own cls.output), implicit otherwise, as rmtool does.
    ref_free: "sum", "mean" or "norm" (implicit without a reference). split: "paper" (default),
    "rewardbench" or "none". template: "auto" (the model's own), "none" or a name rmtool
    knows. precision: "auto" (default: F16 weights in float, BF16 at bf16), "bf16" or "f32". n_threads: rm.h's threads inside each call
    (0: one per CPU this process may use; use 1 per Python thread when several threads score at once).
    hidden=True keeps last_hidden in every Score. max_length: at most N prompt+response tokens
    (the prompt's oldest dropped first, as TRL's keep_end; 0: no limit)."""
    _kind = "scorer"

    def __init__(self, model, ref=None, head=None, mode=None, beta=None, ref_free=None, split="paper",
                 template="auto", normalize=False, n_ctx=0, n_threads=0, kv_f16=False, precision="auto",
                 hidden=False, max_length=0):
        super().__init__()
        lib = load_library()
        self._lib = lib
        if not isinstance(model, Model):
            raise TypeError("model must be an rmh.Model")
        if ref is not None and not isinstance(ref, Model):
            raise TypeError("ref must be an rmh.Model or None")
        if head is not None and not isinstance(head, Head):
            raise TypeError("head must be an rmh.Head or None")
        if mode is None:
            mode = "explicit" if (head is not None or model.n_cls_out > 0) else "implicit"

        def pick(table, v, what):
            if v not in table:
                raise RmError(RM_ERR_INVALID_ARG, "RM_ERR_INVALID_ARG", "%s takes %s, not %r" % (
                    what, ", ".join(str(k) for k in table if k is not None), v))
            return table[v]

        d = _ScorerDesc()
        d.mode = pick(_MODES, mode, "mode")
        d.ref_free = pick(_REF_FREE, ref_free, "ref_free")
        d.split = pick(_SPLITS, split, "split")
        d.precision = pick(_PRECISIONS, precision, "precision")
        if template == "auto":
            d.chat_template = _CHAT_AUTO
        else:
            t = lib.rm_chat_template_from_name(_bytes(template, "template"))
            if t < 0:
                raise RmError(RM_ERR_INVALID_ARG, "RM_ERR_INVALID_ARG", "unknown template %r" % template)
            d.chat_template = t
        if beta is not None:
            if not (float(beta) > 0) or float(beta) > 1e6:
                raise RmError(RM_ERR_INVALID_ARG, "RM_ERR_INVALID_ARG", "beta must be a positive number, not %r" % beta)
            d.beta = float(beta)
        d.normalize = 1 if normalize else 0
        d.n_ctx = int(n_ctx)
        d.n_threads = int(n_threads)
        d.kv_f16 = 1 if kv_f16 else 0
        d.max_length = int(max_length)
        self._owners = [x for x in (model, ref, head) if x is not None]
        with model._lock:
            d.model = model._ptr()
            d.ref = ref._ptr() if ref is not None else None
            d.head = head._ptr() if head is not None else None
            h = ctypes.c_void_p()
            rc = lib.rm_scorer_new(ctypes.byref(d), ctypes.byref(h))
            if rc != 0:
                err = _error(rc, lib.rm_scorer_error(h))
                lib.rm_scorer_free(h)
                raise err
            self._h = h.value
            for o in self._owners:
                o._scorers.append(weakref.ref(self))
        self.model = model
        self.ref = ref
        self.head = head
        self.mode = mode
        self._n_embd = model.n_embd
        self._hidden = bool(hidden) or d.mode == MODE_HIDDEN
        self._out = (_Score * 16)()

    @property
    def template(self):
        """The chat template the scorer renders with ("none", "chatml", ...)."""
        with self._lock:
            n = self._lib.rm_chat_template_name(self._lib.rm_scorer_template(self._ptr()))
        return n.decode() if n else "none"

    def close(self):
        if getattr(self, "_h", None) is None:
            return
        with self._lock:  # waits for a call in progress on another thread
            if self._h is not None:
                self._lib.rm_scorer_free(self._h)
                self._h = None
        for o in getattr(self, "_owners", []):
            o._scorers[:] = [r for r in o._scorers if r() is not None and r() is not self]

    def _score(self, msgs, responses):
        k = len(responses)
        if not 1 <= k <= 16:
            raise RmError(RM_ERR_INVALID_ARG, "RM_ERR_INVALID_ARG", "1 to 16 responses per call, not %d" % k)
        keep = []
        cm = (_ChatMsg * max(1, len(msgs)))()
        for i, (role, content) in enumerate(msgs):
            rb, cb = _bytes(role, "role"), _bytes(content, "content")
            keep += [rb, cb]
            cm[i] = _ChatMsg(rb, len(rb), cb, len(cb))
        rs = (_Str * k)()
        for i, r in enumerate(responses):
            b = _bytes(r, "response")
            keep.append(b)
            rs[i] = _Str(b, len(b))
        with self._lock:
            h = self._ptr()
            rc = self._lib.rm_score_chat(h, cm, len(msgs), rs, k, self._out)
            if rc != 0:
                raise _error(rc, self._lib.rm_scorer_error(h))
            labels = None
            if k and self._out[0].rewards:
                labels = []
                for i in range(self._lib.rm_scorer_n_labels(h)):
                    st = self._lib.rm_scorer_label(h, i)
                    labels.append(ctypes.string_at(st.ptr, st.len).decode("utf-8", "replace"))
            return [Score(self._out[i], self._n_embd, self._hidden, labels) for i in range(k)]

    def score(self, prompt, response):
        """Scores one response (str or UTF-8 bytes) to one user prompt; returns a Score."""
        return self._score([("user", prompt)], [response])[0]

    def score_responses(self, prompt, responses, messages=None):
        """Scores up to 16 responses to one prompt (or to messages, a list of {role, content}
        ending with the user's turn), the prompt computed once; returns a list of Score."""
        if messages is not None:
            return self._score([(m["role"], m["content"]) for m in messages], list(responses))
        return self._score([("user", prompt)], list(responses))

    def score_row(self, row):
        """Scores one row as `rmtool score --input` reads it; returns a list of Score (one per
        response)."""
        msgs, resp = _row_conversation(row)
        return self._score(msgs, resp)

    def score_batch(self, rows):
        """Scores rows ({prompt|messages, response|responses} dicts, or (prompt, response)
        pairs); returns a Batch (rewards, contributions, scores, row, index). The first failing
        row raises RmError."""
        scores, ri, ii = [], [], []
        for n, row in enumerate(rows):
            out = self.score_row(row)
            scores += out
            ri += [n] * len(out)
            ii += list(range(len(out)))
        return Batch(scores, ri, ii)
