"""A team round: several people take the same check privately, then compare and decide.

Pure functions on frozen data, like the engine: the store's compare-and-set makes them safe when
twenty people finish in the same second (a loser reloads and applies its change again).
Answers stay hidden until the reveal, so the first loud voice cannot anchor the rest.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, replace
from typing import Any, Final, TypedDict, Unpack

import orjson

from bot import words
from bot.conversation.answers import clean_text
from bot.conversation.replies import RoundStatus
from bot.conversation.session import Session
from bot.dialogs.model import AnswerRecord, AnswerValue

OPEN: Final = "open"
REVEALED: Final = "revealed"
CLOSED: Final = "closed"
AGREE: Final = "agree"
ABSTAIN: Final = "abstain"
OBJECT: Final = "object"
STANCES: Final = (AGREE, ABSTAIN, OBJECT)
MAX_REASON = 300  # a position's reason, or why a round closed short of its quorum


class Refused(Exception):
    """The action is not allowed now; the message says why, and nothing changed."""


class ReasonNeeded(Refused):
    """Closing before the quorum: allowed only when the closer says why (CloseRound with a reason)."""


@dataclass(frozen=True)
class Member:
    user: str
    name: str
    session: str = ""
    outcome: str = ""  # empty until their check is finished
    scores: tuple[tuple[str, int], ...] = ()
    answers: tuple[AnswerRecord, ...] = ()
    position: str = ""  # agree, abstain or object: the member's position on the proposed decision
    reason: str = ""  # why, in their words (optional, cleaned, at most MAX_REASON characters)
    first_outcome: str = ""  # set by a second look: the outcome and answers they had at the reveal
    first_answers: tuple[AnswerRecord, ...] = ()

    @property
    def finished(self) -> bool:
        return bool(self.outcome)

    @property
    def looked_again(self) -> bool:
        return bool(self.first_outcome)

    def answer_map(self) -> dict[str, AnswerValue]:
        return {a.node: a.value for a in self.answers}

    def as_first(self) -> Member:
        """The member as they stood at the reveal, before any second look."""
        return replace(self, outcome=self.first_outcome, answers=self.first_answers) if self.looked_again else self


class RoundChanges(TypedDict, total=False):
    """What a step of a round may change (`Round.bump`); the version and the time always move."""

    status: RoundStatus
    members: tuple[Member, ...]
    surface: str
    thread: str
    decision: str
    close_reason: str
    closed_with: int
    closed_at: float
    carried: bool


@dataclass(frozen=True)
class Round:
    id: str
    starter: str
    starter_name: str
    topic: str
    dialog_id: str
    surface: str  # the round card's message
    anonymous: bool = False
    expected: int = 0  # reveal on its own once this many have finished (0: only by the starter)
    deadline: float = 0.0  # reveal on its own after this time (0: none)
    quorum: int = 0  # positions needed before the round closes without a stated reason (0: none)
    status: RoundStatus = OPEN
    members: tuple[Member, ...] = ()
    thread: str = ""  # where the discussion happens, once revealed
    decision: str = ""
    close_reason: str = ""  # why the closer closed before the quorum, in their words
    closed_with: int = 0  # positions in when it closed before the quorum
    closed_at: float = 0.0  # when it was closed (the decision's review date counts from it)
    carried: bool = True  # at the close: did the positions carry the proposed decision (`carries`)? Kept, so a later `forget` cannot change the record
    version: int = 1
    created_at: float = 0.0
    updated_at: float = 0.0

    def member(self, user: str) -> Member | None:
        return next((m for m in self.members if m.user == user), None)

    @property
    def finished_members(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.finished)

    @property
    def positioned_members(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.position)

    def display_name(self, member: Member) -> str:
        return f"Member {self.members.index(member) + 1}" if self.anonymous else member.name

    def bump(self, now: float, **changes: Unpack[RoundChanges]) -> Round:
        return replace(self, version=self.version + 1, updated_at=now, **changes)

    def to_json(self) -> str:
        data = asdict(self)
        for member in data["members"]:
            for key in ("answers", "first_answers"):
                member[key] = [[a["node"], list(a["value"]) if isinstance(a["value"], tuple) else a["value"]] for a in member[key]]
        return orjson.dumps(data).decode()

    @classmethod
    def from_json(cls, text: str) -> Round:
        data = orjson.loads(text)
        for m in data["members"]:
            m.pop("vote", None)  # rounds stored before positions replaced votes
        data["members"] = tuple(
            Member(
                **{
                    **m,
                    "scores": tuple((k, v) for k, v in m["scores"]),
                    "answers": _records(m["answers"]),
                    "first_answers": _records(m.get("first_answers", ())),
                }
            )
            for m in data["members"]
        )
        return cls(**data)


def _records(raw: Any) -> tuple[AnswerRecord, ...]:
    return tuple(AnswerRecord(n, tuple(v) if isinstance(v, list) else v) for n, v in raw)


def _with_member(round_: Round, member: Member) -> tuple[Member, ...]:
    others = [m for m in round_.members if m.user != member.user]
    position = next((i for i, m in enumerate(round_.members) if m.user == member.user), len(others))
    others.insert(position, member)
    return tuple(others)


def _must_be_open(round_: Round) -> None:
    if round_.status == CLOSED:
        raise Refused(words.ROUND_CLOSED_TAKES_NOTHING)
    if round_.status == REVEALED:
        raise Refused(words.ALREADY_REVEALED_NO_CHANGE)


def join(round_: Round, *, user: str, name: str, session: str, now: float) -> Round:
    """Take (or retake) the check: a new session replaces any earlier result until the reveal."""
    _must_be_open(round_)
    return round_.bump(now, members=_with_member(round_, Member(user=user, name=name, session=session)))


def record(round_: Round, session: Session, *, now: float) -> Round:
    """A member's check finished: their result joins the round (once; a retake replaces it)."""
    _must_be_open(round_)
    member = round_.member(session.owner)
    if member is None or member.session != session.id:
        raise Refused(words.NOT_CURRENT_CHECK)
    done = replace(member, outcome=session.outcome or "", scores=session.scores, answers=session.answers)
    return round_.bump(now, members=_with_member(round_, done))


def due(round_: Round, now: float) -> bool:
    """Whether the round should reveal on its own: enough finished, or its deadline passed."""
    if round_.status != OPEN:
        return False
    enough = round_.expected > 0 and len(round_.finished_members) >= round_.expected
    late = round_.deadline > 0 and now >= round_.deadline
    return enough or late


def reveal(round_: Round, *, by: str, is_admin: bool, now: float, automatic: bool = False) -> Round:
    if round_.status != OPEN:
        raise Refused(words.ALREADY_REVEALED if round_.status == REVEALED else words.ROUND_CLOSED)
    if not automatic and by != round_.starter and not is_admin:
        raise Refused(words.ONLY_STARTER_REVEALS)
    if not round_.finished_members:
        raise Refused(words.NOTHING_TO_REVEAL)
    return round_.bump(now, status=REVEALED)


def may_look_again(round_: Round, user: str) -> Member:
    """A second look is open from the reveal until the close, to members who finished their check."""
    if round_.status == CLOSED:
        raise Refused(words.SECOND_LOOK_CLOSED)
    if round_.status != REVEALED:
        raise Refused(words.SECOND_LOOK_AFTER_REVEAL)
    member = round_.member(user)
    if member is None or not member.finished:
        raise Refused(words.SECOND_LOOK_FINISHED_ONLY)
    return member


def look_again(round_: Round, session: Session, *, now: float) -> Round:
    """A second look finished: the member's answers and outcome change; the first ones are kept."""
    member = may_look_again(round_, session.owner)
    first = member.as_first()
    changed = replace(
        member,
        outcome=session.outcome or member.outcome,
        scores=session.scores,
        answers=session.answers,
        first_outcome=first.outcome,
        first_answers=first.answers,
    )
    return round_.bump(now, members=_with_member(round_, changed))


def clean_reason(text: str) -> str:
    """A typed reason: one tidy line (`clean_text`: no control characters, no lone surrogates) of at most MAX_REASON characters."""
    return clean_text(text)[:MAX_REASON].rstrip()


def take_position(round_: Round, *, user: str, stance: str, reason: str, now: float) -> Round:
    """Agree, abstain or object to the proposed decision, with an optional reason; changeable until the close."""
    if round_.status == CLOSED:
        raise Refused(words.POSITIONS_CLOSED)
    if round_.status != REVEALED:
        raise Refused(words.POSITIONS_AFTER_REVEAL)
    member = round_.member(user)
    if member is None:
        raise Refused(words.ONLY_TAKERS_TAKE_POSITIONS)
    if stance not in STANCES:
        raise Refused(words.NOT_A_POSITION)
    changed = replace(member, position=stance, reason=clean_reason(reason))
    return round_.bump(now, members=_with_member(round_, changed))


def close(round_: Round, *, by: str, is_admin: bool, decision: str, reason: str = "", now: float) -> Round:
    """Close and record the decision. With a quorum, closing before that many positions needs a reason."""
    if round_.status == CLOSED:
        raise Refused(words.ALREADY_CLOSED)
    if by != round_.starter and not is_admin:
        raise Refused(words.ONLY_STARTER_CLOSES)
    if round_.status != REVEALED:
        raise Refused(words.REVEAL_BEFORE_CLOSING)
    taken = len(round_.positioned_members)
    reason = clean_reason(reason)
    short = round_.quorum > 0 and taken < round_.quorum
    if short and not reason:
        raise ReasonNeeded(
            f"Only {taken} of the {round_.quorum} positions this round asked for are in."
            " To close it now, say why: the decision record keeps your reason."
        )
    carried = carries(round_)
    if not short:
        return round_.bump(now, status=CLOSED, decision=decision, closed_at=now, carried=carried)
    return round_.bump(now, status=CLOSED, decision=decision, close_reason=reason, closed_with=taken, closed_at=now, carried=carried)


def carries(round_: Round) -> bool:
    """Whether the positions carry the proposed decision: unless at least as many objected as agreed.

    The team's recommendation is only a proposal; a record that called it "the decision" while most of
    the people who would carry it out objected would be one nobody stands behind. So an objection has
    to be outweighed by agreement (a tie is not), abstentions weigh nothing either way, and a proposal
    no one objected to stands. A closed round answers with what held at its close.
    """
    if round_.status == CLOSED:
        return round_.carried
    taken = Counter(m.position for m in round_.members)
    return taken[OBJECT] == 0 or taken[AGREE] > taken[OBJECT]


def forget_member(round_: Round, user: str, now: float) -> Round:
    """`forget` removes a person from a round they took part in (the round itself stays)."""
    return round_.bump(now, members=tuple(m for m in round_.members if m.user != user))
