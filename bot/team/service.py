"""Team rounds behind the service port: each change is a compare-and-set with retries.

Twenty members finishing in the same second each load the round, add their result and try to
save; the ones that lose the race reload and try again, so every result counts exactly once.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import replace

from bot import words
from bot.conversation import engine, routes
from bot.conversation.answers import check_answer, clean_text, normalise
from bot.conversation.events import (
    Answer,
    CloseRound,
    LatestRound,
    OpenRound,
    RevealRound,
    RoundAction,
    RoundThread,
    SecondLook,
    ShowRound,
    TakePosition,
    TakeRoundCheck,
)
from bot.conversation.replies import Notice, NoticeKind, Progress, Question, Reply
from bot.conversation.session import ROUND_CONTEXT, Session
from bot.dialogs.catalog import Catalog
from bot.dialogs.model import AnswerRecord, AnswerValue, Dialog
from bot.followups import plan
from bot.followups.jobs import Job
from bot.stores.base import SessionStore, StoreUnavailable
from bot.team import comparison as team
from bot.team import rounds
from bot.team.rounds import ReasonNeeded, Refused, Round

log = logging.getLogger("outsource_check.rounds")
MAX_ATTEMPTS = 100
SECOND_LOOK = "second_look"  # session context: the split questions a second look asks, in order


def is_second_look(session: Session) -> bool:
    return bool(session.context_value(SECOND_LOOK))


def second_look_question(dialog: Dialog, session: Session) -> Question:
    """The split question a second look stands at, rendered as any question is, numbered among the split ones."""
    asked = (session.context_value(SECOND_LOOK) or "").split(",")
    assert session.node is not None
    answers = session.answer_map()
    position = engine.Position(node=dialog.nodes[session.node], answers=answers, scores=dict(session.scores))
    shown = engine.question(dialog, session, position)
    return replace(
        shown,
        progress=Progress(asked.index(session.node) + 1, len(asked)),
        can_go_back=False,
        preface=(words.SECOND_LOOK_INTRO,) if session.node == asked[0] else (),
        previous=_as_option(answers.get(session.node)),
        description="",
    )


def _as_option(value: AnswerValue | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, tuple) else (str(value),)


class Rounds:
    def __init__(self, *, catalog: Catalog, store: SessionStore, clock: Callable[[], float], new_id: Callable[[], str]) -> None:
        self.catalog = catalog
        self.store = store
        self.clock = clock
        self.new_id = new_id

    async def handle(self, user: str, action: RoundAction) -> list[Reply]:
        if isinstance(action, OpenRound):
            return await self._open(user, action)
        if isinstance(action, LatestRound):
            return await self._latest(user, action)
        current = await self.store.load_round(action.round)
        if current is None:
            return [Notice(NoticeKind.STALE, words.ROUND_GONE)]
        dialog = self.catalog.get(current.dialog_id)
        if dialog is None:
            return [Notice(NoticeKind.CHANGED, words.ROUND_CHECK_GONE)]
        if isinstance(action, TakeRoundCheck):
            return await self._take(user, action, current)
        if isinstance(action, SecondLook):
            return await self._second_look(user, action, current)
        if isinstance(action, ShowRound):
            current = await self._reveal_if_due(current)
            if action.record:
                return [replace(team.decision_record(current, dialog, self.clock()), exported=True)]
            return self._views(current)
        if isinstance(action, RoundThread):
            changed = await self._change(current.id, lambda r: r.bump(self.clock(), thread=action.thread))
            return self._views(changed) if isinstance(changed, Round) else [changed]
        if isinstance(action, RevealRound):
            changed = await self._change(
                current.id, lambda r: rounds.reveal(r, by=user, is_admin=action.is_admin, now=self.clock())
            )
            if not isinstance(changed, Round):
                return [changed]
            await self._follow_ups(cancel=plan.key(plan.REMIND, changed.id))
            return [team.summary(changed, dialog), team.round_card(changed)]
        if isinstance(action, TakePosition):
            changed = await self._change(
                current.id,
                lambda r: rounds.take_position(r, user=user, stance=action.stance, reason=action.reason, now=self.clock()),
            )
            if not isinstance(changed, Round):
                return [changed]
            said = words.STANCE_SAID.get(action.stance, action.stance)
            summary = replace(team.summary(changed, dialog), here=not changed.thread)  # on the comparison clicked
            return [summary, Notice(NoticeKind.DONE, words.POSITION_TAKEN.format(stance=said))]
        assert isinstance(action, CloseRound)
        changed = await self._change(
            current.id,
            lambda r: rounds.close(
                r, by=user, is_admin=action.is_admin, decision=team.decided(r, dialog), reason=action.reason, now=self.clock()
            ),
        )
        if not isinstance(changed, Round):
            return [changed]
        outcome = dialog.outcome(changed.decision) or dialog.fallback
        review = Job(
            plan.key(plan.REVIEW, changed.id), plan.REVIEW, plan.review_at(changed.closed_at, outcome.review_after), owner=changed.starter
        )
        # a proposal not carried decided nothing: there is no decision to review
        await self._follow_ups(cancel=plan.key(plan.REMIND, changed.id), schedule=review if changed.carried else None)
        record = team.decision_record(changed, dialog, self.clock())
        closed: list[Reply] = [team.summary(changed, dialog)] if changed.thread else []  # its buttons go
        return [record, *closed, team.round_card(changed)]

    async def delivered(self, user: str, kind: str, rest: str, surface: str) -> list[Reply]:
        """The adapter posted or updated a round's message (see bot/conversation/routes.py)."""
        round_id, _, shown = rest.partition(":")
        current = await self.store.load_round(round_id)
        dialog = self.catalog.get(current.dialog_id) if current is not None else None
        if current is None or dialog is None:
            return []
        if kind == routes.CARD:  # the card is posted: the round lives there
            changed = await self._change(round_id, lambda r: r.bump(self.clock(), surface=surface))
            return [] if isinstance(changed, Round) else [changed]
        if kind == routes.COMPARISON:  # the comparison is posted: its thread holds the discussion
            if current.thread or not surface:  # (no surface: an adapter that could not tell; the reveal's own report will)
                return []
            changed = await self._change(round_id, lambda r: r if r.thread else r.bump(self.clock(), thread=surface))
            return [*team.prompts(changed, dialog)] if isinstance(changed, Round) else [changed]
        if not shown.isdigit() or current.version <= int(shown):
            return []
        # another turn changed the round while this one drew it: draw the newest over it
        if kind == routes.SEEN_CARD:
            return [team.round_card(current)]
        if kind == routes.SEEN_COMPARISON and current.status != rounds.OPEN:
            return [team.summary(current, dialog)]
        return []

    async def _latest(self, user: str, action: LatestRound) -> list[Reply]:
        found = [r for r in await self.store.rounds_of(user) if r.surface.startswith(action.where)]
        if not found:
            text = "There is no team round of yours in this channel" + (" to export." if action.record else ".")
            return [Notice(NoticeKind.NO_ROUND, text)]
        newest = max(found, key=lambda r: (r.created_at, r.id))
        return await self.handle(user, ShowRound(newest.id, record=action.record))

    def _views(self, round_: Round) -> list[Reply]:
        dialog = self.catalog.dialogs[round_.dialog_id]
        card: list[Reply] = [team.round_card(round_)]
        return card if round_.status == rounds.OPEN else [team.summary(round_, dialog), *card]

    async def _open(self, user: str, action: OpenRound) -> list[Reply]:
        if not action.surface:  # a round is a channel's: asked in a DM, it has nowhere to live
            return [Notice(NoticeKind.INVALID, words.TEAM_IN_DM)]
        if self.catalog.get(action.dialog) is None:
            return [Notice(NoticeKind.INVALID, words.NO_CHECK_CALLED.format(dialog=action.dialog))]
        now = self.clock()
        deadline = action.deadline
        if action.deadline_in:
            try:
                deadline = team.parse_deadline(action.deadline_in, now)
            except ValueError:
                return [Notice(NoticeKind.INVALID, words.BAD_DEADLINE)]
        # names and topics are typed by people: clean_text makes them one line and drops lone
        # surrogates (JSON can carry "\ud800"), which no UTF-8 store can write
        round_ = Round(
            id=secrets.token_urlsafe(9),
            starter=user,
            starter_name=clean_text(action.name),
            topic=clean_text(action.topic)[:200],
            dialog_id=action.dialog,
            surface=action.surface,
            anonymous=action.anonymous,
            expected=max(0, action.expected),
            deadline=deadline,
            quorum=max(0, action.quorum),
            created_at=now,
            updated_at=now,
        )
        await self.store.save_round(round_, expected_version=0)
        if deadline > 0:  # a reminder to the members who have not finished, before it reveals itself
            await self._follow_ups(
                schedule=Job(plan.key(plan.REMIND, round_.id), plan.REMIND, plan.remind_at(now, deadline), owner=user)
            )
        return [team.round_card(round_), Notice(NoticeKind.DONE, words.ROUND_STARTED)]

    async def _take(self, user: str, action: TakeRoundCheck, current: Round) -> list[Reply]:
        if not action.is_member:
            return [Notice(NoticeKind.NOT_MEMBER, words.MEMBERS_ONLY)]
        name = clean_text(action.name)
        revealed = await self._reveal_if_due(current)
        if revealed.status != current.status:  # the deadline passed: post the results instead
            return [*self._views(revealed), Notice(NoticeKind.REFUSED, words.TIME_IS_UP)]
        try:
            rounds.join(current, user=user, name=name, session="", now=self.clock())  # refuse early, before a session exists
        except Refused as exc:
            return [Notice(NoticeKind.REFUSED, str(exc))]
        dialog = self.catalog.dialogs[current.dialog_id]
        step = engine.start(
            dialog, session_id=self.new_id(), owner=user, now=self.clock(), context={ROUND_CONTEXT: current.id}, surface=action.surface
        )
        await self.store.save(step.session, expected_version=0)
        changed = await self._change(
            current.id, lambda r: rounds.join(r, user=user, name=name, session=step.session.id, now=self.clock())
        )
        if not isinstance(changed, Round):
            return [changed]
        private = [replace(r, preface=(words.ROUND_CHECK, *r.preface)) if isinstance(r, Question) else r for r in step.replies]
        return [*private, team.round_card(changed)]

    async def _second_look(self, user: str, action: SecondLook, current: Round) -> list[Reply]:
        try:
            member = rounds.may_look_again(current, user)
        except Refused as exc:
            return [Notice(NoticeKind.REFUSED, str(exc))]
        dialog = self.catalog.dialogs[current.dialog_id]
        asked = team.split_nodes(current, dialog)
        mine = {a.node for a in member.answers}
        asked = tuple(n for n in asked if n in mine)
        if not asked:
            return [Notice(NoticeKind.REFUSED, words.SECOND_LOOK_NOTHING_SPLIT)]
        now = self.clock()
        session = Session(
            id=self.new_id(),
            owner=user,
            dialog_id=dialog.id,
            dialog_hash=dialog.content_hash,
            node=asked[0],
            answers=member.answers,
            scores=member.scores,
            version=1,
            started_at=now,
            updated_at=now,
            context=tuple(sorted({ROUND_CONTEXT: current.id, SECOND_LOOK: ",".join(asked)}.items())),
            surface=action.surface,
        )
        await self.store.save(session, expected_version=0)
        return [second_look_question(dialog, session)]

    async def look_again(self, dialog: Dialog, session: Session, action: Answer, now: float) -> list[Reply]:
        """One answer of a second look: the answers are replayed with it and must still end in an outcome."""
        asked = (session.context_value(SECOND_LOOK) or "").split(",")
        if session.finished:
            return [Notice(NoticeKind.STALE, words.ALREADY_FINISHED, session.id)]
        if action.node != session.node or session.node not in asked:
            return [Notice(NoticeKind.STALE, words.ALREADY_ANSWERED, session.id)]
        if not session.shows(action.version):
            return [Notice(NoticeKind.STALE, words.EARLIER_STEP, session.id)]
        node = dialog.nodes[action.node]
        value = normalise(node, action.value)
        problem = check_answer(node, value)
        if problem:
            return [Notice(NoticeKind.INVALID, problem, session.id)]
        answers = tuple(AnswerRecord(a.node, value) if a.node == node.id else a for a in session.answers)
        position = engine.replay(dialog, answers)
        if position.problem or position.outcome is None:
            return [Notice(NoticeKind.INVALID, words.SECOND_LOOK_REROUTES, session.id)]
        following = asked[asked.index(node.id) + 1 :]
        done = not following
        moved = session.bump(
            answers=answers,
            scores=tuple(position.scores.items()),
            node=None if done else following[0],
            outcome=position.outcome.id if done else None,
            updated_at=now,
        )
        if not await self.store.save(moved, expected_version=session.version):
            return [Notice(NoticeKind.STALE, words.ANSWERED_MEANWHILE, session.id)]
        if not done:
            return [second_look_question(dialog, moved)]
        round_id = moved.context_value(ROUND_CONTEXT) or ""
        changed = await self._change(round_id, lambda r: rounds.look_again(r, moved, now=self.clock()))
        card = engine.show(dialog, moved)
        if not isinstance(changed, Round):
            return [*card, changed]
        return [*card, replace(team.summary(changed, dialog), new_figures=True)]

    async def finished(self, session: Session) -> list[Reply]:
        """A check finished: if it belongs to an open round, its result joins the round."""
        round_id = session.context_value(ROUND_CONTEXT)
        if not round_id or not session.finished:
            return []
        changed = await self._change(round_id, lambda r: rounds.record(r, session, now=self.clock()))
        if not isinstance(changed, Round):
            return []  # revealed or closed meanwhile: the private result still stands
        revealed = await self._reveal_if_due(changed)
        return self._views(revealed)

    async def _reveal_if_due(self, round_: Round) -> Round:
        if not rounds.due(round_, self.clock()) or not round_.finished_members:
            return round_
        changed = await self._change(
            round_.id, lambda r: rounds.reveal(r, by=r.starter, is_admin=False, now=self.clock(), automatic=True)
        )
        if not isinstance(changed, Round):
            return round_
        await self._follow_ups(cancel=plan.key(plan.REMIND, changed.id))
        return changed

    async def _follow_ups(self, *, cancel: str = "", schedule: Job | None = None) -> None:
        """Cancel and schedule follow-up jobs beside a round's change. The change is saved already: a
        store failing here loses a follow-up (the handlers check the round again anyway), never the change."""
        try:
            if cancel:
                await self.store.cancel(cancel)
            if schedule is not None:
                await self.store.schedule(schedule)
        except StoreUnavailable as exc:
            log.warning("could not update a round's follow-ups (%s)", exc)

    async def _change(self, round_id: str, change: Callable[[Round], Round]) -> Round | Notice:
        for _ in range(MAX_ATTEMPTS):
            current = await self.store.load_round(round_id)
            if current is None:
                return Notice(NoticeKind.STALE, words.ROUND_GONE)
            try:
                updated = change(current)
            except ReasonNeeded as exc:
                return Notice(NoticeKind.REASON_NEEDED, str(exc))
            except Refused as exc:
                return Notice(NoticeKind.REFUSED, str(exc))
            if await self.store.save_round(updated, expected_version=current.version):
                return updated
        return Notice(NoticeKind.UNAVAILABLE, words.ROUND_BUSY)

    async def forget(self, user: str) -> None:
        """Delete rounds the user started; take them out of rounds they joined."""
        for round_ in await self.store.rounds_of(user):
            if round_.starter == user:
                await self.store.delete_round(round_.id)
                for kind in (plan.REMIND, plan.REVIEW):
                    await self.store.cancel(plan.key(kind, round_.id))
            else:
                await self._change(round_.id, lambda r: rounds.forget_member(r, user, self.clock()))
