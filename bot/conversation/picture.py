"""The picture of a team comparison and of one result: a PNG any platform can attach.

The text bars (`bars.py`) show a team's span and median; a picture can show every member as a
point, so a team sees who sits where at a glance. It is drawn here, in the core, because it is
the same picture on every platform: an adapter only uploads the bytes and gives screen readers
the `alt` text beside them.

Choices, and why:

- Pillow's bundled font (`ImageFont.load_default(size=...)`, laid out without raqm), never a font
  of the host: the same input gives the same bytes on any machine with the same Pillow.
- An opaque white background: Slack and Discord show images on their own (light or dark)
  backgrounds, and a transparent chart would vanish on a dark one.
- The Okabe-Ito palette, safe for the common colour blindnesses; the team median is told apart
  by its shape (a diamond on a line) as well as its colour, and each member by a letter in their
  point, so nothing depends on colour alone.
- Members at the same (or nearly the same) score are stacked above the axis, never drawn on top
  of each other.
- Text comes from users (topic, names): it is drawn as plain text, control characters become
  spaces (a newline would otherwise start a second line), and anything too wide is clipped with
  an ellipsis. Glyphs the bundled font lacks (emoji, most non-Latin scripts) show as boxes,
  which is why the `alt` text, which screen readers and copy-paste use, carries the real text.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from math import floor

from PIL import Image, ImageDraw, ImageFont

from bot import words
from bot.conversation import png
from bot.conversation.replies import ResultCard, TeamSummary

WIDTH = 800
MARGIN = 20
LABEL_WIDTH = 190  # the dimension labels' column; the axis takes the rest
RADIUS = 9  # a member's point
STEP = 2 * RADIUS + 2  # how far apart stacked points sit
DIAMOND = 7  # the team median's half-width
COMPRESS_LEVEL = 1  # flat colours compress well even at the fastest level; size hardly changes

WHITE = (255, 255, 255)
TEXT = (34, 34, 34)
MUTED = (96, 96, 96)
AXIS = (120, 120, 120)
BAND = (208, 208, 208)  # the team's span, lowest to highest
RULE = (232, 232, 232)  # between rows
OUTLINE = (51, 51, 51)  # around points, so the light colours hold on white
# Okabe-Ito; vermilion is kept for the median alone, black for text
MEDIAN = (213, 94, 0)
MEMBER_COLOURS = (
    (0, 114, 178),  # blue
    (230, 159, 0),  # orange
    (0, 158, 115),  # bluish green
    (204, 121, 167),  # reddish purple
    (86, 180, 233),  # sky blue
    (240, 228, 66),  # yellow
)

Colour = tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class Picture:
    """A PNG to attach, the text screen readers get instead, and the name to upload it under."""

    png: bytes
    alt: str
    filename: str


@dataclass(frozen=True)
class _Row:
    """One dimension as drawn: its axis, the team's span and median (if any) and the points on it."""

    label: str
    range_low: int
    range_high: int
    points: tuple[tuple[str, int], ...]  # (mark, score), the mark drawn in the point
    span: tuple[int, int] | None = None
    median: float | None = None


@dataclass(frozen=True)
class _LegendItem:
    kind: str  # "point", "median" or "span"
    text: str
    mark: str = ""
    colour: Colour = MEMBER_COLOURS[0]


def team_picture(summary: TeamSummary) -> Picture:
    """The team comparison: per dimension, each finished member a lettered point and the team median.

    The round's names are the summary's display names, so an anonymous round shows neutral marks
    and "Member N", never a name."""
    names = max((s.points for s in summary.spreads), key=len, default=())
    rows = tuple(
        _Row(
            s.label,
            s.range_low,
            s.range_high,
            tuple((_mark(i), score) for i, (_, score) in enumerate(s.points) if score is not None),
            (s.low, s.high),
            s.median,
        )
        for s in summary.spreads
    )
    legend = [
        *(_LegendItem("point", name, _mark(i), _colour(i)) for i, (name, _) in enumerate(names)),
        _LegendItem("median", words.PICTURE_TEAM_MEDIAN),
        _LegendItem("span", words.PICTURE_TEAM_SPAN),
    ]
    topic = summary.topic or words.DEFAULT_TOPIC
    agreeing, finished = summary.agreement
    outcome = words.PICTURE_TEAM_OUTCOME.format(
        title=summary.team_outcome_title, agreeing=agreeing, finished=finished, strength=summary.strength
    )
    lines = [words.TEAM_RESULTS_TITLE.format(topic=_plain(topic)), _plain(outcome)]
    for s in summary.spreads:
        members = ", ".join(f"{_plain(name)} at {score:g}" for name, score in s.points if score is not None) or words.PICTURE_NO_POINTS
        lines.append(
            words.PICTURE_TEAM_LINE.format(
                label=_plain(s.label), members=members, median=f"{s.median:g}", low=s.range_low, high=s.range_high
            )
        )
    png = _draw(words.TEAM_RESULTS_TITLE.format(topic=topic), outcome, rows, legend)
    return Picture(png, "\n".join(lines), "team-comparison.png")


def result_picture(card: ResultCard) -> Picture:
    """One person's result: per dimension, where their score sits in the dimension's reachable range."""
    title, outcome, rows, legend = _result_parts(card)
    lines = [_plain(title), _plain(outcome)] + [
        words.PICTURE_YOUR_LINE.format(label=_plain(line.heading), score=line.score, low=line.low, high=line.high)
        for line in card.scores
    ]
    png = _draw(title, outcome, rows, legend, indexed=True)
    return Picture(png, "\n".join(lines), "your-result.png")


def is_quick(card: ResultCard) -> bool:
    """Whether the result's base is drawn already, so its picture costs under a millisecond (else
    10-20 ms: a base's text, drawn once per outcome, and for every agency vetted by name)."""
    title, outcome, rows, legend = _result_parts(card)
    return _key(title, outcome, rows, legend, True)[0] in _BASES


def _result_parts(card: ResultCard) -> tuple[str, str, tuple[_Row, ...], tuple[_LegendItem, ...]]:
    # the plain label: the picture's label column has no room for why a bar is empty (the alt text says it)
    rows = tuple(_Row(line.label, line.low, line.high, (("", line.score),)) for line in card.scores)
    title = f"{card.dialog_title}: {card.subject}" if card.subject else card.dialog_title
    return title, words.PICTURE_YOUR_OUTCOME.format(title=card.title), rows, (_LegendItem("point", words.PICTURE_YOU),)


def _mark(index: int) -> str:
    """A, B, ... Z, AA, AB, ...: letters, so a mark is never mistaken for a score on the axis."""
    mark = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        mark = chr(ord("A") + rest) + mark
    return mark


def _colour(index: int) -> Colour:
    return MEMBER_COLOURS[index % len(MEMBER_COLOURS)]


def _ink_on(colour: Colour) -> Colour:
    """Dark letters on light points, white on dark ones (relative luminance, roughly)."""
    red, green, blue = colour
    return TEXT if 0.2126 * red + 0.7152 * green + 0.0722 * blue > 140 else WHITE


def _plain(text: str) -> str:
    """One line of text: control and format characters (newlines, direction marks) become spaces or go."""
    if text.isprintable():  # nearly always: no character of those categories (the check runs in C)
        return text.strip()
    out = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Cf":
            continue
        out.append(" " if category[0] == "C" or category in ("Zl", "Zp") else char)
    return "".join(out).strip()


def _font(size: int) -> Font:
    """Pillow's bundled font: one face per size and thread, as FreeType faces are not safe to share
    between threads (results are drawn on the event loop, a team's picture in a worker)."""
    return _face(size, threading.get_ident())


@lru_cache(maxsize=16)
def _face(size: int, thread: int) -> Font:
    return ImageFont.load_default(size=size)


def _clip(draw: ImageDraw.ImageDraw, text: str, font: Font, width: float) -> str:
    """The longest start of `text` that fits `width` pixels, with an ellipsis when cut."""
    text = _plain(text)
    if draw.textlength(text, font=font) <= width:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        middle = (low + high + 1) // 2
        if draw.textlength(text[:middle].rstrip() + "…", font=font) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "…" if low else ""


def _stack(xs: Sequence[float]) -> list[int]:
    """Each point's level above the axis: the lowest where it does not touch a point already placed."""
    placed: list[tuple[float, int]] = []
    levels = []
    for x in xs:
        taken = {level for other, level in placed if abs(other - x) < 2 * RADIUS + 1}
        level = next(n for n in range(len(placed) + 1) if n not in taken)
        placed.append((x, level))
        levels.append(level)
    return levels


def _ticks(low: int, high: int) -> list[int]:
    """Both ends of the range, and round numbers between them, about ten at most."""
    span = high - low
    step = 1
    for candidate in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000):
        step = candidate
        if span / candidate <= 10:
            break
    inner = range(-(-low // step) * step, high + 1, step) if span > 0 else range(0)
    near = max(1.0, span / 20)  # too close to an end, its label would run into the end's
    return [low, *(t for t in inner if t - low >= near and high - t >= near), *([high] if high != low else [])]


AXIS_LEFT = MARGIN + LABEL_WIDTH + RADIUS
AXIS_RIGHT = WIDTH - MARGIN - RADIUS - 8


def _at(value: float, low: int, high: int) -> float:
    span = high - low
    where = 0.5 if span <= 0 else min(1.0, max(0.0, (value - low) / span))
    return AXIS_LEFT + where * (AXIS_RIGHT - AXIS_LEFT)


def _draw(title: str, subtitle: str, rows: Sequence[_Row], legend: Sequence[_LegendItem], *, indexed: bool = False) -> bytes:
    """The picture: a base (titles, legend, labels, axes, the team's spans: all the text, which is the
    slow part) drawn once per layout and kept, then the points and medians drawn over a copy.
    `indexed`: a palette PNG (the picture's own few colours), a fifth of the bytes and of the encoding,
    in which only the bands of scanlines the points touched are compressed again (png.py)."""
    key, placed = _key(title, subtitle, rows, legend, indexed)
    base, axes, bands = _base(key)
    image = base.copy()
    draw = ImageDraw.Draw(image)
    changed: list[tuple[int, int]] = []
    for row, (xs, levels, _), axis_y in zip(rows, placed, axes, strict=True):
        for index, ((mark, _), x, level) in enumerate(zip(row.points, xs, levels, strict=True)):
            changed.append(_point(image, x, axis_y - 4 - RADIUS - level * STEP, _colour(index), mark))
        if row.median is not None:  # in front of the points (its line is in the base, behind them)
            _diamond(draw, _at(row.median, row.range_low, row.range_high), axis_y, fill=_ink(image, MEDIAN))
            changed.append((axis_y - DIAMOND, axis_y + DIAMOND))
    if bands is not None:
        return png.encode(image, bands, changed)
    out = BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=COMPRESS_LEVEL)
    return out.getvalue()


Layout = tuple[tuple[str, int, int, "tuple[int, int] | None", "float | None", int], ...]


BaseKey = tuple[str, str, Layout, tuple[_LegendItem, ...], bool]
Placed = list[tuple[list[float], list[int], int]]
MAX_BASES = 64
_BASES: dict[BaseKey, tuple[Image.Image, tuple[int, ...], png.Bands | None]] = {}
_BASES_LOCK = threading.Lock()


def _key(title: str, subtitle: str, rows: Sequence[_Row], legend: Sequence[_LegendItem], indexed: bool) -> tuple[BaseKey, Placed]:
    """What the base depends on (everything but the points' places), and where each point goes."""
    placed = []
    for row in rows:
        xs = [_at(score, row.range_low, row.range_high) for _, score in row.points]
        levels = _stack(xs)
        placed.append((xs, levels, max(levels, default=0) + 1))
    layout = tuple((row.label, row.range_low, row.range_high, row.span, row.median, stacks) for row, (_, _, stacks) in zip(rows, placed, strict=True))
    return (title, subtitle, layout, tuple(legend), indexed), placed


def _base(key: BaseKey) -> tuple[Image.Image, tuple[int, ...], png.Bands | None]:
    """Everything but the points: the same for every result of one outcome in one dialog, so drawn
    once and kept (the oldest forgotten past `MAX_BASES`). Returns the image (copy it before
    drawing on it), each row's axis height, and for an indexed picture its scanlines compressed
    band by band."""
    found = _BASES.get(key)
    if found is None:
        drawn = _drawn_base(*key)
        with _BASES_LOCK:  # results are drawn on the event loop, a team's picture in a worker thread
            found = _BASES.setdefault(key, drawn)
            while len(_BASES) > MAX_BASES:
                del _BASES[next(iter(_BASES))]
    return found


def _drawn_base(
    title: str, subtitle: str, layout: Layout, legend: tuple[_LegendItem, ...], indexed: bool
) -> tuple[Image.Image, tuple[int, ...], png.Bands | None]:
    title_font, text_font, small_font = _font(18), _font(14), _font(11)
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    legend_lines = _legend_lines(measure, legend, text_font)
    header = MARGIN + 26 + 22 + len(legend_lines) * 24 + 8
    heights = [12 + stacks * STEP + 6 + 22 for *_, stacks in layout]
    image = Image.new("RGB", (WIDTH, header + sum(heights) + MARGIN), WHITE)
    draw = ImageDraw.Draw(image)
    usable = WIDTH - 2 * MARGIN
    draw.text((MARGIN, MARGIN), _clip(draw, title, title_font, usable), fill=TEXT, font=title_font)
    draw.text((MARGIN, MARGIN + 26), _clip(draw, subtitle, text_font, usable), fill=MUTED, font=text_font)
    y = MARGIN + 26 + 22 + 4
    for line in legend_lines:
        for left, item, text in line:
            _legend_symbol(image, draw, item, left + RADIUS, y + 10)
            draw.text((left + 2 * RADIUS + 6, y + 10), text, fill=TEXT, font=text_font, anchor="lm")
        y += 24
    top, axes = header, []
    for (label, low, high, span, median, stacks), row_height in zip(layout, heights, strict=True):
        draw.line((MARGIN, top, WIDTH - MARGIN, top), fill=RULE, width=1)
        axis_y = top + 12 + stacks * STEP + 6
        axes.append(axis_y)
        draw.text((MARGIN, axis_y - RADIUS), _clip(draw, label, text_font, LABEL_WIDTH - 12), fill=TEXT, font=text_font, anchor="lm")
        if span is not None:
            draw.rectangle((_at(span[0], low, high) - 2, axis_y - 3, _at(span[1], low, high) + 2, axis_y + 3), fill=BAND)
        draw.line((AXIS_LEFT, axis_y, AXIS_RIGHT, axis_y), fill=AXIS, width=1)
        for tick in _ticks(low, high):
            x = _at(tick, low, high)
            draw.line((x, axis_y, x, axis_y + 4), fill=AXIS, width=1)
            draw.text((x, axis_y + 6), f"{tick:g}", fill=MUTED, font=small_font, anchor="mt")
        if median is not None:
            draw.line((_at(median, low, high), top + 8, _at(median, low, high), axis_y), fill=MEDIAN, width=2)
        top += row_height
    if indexed:
        image = image.quantize(palette=_palette(), dither=Image.Dither.NONE)
        return image, tuple(axes), png.bands_of(image)
    return image, tuple(axes), None


@lru_cache(maxsize=1)
def _palette() -> Image.Image:
    """The picture's own colours exactly, and a ramp of greys for the edges of its (anti-aliased) text."""
    colours = [WHITE, TEXT, MUTED, AXIS, BAND, RULE, OUTLINE, MEDIAN, *MEMBER_COLOURS]
    named = [red for red, green, blue in colours if red == green == blue]
    # Pillow matches a colour to the palette at reduced precision: a ramp grey within 8 of a named
    # one would take its place, so the ramp leaves room around each
    colours += [(g, g, g) for g in range(0, 256, 8) if all(abs(g - n) >= 8 for n in named)]
    palette = Image.new("P", (1, 1))
    palette.putpalette([c for colour in colours for c in colour] + [255, 255, 255] * (256 - len(colours)))
    return palette


def _ink(image: Image.Image, colour: Colour) -> Colour | int:
    """A colour as `image` takes it: itself, or its index in an indexed picture's palette."""
    if image.mode != "P":
        return colour
    rgb = image.getpalette() or []
    return next(i for i in range(len(rgb) // 3) if tuple(rgb[3 * i: 3 * i + 3]) == colour)


def _legend_lines(
    draw: ImageDraw.ImageDraw, legend: Sequence[_LegendItem], font: Font
) -> list[list[tuple[int, _LegendItem, str]]]:
    """The legend's items flowed into lines that fit the width: (x, item, clipped text) each."""
    lines: list[list[tuple[int, _LegendItem, str]]] = [[]]
    x = MARGIN
    for item in legend:
        text = _clip(draw, item.text, font, 160)
        width = 2 * RADIUS + 6 + floor(draw.textlength(text, font=font)) + 18
        if lines[-1] and x + width > WIDTH - MARGIN:
            lines.append([])
            x = MARGIN
        lines[-1].append((x, item, text))
        x += width
    return lines


def _legend_symbol(image: Image.Image, draw: ImageDraw.ImageDraw, item: _LegendItem, x: float, y: float) -> None:
    if item.kind == "point":
        _point(image, x, y, item.colour, item.mark)
    elif item.kind == "median":
        draw.line((x, y - RADIUS, x, y + RADIUS), fill=MEDIAN, width=2)
        _diamond(draw, x, y)
    else:
        draw.rectangle((x - RADIUS, y - 3, x + RADIUS, y + 3), fill=BAND)
        draw.line((x - RADIUS, y, x + RADIUS, y), fill=AXIS, width=1)


def _point(image: Image.Image, x: float, y: float, colour: Colour, mark: str) -> tuple[int, int]:
    """Paste the point; returns the rows it covers (top, bottom)."""
    sprite = _sprite(colour, mark)
    where = (round(x) - RADIUS, round(y) - RADIUS)
    if image.mode == "P":  # the sprite in the picture's palette, its alpha as the mask
        image.paste(_indexed_sprite(colour, mark), where, sprite.getchannel("A"))
    else:
        image.paste(sprite, where, sprite)
    return where[1], where[1] + 2 * RADIUS


@lru_cache(maxsize=256)
def _indexed_sprite(colour: Colour, mark: str) -> Image.Image:
    return _sprite(colour, mark).convert("RGB").quantize(palette=_palette(), dither=Image.Dither.NONE)


@lru_cache(maxsize=256)
def _sprite(colour: Colour, mark: str) -> Image.Image:
    """A point with its letter, drawn once and pasted wherever it goes: text is the slow part of a picture."""
    sprite = Image.new("RGBA", (2 * RADIUS + 1, 2 * RADIUS + 1), (0, 0, 0, 0))
    draw = ImageDraw.Draw(sprite)
    draw.ellipse((0, 0, 2 * RADIUS, 2 * RADIUS), fill=colour, outline=OUTLINE, width=1)
    if mark:
        draw.text((RADIUS, RADIUS), mark, fill=_ink_on(colour), font=_font(11 if len(mark) == 1 else 9), anchor="mm")
    return sprite


def _diamond(draw: ImageDraw.ImageDraw, x: float, y: float, size: int = DIAMOND, fill: Colour | int = MEDIAN) -> None:
    draw.polygon(((x, y - size), (x + size, y), (x, y + size), (x - size, y)), fill=fill, outline=fill)
