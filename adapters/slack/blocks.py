"""A card (bot/conversation/cards.py) as Block Kit: the core decides the lines, this only formats.

Pure functions (card in, blocks out), so every card of every dialog can be run through slack_sdk's
own validation in a test without a server. Core text is plain: whatever goes into mrkdwn is
escaped here, which is what turns a typed `<!channel>` into inert text.
"""

from __future__ import annotations

import re

from adapters.common.text import clip
from bot import words
from bot.conversation.cards import (
    Ask,
    Button,
    Card,
    Cite,
    Code,
    Confirm,
    Line,
    Person,
    Row,
    Section,
    Strong,
    Text,
    When,
    Where,
    plain_text,
    spans,
)
from bot.conversation.layout import card_of
from bot.conversation.replies import Reply

MAX_CHECKBOXES = 10  # Slack's limit for a checkboxes element; more options use a multi-select
SLACK_USER = re.compile(r"^slack:[A-Z0-9]+:([A-Z0-9]+)$")
PICK = "oc.pick"  # a multi-choice question's boxes: ticking one changes nothing; Next reads them from the message's state
Rendered = tuple[str, list[dict] | None]


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str, limit: int = 3000) -> dict[str, object]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = 3000) -> dict[str, object]:
    """`text` must already be escaped where it holds core or user text."""
    return {"type": "mrkdwn", "text": clip(text, limit) or " "}


def marked(text: Text) -> str:
    """Spans as mrkdwn: plain words escaped, a person as a mention (Slack's own users only)."""
    out = []
    for span in spans(text):
        if isinstance(span, str):
            out.append(escape(span))
        elif isinstance(span, Strong):
            out.append(f"*{escape(span.text)}*")
        elif isinstance(span, Person):
            match = SLACK_USER.match(span.key)
            out.append(f"<@{match.group(1)}>" if match else escape(span.fallback))
        elif isinstance(span, Code):
            out.append(f"`{escape(span.text)}`")
        elif isinstance(span, Cite):
            out.append(f"_{escape(span.title)}_")
        elif isinstance(span, Where):
            out.append(f"<#{span.channel.partition(':')[0]}>")
        elif isinstance(span, When):
            out.append(f"<!date^{int(span.at)}^{{date_short_pretty}} at {{time}}|{escape(span.fallback)}>")
    return "".join(out)


def line(item: Line) -> str:
    text = " ".join(p for p in (item.mark, f"`{item.bar}`" if item.bar else "", marked(item.text)) if p)
    if item.quote:
        return text + f"\n>_“{escape(item.quote)}”_" + (f" ({escape(item.source)})" if item.source else "")
    return text + (" " + escape(words.FROM_SOURCE.format(source=item.source)) if item.source else "")


def section(part: Section) -> dict:
    body = "\n".join(line(i) for i in part.lines)
    named = {"block_id": part.name} if part.name else {}
    if part.small:
        return {"type": "context", **named, "elements": [mrkdwn(f"{escape(part.heading)}: {body}" if part.heading else body)]}
    return {"type": "section", **named, "text": mrkdwn(f"*{escape(part.heading)}*\n{body}" if part.heading else body)}


def text_block(text: Text) -> dict:
    if isinstance(text, str):
        return {"type": "section", "text": plain(text)}
    return {"type": "section", "text": mrkdwn(marked(text))}


def blocks_of(card: Card) -> list[dict]:
    if card.code:
        return [{"type": "section", "text": mrkdwn(f"```{escape(clip(card.code, 2900))}```")}]
    blocks: list[dict] = []
    if card.title and card.headline:
        blocks.append({"type": "header", "text": plain(card.title, 150)})
    blocks += [text_block(t) for t in card.intro]
    if not card.headline:
        blocks.append({"type": "context", "elements": [plain(f"{card.title} · {plain_text(card.footer)}", 150)]})
    if card.prompt:
        blocks.append({"type": "section", "block_id": "question", "text": plain(card.prompt)})
    if card.ask is not None:
        blocks += ask_blocks(card.ask)
    blocks += [section(s) for s in card.sections if s.lines]
    if card.footer and card.headline:
        blocks.append({"type": "context", "elements": [plain(clip(plain_text(card.footer), 2000))]})
    blocks += [{"type": "actions", "block_id": row.name, "elements": buttons(row)} for row in card.rows]
    return blocks


def render(reply: Reply) -> Rendered:
    return render_card(card_of(reply))


def render_card(card: Card) -> Rendered:
    """(fallback text, blocks); the text is mrkdwn (Slack parses a message's fallback text), so escaped."""
    if card.plain and not card.rows and not card.code:
        return "\n".join(marked(t) for t in card.intro), None
    return escape(card.code or clip(plain_text(card.fallback), 3000)), blocks_of(card)


def ask_blocks(ask: Ask) -> list[dict]:
    if ask.kind == "text":
        return [
            {"type": "actions", "block_id": "answer", "elements": [button(Button(words.TYPE_YOUR_ANSWER, "text", ask.payload, style="primary"), "oc.text")]},
            {"type": "context", "elements": [plain(words.OR_REPLY_HERE.format(max_length=ask.max_length))]},
        ]
    if ask.kind == "multi":
        options = [{"text": plain(label, 75), "value": option} for option, label, _ in ask.options]
        if len(options) <= MAX_CHECKBOXES:
            picker: dict = {"type": "checkboxes", "action_id": PICK, "options": options}
        else:
            picker = {"type": "multi_static_select", "action_id": PICK, "placeholder": plain(words.PICK, 150), "options": options}
        hint = words.TICK_ALL if ask.min_picks == 0 else words.TICK_AT_LEAST.format(count=ask.min_picks)
        return [
            {"type": "actions", "block_id": "picks", "elements": [picker]},
            {"type": "context", "elements": [plain(hint)]},
            {"type": "actions", "block_id": "answer", "elements": [button(Button(words.NEXT, "next", ask.payload, style="primary"), "oc.next")]},
        ]
    answers = [Button(label, "answer", f"{ask.payload}:{option}", spoken=spoken) for option, label, spoken in ask.options]
    return [{"type": "actions", "block_id": "answer", "elements": buttons(Row("answer", tuple(answers)))}]


def buttons(row: Row) -> list[dict]:
    """Action ids are "oc.<act>", numbered where a row has the act more than once (ids are unique per block)."""
    repeated = len({b.act for b in row.buttons}) < len(row.buttons)
    return [button(b, f"oc.{b.act}.{i}" if repeated else f"oc.{b.act}") for i, b in enumerate(row.buttons)]


def button(b: Button, action_id: str) -> dict:
    element: dict = {"type": "button", "text": plain(b.label, 75), "action_id": action_id, "value": b.payload}
    if b.spoken:
        element["accessibility_label"] = clip(b.spoken, 75)
    if b.style in ("primary", "danger"):
        element["style"] = b.style
    if b.confirm is not None:
        element["confirm"] = confirm(b.confirm)
    return element


def confirm(c: Confirm) -> dict:
    """Slack asks before a click that throws something away: its own dialog, no round trip."""
    asked: dict = {"title": plain(c.title, 100), "text": plain(c.text), "confirm": plain(c.yes, 30), "deny": plain(c.no, 30)}
    return {**asked, "style": "danger"} if c.danger else asked


def act_of(action_id: str) -> str:
    """"oc.answer.2" -> "answer", "oc.round.take" -> "round.take"."""
    act = action_id.removeprefix("oc.")
    head, _, tail = act.rpartition(".")
    return head if tail.isdigit() else act
