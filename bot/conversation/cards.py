"""What a message shows, decided once for every platform: the view model adapters only format.

A `Card` says which lines a reply has, in which order, under which headings, with which buttons;
`layout.py` builds one for every reply. An adapter turns a card into its own markup (Block Kit, an
embed with components, terminal text) and nothing more, so a third platform is a formatter: it
never decides what a round card or a result says.

Text is plain (adapters escape it) except for the few spans a sentence may need: a strong phrase,
a person (a user key, which the platform may show as its mention), a moment (shown in the reader's
time zone where the platform can). Everything stays frozen and hashable, so a card can be cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.dialogs.model import QuestionKind

Style = Literal["", "primary", "danger", "success"]


@dataclass(frozen=True)
class Strong:
    text: str


@dataclass(frozen=True)
class Person:
    """A member, by user key ("slack:T1:U1"): a mention on the key's own platform, else `fallback`."""

    key: str
    fallback: str = ""


@dataclass(frozen=True)
class When:
    """A moment (seconds since 1970); `fallback` where the platform cannot show dates itself."""

    at: float
    fallback: str


@dataclass(frozen=True)
class Code:
    """A command to type, shown as code (the catalog writes it between backticks: see `coded`)."""

    text: str


@dataclass(frozen=True)
class Cite:
    """An article's title (never a file name): italic in chat, in quotes in a terminal."""

    title: str


@dataclass(frozen=True)
class Where:
    """A channel, by its surface prefix ("C123:"): the platform's link to it, else `fallback`."""

    channel: str
    fallback: str = "the channel"


Span = str | Strong | Person | When | Code | Cite | Where
Text = str | tuple[Span, ...]


@dataclass(frozen=True)
class Line:
    """One line of a section: a mark in front ("•", "✅"), an optional drawn bar, and the article's
    words under it (`quote`, from the article titled `source`; a source alone is cited after the text)."""

    text: Text
    mark: str = ""
    bar: str = ""
    quote: str = ""
    source: str = ""


@dataclass(frozen=True)
class Section:
    """Lines under a heading. `small`: small print beside the main text (a hint, a citation);
    `name`: a stable name platforms may use to find the block again (Slack's block_id)."""

    heading: str = ""
    lines: tuple[Line, ...] = ()
    small: bool = False
    name: str = ""


@dataclass(frozen=True)
class Confirm:
    """A question the platform asks before the click counts (where it can ask without a round trip)."""

    title: str
    text: str
    yes: str
    no: str
    danger: bool = False


@dataclass(frozen=True)
class Button:
    """`act` is what the click asks for (clicks.py reads it back with the payload): "answer",
    "back", "restart", "share", "vet", "type", "forget_yes", "take", "reveal", "position", ..."""

    label: str
    act: str
    payload: str = ""
    style: Style = ""
    spoken: str = ""  # what a screen reader says where the label alone says little
    confirm: Confirm | None = None


@dataclass(frozen=True)
class Row:
    name: str  # e.g. "nav", "positions", "close": Slack's block_id, Discord's row
    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class Ask:
    """A question's answer input, drawn with the platform's own widgets (buttons, a menu, a form)."""

    kind: QuestionKind
    payload: str  # session:version:node
    options: tuple[tuple[str, str, str], ...]  # (id, label, spoken)
    min_picks: int = 0
    max_picks: int = 0
    max_length: int = 0
    previous: tuple[str, ...] = ()  # the option ids (or the text) answered here before going back


@dataclass(frozen=True)
class Card:
    """One message. `headline`: the title heads the message (a result, a round); otherwise it is a
    label beside the small print (a question's dialog title beside its progress).
    `plain`: a message of text only (a notice, a thread prompt), no card around it.
    `code`: a block of text to copy (a decision record's Markdown)."""

    title: str = ""
    intro: tuple[Text, ...] = ()
    prompt: str = ""  # a question's own text, the loudest line
    ask: Ask | None = None
    sections: tuple[Section, ...] = ()
    footer: Text = ""
    rows: tuple[Row, ...] = ()
    headline: bool = True
    plain: bool = False
    code: str = ""
    code_name: str = ""  # the file name for `code` where it goes as a file ("decision-<round>.md")
    fallback: str = ""  # one line for notifications and screen readers
    picture: bool = False  # the reply has a picture (picture.py) to show with it
    mentions: tuple[str, ...] = ()  # the user keys this message may ping (a prompt asking them why)
    opens: bool = False  # a dialog's first question, where it introduces itself (a transcript heads it with the title)


def spans(text: Text) -> tuple[Span, ...]:
    return (text,) if isinstance(text, str) else text


def plain_text(text: Text) -> str:
    """The text with its spans as plain words (for fallbacks, thread names, the terminal)."""
    out = []
    for span in spans(text):
        if isinstance(span, str):
            out.append(span)
        elif isinstance(span, Strong):
            out.append(span.text)
        elif isinstance(span, (Code, Cite)):
            out.append(span.text if isinstance(span, Code) else span.title)
        else:  # Person, When, Where
            out.append(span.fallback)
    return "".join(out)


def coded(text: str) -> Text:
    """The catalog's sentences mark a command to type with backticks: those parts become `Code`."""
    if "`" not in text:
        return text
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an odd backtick (from a user's words): nothing is code
        return text
    return tuple(Code(p) if i % 2 else p for i, p in enumerate(parts) if p)
