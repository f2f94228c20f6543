"""Whole conversations through real HTTP: what a user does, and what Slack received."""

from __future__ import annotations

import json

from tests.slack.conftest import SlackUser


def answer_buttons(message) -> list[dict]:
    return [e for b in message.blocks if b.get("block_id") == "answer" for e in b["elements"]]


async def answer_current(user: SlackUser, text_answer: str = "Buzz Social") -> None:
    """Answer whatever the living message asks, the way a person would, and wait for the update."""
    message = user.living()
    if any(b.get("block_id") == "picks" for b in message.blocks):
        picker = next(e for b in message.blocks if b.get("block_id") == "picks" for e in b["elements"])
        await user.tick([picker["options"][0]["text"]["text"]], message)
    elif "Type your answer" in user.labels(message):
        await submit_text(user, message, text_answer)
    else:
        await user.click(answer_buttons(message)[0]["text"]["text"], message)
    await user.until_changed(message)


async def submit_text(user: SlackUser, message, text: str) -> tuple[int, str]:
    fake = user.h.fake
    opened = len(fake.named("views.open"))
    await user.click("Type your answer", message)
    await fake.wait_for(lambda: len(fake.named("views.open")) > opened)
    view = json.loads(fake.named("views.open")[-1]["body"]["view"]) if isinstance(fake.named("views.open")[-1]["body"]["view"], str) else fake.named("views.open")[-1]["body"]["view"]
    return await user.submit_view(view, {"answer": {"text": {"type": "plain_text_input", "value": text}}})


def is_result(message) -> bool:
    return any(b["type"] == "header" and b["text"]["text"].startswith("Recommendation:") for b in message.blocks)


async def test_a_whole_check_from_the_command_to_a_shared_result(slack) -> None:
    ann = slack.user("U0ANN")
    status, body = await ann.command("", channel="C0GENERAL")
    assert status == 200 and body == ""
    fake = slack.fake
    await fake.wait_for(lambda: any("sent you a DM" in e.get("text", "") for e in fake.ephemerals))
    # the check lives in one DM message, posted to this user (Slack opens the DM): no conversations.open first
    assert fake.dm_posts("U0ANN")[0]["body"]["channel"] == "U0ANN" and not fake.named("conversations.open")
    first = ann.living()
    assert first.channel == ann.dm
    assert "question 1 of about" in json.dumps(first.blocks)
    first_text = json.dumps(first.blocks, ensure_ascii=False)
    assert "Why it matters" in first_text and "_d221b9c26be84fb1" not in first_text
    assert "responsible for, well, everything" in first_text  # the dialog's description opens the check
    for _ in range(40):
        if is_result(ann.living()):
            break
        await answer_current(ann)
    card = ann.living()
    assert is_result(card)
    dm_posts = fake.dm_posts("U0ANN")
    assert len(dm_posts) == 1, "one living message per conversation, updated in place"
    assert fake.named("response_url"), "clicks update in place through response_url"
    text = json.dumps(card.blocks, ensure_ascii=False)
    for part in ("*Why this fits your answers*", "*Your answers at a glance*", "*Next steps*", "Based on: Should", "█"):
        assert part in text
    assert ".txt" not in text and "outsource-check chat" not in text  # articles, not files; Slack's own command
    assert ann.labels(card) == ["Share to a channel", "Vet an agency", "Back", "Start over"]

    await ann.click("Share to a channel", card)
    await fake.wait_for(lambda: fake.named("views.open"))
    view = fake.named("views.open")[-1]["body"]["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "oc.share"
    status, _ = await ann.submit_view(
        view, {"channel": {"channel": {"type": "conversations_select", "selected_conversation": "C0TEAM"}}}
    )
    assert status == 200
    await fake.wait_for(lambda: any(c["body"].get("channel") == "C0TEAM" for c in fake.named("chat.postMessage")))
    shared = fake.latest_in("C0TEAM")
    assert shared.blocks[0]["type"] == "header" and shared.blocks[1]["text"]["text"].startswith("<@U0ANN> ran *Should")
    assert not [e for b in shared.blocks for e in b.get("elements", []) if e.get("type") == "button"], "no live buttons in the channel"
    await fake.wait_for(lambda: any("Shared your result in <#C0TEAM>" in c["body"].get("text", "") for c in fake.named("chat.postMessage")))


async def test_typed_in_the_bots_dm_it_starts_right_there_without_an_ephemeral(slack) -> None:
    bob = slack.user("U0BOB")
    await bob.command("", channel=bob.dm)
    fake = slack.fake
    assert not fake.ephemerals
    assert bob.living().channel == bob.dm


async def test_answered_questions_leave_no_clickable_buttons(slack) -> None:
    ann = slack.user("U0ANN")
    await ann.command()
    await slack.fake.wait_for(lambda: any("sent you a DM" in e.get("text", "") for e in slack.fake.ephemerals))  # the check is on screen
    before = ann.living()
    await answer_current(ann)
    after = ann.living()
    assert (before.channel, before.ts) == (after.channel, after.ts)
    old_values = {e["value"] for e in answer_buttons(before)}
    assert old_values.isdisjoint({e.get("value") for b in after.blocks for e in b.get("elements", []) if "value" in e})


async def test_ticking_a_box_is_acknowledged_and_changes_nothing_until_next(slack) -> None:
    """A tick is a click bolt hands the same listener as every button: acknowledged, and nothing else."""
    ann = slack.user("U0ANN")
    await ann.command()
    await slack.fake.wait_for(lambda: any("sent you a DM" in e.get("text", "") for e in slack.fake.ephemerals))  # the check is on screen
    message = ann.living()
    calls = len(slack.fake.calls)
    box = {"action_id": "oc.pick", "value": "", "text": {"type": "plain_text", "text": ""}}
    status, body = await ann.h.interaction(ann.block_actions(message, {"block_id": "picks"}, box))
    assert (status, body) == (200, "")
    await answer_current(ann)  # the next click's turn ends after the tick's would have
    assert "question 2 of about" in json.dumps(ann.living().blocks)
    after = slack.fake.calls[calls:]
    assert [c["method"] for c in after] == ["response_url"], after  # the answer's update only: the tick said nothing


async def test_back_and_start_over(slack) -> None:
    ann = slack.user("U0ANN")
    await ann.command()
    await slack.fake.wait_for(lambda: any("sent you a DM" in e.get("text", "") for e in slack.fake.ephemerals))  # the check is on screen
    await answer_current(ann)
    await answer_current(ann)
    assert "question 3 of about" in json.dumps(ann.living().blocks)
    message = ann.living()
    await ann.click("Back", message)
    message = await ann.until_changed(message)
    assert "question 2 of about" in json.dumps(message.blocks)
    await ann.click("Start over", message)
    message = await ann.until_changed(message)
    assert "question 1 of about" in json.dumps(message.blocks)
    assert "Back" not in ann.labels(message)


async def test_the_agency_subcommand_prefills_the_name_and_escapes_it(slack) -> None:
    ann = slack.user("U0ANN")
    await ann.command("agency <!channel> Buzz & <@U0BOB>")
    fake = slack.fake
    await fake.wait_for(lambda: any("sent you a DM" in e.get("text", "") for e in fake.ephemerals))
    update = fake.dm_posts("U0ANN")[-1]["body"]
    assert "<!channel>" not in update["text"] and "&lt;!channel&gt;" in update["text"]
    assert "<@U0BOB>" not in update["text"]
    blocks = json.dumps(update["blocks"])
    assert '"type": "mrkdwn"' not in blocks or "<!channel>" not in blocks.split('"mrkdwn"')[1]
    question = next(b for b in update["blocks"] if b.get("block_id") == "question")
    assert question["text"]["type"] == "plain_text" and "<!channel> Buzz & <@U0BOB>" in question["text"]["text"]


async def test_text_answers_by_modal_and_by_plain_dm_reply(slack) -> None:
    ann = slack.user("U0ANN")
    await ann.command("agency")
    fake = slack.fake
    await fake.wait_for(lambda: any("Name the agency" in e.get("text", "") for e in fake.ephemerals))
    # start the agency check from the Home tab, whose first question is typed
    await slack.event({"type": "app_home_opened", "user": "U0ANN", "channel": ann.dm, "tab": "home", "event_ts": "1.1"})
    await fake.wait_for(lambda: fake.named("views.publish"))
    home = fake.named("views.publish")[-1]["body"]
    view = json.loads(home["view"]) if isinstance(home["view"], str) else home["view"]
    block = next(b for b in view["blocks"] if b.get("block_id") == "home")
    vet = next(e for e in block["elements"] if e["text"]["text"] == "Vet an agency")
    payload = ann.block_actions(ann.living() if fake.messages else _blank(ann), block, vet)
    payload.pop("container")
    payload["container"] = {"type": "view", "view_id": "V1"}
    payload.pop("response_url")
    await slack.interaction(payload)
    message = ann.living()
    assert "Type your answer" in ann.labels(message)
    # too long for the modal: the modal shows the error and nothing changes
    status, body = await submit_text(ann, message, "x" * 81)
    assert status == 200 and json.loads(body)["response_action"] == "errors"
    assert ann.living() == message
    # a plain DM reply answers it instead
    await ann.type_in_dm("Buzz Social")
    after = await ann.until_changed(message)
    assert "Buzz Social" in json.dumps(after.blocks)


def _blank(user):
    from tests.slack.fake_slack import Message

    return Message(user.dm, "1.0", "", [])
