"""`rmtool score --input` in Python: a JSONL line in, its output lines out, byte for byte what
rmtool writes (same fields, same number formatting), so that pieces scored anywhere (threads,
Dask workers, Spark executors) concatenate to rmtool's own output."""
import json
import math

from . import RmError, _row_conversation, is_pair_row

RM_ERR_CONTEXT = -400

__all__ = ["format_double", "score_line", "score_lines", "split_lines"]


def format_double(x, digits=(15, 17)):
    """rmtool's number format: the fewest %g digits from 15 (floats: 6..9) that read back as
    the same value; NaN and Inf as null."""
    if math.isnan(x) or math.isinf(x):
        return "null"
    s = ""
    for d in range(digits[0], digits[1] + 1):
        s = "%.*g" % (d, x)
        if float(s) == x:
            break
    return s


def _float32(x):
    import struct
    for d in range(6, 10):
        s = "%.*g" % (d, x)
        if struct.pack("<f", float(s)) == struct.pack("<f", x):
            return s
    return s


def _string(s):
    # rmtool escapes ", \, control characters (\n \r \t \b \f, others as \u00XX) and keeps UTF-8
    return json.dumps(s, ensure_ascii=False)


def _ids(key, v):
    return ',"%s":[%s]' % (key, ",".join(str(int(x)) for x in v))


def _dbls(key, v):
    return ',"%s":[%s]' % (key, ",".join(format_double(float(x)) for x in v))


_NO_ID = object()


def _id(row_id):
    # rmtool writes a string or number id as it was, and nothing for other values
    if isinstance(row_id, str):
        return '"id":%s,' % _string(row_id)
    if isinstance(row_id, (int, float)) and not isinstance(row_id, bool):
        return '"id":%s,' % format_double(float(row_id))
    return ""


def format_score(sc, lineno, index, row_id=_NO_ID, per_token=False, hidden=False, which=None):
    """One output line of `rmtool score --input` for a Score (without the newline); row_id: the
    row's "id" value when it has one; which: "chosen" / "rejected" for a preference row."""
    out = ['{"line":%d,"index":%d,' % (lineno, index), _id(row_id)]
    if which:
        out.append('"which":"%s",' % which)
    out.append('"reward":' + format_double(sc.reward))
    if sc.nonfinite:
        out.append(',"nonfinite":true')
    if sc.truncated:
        out.append(',"truncated":true,"prompt_cut":%d,"response_cut":%d' % (sc.n_prompt_cut, sc.n_response_cut))
    out.append(_ids("prompt_ids", sc.prompt_ids))
    out.append(_ids("response_ids", sc.response_ids))
    if per_token and sc.logprobs is not None:
        out.append(_dbls("logprobs", sc.logprobs))
        if sc.ref_logprobs is not None:
            out.append(_dbls("ref_logprobs", sc.ref_logprobs))
        out.append(_dbls("contributions", sc.contributions))
    if hidden and sc.last_hidden is not None:
        out.append(',"last_hidden":[%s]' % ",".join(_float32(float(x)) for x in sc.last_hidden))
    out.append("}")
    return "".join(out)


def _error_line(lineno, msg, row_id=_NO_ID, index=None, which=None):
    head = '{"line":%d,' % lineno + ('"index":%d,' % index if index is not None else "") + _id(row_id)
    return head + ('"which":"%s",' % which if which else "") + '"error":%s}' % _string(msg)


def _check_roles(row):
    msgs = row.get("messages") if isinstance(row, dict) and not isinstance(row.get("prompt"), str) else None
    if isinstance(msgs, list):
        if len(msgs) > 63:
            return "more than 63 messages"
        for m in msgs:
            if isinstance(m, dict) and isinstance(m.get("role"), str):
                r = m["role"].encode("utf-8", "surrogatepass")
                if not 0 < len(r) < 32 or b"\0" in r:
                    return "a message role is empty or too long"
    return None


def score_line(scorer, data, lineno, per_token=False, hidden=False):
    """Scores one JSONL line (bytes or str, without its newline) as rmtool score does (the
    message of an invalid-JSON line is Python's, not rmtool's parser's).
    Returns (output lines, error): error is None, or the message of a line that failed (its
    output line is then {"line": N, "error": ...}). An empty line gives ([], None)."""
    if isinstance(data, bytes):
        if data.endswith(b"\r"):
            data = data[:-1]
        if not data:
            return [], None
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as e:
            msg = "invalid JSON: not UTF-8 (byte %d)" % e.start
            return [_error_line(lineno, msg)], msg
    else:
        if data.endswith("\r"):
            data = data[:-1]
        if not data:
            return [], None
    try:
        row = json.loads(data)
    except ValueError as e:  # Python's words for the fault, where rmtool has its parser's
        msg = "invalid JSON: %s" % e
        return [_error_line(lineno, msg)], msg
    if not isinstance(row, dict):
        msg = "the line is not a JSON object"
        return [_error_line(lineno, msg)], msg
    rid = row["id"] if "id" in row else _NO_ID
    msg = _check_roles(row)
    if msg:
        return [_error_line(lineno, msg, rid)], msg
    pair = is_pair_row(row)
    try:
        msgs, resp = _row_conversation(row)
        scores = scorer._score(msgs, resp)
    except RmError as e:
        if e.code != RM_ERR_CONTEXT or len(locals().get("resp", [])) < 2:
            return [_error_line(lineno, e.message, rid)], e.message
        # as rmtool: one response too long for the context fails alone, the others are scored
        out, errs = [], []
        for k, r in enumerate(resp):
            which = ("rejected" if k else "chosen") if pair else None
            try:
                s = scorer._score(msgs, [r])[0]
            except RmError as ek:
                out.append(_error_line(lineno, ek.message, rid, k, which))
                errs.append("response %d: %s" % (k, ek.message))
                continue
            out.append(format_score(s, lineno, k, rid, per_token, hidden, which))
            if s.nonfinite:
                errs.append("a reward is NaN or Inf")
        return out, ("; ".join(errs) or None)
    out = [format_score(s, lineno, k, rid, per_token, hidden, ("rejected" if k else "chosen") if pair else None)
           for k, s in enumerate(scores)]
    bad = [s for s in scores if s.nonfinite]
    return out, ("a reward is NaN or Inf" if bad else None)


def split_lines(data):
    """The lines of a JSONL buffer as rmtool reads them: split at \\n only (not at the other
    characters str.splitlines breaks at), a final line without a newline included."""
    lines = data.split(b"\n") if isinstance(data, bytes) else data.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines


def score_lines(scorer, lines, first_line=1, per_token=False, hidden=False):
    """Scores consecutive JSONL lines numbered from first_line. Returns (output text, errors):
    the text is what rmtool prints for them, errors a list of (line number, message)."""
    out, errors = [], []
    for i, data in enumerate(lines):
        o, err = score_line(scorer, data, first_line + i, per_token, hidden)
        out += o
        if err:
            errors.append((first_line + i, err))
    return "".join(x + "\n" for x in out), errors
