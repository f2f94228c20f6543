"""Slack's modals and its Home tab: the forms a click opens, and the page a user's app home shows.

Each modal's `private_metadata` says what it is about (a button payload, checked again on submit)
and which message to update afterwards.
"""

from __future__ import annotations

import json

from adapters.common.text import clip
from adapters.slack.blocks import blocks_of, plain
from bot import words
from bot.conversation import layout
from bot.conversation.buttons import Payload
from bot.conversation.replies import Question, ResultCard

MAX_REASON = 300  # the core keeps at most this many characters of a reason


def help_blocks(prefix: str = "") -> list[dict]:
    text = f"{prefix}\n\n{words.SLACK_HELP}" if prefix else words.SLACK_HELP
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def _metadata(payload: str, channel: str, ts: str) -> str:
    return json.dumps({"v": payload, "ch": channel, "ts": ts}, separators=(",", ":"))


def _modal(callback: str, title: str, submit: str, metadata: str, blocks: list[dict]) -> dict:
    return {
        "type": "modal", "callback_id": callback, "title": plain(clip(title, 24), 24), "submit": plain(submit, 24),
        "close": plain(words.CANCEL, 24), "private_metadata": metadata, "blocks": blocks,
    }


def _reason(label: str, *, required: bool, max_length: int = MAX_REASON, block: str = "reason") -> dict:
    element: dict = {"type": "plain_text_input", "action_id": "text", "max_length": max_length}
    if required:
        element["min_length"] = 1
    return {"type": "input", "block_id": block, "optional": not required, "label": plain(clip(label, 2000), 2000), "element": element}


def text_answer_modal(q: Question, channel: str, ts: str) -> dict:
    """A free-text answer (callback `oc.text`); the core checks its length and freshness on submit."""
    metadata = _metadata(Payload(q.session_id, q.version, q.node).encode(), channel, ts)
    return _modal("oc.text", q.dialog_title, words.ANSWER, metadata, [_reason(q.text, required=True, max_length=q.max_length or 200, block="answer")])


def position_modal(payload: str, stance: str, channel: str, ts: str) -> dict:
    """Agree, abstain or object, with an optional reason (callback `oc.round.position`)."""
    about = {"type": "section", "text": plain(words.POSITION_ON_THE_DECISION.format(lead=words.STANCE_LEADS[stance]))}
    blocks = [about, _reason(words.WHY_OPTIONAL, required=False)]
    return _modal("oc.round.position", words.YOUR_POSITION, words.STANCE_LABELS.get(stance, words.SAVE), _metadata(payload, channel, ts), blocks)


def close_reason_modal(payload: str, refusal: str, channel: str, ts: str) -> dict:
    """Closing before the quorum: the closer says why (callback `oc.round.close`); the record keeps it."""
    blocks = [{"type": "section", "text": plain(refusal)}, _reason(words.WHY_CLOSE_NOW, required=True)]
    return _modal("oc.round.close", words.CLOSE_THE_ROUND, words.CLOSE, _metadata(payload, channel, ts), blocks)


def share_modal(card: ResultCard) -> dict:
    picker = {
        "type": "input", "block_id": "channel", "label": plain(words.CHANNEL, 2000),
        "element": {
            "type": "conversations_select", "action_id": "channel",
            "filter": {"include": ["public", "private"], "exclude_bot_users": True},
        },
    }
    blocks = [{"type": "section", "text": plain(words.SHARE_SUMMARY.format(title=card.title))}, picker]
    return _modal("oc.share", words.SHARE_YOUR_RESULT, words.SHARE, Payload(card.session_id, card.version).encode(), blocks)


def home_view(latest: ResultCard | None, unavailable: bool = False) -> dict:
    """The Home tab: Start buttons, then the last result (no live buttons); `unavailable` when the store is down."""
    start, *rest = layout.home(latest, unavailable)
    return {"type": "home", "blocks": [*blocks_of(start), {"type": "divider"}, *(b for card in rest for b in blocks_of(card))]}
