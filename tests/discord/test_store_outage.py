"""The store goes away mid-conversation: every Discord path tells the user, privately, to try again
(never an unhandled exception or silence), leaves no placeholder behind, and works once the store is back.

The `bot` fixture fails a test on any handler exception or ERROR line; what the user saw is read from
the fake Discord's messages and recorded calls. The outage is `tests.store_outage` on the bot's store.
"""

from __future__ import annotations

import json

from bot import words
from bot.words import TRY_AGAIN
from tests.discord.conftest import GENERAL, DiscordUser, Harness, text_channel
from tests.discord.fake_discord import Message
from tests.discord.helpers import answer_by_clicking, message_bodies
from tests.discord.test_team import card_of, last_modal, posted_in, replies_to, take_and_finish
from tests.store_outage import Outage

LEAKS = ("Traceback", "StoreUnavailable", "connection refused", "Error", "Exception")


def nothing_leaked(bot: Harness) -> None:
    for body in message_bodies(bot.fake.calls):
        shown = json.dumps(body, ensure_ascii=False, default=lambda data: f"<{len(data)} bytes attached>")
        assert not any(word in shown for word in LEAKS), shown


def public(bot: Harness, channel: str) -> list[Message]:
    """What everyone with the channel open sees: its messages, without the ephemeral replies to one user."""
    return [m for m in bot.fake.in_channel(channel) if not m.flags & 64]


def dm_of(bot: Harness, user: DiscordUser) -> list[Message]:
    return public(bot, user.dm)


async def with_a_check(bot: Harness, user: DiscordUser) -> Message:
    """A check started while the store is up, one question answered; returns its living message."""
    await user.slash("check")
    await answer_by_clicking(user, user.living())
    living = user.living()
    assert "question 2 of about" in living.text()
    return living


# --- starting a check ---------------------------------------------------------------------------


async def test_a_check_started_in_an_outage_leaves_no_placeholder_and_starts_once_the_store_is_back(bot: Harness) -> None:
    ann = bot.user()
    with Outage(bot.store) as outage:
        await ann.slash("check", guild=True)
    assert outage.refused == ["save"]
    assert replies_to(ann) == [TRY_AGAIN]
    assert dm_of(bot, ann) == [], "no \"Starting your check…\" (nor a try again dressed as the check) left in the DM"
    assert not bot.fake.named("POST", rf"/channels/{ann.dm}/messages"), "nothing was posted to be taken back"

    await ann.slash("check", guild=True)
    assert replies_to(ann)[0].startswith("I've sent you a DM with your check: ")
    assert len(dm_of(bot, ann)) == 1 and "question 1 of about" in ann.living().text()
    nothing_leaked(bot)


async def test_hi_in_an_outage_says_try_again_and_starts_nothing(bot: Harness) -> None:
    ann = bot.user()
    with Outage(bot.store) as outage:
        await ann.say("hi")
    assert outage.refused
    assert [m.content for m in dm_of(bot, ann)] == [TRY_AGAIN]

    await ann.say("hi")
    assert words.WELCOME in ann.living().text() and "question 1 of about" in ann.living().text()
    nothing_leaked(bot)


# --- resume, history, forget --------------------------------------------------------------------


async def test_resume_in_an_outage_says_try_again_and_works_once_the_store_is_back(bot: Harness) -> None:
    ann = bot.user()
    living = await with_a_check(bot, ann)
    shown = Message(**{**living.__dict__, "components": list(living.components)})
    with Outage(bot.store) as outage:
        await ann.slash("resume", guild=True)
    assert outage.refused == ["sessions_of"]
    assert replies_to(ann) == [TRY_AGAIN]
    assert dm_of(bot, ann) == [living] and living == shown, "the check stays where it was, buttons and all"

    await ann.slash("resume", guild=True)
    assert replies_to(ann)[0].startswith("I've sent you a DM with your check: ")
    assert ann.living().id != living.id and "question 2 of about" in ann.living().text()
    assert living.content == words.MOVED_ON and living.components == []
    nothing_leaked(bot)


async def test_a_store_lost_in_the_middle_of_a_resume_leaves_no_placeholder(bot: Harness) -> None:
    """The running check was found, then the store went: the new message goes again, the old keeps its buttons."""
    ann = bot.user()
    living = await with_a_check(bot, ann)
    buttons = list(living.components)
    with Outage(bot.store, "load", "save") as outage:
        await ann.slash("resume")
    assert outage.refused
    assert replies_to(ann) == [TRY_AGAIN]
    assert dm_of(bot, ann) == [living] and living.components == buttons

    await ann.slash("resume")
    assert ann.living().id != living.id and "question 2 of about" in ann.living().text()
    nothing_leaked(bot)


async def test_history_in_an_outage_says_try_again(bot: Harness) -> None:
    ann = bot.user()
    with Outage(bot.store) as outage:
        await ann.slash("history")
    assert outage.refused and replies_to(ann) == [TRY_AGAIN]
    await ann.slash("history")
    assert "No finished checks yet" in bot.fake.messages[bot.fake.originals[ann.last_token]].text()
    nothing_leaked(bot)


async def test_forget_in_an_outage_keeps_the_confirmation_for_another_try(bot: Harness) -> None:
    ann = bot.user()
    await with_a_check(bot, ann)
    await ann.slash("forget")
    confirm = bot.fake.messages[bot.fake.originals[ann.last_token]]
    with Outage(bot.store):
        await ann.click("Delete everything", confirm)
    assert confirm.content.startswith(TRY_AGAIN) and "Delete everything" in json.dumps(confirm.components)
    assert len(await bot.store.sessions_of(f"discord:{ann.id}")) == 1, "nothing was deleted"

    await ann.click("Delete everything", confirm)
    assert confirm.content.startswith("Done: deleted 1 check(s)") and confirm.components == []
    assert await bot.store.sessions_of(f"discord:{ann.id}") == []
    nothing_leaked(bot)


# --- team rounds ----------------------------------------------------------------------------------


async def test_team_export_in_an_outage_says_try_again_from_both_commands(bot: Harness) -> None:
    lead = bot.user("3000", "lead")
    bot.add_guild([text_channel(GENERAL, "general")], [lead.id])
    await lead.slash("team", guild=True, topic="Q3 socials")
    with Outage(bot.store) as outage:
        await lead.slash("team-export", guild=True)
        assert replies_to(lead) == [TRY_AGAIN]
        await lead.slash("team", guild=True, topic="export")
        assert replies_to(lead) == [TRY_AGAIN]
    assert outage.refused == ["rounds_of", "rounds_of"]

    await lead.slash("team-export", guild=True)
    assert replies_to(lead)[0].startswith("```markdown\n# Decision: ")
    nothing_leaked(bot)


async def test_a_round_started_or_taken_in_an_outage_leaves_no_placeholder(bot: Harness) -> None:
    lead, ann = bot.user("3000", "lead"), bot.user("3001", "ann")
    bot.add_guild([text_channel(GENERAL, "general")], [lead.id, ann.id])
    with Outage(bot.store):
        await lead.slash("team", guild=True, topic="Q3 socials")
    assert replies_to(lead) == [TRY_AGAIN]
    assert public(bot, GENERAL) == [], "no \"Starting a team round…\" left in the channel"

    await lead.slash("team", guild=True, topic="Q3 socials")
    card = card_of(bot)
    with Outage(bot.store):
        await ann.click("Take the check", card, guild=True)
    assert replies_to(ann) == [TRY_AGAIN] and dm_of(bot, ann) == []
    assert "ann" not in card.text()

    await take_and_finish(bot, ann, 0)
    assert "Taking part: ann ✓" in card_of(bot).text()
    nothing_leaked(bot)


async def test_reveal_position_and_close_in_an_outage_say_try_again_and_change_nothing(bot: Harness) -> None:
    lead, ann = bot.user("3000", "lead"), bot.user("3001", "ann")
    bot.add_guild([text_channel(GENERAL, "general")], [lead.id, ann.id])
    await lead.slash("team", guild=True, topic="Q3 socials")
    await take_and_finish(bot, ann, 0)

    with Outage(bot.store):
        await lead.click("Reveal", card_of(bot), guild=True)
    assert replies_to(lead) == [TRY_AGAIN] and posted_in(bot, GENERAL, "Team results") == []
    await lead.click("Reveal", card_of(bot), guild=True)
    (summary,) = posted_in(bot, GENERAL, "Team results")

    await ann.click("Agree (0)", summary, guild=True)  # the position's modal opens without the store
    with Outage(bot.store):
        await ann.submit(last_modal(ann)["custom_id"], "fine", summary)
    assert replies_to(ann) == [TRY_AGAIN] and summary.components[0]["components"][0]["label"] == "Agree (0)"
    await ann.click("Agree (0)", summary, guild=True)
    await ann.submit(last_modal(ann)["custom_id"], "fine", summary)
    assert summary.components[0]["components"][0]["label"] == "Agree (1)"

    with Outage(bot.store):
        await lead.click("Close and record the decision", summary, guild=True)
    assert replies_to(lead) == [TRY_AGAIN] and posted_in(bot, summary.id, "Decision: ") == []
    await lead.click("Close and record the decision", summary, guild=True)
    assert posted_in(bot, summary.id, "Decision: ")
    nothing_leaked(bot)
