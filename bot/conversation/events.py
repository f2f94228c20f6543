"""What adapters send into the core: who did what, as plain frozen data.

`user` is platform-scoped ("slack:T123:U456", "discord:81234", "terminal:alice") so one store can
serve every platform without two people ever sharing an id.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.dialogs.catalog import MAIN_DIALOG
from bot.followups.jobs import Job

SYSTEM = "system:followups"  # the user of a `RunFollowUp` event: no person acted


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
    """Render one session as it stands; with `version`, only if a button drawn then is still current
    (a form about to open for it), and with `share`, only a result that may be shared now."""

    session: str
    version: int | None = None
    share: bool = False


@dataclass(frozen=True)
class Share:
    """Post a finished check's summary in a channel, with the sharer's name on it. `channel` is the
    channel's surface prefix ("C123:"); the adapter has checked the user may post there."""

    session: str
    channel: str


@dataclass(frozen=True)
class ShowHistory:
    limit: int = 5


@dataclass(frozen=True)
class LatestResult:
    """The newest finished check's result card, or no reply at all when there is none (e.g. for a home tab)."""


@dataclass(frozen=True)
class Forget:
    """Asked first (`confirmed` False); then the user's answer to the confirmation: delete, or `kept`."""

    confirmed: bool = False
    kept: bool = False


@dataclass(frozen=True)
class Arrived:
    """A platform delivery (by its own id) arrived: no replies the first time; a stale notice when the
    platform sent it again (it re-sends what it thinks was lost), so it is handled once across processes."""

    key: str


@dataclass(frozen=True)
class Delivered:
    """The adapter posted (or updated) what a route asked it to report: `token` is the route's `report`,
    `surface` the message it is now in. The replies that follow are part of the same flow (see routes.py)."""

    token: str
    surface: str = ""


@dataclass(frozen=True)
class RunFollowUp:
    """A follow-up job is due (the adapter's `FollowUpRunner` claimed it): the replies are `FollowUp`s,
    one per recipient, each to be delivered as that user's turn; none when it is no longer relevant.
    Sent as `Event(SYSTEM, RunFollowUp(job))`."""

    job: Job


@dataclass(frozen=True)
class ChangeSetting:
    """A workspace admin changes a setting of the whole workspace (`nudge`: "24h", "30m", "off"); with
    no value, the current one is shown. `is_admin` is the adapter's word (Slack: admin or owner)."""

    name: str
    value: str = ""
    is_admin: bool = False


Action = (
    Start | Answer | Back | Restart | Resume | Show | Share | ShowHistory | LatestResult | Forget | MoveTo | TypedReply | Delivered | RunFollowUp
    | Arrived | ChangeSetting
)


# --- team rounds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenRound:
    """Start a team round in a channel; `surface` is the round card's message."""

    name: str  # the starter's display name
    surface: str
    topic: str = ""
    anonymous: bool = False
    expected: int = 0
    deadline: float = 0.0
    quorum: int = 0  # positions needed before closing without a stated reason (0: none)
    dialog: str = MAIN_DIALOG
    deadline_in: str = ""  # as typed ("30", "30m", "2h", "1d"): the core reads it with its own clock


@dataclass(frozen=True)
class TakeRoundCheck:
    """Take (or retake) the round's check privately; `surface` is where the private check lives."""

    round: str
    name: str
    surface: str = ""
    is_member: bool = True  # the adapter's word that the user belongs to the round's channel


@dataclass(frozen=True)
class RevealRound:
    round: str
    is_admin: bool = False


@dataclass(frozen=True)
class TakePosition:
    """Agree, abstain or object to the round's proposed decision (the team's recommendation), with an
    optional reason in the member's words; changeable until the round closes."""

    round: str
    stance: str  # agree, abstain or object (replies.Stance); anything else is refused by the core
    reason: str = ""


@dataclass(frozen=True)
class CloseRound:
    """Close and record the decision; `reason` says why when closing before the round's quorum."""

    round: str
    is_admin: bool = False
    reason: str = ""


@dataclass(frozen=True)
class ShowRound:
    """The round card as it stands, or the decision record once closed (for export)."""

    round: str
    record: bool = False


@dataclass(frozen=True)
class LatestRound:
    """The user's newest round (started or joined) whose card's surface starts with `where`, as ShowRound shows it.

    Adapters write surfaces channel first, so `where` set to a channel's prefix finds "this channel's round".
    """

    where: str
    record: bool = False


@dataclass(frozen=True)
class RoundThread:
    """The adapter opened the discussion thread: remember where, for the decision record."""

    round: str
    thread: str


@dataclass(frozen=True)
class SecondLook:
    """After the reveal, a member who finished re-answers the questions the team split on, privately;
    `surface` is where that private conversation lives. Its clicks are ordinary Answer events."""

    round: str
    surface: str = ""


RoundAction = (
    OpenRound | TakeRoundCheck | RevealRound | TakePosition | CloseRound | ShowRound | LatestRound | RoundThread | SecondLook
)


@dataclass(frozen=True)
class Event:
    user: str
    action: Action | RoundAction
