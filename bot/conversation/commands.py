"""What a typed slash command asks for (`/outsource-check team Q3 expected:4`), for platforms whose
commands arrive as one line of text (Slack; a Telegram or Teams bot would be the same).

Platforms with typed options (Discord) build the events themselves; both end in the same events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot import words
from bot.conversation.clicks import NO_FACTS, Facts
from bot.conversation.events import (
    Action,
    ChangeSetting,
    Forget,
    LatestRound,
    OpenRound,
    Resume,
    RoundAction,
    ShowHistory,
    Start,
)
from bot.dialogs.catalog import AGENCY_DIALOG, MAIN_DIALOG

EXPECTED = re.compile(r"\bexpected:(\d{1,3})\b")
QUORUM = re.compile(r"\bquorum:(\d{1,3})\b")
DEADLINE = re.compile(r"\bdeadline:\S+")
SIMPLE: dict[str, Action] = {"": Start(MAIN_DIALOG), "check": Start(MAIN_DIALOG), "start": Start(MAIN_DIALOG), "resume": Resume(), "history": ShowHistory(), "forget": Forget()}


@dataclass(frozen=True)
class Command:
    """The event a command stands for; else `help` (shown with `unknown` first when the subcommand
    was not one of ours) or a one-line `hint`. `needs`: the facts the platform must add (see clicks.py)."""

    event: Action | RoundAction | None = None
    needs: frozenset[str] = frozenset()
    help: bool = False
    unknown: str = ""
    hint: str = ""


def parse_team_text(text: str) -> tuple[str, int, bool, str, int]:
    """`team [topic] [expected:N] [deadline:30m|2h|1d] [quorum:N] [anonymous]` -> (topic, expected, anonymous, deadline, quorum)."""
    expected = EXPECTED.search(text)
    quorum = QUORUM.search(text)
    deadline = DEADLINE.search(text)
    text = DEADLINE.sub("", QUORUM.sub("", EXPECTED.sub("", text)))
    said = text.split()
    topic = " ".join(w for w in said if w != "anonymous")
    due = deadline.group(0).removeprefix("deadline:") if deadline else ""
    return topic, int(expected.group(1)) if expected else 0, "anonymous" in said, due, int(quorum.group(1)) if quorum else 0


def command_of(text: str, *, name: str, channel: str, in_dm: bool, facts: Facts = NO_FACTS) -> Command:
    """`channel`: the surface prefix of where it was typed ("C123:"); no round opens in a direct message."""
    sub, _, rest = text.strip().partition(" ")
    sub, rest = sub.lower(), rest.strip()
    if sub in SIMPLE:
        return Command(SIMPLE[sub])
    if sub == "agency":
        return Command(Start(AGENCY_DIALOG, (("agency_name", rest),))) if rest else Command(hint=words.NAME_THE_AGENCY)
    if sub == "settings":
        setting, _, value = rest.partition(":")
        change = ChangeSetting(setting.strip().lower() or "nudge", value.strip(), facts.is_admin)
        return Command(change, frozenset({"admin"}) if value.strip() else frozenset())
    if sub == "team" and rest.lower() == "export":
        return Command(LatestRound(channel, record=True))
    if sub == "team":
        topic, expected, anonymous, deadline, quorum = parse_team_text(rest)
        return Command(OpenRound(name=name, surface="" if in_dm else channel, topic=topic, expected=expected, anonymous=anonymous, deadline_in=deadline, quorum=quorum))
    if sub == "help":
        return Command(help=True)
    return Command(help=True, unknown=sub[:40])
