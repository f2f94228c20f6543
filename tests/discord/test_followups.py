"""Follow-ups on Discord, through the real discord.py client, the real runner and adapters/runtime.py's
handler, against the fake Discord: a reminder before a round's deadline, a nudge about a half-done
check, a decision's review in the round's thread. Nobody clicks to trigger them: each is delivered
without an interaction (a DM opened by the bot, a post in the thread). Time is the service's injected
clock; the runner is run once by the test (no sleeps)."""

from __future__ import annotations

import logging
import time

import pytest

from adapters.discord.followups import PLATFORM, discord_user_id, follow_up_delivery
from adapters.runtime import follow_up_handler
from bot.conversation.events import Answer, CloseRound, Event, RevealRound, RoundThread, TakeRoundCheck
from bot.conversation.replies import Question
from bot.followups.runner import FollowUpRunner
from bot.stores import SqliteStore
from tests.discord.conftest import GENERAL, Harness, drain, text_channel
from tests.discord.fake_discord import FakeDiscord
from tests.discord.helpers import is_result
from tests.discord.test_team import answer, card_of, labels, posted_in, round_id_of
from tests.helpers import Clock

HOUR, DAY = 3600.0, 86400.0


@pytest.fixture
async def timed(discord_env: FakeDiscord, tmp_path, caplog: pytest.LogCaptureFixture):
    """The bot (as the `bot` fixture) with the service and the store on a clock the test moves."""
    clock = Clock(time.time())
    store = SqliteStore(tmp_path / "discord.sqlite3", clock=clock)
    harness = Harness(discord_env, store)
    harness.clock = clock
    await harness.boot()
    yield harness, clock
    await drain()
    if harness.client is not None:
        await harness.client.close()
    await store.close()
    assert not harness.errors, harness.errors
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def runner_for(bot: Harness, clock: Clock) -> FollowUpRunner:
    assert bot.client is not None
    handler = follow_up_handler(bot.service, PLATFORM, follow_up_delivery(bot.client))
    return FollowUpRunner(bot.store, handler, clock=clock)


async def test_a_member_who_has_not_finished_is_reminded_in_their_dm(timed) -> None:
    bot, clock = timed
    lead, ann, cat = bot.user("3000", "lead"), bot.user("3001", "ann"), bot.user("3003", "cat")
    bot.add_guild([text_channel(GENERAL, "general")], [lead.id, ann.id, cat.id])
    await lead.slash("team", guild=True, topic="Q3 socials", deadline="1d")
    await ann.click("Take the check", card_of(bot), guild=True)
    await answer(ann, ann.living(), 0)
    before = ann.living()

    runner = runner_for(bot, clock)
    clock.advance(23 * HOUR - 60)
    assert await runner.run_once() == 0
    clock.advance(60)
    assert await runner.run_once() == 1
    await drain()
    reminder = ann.living()
    assert reminder.id != before.id and reminder.channel == ann.dm
    assert "The team round 'Q3 socials' reveals in 60 minutes; you have not finished your check yet." in reminder.text()
    assert [c for c in reminder.custom_ids() if c.startswith(("oc:a:", "oc:c:", "oc:k:", "oc:t:"))], "the check, to carry on"
    assert bot.fake.messages[before.id].components == [], "the old message retired"
    assert bot.fake.in_channel(cat.dm) == [] and bot.fake.in_channel(lead.dm) == [], "only members who joined and have not finished"
    await answer(ann, reminder, 0)  # its buttons work
    assert await runner.run_once() == 0, "once"


async def test_a_half_done_check_is_nudged_once(timed) -> None:
    bot, clock = timed
    ann = bot.user("3001", "ann")
    await ann.say("hi")
    await answer(ann, ann.living(), 0)
    runner = runner_for(bot, clock)
    clock.advance(DAY - 60)
    assert await runner.run_once() == 0
    clock.advance(60)
    assert await runner.run_once() == 1
    await drain()
    nudge = ann.living()
    assert "You're 1 of " in nudge.text() and "in: resume below, where you left off." in nudge.text()
    clock.advance(5 * DAY)
    posts = len(bot.fake.named("POST", r"/channels/\d+/messages"))
    await runner.run_once()  # the nudge's job comes round again and re-arms itself without a word
    await drain()
    assert len(bot.fake.named("POST", r"/channels/\d+/messages")) == posts, "sent once"


async def finish_in_the_core(bot: Harness, user: str, round_id: str) -> None:
    """A member's round check taken and finished through the service itself (first choices): the review
    is what this file tests on Discord, not the check's messages (tests/discord/test_team.py has those)."""
    replies = await bot.service.handle(Event(user, TakeRoundCheck(round_id, name="lead")))
    for _ in range(40):
        shown = replies[0]
        if not isinstance(shown, Question):
            return
        first = shown.options[0].id if shown.options else ""
        value: object = "Shop" if shown.kind == "text" else (first,) if shown.kind == "multi" else first
        replies = await bot.service.handle(Event(user, Answer(shown.session_id, shown.node, value, shown.version)))
    raise AssertionError("the check did not finish")


async def test_a_decision_is_reviewed_in_the_rounds_thread(timed) -> None:
    bot, clock = timed
    lead, bob = bot.user("3000", "lead"), bot.user("3002", "bob")
    bot.add_guild([text_channel(GENERAL, "general")], [lead.id, bob.id])
    await lead.slash("team", guild=True, topic="Q3 socials")
    round_id = round_id_of(card_of(bot))
    starter, thread = "discord:3000", "7000:6999"  # the comparison's thread (Discord surfaces: thread id, message id)
    await finish_in_the_core(bot, starter, round_id)
    for action in (RevealRound(round_id), RoundThread(round_id, thread), CloseRound(round_id)):
        await bot.service.handle(Event(starter, action))
    assert (await bot.store.load_round(round_id)).status == "closed"

    runner = runner_for(bot, clock)
    assert await runner.run_once() == 0
    clock.advance(91 * DAY)
    assert await runner.run_once() >= 1  # the review (and the finished check's nudge job, which goes quietly)
    await drain()
    (review,) = posted_in(bot, "7000", "Time to review the decision")  # in the round's thread
    assert "Does that decision still hold" in review.text()
    assert labels(review) == ["Run the check again"] and review.custom_ids() == ["oc:ra:outsource_check"]
    clock.advance(DAY)
    assert await runner.run_once() == 0, "once"

    await bob.click("Run the check again", review, guild=True)  # anyone may: the check starts in their DM
    fresh = bob.living()
    assert fresh.channel == bob.dm and not is_result(fresh) and "question 1 of about" in fresh.text()


def test_discord_user_keys() -> None:
    assert discord_user_id("discord:81234") == 81234
    for bad in ("slack:T1:U1", "discord:", "discord:abc"):
        with pytest.raises(ValueError):
            discord_user_id(bad)
