"""Whole conversations, asserting what Discord received: DMs, slash commands, typed answers, sharing."""

from __future__ import annotations

import json

import discord

from bot import words
from tests.discord.conftest import GENERAL, GUILD, Harness, text_channel
from tests.discord.helpers import answer_by_clicking, first_select, is_result, kind_of

NO_PINGS = {"parse": []}
ANNOUNCEMENTS = "5002"


async def test_a_whole_dm_conversation_from_hi_to_a_shared_result(bot: Harness) -> None:
    ann = bot.user()
    read_only = [{"id": GUILD, "type": 0, "allow": "0", "deny": str(1 << 11)}]  # @everyone may not post
    bot.add_guild([text_channel(GENERAL, "general"), text_channel(ANNOUNCEMENTS, "announcements", read_only)], [ann.id])

    await ann.say("hi")
    (welcome,) = bot.fake.named("POST", rf"/channels/{ann.dm}/messages")
    assert words.WELCOME in str(welcome.body["embeds"]) and welcome.body["allowed_mentions"] == NO_PINGS
    living = ann.living()
    assert words.WELCOME in living.text() and "question 1 of about" in living.text()

    steps = 0
    while not is_result(living):
        before = living.custom_ids()
        kind = kind_of(living)
        if steps % 2 and kind in {"a", "c", "k"}:  # every other step typed, as a number
            edits = len(bot.fake.named("PATCH", rf"/channels/{ann.dm}/messages/{living.id}"))
            await ann.say("1")
            assert len(bot.fake.named("PATCH", rf"/channels/{ann.dm}/messages/{living.id}")) == edits + 1
        else:
            await answer_by_clicking(ann, living)
        assert ann.living().id == living.id, "each step edits the same message"
        assert not set(before) & set(ann.living().custom_ids()), "answered questions leave no clickable buttons"
        living = ann.living()
        steps += 1
        assert steps < 40
    assert steps >= 5
    card = living.embeds[0]
    names = [f["name"] for f in card["fields"]]
    assert names[0] == "Why this fits your answers" and "Next steps" in names
    glance = card["fields"][names.index("Your answers at a glance")]["value"]
    assert "█" in glance or "░" in glance
    assert card["footer"]["text"].startswith("Based on: Should") and ".txt" not in json.dumps(card)
    assert [c["label"] for row in living.components for c in row["components"]] == ["Share to a channel", "Vet an agency", "Back", "Start over"]

    await ann.click("Share to a channel", living)
    picker = ann.whispers()[-1]
    options = first_select(picker)["options"]
    assert [o["value"] for o in options] == [GENERAL], "only channels where Ann may post are offered"
    await ann.pick([GENERAL], picker)
    (shared,) = bot.fake.named("POST", rf"/channels/{GENERAL}/messages")
    assert shared.body["allowed_mentions"] == NO_PINGS
    assert shared.body["embeds"][0]["title"] == card["title"]
    assert f"<@{ann.id}> ran" in shared.body["embeds"][0]["description"] and shared.body["components"] == []
    assert picker.content == f"Shared your result in <#{GENERAL}>." and picker.components == []


async def test_a_typed_reply_that_fits_no_choice_gets_a_hint_and_does_not_advance(bot: Harness) -> None:
    ann = bot.user()
    await ann.say("hello")
    living = ann.living()
    before = living.text()
    await ann.say("purple")
    hint = bot.fake.in_channel(ann.dm)[-1]
    assert hint.content.startswith("I didn't catch that. Reply with a number: 1 = ")
    assert ann.living().text() == before
    await ann.say("9")
    assert bot.fake.in_channel(ann.dm)[-1].content.startswith("There is no choice 9.")
    await ann.say("not sure")  # a word that matches one choice unambiguously
    assert "question 2 of about" in ann.living().text()


async def test_slash_check_in_a_server_continues_in_the_dm(bot: Harness) -> None:
    ann = bot.user()
    await ann.slash("check", guild=True)
    first = bot.fake.calls[2]  # after login's two calls, the first thing Discord hears is the deferral
    assert first.path.endswith("/callback") and first.body == {"type": 5, "data": {"flags": 64}}
    assert "question 1 of about" in ann.living().text()
    assert ann.living().channel == ann.dm
    note = bot.fake.messages[bot.fake.originals[ann.last_token]]
    assert note.content.startswith("I've sent you a DM with your check: https://discord.com/channels/@me/")


async def test_with_dms_closed_the_check_runs_as_ephemeral_replies_and_says_so(bot: Harness) -> None:
    ann = bot.user()
    bot.fake.closed_dms.add(ann.id)
    await ann.slash("check", guild=True)
    here = bot.fake.messages[bot.fake.originals[ann.last_token]]
    assert here.flags & 64 and here.content == words.DMS_CLOSED
    assert "question 1 of about" in here.text() and "reply here in this DM" not in here.text()
    await answer_by_clicking(ann, here)
    assert "question 2 of about" in here.text() and here.flags & 64


async def test_agency_name_is_prefilled_and_text_questions_take_a_modal_or_a_typed_dm(bot: Harness) -> None:
    ann = bot.user()
    await ann.slash("agency", name="Buzz Social")
    assert "Buzz Social" in ann.living().text() and kind_of(ann.living()) == "a"

    # without a name, the vetting check starts with its text question: reach it through a result's Vet button
    await ann.slash("check")
    living = ann.living()
    while not is_result(living):
        await answer_by_clicking(ann, living)
        living = ann.living()
    await ann.click("Vet an agency", living)
    asking = ann.living()
    assert asking.id != living.id and kind_of(asking) == "t"
    assert living.components, "the result keeps its buttons"
    await ann.click("Type your answer", asking)
    modal = bot.fake.named("POST", r"/interactions/\d+/.+/callback")[-1].body
    assert modal["type"] == 9 and modal["data"]["custom_id"].startswith("oc:m:")
    await ann.submit(modal["data"]["custom_id"], "x" * 200, asking)  # over the question's 80 characters
    assert "keep it to 80" in ann.whispers()[-1].content and kind_of(ann.living()) == "t"
    await ann.say("Pixel & Co")
    assert "Pixel & Co" in ann.living().text() and kind_of(ann.living()) == "a"


async def test_resume_moves_the_check_to_a_new_dm_message_and_retires_the_old(bot: Harness) -> None:
    ann = bot.user()
    await ann.say("hi")
    old = ann.living()
    await answer_by_clicking(ann, old)
    await ann.slash("resume", guild=True)
    new = ann.living()
    assert new.id != old.id and "question 2 of about" in new.text() and words.RESUMED in new.text()
    assert old.components == [] and old.content == words.MOVED_ON
    note = bot.fake.messages[bot.fake.originals[ann.last_token]]
    assert note.content.startswith("I've sent you a DM with your check: ")


async def test_history_forget_and_help(bot: Harness) -> None:
    ann = bot.user()
    await ann.slash("history")
    shown = bot.fake.messages[bot.fake.originals[ann.last_token]]
    assert shown.flags & 64 and "No finished checks yet" in shown.text()
    await ann.say("hi")
    await ann.slash("forget")
    confirm = bot.fake.messages[bot.fake.originals[ann.last_token]]
    assert "cannot be undone" in confirm.content and "Delete everything" in str(confirm.components)
    await ann.click("Keep my data", confirm)
    assert confirm.content == words.DELETE_NOTHING and confirm.components == []
    assert await bot.store.sessions_of(f"discord:{ann.id}")
    await ann.slash("forget")
    confirm = bot.fake.messages[bot.fake.originals[ann.last_token]]
    await ann.click("Delete everything", confirm)
    assert confirm.content.startswith("Done: deleted 1 check(s)")
    assert await bot.store.sessions_of(f"discord:{ann.id}") == []
    await ann.slash("help")
    (call,) = [c for c in bot.fake.named("POST", r"/interactions/\d+/.+/callback") if c.body["type"] == 4]
    assert call.body["data"]["content"] == words.HELP and call.body["data"]["flags"] == 64


async def test_a_share_pick_for_a_channel_the_user_may_not_post_in_is_refused(bot: Harness) -> None:
    ann = bot.user()
    read_only = [{"id": GUILD, "type": 0, "allow": "0", "deny": str(1 << 11)}]
    bot.add_guild([text_channel(GENERAL, "general"), text_channel(ANNOUNCEMENTS, "announcements", read_only)], [ann.id])
    await ann.slash("check")
    while not is_result(ann.living()):
        await answer_by_clicking(ann, ann.living())
    await ann.click("Share to a channel")
    picker = ann.whispers()[-1]
    await ann.pick([ANNOUNCEMENTS], picker)  # a value the menu never offered
    assert picker.content == words.CANNOT_POST
    assert bot.fake.named("POST", rf"/channels/{ANNOUNCEMENTS}/messages") == []


async def test_share_without_a_common_server_says_how_to_get_one(bot: Harness) -> None:
    ann = bot.user()
    await ann.slash("check")
    while not is_result(ann.living()):
        await answer_by_clicking(ann, ann.living())
    await ann.click("Share to a channel")
    assert ann.whispers()[-1].content == words.NO_CHANNELS


async def test_clicks_and_picks_are_read_without_rebuilding_the_message_as_a_view(bot: Harness, monkeypatch) -> None:
    """Before it calls a `DynamicItem`, discord.py rebuilds the clicked message's whole view
    (`View.from_message`): 7% of a turn's profiled time, for items no click of ours needs. Clicks
    are read in `on_interaction` instead (docs/performance.md, eighth pass); a dynamic item added
    back would rebuild the view on every click, and this test counts it."""
    rebuilt: list[object] = []
    from_message = discord.ui.View.from_message.__func__  # type: ignore[attr-defined]

    def counted(cls, message, /, *, timeout=180.0):
        rebuilt.append(message)
        return from_message(cls, message, timeout=timeout)

    monkeypatch.setattr(discord.ui.View, "from_message", classmethod(counted))
    ann = bot.user()
    await ann.say("hi")
    clicks = 0
    for _ in range(12):  # buttons, and a pick-several question's menu on the way
        living = ann.living()
        if is_result(living):
            break
        before = living.custom_ids()
        await answer_by_clicking(ann, living)
        assert ann.living().custom_ids() != before, "the click was taken"
        clicks += 1
    assert clicks >= 8 and rebuilt == []
