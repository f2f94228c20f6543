"""The port adapters call: sessions loaded, stepped and saved with compare-and-set."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from itertools import count
from pathlib import Path

import pytest

from bot.conversation.events import (
    Answer,
    Back,
    Event,
    Forget,
    MoveTo,
    Restart,
    Resume,
    Show,
    ShowHistory,
    Start,
    TypedReply,
)
from bot.conversation.replies import History, Notice, Question, ResultCard
from bot.conversation.service import ConversationService
from bot.dialogs.catalog import Catalog
from bot.stores import MemoryStore, StoreUnavailable
from tests.conftest import DIALOGS, STORE_KINDS, close_store, make_store
from tests.helpers import Clock, small_dialog

ANN, BOB = "slack:T1:U_ANN", "slack:T1:U_BOB"


@pytest.fixture(params=STORE_KINDS)
async def service(request, tmp_path: Path):
    clock = Clock()
    store = await make_store(request.param, tmp_path, clock)
    ids = count(1)
    yield ConversationService(catalog=Catalog.of(small_dialog()), store=store, clock=clock, new_id=lambda: f"s{next(ids)}")
    await close_store(request.param, store)


async def ask(service, user, action):
    return await service.handle(Event(user, action))


async def finish(service, user=ANN):
    (q,) = await ask(service, user, Start("small"))
    for value in ["none", "Shop", ("blog",)]:
        (q,) = await ask(service, user, Answer(q.session_id, q.node, value, q.version))
    return q


async def test_start_answer_back_restart(service) -> None:
    (q,) = await ask(service, ANN, Start("small"))
    assert isinstance(q, Question) and q.session_id == "s1"
    (q2,) = await ask(service, ANN, Answer("s1", "hours", "two", q.version))
    assert q2.node == "name"
    (back,) = await ask(service, ANN, Back("s1", q2.version))
    assert back.node == "hours"
    (again,) = await ask(service, ANN, Restart("s1", back.version))
    assert again.node == "hours" and again.version == back.version + 1
    stored = await service.store.load("s1")
    assert stored.version == again.version and stored.answers == ()


async def test_unknown_dialog(service) -> None:
    (notice,) = await ask(service, ANN, Start("nope"))
    assert notice.kind == "invalid"


async def test_someone_elses_click_is_refused_and_changes_nothing(service) -> None:
    (q,) = await ask(service, ANN, Start("small"))
    before = await service.store.load(q.session_id)
    (notice,) = await ask(service, BOB, Answer(q.session_id, q.node, "two", q.version))
    assert isinstance(notice, Notice) and notice.kind == "not_owner"
    assert await service.store.load(q.session_id) == before


async def test_a_double_click_advances_once(service) -> None:
    (q,) = await ask(service, ANN, Start("small"))
    first, second = await asyncio.gather(
        ask(service, ANN, Answer(q.session_id, q.node, "two", q.version)),
        ask(service, ANN, Answer(q.session_id, q.node, "none", q.version)),
    )
    kinds = sorted(type(r[0]).__name__ + ":" + getattr(r[0], "kind", "") for r in (first, second))
    assert kinds == ["Notice:stale", "Question:text"]
    stored = await service.store.load(q.session_id)
    assert stored.version == q.version + 1 and len(stored.answers) == 1


async def test_a_lost_race_in_the_store_is_reported_as_stale() -> None:
    class RacingStore(MemoryStore):
        """Another process answers between this turn's load and its save."""

        async def save(self, session, *, expected_version):
            if expected_version > 0 and not getattr(self, "raced", False):
                self.raced = True
                rival = (await self.load(session.id)).bump(updated_at=session.updated_at)
                assert await super().save(rival, expected_version=expected_version)
            return await super().save(session, expected_version=expected_version)

    racing = ConversationService(catalog=Catalog.of(small_dialog()), store=RacingStore())
    (q,) = await racing.handle(Event(ANN, Start("small")))
    (notice,) = await racing.handle(Event(ANN, Answer(q.session_id, q.node, "two", None)))
    assert notice.kind == "stale"
    assert (await racing.store.load(q.session_id)).answers == ()


async def test_resume_shows_the_unfinished_check(service) -> None:
    (q,) = await ask(service, ANN, Start("small"))
    await ask(service, ANN, Answer(q.session_id, q.node, "two", q.version))
    (resumed,) = await ask(service, ANN, Resume())
    assert resumed.node == "name" and resumed.session_id == q.session_id
    (none,) = await ask(service, BOB, Resume())
    assert none.kind == "nothing_to_resume"


async def test_history_lists_finished_checks(service) -> None:
    card = await finish(service)
    assert isinstance(card, ResultCard)
    (history,) = await ask(service, ANN, ShowHistory())
    assert isinstance(history, History)
    assert [(e.dialog_title, e.outcome_title) for e in history.entries] == [("Small", "Consultant")]
    assert (await service.latest_result(ANN))[0].outcome == "consultant"
    (shown,) = await ask(service, ANN, Show(card.session_id))
    assert shown == replace(card, here=False)  # the same card; only where the answer's reply went differs


async def test_forget_asks_first_then_deletes_everything(service) -> None:
    await finish(service)
    await ask(service, ANN, Start("small"))
    (confirm,) = await ask(service, ANN, Forget())
    assert confirm.kind == "confirm_forget"
    assert len(await service.store.sessions_of(ANN)) == 2
    (done,) = await ask(service, ANN, Forget(confirmed=True))
    assert done.kind == "forgotten" and "deleted 2" in done.text
    assert await service.store.sessions_of(ANN) == []


async def test_expired_session_click(service) -> None:
    (notice,) = await ask(service, ANN, Answer("missing", "hours", "two", 1))
    assert notice.kind == "stale"


async def test_an_unreachable_store_gets_a_try_again_and_no_traceback() -> None:
    class DownStore(MemoryStore):
        async def load(self, session_id):
            raise StoreUnavailable("connection refused")

        async def save(self, session, *, expected_version):
            raise StoreUnavailable("connection refused")

    broken = ConversationService(catalog=Catalog.of(small_dialog()), store=DownStore())
    (notice,) = await broken.handle(Event(ANN, Start("small")))
    assert notice.kind == "unavailable" and "try again" in notice.text


async def test_the_shipped_agency_check_takes_the_name_up_front(tmp_path: Path) -> None:
    service = ConversationService(catalog=Catalog.load(DIALOGS), store=MemoryStore())
    (q,) = await service.handle(Event(ANN, Start("agency_vetting", (("agency_name", "<!channel> Buzz & Co"),))))
    assert "<!channel> Buzz & Co" in q.text  # kept verbatim: escaping is each adapter's job
    assert q.node != "agency_name"


async def test_surface_is_kept_and_moving_makes_old_buttons_stale(service) -> None:
    (q,) = await ask(service, ANN, Start("small", surface="D1:100.1"))
    assert q.surface == "D1:100.1"
    (moved,) = await ask(service, ANN, MoveTo(q.session_id, "D1:200.2"))
    assert moved.surface == "D1:200.2" and moved.version == q.version + 1 and moved.node == q.node
    (stale,) = await ask(service, ANN, Answer(q.session_id, q.node, "two", q.version))
    assert stale.kind == "stale"
    (notice,) = await ask(service, BOB, MoveTo(q.session_id, "D9:1.1"))
    assert notice.kind == "not_owner"


async def test_typed_replies_answer_the_running_check(service) -> None:
    (none,) = await ask(service, ANN, TypedReply("two hours"))
    assert none.kind == "nothing_to_resume" and "Say hi" in none.text
    (q,) = await ask(service, ANN, Start("small"))
    (hint,) = await ask(service, ANN, TypedReply("perhaps"))
    assert hint.kind == "invalid" and "Reply with a number: 1 = Two hours" in hint.text
    assert (await service.store.load(q.session_id)).version == q.version
    (q2,) = await ask(service, ANN, TypedReply("two hours"))
    assert q2.node == "name"
    (q3,) = await ask(service, ANN, TypedReply("The Corner Shop"))
    assert q3.node == "channels" and "The Corner Shop" in q3.text
    (q4,) = await ask(service, ANN, TypedReply("1, 2"))
    assert q4.node == "trust"


async def test_a_click_that_beats_the_report_of_where_the_check_landed_is_drawn_in_place(service) -> None:
    """The question was posted; the user answered before the adapter said where: the next question
    goes in place of the message clicked (and the adapter reports that place), never a new one."""
    from bot.conversation.events import Delivered
    from bot.conversation.routes import route

    (q,) = await ask(service, ANN, Start("small"))
    assert route(q).to == "new"
    (q2,) = await ask(service, ANN, Answer(q.session_id, q.node, "two", q.version))
    way = route(q2)
    assert way.to == "here" and way.report == f"s:{q.session_id}"
    assert await ask(service, ANN, Delivered(way.report, "D1:100.1")) == []
    (q3,) = await ask(service, ANN, Answer(q2.session_id, q2.node, "The Shop", q2.version))
    assert route(q3).to == "message" and q3.surface == "D1:100.1", "from then on, updates in place as usual"


async def test_a_click_racing_the_report_of_where_the_check_landed_still_counts(service) -> None:
    """The adapter's report moves the session on by one version while the click was being stepped:
    the click is taken on the moved session, not refused as "already answered"."""
    from bot.conversation.events import Delivered

    (q,) = await ask(service, ANN, Start("small"))
    real_save = service.store.save
    reported = False

    async def report_first(session, *, expected_version):  # the report lands just before the click's save
        nonlocal reported
        if not reported:
            reported = True
            service.store.save = real_save
            await ask(service, ANN, Delivered(f"s:{q.session_id}", "D1:100.1"))
        return await real_save(session, expected_version=expected_version)

    service.store.save = report_first
    try:
        (q2,) = await ask(service, ANN, Answer(q.session_id, q.node, "two", q.version))
    finally:
        service.store.save = real_save
    assert q2.node == "name" and q2.surface == "D1:100.1"
    assert (await service.store.load(q.session_id)).answers[0].value == "two"


async def test_sharing_is_one_event_for_the_owners_finished_result(service) -> None:
    """Share is the core's flow: a finished result of one's own goes to the channel named, with the
    sharer on it; anything else is refused and nothing is posted."""
    from bot.conversation.events import Share
    from bot.conversation.layout import card_of
    from bot.conversation.replies import SharedResult, To
    from bot.conversation.routes import route

    (unfinished,) = await ask(service, BOB, Start("small"))
    (refused,) = await ask(service, BOB, Share(unfinished.session_id, "C0TEAM:"))
    assert isinstance(refused, Notice) and refused.kind == "stale" and route(refused).to is To.USER
    card = await finish(service)
    (not_yours,) = await ask(service, BOB, Share(card.session_id, "C0TEAM:"))
    assert isinstance(not_yours, Notice) and not_yours.kind == "not_owner"
    (shared,) = await ask(service, ANN, Share(card.session_id, "C0TEAM:"))
    assert isinstance(shared, SharedResult) and shared.sharer == ANN and shared.card.outcome == card.outcome
    assert route(shared).to is To.CHANNEL and route(shared).at == "C0TEAM:"
    assert not card_of(shared).rows, "no live buttons in a channel"
