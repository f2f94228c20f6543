"""Team rounds as Block Kit: the round card, the comparison, thread prompts, the decision record."""

from __future__ import annotations

import json
import re

from adapters.slack.blocks import button
from adapters.slack.text import clip, escape, mrkdwn, plain
from adapters.slack.values import ButtonValue
from bot import words
from bot.conversation.bars import spread_bar
from bot.conversation.replies import DecisionRecord, Disagreement, End, Position, RoundCard, TeamSummary
from bot.team.comparison import moved_lines

MAX_REASON = 300  # the core keeps at most this many characters of a reason


def _value(round_id: str, version: int = 0, choice: str = "") -> str:
    return ButtonValue(round_id, version, "", choice).encode()


def round_card_blocks(card: RoundCard) -> list[dict]:
    finished = len(card.finished)
    status = words.ROUND_STATUS[card.status]
    names = ", ".join(card.joined) or words.NOBODY_YET
    lines = [
        words.STARTED_BY.format(starter=card.starter, status=status),
        words.TAKING_PART.format(names=names) + " "
        + (words.FINISHED_OF_EXPECTED.format(finished=finished, expected=card.expected) if card.expected else words.FINISHED_COUNT.format(finished=finished)),
        words.ANSWERS_HIDDEN + (words.NAMES_LEFT_OUT if card.anonymous else "."),
    ]
    if card.quorum:
        lines.append(words.QUORUM.format(quorum=card.quorum))
    blocks: list[dict] = [
        {"type": "header", "text": plain(words.TEAM_ROUND_TITLE.format(topic=card.topic or words.DEFAULT_TOPIC), 150)},
        {"type": "section", "text": plain("\n".join(lines))},
    ]
    if card.deadline and card.status == "open":
        when = f"<!date^{int(card.deadline)}^{{date_short_pretty}} at {{time}}|at the deadline>"
        blocks.append({"type": "context", "elements": [mrkdwn(escape(words.REVEALS_ON_ITS_OWN).replace("{when}", when))]})
    if card.status == "open":
        blocks.append(
            {
                "type": "actions",
                "block_id": "round",
                "elements": [
                    button(words.TAKE_THE_CHECK, "oc.round.take", _value(card.round_id), style="primary"),
                    button(words.REVEAL, "oc.round.reveal", _value(card.round_id)),
                ],
            }
        )
    return blocks




def summary_blocks(summary: TeamSummary, *, closed: bool = False) -> list[dict]:
    members = "\n".join(f"• {escape(m.name)}: {escape(m.outcome)}" for m in summary.members)
    spreads = "\n".join(
        f"`{spread_bar(s)}` {escape(s.label)}: {s.low:+d} to {s.high:+d} (median {s.median:+g})" for s in summary.spreads
    )
    agreeing, finished = summary.agreement
    blocks: list[dict] = [
        {"type": "header", "text": plain(words.TEAM_RESULTS_TITLE.format(topic=summary.topic or words.DEFAULT_TOPIC), 150)},
        {"type": "section", "text": mrkdwn(f"*{words.EACH_MEMBERS_RECOMMENDATION}*\n{members}")},
        {"type": "section", "text": mrkdwn(f"*{words.WHERE_TEAM_STANDS}* {words.WHERE_TEAM_STANDS_KEY}\n{spreads}")},
        {
            "type": "section",
            "text": mrkdwn(
                f"*{escape(words.TEAM_RECOMMENDATION.format(title=summary.team_outcome_title))}*\n"
                + words.AGREEMENT.format(agreeing=agreeing, finished=finished, strength=summary.strength)
            ),
        },
        {"type": "context", "elements": [plain(words.RULE_LINE.format(rule=summary.rule))]},
    ]
    moved = moved_lines(summary)
    if moved:
        lines = "\n".join(f"• {escape(line)}" for line in moved)
        blocks.append({"type": "section", "text": mrkdwn(clip(f"*{words.SECOND_LOOKS_TITLE}*\n{lines}", 3000))})
    if summary.disagreements:
        blocks.append({"type": "context", "elements": [plain(words.SPLIT_IN_THREAD.format(count=len(summary.disagreements)))]})
    counts = dict(summary.positions)
    tally = ", ".join(f"{words.STANCE_LABELS[stance]} {count}" for stance, count in summary.positions)
    if closed:  # the decision is recorded: the positions stay as counts, and only the export is left to press
        blocks.append({"type": "section", "text": plain(words.CLOSED_POSITIONS.format(tally=tally))})
        blocks.append({"type": "actions", "block_id": "close", "elements": [button(words.EXPORT_AS_MARKDOWN, "oc.round.export", _value(summary.round_id))]})
        return blocks
    quorum = " " + words.QUORUM.format(quorum=summary.quorum) if summary.quorum else ""
    blocks.append(
        {
            "type": "section",
            "text": plain(words.PROPOSED_DECISION_IS.format(title=summary.team_outcome_title) + quorum),
        }
    )
    buttons = [
        button(
            f"{words.STANCE_LABELS[stance]} ({counts.get(stance, 0)})", f"oc.round.position.{stance}", _value(summary.round_id, 0, stance),
            label=words.STANCE_ACCESSIBLE[stance].format(count=counts.get(stance, 0)),
        )
        for stance in words.STANCE_LABELS
    ]
    blocks.append({"type": "actions", "block_id": "positions", "elements": buttons})
    if summary.can_look_again:
        look = button(words.TAKE_A_SECOND_LOOK, "oc.round.look", _value(summary.round_id))
        blocks.append({"type": "actions", "block_id": "look", "elements": [look]})
    blocks.append(
        {
            "type": "actions",
            "block_id": "close",
            "elements": [
                button(words.CLOSE_AND_RECORD, "oc.round.close", _value(summary.round_id), style="primary"),
                button(words.EXPORT_AS_MARKDOWN, "oc.round.export", _value(summary.round_id)),
            ],
        }
    )
    return blocks


def _metadata(round_id: str, choice: str, channel: str, ts: str) -> str:
    """Which round (and stance) a modal is about, and the comparison to update after: checked again on submit."""
    return json.dumps({"v": _value(round_id, 0, choice), "ch": channel, "ts": ts}, separators=(",", ":"))


def position_modal(round_id: str, stance: str, channel: str, ts: str) -> dict:
    """Agree, abstain or object, with an optional reason (callback `oc.round.position`)."""
    return {
        "type": "modal",
        "callback_id": "oc.round.position",
        "title": plain(words.YOUR_POSITION, 24),
        "submit": plain(words.STANCE_LABELS.get(stance, words.SAVE), 24),
        "close": plain(words.CANCEL, 24),
        "private_metadata": _metadata(round_id, stance, channel, ts),
        "blocks": [
            {"type": "section", "text": plain(f"{words.STANCE_LEADS.get(stance, 'Your position on')} the team's proposed decision.")},
            {
                "type": "input",
                "block_id": "reason",
                "optional": True,
                "label": plain(words.WHY_OPTIONAL, 2000),
                "element": {"type": "plain_text_input", "action_id": "text", "max_length": MAX_REASON},
            },
        ],
    }


def close_reason_modal(round_id: str, refusal: str, channel: str, ts: str) -> dict:
    """Closing before the quorum: the closer says why (callback `oc.round.close`); the record keeps it."""
    return {
        "type": "modal",
        "callback_id": "oc.round.close",
        "title": plain(words.CLOSE_THE_ROUND, 24),
        "submit": plain(words.CLOSE, 24),
        "close": plain(words.CANCEL, 24),
        "private_metadata": _metadata(round_id, "", channel, ts),
        "blocks": [
            {"type": "section", "text": plain(refusal)},
            {
                "type": "input",
                "block_id": "reason",
                "label": plain(words.WHY_CLOSE_NOW, 2000),
                "element": {"type": "plain_text_input", "action_id": "text", "min_length": 1, "max_length": MAX_REASON},
            },
        ],
    }


def prompt_text(number: int, prompt: Disagreement) -> str:
    split = ", ".join(f"{escape(label)} ({count})" for label, count in prompt.split)
    why = f"\n_{words.WHY_THE_ARTICLE_ASKS}_ {escape(prompt.why)} ({escape(prompt.source)})" if prompt.why else ""
    title = escape(words.DISCUSSION.format(number=number, question=prompt.question))
    return f"*{title}*\n{words.TEAM_ANSWERED.format(split=split)}{ends_text(prompt)}{why}"


def ends_text(prompt: Disagreement) -> str:
    """Who stands at each end, by mention (ids from the core, never typed text), asked to say why."""
    if len(prompt.ends) < 2:
        return ""
    sides = [f"{_who(end)} ({escape(end.answer)})" for end in prompt.ends]
    return words.AT_ONE_END.format(one=sides[0], other=sides[1])


SLACK_USER = re.compile(r"^slack:[A-Z0-9]+:([A-Z0-9]+)$")


def _who(end: End) -> str:
    ids = [m.group(1) for key in end.members if (m := SLACK_USER.match(key))]
    if not ids:
        return f"{end.count} member{'s' if end.count != 1 else ''}"
    return ", ".join(f"<@{i}>" for i in ids)


def position_text(position: Position) -> str:
    said = f"{escape(position.name)} {words.STANCE_WORDS.get(position.stance, position.stance)}"
    return f"• {said}: {escape(position.reason)}" if position.reason else f"• {said}"


def decision_blocks(record: DecisionRecord) -> list[dict]:
    positions = "\n".join(position_text(p) for p in record.positions) or f"• {words.NO_POSITIONS}"
    objections = "\n".join(f"• {escape(p.name)}: {escape(p.reason or words.NO_REASON_GIVEN)}" for p in record.objections) or f"• {words.NO_OBJECTIONS}"
    about = f"{record.date} · {record.topic or words.DEFAULT_TOPIC} · {', '.join(record.participants)}"
    blocks: list[dict] = [
        {"type": "header", "text": plain(words.DECISION_TITLE.format(decision=record.decision), 150)},
        {"type": "context", "elements": [plain(about)]},
        {"type": "section", "text": plain(words.PROPOSED)},
    ]
    if record.review_on:
        blocks.append({"type": "context", "block_id": "review_on", "elements": [plain(words.REVIEW_LINE.format(date=record.review_on))]})
    if record.closed_short:
        blocks.append({"type": "section", "block_id": "closed_short", "text": plain(record.closed_short)})
    blocks += [
        {"type": "section", "block_id": "positions", "text": mrkdwn(f"*{words.POSITIONS}*\n{positions}")},
        {"type": "section", "block_id": "objections", "text": mrkdwn(f"*{words.OBJECTIONS}*\n{objections}")},
        {"type": "section", "text": mrkdwn(f"*{words.MAIN_REASONS}*\n" + "\n".join(f"• {escape(r)}" for r in record.reasons))},
        {"type": "section", "text": mrkdwn(f"*{words.NEXT_STEPS}*\n" + "\n".join(f"☐ {escape(s)}" for s in record.next_steps))},
    ]
    if record.follow_with:
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn(words.SLACK_VET_BEFORE_SIGNING),
            }
        )
    return blocks


def markdown_blocks(record: DecisionRecord) -> list[dict]:
    return [{"type": "section", "text": mrkdwn(f"```{escape(clip(record.markdown, 2900))}```")}]
