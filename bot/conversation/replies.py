"""What the core says back: plain frozen data that every adapter renders its own way.

No Block Kit, no embeds, no ANSI here. All text is plain (adapters escape it for their markup),
so nothing a user typed can turn into a mention or a formatting trick.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

from bot.dialogs.model import QuestionKind

RoundStatus = Literal["open", "revealed", "closed"]
Stance = Literal["agree", "abstain", "object"]
Strength = Literal["strong", "moderate", "weak"]  # how many of the finished members back the team's outcome


class To(enum.StrEnum):
    """Where a reply goes, in words every platform can map to its own mechanics (see `routes.route`)."""

    HERE = "here"  # in place of the message the event came from (a click's own message); else only the user
    MESSAGE = "message"  # update the message the reply names (`Route.at`): the living check, the round card
    NEW = "new"  # a new message in the user's private chat with the bot (their DM)
    USER = "user"  # only the user who acted sees it (ephemeral where the platform has it)
    CHANNEL = "channel"  # a new message in the channel of `Route.at`, for everyone there
    THREAD = "thread"  # a new message in the discussion thread of the message at `Route.at`
    RECIPIENT = "recipient"  # a follow-up's replies for another user (`Route.at` is their user key): delivered as their turn


class NoticeKind(enum.StrEnum):
    """Every kind of Notice the core sends. A StrEnum: each member equals its string, so adapters
    may compare `notice.kind == "stale"` as well as `notice.kind is NoticeKind.STALE`."""

    STALE = "stale"  # a button from an earlier step, a check or round that is gone, a race lost: nothing changed
    INVALID = "invalid"  # an answer that does not fit, or an unknown dialog: a hint beside the same question
    CHANGED = "changed"  # the dialog changed under a check, or is no longer offered: offer a restart
    NOT_OWNER = "not_owner"  # someone else's check
    NOTHING_TO_RESUME = "nothing_to_resume"  # no unfinished (or running) check
    CONFIRM_FORGET = "confirm_forget"  # asks before deleting everything stored about the user
    FORGOTTEN = "forgotten"  # the user's data was deleted
    UNAVAILABLE = "unavailable"  # the store (or the round) cannot serve now: try again
    NO_ROUND = "no_round"  # no team round here
    NOT_MEMBER = "not_member"  # only members of the channel can join its round
    REFUSED = "refused"  # a team-round action not allowed now; the text says why
    REASON_NEEDED = "reason_needed"  # closing a round before its quorum: ask the closer why, then close with it
    KEPT = "kept"  # the user chose not to delete their data
    DONE = "done"  # an action went through; the text says what (a position taken, a result shared)


@dataclass(frozen=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True)
class Progress:
    number: int
    about: int

    @property
    def text(self) -> str:
        return f"question {self.number} of about {self.about}"


@dataclass(frozen=True)
class Question:
    """The current question. Adapters put `session_id`, `node` and `version` into every button,
    so a click names exactly what it answers and a stale one can be told apart."""

    session_id: str
    version: int
    dialog_id: str
    dialog_title: str
    node: str
    kind: QuestionKind
    text: str
    options: tuple[Option, ...]
    progress: Progress
    why: str = ""
    source: str = ""
    preface: tuple[str, ...] = ()
    min_picks: int = 0
    max_picks: int = 0
    scale_low: str = ""
    scale_high: str = ""
    max_length: int = 0
    can_go_back: bool = False
    surface: str = ""  # the adapter's message this conversation lives in, if it told the core
    previous: tuple[str, ...] = ()  # option ids (or the text) answered here before going back
    description: str = ""  # the dialog's description, on its first question only
    here: bool = False  # the answer to a click on this check's own message, before the core learnt where it is


@dataclass(frozen=True)
class ScoreLine:
    dimension: str
    label: str
    score: int
    low: int
    high: int
    why: str = ""
    ruled_out: str = ""  # a `veto` dimension one answer went against: its bar is empty, and says why

    @property
    def heading(self) -> str:
        """The label a bar is shown with: an empty bar that an answer ruled out says so."""
        return f"{self.label} ({self.ruled_out})" if self.ruled_out else self.label

    @property
    def fraction(self) -> float:
        """Where the score sits between the lowest and highest reachable, 0.0 to 1.0."""
        span = self.high - self.low
        return 0.5 if span <= 0 else min(1.0, max(0.0, (self.score - self.low) / span))


@dataclass(frozen=True)
class Advice:
    """One reason or tension on a result card: a sentence, and the article's words behind it."""

    text: str
    quote: str = ""
    article: str = ""  # the article's title, never a file name


@dataclass(frozen=True)
class ResultCard:
    session_id: str
    version: int
    dialog_id: str
    dialog_title: str
    outcome: str
    title: str
    summary: str
    why: str
    scores: tuple[ScoreLine, ...]
    reasons: tuple[Advice, ...]
    tensions: tuple[Advice, ...]
    next_steps: tuple[str, ...]
    still_to_settle: tuple[str, ...]
    sources: tuple[str, ...]
    preface: tuple[str, ...] = ()
    subject: str = ""  # e.g. the agency's name in the vetting dialog
    surface: str = ""
    can_share: bool = True  # False for a team round's private check: the round's reveal shares it, together
    here: bool = False  # as Question.here


@dataclass(frozen=True)
class Notice:
    """Anything that is not a step of the dialog: a refusal, a hint, a confirmation.

    `kind` lets adapters choose how loud to be: "stale" and "not_owner" are quiet (ephemeral),
    "invalid" is a hint beside the same question, "changed" offers a restart.
    """

    kind: NoticeKind
    text: str
    session_id: str = ""
    to: To = To.USER  # HERE: in place of the message clicked (a confirmation answered, a check that changed)


@dataclass(frozen=True)
class HistoryEntry:
    session_id: str
    dialog_title: str
    outcome_title: str
    finished_at: float


@dataclass(frozen=True)
class History:
    entries: tuple[HistoryEntry, ...]


@dataclass(frozen=True)
class RoundCard:
    """The round's card in the channel: who is in, how many finished, never what they answered."""

    round_id: str
    version: int
    topic: str
    starter: str  # display name
    status: RoundStatus
    joined: tuple[str, ...]
    finished: tuple[str, ...]
    expected: int = 0
    deadline: float = 0.0
    anonymous: bool = False
    surface: str = ""
    quorum: int = 0  # positions needed before closing without a stated reason


@dataclass(frozen=True)
class Spread:
    label: str
    low: int
    median: float
    high: int
    range_low: int  # the dimension's own reachable range, for drawing bars
    range_high: int
    # each finished member's score, in member order, as (display name, score): for drawing the
    # members as points; in an anonymous round the name is the round's neutral "Member N", never a name.
    # None: that member's check never asked about this dimension (no point is drawn for them)
    points: tuple[tuple[str, int | None], ...] = ()


@dataclass(frozen=True)
class End:
    """One end of a split: an answer, and the members who gave it.

    `members` are user ids (never names anyone typed), for the adapter to render as its platform's
    mentions; empty in an anonymous round, where `count` describes the end instead.
    """

    answer: str
    count: int
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Disagreement:
    question: str
    split: tuple[tuple[str, int], ...]  # answer label -> how many gave it
    why: str
    source: str
    ends: tuple[End, ...] = ()  # the two ends of the split, asked to say why (none for pick-several questions)


@dataclass(frozen=True)
class MemberResult:
    name: str
    outcome: str  # title, or "not finished"


@dataclass(frozen=True)
class TeamSummary:
    """Posted at the reveal: the comparison, the prompts for the thread, and the positions so far."""

    round_id: str
    version: int
    topic: str
    members: tuple[MemberResult, ...]
    spreads: tuple[Spread, ...]
    disagreements: tuple[Disagreement, ...]
    team_outcome: str
    team_outcome_title: str
    agreement: tuple[int, int]  # members behind the team's outcome, members finished
    strength: Strength
    rule: str  # how the team's outcome was chosen, in words
    positions: tuple[tuple[Stance, int], ...] = (("agree", 0), ("abstain", 0), ("object", 0))  # stance -> members so far
    quorum: int = 0  # positions needed before closing without a stated reason (0: none)
    surface: str = ""
    moves: tuple[Move, ...] = ()  # answers changed in second looks, in member order
    first_outcome_title: str = ""  # the team's recommendation at the reveal, once anyone took a second look
    first_agreement: tuple[int, int] = (0, 0)
    first_strength: Strength | None = None
    can_look_again: bool = False  # revealed, not closed, and the team split on something
    thread: str = ""  # where the comparison was posted (its thread holds the discussion), once it was
    closed: bool = False  # the round is closed: the comparison keeps its figures and takes no more positions
    new_figures: bool = False  # a second look changed the figures: the team's picture is worth showing again
    here: bool = False  # a position taken on the comparison before the adapter reported where it is: draw it in place
    carried: bool = True  # as positions stand (or stood at the close), the proposal is carried


@dataclass(frozen=True)
class Move:
    """One answer a member changed in a second look: plain text (adapters escape it)."""

    name: str
    question: str
    before: str
    after: str
    outcome_before: str
    outcome_after: str


@dataclass(frozen=True)
class Position:
    """One member's position on the proposed decision; `reason` is their own words (plain, escape it)."""

    name: str
    stance: Stance
    reason: str = ""


@dataclass(frozen=True)
class DecisionRecord:
    round_id: str
    topic: str
    date: str
    participants: tuple[str, ...]
    decision: str  # outcome title: the proposed decision (the team's recommendation)
    positions: tuple[Position, ...]  # every position taken, in member order
    reasons: tuple[str, ...]
    next_steps: tuple[str, ...]
    follow_with: str  # a dialog to run next (e.g. agency_vetting), or ""
    markdown: str
    surface: str = ""
    thread: str = ""  # where the team discussed it, if the adapter said
    closed_short: str = ""  # "Closed with 2 of 3 positions: <the closer's reason>", or "" when the quorum was met (or none set)
    exported: bool = False  # asked for as an export: the Markdown, for the asker only (else posted in the thread)
    review_on: str = ""  # the date (YYYY-MM-DD) the team is asked, in the thread, whether the decision still holds
    carried: bool = True  # the positions carried the proposal (bot/team/rounds.py `carries`); if not, nothing is decided

    def count(self, stance: Stance) -> int:
        return sum(1 for p in self.positions if p.stance == stance)

    @property
    def objections(self) -> tuple[Position, ...]:
        return tuple(p for p in self.positions if p.stance == "object")


@dataclass(frozen=True)
class Prompt:
    """One discussion prompt in the round's thread: a question the team split on, and who is asked why."""

    round_id: str
    number: int
    disagreement: Disagreement
    thread: str  # the comparison's message, whose thread holds the discussion
    anonymous: bool = False


@dataclass(frozen=True)
class Retired:
    """A message whose conversation moved on: it keeps its words and loses its buttons."""

    surface: str
    text: str


@dataclass(frozen=True)
class Review:
    """A decision's review, posted in the round's thread on its review date: does the decision still
    hold, and (when it involved an agency) has the agency trained the team to take over? The button
    runs the round's dialog again (`Start(dialog_id)`) for whoever clicks it."""

    round_id: str
    topic: str
    decision: str  # the decision's outcome title
    decided_on: str  # the decision record's date (YYYY-MM-DD)
    questions: tuple[str, ...]  # what the team is asked, plain text
    dialog_id: str
    thread: str = ""  # the comparison's message, whose thread holds the discussion
    surface: str = ""  # the round card, where it goes when there is no thread


@dataclass(frozen=True)
class SharedResult:
    """A result shared to a channel (`channel`, a surface prefix) by `sharer` (their user key): a
    compact summary with their name on it, no buttons; the sharer is told where it went."""

    card: ResultCard
    sharer: str
    channel: str


FollowUpKind = Literal["remind", "nudge", "review"]


@dataclass(frozen=True)
class FollowUp:
    """A due follow-up's replies for one user (the recipient), who did not act: the adapter delivers
    `replies` as that user's turn (a DM reaches them; `Delivered` reports go in under their key)."""

    kind: FollowUpKind
    user: str  # the recipient's platform-scoped key ("slack:T1:U1", "discord:81234")
    replies: tuple[Reply, ...]


Reply = (
    Question | ResultCard | Notice | History | RoundCard | TeamSummary | DecisionRecord | Prompt | Retired | Review | FollowUp
    | SharedResult
)
