"""Behaviour under pressure, each case through discord.py's own dispatch and the fake REST API."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from bot import words
from bot.stores import SqliteStore
from tests.discord.conftest import Harness, drain
from tests.discord.helpers import answer_by_clicking, kind_of, message_bodies

NO_PINGS = {"parse": []}


async def session_of(bot: Harness, user_id: str):
    (session,) = await bot.store.sessions_of(f"discord:{user_id}")
    return session


async def test_buttons_work_after_a_restart_with_no_view_kept_in_memory(bot: Harness) -> None:
    ann = bot.user()
    await ann.say("hi")
    assert bot.client._connection._view_store.persistent_views == []
    living = ann.living()
    await bot.boot()  # a new process: new client, new service, same store
    assert bot.client._connection._view_store.persistent_views == []
    await answer_by_clicking(ann, living)
    assert "question 2 of about" in ann.living().text()
    assert len((await session_of(bot, ann.id)).answers) == 1


async def test_a_click_from_anyone_but_the_owner_is_refused_ephemerally(bot: Harness) -> None:
    ann, bob = bot.user(), bot.user("3001", "bob")
    await ann.say("hi")
    living = ann.living()
    before, version = living.text(), (await session_of(bot, ann.id)).version
    await answer_by_clicking(bob, living)
    (refusal,) = bot.fake.replies_to(bob.last_token)
    assert refusal.flags & 64 and "belongs to someone else" in refusal.content
    assert living.text() == before and (await session_of(bot, ann.id)).version == version


async def test_a_click_on_an_answered_question_changes_nothing_and_says_so(bot: Harness) -> None:
    ann = bot.user()
    await ann.say("hi")
    snapshot = ann.living()
    old = type(snapshot)(**{**snapshot.__dict__, "components": list(snapshot.components)})  # what a stale client still shows
    await answer_by_clicking(ann, snapshot)
    after, version = ann.living().text(), (await session_of(bot, ann.id)).version
    await answer_by_clicking(ann, old)
    (notice,) = bot.fake.replies_to(ann.last_token)
    assert notice.flags & 64 and "already answered" in notice.content
    assert ann.living().text() == after and (await session_of(bot, ann.id)).version == version


async def test_a_forged_custom_id_is_refused_and_logged(bot: Harness, caplog) -> None:
    ann = bot.user()
    await ann.say("hi")
    living = ann.living()
    session = await session_of(bot, ann.id)
    forged = [
        "oc:a:../../etc:1:goal:unsure",  # does not fit the template
        f"oc:a:{session.id}:{session.version}:goal:unsure:extra",
        f"oc:a:{session.id}:{session.version}:goal:run_for_us_now",  # fits, but is not on the clicked message
        "x" * 120,
    ]
    with caplog.at_level(logging.WARNING, logger="outsource_check.discord"):
        for custom_id in forged:
            await ann.click("", living, custom_id=custom_id)
            (refusal,) = [c for c in bot.fake.named("POST", rf"/interactions/\d+/{ann.last_token}/callback")]
            assert refusal.body["type"] == 4 and refusal.body["data"]["flags"] == 64
            assert refusal.body["data"]["content"] == words.FORGED
    assert len([r for r in caplog.records if "forged custom_id" in r.getMessage()]) == len(forged)
    assert await session_of(bot, ann.id) == session


async def test_a_template_fitting_id_that_decodes_to_nonsense_is_refused_and_logged(bot: Harness, caplog) -> None:
    ann = bot.user()
    await ann.say("hi")
    living = ann.living()
    session = await session_of(bot, ann.id)
    rows = json.loads(json.dumps(living.components))
    rows[0]["components"][0]["custom_id"] = f"oc:a:{session.id}:{session.version}:goal:no_such_choice"
    doctored = type(living)(**{**living.__dict__, "components": rows})
    with caplog.at_level(logging.WARNING, logger="outsource_check.discord"):
        await ann.click("", doctored, custom_id=rows[0]["components"][0]["custom_id"])
    (notice,) = bot.fake.replies_to(ann.last_token)
    assert notice.flags & 64 and "not one of the choices" in notice.content
    assert any("refused a click" in r.getMessage() for r in caplog.records)
    assert await session_of(bot, ann.id) == session


class HeldStore(SqliteStore):
    """A store whose reads wait for a gate: the core is as slow as the test wants."""

    gate: asyncio.Event | None = None

    async def load(self, session_id: str):
        if self.gate is not None:
            await self.gate.wait()
        return await super().load(session_id)


async def test_a_click_the_core_answers_quickly_is_one_update_message_response(bot: Harness) -> None:
    ann = bot.user()
    await ann.say("hi")
    living = ann.living()
    await answer_by_clicking(ann, living)
    (callback,) = bot.fake.named("POST", rf"/interactions/\d+/{ann.last_token}/callback")
    assert callback.body["type"] == 7 and "question 2 of about" in json.dumps(callback.body["data"])
    assert callback.body["data"]["allowed_mentions"] == NO_PINGS
    assert not bot.fake.named("PATCH", rf"/webhooks/\d+/{ann.last_token}/messages/@original"), "one call, not a deferral and an edit"
    assert "question 2 of about" in ann.living().text() and ann.living().id == living.id


async def test_a_click_whose_core_is_slow_is_acknowledged_before_the_core_answers(bot: Harness, tmp_path) -> None:
    bot.store = HeldStore(tmp_path / "held.sqlite3")
    await bot.boot()
    bot.client.flow.answer_within = 0.05  # production waits 2 s, far inside Discord's 3 s
    ann = bot.user()
    await ann.say("hi")
    living = ann.living()
    bot.store.gate = asyncio.Event()
    custom_id = next(c for c in living.custom_ids() if c.startswith("oc:a:"))
    payload = ann._interaction(3, {"custom_id": custom_id, "component_type": 2}, channel=living.channel, message=living)
    ann.state.parse_interaction_create(payload)
    callback = rf"/interactions/\d+/{ann.last_token}/callback"
    await bot.fake.heard(lambda: bot.fake.named("POST", callback))
    assert bot.fake.named("POST", callback)[0].body == {"type": 6}
    assert not bot.fake.named("PATCH", rf"/webhooks/\d+/{ann.last_token}/messages/@original"), "no update before the core answered"
    bot.store.gate.set()
    await drain()
    assert "question 2 of about" in ann.living().text()
    assert len(bot.fake.named("POST", callback)) == 1, "deferred once, then edited"
    await bot.store.close()


async def test_a_late_click_gets_a_fresh_message_instead_of_an_error(bot: Harness) -> None:
    ann = bot.user()
    await ann.say("hi")
    old = ann.living()
    custom_id = next(c for c in old.custom_ids() if c.startswith("oc:a:"))
    await ann.click("", old, custom_id=custom_id, late=True)  # Discord answers 404 Unknown interaction
    fresh = ann.living()
    assert fresh.id != old.id and "question 2 of about" in fresh.text() and fresh.content == words.FRESH
    assert old.components == [] and old.content == words.MOVED_ON
    session = await session_of(bot, ann.id)
    assert session.surface == f"{ann.dm}:{fresh.id}" and len(session.answers) == 1


async def test_a_followup_past_the_tokens_15_minutes_falls_back_to_a_fresh_message(bot: Harness) -> None:
    ann = bot.user()
    await ann.say("hi")
    old = ann.living()
    bot.client.flow.answer_within = 0  # deferred first, so the answer goes out as a follow-up edit
    bot.fake.script("PATCH", r"/webhooks/\d+/[^/]+/messages/@original", 401, {"message": "Invalid Webhook Token", "code": 50027})
    await answer_by_clicking(ann, old)
    fresh = ann.living()
    assert fresh.id != old.id and "question 2 of about" in fresh.text()
    assert old.components == []


async def test_nothing_a_user_typed_can_ping_and_markdown_is_escaped(bot: Harness) -> None:
    ann = bot.user()
    name = "@everyone **Buzz** <@3001> <@&42> @here"
    await ann.slash("agency", name=name)
    text = ann.living().text()
    assert "\\\\*\\\\*Buzz\\\\*\\\\*" in text  # JSON-encoded "\*\*Buzz\*\*"
    await ann.slash("check")
    while kind_of(ann.living()) != "result":
        await answer_by_clicking(ann, ann.living())
    bodies = message_bodies(bot.fake.calls)
    assert len(bodies) > 10
    assert all(body.get("allowed_mentions") == NO_PINGS for body in bodies), [b for b in bodies if b.get("allowed_mentions") != NO_PINGS][:1]


async def test_rate_limits_are_left_to_discord_py(bot: Harness) -> None:
    ann = bot.user()
    await ann.say("hi")
    living = ann.living()
    limited = {"message": "You are being rate limited.", "retry_after": 0, "global": False}
    bot.fake.script("PATCH", rf"/channels/{ann.dm}/messages/{living.id}", 429, limited, {"Via": "1.1 google"})
    await ann.say("1")
    assert len(bot.fake.named("PATCH", rf"/channels/{ann.dm}/messages/{living.id}")) == 2  # the 429, the retry
    assert "question 2 of about" in ann.living().text()
    assert len((await session_of(bot, ann.id)).answers) == 1


@pytest.mark.parametrize("deferred", [False, True], ids=["as-the-response", "after-a-deferral"])
async def test_a_failed_send_is_logged_and_the_user_told_with_the_session_intact(bot: Harness, caplog, deferred: bool) -> None:
    ann = bot.user()
    await ann.say("hi")
    living = ann.living()
    refused = {"message": "Invalid Form Body", "code": 50035}
    if deferred:
        bot.client.flow.answer_within = 0
        bot.fake.script("PATCH", r"/webhooks/\d+/[^/]+/messages/@original", 400, refused)
    else:
        bot.fake.script("POST", r"/interactions/\d+/[^/]+/callback", 400, refused)
    with caplog.at_level(logging.WARNING, logger="outsource_check.discord"):
        await answer_by_clicking(ann, living)
    assert any("Discord refused" in r.getMessage() and "400" in r.getMessage() for r in caplog.records)
    (apology,) = bot.fake.replies_to(ann.last_token)
    assert apology.content == words.APOLOGY and apology.flags & 64
    session = await session_of(bot, ann.id)
    assert len(session.answers) == 1 and not session.finished
    await ann.slash("resume")
    assert "question 2 of about" in ann.living().text()


async def test_a_text_answer_form_opened_before_a_restart_is_still_taken(bot: Harness) -> None:
    ann = bot.user()
    await ann.slash("check")
    while kind_of(ann.living()) != "result":
        await answer_by_clicking(ann, ann.living())
    await ann.click("Vet an agency")
    asking = ann.living()
    await ann.click("Type your answer", asking)
    modal = bot.fake.named("POST", r"/interactions/\d+/.+/callback")[-1].body["data"]
    await bot.boot()  # the modal object discord.py kept is gone with the old process
    await ann.submit(modal["custom_id"], "Buzz Social", asking)
    assert "Buzz Social" in ann.living().text() and kind_of(ann.living()) == "a"


async def test_a_greeting_with_a_check_running_brings_it_back_down(bot: Harness) -> None:
    ann = bot.user()
    await ann.say("hi")
    old = ann.living()
    await answer_by_clicking(ann, old)
    await ann.say("Hello!")
    new = ann.living()
    assert new.id != old.id and words.WELCOME_BACK in new.text() and "question 2 of about" in new.text()
    assert old.components == [] and len(await bot.store.sessions_of(f"discord:{ann.id}")) == 1
