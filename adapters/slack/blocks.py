"""Core replies as Block Kit: a question with its buttons, a result card, a shared summary.

Pure functions (reply in, blocks out), so every node of every dialog can be rendered and run
through slack_sdk's own validation in a test without a server.
"""

from __future__ import annotations

import time

from adapters.slack.text import clip, escape, mrkdwn, plain
from adapters.slack.values import ButtonValue
from bot import words
from bot.conversation.bars import score_bar
from bot.conversation.replies import Advice, History, Question, ResultCard

MAX_CHECKBOXES = 10  # Slack's limit for a checkboxes element; more options use a multi-select


def question_blocks(q: Question) -> list[dict]:
    blocks: list[dict] = [{"type": "section", "text": plain(q.description)}] if q.description else []
    blocks += [{"type": "section", "text": plain(p)} for p in q.preface]
    blocks.append({"type": "context", "elements": [plain(f"{q.dialog_title} · {q.progress.text}", 150)]})
    blocks.append({"type": "section", "block_id": "question", "text": plain(q.text)})
    blocks.extend(_answer_blocks(q))
    if q.previous:
        before = ", ".join(o.label for o in q.options if o.id in q.previous) or q.previous[0]
        blocks.append({"type": "context", "elements": [plain(f"{words.BEFORE_YOU_ANSWERED}: {before}")]})
    if q.why:
        cited = f" (from _{escape(q.source)}_)" if q.source else ""
        blocks.append({"type": "context", "elements": [mrkdwn(f"_Why it matters:_ {escape(q.why)}{cited}")]})
    blocks.append({"type": "actions", "block_id": "nav", "elements": _nav_buttons(q.session_id, q.version, q.can_go_back)})
    return blocks


def _answer_blocks(q: Question) -> list[dict]:
    at = ButtonValue(q.session_id, q.version, q.node)
    if q.kind == "text":
        return [
            {
                "type": "actions",
                "block_id": "answer",
                "elements": [button(words.TYPE_YOUR_ANSWER, "oc.text", at.encode(), style="primary")],
            },
            {"type": "context", "elements": [plain(words.OR_REPLY_HERE.format(max_length=q.max_length))]},
        ]
    if q.kind == "multi":
        options = [{"text": plain(o.label, 75), "value": o.id} for o in q.options]
        if len(options) <= MAX_CHECKBOXES:
            picker: dict = {"type": "checkboxes", "action_id": "oc.pick", "options": options}
        else:
            picker = {"type": "multi_static_select", "action_id": "oc.pick", "placeholder": plain(words.PICK, 150), "options": options}
        hint = words.TICK_ALL if q.min_picks == 0 else words.TICK_AT_LEAST.format(count=q.min_picks)
        return [
            {"type": "actions", "block_id": "picks", "elements": [picker]},
            {"type": "context", "elements": [plain(hint)]},
            {"type": "actions", "block_id": "answer", "elements": [button(words.NEXT, "oc.next", at.encode(), style="primary")]},
        ]
    buttons = [
        button(o.label, f"oc.answer.{i}", ButtonValue(q.session_id, q.version, q.node, o.id).encode(), label=_spoken(q, i))
        for i, o in enumerate(q.options)
    ]
    return [{"type": "actions", "block_id": "answer", "elements": buttons}]


def _spoken(q: Question, index: int) -> str:
    """A scale's "1" to "5" read out with what the ends mean; other choices say enough themselves."""
    if q.kind != "scale":
        return ""
    top = len(q.options)
    meaning = q.scale_low if index == 0 else q.scale_high if index == top - 1 else ""
    option = q.options[index].label
    return words.SCALE_POINT_LABEL.format(value=option, top=q.options[-1].label, meaning=meaning) if meaning else ""


def _nav_buttons(session: str, version: int, can_go_back: bool) -> list[dict]:
    value = ButtonValue(session, version).encode()
    buttons = [button(words.BACK, "oc.back", value, label=words.BACK_LABEL)] if can_go_back else []
    restart = button(words.START_OVER, "oc.restart", value, confirm=RESTART_CONFIRM if can_go_back else None, label=words.START_OVER_LABEL)
    buttons.append(restart)
    return buttons


# Slack asks before a click that throws answers away (its own confirmation dialog, no round trip)
RESTART_CONFIRM = {
    "title": {"type": "plain_text", "text": words.START_OVER_TITLE},
    "text": {"type": "plain_text", "text": words.START_OVER_WARNING},
    "confirm": {"type": "plain_text", "text": words.START_OVER},
    "deny": {"type": "plain_text", "text": words.KEEP_MY_ANSWERS},
}


def button(text: str, action_id: str, value: str, style: str = "", confirm: dict | None = None, label: str = "") -> dict:
    """`label`: what a screen reader says instead of `text`, where the text alone says little."""
    element: dict = {"type": "button", "text": plain(text, 75), "action_id": action_id, "value": value}
    if label:
        element["accessibility_label"] = clip(label, 75)
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element




def score_lines(card: ResultCard) -> str:
    return "\n".join(f"`{score_bar(s)}` {escape(s.label)} ({s.score:+d})" for s in card.scores)


def result_blocks(card: ResultCard) -> list[dict]:
    blocks: list[dict] = [{"type": "section", "text": plain(p)} for p in card.preface]
    blocks += [
        {"type": "header", "text": plain(words.RECOMMENDATION_TITLE.format(title=card.title), 150)},
        {"type": "section", "text": plain(card.summary)},
    ]
    if card.reasons:
        blocks.append({"type": "section", "text": mrkdwn(clip(f"*{words.WHY_THIS_FITS}*\n" + _advice_lines(card.reasons, "✅"), 3000))})
    if card.tensions:
        blocks.append({"type": "section", "text": mrkdwn(clip(f"*{words.PULLS_OTHER_WAY}*\n" + _advice_lines(card.tensions, "⚠️"), 3000))})
    blocks.append({"type": "section", "text": mrkdwn(f"*{words.ANSWERS_AT_A_GLANCE}*\n" + score_lines(card))})
    blocks.append({"type": "section", "text": mrkdwn(f"*{words.NEXT_STEPS}*\n" + "\n".join(f"☐ {escape(s)}" for s in card.next_steps))})
    if card.still_to_settle:
        blocks.append({"type": "section", "text": mrkdwn(f"*{words.STILL_TO_SETTLE}*\n" + "\n".join(f"❓ {escape(s)}" for s in card.still_to_settle))})
    blocks.append({"type": "context", "elements": [plain(clip(words.BASED_ON + "; ".join(card.sources), 2000))]})
    value = ButtonValue(card.session_id, card.version).encode()
    blocks.append(
        {
            "type": "actions",
            "block_id": "result",
            "elements": [
                *([button(words.SHARE_TO_A_CHANNEL, "oc.share", value, style="primary")] if card.can_share else []),
                button(words.VET_AN_AGENCY, "oc.vet", value),
                button(words.BACK, "oc.back", value),
                button(words.START_OVER, "oc.restart", value, confirm=RESTART_CONFIRM),
            ],
        }
    )
    return blocks


def shared_summary_blocks(card: ResultCard, user_id: str) -> list[dict]:
    """What a channel sees when someone shares a result: attributed, compact, no buttons."""
    subject = f" for {escape(card.subject)}" if card.subject else ""
    return [
        {"type": "section", "text": mrkdwn(f"<@{user_id}> ran *{escape(card.dialog_title)}*{subject}.")},
        {"type": "header", "text": plain(words.RECOMMENDATION_TITLE.format(title=card.title), 150)},
        {"type": "section", "text": plain(card.summary)},
        {"type": "section", "text": mrkdwn(score_lines(card))},
        {"type": "section", "text": mrkdwn(f"*{words.NEXT_STEPS}*\n" + "\n".join(f"☐ {escape(s)}" for s in card.next_steps))},
        {"type": "context", "elements": [plain(clip(words.BASED_ON + "; ".join(card.sources), 2000))]},
    ]


def _advice_lines(items: tuple[Advice, ...], mark: str) -> str:
    lines = []
    for item in items:
        quote = f"\n>_“{escape(item.quote)}”_" + (f" ({escape(item.article)})" if item.article else "") if item.quote else ""
        lines.append(f"{mark} {escape(item.text)}{quote}")
    return "\n".join(lines)


def history_blocks(history: History) -> list[dict]:
    if not history.entries:
        return [{"type": "section", "text": plain(words.NO_FINISHED_CHECKS_SLACK)}]
    lines = [
        f"• {time.strftime('%Y-%m-%d', time.gmtime(e.finished_at))} *{escape(e.dialog_title)}*: {escape(e.outcome_title)}"
        for e in history.entries
    ]
    return [{"type": "section", "text": mrkdwn("*Your last results*\n" + "\n".join(lines))}]


def fallback_text(reply: Question | ResultCard) -> str:
    """The notification text Slack shows where blocks cannot be (parsed as mrkdwn: escaped)."""
    if isinstance(reply, Question):
        return escape(clip(f"{reply.progress.text}: {reply.text}", 3000))
    return escape(clip(f"Recommendation: {reply.title}. {reply.summary}", 3000))
