"""The store goes away mid-conversation: every Slack path answers Slack at once (never a 404 or a
500), tells the user to try again, leaves nothing stale in the chat, and works once the store is back.

What the user saw is read from the fake Slack's recorded calls. The outage is `tests.store_outage`
on the harness's SQLite store (every call raises StoreUnavailable, as a broken file or a Redis that
went away does), and once a real redis-server killed under the running app (the issue's report).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bot.stores.redis import RedisStore
from bot.words import TRY_AGAIN
from tests.slack.conftest import Harness, SlackUser, serving
from tests.slack.fake_slack import FakeSlack, Message
from tests.slack.test_conversation import answer_current
from tests.slack.test_team import CHANNEL, card_in, finish_private_check, summary_in, take_position
from tests.store_outage import Outage
from tests.test_redis_outage import RedisServer

SAID = ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url", "views.publish")
HOME_UNAVAILABLE = "can't load your results right now"
LEAKS = ("Traceback", "StoreUnavailable", "connection refused", "Error", "Exception")


@pytest.fixture(autouse=True)
def no_error_logged(caplog: pytest.LogCaptureFixture):
    """A listener that raised is logged at ERROR by bolt (and answered with a 404 after 3 s)."""
    yield
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failures, failures


def told(fake: FakeSlack, words: str) -> int:
    """How many calls showed the user `words` (a message, an update, an ephemeral, a Home view)."""
    return sum(words in json.dumps(c["body"], ensure_ascii=False) for c in fake.calls if c["method"] in SAID)


async def until_told(fake: FakeSlack, words: str, times: int = 1) -> None:
    await fake.wait_for(lambda: told(fake, words) >= times)


def nothing_leaked(fake: FakeSlack) -> None:
    for call in fake.calls:
        if call["method"] in SAID:
            shown = json.dumps(call["body"], ensure_ascii=False)
            assert not any(word in shown for word in LEAKS), shown


def in_channel(fake: FakeSlack, channel: str) -> list[Message]:
    return [m for (ch, _), m in sorted(fake.messages.items()) if ch == channel]


async def ok(request) -> None:
    """Slack got its answer at once: 200 and an empty body (the ack), never a 404 or a 500."""
    status, body = await request
    assert (status, body) == (200, ""), (status, body)


async def with_a_check(user: SlackUser) -> Message:
    """A check started while the store is up, one question answered; returns its living message."""
    fake = user.h.fake
    await ok(user.command())
    await fake.wait_for(lambda: user.dm in {ch for ch, _ in fake.messages} and user.living().blocks)
    await answer_current(user)
    return user.living()


async def round_in_channel(slack: Harness, lead: SlackUser) -> Message:
    await ok(lead.command("team Q3 socials", channel=CHANNEL))
    await slack.fake.wait_for(lambda: any(m.blocks for m in in_channel(slack.fake, CHANNEL)))
    return card_in(slack)


# --- starting a check ---------------------------------------------------------------------------


async def test_a_check_started_in_an_outage_leaves_no_placeholder_and_starts_once_the_store_is_back(slack: Harness) -> None:
    ann, fake = slack.user("U0ANN"), slack.fake
    with Outage(slack.service.store) as outage:
        await ok(ann.command("", channel="C0GENERAL"))
        await until_told(fake, TRY_AGAIN)
    assert outage.refused
    assert in_channel(fake, ann.dm) == [], "nothing is left in the DM saying the check is starting"
    assert told(fake, "sent you a DM") == 0

    await ok(ann.command("", channel="C0GENERAL"))
    await until_told(fake, "sent you a DM")
    assert "question 1 of about" in json.dumps(ann.living().blocks)
    assert len(in_channel(fake, ann.dm)) == 1 and told(fake, "sent you a DM") == 1
    nothing_leaked(fake)


async def home_click(slack: Harness, user: SlackUser, label: str) -> dict:
    """The payload of a click on one of the Home tab's buttons, as the Home tab shows them."""
    fake = slack.fake
    published = len(fake.named("views.publish"))
    await ok(slack.event({"type": "app_home_opened", "user": user.id, "channel": user.dm, "tab": "home", "event_ts": "1.1"}))
    await fake.wait_for(lambda: len(fake.named("views.publish")) > published)
    view = fake.named("views.publish")[-1]["body"]["view"]
    view = json.loads(view) if isinstance(view, str) else view
    block = next(b for b in view["blocks"] if b.get("block_id") == "home")
    button = next(e for e in block["elements"] if e["text"]["text"] == label)
    payload = user.block_actions(Message(user.dm, "1.0", "", []), block, button)
    payload["container"] = {"type": "view", "view_id": "V1"}  # a click on Home: no message, no response_url
    payload.pop("response_url")
    return payload


async def test_the_home_tabs_start_button_in_an_outage_says_try_again_in_the_dm(slack: Harness) -> None:
    ann, fake = slack.user("U0ANN"), slack.fake
    payload = await home_click(slack, ann, "Start the check")
    with Outage(slack.service.store):
        await ok(slack.interaction(payload))
        await until_told(fake, TRY_AGAIN)
    assert [m.text for m in in_channel(fake, ann.dm)] == [TRY_AGAIN], "only the try again, no placeholder"

    await ok(slack.interaction(await home_click(slack, ann, "Start the check")))
    await fake.wait_for(lambda: "question 1 of about" in json.dumps(ann.living().blocks))
    nothing_leaked(fake)


# --- resume, history, forget, Home ----------------------------------------------------------------


async def test_resume_in_an_outage_answers_slack_at_once_and_works_once_the_store_is_back(slack: Harness) -> None:
    """The issue's report: 3 s, then a 404, and the user saw nothing."""
    ann, fake = slack.user("U0ANN"), slack.fake
    living = await with_a_check(ann)
    with Outage(slack.service.store) as outage:
        await ok(ann.command("resume"))
        await until_told(fake, TRY_AGAIN)
    assert outage.refused
    assert in_channel(fake, ann.dm) == [living], "the check stays where it was, buttons and all"

    await ok(ann.command("resume"))
    # the check moves to a new message, then the old one is retired: wait for both, in either order
    await fake.wait_for(
        lambda: ann.living().ts != living.ts
        and "question 2" in json.dumps(ann.living().blocks)
        and fake.messages[(living.channel, living.ts)].text == "This check continues in a newer message below."
    )
    nothing_leaked(fake)


async def test_a_store_lost_in_the_middle_of_a_resume_leaves_no_placeholder(slack: Harness) -> None:
    """The running check was found, then the store went: the new "Picking up…" message goes again."""
    ann, fake = slack.user("U0ANN"), slack.fake
    living = await with_a_check(ann)
    with Outage(slack.service.store, "load", "save") as outage:
        await ok(ann.command("resume"))
        await until_told(fake, TRY_AGAIN)
    assert outage.refused
    assert in_channel(fake, ann.dm) == [living], "no placeholder left, and the old message not retired"
    assert told(fake, "sent you a DM") == 1, "only when the check was started"

    await ok(ann.command("resume"))
    await until_told(fake, "sent you a DM", times=2)
    assert ann.living().ts != living.ts and "question 2" in json.dumps(ann.living().blocks)
    nothing_leaked(fake)


async def test_history_and_a_typed_reply_in_an_outage_say_try_again(slack: Harness) -> None:
    ann, fake = slack.user("U0ANN"), slack.fake
    living = await with_a_check(ann)
    with Outage(slack.service.store):
        await ok(ann.command("history"))
        await until_told(fake, TRY_AGAIN)
        await ok(ann.type_in_dm("2"))
        await until_told(fake, TRY_AGAIN, 2)
    assert fake.messages[(living.channel, living.ts)] == living

    await ok(ann.command("history"))
    await until_told(fake, "Your last results")
    nothing_leaked(fake)


async def test_forget_in_an_outage_keeps_the_confirmation_for_another_try(slack: Harness) -> None:
    ann, fake = slack.user("U0ANN"), slack.fake
    await with_a_check(ann)
    await ok(ann.command("forget"))
    await until_told(fake, "Delete your data?")
    card = fake.ephemerals[-1]
    prompt = Message("C0GENERAL", "cmd", card["text"], card["blocks"])
    with Outage(slack.service.store):
        await ok(slack.interaction(ann.block_actions(prompt, *ann.find(prompt, "Delete everything"))))
        await fake.wait_for(lambda: ("C0GENERAL", "cmd") in fake.messages)
    again = fake.messages[("C0GENERAL", "cmd")]
    assert TRY_AGAIN in json.dumps(again.blocks) and ann.labels(again) == ["Delete everything", "Keep my data"]
    assert len(await slack.service.store.sessions_of("slack:T1:U0ANN")) == 1, "nothing was deleted"

    await ok(slack.interaction(ann.block_actions(again, *ann.find(again, "Delete everything"))))
    await fake.wait_for(lambda: "deleted 1 check" in fake.messages[("C0GENERAL", "cmd")].text)
    assert await slack.service.store.sessions_of("slack:T1:U0ANN") == []
    nothing_leaked(fake)


async def test_the_home_tab_in_an_outage_says_it_cannot_load_the_results(slack: Harness) -> None:
    ann, fake = slack.user("U0ANN"), slack.fake
    opened = {"type": "app_home_opened", "user": ann.id, "channel": ann.dm, "tab": "home", "event_ts": "1.1"}
    with Outage(slack.service.store) as outage:
        await ok(slack.event(opened))
        await fake.wait_for(lambda: fake.named("views.publish"))
    assert "sessions_of" in outage.refused
    view = json.dumps(fake.named("views.publish")[-1]["body"]["view"], ensure_ascii=False)
    assert json.dumps(HOME_UNAVAILABLE)[1:-1] in view and "no finished check yet" not in view

    await ok(slack.event(opened))
    await fake.wait_for(lambda: len(fake.named("views.publish")) == 2)
    view = json.dumps(fake.named("views.publish")[-1]["body"]["view"], ensure_ascii=False)
    assert "no finished check yet" in view and json.dumps(HOME_UNAVAILABLE)[1:-1] not in view
    nothing_leaked(fake)


async def test_a_typed_answer_in_an_outage_keeps_the_form_open_with_try_again(slack: Harness) -> None:
    ann, fake = slack.user("U0ANN"), slack.fake
    await ok(slack.interaction(await home_click(slack, ann, "Vet an agency")))  # the agency check opens on a typed question
    await fake.wait_for(lambda: ann.dm in {ch for ch, _ in fake.messages} and "Type your answer" in ann.labels())
    message = ann.living()
    await ok(ann.click("Type your answer", message))
    await fake.wait_for(lambda: fake.named("views.open"))
    view = fake.named("views.open")[-1]["body"]["view"]
    form = json.loads(view) if isinstance(view, str) else view
    typed = {"answer": {"text": {"type": "plain_text_input", "value": "Corner Agency"}}}
    with Outage(slack.service.store):
        status, body = await ann.submit_view(form, typed)
    assert status == 200 and json.loads(body) == {"response_action": "errors", "errors": {"answer": TRY_AGAIN}}
    assert ann.living() == message

    status, body = await ann.submit_view(form, typed)  # the same form, still open: Answer pressed again
    assert (status, body) == (200, "")
    await ann.until_changed(message)
    assert "Corner Agency" in json.dumps(ann.living().blocks)
    nothing_leaked(fake)


# --- team rounds ----------------------------------------------------------------------------------


async def test_a_team_round_started_in_an_outage_leaves_no_card_placeholder(slack: Harness) -> None:
    lead, fake = slack.user("U0LEAD"), slack.fake
    with Outage(slack.service.store) as outage:
        await ok(lead.command("team Q3 socials", channel=CHANNEL))
        await until_told(fake, TRY_AGAIN)
    assert outage.refused == ["save_round"]
    assert in_channel(fake, CHANNEL) == [], "no \"Starting a team round…\" left in the channel"

    card = await round_in_channel(slack, lead)
    assert in_channel(fake, CHANNEL) == [card] and lead.labels(card) == ["Take the check", "Reveal"]
    nothing_leaked(fake)


async def test_export_in_an_outage_answers_slack_at_once_and_works_once_the_store_is_back(slack: Harness) -> None:
    lead, fake = slack.user("U0LEAD"), slack.fake
    await round_in_channel(slack, lead)
    with Outage(slack.service.store):
        await ok(lead.command("team export", channel=CHANNEL))
        await until_told(fake, TRY_AGAIN)
    await ok(lead.command("team export", channel=CHANNEL))
    await until_told(fake, "# Decision:")
    nothing_leaked(fake)


async def test_taking_the_check_in_an_outage_leaves_nothing_in_the_dm(slack: Harness) -> None:
    lead, ann, fake = slack.user("U0LEAD"), slack.user("U0ANN"), slack.fake
    card = await round_in_channel(slack, lead)
    with Outage(slack.service.store):
        await ok(ann.click("Take the check", card))
        await until_told(fake, TRY_AGAIN)
    assert in_channel(fake, ann.dm) == [], "no placeholder, and no word that the round takes no answers"
    assert "u0ann" not in json.dumps(card_in(slack).blocks)

    await ok(ann.click("Take the check", card))
    await fake.wait_for(lambda: ann.dm in {ch for ch, _ in fake.messages} and "question 1 of about" in json.dumps(ann.living().blocks))
    assert len(in_channel(fake, ann.dm)) == 1
    nothing_leaked(fake)


async def test_reveal_position_and_close_in_an_outage_say_try_again_and_change_nothing(slack: Harness) -> None:
    lead, ann, fake = slack.user("U0LEAD"), slack.user("U0ANN"), slack.fake
    card = await round_in_channel(slack, lead)
    await ann.click("Take the check", card)
    await finish_private_check(slack, ann)
    store = slack.service.store

    with Outage(store):
        await ok(lead.click("Reveal", card_in(slack)))
        await until_told(fake, TRY_AGAIN)
    assert not any("Team results" in json.dumps(m.blocks) for m in in_channel(fake, CHANNEL))
    await ok(lead.click("Reveal", card_in(slack)))
    await fake.wait_for(lambda: any(m.blocks and m.blocks[0]["text"]["text"].startswith("Team results") for m in in_channel(fake, CHANNEL)))
    summary = summary_in(slack)

    # a position's form answers "try again" in place (it stays open with the reason typed), and nothing changed
    with Outage(store):
        status, answer = await take_position(slack, ann, "Agree (0)", summary, "fine")
    assert status == 200 and json.loads(answer)["errors"]["reason"] == TRY_AGAIN[:150]
    assert summary_in(slack) == summary
    status, answer = await take_position(slack, ann, "Agree (0)", summary, "fine")
    assert status == 200
    summary = await ann.until_changed(summary)
    assert next(e for b in summary.blocks if b.get("block_id") == "positions" for e in b["elements"])["text"]["text"] == "Agree (1)"

    with Outage(store):
        await ok(lead.click("Close and record the decision", summary))
        await until_told(fake, TRY_AGAIN, 2)
    assert not any(c["body"].get("text", "").startswith("Decision:") for c in fake.named("chat.postMessage"))
    await ok(lead.click("Close and record the decision", summary))
    await fake.wait_for(lambda: any(c["body"].get("text", "").startswith("Decision:") for c in fake.named("chat.postMessage")))
    nothing_leaked(fake)


# --- a real Redis, killed under the running app ----------------------------------------------------


async def test_a_real_redis_going_away_is_a_try_again_for_resume_and_export(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        async with serving(RedisStore(f"redis://127.0.0.1:{redis.port}/0", timeout=1.0)) as slack:
            ann, fake = slack.user("U0ANN"), slack.fake
            living = await with_a_check(ann)
            await round_in_channel(slack, ann)

            redis.kill()
            await ok(ann.command("resume"))
            await until_told(fake, TRY_AGAIN)
            await ok(ann.command("team export", channel=CHANNEL))
            await until_told(fake, TRY_AGAIN, 2)
            assert fake.messages[(living.channel, living.ts)] == living

            redis.start()  # same port, same data folder
            await ok(ann.command("resume"))
            await fake.wait_for(lambda: ann.living().ts != living.ts and "question 2" in json.dumps(ann.living().blocks))
            await ok(ann.command("team export", channel=CHANNEL))
            await until_told(fake, "# Decision:")
            nothing_leaked(fake)
    finally:
        if redis.process is not None and redis.process.poll() is None:
            redis.kill()
