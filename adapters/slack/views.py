"""Modals, the App Home tab, and the small ephemeral cards (help, forget) as Block Kit."""

from __future__ import annotations

import json

from adapters.slack.blocks import button, result_blocks
from adapters.slack.text import clip, plain
from adapters.slack.values import ButtonValue
from bot.conversation.replies import Question, ResultCard

COMMAND = "/outsource-check"
HELP = f"""*Outsource Check* helps you decide whether to outsource your social media.
• `{COMMAND}`: take the check (in a DM with me)
• `{COMMAND} agency <name>`: vet one agency against the minimum requirements
• `{COMMAND} resume`: continue your unfinished check
• `{COMMAND} history`: your last results
• `{COMMAND} forget`: delete everything stored about you
• `{COMMAND} help`: this message"""


def help_blocks(prefix: str = "") -> list[dict]:
    text = f"{prefix}\n\n{HELP}" if prefix else HELP
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


FORGET_WARNING = "This deletes every check and answer stored about you, finished or not. It cannot be undone."
HOME_UNAVAILABLE = "I can't load your results right now. Please try again in a moment (open this tab again)."


def forget_blocks(note: str = "") -> list[dict]:
    """The confirmation; `note` (e.g. "try again") goes above the warning when it is shown once more."""
    return [
        {"type": "section", "text": plain(f"{note}\n\n{FORGET_WARNING}" if note else FORGET_WARNING)},
        {
            "type": "actions",
            "block_id": "forget",
            "elements": [
                {
                    **button("Delete everything", "oc.forget.yes", "yes", style="danger"),
                    "confirm": {
                        "title": plain("Delete your data?", 100),
                        "text": plain("Every check and answer stored about you will be deleted."),
                        "confirm": plain("Delete", 30),
                        "deny": plain("Keep it", 30),
                        "style": "danger",
                    },
                },
                button("Keep it", "oc.forget.no", "no"),
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
        "submit": plain("Answer", 24),
        "close": plain("Cancel", 24),
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
        "title": plain("Share your result", 24),
        "submit": plain("Share", 24),
        "close": plain("Cancel", 24),
        "private_metadata": ButtonValue(card.session_id, card.version).encode(),
        "blocks": [
            {"type": "section", "text": plain(f"Post a summary of “{card.title}” to a channel, with your name on it.")},
            {
                "type": "input",
                "block_id": "channel",
                "label": plain("Channel", 2000),
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
        {"type": "header", "text": plain("Outsource Check", 150)},
        {"type": "section", "text": plain("Should you outsource your social media? A few questions, an answer that explains itself.")},
        {
            "type": "actions",
            "block_id": "home",
            "elements": [
                button("Start the check", "oc.home.start", "start", style="primary"),
                button("Vet an agency", "oc.home.vet", "vet"),
            ],
        },
        {"type": "divider"},
    ]
    if unavailable:
        blocks.append({"type": "section", "block_id": "unavailable", "text": plain(HOME_UNAVAILABLE)})
    elif latest is None:
        blocks.append({"type": "section", "text": plain("You have no finished check yet.")})
    else:
        card = [b for b in result_blocks(latest) if b.get("block_id") != "result"]  # no live buttons on Home
        blocks.append({"type": "context", "elements": [plain("Your last result")]})
        blocks.extend(card)
    return {"type": "home", "blocks": blocks}
