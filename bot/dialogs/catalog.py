"""The dialogs a bot process serves, loaded once at start-up from one folder.

Start-up and `outsource-check validate` check a dialog through the functions here: `check_file`
(the loader, then the checks of `bot.dialogs.validator.check`; start-up leaves out the advice
checks, which prove each card on every path and cost tens of seconds) and `check_across` (what no
single file can show: dialog ids unique in the folder, and every `follow_with` naming one of
them). A folder that `validate` passes starts; one that would strand a user or break the bot
does not start, with the same messages `validate` prints.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.dialogs import verdicts
from bot.dialogs.loader import load_dialog_text, read_dialog_file
from bot.dialogs.model import Dialog
from bot.dialogs.problems import DialogError, Problem, did_you_mean
from bot.dialogs.validator import check

MAIN_DIALOG = "outsource_check"
AGENCY_DIALOG = "agency_vetting"


CHECKOUT = Path(__file__).resolve().parents[2]  # bot/dialogs/catalog.py -> the folder holding bot/


def default_dialogs_dir() -> Path:
    """`OUTSOURCE_CHECK_DIALOGS`, else the `dialogs/` folder beside the `bot` package."""
    configured = os.environ.get("OUTSOURCE_CHECK_DIALOGS")
    return Path(configured) if configured else CHECKOUT / "dialogs"


def seeds_dir() -> Path | None:
    """The seed articles sit in ../shared/seeds beside a checkout; sources are checked there if present."""
    candidate = CHECKOUT.parent / "shared" / "seeds"
    return candidate if candidate.is_dir() else None


class NoDialogs(DialogError):
    """The dialogs folder is missing, or holds no dialog file: there is nothing to serve."""

    def __init__(self, message: str) -> None:
        super().__init__(())
        self.message = message

    def __str__(self) -> str:
        return self.message


def check_file(path: Path, *, seeds_dir: Path | None = None, remember: bool = False) -> tuple[Dialog | None, list[Problem]]:
    """One file as start-up or `validate` checks it: the loader's problems, else the validator's.

    Raises UnreadableDialog for a file whose text cannot be had at all. A process checks the same
    text once. `remember` is start-up: every check but the advice checks (`validator.check`, whose
    docstring says why), and a verdict without errors is kept on disk for this exact text, code and
    seed folder, so the next start skips even that path walk and returns no problems
    (`bot.dialogs.verdicts`); errors are never remembered, always found afresh.
    """
    text = read_dialog_file(path)
    try:
        dialog = load_dialog_text(text, str(path))
    except DialogError as exc:
        return None, list(exc.problems)
    key = verdicts.key(text, seeds_dir)
    seen = _checked.get((key, dialog.path, remember)) if key else None
    if seen is not None:
        return dialog, list(seen)
    if remember and key and verdicts.known_clean(key):
        return dialog, []
    problems = check(dialog, seeds_dir=seeds_dir, advice=not remember)
    if key:
        if len(_checked) >= 256:
            _checked.clear()
        _checked[(key, dialog.path, remember)] = tuple(problems)
        if remember and not any(p.severity == "error" for p in problems):
            verdicts.remember_clean(key)
    return dialog, problems


_checked: dict[tuple[str, str, bool], tuple[Problem, ...]] = {}  # (text and code, file name, start-up?) -> the validator's verdict


def check_across(dialogs: Iterable[Dialog]) -> list[Problem]:
    """What no single file shows: each dialog id used once in the folder, each `follow_with` a dialog there."""
    dialogs = list(dialogs)
    by_id: dict[str, list[Dialog]] = {}
    for dialog in dialogs:
        by_id.setdefault(dialog.id, []).append(dialog)
    problems = []
    for dialog in dialogs:
        others = [Path(d.path).name for d in by_id[dialog.id] if d is not dialog]
        if others:
            problems.append(Problem(dialog.path, 1, 1, f"dialog id '{dialog.id}' is also the id of {', '.join(others)}: ids must be unique"))
        for outcome in dialog.outcomes:
            if outcome.follow_with and outcome.follow_with not in by_id:
                problems.append(
                    Problem(
                        dialog.path,
                        outcome.line or 1,
                        1,
                        f"follow_with: '{outcome.follow_with}' is not a dialog in the same folder{did_you_mean(outcome.follow_with, by_id)}",
                        outcome.id,
                    )
                )
    return problems


@dataclass(frozen=True)
class Catalog:
    dialogs: dict[str, Dialog]

    def get(self, dialog_id: str) -> Dialog | None:
        return self.dialogs.get(dialog_id)

    @classmethod
    def load(cls, folder: Path | None = None) -> Catalog:
        """Every `*.yaml` in the folder, checked as `validate` checks it but for the advice checks; any error stops start-up.

        Raises NoDialogs for a missing or empty folder, DialogError with every problem otherwise.
        """
        folder = folder or default_dialogs_dir()
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            raise NoDialogs(f"the dialogs folder {folder} {what}; set OUTSOURCE_CHECK_DIALOGS to a folder of dialog files")
        files = sorted(folder.glob("*.yaml"))
        if not files:
            raise NoDialogs(f"no dialog files (*.yaml) in {folder}; set OUTSOURCE_CHECK_DIALOGS to a folder of dialog files")
        seeds = seeds_dir()
        dialogs: list[Dialog] = []
        problems: list[Problem] = []
        for path in files:
            try:
                dialog, found = check_file(path, seeds_dir=seeds, remember=True)
            except DialogError as exc:  # unreadable
                problems.extend(exc.problems)
                continue
            problems.extend(p for p in found if p.severity == "error")
            if dialog is not None:
                dialogs.append(dialog)
        problems.extend(check_across(dialogs))
        if problems:
            raise DialogError(problems)
        return cls({d.id: d for d in dialogs})

    @classmethod
    def of(cls, *dialogs: Dialog) -> Catalog:
        return cls({d.id: d for d in dialogs})
