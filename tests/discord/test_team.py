"""Team rounds on Discord, through discord.py's own dispatch and the fake REST API: what the
channel, the thread and each member's DM received, and what the store holds."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from adapters.common.pictures import draw
from adapters.discord import render
from bot import words
from bot.conversation import layout
from bot.conversation.replies import DecisionRecord
from bot.team.comparison import parse_deadline  # the core reads deadlines for every platform
from tests.discord.conftest import ADMIN, GENERAL, MEMBER, DiscordUser, Harness, text_channel
from tests.discord.fake_discord import Message
from tests.discord.helpers import first_select, is_result, kind_of, message_bodies

NO_PINGS = {"parse": []}
VIEW_CHANNEL = 1 << 10


def posted_in(bot: Harness, channel: str, title: str) -> list[Message]:
    """The bot's messages in a channel whose embed title starts with `title`, oldest first."""
    return [m for m in bot.fake.in_channel(channel) if m.embeds and m.embeds[0].get("title", "").startswith(title)]


def card_of(bot: Harness) -> Message:
    (card,) = posted_in(bot, GENERAL, "Team round")
    return card


def round_id_of(card: Message) -> str:
    return next(c for c in card.custom_ids() if c.startswith("oc:rt:")).split(":")[2]


def replies_to(user: DiscordUser) -> list[str]:
    """What the user's last interaction answered them privately: the deferred response and any follow-ups."""
    fake = user.h.fake
    token = user.last_token
    shown = [fake.messages[fake.originals[token]]] if token in fake.originals and fake.messages[fake.originals[token]].flags & 64 else []
    return [m.content for m in shown + fake.followup_messages(token)]


def labels(message: Message) -> list[str]:
    return [c.get("label", "") for row in message.components for c in row["components"]]


def field(message: Message, name: str) -> str:
    return next(f["value"] for f in message.embeds[0]["fields"] if f["name"].startswith(name))


async def answer(user: DiscordUser, message: Message, pick: int) -> None:
    """Answer whatever is shown, choosing the `pick`-th option, so members answer differently."""
    kind = kind_of(message)
    if kind == "a":
        answers = [c for c in message.custom_ids() if c.startswith("oc:a:")]
        await user.click("", message, custom_id=answers[pick % len(answers)])
    elif kind in ("c", "k"):
        select = first_select(message)
        options = [o["value"] for o in select["options"]]
        wanted = max(1, select.get("min_values", 1))
        await user.pick([options[(pick + i) % len(options)] for i in range(wanted)], message)
    else:
        await user.click("Type your answer", message)
        modal = [c.body["data"] for c in user.h.fake.named("POST", r"/interactions/\d+/.+/callback") if c.body["type"] == 9][-1]
        await user.submit(modal["custom_id"], f"Agency {pick}", message)


def last_modal(user: DiscordUser) -> dict:
    """The modal the user's last interaction opened (a callback of type 9)."""
    (call,) = [c for c in user.h.fake.named("POST", rf"/interactions/\d+/{user.last_token}/callback") if c.body["type"] == 9]
    return call.body["data"]


async def take_position(user: DiscordUser, summary: Message, label: str, reason: str) -> dict:
    """Press Agree, Abstain or Object and submit the modal it opens, with a reason or none."""
    await user.click(label, summary, guild=True)
    modal = last_modal(user)
    await user.submit(modal["custom_id"], reason, summary)
    return modal


async def take_and_finish(bot: Harness, user: DiscordUser, pick: int) -> Message:
    await user.click("Take the check", card_of(bot), guild=True)
    (sent,) = replies_to(user)
    assert sent.startswith("I've sent you a DM with your check: https://discord.com/channels/@me/")
    living = user.living()
    assert words.ROUND_CHECK in living.text() and "question 1 of about" in living.text()
    for _ in range(40):
        if is_result(user.living()):
            # a round's private check offers no "Share to a channel": one member publishing early would anchor the rest
            assert "Share to a channel" not in labels(user.living())
            return user.living()
        await answer(user, user.living(), pick)
    raise AssertionError("the check did not finish")


async def test_a_team_round_from_command_to_decision_record(bot: Harness) -> None:
    lead, ann, bob = bot.user("3000", "lead"), bot.user("3001", "ann"), bot.user("3002", "bob")
    bot.add_guild([text_channel(GENERAL, "general")], [lead.id, ann.id, bob.id])
    fake = bot.fake

    await lead.slash("team", guild=True, topic="Q3 socials **now**", expected=3, quorum=3)
    (posted,) = fake.named("POST", rf"/channels/{GENERAL}/messages")  # the card itself: no placeholder first
    card = card_of(bot)
    assert posted.body["embeds"][0]["title"] == card.embeds[0]["title"]
    assert card.embeds[0]["title"] == "Team round: Q3 socials \\*\\*now\\*\\*"
    assert card.content == "" and labels(card) == ["Take the check", "Reveal"]
    round_id = round_id_of(card)
    assert card.custom_ids() == [f"oc:rt:{round_id}", f"oc:rr:{round_id}"]
    assert replies_to(lead) == [words.ROUND_STARTED]
    assert "Started by lead" in card.text() and "Finished: 0 of 3 expected" in card.text()

    # a reveal by someone who neither started the round nor manages the server is refused, privately
    await ann.click("Reveal", card, guild=True)
    assert any("Only the person who started" in text for text in replies_to(ann))
    assert posted_in(bot, GENERAL, "Team results") == []

    await take_and_finish(bot, lead, 0)
    await take_and_finish(bot, ann, 1)
    card = card_of(bot)
    assert "Taking part: lead ✓, ann ✓." in card.text() and "Finished: 2 of 3 expected" in card.text()
    outcomes = [o.title for o in bot.catalog.dialogs["outsource_check"].outcomes]
    assert not any(title in card.text() for title in outcomes), "answers stay hidden before the reveal"
    assert posted_in(bot, GENERAL, "Team results") == []

    await take_and_finish(bot, bob, 2)  # the third result reveals the round on its own (expected 3)
    (summary,) = posted_in(bot, GENERAL, "Team results")
    assert summary.embeds[0]["title"] == "Team results: Q3 socials \\*\\*now\\*\\*"
    members = field(summary, "Each member's recommendation")
    assert [line.split(":")[0] for line in members.splitlines()] == ["• lead", "• ann", "• bob"]
    assert "█" in field(summary, "Where the team stands")
    assert "finished members got it" in field(summary, "Team recommendation")
    assert summary.embeds[0]["footer"]["text"].startswith("Rule: majority")
    assert "Revealed" in card_of(bot).text() and card_of(bot).components == []

    # a thread on the comparison holds the discussion prompts, and the core knows where it is
    (thread_call,) = fake.named("POST", rf"/channels/{GENERAL}/messages/{summary.id}/threads")
    assert thread_call.body["name"] == "Discussion: Q3 socials **now**" and thread_call.body["auto_archive_duration"] == 10080
    prompts = fake.in_channel(summary.id)
    assert prompts and all(p.content.startswith("**Discussion ") and "The team answered:" in p.content for p in prompts)
    assert "*Why the article asks:*" in prompts[0].content
    stored = await bot.store.load_round(round_id)
    assert stored is not None and stored.status == "revealed" and stored.thread == f"{summary.id}:{summary.id}"

    # positions on the proposed decision: Agree, Abstain, Object, each through a modal with an optional reason
    assert labels(summary) == ["Agree (0)", "Abstain (0)", "Object (0)", "Close and record the decision", "Export as Markdown", "Take a second look"]
    assert summary.custom_ids()[:3] == [f"oc:rp:{round_id}:agree", f"oc:rp:{round_id}:abstain", f"oc:rp:{round_id}:object"]
    assert "The proposed decision is the team's recommendation" in summary.text()
    modal = await take_position(ann, summary, "Object (0)", "<@&123> @everyone we have **no** budget")
    assert modal["custom_id"] == f"oc:rpm:{round_id}:object"
    (field_,) = [c for row in modal["components"] for c in row["components"]]
    assert field_["custom_id"] == "answer" and field_["required"] is False and field_["max_length"] == 300
    assert labels(summary)[:3] == ["Agree (0)", "Abstain (0)", "Object (1)"]
    await take_position(ann, summary, "Agree (0)", "")  # changed her mind, without a reason
    await take_position(bob, summary, "Object (0)", "We'd lose our voice <@3000>")
    assert replies_to(bob)[-1] == words.POSITION_TAKEN.format(stance="object")
    assert labels(summary)[:3] == ["Agree (1)", "Abstain (0)", "Object (1)"]
    stored = await bot.store.load_round(round_id)
    assert [(m.position, m.reason) for m in stored.members] == [("", ""), ("agree", ""), ("object", "We'd lose our voice <@3000>")]
    snapshot = Message(**{**summary.__dict__, "components": json.loads(json.dumps(summary.components))})

    # only the starter (or an admin) closes; with the quorum (3) not met, a modal asks the starter why
    await ann.click("Close and record the decision", summary, guild=True)
    assert any("Only the person who started" in text for text in replies_to(ann))
    await lead.click("Close and record the decision", summary, guild=True)
    assert posted_in(bot, summary.id, "Not carried: ") == []
    close = last_modal(lead)
    assert close["custom_id"] == f"oc:rcm:{round_id}"
    (reason_field,) = [c for row in close["components"] for c in row["components"]]
    assert reason_field["required"] is True and "Only 2 of the 3 positions" in reason_field["placeholder"]
    await lead.submit(close["custom_id"], "Board meets <@&123> tomorrow", summary)
    # one agreed, one objected: a tie does not carry the proposal, and the record says so rather than "Decision:"
    (record,) = posted_in(bot, summary.id, "Not carried: ")
    shown = record.text()
    for part in ("Positions", "Objections", "Why it was proposed", "Next steps", "ann", "bob", "lead", "1 agreed and 1 objected"):
        assert part in shown
    assert "Review on" not in shown, "nothing was decided, so nothing is reviewed"
    assert field(record, "Positions") == "• ann agrees\n• bob objects: We'd lose our voice <@\u200b3000>"
    assert field(record, "Objections") == "• bob: We'd lose our voice <@\u200b3000>"
    assert field(record, "Closed before the quorum") == "Closed with 2 of 3 positions: Board meets <@&\u200b123> tomorrow"
    assert labels(record) == ["Export as Markdown"]
    assert "Closed" in card_of(bot).text()
    assert labels(summary) == ["Export as Markdown"], "the comparison loses its position buttons once closed"

    # a closed round takes no positions (from a client still showing the buttons), and says so
    await take_position(bob, snapshot, "Agree (1)", "")
    assert any("closed" in text for text in replies_to(bob))
    assert [(m.position, m.reason) for m in (await bot.store.load_round(round_id)).members][2] == ("object", "We'd lose our voice <@3000>")

    # the record exports as Markdown, from its button and from the command
    await ann.click("Export as Markdown", record, guild=True)
    (exported,) = replies_to(ann)
    assert exported.startswith("```markdown\n# Not carried: ") and "## Positions" in exported and exported.endswith("```")
    assert "## Objections\n- bob: We'd lose our voice <@3000>" in exported  # a code block: shown as typed, never a mention
    assert "Closed with 2 of 3 positions: Board meets <@&123> tomorrow" in exported
    await lead.slash("team-export", guild=True)
    assert replies_to(lead) == [exported]

    bodies = message_bodies(fake.calls)
    # nothing pings, but a discussion prompt may ping the members it asks to say why, and only them
    prompts = [b for b in bodies if str(b.get("content", "")).startswith("**Discussion")]
    asked = [b for b in prompts if "At one end" in b["content"]]
    assert asked, "the prompts name the members at each end of a split"
    for body in asked:
        pinged = body["allowed_mentions"]["users"]
        assert body["allowed_mentions"]["parse"] == [] and {str(u) for u in pinged} <= {lead.id, ann.id, bob.id}
        assert all(f"<@{user}>" in body["content"] for user in pinged)
    others = [b for b in bodies if b not in asked]
    assert all(body.get("allowed_mentions") == NO_PINGS for body in others), [b for b in others if b.get("allowed_mentions") != NO_PINGS][:1]


async def test_only_members_of_the_channel_can_join(bot: Harness) -> None:
    lead, eve, newcomer = bot.user("3000", "lead"), bot.user("3005", "eve"), bot.user("3006", "new")
    await lead.slash("team", guild=True)
    card = card_of(bot)
    await eve.click("Take the check", card, guild=True, permissions=MEMBER & ~VIEW_CHANNEL)  # cannot see the channel
    assert replies_to(eve) == ["Only members of this channel can join its round."]
    await newcomer.click("Take the check", card, guild=True, pending=True)  # has not passed membership screening
    assert replies_to(newcomer) == ["Only members of this channel can join its round."]
    assert bot.fake.named("POST", "/users/@me/channels") == [], "no DM was opened for either"
    assert (await bot.store.load_round(round_id_of(card))).members == ()
    assert "nobody yet" in card_of(bot).text()


async def test_refusals_and_an_admin_who_did_not_start_the_round(bot: Harness) -> None:
    lead, ann, boss, eve = bot.user("3000", "lead"), bot.user("3001", "ann"), bot.user("3003", "boss"), bot.user("3005", "eve")
    bot.add_guild([text_channel(GENERAL, "general")], [lead.id, ann.id])
    await lead.slash("team", guild=True, topic="socials", anonymous=True)
    round_id = round_id_of(card_of(bot))

    await lead.click("Reveal", card_of(bot), guild=True)
    assert replies_to(lead) == ["Nobody has finished the check yet; there is nothing to reveal."]
    await take_and_finish(bot, ann, 0)
    assert posted_in(bot, GENERAL, "Team results") == [], "without expected or a deadline, only a reveal reveals"
    open_card = Message(**{**card_of(bot).__dict__, "components": json.loads(json.dumps(card_of(bot).components))})

    await boss.click("Reveal", card_of(bot), guild=True, permissions=ADMIN)  # Manage Server: may reveal
    (summary,) = posted_in(bot, GENERAL, "Team results")
    assert field(summary, "Each member's recommendation").startswith("• Member 1: "), "anonymous: no names"
    assert "ann" not in summary.text()

    await boss.click("Take the check", open_card, guild=True)  # a stale card: the round is revealed
    assert replies_to(boss) == ["The results are already revealed; answers can no longer change."]
    await take_position(eve, summary, "Agree (0)", "me too")
    assert replies_to(eve) == ["Only people who took part in this round can take a position."]
    await boss.click("Close and record the decision", summary, guild=True, permissions=ADMIN)
    (record,) = posted_in(bot, summary.id, "Decision: ")
    assert "No positions taken." in record.text() and "Objections" in record.text()
    assert re.search(r"Review on: \d{4}-\d{2}-\d{2}", record.text()), "no one objected: a decision, with its review date"
    assert (await bot.store.load_round(round_id)).status == "closed"
    await lead.click("Reveal", open_card, guild=True)
    assert replies_to(lead) == ["This round is closed."]


async def test_a_reveal_from_a_process_without_the_server_cached_opens_the_thread_over_rest(bot: Harness) -> None:
    """A member's DM turn lands on shard 0; the server may belong to another process's shards."""
    lead, ann = bot.user("3000", "lead"), bot.user("3001", "ann")
    await lead.slash("team", guild=True, expected=2)  # no add_guild: this process has no server in its cache
    round_id = round_id_of(card_of(bot))
    await take_and_finish(bot, lead, 0)
    await take_and_finish(bot, ann, 1)
    (summary,) = posted_in(bot, GENERAL, "Team results")
    assert bot.fake.threads[summary.id]["parent"] == GENERAL
    assert all(p.content.startswith("**Discussion ") for p in bot.fake.in_channel(summary.id))
    assert (await bot.store.load_round(round_id)).thread == f"{summary.id}:{summary.id}"


async def test_where_no_thread_can_be_opened_the_prompts_go_in_the_channel(bot: Harness) -> None:
    lead, ann = bot.user("3000", "lead"), bot.user("3001", "ann")
    bot.add_guild([text_channel(GENERAL, "general")], [lead.id, ann.id])
    await lead.slash("team", guild=True, expected=2)
    bot.fake.script("POST", rf"/channels/{GENERAL}/messages/\d+/threads", 403, {"message": "Missing Permissions", "code": 50013})
    await take_and_finish(bot, lead, 0)
    await take_and_finish(bot, ann, 1)
    (summary,) = posted_in(bot, GENERAL, "Team results")
    assert bot.fake.threads == {}
    assert any(m.content.startswith("**Discussion 1") for m in bot.fake.in_channel(GENERAL))
    await lead.click("Close and record the decision", summary, guild=True)
    assert posted_in(bot, GENERAL, "Decision: ")


async def test_team_in_a_dm_and_a_bad_deadline_are_explained(bot: Harness) -> None:
    ann = bot.user()
    await ann.slash("team")
    assert replies_to(ann) == [words.TEAM_IN_DM]
    await ann.slash("team", guild=True, deadline="soon")
    assert replies_to(ann) == [words.BAD_DEADLINE]
    assert bot.fake.named("POST", rf"/channels/{GENERAL}/messages") == []
    await ann.slash("team-export", guild=True)
    assert replies_to(ann) == [words.NO_ROUND_HERE]


async def test_a_deadline_shows_on_the_card(bot: Harness) -> None:
    lead = bot.user()
    await lead.slash("team", guild=True, deadline="2h")
    round_ = (await bot.store.rounds_of(f"discord:{lead.id}"))[0]
    assert round_.deadline > round_.created_at
    assert f"<t:{int(round_.deadline)}:R>" in card_of(bot).text()


def test_deadlines_are_minutes_or_slack_style() -> None:
    assert parse_deadline("30", now=1000.0) == 2800.0
    assert parse_deadline("2h", now=0.0) == 7200.0 and parse_deadline("1d", now=0.0) == 86400.0
    assert parse_deadline("deadline:30m", now=0.0) == 1800.0
    assert parse_deadline(None, now=5.0) == 0.0 and parse_deadline(" ", now=5.0) == 0.0
    for bad in ("0", "soon", "2w", "-5", "99999"):
        with pytest.raises(ValueError):
            parse_deadline(bad, now=0.0)


def test_a_long_record_is_attached_as_a_file() -> None:
    short = DecisionRecord("r" * 12, "", "2024-01-01", ("a",), "D", (), (), (), "", markdown="# Decision: D\n")
    shown = render.rendered(layout.decision(replace(short, exported=True)))
    assert shown.file() is None and shown.content == "```markdown\n# Decision: D\n```"
    sneaky = DecisionRecord("r" * 12, "```@everyone", "2024-01-01", ("a",), "D", (), (), (), "", markdown="# x ```@everyone\n")
    assert render.rendered(layout.decision(replace(sneaky, exported=True))).content.count("```") == 2, "a typed fence cannot end the block early"
    long = DecisionRecord("r" * 12, "", "2024-01-01", ("a",), "D", (), (), (), "", markdown="x" * 3000)
    shown = render.rendered(layout.decision(replace(long, exported=True)))
    file = shown.file()
    assert file is not None and file.filename == f"decision-{'r' * 12}.md" and len(shown.content) < 100


def test_mentions_typed_into_a_topic_draw_no_badges_anywhere() -> None:
    """allowed_mentions stops the ping; embeds, titles and thread names must not draw badges either."""
    from bot.conversation.replies import Position, TeamSummary

    typed = "@everyone <@&123> <@777> <#555>"
    record = DecisionRecord("r" * 12, typed, "2024-01-01", (typed,), f"Go {typed}", (Position(typed, "object", typed),), (typed,),
                            (typed,), "", markdown="# x\n", closed_short=f"Closed with 1 of 2 positions: {typed}")
    embed = render.rendered(layout.decision(record)).embed
    shown = json.dumps(embed.to_dict(), ensure_ascii=False)
    raw = re.compile(r"<(@[!&]?|#)\d+>|@(everyone|here)")
    assert not raw.search(shown), shown
    summary = TeamSummary("r" * 12, 1, typed, (), (), (), "o", "O", (1, 1), "strong", "rule")
    assert not raw.search(render.thread_name(summary))


def test_huge_rounds_stay_inside_discords_limits() -> None:
    from bot.conversation.replies import Disagreement, MemberResult, Position, Prompt, RoundCard, Spread, TeamSummary
    from tests.discord.test_limits import check_limits

    rid, long = "R" * 16, "N" * 300
    names = tuple(f"{i} **{long}**" for i in range(60))
    card = RoundCard(rid, 9, "T" * 200, long, "open", names, names[:30], expected=999, deadline=2e9, anonymous=True, quorum=999)
    check_limits(render.rendered(layout.round_card(card)))
    summary = TeamSummary(
        rid, 9, "T" * 200, tuple(MemberResult(n, long) for n in names),
        tuple(Spread(long, -10, 0.5, 10, -20, 20) for _ in range(12)),
        tuple(Disagreement(long * 3, tuple((long, 5) for _ in range(10)), long * 4, long) for _ in range(3)),
        "o", long, (30, 60), "weak", long, positions=(("agree", 999), ("abstain", 999), ("object", 999)), quorum=999,
    )
    rendered = render.rendered(layout.team_summary(summary), shown=draw(summary))
    check_limits(rendered)
    assert all(i["label"].endswith("(999)") for i in rendered.view.to_components()[0]["components"][:3])
    assert all(len(render.rendered(layout.prompt(Prompt(rid, n, d, 'T1'))).content) <= 2000 for n, d in enumerate(summary.disagreements, 1))
    assert len(render.thread_name(summary)) <= 100
    record = DecisionRecord(rid, "T" * 200, "2024-01-01", names, long, tuple(Position(n, "object", long) for n in names), (long,) * 20,
                            (long,) * 20, "agency_vetting", markdown="x", closed_short=long * 4)
    check_limits(render.rendered(layout.decision(record)))


async def test_with_dms_closed_the_round_check_runs_in_ephemeral_replies(bot: Harness) -> None:
    lead = bot.user("3000", "lead")
    await lead.slash("team", guild=True, expected=1)
    bot.fake.closed_dms.add(lead.id)
    await lead.click("Take the check", card_of(bot), guild=True)
    thinking = bot.fake.messages[bot.fake.originals[lead.last_token]]
    assert thinking.flags & 64 and thinking.content == words.DMS_CLOSED and "question 1 of about" in thinking.text()
    for _ in range(40):
        if is_result(thinking):
            break
        await answer(lead, thinking, 0)
    assert is_result(thinking), "each answer edits the same ephemeral message"
    (summary,) = posted_in(bot, GENERAL, "Team results")  # expected 1: the result revealed the round
    assert "• lead: " in field(summary, "Each member's recommendation")


async def test_forged_round_ids_are_refused(bot: Harness) -> None:
    lead = bot.user("3000", "lead")
    await lead.slash("team", guild=True)
    card = card_of(bot)
    round_id = round_id_of(card)
    for forged in (f"oc:rr:{round_id}x" * 3, "oc:rt:../../etc", f"oc:rp:{round_id}:veto", f"oc:rp:{round_id}:agree", f"oc:rc:{round_id}"):
        await lead.click("", card, custom_id=forged, guild=True)  # does not fit a template, or is not on the card
        (refusal,) = bot.fake.named("POST", rf"/interactions/\d+/{lead.last_token}/callback")
        assert refusal.body["data"]["content"] == words.FORGED and refusal.body["data"]["flags"] == 64
    doctored = Message(**{**card.__dict__, "components": [{"type": 1, "components": [
        {"type": 2, "style": 2, "label": "x", "custom_id": f"oc:rp:{round_id}:object"}]}]})
    await lead.click("x", doctored, guild=True)  # fits, and is on the (doctored) message: its modal opens, the core refuses it
    await lead.submit(last_modal(lead)["custom_id"], "early", doctored)
    assert replies_to(lead) == ["Positions open once the results are revealed."]
    for forged in (f"oc:rpm:{round_id}:veto", f"oc:rcm:{round_id}x" * 2, "oc:rpm:../x:agree"):  # a modal of no form we sent
        await lead.submit(forged, "x", doctored)
        (refusal,) = bot.fake.named("POST", rf"/interactions/\d+/{lead.last_token}/callback")
        assert refusal.body["data"]["content"] == words.FORGED
    assert (await bot.store.load_round(round_id)).members == ()


async def test_a_second_look_in_the_dm_updates_the_comparison(bot: Harness) -> None:
    lead, ann, bob = bot.user("3000", "lead"), bot.user("3001", "ann"), bot.user("3002", "bob")
    bot.add_guild([text_channel(GENERAL, "general")], [lead.id, ann.id, bob.id])
    await lead.slash("team", guild=True, topic="Second looks", expected=3)
    round_id = round_id_of(card_of(bot))
    await take_and_finish(bot, lead, 0)
    await take_and_finish(bot, ann, 0)
    await take_and_finish(bot, bob, 1)
    (summary,) = posted_in(bot, GENERAL, "Team results")
    assert "Take a second look" in labels(summary) and f"oc:rl:{round_id}" in summary.custom_ids()
    # someone who took no check is refused, privately
    outsider = bot.user("3009", "cy")
    await outsider.click("Take a second look", summary, guild=True)
    assert any("finished their check" in text for text in replies_to(outsider))
    # bob gets the split questions in his DM, one after the other, as ordinary questions
    await bob.click("Take a second look", summary, guild=True)
    (sent,) = replies_to(bob)
    assert sent.startswith("I've sent you a DM with your check:")
    assert "A second look" in bob.living().text()
    for _ in range(6):
        if is_result(bob.living()):
            break
        before = bob.living().custom_ids()
        await answer(bob, bob.living(), 0)
        if bob.living().custom_ids() == before:  # that change would reroute the check: keep the first answer
            await answer(bob, bob.living(), 1)
    assert is_result(bob.living())
    # the comparison changes where it is, and says what moved and the recommendation then and now
    (summary,) = posted_in(bot, GENERAL, "Team results")
    assert "Team recommendation at the reveal" in field(summary, "What moved in second looks")
    stored = await bot.store.load_round(round_id)
    assert stored is not None and stored.members[2].first_outcome and stored.members[2].looked_again


async def test_the_comparison_and_a_result_carry_their_picture_in_the_embed(bot: Harness) -> None:
    """Discord's way: the PNG attached to the message, the embed's image naming it, alt text as the
    file's description; the text fields stay for screen readers."""
    from io import BytesIO

    from PIL import Image

    lead, ann = bot.user("3000", "lead"), bot.user("3001", "ann")
    bot.add_guild([text_channel(GENERAL, "general")], [lead.id, ann.id])
    await lead.slash("team", guild=True, topic="Pictures", expected=2)
    result = await take_and_finish(bot, lead, 0)
    assert result.embeds[0]["image"]["url"] == "attachment://your-result.png"
    assert Image.open(BytesIO(result.files["your-result.png"])).format == "PNG"
    await take_and_finish(bot, ann, 1)
    (summary,) = posted_in(bot, GENERAL, "Team results")
    assert summary.embeds[0]["image"]["url"] == "attachment://team-comparison.png"
    image = Image.open(BytesIO(summary.files["team-comparison.png"]))
    assert image.format == "PNG" and image.width == 800
    posted = next(c for c in bot.fake.named("POST", rf"/channels/{GENERAL}/messages") if "_files" in c.body)
    assert "Where the team stands" in str(posted.body["embeds"][0]["fields"]), "the text version is kept"
    # a position redraws the comparison with its picture still there
    await take_position(lead, summary, "Agree (0)", "")
    assert "team-comparison.png" in summary.files and summary.embeds[0]["image"]["url"] == "attachment://team-comparison.png"


async def test_without_attach_files_the_comparison_is_posted_with_its_text_only(bot: Harness) -> None:
    lead, ann = bot.user("3000", "lead"), bot.user("3001", "ann")
    bot.add_guild([text_channel(GENERAL, "general")], [lead.id, ann.id])
    await lead.slash("team", guild=True, expected=2)
    await take_and_finish(bot, lead, 0)
    bot.fake.script("POST", rf"/channels/{GENERAL}/messages", 403, {"message": "Missing Permissions", "code": 50013})
    await take_and_finish(bot, ann, 1)
    (summary,) = posted_in(bot, GENERAL, "Team results")
    assert not summary.files and "image" not in summary.embeds[0]
    assert "Where the team stands" in summary.text() and summary.custom_ids(), "the words and the buttons are all there"
