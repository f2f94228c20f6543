"""A fuzzer over the shipped dialogs: lines deleted, doubled and swapped, values changed, YAML's
special syntax (anchors, aliases, tags, merge keys), huge numbers, control characters, deep
nesting and broken bytes put in. Whatever comes out, loading and the start-up checks end in a
dialog or in a DialogError whose every problem has a line and column; never another exception,
never a hang.

The shipped dialogs are read when the test runs (they are not copied here), so the fuzzer follows
them as they change. Runs are reproducible (`derandomize`) and kept small enough for every build.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.dialogs.catalog import check_file
from bot.dialogs.loader import load_dialog_text
from bot.dialogs.model import Dialog
from bot.dialogs.problems import DialogError, Problem
from tests.conftest import DIALOGS
from tests.test_dialog_corpus import hang_guard

SHIPPED = sorted(p.name for p in DIALOGS.glob("*.yaml"))
HANG_GUARD = 60  # seconds for one example; each takes well under one

SPECIALS = [
    "&a ", "*a", "&a [*a]", "*a, *a, *a", "!foo ", "!!python/name:os.system ", "!!python/object/apply:os.system [id] ",
    "!!binary ", "!!set ", "!!int ", "!!str ", "! ", "!<tag:x.org,2000:y> ", "<<: ", "<<: {kind: message}", "<<: *a",
    "{", "}", "[", "]", '"', "'", ": ", "- ", "? ", "#", "---\n", "...\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n",
    "@", "`", "|", ">-", "\t", "\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b", "\u2028", "\ufeff", "\ufffe", "\ud800",
    "\U0001f600", "9" * 5000, "-" + "1" * 33, "1.0e+99999", "0x" + "f" * 40, ":".join(["59"] * 20), "2001-13-45",
    "2024-01-31", "~", "null", "yes", "no", "=", ".nan", "-.inf", "0o777", "1:30", "1_000", "[" * 100, "]" * 100,
    "{a: " * 70, "x" * 20_000, "{id: x}", "[a, b]", "? [a]\n: b", "result", "\\", "\r", "\r\n",
]


def _ids(text: str) -> list[str]:
    return re.findall(r"\bid: (\w+)", text) or ["x"]


# edits that mostly keep the file loadable, but change where nodes lead and what numbers say
graph_operation = st.one_of(
    st.tuples(st.just("retarget"), st.integers(0, 10_000), st.integers(0, 10_000)),
    st.tuples(st.just("number"), st.integers(0, 10_000), st.integers(-(10**40), 10**40)),
    st.tuples(st.just("delete"), st.integers(0, 10_000)),
)
operation = st.one_of(
    graph_operation,
    st.tuples(st.just("duplicate"), st.integers(0, 10_000)),
    st.tuples(st.just("swap"), st.integers(0, 10_000), st.integers(0, 10_000)),
    st.tuples(st.just("value"), st.integers(0, 10_000), st.sampled_from(SPECIALS)),
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.integers(0, 200), st.sampled_from(SPECIALS)),
    st.tuples(st.just("indent"), st.integers(0, 10_000), st.integers(-4, 4)),
)


def mutate(text: str, operations: list[tuple]) -> str:
    lines = text.split("\n")
    ids = _ids(text)
    for op in operations:
        if not lines:
            lines = [""]
        i = op[1] % len(lines)
        kind = op[0]
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = op[2] % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
        elif kind in ("value", "retarget", "number"):
            new = op[2] if kind == "value" else ids[op[2] % len(ids)] if kind == "retarget" else str(op[2])
            head, colon, _ = lines[i].partition(": ")
            lines[i] = f"{head}: {new}" if colon else f"{lines[i]} {new}"
        elif kind == "insert":
            column = min(op[2], len(lines[i]))
            lines[i] = lines[i][:column] + op[3] + lines[i][column:]
        elif kind == "indent":
            lines[i] = " " * op[2] + lines[i] if op[2] > 0 else lines[i][-op[2] :] if lines[i].startswith(" " * -op[2]) else lines[i]
    return "\n".join(lines)




def assert_positioned(problems: tuple[Problem, ...] | list[Problem]) -> None:
    for problem in problems:
        assert problem.line >= 1 and problem.column >= 1, str(problem)
        assert problem.message, problem


def load_or_refuse(text: str) -> Dialog | None:
    try:
        return load_dialog_text(text, "fuzzed.yaml")
    except DialogError as exc:
        assert exc.problems, "a refusal must say what is wrong"
        assert_positioned(exc.problems)
        return None


FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(FUZZ, max_examples=250)
@given(name=st.sampled_from(SHIPPED), operations=st.lists(operation, min_size=1, max_size=4))
def test_a_mutated_dialog_loads_or_is_refused_with_a_position(name: str, operations: list[tuple]) -> None:
    text = mutate((DIALOGS / name).read_text(encoding="utf-8"), operations)
    with hang_guard(HANG_GUARD):
        loaded = load_or_refuse(text)
    event("loaded" if loaded is not None else "refused")


@settings(FUZZ, max_examples=40)
@given(operations=st.lists(graph_operation, min_size=1, max_size=3))
def test_a_mutated_dialog_goes_through_every_start_up_check(operations: list[tuple]) -> None:
    """What start-up does to each file (`check_file`: the loader, then the validator), on a file.

    On the smallest shipped dialog: the validator walks every path of a dialog that loads, which
    takes seconds for the main one; the loader's fuzzing above covers every shipped dialog.
    """
    name = min(SHIPPED, key=lambda n: (DIALOGS / n).stat().st_size)
    text = mutate((DIALOGS / name).read_text(encoding="utf-8"), operations)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        with hang_guard(HANG_GUARD):
            try:
                dialog, problems = check_file(path)
            except DialogError as exc:  # unreadable (a lone surrogate is not UTF-8)
                dialog, problems = None, list(exc.problems)
    event("loaded, then checked" if dialog is not None else "refused by the loader")
    assert_positioned(problems)


byte_operation = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, 100_000), st.sampled_from(
        [b"\xff", b"\xfe", b"\xc3", b"\xe2\x80", b"\xed\xa0\x80", b"\x00", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\r"]
    )),
    st.tuples(st.just("truncate"), st.integers(0, 100_000)),
    st.tuples(st.just("prefix"), st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\x00"])),
)


@settings(FUZZ, max_examples=60)
@given(name=st.sampled_from(SHIPPED), operations=st.lists(byte_operation, min_size=1, max_size=3))
def test_a_dialog_with_broken_bytes_is_read_or_refused_with_a_position(name: str, operations: list[tuple]) -> None:
    from bot.dialogs.loader import load_dialog

    data = (DIALOGS / name).read_bytes()
    for op in operations:
        if op[0] == "insert":
            at = op[1] % (len(data) + 1)
            data = data[:at] + op[2] + data[at:]
        elif op[0] == "truncate":
            data = data[: op[1] % (len(data) + 1)]
        else:
            data = op[1] + data
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        with hang_guard(HANG_GUARD):
            try:
                load_dialog(path)
            except DialogError as exc:
                assert_positioned(exc.problems)
