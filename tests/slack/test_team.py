"""A whole team round on Slack, through signed HTTP: what the channel and the DMs received."""

from __future__ import annotations

import json
import re

from tests.slack.fake_slack import Message
from tests.slack.test_conversation import answer_buttons, answer_current, is_result

CHANNEL = "C0TEAM"


def card_in(slack) -> Message:
    return next(m for (ch, _), m in sorted(slack.fake.messages.items()) if ch == CHANNEL and m.blocks and m.blocks[0]["text"]["text"].startswith("Team round"))


def summary_in(slack) -> Message:
    return next(m for (ch, _), m in slack.fake.messages.items() if ch == CHANNEL and m.blocks and m.blocks[0]["text"]["text"].startswith("Team results"))


async def finish_private_check(slack, user, pick: int = 0) -> None:
    await user.h.fake.wait_for(lambda: user.dm in {ch for ch, _ in slack.fake.messages} and user.living().blocks)
    for _ in range(40):
        if is_result(user.living()):
            return
        buttons = answer_buttons(user.living())
        if pick and len(buttons) > pick:  # a member who sees it differently: the same position on every question
            message = user.living()
            await user.click(buttons[pick]["text"]["text"], message)
            await user.until_changed(message)
        else:
            await answer_current(user)
    raise AssertionError("the check did not finish")


async def take(slack, user, pick: int = 0) -> None:
    await user.click("Take the check", card_in(slack))
    pictures = len(slack.fake.named("files.completeUploadExternal"))
    await finish_private_check(slack, user, pick)
    # the result's picture is the turn's last call: by then the round's card (and any reveal) is out too
    await slack.fake.wait_for(lambda: len(slack.fake.named("files.completeUploadExternal")) > pictures)


async def test_a_team_round_from_command_to_decision_record(slack) -> None:
    lead, ann, bob = slack.user("U0LEAD"), slack.user("U0ANN"), slack.user("U0BOB")
    fake = slack.fake
    await lead.command("team Q3 socials expected:3 quorum:3", channel=CHANNEL)
    await fake.wait_for(lambda: any(ch == CHANNEL and m.blocks for (ch, _), m in fake.messages.items()))
    card = card_in(slack)
    assert card.blocks[0]["text"]["text"] == "Team round: Q3 socials"
    assert lead.labels(card) == ["Take the check", "Reveal"]

    # a reveal by someone else is refused, quietly
    await ann.click("Reveal", card)
    await fake.wait_for(lambda: any("Only the person who started" in e.get("text", "") for e in fake.ephemerals))

    for person in (lead, ann):
        await take(slack, person)
    # a round's private check offers no "Share to a channel": one member publishing early would anchor the rest
    assert "Share to a channel" not in lead.labels(lead.living()) and "Vet an agency" in lead.labels(lead.living())
    card = card_in(slack)
    assert "Finished: 2 of 3 expected" in json.dumps(card.blocks)
    assert "Recommendation" not in json.dumps(card.blocks), "answers stay hidden before the reveal"

    await take(slack, bob, pick=1)  # the third result reveals the round on its own (expected:3)
    await fake.wait_for(lambda: any(ch == CHANNEL and m.blocks and m.blocks[0]["text"]["text"].startswith("Team results") for (ch, _), m in fake.messages.items()))
    summary = summary_in(slack)
    text = json.dumps(summary.blocks, ensure_ascii=False)
    for part in ("Each member's recommendation", "u0lead", "u0ann", "u0bob", "Where the team stands", "Team recommendation", "agreement"):
        assert part in text
    # the discussion prompts went into the summary's thread (bob answered apart: there is at least one)
    await fake.wait_for(lambda: any("At one end" in c["body"].get("text", "") for c in fake.named("chat.postMessage") if c["body"].get("thread_ts") == summary.ts))
    await fake.wait_for(lambda: "Revealed" in json.dumps(card_in(slack).blocks))
    threaded = [c["body"] for c in fake.named("chat.postMessage") if c["body"].get("thread_ts") == summary.ts]
    assert all(t["text"].startswith("*Discussion") for t in threaded)
    # each prompt on a split names the members at each end, by mention, and asks them why
    named = [t["text"] for t in threaded if "At one end" in t["text"]]
    assert named and all(re.search(r"At one end (<@U0[A-Z]+>(, )?)+ \(.+\); at the other (<@U0[A-Z]+>(, )?)+ \(", t) for t in named)
    assert all("What makes you see it that way?" in t for t in named)
    assert "Revealed" in json.dumps(card_in(slack).blocks)

    # positions on the proposed decision: agree, abstain or object, each through a modal with an optional reason
    assert lead.labels(summary)[:3] == ["Agree (0)", "Abstain (0)", "Object (0)"]
    assert "The proposed decision is the team's recommendation" in text
    await take_position(slack, ann, "Object (0)", summary, "<!channel> no *budget* yet")
    summary = await ann.until_changed(summary)
    await take_position(slack, ann, "Agree (0)", summary, "")  # changed her mind, without a reason this time
    summary = await ann.until_changed(summary)
    await take_position(slack, bob, "Object (0)", summary, "We'd lose our voice <@U0LEAD>")
    summary = await bob.until_changed(summary)
    assert lead.labels(summary)[:3] == ["Agree (1)", "Abstain (0)", "Object (1)"]
    assert any(e.get("text", "").startswith("Your position: object.") for e in fake.ephemerals)
    stored = await slack.service.store.rounds_of(user_key("U0ANN"))
    assert [(m.position, m.reason) for m in stored[0].members] == [("", ""), ("agree", ""), ("object", "We'd lose our voice <@U0LEAD>")]

    # only the starter closes; the quorum (3) is not met, so the starter is asked why, in a modal
    await ann.click("Close and record the decision", summary)
    await fake.wait_for(lambda: sum("Only the person who started" in e.get("text", "") for e in fake.ephemerals) == 2)
    opened = len(fake.named("views.open"))
    await lead.click("Close and record the decision", summary)
    await fake.wait_for(lambda: len(fake.named("views.open")) > opened)
    view = opened_view(fake)
    assert view["callback_id"] == "oc.round.close" and "Only 2 of the 3 positions" in json.dumps(view)
    assert not any(c["body"].get("text", "").startswith("Not carried:") for c in fake.named("chat.postMessage"))
    await lead.submit_view(view, {"reason": {"text": {"type": "plain_text_input", "value": "Board meets <!here> tomorrow"}}})
    # one agreed, one objected: a tie does not carry the proposal, and the record says so rather than "Decision:"
    await fake.wait_for(lambda: any(c["body"].get("text", "").startswith("Not carried:") for c in fake.named("chat.postMessage")))
    record = next(c["body"] for c in fake.named("chat.postMessage") if c["body"].get("text", "").startswith("Not carried:"))
    assert record["thread_ts"] == summary.ts and record["reply_broadcast"] in (True, "true", "1")
    blocks = record["blocks"] if isinstance(record["blocks"], list) else json.loads(record["blocks"])
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "Positions" in shown and "Objections" in shown and "Why it was proposed" in shown and "Next steps" in shown and "u0ann" in shown
    assert "1 agreed and 1 objected" in shown and "Ask each person who objected" in shown
    assert "Review on" not in shown, "nothing was decided, so nothing is reviewed"
    assert "Closed with 2 of 3 positions: Board meets &lt;!here&gt; tomorrow" in shown  # escaped: shown, never parsed
    section = {b.get("block_id"): b["text"]["text"] for b in blocks if "text" in b}
    assert section["positions"] == "*Positions*\n• u0ann agrees\n• u0bob objects: We'd lose our voice &lt;@U0LEAD&gt;"
    assert section["objections"] == "*Objections*\n• u0bob: We'd lose our voice &lt;@U0LEAD&gt;"
    await fake.wait_for(lambda: "Closed" in json.dumps(card_in(slack).blocks))
    # the comparison keeps its counts but no position or Close button: only the export is left to press
    await fake.wait_for(lambda: "Closed. Positions: Agree 1, Abstain 0, Object 1. Not carried" in json.dumps(summary_in(slack).blocks))
    assert lead.labels(summary_in(slack)) == ["Export as Markdown"]

    # a closed round takes no positions (a stale button's form says so); the record exports as Markdown
    status, answer = await take_position(slack, bob, "Agree (1)", summary, "")
    assert status == 200 and json.loads(answer)["response_action"] == "errors" and "closed" in json.loads(answer)["errors"]["reason"]
    await lead.command("team export", channel=CHANNEL)
    await fake.wait_for(lambda: any("# Not carried:" in e.get("text", "") for e in fake.ephemerals))
    exported = next(e["text"] for e in fake.ephemerals if "# Not carried:" in e.get("text", ""))
    assert "## Objections\n- u0bob: We'd lose our voice &lt;@U0LEAD&gt;" in exported
    assert "Closed with 2 of 3 positions: Board meets &lt;!here&gt; tomorrow" in exported


def user_key(user_id: str) -> str:
    from tests.slack.conftest import TEAM

    return f"slack:{TEAM}:{user_id}"


def opened_view(fake) -> dict:
    view = fake.named("views.open")[-1]["body"]["view"]
    return json.loads(view) if isinstance(view, str) else view


async def take_position(slack, user, label: str, summary: Message, reason: str) -> tuple[int, str]:
    """Press Agree, Abstain or Object, and submit the modal it opens (with a reason, or none)."""
    fake = slack.fake
    opened = len(fake.named("views.open"))
    await user.click(label, summary)
    await fake.wait_for(lambda: len(fake.named("views.open")) > opened)
    view = opened_view(fake)
    assert view["callback_id"] == "oc.round.position"
    field = view["blocks"][1]
    assert field["optional"] is True and field["element"]["type"] == "plain_text_input"
    return await user.submit_view(view, {"reason": {"text": {"type": "plain_text_input", "value": reason or None}}})


async def test_take_the_check_on_a_closed_round_opens_no_dm(slack) -> None:
    lead, ann = slack.user("U0LEAD"), slack.user("U0ANN")
    fake = slack.fake
    await lead.command("team Closing soon", channel=CHANNEL)
    await fake.wait_for(lambda: any(ch == CHANNEL and m.blocks for (ch, _), m in fake.messages.items()))
    card = card_in(slack)
    await take(slack, lead)
    await lead.click("Reveal", card_in(slack))
    await fake.wait_for(lambda: any(ch == CHANNEL and m.blocks and m.blocks[0]["text"]["text"].startswith("Team results") for (ch, _), m in fake.messages.items()))
    await lead.click("Close and record the decision", summary_in(slack))
    await fake.wait_for(lambda: "Closed" in json.dumps(card_in(slack).blocks))
    # no one objected: the proposal stands, and the record has its review date
    await fake.wait_for(lambda: any(c["body"].get("text", "").startswith("Decision:") for c in fake.named("chat.postMessage")))
    record = next(c["body"] for c in fake.named("chat.postMessage") if c["body"].get("text", "").startswith("Decision:"))
    assert re.search(r"Review on: \d{4}-\d{2}-\d{2}", json.dumps(record["blocks"])), "a decision record has a review date"
    opened, said = len(fake.dm_posts(ann.id)), len(fake.ephemerals)
    await ann.click("Take the check", card)  # the card as ann still has it, from before the close
    await fake.wait_for(lambda: any("closed" in e.get("text", "").lower() for e in fake.ephemerals[said:]))
    assert len(fake.dm_posts(ann.id)) == opened, "nothing is posted in the DM for a round that takes no answers"
    assert not any("Starting your check" in json.dumps(m.blocks or m.text) for (ch, _), m in fake.messages.items() if ch == ann.dm)


async def test_only_channel_members_can_join(slack) -> None:
    lead, eve = slack.user("U0LEAD"), slack.user("U0EVE")
    slack.fake.channel_members[CHANNEL] = ["U0LEAD"]
    await lead.command("team", channel=CHANNEL)
    await slack.fake.wait_for(lambda: any(ch == CHANNEL and m.blocks for (ch, _), m in slack.fake.messages.items()))
    await eve.click("Take the check", card_in(slack))
    await slack.fake.wait_for(lambda: any("Only members of this channel" in e.get("text", "") for e in slack.fake.ephemerals))
    assert eve.dm not in {ch for ch, _ in slack.fake.messages}


async def test_team_in_a_dm_is_explained(slack) -> None:
    ann = slack.user("U0ANN")
    await ann.command("team", channel=ann.dm)
    await slack.fake.wait_for(lambda: any("run in a channel" in e.get("text", "") for e in slack.fake.ephemerals))


def test_team_options_are_read_from_the_command() -> None:
    from bot.conversation.commands import parse_team_text

    assert parse_team_text("Q3 socials expected:4 deadline:2h quorum:3 anonymous") == ("Q3 socials", 4, True, "2h", 3)
    assert parse_team_text("") == ("", 0, False, "", 0)
    assert parse_team_text("deadline:30m")[3] == "30m"  # the core reads it, with its own clock


async def test_a_bad_deadline_is_explained(slack) -> None:
    lead = slack.user("U0LEAD")
    await lead.command("team deadline:soon", channel=CHANNEL)
    await slack.fake.wait_for(lambda: any("The deadline is minutes" in e.get("text", "") for e in slack.fake.ephemerals))
    assert not slack.fake.named("chat.postMessage")


async def test_a_workspace_admin_may_reveal_someone_elses_round(slack) -> None:
    lead, ann, boss = slack.user("U0LEAD"), slack.user("U0ANN"), slack.user("U0CAT")
    slack.fake.admins.add("U0CAT")
    await lead.command("team", channel=CHANNEL)
    await slack.fake.wait_for(lambda: any(ch == CHANNEL and m.blocks for (ch, _), m in slack.fake.messages.items()))
    await take(slack, ann)
    await boss.click("Reveal", card_in(slack))
    await slack.fake.wait_for(lambda: "Revealed" in json.dumps(card_in(slack).blocks))



def test_the_decision_record_escapes_what_people_typed() -> None:
    """Slack reads <...> in mrkdwn as a link or mention: every typed name, topic and title is escaped."""
    from dataclasses import replace

    from adapters.slack.blocks import blocks_of
    from bot.conversation.layout import decision
    from bot.conversation.replies import DecisionRecord, Position

    typed = "<!channel> <@U0BOB|bob> <https://evil.example|click>"
    record = DecisionRecord("r" * 12, typed, "2024-01-01", (typed,), typed, (Position(typed, "object", typed), Position(typed, "agree", typed)),
                            (typed,), (typed,), "", markdown=f"# Decision: {typed}\n", closed_short=f"Closed with 1 of 3 positions: {typed}")
    for block in [*blocks_of(decision(record)), *blocks_of(decision(replace(record, exported=True)))]:
        text = block.get("text") or {}
        elements = block.get("elements") or []
        for part in [text, *elements]:
            if part.get("type") == "mrkdwn":
                assert "<" not in part["text"] and ">" not in part["text"].replace("&gt;", ""), part["text"]


async def test_a_second_look_after_the_reveal_updates_the_comparison(slack) -> None:
    lead, ann, bob = slack.user("U0LEAD"), slack.user("U0ANN"), slack.user("U0BOB")
    fake = slack.fake
    await lead.command("team Second looks expected:3", channel=CHANNEL)
    await fake.wait_for(lambda: any(ch == CHANNEL and m.blocks for (ch, _), m in fake.messages.items()))
    for person in (lead, ann):
        await take(slack, person)
    await take(slack, bob, pick=1)
    await fake.wait_for(lambda: any(ch == CHANNEL and m.blocks and m.blocks[0]["text"]["text"].startswith("Team results") for (ch, _), m in fake.messages.items()))
    summary = summary_in(slack)
    assert "Take a second look" in lead.labels(summary)
    in_dm = len([m for (ch, _), m in fake.messages.items() if ch == bob.dm])
    await bob.click("Take a second look", summary)
    # only bob sees it: the split questions in his DM, a new message there, and a word where he clicked
    await fake.wait_for(lambda: len([m for (ch, _), m in fake.messages.items() if ch == bob.dm]) > in_dm)
    await fake.wait_for(lambda: any("sent you a DM" in e.get("text", "") for e in fake.ephemerals))
    question = bob.living()
    assert "A second look" in json.dumps(question.blocks)
    # its buttons are ordinary answers; each answer replaces it with the next split question
    for _ in range(4):
        if is_result(question):
            break
        refused = len(fake.ephemerals)
        if any(b.get("block_id") == "picks" for b in question.blocks):
            picker = next(e for b in question.blocks if b.get("block_id") == "picks" for e in b["elements"])
            await bob.tick([picker["options"][0]["text"]["text"]], question)
        else:
            await bob.click(answer_buttons(question)[0]["text"]["text"], question)
        key = (question.channel, question.ts)
        await fake.wait_for(lambda q=question, n=refused, k=key: fake.messages[k] != q or len(fake.ephemerals) > n)
        if fake.messages[key] == question:  # this change would reroute the check: keep the answer
            buttons = answer_buttons(question)
            await bob.click(buttons[min(1, len(buttons) - 1)]["text"]["text"], question)
        question = await bob.until_changed(question)
    assert is_result(question)
    # the comparison is updated where it is (no second comparison), and now says what moved
    await fake.wait_for(lambda: "What moved in second looks" in json.dumps(summary_in(slack).blocks))
    assert sum(1 for (ch, _), m in fake.messages.items() if ch == CHANNEL and m.blocks and m.blocks[0]["text"]["text"].startswith("Team results")) == 1
    assert "Team recommendation at the reveal" in json.dumps(summary_in(slack).blocks)
    stored = (await slack.service.store.rounds_of(user_key("U0BOB")))[0]
    assert stored.member(user_key("U0BOB")).first_outcome  # the first result stays on record
    # once closed, the comparison offers no second look
    await lead.click("Close and record the decision", summary_in(slack))
    await fake.wait_for(lambda: "Take a second look" not in lead.labels(summary_in(slack)))


async def test_the_team_and_each_result_get_their_picture_as_a_slack_file(slack) -> None:
    """The comparison's picture is uploaded into its thread, a result's into the DM: a PNG that
    decodes, with alt text for screen readers; the text version stays in the messages."""
    from io import BytesIO

    from PIL import Image

    lead, ann = slack.user("U0LEAD"), slack.user("U0ANN")
    fake = slack.fake
    await lead.command("team Pictures expected:2", channel=CHANNEL)
    await fake.wait_for(lambda: any(ch == CHANNEL and m.blocks for (ch, _), m in fake.messages.items()))
    await take(slack, lead)
    mine = fake.named("files.completeUploadExternal")[-1]["body"]
    assert mine["channel_id"] == lead.dm and not mine.get("thread_ts"), "a result's picture goes beside it, in the DM"
    await take(slack, ann, pick=1)
    summary = summary_in(slack)
    await fake.wait_for(lambda: any(c["body"].get("thread_ts") == summary.ts for c in fake.named("files.completeUploadExternal")))
    shared = next(c["body"] for c in fake.named("files.completeUploadExternal") if c["body"].get("thread_ts") == summary.ts)
    assert shared["channel_id"] == CHANNEL
    (file,) = json.loads(shared["files"]) if isinstance(shared["files"], str) else shared["files"]
    asked = next(c["body"] for c in fake.named("files.getUploadURLExternal") if c["body"].get("filename") == "team-comparison.png")
    alt = asked.get("alt_txt") or asked.get("alt_text") or ""
    assert "team median" in alt and "u0lead" in alt and "u0ann" in alt
    image = Image.open(BytesIO(fake.uploads[file["id"]]))
    assert image.format == "PNG" and image.width == 800
    assert "Where the team stands" in json.dumps(summary.blocks), "the text version is kept"


def test_buttons_carry_accessibility_labels_where_the_label_alone_says_little() -> None:
    from adapters.slack.blocks import blocks_of
    from bot.conversation.layout import question
    from bot.conversation.replies import Option, Progress, Question

    scale = Question("s" * 12, 3, "d", "Dialog", "n", "scale", "How sure are you?", (Option("1", "1"), Option("5", "5")),
                     Progress(2, 10), scale_low="not at all", scale_high="completely", can_go_back=True)
    buttons = [e for b in blocks_of(question(scale)) if b["type"] == "actions" for e in b["elements"]]
    labelled = {e["text"]["text"]: e.get("accessibility_label", "") for e in buttons}
    assert labelled["1"] == "1 of 5: not at all" and labelled["5"] == "5 of 5: completely"
    assert labelled["Back"] == "Back to the previous question" and labelled["Start over"] == "Start this check over"
