"""`ack_first` under bolt's own dispatch: Slack's answer leaves at the ack, the listener goes on.

bolt's default runner polls for the ack every 10 ms; the app instead runs with
`process_before_response` and returns to bolt at the ack. These drive a real `AsyncApp` through
`async_dispatch`, as bolt's own tests do, against the fake Web API.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.acks import LISTENING, ack_first
from tests.slack.fake_slack import FakeSlack


@pytest.fixture
async def bolt():
    fake = await FakeSlack().start()
    try:
        yield AsyncApp(client=AsyncWebClient(token="xoxb-test", base_url=fake.api_url), process_before_response=True)
    finally:
        await asyncio.gather(*LISTENING, return_exceptions=True)
        await fake.stop()


def click(action_id: str = "oc.test") -> AsyncBoltRequest:
    body = {
        "type": "block_actions", "api_app_id": "A1", "token": "legacy", "team": {"id": "T1"},
        "user": {"id": "U1", "team_id": "T1"}, "actions": [{"action_id": action_id, "value": "v", "type": "button"}],
    }
    return AsyncBoltRequest(body=body, mode="socket_mode")


def submission() -> AsyncBoltRequest:
    body = {
        "type": "view_submission", "api_app_id": "A1", "token": "legacy", "team": {"id": "T1"},
        "user": {"id": "U1", "team_id": "T1"}, "view": {"id": "V1", "type": "modal", "callback_id": "oc.form", "state": {"values": {}}},
    }
    return AsyncBoltRequest(body=body, mode="socket_mode")


async def test_the_answer_leaves_at_the_ack_while_the_listener_goes_on(bolt) -> None:
    go_on, finished = asyncio.Event(), asyncio.Event()

    async def listener(ack, body: dict) -> None:
        await ack(response_action="errors", errors={"answer": "too short"})
        await go_on.wait()  # the Web API work after the ack
        finished.set()

    bolt.view("oc.form")(ack_first(listener))
    response = await asyncio.wait_for(bolt.async_dispatch(submission()), 5)
    assert response.status == 200
    assert '"response_action": "errors"' in response.body and "too short" in response.body, "the ack's own answer"
    assert not finished.is_set(), "answered before the listener finished"
    go_on.set()
    await asyncio.wait_for(finished.wait(), 5)


async def test_a_listener_that_fails_before_its_ack_is_answered_500_as_bolt_would(bolt, caplog) -> None:
    async def listener(ack, body: dict) -> None:
        raise RuntimeError("broken before the ack")

    bolt.action("oc.test")(ack_first(listener))
    with caplog.at_level(logging.ERROR):
        response = await bolt.async_dispatch(click())
    assert response.status == 500
    assert "broken before the ack" in caplog.text, "bolt's error handler logged it"


async def test_a_failure_after_the_ack_is_logged(bolt, caplog) -> None:
    async def listener(ack, body: dict) -> None:
        await ack()
        await asyncio.sleep(0)
        raise RuntimeError("broken after the ack")

    bolt.action("oc.test")(ack_first(listener))
    with caplog.at_level(logging.ERROR, logger="outsource_check.slack"):
        response = await bolt.async_dispatch(click())
        assert response.status == 200
        await asyncio.gather(*LISTENING, return_exceptions=True)
    assert "a Slack listener failed after its ack" in caplog.text and "broken after the ack" in caplog.text


async def test_an_event_listener_is_acknowledged_by_bolt_and_runs_after(bolt) -> None:
    go_on, seen = asyncio.Event(), []

    async def listener(event: dict) -> None:
        await go_on.wait()
        seen.append(event["text"])

    bolt.event("message")(ack_first(listener))
    body = {
        "type": "event_callback", "api_app_id": "A1", "token": "legacy", "team_id": "T1", "event_id": "Ev1",
        "event": {"type": "message", "channel_type": "im", "user": "U1", "text": "hi", "channel": "D1"},
        "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
    }
    response = await asyncio.wait_for(bolt.async_dispatch(AsyncBoltRequest(body=body, mode="socket_mode")), 5)
    assert response.status == 200 and seen == []
    go_on.set()
    await asyncio.gather(*LISTENING)
    assert seen == ["hi"]


async def test_a_listener_that_never_acks_is_answered_without_it_once_slack_stops_waiting(bolt, monkeypatch, caplog) -> None:
    """Slack waits 3 s; so does bolt's own runner, then answers without the ack (here after 0.05 s)."""
    monkeypatch.setattr("adapters.slack.acks.ACK_WITHIN", 0.05)
    stuck = asyncio.Event()

    async def listener(ack, body: dict) -> None:
        await stuck.wait()  # a core call that hangs before the ack

    bolt.view("oc.form")(ack_first(listener))
    try:
        with caplog.at_level(logging.WARNING, logger="outsource_check.slack"):
            response = await asyncio.wait_for(bolt.async_dispatch(submission()), 5)
    finally:
        stuck.set()
    assert response.status == 404, "bolt's answer for a request no listener acknowledged, as its own runner gives"
    assert "did not acknowledge within 0.05 s" in caplog.text
