"""Every core reply as a Slack message: (fallback text, Block Kit blocks). Where it goes is routes.py's."""

from __future__ import annotations

from adapters.slack.blocks import button, fallback_text, history_blocks, question_blocks, result_blocks
from adapters.slack.followup_blocks import review_blocks
from adapters.slack.team_blocks import decision_blocks, markdown_blocks, prompt_text, round_card_blocks, summary_blocks
from adapters.slack.text import escape, plain
from adapters.slack.values import ButtonValue
from adapters.slack.views import forget_blocks
from bot import words
from bot.conversation.replies import (
    DecisionRecord,
    FollowUp,
    History,
    Notice,
    NoticeKind,
    Prompt,
    Question,
    Reply,
    ResultCard,
    Retired,
    Review,
    RoundCard,
    TeamSummary,
)

Rendered = tuple[str, list[dict] | None]


def render(reply: Reply) -> Rendered:
    """`text` is mrkdwn (Slack parses a message's fallback text): everything from the core is escaped."""
    if isinstance(reply, (Question, ResultCard)):
        return fallback_text(reply), question_blocks(reply) if isinstance(reply, Question) else result_blocks(reply)
    if isinstance(reply, Notice):
        text = words.DELETE_YOUR_DATA if reply.kind is NoticeKind.CONFIRM_FORGET else escape(reply.text)
        return text, _notice_blocks(reply)
    if isinstance(reply, History):
        return words.YOUR_LAST_RESULTS, history_blocks(reply)
    if isinstance(reply, Retired):
        return escape(reply.text), [{"type": "section", "text": plain(reply.text)}]
    if isinstance(reply, RoundCard):
        return words.TEAM_ROUND_TITLE.format(topic=escape(reply.topic)), round_card_blocks(reply)
    if isinstance(reply, TeamSummary):
        return words.TEAM_RESULTS_TITLE.format(topic=escape(reply.team_outcome_title)), summary_blocks(reply, closed=reply.closed)
    if isinstance(reply, Prompt):
        return prompt_text(reply.number, reply.disagreement), None
    if isinstance(reply, Review):
        return review_blocks(reply)
    if isinstance(reply, FollowUp):  # delivered as the recipient's turn (adapters/runtime.py), never drawn itself
        return "", None
    assert isinstance(reply, DecisionRecord)
    if reply.exported:
        return escape(reply.markdown), markdown_blocks(reply)
    return words.DECISION_TITLE.format(decision=escape(reply.decision)), decision_blocks(reply)


def _notice_blocks(notice: Notice) -> list[dict] | None:
    if notice.kind is NoticeKind.CONFIRM_FORGET:  # the question stays until answered (again, after "try again")
        return forget_blocks("" if notice.text == words.FORGET_WARNING else notice.text)
    if notice.kind is NoticeKind.CHANGED:
        restart = ButtonValue(notice.session_id, 0).encode()
        return [
            {"type": "section", "text": plain(notice.text)},
            {"type": "actions", "elements": [button(words.START_OVER, "oc.restart", restart, style="primary")]},
        ]
    return None
