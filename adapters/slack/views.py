"""Modals, the App Home tab, and the small ephemeral cards (help, forget) as Block Kit."""

from __future__ import annotations

import json

from adapters.slack.blocks import button, result_blocks
from adapters.slack.text import clip, plain
from adapters.slack.values import ButtonValue
from bot import words
from bot.conversation.replies import Question, ResultCard


def help_blocks(prefix: str = "") -> list[dict]:
    text = f"{prefix}\n\n{words.SLACK_HELP}" if prefix else words.SLACK_HELP
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]




def forget_blocks(note: str = "") -> list[dict]:
    """The confirmation; `note` (e.g. "try again") goes above the warning when it is shown once more."""
    return [
        {"type": "section", "text": plain(f"{note}\n\n{words.FORGET_WARNING}" if note else words.FORGET_WARNING)},
        {
            "type": "actions",
            "block_id": "forget",
            "elements": [
                {
                    **button(words.DELETE_EVERYTHING, "oc.forget.yes", "yes", style="danger"),
                    "confirm": {
                        "title": plain(words.DELETE_YOUR_DATA, 100),
                        "text": plain(words.DELETE_CONFIRM),
                        "confirm": plain(words.DELETE, 30),
                        "deny": plain(words.KEEP_IT, 30),
                        "style": "danger",
                    },
                },
                button(words.KEEP_IT, "oc.forget.no", "no"),
            ],
        },
    ]


def text_answer_modal(q: Question, channel: str, ts: str) -> dict:
    """A modal for a free-text question; `private_metadata` says which message to update after."""
    metadata = {"v": ButtonValue(q.session_id, q.version, q.node).encode(), "ch": channel, "ts": ts}
    return {
        "type": "modal",
        "callback_id": "oc.text",
        "title": plain(clip(q.dialog_title, 24), 24),
        "submit": plain(words.ANSWER, 24),
        "close": plain(words.CANCEL, 24),
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": [
            {
                "type": "input",
                "block_id": "answer",
                "label": plain(clip(q.text, 2000), 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "text",
                    "max_length": q.max_length or 200,
                    "min_length": 1,
                },
            }
        ],
    }


def share_modal(card: ResultCard) -> dict:
    return {
        "type": "modal",
        "callback_id": "oc.share",
        "title": plain(words.SHARE_YOUR_RESULT, 24),
        "submit": plain(words.SHARE, 24),
        "close": plain(words.CANCEL, 24),
        "private_metadata": ButtonValue(card.session_id, card.version).encode(),
        "blocks": [
            {"type": "section", "text": plain(words.SHARE_SUMMARY.format(title=card.title))},
            {
                "type": "input",
                "block_id": "channel",
                "label": plain(words.CHANNEL, 2000),
                "element": {
                    "type": "conversations_select",
                    "action_id": "channel",
                    "filter": {"include": ["public", "private"], "exclude_bot_users": True},
                },
            },
        ],
    }


def home_view(latest: ResultCard | None, unavailable: bool = False) -> dict:
    """The Home tab: Start buttons, then the last result; `unavailable` when it could not be read (store down)."""
    blocks: list[dict] = [
        {"type": "header", "text": plain(words.APP_NAME, 150)},
        {"type": "section", "text": plain(words.HOME_INTRO)},
        {
            "type": "actions",
            "block_id": "home",
            "elements": [
                button(words.START_THE_CHECK, "oc.home.start", "start", style="primary"),
                button(words.VET_AN_AGENCY, "oc.home.vet", "vet"),
            ],
        },
        {"type": "divider"},
    ]
    if unavailable:
        blocks.append({"type": "section", "block_id": "unavailable", "text": plain(words.HOME_UNAVAILABLE)})
    elif latest is None:
        blocks.append({"type": "section", "text": plain(words.NO_FINISHED_CHECK)})
    else:
        card = [b for b in result_blocks(latest) if b.get("block_id") != "result"]  # no live buttons on Home
        blocks.append({"type": "context", "elements": [plain(words.YOUR_LAST_RESULT)]})
        blocks.extend(card)
    return {"type": "home", "blocks": blocks}
