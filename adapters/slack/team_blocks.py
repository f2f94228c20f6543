"""Team rounds as Block Kit: the round card, the comparison, thread prompts, the decision record."""

from __future__ import annotations

import re

from adapters.slack.blocks import button
from adapters.slack.text import clip, escape, mrkdwn, plain
from adapters.slack.values import ButtonValue
from bot.conversation.bars import spread_bar
from bot.conversation.replies import DecisionRecord, Disagreement, End, RoundCard, TeamSummary

DEFAULT_TOPIC = "Should we outsource our social media?"


def _value(round_id: str, version: int = 0, choice: str = "") -> str:
    return ButtonValue(round_id, version, "", choice).encode()


def round_card_blocks(card: RoundCard) -> list[dict]:
    finished = len(card.finished)
    status = {"open": "Open", "revealed": "Revealed: see the results below", "closed": "Closed"}[card.status]
    names = ", ".join(card.joined) or "nobody yet"
    lines = [
        f"Started by {card.starter}. {status}.",
        f"Taking part: {names}. Finished: {finished}" + (f" of {card.expected} expected" if card.expected else "") + ".",
        "Answers stay hidden until the reveal" + (", and names are left out of the results." if card.anonymous else "."),
    ]
    blocks: list[dict] = [
        {"type": "header", "text": plain(f"Team round: {card.topic or DEFAULT_TOPIC}", 150)},
        {"type": "section", "text": plain("\n".join(lines))},
    ]
    if card.deadline and card.status == "open":
        when = f"<!date^{int(card.deadline)}^{{date_short_pretty}} at {{time}}|at the deadline>"
        blocks.append({"type": "context", "elements": [mrkdwn(f"Reveals on its own {when} (at the first click after it).")]})
    if card.status == "open":
        blocks.append(
            {
                "type": "actions",
                "block_id": "round",
                "elements": [
                    button("Take the check", "oc.round.take", _value(card.round_id), style="primary"),
                    button("Reveal", "oc.round.reveal", _value(card.round_id)),
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
        {"type": "header", "text": plain(f"Team results: {summary.topic or DEFAULT_TOPIC}", 150)},
        {"type": "section", "text": mrkdwn(f"*Each member's recommendation*\n{members}")},
        {"type": "section", "text": mrkdwn(f"*Where the team stands* (lowest to highest, █ the median)\n{spreads}")},
        {
            "type": "section",
            "text": mrkdwn(
                f"*Team recommendation: {escape(summary.team_outcome_title)}*\n"
                f"{agreeing} of {finished} finished members got it: {summary.strength} agreement."
            ),
        },
        {"type": "context", "elements": [plain(f"Rule: {summary.rule}.")]},
    ]
    if summary.disagreements:
        blocks.append({"type": "context", "elements": [plain(f"{len(summary.disagreements)} questions the team split on are in the thread below.")]})
    votes = dict(summary.votes)
    if closed:  # the decision is recorded: the votes stay as counts, and only the export is left to press
        tally = ", ".join(f"{o.label} ({votes.get(o.id, 0)})" for o in summary.options if votes.get(o.id))
        blocks.append({"type": "section", "text": plain(f"Closed. Votes: {tally or 'none'}.")})
        blocks.append({"type": "actions", "block_id": "close", "elements": [button("Export as Markdown", "oc.round.export", _value(summary.round_id))]})
        return blocks
    buttons = [
        button(clip(f"{o.label} ({votes.get(o.id, 0)})", 75), f"oc.round.vote.{i}", _value(summary.round_id, 0, o.id))
        for i, o in enumerate(summary.options)
    ]
    blocks.append({"type": "section", "text": plain("Record your vote (one each, changeable until the round is closed):")})
    blocks.append({"type": "actions", "block_id": "votes", "elements": buttons})
    blocks.append(
        {
            "type": "actions",
            "block_id": "close",
            "elements": [
                button("Close and record the decision", "oc.round.close", _value(summary.round_id), style="primary"),
                button("Export as Markdown", "oc.round.export", _value(summary.round_id)),
            ],
        }
    )
    return blocks


def prompt_text(number: int, prompt: Disagreement) -> str:
    split = ", ".join(f"{escape(label)} ({count})" for label, count in prompt.split)
    why = f"\n_Why the article asks:_ {escape(prompt.why)} ({escape(prompt.source)})" if prompt.why else ""
    return f"*Discussion {number}: {escape(prompt.question)}*\nThe team answered: {split}.{ends_text(prompt)}{why}"


def ends_text(prompt: Disagreement) -> str:
    """Who stands at each end, by mention (ids from the core, never typed text), asked to say why."""
    if len(prompt.ends) < 2:
        return ""
    sides = [f"{_who(end)} ({escape(end.answer)})" for end in prompt.ends]
    return f"\nAt one end {sides[0]}; at the other {sides[1]}. What makes you see it that way? Say why here before anyone changes an answer."


SLACK_USER = re.compile(r"^slack:[A-Z0-9]+:([A-Z0-9]+)$")


def _who(end: End) -> str:
    ids = [m.group(1) for key in end.members if (m := SLACK_USER.match(key))]
    if not ids:
        return f"{end.count} member{'s' if end.count != 1 else ''}"
    return ", ".join(f"<@{i}>" for i in ids)


def decision_blocks(record: DecisionRecord) -> list[dict]:
    votes = "\n".join(f"• {escape(name)}: {escape(title)}" for name, title in record.votes) or "• no votes: the team's recommendation stands"
    blocks: list[dict] = [
        {"type": "header", "text": plain(f"Decision: {record.decision}", 150)},
        {"type": "context", "elements": [plain(f"{record.date} · {record.topic or DEFAULT_TOPIC} · {', '.join(record.participants)}")]},
        {"type": "section", "text": mrkdwn(f"*Votes*\n{votes}")},
        {"type": "section", "text": mrkdwn("*Main reasons*\n" + "\n".join(f"• {escape(r)}" for r in record.reasons))},
        {"type": "section", "text": mrkdwn("*Next steps*\n" + "\n".join(f"☐ {escape(s)}" for s in record.next_steps))},
    ]
    if record.follow_with:
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn("Before anyone signs with an agency, vet it: `/outsource-check agency <name>`."),
            }
        )
    return blocks


def markdown_blocks(record: DecisionRecord) -> list[dict]:
    return [{"type": "section", "text": mrkdwn(f"```{escape(clip(record.markdown, 2900))}```")}]
