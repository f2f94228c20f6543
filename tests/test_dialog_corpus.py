"""The corpus of broken and odd dialog files (tests/dialog_corpus/): each one is refused, by
`validate` and at start-up alike, with its file, line, column and message; never a traceback, a
hang or a bare "1:1".

Each file says on its first line what must be said about it:
`# expect EXIT at LINE:COLUMN: MESSAGE FRAGMENT`, where EXIT is the exit code `validate` gives
the file alone (2: its text could not be read at all; 1: it has problems). A file whose first
bytes cannot be a comment (a UTF-16 byte order mark) has its line in `NO_HEADER` instead. To add a
case, add a file; the expected position is the first error this file must report there.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.dialogs import tools
from bot.dialogs.catalog import Catalog, seeds_dir
from bot.dialogs.problems import DialogError
from tests.conftest import ROOT

CORPUS = Path(__file__).resolve().parent / "dialog_corpus"
FILES = sorted(CORPUS.glob("*.yaml"))
HEADER = re.compile(rb"^(?:\xef\xbb\xbf)?# expect ([12]) at (\d+):(\d+): (.+?)\r?\n")
NO_HEADER = {
    "encoding_utf16_bom.yaml": (2, 1, 1, "the file is UTF-16; save it as UTF-8"),
    "encoding_utf32_bom.yaml": (2, 1, 1, "the file is UTF-32; save it as UTF-8"),
}
HANG_GUARD = 60  # seconds; the whole corpus takes well under one


def expectation(path: Path) -> tuple[int, int, int, str]:
    if path.name in NO_HEADER:
        return NO_HEADER[path.name]
    found = HEADER.match(path.read_bytes())
    assert found, f"{path.name}: the first line must be '# expect EXIT at LINE:COLUMN: MESSAGE'"
    code, line, column, fragment = found.groups()
    return int(code), int(line), int(column), fragment.decode("utf-8")


@contextmanager
def hang_guard(seconds: int) -> Iterator[None]:
    """Fail (rather than hang the suite) if the block runs longer than `seconds`."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def validated() -> str:
    """`validate` on the whole corpus at once, in-process, as the command prints it."""
    with hang_guard(HANG_GUARD):
        text, code = tools.validate([str(p) for p in FILES], seeds_dir=seeds_dir())
    assert code == 2  # the worst of the files: some cannot be read at all
    return text


def test_the_corpus_has_at_least_sixty_files() -> None:
    assert len(FILES) >= 60


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_validate_names_file_line_column_and_message(path: Path, validated: str) -> None:
    code, line, column, fragment = expectation(path)
    mine = [text for text in validated.splitlines() if text.startswith(f"{path}:")]
    expected = f"{path}:{line}:{column}: error: "
    assert any(text.startswith(expected) and fragment in text for text in mine), (expected, fragment, mine)
    summary = mine[-1]
    if code == 2:
        assert summary == f"{path}: cannot be read"
    else:
        assert re.fullmatch(rf"{re.escape(str(path))}: \d+ problem\(s\)", summary), summary
    for text in mine[:-1]:
        where = re.match(rf"{re.escape(str(path))}:(\d+):(\d+): (error|warning): ", text)
        assert where and int(where[1]) >= 1 and int(where[2]) >= 1, text


# what only the advice checks find (bot/dialogs/advice_check.py): `validate` reports it, start-up leaves it out
ADVICE_ONLY = re.compile(r": (no reason holds|a reason rests on the answer|the answer '.*' pulls against|next step '|its open point '|the card says this twice)")


def test_start_up_refuses_the_corpus_with_exactly_validates_errors_but_the_advice_checks(validated: str) -> None:
    with hang_guard(HANG_GUARD), pytest.raises(DialogError) as refused:
        Catalog.load(CORPUS)
    at_start = sorted(str(p) for p in refused.value.problems)
    by_validate = sorted(text for text in validated.splitlines() if ": error: " in text)
    assert at_start == [text for text in by_validate if not ADVICE_ONLY.search(text)]
    assert any(ADVICE_ONLY.search(text) for text in by_validate), "the corpus has advice faults: validate finds them"


@pytest.mark.parametrize("name", ["encoding_latin1.yaml", "alias_bomb.yaml", "follow_with_missing.yaml"])
def test_each_file_alone_gets_its_own_exit_code(name: str) -> None:
    code = expectation(CORPUS / name)[0]
    with hang_guard(HANG_GUARD):
        assert tools.validate([str(CORPUS / name)])[1] == code


def test_the_commands_print_messages_never_a_traceback() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OUTSOURCE_CHECK_DIALOGS": str(CORPUS)}
    validate = subprocess.run(
        [sys.executable, "-m", "bot.dialogs.cli", "validate", *map(str, FILES)],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert validate.returncode == 2
    assert "Traceback" not in validate.stderr + validate.stdout
    assert f"{CORPUS / 'alias_bomb.yaml'}:2:8: error: anchor '&a' is not allowed" in validate.stderr
    chat = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "chat", "--store", "memory:"],
        input="q\n", capture_output=True, text=True, env=env, timeout=120,
    )
    assert chat.returncode == 2
    assert "Traceback" not in chat.stderr + chat.stdout
    assert "the dialogs have problems" in chat.stderr
    assert f"{CORPUS / 'tag_python_name.yaml'}:3:8: error: tag '!!python/name:os.system' is not allowed" in chat.stderr
