"""Reading a dialog file's plain data, reporting every problem with its file, line and column.

The loader's building blocks: a typed `get` that says what it wanted, unknown keys with a
did-you-mean, ids of the one allowed shape. Nothing here knows what a node or an outcome is.
"""

from __future__ import annotations

import re
from typing import Any

from bot.dialogs.problems import Problem, did_you_mean
from bot.dialogs.yaml_source import Located, Path

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_TEXT_LENGTH = 500


class Reader:
    """One file's data and the problems found in it so far, in the order they were found."""

    def __init__(self, located: Located, filename: str) -> None:
        self.located = located
        self.filename = filename
        self.problems: list[Problem] = []

    def problem(self, path: Path, message: str, node: str = "") -> None:
        line, column = self.located.where(path)
        self.problems.append(Problem(self.filename, line, column, message, node))

    def get(
        self,
        data: dict[str, Any],
        path: Path,
        key: str,
        kind: type | tuple[type, ...],
        *,
        required: bool = False,
        default: Any = None,
        node: str = "",
        describe: str = "",
    ) -> Any:
        if key not in data or data[key] is None:
            if required:
                self.problem(path, f"missing '{key}:' ({describe or _type_name(kind)})", node)
            return default
        value = data[key]
        if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.problem(
                (*path, key),
                f"'{key}' must be {describe or _type_name(kind)}, not {_type_name(type(value))}",
                node,
            )
            return default
        return value

    def check_keys(self, data: dict[str, Any], path: Path, allowed: set[str], what: str, node: str = "") -> None:
        for key in data:
            if key not in allowed:
                hint = did_you_mean(str(key), allowed)
                self.problem((*path, key, "<key>"), f"unknown key '{key}' in {what}{hint}", node)

    def check_id(self, value: str, path: Path, what: str, node: str = "") -> None:
        if not ID_PATTERN.match(value):
            self.problem(
                path,
                f"{what} id '{value}' must be lowercase letters, digits and _, start with a letter,"
                " at most 32 characters",
                node,
            )

    def check_length(self, text: str, path: Path, key: str, node: str) -> None:
        if len(text) > MAX_TEXT_LENGTH:
            self.problem(path, f"'{key}' is {len(text)} characters; keep it under {MAX_TEXT_LENGTH} (split it into a message node)", node)


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", bool: "true or false", list: "a list", dict: "a mapping", float: "a number"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)
