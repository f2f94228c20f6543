"""Reading dialog files safely, and start-up checking them exactly as `validate` does.

The corpus (test_dialog_corpus.py) covers what a file may say; these cover what a file or a
folder may be: too big, too many values, a pipe, a folder, a dangling link, missing or empty;
and the verdicts start-up remembers so that running every check stays quick.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.dialogs import catalog, tools, verdicts, yaml_source
from bot.dialogs.catalog import Catalog, NoDialogs, check_file
from bot.dialogs.loader import load_dialog, load_dialog_text
from bot.dialogs.problems import DialogError, UnreadableDialog
from tests.conftest import ROOT
from tests.helpers import SMALL

CLEAN = SMALL.lstrip("\n")


@pytest.fixture(autouse=True)
def _own_verdicts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Remembered verdicts in this test's own folder, and none from earlier tests in this process."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(catalog, "_checked", {})


def folder_with(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "dialogs"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text)
    return folder


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as file:
        file.truncate(yaml_source.MAX_BYTES + 1024 * 1024)  # sparse: nothing is written
    with pytest.raises(UnreadableDialog) as refused:
        load_dialog(big)
    assert str(refused.value) == (
        f"{big}:1:1: error: the file is 9,437,184 bytes; a dialog file may be at most 8,388,608 (8 MiB): split it into several dialogs"
    )
    text, code = tools.validate([str(big)])
    assert code == 2 and text.endswith(f"{big}: cannot be read")
    with pytest.raises(DialogError, match="a dialog file may be at most"):
        load_dialog_text(" " * (yaml_source.MAX_BYTES + 1), "big.yaml")


def test_too_many_values_are_refused_where_the_limit_is_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_source, "MAX_NODES", 50)
    with pytest.raises(DialogError) as refused:
        load_dialog_text("id: x\nmany: [" + ", ".join(["1"] * 100) + "]\n", "many.yaml")
    assert str(refused.value).startswith("many.yaml:2:")
    assert "more than 50 values in one file" in str(refused.value)


def test_text_with_a_lone_surrogate_is_refused_at_its_position() -> None:
    with pytest.raises(DialogError) as refused:
        load_dialog_text("id: x\ntitle: a\ud800b\n", "odd.yaml")
    assert str(refused.value) == "odd.yaml:2:9: error: character U+D800 is not allowed in a YAML file: delete it"


def test_a_big_valid_dialog_still_loads() -> None:
    """The limits sit far above real dialogs: the 10,000-node benchmark dialog loads."""
    from bench.dialog_gen import dialog_yaml

    dialog = load_dialog_text(dialog_yaml(10_000), "generated.yaml")
    assert len(dialog.nodes) == 10_000


def test_a_pipe_a_folder_and_a_dangling_link_stop_start_up_without_hanging(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, small=CLEAN)
    os.mkfifo(folder / "pipe.yaml")  # opening it to read would wait for a writer forever
    (folder / "folder.yaml").mkdir()
    (folder / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    with pytest.raises(DialogError) as refused:
        Catalog.load(folder)
    assert sorted(str(p) for p in refused.value.problems) == [
        f"{folder / 'folder.yaml'}:1:1: error: cannot read the file: not a regular file",
        f"{folder / 'gone.yaml'}:1:1: error: cannot read the file: No such file or directory",
        f"{folder / 'pipe.yaml'}:1:1: error: cannot read the file: not a regular file",
    ]
    text, code = tools.validate([str(folder / "pipe.yaml"), str(folder / "folder.yaml")])
    assert code == 2 and "not a regular file" in text


@pytest.mark.parametrize("case", ["missing", "empty", "a file"])
def test_a_missing_or_empty_dialogs_folder_is_named_in_one_line(tmp_path: Path, case: str) -> None:
    folder = tmp_path / "dialogs"
    if case == "empty":
        folder.mkdir()
        (folder / "notes.txt").write_text("not a dialog")
    elif case == "a file":
        folder.write_text("")
    with pytest.raises(NoDialogs) as refused:
        Catalog.load(folder)
    expected = {
        "missing": f"the dialogs folder {folder} does not exist;",
        "empty": f"no dialog files (*.yaml) in {folder};",
        "a file": f"the dialogs folder {folder} is not a folder;",
    }[case]
    assert str(refused.value).startswith(expected)
    env = {**os.environ, "OUTSOURCE_CHECK_DIALOGS": str(folder), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "adapters.cli", "chat"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == f"outsource-check: {refused.value}"


def test_start_up_runs_the_validators_checks(tmp_path: Path) -> None:
    """A dialog the loader accepts but the validator refuses no longer starts."""
    extra = "".join(f"      - {{id: c{i}, label: Choice {i}}}\n" for i in range(25))
    crowded = CLEAN.replace("      - {id: blog, label: Blog}\n", f"      - {{id: blog, label: Blog}}\n{extra}")
    folder = folder_with(tmp_path, small=crowded)
    with pytest.raises(DialogError) as refused:
        Catalog.load(folder)
    text, code = tools.validate([str(folder / "small.yaml")])
    assert code == 1
    assert [str(p) for p in refused.value.problems] == [line for line in text.splitlines() if ": error: " in line]
    assert "node 'channels': 28 choices; Discord shows at most 25" in text


def test_validate_and_start_up_agree_on_follow_with(tmp_path: Path) -> None:
    pointing = CLEAN.replace("    fallback: true\n", "    fallback: true\n    follow_with: other\n")
    folder = folder_with(tmp_path, small=pointing)
    text, code = tools.validate([str(folder / "small.yaml")])
    assert code == 1 and "node 'consultant': follow_with: 'other' is not a dialog in the same folder" in text
    with pytest.raises(DialogError, match="follow_with: 'other' is not a dialog in the same folder"):
        Catalog.load(folder)
    (folder / "other.yaml").write_text(CLEAN.replace("id: small\n", "id: other\n"))
    assert tools.validate([str(folder / "small.yaml")])[1] == 0
    assert set(Catalog.load(folder).dialogs) == {"small", "other"}


def test_two_files_with_one_id_are_both_refused(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, first=CLEAN, second=CLEAN)
    with pytest.raises(DialogError) as refused:
        Catalog.load(folder)
    assert [p.message for p in refused.value.problems] == [
        "dialog id 'small' is also the id of second.yaml: ids must be unique",
        "dialog id 'small' is also the id of first.yaml: ids must be unique",
    ]


def test_a_clean_verdict_is_remembered_and_an_edit_is_checked_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_check = catalog.check

    def counting_check(dialog, **kwargs):
        calls.append(dialog.id)
        return real_check(dialog, **kwargs)

    monkeypatch.setattr(catalog, "check", counting_check)
    folder = folder_with(tmp_path, small=CLEAN)
    Catalog.load(folder)
    assert calls == ["small"]
    monkeypatch.setattr(catalog, "_checked", {})  # as a new process would start
    Catalog.load(folder)
    assert calls == ["small"]  # remembered on disk: not checked again
    (folder / "small.yaml").write_text(CLEAN.replace("title: Small", "title: Smaller"))
    Catalog.load(folder)
    assert calls == ["small", "small"]
    extra = "".join(f"      - {{id: c{i}, label: Choice {i}}}\n" for i in range(25))
    crowded = CLEAN.replace("      - {id: blog, label: Blog}\n", f"      - {{id: blog, label: Blog}}\n{extra}")
    (folder / "small.yaml").write_text(crowded)
    for _ in range(2):
        monkeypatch.setattr(catalog, "_checked", {})
        with pytest.raises(DialogError):
            Catalog.load(folder)
    assert calls == ["small"] * 4  # a verdict with errors is never remembered


def test_an_unwritable_cache_only_means_checking_every_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    folder = folder_with(tmp_path, small=CLEAN)
    assert set(Catalog.load(folder).dialogs) == {"small"}
    assert verdicts.known_clean(verdicts.key(CLEAN, None)) is False


def test_check_file_reports_the_loaders_problems_or_the_validators(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, small=CLEAN, broken=CLEAN.replace("start: hello", "start: !foo hello"))
    dialog, problems = check_file(folder / "small.yaml")
    assert dialog is not None and not [p for p in problems if p.severity == "error"]
    dialog, problems = check_file(folder / "broken.yaml")
    assert dialog is None and [str(p) for p in problems] == [
        f"{folder / 'broken.yaml'}:7:8: error: tag '!foo' is not allowed in dialog files; write plain text (quote it if needed)"
    ]

