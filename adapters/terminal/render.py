"""A card (bot/conversation/cards.py) as plain terminal text: no colours (output is often piped or
logged). The core decides the lines; this only formats them: wrapped, numbered choices, ASCII marks,
and the keys that stand for the card's buttons."""

from __future__ import annotations

import re
import textwrap

from bot import words
from bot.conversation.cards import Ask, Card, Cite, Code, Line, Person, Strong, Text, When, Where, spans
from bot.conversation.layout import card_of
from bot.conversation.replies import Reply

WIDTH = 76
MARKS = {"✅": "+", "⚠️": "!", "☐": "[ ]", "❓": "?", "•": "-"}
# the name as the shell reads it (bot/dialogs/commands.py quotes it): 'single', "double", bare, or those joined ('Joe'"'"'s')
COMMAND = re.compile(r"""outsource-check chat(?: --dialog \S+)?(?: --agency (?:'[^']*'|"[^"]*"|[^\s'"]+)+)?""")
KEEP = "\u00a0"  # textwrap splits only at ASCII whitespace: a command joined by this stays on one line


def render(reply: Reply) -> str:
    return render_card(card_of(reply))


def text_of(text: Text) -> str:
    out = []
    for span in spans(text):
        if isinstance(span, str):
            out.append(span)
        elif isinstance(span, (Strong, Code)):
            out.append(span.text)
        elif isinstance(span, Cite):
            out.append(f'"{span.title}"')
        elif isinstance(span, (Person, When, Where)):
            out.append(span.fallback)
    return "".join(out)


def wrap(text: str, indent: str = "", hanging: str | None = None) -> str:
    """Wrapped for the terminal; a command to type is never split across lines (nor at its hyphen)."""
    text = COMMAND.sub(lambda m: m.group(0).replace(" ", KEEP), text)
    wrapped = textwrap.fill(
        text, WIDTH, initial_indent=indent, subsequent_indent=indent if hanging is None else hanging,
        break_on_hyphens=False, break_long_words=False,
    )
    return wrapped.replace(KEEP, " ")


def said(item: Line) -> str:
    """A line's words, unwrapped: mark, bar, text, and the article it cites when it quotes none."""
    mark = MARKS.get(item.mark, item.mark)
    bar = f"[{item.bar.replace('█', '#').replace('░', '-').replace('▒', '=')}] " if item.bar else ""
    cited = " " + words.FROM_SOURCE.format(source=f'"{item.source}"') if item.source and not item.quote else ""
    return " ".join(p for p in (mark, bar + text_of(item.text) + cited) if p)


def line(item: Line) -> str:
    head = wrap(said(item), "  ", "    ")
    if item.quote:
        return head + "\n" + wrap(f'"{item.quote}"' + (f" - {item.source}" if item.source else ""), "      ")
    return head


def render_card(card: Card) -> str:
    if card.plain and not card.code:
        return "\n".join(f"! {text_of(t)}" for t in card.intro)
    if card.code:
        return card.code
    parts = []
    if card.headline and card.title:
        rule = "=" * WIDTH
        title = card.title.replace(words.RECOMMENDATION_TITLE.partition(":")[0], words.RECOMMENDATION_TITLE.partition(":")[0].upper(), 1)
        parts.append(f"{rule}\n{title}\n{rule}")
    elif card.title and card.opens:  # a question's dialog title, where the dialog introduces itself
        parts.append(card.title)
    parts += [wrap(text_of(t)) for t in card.intro]
    if card.prompt:
        parts.append(f"[{text_of(card.footer)}]\n{wrap(card.prompt)}")
    for section in card.sections:
        if section.name == "previous" or not section.lines:
            continue  # a question marks the earlier answer beside its option instead
        if section.small:
            parts.append(wrap(f"{section.heading}: " + " ".join(said(i) for i in section.lines), "  "))
            continue
        body = "\n".join(line(i) for i in section.lines)
        parts.append(f"{section.heading}:\n{body}" if section.heading else body)
    if card.ask is not None:
        parts.append(_ask(card.ask))
    if card.footer and not card.prompt:
        parts.append(wrap(text_of(card.footer)))
    keys = [words.TERMINAL_KEYS[b.act] for row in card.rows for b in row.buttons if b.act in words.TERMINAL_KEYS]
    if card.ask is not None or keys:
        parts.append(f"({', '.join([*keys, words.TERMINAL_QUIT_AND_RESUME if card.ask is not None else words.TERMINAL_QUIT])})")
    return "\n\n".join(parts)


def _ask(ask: Ask) -> str:
    if ask.kind == "text":
        before = f"\n  {words.BEFORE_YOU_ANSWERED}: {ask.previous[0]}" if ask.previous else ""
        return words.TERMINAL_TYPE.format(max_length=ask.max_length) + before

    def mark(option: str) -> str:
        return f"   {words.TERMINAL_BEFORE}" if option in ask.previous else ""

    if ask.kind == "scale":  # a scale's labels already start with their number
        shown = "\n".join(f"  {label}{mark(option)}" for option, label, _ in ask.options)
    else:
        shown = "\n".join(f"  {i}. {label}{mark(option)}" for i, (option, label, _) in enumerate(ask.options, 1))
    if ask.kind == "multi":
        pick = words.TERMINAL_PICK_ANY if ask.min_picks == 0 else words.TERMINAL_PICK_AT_LEAST.format(count=ask.min_picks)
        shown += "\n\n" + pick
    return shown
