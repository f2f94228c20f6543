"""Follow-ups on Slack, through the real HTTP app, the real runner and adapters/runtime.py's handler,
posting to the fake Slack: a reminder before a round's deadline, a nudge about a half-done check, a
decision's review in the round's thread. Time is the service's injected clock; the runner is run
once by the test (no sleeps)."""

from __future__ import annotations

import json
import time

from adapters.runtime import follow_up_handler
from adapters.slack.followups import PLATFORM, follow_up_delivery, slack_user_id
from bot.conversation.events import Answer, CloseRound, Event, RevealRound, RoundThread, TakeRoundCheck
from bot.conversation.replies import Question
from bot.followups.runner import FollowUpRunner
from bot.stores import SqliteStore
from tests.helpers import Clock
from tests.slack.conftest import serving
from tests.slack.test_conversation import answer_buttons, answer_current
from tests.slack.test_team import CHANNEL, card_in

HOUR, DAY = 3600.0, 86400.0


def runner_for(slack, clock: Clock) -> FollowUpRunner:
    service = slack.service
    handler = follow_up_handler(service, PLATFORM, follow_up_delivery(service, slack.client))
    return FollowUpRunner(service.store, handler, clock=clock)


def shown(message) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


async def test_a_member_who_has_not_finished_is_reminded_in_their_dm(tmp_path) -> None:
    clock = Clock(time.time())
    async with serving(SqliteStore(tmp_path / "s.sqlite3", clock=clock), clock=clock) as slack:
        lead, ann = slack.user("U0LEAD"), slack.user("U0ANN")
        fake = slack.fake
        await lead.command("team Q3 socials deadline:1d", channel=CHANNEL)
        await fake.wait_for(lambda: any(ch == CHANNEL and m.blocks for (ch, _), m in fake.messages.items()))
        await ann.click("Take the check", card_in(slack))
        await fake.wait_for(lambda: ann.dm in {ch for ch, _ in fake.messages} and ann.living().blocks)
        await answer_current(ann)
        before = ann.living()
        posted = len(fake.named("chat.postMessage"))

        runner = runner_for(slack, clock)
        clock.advance(23 * HOUR - 60)
        assert await runner.run_once() == 0
        clock.advance(60)
        assert await runner.run_once() == 1
        new = fake.named("chat.postMessage")[posted:]
        assert [fake.channel_of(c["body"]) for c in new] == [ann.dm], "only the member who joined and has not finished"
        reminder = ann.living()
        assert reminder.ts != before.ts
        assert "The team round 'Q3 socials' reveals in 60 minutes; you have not finished your check yet." in shown(reminder)
        assert answer_buttons(reminder), "the check itself, to carry on"
        assert fake.messages[(before.channel, before.ts)].text == "This check continues in a newer message below."
        await answer_current(ann)  # its buttons work: the check goes on in the new message
        assert await runner.run_once() == 0, "once"


async def test_a_half_done_check_is_nudged_once(tmp_path) -> None:
    clock = Clock(time.time())
    async with serving(SqliteStore(tmp_path / "s.sqlite3", clock=clock), clock=clock) as slack:
        ann = slack.user("U0ANN")
        fake = slack.fake
        await ann.command("", channel=ann.dm)
        await fake.wait_for(lambda: ann.dm in {ch for ch, _ in fake.messages} and ann.living().blocks)
        await answer_current(ann)
        await answer_current(ann)
        runner = runner_for(slack, clock)
        clock.advance(DAY - 60)
        assert await runner.run_once() == 0
        clock.advance(60)
        assert await runner.run_once() == 1
        nudge = ann.living()
        assert "You're 2 of " in shown(nudge) and "in: resume below, where you left off." in shown(nudge)
        assert answer_buttons(nudge)
        clock.advance(5 * DAY)
        posts = len(fake.named("chat.postMessage"))
        await runner.run_once()  # the nudge's job comes round again and re-arms itself without a word
        assert len(fake.named("chat.postMessage")) == posts, "sent once"


async def finish_in_the_core(service, user: str, round_id: str) -> None:
    """A member's round check taken and finished through the service itself (first choices): the review
    is what this file tests on Slack, not the check's messages (tests/slack/test_team.py has those)."""
    replies = await service.handle(Event(user, TakeRoundCheck(round_id, name="lead")))
    for _ in range(40):
        shown = replies[0]
        if not isinstance(shown, Question):
            return
        first = shown.options[0].id if shown.options else ""
        value: object = "Shop" if shown.kind == "text" else (first,) if shown.kind == "multi" else first
        replies = await service.handle(Event(user, Answer(shown.session_id, shown.node, value, shown.version)))
    raise AssertionError("the check did not finish")


async def test_a_decision_is_reviewed_in_the_rounds_thread(tmp_path) -> None:
    clock = Clock(time.time())
    async with serving(SqliteStore(tmp_path / "s.sqlite3", clock=clock), clock=clock) as slack:
        lead, bob = slack.user("U0LEAD"), slack.user("U0BOB")
        fake = slack.fake
        await lead.command("team Q3 socials", channel=CHANNEL)
        await fake.wait_for(lambda: any(ch == CHANNEL and m.blocks for (ch, _), m in fake.messages.items()))
        starter = "slack:T1:U0LEAD"
        (card,) = await slack.service.rounds_of(starter)
        thread = f"{CHANNEL}:1700000000.999999"  # the comparison's message, whose thread holds the discussion
        await finish_in_the_core(slack.service, starter, card.round_id)
        for action in (RevealRound(card.round_id), RoundThread(card.round_id, thread), CloseRound(card.round_id)):
            await slack.service.handle(Event(starter, action))
        assert (await slack.service.store.load_round(card.round_id)).status == "closed"

        runner = runner_for(slack, clock)
        assert await runner.run_once() == 0
        clock.advance(91 * DAY)
        assert await runner.run_once() >= 1  # the review (and the finished check's nudge job, which goes quietly)
        review = next(c["body"] for c in fake.named("chat.postMessage") if c["body"].get("text", "").startswith("Time to review the decision"))
        assert review["channel"] == CHANNEL and review["thread_ts"] == "1700000000.999999", "in the round's thread"
        blocks = review["blocks"] if isinstance(review["blocks"], list) else json.loads(review["blocks"])
        assert "Does that decision still hold" in json.dumps(blocks, ensure_ascii=False)
        message = fake.messages[(CHANNEL, review["_ts"])]
        assert bob.labels(message) == ["Run the check again"]
        clock.advance(DAY)
        assert await runner.run_once() == 0, "once"

        await bob.click("Run the check again", message)  # anyone may: the check starts in their DM
        await fake.wait_for(lambda: bob.dm in {ch for ch, _ in fake.messages} and bool(answer_buttons(bob.living())))


def test_slack_user_keys() -> None:
    assert slack_user_id("slack:T1:U0ANN") == "U0ANN"
    for bad in ("discord:123", "slack:U0ANN", "terminal:ann"):
        try:
            slack_user_id(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


async def test_a_workspace_admin_changes_the_nudge_delay_or_switches_nudges_off(tmp_path) -> None:
    clock = Clock(time.time())
    async with serving(SqliteStore(tmp_path / "s.sqlite3", clock=clock), clock=clock) as slack:
        ann, boss = slack.user("U0ANN"), slack.user("U0CAT")
        fake = slack.fake
        fake.admins.add("U0CAT")

        async def said(user, text: str) -> str:
            count = len(fake.ephemerals)
            await user.command(text)
            await fake.wait_for(lambda: len(fake.ephemerals) > count)
            return fake.ephemerals[-1]["text"]

        assert "1d after its last answer" in await said(ann, "settings")  # anyone may look: the default day
        assert "Only a workspace admin" in await said(ann, "settings nudge:off")
        assert "2h after its last answer" in await said(boss, "settings nudge:2h")
        assert "a nudge delay is like" in await said(boss, "settings nudge:soon")
        await ann.command("", channel=ann.dm)
        await fake.wait_for(lambda: ann.dm in {ch for ch, _ in fake.messages} and ann.living().blocks)
        await answer_current(ann)
        runner = runner_for(slack, clock)
        clock.advance(2 * HOUR)
        assert await runner.run_once() == 1, "the workspace's 2 hours, not the default day"
        assert "You're 1 of " in shown(ann.living())

        assert "off for everyone in this workspace" in await said(boss, "settings nudge:off")
        await answer_current(ann)
        clock.advance(DAY + 60)
        posts = len(fake.named("chat.postMessage"))
        await runner.run_once()
        assert len(fake.named("chat.postMessage")) == posts, "no nudge once switched off"
        assert "You're 2 of " not in shown(ann.living())
