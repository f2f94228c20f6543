"""A decision's review as Block Kit (bot/conversation/replies.py `Review`): the questions the team is
asked on its review date, and a button that runs the round's dialog again for whoever clicks it
(`oc.again`, its value the dialog id, which the core checks)."""

from __future__ import annotations

from adapters.slack.blocks import button
from adapters.slack.text import escape, plain
from bot import words
from bot.conversation.replies import Review

RUN_AGAIN = "oc.again"


def review_blocks(reply: Review) -> tuple[str, list[dict]]:
    title = words.REVIEW_TITLE.format(decision=reply.decision)
    blocks: list[dict] = [
        {"type": "header", "text": plain(title, 150)},
        *({"type": "section", "text": plain(question)} for question in reply.questions),
        {"type": "actions", "elements": [button(words.REVIEW_RUN_AGAIN, RUN_AGAIN, reply.dialog_id, style="primary")]},
    ]
    return escape(title), blocks
