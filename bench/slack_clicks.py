"""Slack clicks as Slack sends them: signed block_actions bodies built from the blocks a user sees.

The Slack benchmarks drive the apps with the bytes Slack's servers would post, so both the bare
bolt app and ours pay for the same signature check and the same payload parsing. A click is
chosen from the message's real buttons (rendered by our own Block Kit code), never hand-made.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from urllib.parse import quote_plus

import yarl
from slack_sdk.signature import SignatureVerifier

from adapters.slack.blocks import blocks_of
from bot.conversation import engine
from bot.conversation.buttons import decode
from bot.conversation.layout import question as question_card
from bot.conversation.replies import Question
from bot.conversation.session import Session
from bot.dialogs.model import Dialog

TEAM = "T1"


@dataclass
class Click:
    body: bytes
    node: str
    value: object  # what the store must hold for this answer afterwards


@dataclass
class PlannedCheck:
    """One user's whole check, worked out in advance: the first session and every click after it."""

    user_id: str
    channel: str
    ts: str
    session: Session
    clicks: list[Click] = field(default_factory=list)


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
    }


def choose(blocks: list[dict], rng: random.Random) -> tuple[dict, dict, object]:
    """The element a person clicks on this message, the state Slack sends with it, and the answer it means."""
    picker = next((e for b in blocks if b.get("block_id") == "picks" for e in b["elements"]), None)
    answer = next(b for b in blocks if b.get("block_id") == "answer")
    if picker is not None:
        count = max(1, min(2, len(picker["options"])))
        chosen = rng.sample(picker["options"], count)
        state = {"picks": {"oc.pick": {"type": picker["type"], "selected_options": chosen}}}
        return answer["elements"][0], state, tuple(o["value"] for o in chosen)
    element = rng.choice(answer["elements"])
    return element, {}, decode(element["value"]).choice


def block_actions(user_id: str, channel: str, ts: str, blocks: list[dict], element: dict, state: dict, reply_root: str) -> dict:
    """The payload Slack posts for a click (the shape of tests/slack/conftest.py, with the whole message)."""
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM},
        "api_app_id": "A1",
        "token": "legacy",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": f"trig.{user_id}.{ts}",
        "team": {"id": TEAM, "domain": "acme"},
        "channel": {"id": channel, "name": "directmessage"},
        "message": {"type": "message", "ts": ts, "text": "", "blocks": blocks, "bot_id": "BBOT"},
        "state": {"values": state},
        "response_url": f"{reply_root}/response_url/{channel}/{ts}",
        "actions": [
            {
                "type": "button",
                "action_id": element["action_id"],
                "block_id": "answer",
                "value": element.get("value", ""),
                "text": element.get("text", {"type": "plain_text", "text": ""}),
                "action_ts": str(time.time()),
            }
        ],
    }


def _form_value(text: str) -> str:
    """What yarl (C) makes of a query value: it leaves a few characters bare that a form quotes."""
    return yarl.URL.build(query={"v": text}).raw_query_string[2:]


# the characters yarl leaves bare and `urlencode` quotes, found by asking both (not assumed of either version)
_BARE = {c: quote_plus(c) for c in map(chr, range(32, 127)) if _form_value(c) == c and quote_plus(c) != c}


def encode(payload: dict) -> bytes:
    """The form Slack posts, byte for byte what `urlencode({"payload": json.dumps(payload)})` gives
    (tests/test_bench_smoke.py), at a quarter of its cost: urllib's pure-Python quoting of a click's
    4 KB was a tenth of the load generator's CPU in benchmark 9, on the machine the apps share."""
    quoted = _form_value(json.dumps(payload))
    for char, escaped in _BARE.items():
        if char in quoted:
            quoted = quoted.replace(char, escaped)
    return ("payload=" + quoted).encode()


def plan_check(dialog: Dialog, *, number: int, reply_root: str, rng: random.Random, now: float, tag: str = "") -> PlannedCheck:
    """Walk one user's check through the real engine offline, keeping the click bodies Slack would send."""
    user_id = f"U{tag}{number:07d}"
    channel, ts = f"D{user_id}", f"1600000000.{number:06d}"
    step = engine.start(dialog, session_id=f"b{tag}{number:09d}", owner=f"slack:{TEAM}:{user_id}", now=now, surface=f"{channel}:{ts}")
    plan = PlannedCheck(user_id, channel, ts, step.session)
    session, replies = step.session, step.replies
    while replies and isinstance(replies[0], Question):
        question = replies[0]
        blocks = blocks_of(question_card(question))
        element, state, value = choose(blocks, rng)
        body = encode(block_actions(user_id, channel, ts, blocks, element, state, reply_root))
        plan.clicks.append(Click(body, question.node, value))
        step = engine.answer(dialog, session, node=question.node, value=value, version=session.version, now=now)
        assert step.accepted, step.replies
        session, replies = step.session, step.replies
    return plan
