"""What adapters send into the core: who did what, as plain frozen data.

`user` is platform-scoped ("slack:T123:U456", "discord:81234", "terminal:alice") so one store can
serve every platform without two people ever sharing an id.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.catalog import MAIN_DIALOG


@dataclass(frozen=True)
class Start:
    dialog: str = MAIN_DIALOG
    prefill: tuple[tuple[str, str], ...] = ()  # (text node id, value), e.g. the agency's name
    surface: str = ""  # where the adapter will show it (a message id), echoed in every reply


@dataclass(frozen=True)
class MoveTo:
    """The conversation now lives in another message: old buttons go stale, replies carry the new surface."""

    session: str
    surface: str


@dataclass(frozen=True)
class TypedReply:
    """Free text typed in a chat (a DM): answers the user's running check if it can be read as an answer."""

    text: str


@dataclass(frozen=True)
class Answer:
    session: str
    node: str
    value: object
    version: int | None = None  # None: the typed reply in a chat, which always means "the current question"


@dataclass(frozen=True)
class Back:
    session: str
    version: int | None = None


@dataclass(frozen=True)
class Restart:
    session: str
    version: int | None = None


@dataclass(frozen=True)
class Resume:
    """Continue the most recent unfinished check (of `dialog`, if given), or say there is none."""

    dialog: str = ""


@dataclass(frozen=True)
class Show:
    """Render one session as it stands (e.g. a result to share)."""

    session: str


@dataclass(frozen=True)
class ShowHistory:
    limit: int = 5


@dataclass(frozen=True)
class Forget:
    confirmed: bool = False


Action = Start | Answer | Back | Restart | Resume | Show | ShowHistory | Forget | MoveTo | TypedReply


@dataclass(frozen=True)
class Event:
    user: str
    action: Action
