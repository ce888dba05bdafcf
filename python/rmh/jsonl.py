"""`rmtool score --input` in Python: a JSONL line in, its output lines out, byte for byte what
rmtool writes (same fields, same number formatting), so that pieces scored anywhere (threads,
Dask workers, Spark executors) concatenate to rmtool's own output."""
import json
import math

from . import RmError, _row_conversation

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


def format_score(sc, lineno, index, row_id=_NO_ID, per_token=False, hidden=False):
    """One output line of `rmtool score --input` for a Score (without the newline); row_id: the
    row's "id" value when it has one."""
    out = ['{"line":%d,"index":%d,' % (lineno, index)]
    if row_id is not _NO_ID:
        if isinstance(row_id, str):
            out.append('"id":%s,' % _string(row_id))
        elif isinstance(row_id, (int, float)) and not isinstance(row_id, bool):
            out.append('"id":%s,' % format_double(float(row_id)))
        else:
            out.append('"id":%s,' % format_double(0.0))  # rmtool writes rmj_num() of a non-number: 0
    out.append('"reward":' + format_double(sc.reward))
    if sc.nonfinite:
        out.append(',"nonfinite":true')
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


def _error_line(lineno, msg):
    return '{"line":%d,"error":%s}' % (lineno, _string(msg))


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
    """Scores one JSONL line (bytes or str, without its newline) as rmtool score does.
    Returns (output lines, error): error is None, or the message of a line that failed (its
    output line is then {"line": N, "error": ...}). An empty line gives ([], None)."""
    if isinstance(data, bytes):
        if data.endswith(b"\r"):
            data = data[:-1]
        if not data:
            return [], None
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            return [_error_line(lineno, "invalid JSON")], "invalid JSON: not UTF-8"
    else:
        if data.endswith("\r"):
            data = data[:-1]
        if not data:
            return [], None
    try:
        row = json.loads(data)
    except ValueError as e:
        return [_error_line(lineno, "invalid JSON")], "invalid JSON: %s" % e
    if not isinstance(row, dict):
        msg = "the line is not a JSON object"
        return [_error_line(lineno, msg)], msg
    if isinstance(row.get("input"), dict) and "messages" in row["input"]:
        msg = "score rows take prompt/messages and response/responses"
        return [_error_line(lineno, msg)], msg
    msg = _check_roles(row)
    if msg:
        return [_error_line(lineno, msg)], msg
    try:
        msgs, resp = _row_conversation(row)
        scores = scorer._score(msgs, resp)
    except RmError as e:
        return [_error_line(lineno, e.message)], e.message
    out = [format_score(s, lineno, k, row["id"] if "id" in row else _NO_ID, per_token, hidden) for k, s in enumerate(scores)]
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
