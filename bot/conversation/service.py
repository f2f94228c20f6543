"""The one port every adapter calls: `await service.handle(event) -> list[Reply]`.

Load the session, let the pure engine step, save with compare-and-set. Everything platform
specific stays outside; everything about sessions and dialogs stays inside.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import replace

from bot import words
from bot.conversation import engine
from bot.conversation.events import (
    SYSTEM,
    Answer,
    Arrived,
    Back,
    ChangeSetting,
    Delivered,
    Event,
    Forget,
    LatestResult,
    MoveTo,
    Restart,
    Resume,
    RoundAction,
    RunFollowUp,
    Share,
    Show,
    ShowHistory,
    Start,
    TakeRoundCheck,
    TypedReply,
)
from bot.conversation.replies import (
    FollowUp,
    History,
    HistoryEntry,
    Notice,
    NoticeKind,
    Question,
    Reply,
    ResultCard,
    Retired,
    Review,
    RoundCard,
    SharedResult,
    To,
)
from bot.conversation.routes import SESSION
from bot.conversation.session import ROUND_CONTEXT, Session
from bot.conversation.typed import read_answer
from bot.dialogs.catalog import Catalog
from bot.dialogs.model import Dialog
from bot.followups import plan
from bot.followups.jobs import Job
from bot.ops import metrics
from bot.stores.base import SessionStore, StoreUnavailable
from bot.team import comparison as team
from bot.team import rounds as team_rounds
from bot.team.service import Rounds, is_second_look, second_look_question

log = logging.getLogger("outsource_check.service")
SETTING_FRESH = 60.0  # seconds a process trusts a workspace setting it read before reading it again


def new_session_id() -> str:
    """Short and unguessable: it travels inside button ids (Discord allows 100 characters)."""
    return secrets.token_urlsafe(9)


class ConversationService:
    def __init__(
        self,
        *,
        catalog: Catalog,
        store: SessionStore,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = new_session_id,
        nudge_after: float | None = plan.DEFAULT_NUDGE_AFTER,
    ) -> None:
        """`nudge_after`: seconds after a check's last answer that its owner is nudged about it if it is
        still unfinished (`OUTSOURCE_CHECK_NUDGE_AFTER`; None or 0: no nudges)."""
        self.catalog = catalog
        self.store = store
        self.clock = clock
        self.new_id = new_id
        self.nudge_after = nudge_after if nudge_after and nudge_after > 0 else None
        self.rounds = Rounds(catalog=catalog, store=store, clock=clock, new_id=new_id)
        self._delays: dict[str, tuple[float, float | None]] = {}  # workspace -> (read at, its nudge delay)

    async def handle(self, event: Event) -> list[Reply]:
        metrics.TURNS.labels(type(event.action).__name__).inc()
        try:
            replies = await self._handle(event)
        except StoreUnavailable as exc:
            log.warning("store unavailable: %s", exc)
            metrics.ERRORS.labels("store_unavailable").inc()
            return [Notice(NoticeKind.UNAVAILABLE, words.TRY_AGAIN)]
        for reply in replies:
            if isinstance(reply, Question) and reply.progress.number == 1 and isinstance(event.action, (Start, TakeRoundCheck)):
                metrics.STARTED.labels(reply.dialog_id).inc()
            elif isinstance(reply, ResultCard) and isinstance(event.action, (Answer, TypedReply)):
                metrics.FINISHED.labels(reply.dialog_id, reply.outcome).inc()
        return replies

    async def _handle(self, event: Event) -> list[Reply]:
        action = event.action
        if isinstance(action, TakeRoundCheck):
            replies = await self.rounds.handle(event.user, action)
            for reply in replies:
                if isinstance(reply, Question) and (started := await self.store.load(reply.session_id)) is not None:
                    await self._nudge_later(started)
            return replies
        if isinstance(action, RoundAction):
            return await self.rounds.handle(event.user, action)
        if isinstance(action, RunFollowUp):
            return await self._follow_up(event.user, action.job)
        if isinstance(action, ChangeSetting):
            return await self._setting(event.user, action)
        if isinstance(action, Start):
            return await self._start(event.user, action)
        if isinstance(action, Resume):
            return await self._resume(event.user, action.dialog)
        if isinstance(action, ShowHistory):
            return [await self.history(event.user, action.limit)]
        if isinstance(action, LatestResult):
            return await self.latest_result(event.user)
        if isinstance(action, Forget):
            return await self._forget(event.user, action)
        if isinstance(action, Delivered):
            return await self._delivered(event.user, action)
        if isinstance(action, Arrived):
            return [] if await self.first_delivery(action.key) else [Notice(NoticeKind.STALE, words.ALREADY_DONE)]
        if isinstance(action, TypedReply):
            return await self._typed(event.user, action.text)
        return await self._step(event.user, action)

    async def _start(self, user: str, action: Start) -> list[Reply]:
        dialog = self.catalog.get(action.dialog)
        if dialog is None:
            return [Notice(NoticeKind.INVALID, words.NO_CHECK_CALLED.format(dialog=action.dialog))]
        step = engine.start(
            dialog,
            session_id=self.new_id(),
            owner=user,
            now=self.clock(),
            prefill=dict(action.prefill),
            surface=action.surface,
        )
        await self.store.save(step.session, expected_version=0)
        await self._nudge_later(step.session)
        return list(step.replies)

    async def running(self, user: str, dialog_id: str = "") -> Session | None:
        """The user's most recently touched unfinished check (of one dialog, if given)."""
        for session in await self.store.sessions_of(user):
            if not session.finished and (not dialog_id or session.dialog_id == dialog_id):
                if self.catalog.get(session.dialog_id) is not None:
                    return session
        return None

    async def _resume(self, user: str, dialog_id: str, greeting: str = words.RESUMED) -> list[Reply]:
        """The running check moves to a new message at the bottom of the DM; its old message retires."""
        session = await self.running(user, dialog_id)
        if session is None:
            return [Notice(NoticeKind.NOTHING_TO_RESUME, words.NOTHING_TO_RESUME)]
        moved = await self._move_to_new(session, greeting)
        return moved if moved is not None else [Notice(NoticeKind.STALE, words.MOVED_MEANWHILE, session.id)]

    async def _move_to_new(self, session: Session, greeting: str) -> list[Reply] | None:
        """The check, greeted, for a new message (the adapter reports where it lands); its old message
        retires. None when another turn changed the session meanwhile."""
        moving = session.bump(surface="", updated_at=self.clock())  # the old message's buttons go stale
        if not await self.store.save(moving, expected_version=session.version):
            return None
        shown = self._show(self.catalog.dialogs[session.dialog_id], moving)
        moved: list[Reply] = [_unplaced(reply, greeting) for reply in shown]
        return [*moved, Retired(session.surface, words.MOVED_ON)] if session.surface else moved

    async def _delivered(self, user: str, action: Delivered) -> list[Reply]:
        kind, _, rest = action.token.partition(":")
        if kind == SESSION:
            return await self._landed(user, rest, action.surface)
        return await self.rounds.delivered(user, kind, rest, action.surface)

    async def _landed(self, user: str, session_id: str, surface: str) -> list[Reply]:
        """A check now lives in a new message: remember where. Its buttons stay current (see `Session.shows`),
        so nothing is redrawn; a click that won the race meanwhile is simply kept."""
        for _ in range(3):
            session = await self.store.load(session_id)
            if session is None or session.owner != user:
                return []  # gone (or forged): the message shows what it shows, and its buttons say so when clicked
            if session.surface == surface:
                return []
            moved = session.bump(surface=surface, moved_from=session.version, updated_at=self.clock())
            if await self.store.save(moved, expected_version=session.version):
                return []
        return []

    def _show(self, dialog: Dialog, session: Session) -> tuple[Reply, ...]:
        """Where a session stands; a second look stands at one of its split questions until it ends."""
        if is_second_look(session) and not session.finished:
            return (second_look_question(dialog, session),)
        return engine.show(dialog, session)

    async def _typed(self, user: str, text: str) -> list[Reply]:
        """Typed in the DM: "hi" brings the running check back (or starts one); anything else answers it."""
        if is_greeting(text):
            resumed = await self._resume(user, "", greeting=words.WELCOME_BACK)
            if resumed and isinstance(resumed[0], Notice) and resumed[0].kind is NoticeKind.NOTHING_TO_RESUME:
                started = await self._start(user, Start())
                return [_unplaced(reply, words.WELCOME) for reply in started]
            return resumed
        session = await self.running(user)
        if session is None:
            return [Notice(NoticeKind.NOTHING_TO_RESUME, words.TYPE_HINT)]
        dialog = self.catalog.dialogs[session.dialog_id]
        shown = self._show(dialog, session)
        current = shown[0]
        if not isinstance(current, Question):
            return list(shown)
        typed = read_answer(current, text)
        if not typed.ok:
            return [Notice(NoticeKind.INVALID, typed.hint, session.id)]
        return await self._step(user, Answer(session.id, current.node, typed.value, session.version))

    async def history(self, user: str, limit: int = 5) -> History:
        entries = []
        for session in await self.store.sessions_of(user):
            dialog = self.catalog.get(session.dialog_id)
            outcome = dialog.outcome(session.outcome) if dialog and session.outcome else None
            if outcome is not None and dialog is not None:
                entries.append(HistoryEntry(session.id, dialog.title, outcome.title, session.updated_at))
        return History(tuple(entries[:limit]))

    async def first_delivery(self, key: str) -> bool:
        """Whether a platform delivery (by its id) is new; platforms re-send what they think was lost.

        With the store down we cannot tell, so we answer "new": a rare double beats a lost event.
        """
        try:
            return await self.store.first_time(key)
        except StoreUnavailable:
            return True

    async def rounds_of(self, user: str) -> list[RoundCard]:
        """Cards of the rounds a user started or joined (adapters find "this channel's round" among them)."""
        rounds = sorted(await self.store.rounds_of(user), key=lambda r: (r.created_at, r.id))
        return [team.round_card(r) for r in rounds]  # oldest first: the last is the newest

    async def latest_result(self, user: str) -> list[Reply]:
        """The newest finished check's result card, or nothing (for home tabs and summaries)."""
        for session in await self.store.sessions_of(user):
            dialog = self.catalog.get(session.dialog_id)
            if session.finished and dialog is not None:
                return list(engine.show(dialog, session))
        return []

    async def _forget(self, user: str, action: Forget) -> list[Reply]:
        """Asked, then answered in place of the confirmation; with the store down the question stays, to try again."""
        if action.kept:
            return [Notice(NoticeKind.KEPT, words.DELETE_NOTHING, to=To.HERE)]
        if not action.confirmed:
            return [Notice(NoticeKind.CONFIRM_FORGET, words.FORGET_WARNING)]
        try:
            await self.rounds.forget(user)
            count = await self.store.forget(user)
        except StoreUnavailable as exc:
            log.warning("store unavailable: %s", exc)
            return [Notice(NoticeKind.CONFIRM_FORGET, words.TRY_AGAIN, to=To.HERE)]
        return [Notice(NoticeKind.FORGOTTEN, words.FORGOTTEN.format(count=count), to=To.HERE)]

    async def _step(self, user: str, action: Answer | Back | Restart | Show | Share | MoveTo, retried: bool = False) -> list[Reply]:
        session = await self.store.load(action.session)
        if session is None:
            return [Notice(NoticeKind.STALE, words.EXPIRED)]
        if session.owner != user:
            return [Notice(NoticeKind.NOT_OWNER, words.NOT_YOURS)]
        dialog = self.catalog.get(session.dialog_id)
        if dialog is None:
            return [Notice(NoticeKind.CHANGED, words.NO_LONGER_OFFERED, to=To.HERE)]
        second_look = is_second_look(session)
        if isinstance(action, (Show, Share)):
            if isinstance(action, Show) and not session.shows(action.version):
                return [Notice(NoticeKind.STALE, words.ALREADY_DONE, session.id)]
            shown = self._show(dialog, session)
            sharing = isinstance(action, Share) or action.share
            if sharing and isinstance(shown[0], ResultCard) and not shown[0].can_share:
                return [Notice(NoticeKind.REFUSED, words.HELD_FOR_THE_REVEAL, session.id)]
            if sharing and not isinstance(shown[0], ResultCard):
                return [Notice(NoticeKind.STALE, words.NOTHING_TO_SHARE, session.id)]
            if isinstance(action, Share) and isinstance(shown[0], ResultCard):
                return [SharedResult(shown[0], user, action.channel)]
            return list(shown)
        now = self.clock()
        if second_look and not isinstance(action, MoveTo):
            if not isinstance(action, Answer):  # a second look asks fixed questions: no back, no restart
                return [Notice(NoticeKind.INVALID, words.SECOND_LOOK_ONE_WAY, session.id)]
            return await self.rounds.look_again(dialog, session, action, now)
        if isinstance(action, MoveTo):
            moved = session.bump(surface=action.surface, updated_at=now)
            if not await self.store.save(moved, expected_version=session.version):
                return [Notice(NoticeKind.STALE, words.MOVED_MEANWHILE, session.id)]
            return list(self._show(dialog, moved))
        if isinstance(action, Answer):
            step = engine.answer(dialog, session, node=action.node, value=action.value, version=action.version, now=now)
        elif isinstance(action, Back):
            step = engine.back(dialog, session, version=action.version, now=now)
        else:
            step = engine.restart(dialog, session, version=action.version, now=now)
        if not step.accepted:
            return list(step.replies)
        if not await self.store.save(step.session, expected_version=session.version):
            now_stored = await self.store.load(session.id)
            if now_stored is not None and now_stored.version == session.version + 1 and now_stored.moved_from == session.version and not retried:
                # only the adapter's report of where the check landed came in between: the click still stands
                return await self._step(user, action, retried=True)
            return [Notice(NoticeKind.STALE, words.ANSWERED_MEANWHILE, session.id)]
        replies = [_clicked_here(reply) for reply in step.replies] if not step.session.surface else list(step.replies)
        if step.session.finished and not session.finished:
            return [*replies, *await self.rounds.finished(step.session)]
        return replies

    # --- follow-ups (bot/followups/plan.py; docs/teams.md, "Follow-ups") ---------------------------

    async def _setting(self, user: str, action: ChangeSetting) -> list[Reply]:
        """A workspace's nudge delay (or "off"), set by its admins; every process reads it afresh within a minute."""
        if action.name != "nudge":
            return [Notice(NoticeKind.INVALID, words.UNKNOWN_SETTING.format(name=action.name[:40]))]
        workspace = plan.workspace_of(user)
        if not workspace:
            return [Notice(NoticeKind.INVALID, words.NO_WORKSPACE_SETTINGS)]
        if self.nudge_after is None:
            return [Notice(NoticeKind.INVALID, words.NUDGES_OFF_EVERYWHERE)]
        if action.value:
            if not action.is_admin:
                return [Notice(NoticeKind.REFUSED, words.SETTINGS_ADMINS_ONLY)]
            try:
                delay = plan.parse_nudge_after(action.value)
            except ValueError as exc:
                return [Notice(NoticeKind.INVALID, str(exc))]
            await self.store.set_setting(plan.nudge_setting_key(workspace), plan.describe_delay(delay))
            self._delays.pop(workspace, None)
        delay = await self._nudge_delay(user)
        text = words.NUDGES_OFF_HERE if delay is None else words.NUDGE_SETTING.format(delay=plan.describe_delay(delay))
        return [Notice(NoticeKind.DONE, text)]

    async def _nudge_delay(self, user: str) -> float | None:
        """The nudge delay for a user: their workspace's own setting, else the operator's; None: no nudges."""
        workspace = plan.workspace_of(user)
        if self.nudge_after is None or not workspace:
            return self.nudge_after
        read_at, delay = self._delays.get(workspace, (-SETTING_FRESH, self.nudge_after))
        now = self.clock()
        if now - read_at >= SETTING_FRESH:
            stored = await self.store.setting(plan.nudge_setting_key(workspace))
            delay = self.nudge_after if stored is None else plan.parse_nudge_after(stored)
            self._delays[workspace] = (now, delay)
        return delay

    async def _nudge_later(self, session: Session) -> None:
        """Arm the nudge about a new check: one job per check, written once. Answers do not move it (a
        store write on every answer cost a fifth of a turn): when it falls due it looks at the check,
        and re-arms itself for the end of the quiet spell if the user answered meanwhile. A store that
        fails here loses a nudge, never the check."""
        if self.nudge_after is None:  # switched off: nothing to schedule (a nudge left from before says nothing when due)
            return
        try:
            delay = await self._nudge_delay(session.owner)
            if delay is None or session.finished or is_second_look(session):
                return
            job = Job(plan.key(plan.NUDGE, session.id), plan.NUDGE, session.updated_at + delay, owner=session.owner)
            await self.store.schedule(job)
        except StoreUnavailable as exc:
            log.warning("could not schedule the nudge for a check (%s)", exc)

    async def _follow_up(self, user: str, job: Job) -> list[Reply]:
        """A due follow-up job: one `FollowUp` per recipient, or nothing when it is no longer relevant."""
        if user != SYSTEM:
            return []
        if job.kind == plan.NUDGE:
            return await self._nudge(job)
        if job.kind == plan.REMIND:
            return await self._remind(job)
        if job.kind == plan.REVIEW:
            return await self._review(job)
        log.warning("a follow-up of an unknown kind %r (%s) was dropped", job.kind, job.key)
        return []

    async def _nudge(self, job: Job) -> list[Reply]:
        """Once per quiet spell: a check unfinished and unanswered for the whole delay moves to a new DM
        message, "You're 6 of 14 in". Answered meanwhile: the job re-arms for the end of the new spell.
        Nudged and still quiet: it re-arms without a word, for the day the user comes back and goes quiet
        again; an abandoned check expires (14 days) and its job with it."""
        session = await self.store.load(plan.about(job))
        if self.nudge_after is None or session is None or session.finished or session.owner != job.owner:
            return []
        delay = await self._nudge_delay(session.owner)
        dialog = self.catalog.get(session.dialog_id)
        if delay is None or dialog is None or is_second_look(session) or not await self._round_still_open(session):
            return []
        quiet_until = session.updated_at + delay
        nudged = job.payload_value("nudged") == repr(session.updated_at)  # nothing happened since the last nudge
        if self.clock() < quiet_until or nudged:
            await self.store.schedule(replace(job, due=max(quiet_until, self.clock() + delay) if nudged else quiet_until, claim=""))
            return []
        current = engine.show(dialog, session)[0]
        about = current.progress.about if isinstance(current, Question) else len(session.answers)
        moved = await self._move_to_new(session, words.NUDGE.format(answered=len(session.answers), about=about))
        if not moved:
            return []
        after = await self.store.load(session.id)
        if after is not None:  # armed again, quietly: the next nudge needs a new spell of answers and quiet
            stamp = (("nudged", repr(after.updated_at)),)
            await self.store.schedule(replace(job, due=after.updated_at + delay, payload=stamp, claim=""))
        return [FollowUp("nudge", session.owner, tuple(moved))]

    async def _round_still_open(self, session: Session) -> bool:
        """A round's check counts only until the round reveals: after that a nudge about it is pointless."""
        round_id = session.context_value(ROUND_CONTEXT)
        if not round_id:
            return True
        round_ = await self.store.load_round(round_id)
        return round_ is not None and round_.status == team_rounds.OPEN

    async def _remind(self, job: Job) -> list[Reply]:
        """Before an open round's deadline: each member who joined and has not finished gets their check
        moved to a new DM message, under the reminder. Members who never joined are not pinged."""
        round_ = await self.store.load_round(plan.about(job))
        now = self.clock()
        if round_ is None or round_.status != team_rounds.OPEN or not round_.deadline or now >= round_.deadline:
            return []
        text = words.ROUND_REMINDER.format(topic=round_.topic or words.UNTITLED_ROUND, when=in_words(round_.deadline - now))
        reminded: list[Reply] = []
        for member in round_.members:
            if member.finished or not member.session:
                continue
            session = await self.store.load(member.session)
            if session is None or session.owner != member.user or session.finished or self.catalog.get(session.dialog_id) is None:
                continue
            moved = await self._move_to_new(session, text)
            if moved:
                reminded.append(FollowUp("remind", member.user, tuple(moved)))
        return reminded

    async def _review(self, job: Job) -> list[Reply]:
        """On a closed round's review date: in its thread, does the decision still hold (and, with an
        agency, has it trained the team to take over?), with a button to run the check again."""
        round_ = await self.store.load_round(plan.about(job))
        dialog = self.catalog.get(round_.dialog_id) if round_ is not None else None
        if round_ is None or dialog is None or round_.status != team_rounds.CLOSED or not round_.carried:
            return []
        record = team.decision_record(round_, dialog, round_.closed_at or None)
        outcome = dialog.outcome(round_.decision) or dialog.fallback
        questions = (
            words.REVIEW_STILL_HOLDS.format(date=record.date, decision=record.decision),
            *((words.REVIEW_AGENCY,) if outcome.follow_with else ()),
        )
        review = Review(
            round_id=round_.id,
            topic=round_.topic,
            decision=record.decision,
            decided_on=record.date,
            questions=questions,
            dialog_id=dialog.id,
            thread=round_.thread,
            surface=round_.surface,
        )
        return [FollowUp("review", round_.starter, (review,))]

    async def session(self, session_id: str) -> Session | None:
        return await self.store.load(session_id)


def in_words(seconds: float) -> str:
    """"in 12 minutes", "in about 2 hours": how far off a deadline is, rounded (at least a minute)."""
    minutes = max(1, round(seconds / 60))
    if minutes < 90:
        return words.IN_MINUTES.format(n=minutes, s="" if minutes == 1 else "s")
    hours = round(minutes / 60)
    return words.IN_HOURS.format(n=hours, s="" if hours == 1 else "s")


def is_greeting(text: str) -> bool:
    """"hi", "Hello!", "start": words that mean "show me the check", never an answer."""
    return " ".join(re.findall(r"[a-z]+", text.lower())) in words.GREETINGS


def _unplaced(reply: Reply, greeting: str) -> Reply:
    """The check's reply for a new message (the adapter reports where it lands), greeted above the question."""
    if isinstance(reply, (Question, ResultCard)):
        return replace(reply, surface="", preface=(greeting, *reply.preface))
    return reply



def _clicked_here(reply: Reply) -> Reply:
    """A check answered before the core learnt where its message is (a click that beat the adapter's
    report): drawn in place of the message clicked, whose place the adapter then reports."""
    return replace(reply, here=True) if isinstance(reply, (Question, ResultCard)) else reply
