"""How a user starts a dialog on each surface, for dialog text that tells them to run one.

Dialogs write `{run:agency_vetting}` once (or `{run:agency_vetting:agency}` to fill in the saved
answer `agency` as the name); the user reads the command of the surface they are on (a terminal
command line, a Slack or a Discord slash command), never another platform's.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping

RUN_PLACEHOLDER = re.compile(r"\{run:([a-z][a-z0-9_]*)(?::([a-z][a-z0-9_]*))?\}")
NAME = "{name}"

# surface -> dialog id -> the command; {name} is the subject (an agency's name) where one is given
COMMANDS: dict[str, dict[str, str]] = {
    "terminal": {
        "outsource_check": "outsource-check chat",
        "agency_vetting": "outsource-check chat --dialog agency_vetting --agency {name}",
    },
    "slack": {
        "outsource_check": "/outsource-check",
        "agency_vetting": "/outsource-check agency {name}",
    },
    "discord": {
        "outsource_check": "/outsource-check check",
        "agency_vetting": "/outsource-check agency name:{name}",
    },
}
# a name goes into a command line as the surface reads it: a shell splits on spaces and expands $ and quotes
QUOTE: dict[str, Callable[[str], str]] = {"terminal": shlex.quote}
GENERIC = {"outsource_check": "the Outsource Check", "agency_vetting": "the agency check"}
PLACEHOLDER_NAME = "<agency name>"


def surface_of(owner: str) -> str:
    """The surface a user id belongs to ("slack:T1:U1" -> "slack")."""
    return owner.partition(":")[0]


def command(dialog_id: str, surface: str, name: str = "") -> str:
    known = COMMANDS.get(surface, {}).get(dialog_id)
    if known is None:
        return GENERIC.get(dialog_id, dialog_id)
    return known.replace(NAME, QUOTE.get(surface, str)(name or PLACEHOLDER_NAME))


def fill_commands(text: str, surface: str, saved: Mapping[str, str] | None = None) -> str:
    if "{run:" not in text:
        return text
    saved = saved or {}
    return RUN_PLACEHOLDER.sub(lambda m: command(m.group(1), surface, saved.get(m.group(2) or "", "")), text)
