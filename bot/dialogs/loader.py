"""Turns a dialog YAML file into validated `bot.dialogs.model` dataclasses, or explains what to fix.

Every problem is collected (not just the first) and names file, line, column and node, so an
author fixes a file in one pass. Graph-level checks live in `bot.dialogs.validator`.
"""

from __future__ import annotations

import gc
import hashlib
import os
from pathlib import Path as FilePath
from typing import Any

from bot.dialogs.model import RESULT, Article, Dialog, Dimension, Node, Outcome, Point, Source
from bot.dialogs.node_loader import NodeBuilder
from bot.dialogs.problems import DialogError, Problem, UnreadableDialog, did_you_mean
from bot.dialogs.references import References
from bot.dialogs.schema import Reader
from bot.dialogs.yaml_source import MAX_BYTES, Located, Path, YamlProblem, decode, parse, too_big

__all__ = ["RESULT", "load_dialog", "load_dialog_text", "read_dialog_file"]

TOP_KEYS = {"id", "title", "description", "sources", "dimensions", "start", "nodes", "outcomes"}
OUTCOME_KEYS = {
    "id", "title", "summary", "source", "why", "when", "fallback", "next_steps", "follow_with",
    "reasons", "tensions", "rules_out", "open_points", "review_after",
}
POINT_KEYS = {"text", "when", "source", "topic"}


def read_dialog_file(path: str | FilePath) -> str:
    """A dialog file's text; raise UnreadableDialog if it cannot be read, is too big or is not UTF-8.

    Never reads more than the size limit (a dialog path may name a device or a huge file).
    """
    path = FilePath(path)
    if path.exists() and not path.is_file():  # a folder, or a pipe or device that could block or never end
        raise UnreadableDialog([Problem(str(path), 1, 1, "cannot read the file: not a regular file")])
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
            size = os.fstat(file.fileno()).st_size if len(data) > MAX_BYTES else len(data)
    except OSError as exc:
        raise UnreadableDialog([Problem(str(path), 1, 1, f"cannot read the file: {exc.strerror or exc}")]) from None
    if size > MAX_BYTES:
        raise UnreadableDialog([Problem(str(path), 1, 1, too_big(size))])
    try:
        return decode(data)
    except YamlProblem as exc:
        raise UnreadableDialog([Problem(str(path), exc.line, exc.column, exc.message)]) from None


def load_dialog(path: str | FilePath) -> Dialog:
    """Load and validate one dialog file; raise DialogError listing every problem."""
    return load_dialog_text(read_dialog_file(path), str(path))


def load_dialog_text(text: str, filename: str = "<dialog>") -> Dialog:
    # Loading builds hundreds of thousands of small objects that all live on; the cyclic garbage
    # collector would rescan them again and again, making a big file cost more than its size.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load(text, filename)
    finally:
        if collecting:
            gc.enable()


def _load(text: str, filename: str) -> Dialog:
    try:
        located = parse(text)
    except YamlProblem as exc:
        raise DialogError([Problem(filename, exc.line, exc.column, exc.message)]) from None
    builder = _Builder(located, filename, hashlib.sha256(text.encode()).hexdigest()[:16])
    dialog = builder.build()
    if builder.read.problems or dialog is None:
        raise DialogError(builder.read.problems)
    return dialog


class _Builder:
    """The whole file: its references first, then every node and outcome (see node_loader)."""

    def __init__(self, located: Located, filename: str, content_hash: str) -> None:
        self.read = Reader(located, filename)
        self.refs = References(self.read)
        self.nodes = NodeBuilder(self.read, self.refs)
        self.filename = filename
        self.content_hash = content_hash

    def build(self) -> Dialog | None:
        data = self.read.located.data
        if not isinstance(data, dict):
            self.read.problem((), "a dialog file must be a mapping with id, title, dimensions, start, nodes, outcomes")
            return None
        self.read.check_keys(data, (), TOP_KEYS, "the dialog")
        dialog_id = self.read.get(data, (), "id", str, required=True, default="")
        if dialog_id:
            self.read.check_id(dialog_id, ("id",), "dialog")
        title = self.read.get(data, (), "title", str, required=True, default="")
        description = self.read.get(data, (), "description", str, default="")
        articles = self.build_sources(data)
        sources = tuple(a.file for a in articles)
        dimensions = self.build_dimensions(data)
        raw_nodes = self.read.get(data, (), "nodes", list, required=True, default=[], describe="a list of nodes")
        raw_outcomes = self.read.get(
            data, (), "outcomes", list, required=True, default=[], describe="a list of outcomes"
        )
        self.refs.dimension_ids = {d.id for d in dimensions}
        self.refs.node_ids = set(self.collect_ids(raw_nodes, ("nodes",), "node"))
        self.refs.outcome_ids = set(self.collect_ids(raw_outcomes, ("outcomes",), "outcome"))
        for clash in sorted(set(self.refs.node_ids) & set(self.refs.outcome_ids)):
            self.read.problem(("outcomes",), f"'{clash}' is both a node and an outcome id: rename one")
        self.refs.question_kinds = {}
        self.refs.choice_ids = {}
        for raw in raw_nodes:
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                self.refs.question_kinds[raw["id"]] = str(raw.get("kind", ""))
                choices = raw.get("choices")
                if not isinstance(choices, list):
                    choices = []
                self.refs.choice_ids[raw["id"]] = {c["id"] for c in choices if isinstance(c, dict) and isinstance(c.get("id"), str)}
        nodes: dict[str, Node] = {}
        for index, raw in enumerate(raw_nodes):
            node = self.nodes.build_node(raw, ("nodes", index), sources)
            if node is not None and node.id not in nodes:
                nodes[node.id] = node
        outcomes = [self.build_outcome(raw, ("outcomes", i), sources) for i, raw in enumerate(raw_outcomes)]
        outcomes_ok = tuple(o for o in outcomes if o is not None)
        fallbacks = [o for o in outcomes_ok if o.fallback]
        if len(raw_outcomes) and len(fallbacks) != 1:
            self.read.problem(
                ("outcomes",),
                "exactly one outcome needs 'fallback: true' (chosen when no rule holds);"
                f" found {len(fallbacks)}",
            )
        start = self.read.get(data, (), "start", str, required=True, default="", describe="the first node's id")
        if start and start not in self.refs.node_ids:
            self.read.problem(("start",), f"start: '{start}' is not a node{did_you_mean(start, self.refs.node_ids)}")
        if self.read.problems:
            return None
        return Dialog(
            id=dialog_id,
            title=title,
            description=description,
            start=start,
            dimensions=dimensions,
            nodes=nodes,
            outcomes=outcomes_ok,
            content_hash=self.content_hash,
            path=self.filename,
            sources=sources,
            articles=articles,
        )

    def build_sources(self, data: dict[str, Any]) -> tuple[Article, ...]:
        """Seeds as {file, title}: authors cite the file, users see the title (a bare file name is
        accepted, and the validator asks for its title)."""
        raw = self.read.get(data, (), "sources", list, required=True, default=[], describe="a list of seed files")
        articles: list[Article] = []
        for index, item in enumerate(raw):
            path = ("sources", index)
            if isinstance(item, dict):
                self.read.check_keys(item, path, {"file", "title"}, "a source")
                file = self.read.get(item, path, "file", str, required=True, default="")
                title = self.read.get(item, path, "title", str, required=True, default="", describe="the article's title, as users see it")
                if file:
                    articles.append(Article(file, title))
            elif not isinstance(item, str) or not item.strip():
                self.read.problem(path, "each source is {file: SEED_FILE, title: the article's title}, e.g. file: 000_d221b9c26be84fb1.txt")
            else:
                articles.append(Article(item, ""))
        return tuple(articles)

    def build_dimensions(self, data: dict[str, Any]) -> tuple[Dimension, ...]:
        raw = self.read.get(data, (), "dimensions", list, required=True, default=[], describe="a list of dimensions")
        dimensions: list[Dimension] = []
        seen: set[str] = set()
        for index, item in enumerate(raw):
            path = ("dimensions", index)
            if not isinstance(item, dict):
                self.read.problem(path, "a dimension is a mapping with id, label and why")
                continue
            self.read.check_keys(item, path, {"id", "label", "why", "veto"}, "a dimension")
            dim_id = self.read.get(item, path, "id", str, required=True, default="")
            label = self.read.get(item, path, "label", str, required=True, default="")
            why = self.read.get(item, path, "why", str, required=True, default="", describe="why it matters, one sentence")
            veto = self.read.get(item, path, "veto", str, default="", describe="the words a bar shows when one answer rules the dimension out")
            if dim_id:
                self.read.check_id(dim_id, (*path, "id"), "dimension")
                if dim_id in seen:
                    self.read.problem((*path, "id"), f"duplicate dimension id '{dim_id}'")
                seen.add(dim_id)
                dimensions.append(Dimension(dim_id, label, why, veto.strip()))
        return tuple(dimensions)

    def collect_ids(self, raw: list[Any], path: Path, what: str) -> list[str]:
        ids: dict[str, None] = {}  # ordered, with set-speed lookups: big dialogs have thousands
        for index, item in enumerate(raw):
            if not isinstance(item, dict):
                self.read.problem((*path, index), f"each {what} is a mapping that starts with 'id:'")
                continue
            item_id = item.get("id")
            if not isinstance(item_id, str):
                self.read.problem((*path, index), f"this {what} needs an 'id:' (a lowercase word)")
                continue
            self.read.check_id(item_id, (*path, index, "id"), what, item_id)
            if item_id in ids:
                self.read.problem((*path, index, "id"), f"duplicate {what} id '{item_id}': ids must be unique", item_id)
            elif item_id == RESULT:
                self.read.problem((*path, index, "id"), f"'{RESULT}' is reserved (it means: let the outcome rules decide)")
            ids[item_id] = None
        return list(ids)

    def build_outcome(self, raw: Any, path: Path, sources: tuple[str, ...]) -> Outcome | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            return None
        outcome_id = raw["id"]
        self.read.check_keys(raw, path, OUTCOME_KEYS, "an outcome", outcome_id)
        fallback = bool(self.read.get(raw, path, "fallback", bool, default=False, node=outcome_id))
        when = None
        if fallback and "when" in raw:
            self.read.problem((*path, "when"), "the fallback outcome has no 'when:' (it is chosen when no rule holds)", outcome_id)
        elif not fallback:
            when = self.refs.condition(raw, path, outcome_id)
        steps = self.points(raw, path, "next_steps", sources, outcome_id, required=True, cited=False)
        source = self.refs.build_source(raw, path, sources, outcome_id, required=True)
        open_points = None
        if raw.get("open_points") is not None:
            listed = self.read.get(raw, path, "open_points", list, default=[], node=outcome_id, describe="a list of node ids")
            for index, item in enumerate(listed):
                if item not in self.refs.node_ids:
                    hint = did_you_mean(str(item), self.refs.node_ids)
                    self.read.problem((*path, "open_points", index), f"open_points: '{item}' is not a node{hint}", outcome_id)
            open_points = tuple(str(i) for i in listed)
        return Outcome(
            id=outcome_id,
            title=self.read.get(raw, path, "title", str, required=True, default="", node=outcome_id),
            summary=self.read.get(raw, path, "summary", str, required=True, default="", node=outcome_id),
            source=source or Source(""),
            next_steps=steps,
            when=when,
            fallback=fallback,
            why=self.read.get(raw, path, "why", str, default="", node=outcome_id),
            follow_with=self.read.get(raw, path, "follow_with", str, default="", node=outcome_id),
            review_after=self._review_after(raw, path, outcome_id),
            reasons=self.points(raw, path, "reasons", sources, outcome_id, required=False, cited=True),
            tensions=self.points(raw, path, "tensions", sources, outcome_id, required=False, cited=True),
            rules_out=self.refs.topic_list(raw, path, "rules_out", outcome_id),
            open_points=open_points,
            line=self.read.located.where(path)[0],
        )

    def _review_after(self, raw: dict[str, Any], path: Path, outcome_id: str) -> int:
        days = int(self.read.get(raw, path, "review_after", int, default=0, node=outcome_id))
        if days < 0 or days > 3650:
            self.read.problem((*path, "review_after"), f"review_after: {days} is not a number of days from 1 to 3650", outcome_id)
            return 0
        return days

    def points(
        self, raw: dict[str, Any], path: Path, key: str, sources: tuple[str, ...], owner: str, *, required: bool, cited: bool
    ) -> tuple[Point, ...]:
        """Reasons, tensions and next steps: a line of text, or {text, when, source, topic}."""
        items = self.read.get(raw, path, key, list, required=required, default=[], node=owner, describe=f"a list of {key.replace('_', ' ')}")
        points: list[Point] = []
        for index, item in enumerate(items):
            ipath = (*path, key, index)
            line = self.read.located.where(ipath)[0]
            if isinstance(item, str) and not cited:
                points.append(Point(item, line=line))
                continue
            if not isinstance(item, dict):
                shape = "{text: ..., when: CONDITION, source: {file: ..., quote: ...}}" if cited else "a line of text or {text: ..., when: CONDITION}"
                self.read.problem(ipath, f"each of {key} is {shape}", owner)
                continue
            self.read.check_keys(item, ipath, POINT_KEYS, f"one of {key}", owner)
            text = self.read.get(item, ipath, "text", str, required=True, default="", node=owner)
            when = self.refs.condition(item, ipath, owner) if "when" in item else None
            source = self.refs.build_source(item, ipath, sources, owner, required=cited)
            topic = self.read.get(item, ipath, "topic", str, default="", node=owner)
            if topic:
                self.read.check_id(topic, (*ipath, "topic"), "topic", owner)
            points.append(Point(text, when, source, topic, line))
        return tuple(points)
