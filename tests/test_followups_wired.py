"""Follow-ups wired into the core: round reminders, nudges about half-done checks, decision reviews.

Real stores (memory, SQLite, Redis), the real service and the real `FollowUpRunner`; time is the
service's injected clock and the runner's `now`. Each job is scheduled where the state changes,
fires once with the right replies, and does nothing once it is no longer relevant. Also: across a
restart (a new service on the same SQLite file) and with two real processes racing for the same jobs.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot import words
from bot.conversation import routes
from bot.conversation.events import (
    SYSTEM,
    Answer,
    CloseRound,
    Event,
    Forget,
    OpenRound,
    RevealRound,
    RoundThread,
    RunFollowUp,
    Start,
    TakePosition,
    TakeRoundCheck,
)
from bot.conversation.replies import DecisionRecord, FollowUp, Question, ResultCard, Retired, Review, To
from bot.conversation.service import ConversationService, in_words
from bot.dialogs.catalog import Catalog
from bot.followups import plan
from bot.followups.jobs import Job
from bot.followups.runner import FollowUpRunner
from bot.stores import SqliteStore
from tests.conftest import ROOT, STORE_KINDS, close_store, make_store
from tests.helpers import SMALL, Clock, small_dialog

STARTER = "slack:T1:U0LEAD"
ANN, BOB, CAT = "slack:T1:U0ANN", "slack:T1:U0BOB", "slack:T1:U0CAT"
HOUR, DAY = 3600.0, 86400.0
PATHS = {
    "consultant": ["none", "Shop", ("blog",)],
    "agency": ["two", "Shop", ("twitter",), 5],
}
# the small dialog with what the shipped one has: an agency outcome that names the vetting dialog,
# and a consultant's week that says how long it lasts
DIALOG = SMALL.replace("    summary: Try an agency.\n", "    summary: Try an agency.\n    follow_with: small\n").replace(
    "    fallback: true\n", "    fallback: true\n    review_after: 7\n"
)


def catalog() -> Catalog:
    return Catalog.of(small_dialog(DIALOG))


class Posted:
    """The runner's handler: asks the core for the due job's replies and keeps them, as an adapter would deliver them."""

    def __init__(self, service: ConversationService) -> None:
        self.service = service
        self.sent: list[FollowUp] = []

    async def __call__(self, job: Job) -> None:
        for reply in await self.service.handle(Event(SYSTEM, RunFollowUp(job))):
            assert isinstance(reply, FollowUp), reply
            self.sent.append(reply)


@pytest.fixture(params=STORE_KINDS)
async def world(request, tmp_path: Path):
    clock = Clock()
    store = await make_store(request.param, tmp_path, clock)
    service = ConversationService(catalog=catalog(), store=store, clock=clock)
    posted = Posted(service)
    yield service, clock, FollowUpRunner(store, posted, clock=clock), posted
    await close_store(request.param, store)


async def answer(service, user: str, question: Question, value) -> list:
    return await service.handle(Event(user, Answer(question.session_id, question.node, value, question.version)))


async def pending(service, clock, horizon: float = 400 * DAY) -> list[Job]:
    """What is scheduled: claimed to look, then scheduled again as it was (which drops the claim)."""
    jobs = await service.store.claim_due(clock() + horizon, limit=100)
    for job in jobs:
        await service.store.schedule(replace(job, claim=""))
    return jobs


# --- nudges -------------------------------------------------------------------------------------


async def test_a_half_done_check_is_nudged_once_after_its_last_answer(world) -> None:
    service, clock, runner, posted = world
    (question,) = await service.handle(Event(ANN, Start("small", surface="DANN:1.0")))
    (question, *_) = await answer(service, ANN, question, "two")
    clock.advance(23 * HOUR)
    (question, *_) = await answer(service, ANN, question, "Ann's")  # another answer moves the nudge
    clock.advance(23 * HOUR)
    await runner.run_once()  # the job falls due a day after the start, sees the answer since, and re-arms
    assert posted.sent == [], "due 24 hours after the last answer, not the first"
    clock.advance(HOUR)
    assert await runner.run_once() == 1
    (nudge,) = posted.sent
    assert nudge.kind == "nudge" and nudge.user == ANN
    moved, retired = nudge.replies
    assert isinstance(moved, Question) and moved.node == question.node and moved.surface == ""
    assert moved.preface[0] == words.NUDGE.format(answered=2, about=question.progress.about) and moved.preface[0].startswith("You're 2 of ")
    assert routes.route(moved).to is To.NEW and routes.route(nudge) == routes.Route(To.RECIPIENT, ANN)
    assert isinstance(retired, Retired) and retired.surface == "DANN:1.0", "its old message loses its buttons"
    for _ in range(10):  # (inside the 14 days an untouched check is kept)
        clock.advance(DAY)
        await runner.run_once()
    assert len(posted.sent) == 1, "once: not again unless the user answers again"
    (question, *_) = await answer(service, ANN, moved, ("twitter",))
    clock.advance(DAY)
    assert await runner.run_once() == 1 and len(posted.sent) == 2


async def test_a_finished_or_forgotten_check_is_not_nudged(world) -> None:
    service, clock, runner, posted = world
    (question,) = await service.handle(Event(ANN, Start("small")))
    for value in PATHS["consultant"]:
        (question, *_) = await answer(service, ANN, question, value)
    assert isinstance(question, ResultCard)
    await service.handle(Event(BOB, Start("small")))
    await service.handle(Event(BOB, Forget(confirmed=True)))
    assert [job.owner for job in await pending(service, clock)] == [ANN], "forget takes Bob's with everything else"
    clock.advance(2 * DAY)
    await runner.run_once()  # Ann's finds her check finished and goes, saying nothing
    assert posted.sent == [] and await pending(service, clock) == []


async def test_nudges_switched_off_schedule_nothing(tmp_path: Path) -> None:
    clock = Clock()
    store = await make_store("memory", tmp_path, clock)
    service = ConversationService(catalog=catalog(), store=store, clock=clock, nudge_after=None)
    await service.handle(Event(ANN, Start("small")))
    assert await pending(service, clock) == []


async def test_a_nudge_whose_check_moved_on_says_nothing(world) -> None:
    service, clock, runner, posted = world
    (question,) = await service.handle(Event(ANN, Start("small")))
    stale = Job(plan.key(plan.NUDGE, question.session_id), plan.NUDGE, clock(), (("node", "nope"), ("answered", "3")), owner=ANN)
    assert await service.handle(Event(SYSTEM, RunFollowUp(stale))) == []
    assert await service.handle(Event(ANN, RunFollowUp(stale))) == [], "only the runner's system user asks for follow-ups"
    unknown = Job("later:x", "later", clock())
    assert await service.handle(Event(SYSTEM, RunFollowUp(unknown))) == []


def test_the_nudge_delay_setting() -> None:
    assert plan.parse_nudge_after("24h") == 86400 and plan.parse_nudge_after("30m") == 1800
    assert plan.parse_nudge_after("2d") == 2 * DAY and plan.parse_nudge_after(" 90 ") == 90
    for off in ("off", "OFF", "0", "never"):
        assert plan.parse_nudge_after(off) is None
    for bad in ("soon", "-1h", "1w", ""):
        with pytest.raises(ValueError):
            plan.parse_nudge_after(bad)


# --- round reminders ------------------------------------------------------------------------------


async def open_round(service, **options) -> str:
    (card, _) = await service.handle(Event(STARTER, OpenRound(name="Lead", surface="C1:1.0", dialog="small", topic="Socials", **options)))
    return card.round_id


async def join(service, round_id: str, user: str, surface: str = "") -> Question:
    (question, *_) = await service.handle(Event(user, TakeRoundCheck(round_id, name=user[-3:], surface=surface)))
    assert isinstance(question, Question)
    return question


async def finish(service, user: str, question: Question, outcome: str = "consultant") -> None:
    replies: list = [question]
    for value in PATHS[outcome]:
        replies = await answer(service, user, replies[0], value)
    assert isinstance(replies[0], ResultCard)


async def test_members_who_joined_but_did_not_finish_are_reminded_before_the_deadline(world) -> None:
    service, clock, runner, posted = world
    round_id = await open_round(service, deadline_in="1d")
    await finish(service, ANN, await join(service, round_id, ANN))
    bobs = await join(service, round_id, BOB, surface="DBOB:5.0")  # BOB joined, CAT never did
    (bobs, *_) = await answer(service, BOB, bobs, "two")
    clock.advance(23 * HOUR - 1)
    assert await runner.run_once() == 0, "an hour before a day's deadline"
    clock.advance(1)
    assert await runner.run_once() == 1
    (reminder,) = [f for f in posted.sent if f.kind == "remind"]
    assert reminder.user == BOB, "only the member who joined and has not finished"
    moved, retired = reminder.replies
    assert isinstance(moved, Question) and moved.session_id == bobs.session_id and moved.node == bobs.node
    assert moved.preface[0] == "The team round 'Socials' reveals in 60 minutes; you have not finished your check yet. Carry on below."
    assert isinstance(retired, Retired) and retired.surface == "DBOB:5.0"
    clock.advance(30 * 60)
    await runner.run_once()
    assert len([f for f in posted.sent if f.kind == "remind"]) == 1, "once"


async def test_a_short_round_is_reminded_a_quarter_of_its_time_before(world) -> None:
    service, clock, runner, posted = world
    round_id = await open_round(service, deadline_in="30m")
    await join(service, round_id, BOB)
    (job,) = [j for j in await pending(service, clock) if j.kind == plan.REMIND]
    assert job.key == f"remind:{round_id}" and job.due == clock() + 30 * 60 - 7.5 * 60 and job.owner == STARTER
    assert plan.remind_at(0, 10 * DAY) == 10 * DAY - HOUR


async def test_a_round_revealed_or_forgotten_before_its_reminder_reminds_no_one(world) -> None:
    service, clock, runner, posted = world
    revealed = await open_round(service, deadline_in="1d")
    await finish(service, ANN, await join(service, revealed, ANN))
    await join(service, revealed, BOB)
    await service.handle(Event(STARTER, RevealRound(revealed)))
    forgotten = await open_round(service, deadline_in="1d")
    await join(service, forgotten, BOB)
    assert [j.key for j in await pending(service, clock) if j.kind == plan.REMIND] == [f"remind:{forgotten}"]
    await service.handle(Event(STARTER, Forget(confirmed=True)))
    assert [j for j in await pending(service, clock) if j.kind == plan.REMIND] == []
    late = Job(plan.key(plan.REMIND, revealed), plan.REMIND, clock())  # one a runner held while the round revealed
    assert await service.handle(Event(SYSTEM, RunFollowUp(late))) == []
    clock.advance(2 * DAY)
    await runner.run_once()
    assert [f for f in posted.sent if f.kind == "remind"] == []


def test_how_far_off_a_deadline_is_said() -> None:
    assert in_words(30) == "in 1 minute" and in_words(45 * 60) == "in 45 minutes"
    assert in_words(2 * HOUR) == "in about 2 hours"


# --- decision reviews -----------------------------------------------------------------------------


async def closed_round(service, outcome: str, thread: str = "C1:2.0") -> str:
    round_id = await open_round(service)
    await finish(service, ANN, await join(service, round_id, ANN), outcome)
    await service.handle(Event(STARTER, RevealRound(round_id)))
    if thread:
        await service.handle(Event(STARTER, RoundThread(round_id, thread)))
    (record, *_) = await service.handle(Event(STARTER, CloseRound(round_id)))
    assert isinstance(record, DecisionRecord)
    return round_id


async def test_an_agency_decision_is_reviewed_in_its_thread_after_90_days(world) -> None:
    service, clock, runner, posted = world
    closed_at = clock()
    round_id = await closed_round(service, "agency")
    (record,) = [r for r in await service.handle(Event(STARTER, _show_record(round_id))) if isinstance(r, DecisionRecord)]
    review_on = time.strftime("%Y-%m-%d", time.gmtime(closed_at + 90 * DAY))
    assert record.review_on == review_on and f"- **Review on:** {review_on}\n" in record.markdown
    clock.advance(90 * DAY - 1)
    await runner.run_once()
    assert not [f for f in posted.sent if f.kind == "review"]
    clock.advance(1)
    await runner.run_once()
    (review_for,) = [f for f in posted.sent if f.kind == "review"]
    (review,) = review_for.replies
    assert isinstance(review, Review) and review_for.user == STARTER
    assert routes.route(review) == routes.Route(To.THREAD, "C1:2.0"), "in the round's thread"
    assert review.dialog_id == "small" and review.decision == "Agency for Shop" and review.decided_on == record.date
    assert review.questions[0].startswith(f"On {record.date} the team decided: Agency for Shop. Does that decision still hold")
    assert review.questions[1] == words.REVIEW_AGENCY and "trained you and your staff" in review.questions[1]
    clock.advance(400 * DAY)
    assert await runner.run_once() == 0, "once"


async def test_a_consultants_week_is_reviewed_after_the_week_and_without_a_thread_on_the_card(world) -> None:
    service, clock, runner, posted = world
    round_id = await closed_round(service, "consultant", thread="")
    (job,) = [j for j in await pending(service, clock) if j.kind == plan.REVIEW]
    assert job.key == f"review:{round_id}" and job.due == clock() + 7 * DAY and job.owner == STARTER
    clock.advance(7 * DAY)
    await runner.run_once()
    (review_for,) = posted.sent
    (review,) = review_for.replies
    assert isinstance(review, Review) and routes.route(review) == routes.Route(To.THREAD, "C1:1.0"), "the card's thread"
    assert len(review.questions) == 1, "no agency, no question about one"


async def test_a_forgotten_rounds_review_never_comes(world) -> None:
    service, clock, runner, posted = world
    await closed_round(service, "agency")
    await service.handle(Event(STARTER, Forget(confirmed=True)))
    clock.advance(91 * DAY)
    await runner.run_once()
    assert posted.sent == []


async def test_a_proposal_not_carried_is_never_reviewed(world) -> None:
    """Nothing was decided, so "does that decision still hold?" would be asked about nothing."""
    service, clock, runner, posted = world
    round_id = await open_round(service)
    await finish(service, ANN, await join(service, round_id, ANN), "agency")
    await service.handle(Event(STARTER, RevealRound(round_id)))
    await service.handle(Event(ANN, TakePosition(round_id, "object", "Not this year")))
    (record, *_) = await service.handle(Event(STARTER, CloseRound(round_id)))
    assert isinstance(record, DecisionRecord) and not record.carried and record.review_on == ""
    assert "review" not in [job.kind for job in await pending(service, clock)]
    clock.advance(400 * DAY)
    await runner.run_once()
    assert not [f for f in posted.sent if f.kind == "review"]


def _show_record(round_id: str):
    from bot.conversation.events import ShowRound

    return ShowRound(round_id, record=True)


# --- a restart, and two processes -----------------------------------------------------------------


async def test_a_follow_up_scheduled_before_a_restart_fires_once_after_it(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "restart.sqlite3"
    first = ConversationService(catalog=catalog(), store=SqliteStore(path, clock=clock), clock=clock)
    round_id = await open_round(first, deadline_in="2h")
    await join(first, round_id, BOB)
    await first.store.close()  # the process ends

    clock.advance(90 * 60)  # a quarter of two hours before the deadline
    store = SqliteStore(path, clock=clock)
    second = ConversationService(catalog=catalog(), store=store, clock=clock)
    posted = Posted(second)
    runner = FollowUpRunner(store, posted, clock=clock)
    try:
        assert await runner.run_once() == 1
        assert await runner.run_once() == 0
        clock.advance(DAY)
        await runner.run_once()  # BOB's nudge, now due too
    finally:
        await store.close()
    assert [(f.kind, f.user) for f in posted.sent] == [("remind", BOB), ("nudge", BOB)]


def test_two_processes_racing_for_due_follow_ups_post_each_once(tmp_path: Path) -> None:
    """Forty half-done checks on one SQLite file; two real processes run their runners at the same
    time and write every nudge they post to their own file: each nudge is in exactly one of them."""
    import asyncio

    where = tmp_path / "race.sqlite3"
    users = [f"slack:T1:U{n:04d}" for n in range(40)]

    async def schedule() -> None:
        store = SqliteStore(where)
        service = ConversationService(catalog=Catalog.load(ROOT / "dialogs"), store=store, nudge_after=1.0)
        for user in users:
            await service.handle(Event(user, Start()))
        await store.close()

    asyncio.run(schedule())
    go = tmp_path / "go"
    outs = [tmp_path / f"out{n}" for n in range(2)]
    workers = [
        subprocess.Popen([sys.executable, "-m", "tests.followups_wired_worker", str(where), str(out), str(go)], cwd=ROOT)
        for out in outs
    ]
    try:
        deadline = time.monotonic() + 60
        while not all(Path(f"{out}.ready").exists() for out in outs):
            assert time.monotonic() < deadline, "the workers never started"
            time.sleep(0.01)
        go.touch()
        assert [w.wait(timeout=60) for w in workers] == [0, 0]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    posted = [line for out in outs for line in out.read_text().splitlines()]
    assert sorted(posted) == sorted(users), "every nudge posted, none twice"


# --- the adapters' shared handler and setting (adapters/runtime.py) ---------------------------------


async def test_the_shared_handler_delivers_each_recipients_replies_and_hands_back_anothers(world) -> None:
    from adapters.runtime import follow_up_handler
    from bot.followups.runner import Elsewhere

    service, clock, runner, posted = world
    delivered: list[tuple[str, list]] = []

    async def deliver_to(user: str, replies: list) -> None:
        delivered.append((user, replies))

    slack = follow_up_handler(service, "slack", deliver_to)
    (question,) = await service.handle(Event(ANN, Start("small")))
    (job,) = await pending(service, clock)
    clock.advance(DAY)  # the check has been quiet for the whole delay
    with pytest.raises(Elsewhere):
        await follow_up_handler(service, "discord", deliver_to)(job)  # a Slack user's: not Discord's to post
    await slack(replace(job, owner="terminal:ann"))  # no chat bot reaches a terminal user: dropped, not bounced
    assert delivered == []
    await slack(job)
    ((user, replies),) = delivered
    assert user == ANN and isinstance(replies[0], Question) and replies[0].session_id == question.session_id


def test_the_nudge_setting_is_read_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters.runtime import NUDGE_AFTER, nudge_after

    monkeypatch.delenv(NUDGE_AFTER, raising=False)
    assert nudge_after() == 24 * HOUR
    monkeypatch.setenv(NUDGE_AFTER, "30m")
    assert nudge_after() == 1800
    monkeypatch.setenv(NUDGE_AFTER, "off")
    assert nudge_after() is None
    monkeypatch.setenv(NUDGE_AFTER, "tomorrow")
    with pytest.raises(ValueError, match=NUDGE_AFTER):
        nudge_after()


async def test_a_workspace_setting_changes_the_nudge_delay_on_every_store(world) -> None:
    """Kept in the store (every process reads it), read at most once a minute per process."""
    from bot.conversation.events import ChangeSetting

    service, clock, runner, posted = world
    user = "slack:T9:U001"
    (refused,) = await service.handle(Event(user, ChangeSetting("nudge", "2h", is_admin=False)))
    assert refused.kind == "refused"
    (done,) = await service.handle(Event(user, ChangeSetting("nudge", "2h", is_admin=True)))
    assert done.kind == "done" and "2h" in done.text
    assert await service.store.setting("slack:T9:nudge_after") == "2h"
    (other,) = await service.handle(Event("slack:T8:U001", ChangeSetting("nudge")))
    assert "1d" in other.text, "another workspace keeps the default"
    (none,) = await service.handle(Event("discord:42", ChangeSetting("nudge", "off", is_admin=True)))
    assert none.kind == "invalid", "no workspace a Discord DM belongs to: the operator's setting holds"
