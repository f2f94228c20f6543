"""Text people type reaches the core as they typed it, but nothing in it can break a save.

JSON may carry a lone UTF-16 surrogate (`"\\ud800"`); Python parses it into a `str` that no UTF-8
encoder accepts, so it would fail the first write to SQLite or Redis.
"""

from __future__ import annotations

from bot.conversation.events import Event, OpenRound
from bot.conversation.replies import RoundCard
from tests.discord.conftest import GENERAL, Harness, text_channel
from tests.discord.test_team import card_of, replies_to, round_id_of


async def test_a_team_topic_with_a_lone_surrogate_opens_a_round(bot: Harness) -> None:
    lead = bot.user("3000", "lead")
    bot.add_guild([text_channel(GENERAL, "general")], [lead.id])
    await lead.slash("team", guild=True, topic="Q3 \ud800socials\udfff plan")
    card = card_of(bot)
    assert card.embeds[0]["title"] == "Team round: Q3 socials plan"
    assert replies_to(lead)
    stored = await bot.store.load_round(round_id_of(card))
    assert stored is not None and stored.topic == "Q3 socials plan"


async def test_a_member_whose_name_holds_a_lone_surrogate_joins_a_round(bot: Harness) -> None:
    lead, odd = bot.user("3000", "lead"), bot.user("3001", "b\udc00ob")
    bot.add_guild([text_channel(GENERAL, "general")], [lead.id, odd.id])
    await lead.slash("team", guild=True, topic="socials")
    card = card_of(bot)
    await odd.click("Take the check", card, guild=True)
    assert replies_to(odd)[0].startswith("I've sent you a DM with your check")
    stored = await bot.store.load_round(round_id_of(card))
    assert stored is not None and [m.name for m in stored.members] == ["b ob"]


async def test_the_core_cleans_round_names_and_topics_it_receives(bot: Harness) -> None:
    """The same at the core's own entry point, for any adapter: names too, and a topic of nothing but a surrogate."""
    (card, _) = await bot.service.handle(
        Event("discord:5000:3000", OpenRound(name="le\ud83dad", surface="5001:1", topic="\ud800"))
    )
    assert isinstance(card, RoundCard) and card.topic == "" and card.starter == "le ad"
    stored = await bot.store.load_round(card.round_id)
    assert stored is not None and (stored.topic, stored.starter_name) == ("", "le ad")
