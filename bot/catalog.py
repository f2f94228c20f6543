"""The dialogs a bot process serves, loaded once at start-up from one folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bot.loader import load_dialog
from bot.model import Dialog
from bot.problems import DialogError, Problem

MAIN_DIALOG = "outsource_check"
AGENCY_DIALOG = "agency_vetting"


def default_dialogs_dir() -> Path:
    """`OUTSOURCE_CHECK_DIALOGS`, else the `dialogs/` folder beside the `bot` package."""
    configured = os.environ.get("OUTSOURCE_CHECK_DIALOGS")
    return Path(configured) if configured else Path(__file__).resolve().parent.parent / "dialogs"


@dataclass(frozen=True)
class Catalog:
    dialogs: dict[str, Dialog]

    def get(self, dialog_id: str) -> Dialog | None:
        return self.dialogs.get(dialog_id)

    @classmethod
    def load(cls, folder: Path | None = None) -> Catalog:
        """Every `*.yaml` in the folder; any broken file stops start-up with all its problems."""
        folder = folder or default_dialogs_dir()
        files = sorted(folder.glob("*.yaml"))
        if not files:
            raise DialogError([])  # pragma: no cover - reported by the CLI as "no dialogs"
        dialogs: dict[str, Dialog] = {}
        problems = []
        for path in files:
            try:
                dialog = load_dialog(path)
            except DialogError as exc:
                problems.extend(exc.problems)
                continue
            dialogs[dialog.id] = dialog
        for dialog in dialogs.values():
            for outcome in dialog.outcomes:
                if outcome.follow_with and outcome.follow_with not in dialogs:
                    problems.append(
                        Problem(dialog.path, outcome.line, 1, f"follow_with: '{outcome.follow_with}' is not a dialog in {folder}", outcome.id)
                    )
        if problems:
            raise DialogError(problems)
        return cls(dialogs)

    @classmethod
    def of(cls, *dialogs: Dialog) -> Catalog:
        return cls({d.id: d for d in dialogs})
