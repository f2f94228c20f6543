"""Behaviour under pressure, each case through real signed HTTP and the fake Web API."""

from __future__ import annotations

import asyncio
import json
import logging
import time

from tests.slack.conftest import SlackUser
from tests.slack.test_conversation import answer_buttons, answer_current, is_result


async def started(user: SlackUser) -> None:
    """The check is on screen and the command's "sent you a DM" reply has gone out: a fault a test
    scripts next can only meet the click it is meant for."""
    await user.command()
    fake = user.h.fake
    await fake.wait_for(lambda: any("sent you a DM" in e.get("text", "") for e in fake.ephemerals))


async def stored(slack, user: SlackUser):
    (session,) = await slack.service.store.sessions_of(f"slack:T1:{user.id}")
    return session


async def test_the_command_is_acknowledged_before_any_web_api_work(slack) -> None:
    gate = slack.fake.hold("chat.postMessage")
    ann = slack.user("U0ANN")
    status, _ = await asyncio.wait_for(ann.command(), 15)  # returns while the Web API is still held
    assert status == 200
    assert ann.dm not in {channel for channel, _ in slack.fake.messages}
    gate.set()
    await slack.fake.wait_for(lambda: any("sent you a DM" in e.get("text", "") for e in slack.fake.ephemerals))  # the check is on screen


async def test_a_click_is_acknowledged_before_the_update_is_sent(slack) -> None:
    ann = slack.user("U0ANN")
    await started(ann)
    gate = slack.fake.hold("response_url")
    message = ann.living()
    status, _ = await asyncio.wait_for(ann.click(answer_buttons(message)[0]["text"]["text"], message), 15)
    assert status == 200 and ann.living() == message
    gate.set()
    await ann.until_changed(message)


async def test_a_failed_response_url_falls_back_to_chat_update(slack) -> None:
    ann = slack.user("U0ANN")
    await started(ann)
    updates = len(slack.fake.named("chat.update"))
    slack.fake.script("response_url", status=404)
    message = ann.living()
    await ann.click(answer_buttons(message)[0]["text"]["text"], message)
    changed = await ann.until_changed(message)
    assert len(slack.fake.named("chat.update")) == updates + 1
    assert "question 2 of about" in json.dumps(changed.blocks)


async def test_a_dropped_kept_alive_connection_is_retried_once_for_the_update(slack) -> None:
    ann = slack.user("U0ANN")
    await started(ann)
    updates, posts = len(slack.fake.named("chat.update")), len(slack.fake.named("response_url"))
    slack.fake.script("response_url", status=0)  # the other end closes the connection without answering
    message = ann.living()
    await ann.click(answer_buttons(message)[0]["text"]["text"], message)
    changed = await ann.until_changed(message)
    assert "question 2 of about" in json.dumps(changed.blocks)
    assert len(slack.fake.named("response_url")) == posts + 2, "the dropped post, then the retry"
    assert len(slack.fake.named("chat.update")) == updates, "no fallback was needed"


async def test_rate_limits_are_retried_after_retry_after(slack) -> None:
    ann = slack.user("U0ANN")
    slack.fake.script("chat.postMessage", status=429, body={"ok": False, "error": "ratelimited"}, headers={"Retry-After": "0"})
    await ann.command()
    await slack.fake.wait_for(lambda: len(slack.fake.named("chat.postMessage")) == 2)
    assert "question 1 of about" in json.dumps(ann.living().blocks)


async def test_other_api_errors_get_an_apology_and_leave_the_session_sound(slack, caplog) -> None:
    ann = slack.user("U0ANN")
    await started(ann)
    before = await stored(slack, ann)
    slack.fake.script("response_url", status=500)
    slack.fake.script("chat.update", body={"ok": False, "error": "message_not_found"})
    message = ann.living()
    with caplog.at_level(logging.WARNING, "outsource_check.slack"):
        await ann.click(answer_buttons(message)[0]["text"]["text"], message)
        await slack.fake.wait_for(lambda: any("Sorry, Slack didn't accept" in e.get("text", "") for e in slack.fake.ephemerals))
    assert "message_not_found" in caplog.text
    after = await stored(slack, ann)
    assert after.version == before.version + 1 and len(after.answers) == 1  # the answer itself was kept
    # the user can carry on: resume re-renders where they are
    await ann.command("resume")
    await slack.fake.wait_for(lambda: len(slack.fake.dm_posts(ann.id)) == 2)
    await slack.fake.wait_for(lambda: "question 2 of about" in json.dumps(ann.living().blocks))


async def test_a_refused_picture_leaves_the_result_out_without_an_apology(slack, caplog) -> None:
    """A workspace that did not grant files:write still gets every word of its result, and no
    "please try again" for an update that did go through."""
    ann = slack.user("U0ANN")
    await started(ann)
    fake = slack.fake
    fake.script("files.getUploadURLExternal", body={"ok": False, "error": "missing_scope"})
    with caplog.at_level(logging.WARNING, "outsource_check.slack"):
        for _ in range(40):
            if is_result(ann.living()):
                break
            await answer_current(ann)
        await fake.wait_for(lambda: "missing_scope" in caplog.text)
    assert is_result(ann.living())
    assert "the words went out without it" in caplog.text
    assert not fake.named("files.completeUploadExternal")
    assert not any("Sorry, Slack didn't accept" in e.get("text", "") for e in fake.ephemerals)


async def test_someone_elses_click_is_refused(slack) -> None:
    ann, bob = slack.user("U0ANN"), slack.user("U0BOB")
    await started(ann)
    before = await stored(slack, ann)
    message = ann.living()
    await bob.click(answer_buttons(message)[0]["text"]["text"], message)
    await slack.fake.wait_for(lambda: any("belongs to someone else" in e.get("text", "") for e in slack.fake.ephemerals))
    assert await stored(slack, ann) == before
    assert ann.living() == message


async def test_a_double_click_changes_nothing_the_second_time(slack) -> None:
    ann = slack.user("U0ANN")
    await started(ann)
    message = ann.living()
    label = answer_buttons(message)[0]["text"]["text"]
    await ann.click(label, message)
    await ann.until_changed(message)
    after_first = await stored(slack, ann)
    await ann.click(label, message)  # the same, now stale, message again
    await slack.fake.wait_for(lambda: any("already answered" in e.get("text", "") for e in slack.fake.ephemerals))
    assert await stored(slack, ann) == after_first


async def test_forged_and_malformed_values_are_refused_and_logged(slack, caplog) -> None:
    ann = slack.user("U0ANN")
    await started(ann)
    before = await stored(slack, ann)
    message = ann.living()
    block = next(b for b in message.blocks if b.get("block_id") == "answer")
    forgeries = [  # the button grammar is bot/conversation/buttons.py's: "session:version:node:choice"
        "not a payload",
        f"{before.id}:{before.version}:know_how:yes:extra",
        "../../etc:1:goal:a",
        f"{before.id}:one:goal:a",
        f"{before.id}:{before.version}:{before.node}:no_such_choice",  # well formed: the core refuses the choice
    ]
    with caplog.at_level(logging.WARNING, "outsource_check.slack"):
        for index, value in enumerate(forgeries):
            element = {**block["elements"][0], "value": value}
            await slack.interaction(ann.block_actions(message, block, element))
            await slack.fake.wait_for(lambda n=index: len(slack.fake.ephemerals) > n)
    texts = [e["text"] for e in slack.fake.ephemerals]
    assert sum("didn't come from me" in t for t in texts) == 4
    assert "is not one of the choices" in texts[-1]
    assert caplog.text.count("refused a forged click") == 4
    assert await stored(slack, ann) == before


async def test_bad_or_old_signatures_get_401(slack) -> None:
    body = "token=x&team_id=T1&user_id=U0ANN&command=%2Foutsource-check&text="
    assert (await slack.post(body, "application/x-www-form-urlencoded", secret="wrong"))[0] == 401
    old = int(time.time()) - 60 * 10
    assert (await slack.post(body, "application/x-www-form-urlencoded", timestamp=old))[0] == 401
    assert slack.fake.calls == []


async def test_user_text_can_never_mention_anyone(slack) -> None:
    ann = slack.user("U0ANN")
    await ann.command("agency <!here> <!everyone> <@U0BOB> <#C0GENERAL> *bold*")
    await slack.fake.wait_for(lambda: any("sent you a DM" in e.get("text", "") for e in slack.fake.ephemerals))  # the check is on screen
    for _ in range(20):
        message = ann.living()
        if any(b["type"] == "header" for b in message.blocks):
            break
        await answer_current(ann)
    sent = json.dumps([c["body"] for c in slack.fake.calls if c["method"] in ("chat.update", "chat.postMessage", "response_url")])
    for dangerous in ("<!here>", "<!everyone>", "<@U0BOB>", "<#C0GENERAL>"):
        for block_text in _mrkdwn_texts(slack):
            assert dangerous not in block_text
    assert "<!here>" not in "".join(c["body"].get("text", "") for c in slack.fake.calls if isinstance(c["body"].get("text"), str))
    assert "&lt;!here&gt;" in sent


def _mrkdwn_texts(slack) -> list[str]:
    found = []
    for message in slack.fake.messages.values():
        for block in message.blocks:
            for obj in [block.get("text") or {}, *block.get("elements", [])]:
                if isinstance(obj, dict) and obj.get("type") == "mrkdwn":
                    found.append(obj["text"])
    return found


async def test_history_help_team_and_unknown_subcommands_answer_ephemerally(slack) -> None:
    ann = slack.user("U0ANN")
    for text, expected in [
        ("history", "No finished checks yet"),
        ("help", "/outsource-check agency <name>"),
        ("dance", "I don't know `dance`"),
    ]:
        count = len(slack.fake.ephemerals)
        await ann.command(text)
        await slack.fake.wait_for(lambda n=count: len(slack.fake.ephemerals) > n)
        shown = json.dumps(slack.fake.ephemerals[-1])
        assert expected in shown, (text, shown)
        assert slack.fake.ephemerals[-1]["response_type"] == "ephemeral"


async def test_forget_asks_for_a_confirmation_then_deletes(slack) -> None:
    ann = slack.user("U0ANN")
    await started(ann)
    await ann.command("forget")
    await slack.fake.wait_for(lambda: any("Delete your data?" in e.get("text", "") for e in slack.fake.ephemerals))
    card = slack.fake.ephemerals[-1]
    from tests.slack.fake_slack import Message

    prompt = Message("C0GENERAL", "cmd", card["text"], card["blocks"])
    block, element = ann.find(prompt, "Delete everything")
    assert element["style"] == "danger" and "confirm" in element
    assert len(await slack.service.store.sessions_of("slack:T1:U0ANN")) == 1
    await slack.interaction(ann.block_actions(prompt, block, element))
    await slack.fake.wait_for(lambda: ("C0GENERAL", "cmd") in slack.fake.messages)
    assert "deleted 1 check" in slack.fake.messages[("C0GENERAL", "cmd")].text
    assert await slack.service.store.sessions_of("slack:T1:U0ANN") == []


async def test_resume_moves_the_check_to_a_new_message_and_retires_the_old_one(slack) -> None:
    ann = slack.user("U0ANN")
    await started(ann)
    await answer_current(ann)
    old = ann.living()
    await ann.command("resume")
    await slack.fake.wait_for(lambda: ann.living().ts != old.ts and ann.living().blocks and "question 2" in json.dumps(ann.living().blocks))
    await slack.fake.wait_for(lambda: slack.fake.messages[(old.channel, old.ts)].text == "This check continues in a newer message below.")
    assert not answer_buttons(slack.fake.messages[(old.channel, old.ts)])
    # the old message's buttons are stale now
    await ann.click(answer_buttons(old)[0]["text"]["text"], old)
    await slack.fake.wait_for(lambda: any("nothing changed" in e.get("text", "").lower() for e in slack.fake.ephemerals))


async def test_app_home_shows_the_last_result(slack) -> None:
    ann = slack.user("U0ANN")
    await slack.event({"type": "app_home_opened", "user": "U0ANN", "channel": ann.dm, "tab": "home", "event_ts": "1.1"})
    await slack.fake.wait_for(lambda: slack.fake.named("views.publish"))
    first = json.dumps(slack.fake.named("views.publish")[-1]["body"])
    assert "no finished check yet" in first and "Start the check" in first
    await started(ann)
    for _ in range(40):
        if any(b["type"] == "header" for b in ann.living().blocks):
            break
        await answer_current(ann)
    await slack.event({"type": "app_home_opened", "user": "U0ANN", "channel": ann.dm, "tab": "home", "event_ts": "1.2"})
    await slack.fake.wait_for(lambda: len(slack.fake.named("views.publish")) == 2)
    second = json.dumps(slack.fake.named("views.publish")[-1]["body"])
    assert "Recommendation:" in second and "Your last result" in second and "oc.share" not in second


async def test_a_redelivered_event_is_handled_once(slack) -> None:
    ann = slack.user("U0ANN")
    event = {"type": "app_home_opened", "user": "U0ANN", "channel": ann.dm, "tab": "home", "event_ts": "1.1"}
    body = {
        "token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback", "event": event,
        "event_id": "Ev0REDELIVERED", "event_time": int(time.time()),
        "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True, "is_enterprise_install": False}],
    }
    first = await slack.post(json.dumps(body), "application/json")
    await slack.fake.wait_for(lambda: len(slack.fake.named("views.publish")) == 1)
    again = await slack.post(json.dumps(body), "application/json")  # Slack's retry of the same event
    assert first[0] == again[0] == 200
    await ann.type_in_dm("hello")  # a later event: once its answer is out, the retry would have shown too
    await slack.fake.wait_for(lambda: bool(slack.fake.dm_posts(ann.id)))
    assert len(slack.fake.named("views.publish")) == 1


async def test_an_unknown_subcommand_is_echoed_escaped(slack) -> None:
    ann = slack.user("U0ANN")
    await ann.command("<!channel>")
    await slack.fake.wait_for(lambda: slack.fake.ephemerals)
    shown = json.dumps(slack.fake.ephemerals[-1])
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown


async def test_a_changed_dialog_offers_a_restart(slack) -> None:
    from bot.dialogs.catalog import Catalog
    from bot.dialogs.loader import load_dialog_text
    from tests.conftest import DIALOGS

    ann = slack.user("U0ANN")
    await started(ann)
    message = ann.living()
    edited_text = (DIALOGS / "outsource_check.yaml").read_text().replace("What are you really after?", "What do you want most?")
    edited = load_dialog_text(edited_text, "outsource_check.yaml")
    slack.service.catalog = Catalog({**Catalog.load(DIALOGS).dialogs, "outsource_check": edited})
    slack.service.rounds.catalog = slack.service.catalog
    await ann.click(answer_buttons(message)[0]["text"]["text"], message)
    changed = await ann.until_changed(message)
    assert "questions of" in json.dumps(changed.blocks) and ann.labels(changed) == ["Start over"]
    await ann.click("Start over", changed)
    fresh = await ann.until_changed(changed)
    assert "What do you want most?" in json.dumps(fresh.blocks)
    assert (await stored(slack, ann)).dialog_hash == edited.content_hash
