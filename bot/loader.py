"""Turns a dialog YAML file into validated `bot.model` dataclasses, or explains what to fix.

Every problem is collected (not just the first) and names file, line, column and node, so an
author fixes a file in one pass. Graph-level checks live in `bot.validator`.
"""

from __future__ import annotations

import gc
import hashlib
import re
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Any

from bot import conditions
from bot.model import (
    QUESTION_KINDS,
    Choice,
    Dialog,
    Dimension,
    Node,
    Outcome,
    Route,
    Source,
)
from bot.problems import DialogError, Problem, did_you_mean
from bot.yaml_source import Located, Path, YamlProblem, parse

RESULT = "result"
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
KINDS = ("message", "choice", "multi", "scale", "text", "branch")
TOP_KEYS = {"id", "title", "description", "sources", "dimensions", "start", "nodes", "outcomes"}
COMMON_NODE_KEYS = {"id", "kind", "text", "next", "source", "why", "short"}
NODE_KEYS = {
    "message": COMMON_NODE_KEYS,
    "choice": COMMON_NODE_KEYS | {"choices", "follow_up"},
    "multi": COMMON_NODE_KEYS | {"choices", "min", "max", "follow_up"},
    "scale": COMMON_NODE_KEYS | {"low", "high", "scores", "follow_up"},
    "text": COMMON_NODE_KEYS | {"max_length", "save_as"},
    "branch": {"id", "kind", "routes", "otherwise"},
}
CHOICE_KEYS = {"id", "label", "scores", "next", "follow_up"}
OUTCOME_KEYS = {"id", "title", "summary", "source", "why", "when", "fallback", "next_steps", "follow_with"}
MAX_TEXT_LENGTH = 500


def load_dialog(path: str | FilePath) -> Dialog:
    """Load and validate one dialog file; raise DialogError listing every problem."""
    path = FilePath(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DialogError([Problem(str(path), 1, 1, f"cannot read the file: {exc}")]) from None
    return load_dialog_text(text, str(path))


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
    if builder.problems or dialog is None:
        raise DialogError(builder.problems)
    return dialog


class _Builder:
    def __init__(self, located: Located, filename: str, content_hash: str) -> None:
        self.located = located
        self.filename = filename
        self.content_hash = content_hash
        self.problems: list[Problem] = []

    # --- reporting -------------------------------------------------------------------------

    def problem(self, path: Path, message: str, node: str = "") -> None:
        line, column = self.located.where(path)
        self.problems.append(Problem(self.filename, line, column, message, node))

    def get(
        self,
        data: dict[str, Any],
        path: Path,
        key: str,
        kind: type | tuple[type, ...],
        *,
        required: bool = False,
        default: Any = None,
        node: str = "",
        describe: str = "",
    ) -> Any:
        if key not in data or data[key] is None:
            if required:
                self.problem(path, f"missing '{key}:' ({describe or _type_name(kind)})", node)
            return default
        value = data[key]
        if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.problem(
                (*path, key),
                f"'{key}' must be {describe or _type_name(kind)}, not {_type_name(type(value))}",
                node,
            )
            return default
        return value

    def check_keys(self, data: dict[str, Any], path: Path, allowed: set[str], what: str, node: str = "") -> None:
        for key in data:
            if key not in allowed:
                hint = did_you_mean(str(key), allowed)
                self.problem((*path, key, "<key>"), f"unknown key '{key}' in {what}{hint}", node)

    def check_id(self, value: str, path: Path, what: str, node: str = "") -> None:
        if not ID_PATTERN.match(value):
            self.problem(
                path,
                f"{what} id '{value}' must be lowercase letters, digits and _, start with a letter,"
                " at most 32 characters",
                node,
            )

    # --- building ---------------------------------------------------------------------------

    def build(self) -> Dialog | None:
        data = self.located.data
        if not isinstance(data, dict):
            self.problem((), "a dialog file must be a mapping with id, title, dimensions, start, nodes, outcomes")
            return None
        self.check_keys(data, (), TOP_KEYS, "the dialog")
        dialog_id = self.get(data, (), "id", str, required=True, default="")
        if dialog_id:
            self.check_id(dialog_id, ("id",), "dialog")
        title = self.get(data, (), "title", str, required=True, default="")
        description = self.get(data, (), "description", str, default="")
        sources = self.build_sources(data)
        dimensions = self.build_dimensions(data)
        raw_nodes = self.get(data, (), "nodes", list, required=True, default=[], describe="a list of nodes")
        raw_outcomes = self.get(
            data, (), "outcomes", list, required=True, default=[], describe="a list of outcomes"
        )
        self.dimension_ids = {d.id for d in dimensions}
        self.node_ids = set(self.collect_ids(raw_nodes, ("nodes",), "node"))
        self.outcome_ids = set(self.collect_ids(raw_outcomes, ("outcomes",), "outcome"))
        for clash in sorted(set(self.node_ids) & set(self.outcome_ids)):
            self.problem(("outcomes",), f"'{clash}' is both a node and an outcome id: rename one")
        self.question_kinds: dict[str, str] = {}
        self.choice_ids: dict[str, set[str]] = {}
        for raw in raw_nodes:
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                self.question_kinds[raw["id"]] = str(raw.get("kind", ""))
                choices = raw.get("choices") if isinstance(raw.get("choices"), list) else []
                self.choice_ids[raw["id"]] = {c["id"] for c in choices if isinstance(c, dict) and isinstance(c.get("id"), str)}
        nodes: dict[str, Node] = {}
        for index, raw in enumerate(raw_nodes):
            node = self.build_node(raw, ("nodes", index), sources)
            if node is not None and node.id not in nodes:
                nodes[node.id] = node
        outcomes = [self.build_outcome(raw, ("outcomes", i), sources) for i, raw in enumerate(raw_outcomes)]
        outcomes_ok = tuple(o for o in outcomes if o is not None)
        fallbacks = [o for o in outcomes_ok if o.fallback]
        if len(raw_outcomes) and len(fallbacks) != 1:
            self.problem(
                ("outcomes",),
                "exactly one outcome needs 'fallback: true' (chosen when no rule holds);"
                f" found {len(fallbacks)}",
            )
        start = self.get(data, (), "start", str, required=True, default="", describe="the first node's id")
        if start and start not in self.node_ids:
            self.problem(("start",), f"start: '{start}' is not a node{did_you_mean(start, self.node_ids)}")
        if self.problems:
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
        )

    def build_sources(self, data: dict[str, Any]) -> tuple[str, ...]:
        raw = self.get(data, (), "sources", list, required=True, default=[], describe="a list of seed file names")
        names: list[str] = []
        for index, item in enumerate(raw):
            if not isinstance(item, str) or not item.strip():
                self.problem(("sources", index), "each source is a seed file name, e.g. 000_d221b9c26be84fb1.txt")
            else:
                names.append(item)
        return tuple(names)

    def build_dimensions(self, data: dict[str, Any]) -> tuple[Dimension, ...]:
        raw = self.get(data, (), "dimensions", list, required=True, default=[], describe="a list of dimensions")
        dimensions: list[Dimension] = []
        seen: set[str] = set()
        for index, item in enumerate(raw):
            path = ("dimensions", index)
            if not isinstance(item, dict):
                self.problem(path, "a dimension is a mapping with id, label and why")
                continue
            self.check_keys(item, path, {"id", "label", "why"}, "a dimension")
            dim_id = self.get(item, path, "id", str, required=True, default="")
            label = self.get(item, path, "label", str, required=True, default="")
            why = self.get(item, path, "why", str, required=True, default="", describe="why it matters, one sentence")
            if dim_id:
                self.check_id(dim_id, (*path, "id"), "dimension")
                if dim_id in seen:
                    self.problem((*path, "id"), f"duplicate dimension id '{dim_id}'")
                seen.add(dim_id)
                dimensions.append(Dimension(dim_id, label, why))
        return tuple(dimensions)

    def collect_ids(self, raw: list[Any], path: Path, what: str) -> list[str]:
        ids: dict[str, None] = {}  # ordered, with set-speed lookups: big dialogs have thousands
        for index, item in enumerate(raw):
            if not isinstance(item, dict):
                self.problem((*path, index), f"each {what} is a mapping that starts with 'id:'")
                continue
            item_id = item.get("id")
            if not isinstance(item_id, str):
                self.problem((*path, index), f"this {what} needs an 'id:' (a lowercase word)")
                continue
            self.check_id(item_id, (*path, index, "id"), what, item_id)
            if item_id in ids:
                self.problem((*path, index, "id"), f"duplicate {what} id '{item_id}': ids must be unique", item_id)
            elif item_id == RESULT:
                self.problem((*path, index, "id"), f"'{RESULT}' is reserved (it means: let the outcome rules decide)")
            ids[item_id] = None
        return list(ids)

    def build_source(self, data: dict[str, Any], path: Path, sources: tuple[str, ...], node: str, required: bool) -> Source | None:
        raw = data.get("source")
        if raw is None:
            if required:
                self.problem(path, f"missing 'source:' (the seed file this comes from: {', '.join(sources) or 'a file in shared/seeds'})", node)
            return None
        if isinstance(raw, str):
            file, quote = raw, ""
        elif isinstance(raw, dict):
            self.check_keys(raw, (*path, "source"), {"file", "quote"}, "a source", node)
            file = self.get(raw, (*path, "source"), "file", str, required=True, default="", node=node)
            quote = self.get(raw, (*path, "source"), "quote", str, default="", node=node)
        else:
            self.problem((*path, "source"), "'source' is a seed file name or {file: ..., quote: ...}", node)
            return None
        if file and sources and file not in sources:
            self.problem((*path, "source"), f"source '{file}' is not listed under 'sources:'{did_you_mean(file, sources)}", node)
        return Source(file, quote)

    def target(self, data: dict[str, Any], path: Path, key: str, node: str, required: bool) -> str | None:
        value = self.get(data, path, key, str, required=required, node=node, describe="a node id, an outcome id or 'result'")
        if value is None:
            return None
        if value != RESULT and value not in self.node_ids and value not in self.outcome_ids:
            hint = did_you_mean(value, [*self.node_ids, *self.outcome_ids, RESULT])
            self.problem((*path, key), f"{key}: '{value}' is not a node or outcome{hint}", node)
        if value == node:
            self.problem((*path, key), f"{key}: '{value}' points at the node itself; a node cannot follow itself", node)
        return value

    def scores(self, raw: Any, path: Path, node: str) -> tuple[tuple[str, int], ...]:
        if raw is None:
            return ()
        if not isinstance(raw, dict):
            self.problem(path, "'scores' is a mapping of dimension: number, e.g. {know_how: 2}", node)
            return ()
        result: list[tuple[str, int]] = []
        for dim, points in raw.items():
            if dim not in self.dimension_ids:
                self.problem((*path, dim, "<key>"), f"scores: '{dim}' is not a dimension{did_you_mean(str(dim), self.dimension_ids)}", node)
            elif not isinstance(points, int) or isinstance(points, bool):
                self.problem((*path, dim), f"scores: '{dim}' must be a whole number, e.g. 2 or -1", node)
            else:
                result.append((str(dim), points))
        return tuple(result)

    def build_node(self, raw: Any, path: Path, sources: tuple[str, ...]) -> Node | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            return None
        node_id = raw["id"]
        kind = raw.get("kind")
        if kind not in KINDS:
            hint = did_you_mean(str(kind), KINDS) if kind else f"; add 'kind:' with one of {', '.join(KINDS)}"
            self.problem((*path, "kind"), f"kind '{kind}' is not a node kind{hint}", node_id)
            return None
        self.check_keys(raw, path, NODE_KEYS[kind], f"a {kind} node", node_id)
        if kind == "branch":
            return self.build_branch(raw, path, node_id)
        text = self.get(raw, path, "text", str, required=True, default="", node=node_id)
        self.check_length(text, (*path, "text"), "text", node_id)
        is_question = kind in QUESTION_KINDS
        fields: dict[str, Any] = dict(
            id=node_id,
            kind=kind,
            text=text,
            source=self.build_source(raw, path, sources, node_id, required=is_question),
            why=self.get(raw, path, "why", str, default="", node=node_id),
            short=self.get(raw, path, "short", str, default="", node=node_id),
            follow_up=self.get(raw, path, "follow_up", str, default="", node=node_id),
            line=self.located.where(path)[0],
        )
        builders: dict[str, Callable[..., dict[str, Any]]] = {
            "choice": self.choice_fields,
            "multi": self.multi_fields,
            "scale": self.scale_fields,
            "text": self.text_fields,
            "message": lambda raw, path, node_id: {},
        }
        fields.update(builders[kind](raw, path, node_id))
        choices_route = kind == "choice" and fields["choices"] and all(c.next for c in fields["choices"])
        fields["next"] = self.target(raw, path, "next", node_id, required=not choices_route)
        return Node(**fields)

    def check_length(self, text: str, path: Path, key: str, node: str) -> None:
        if len(text) > MAX_TEXT_LENGTH:
            self.problem(path, f"'{key}' is {len(text)} characters; keep it under {MAX_TEXT_LENGTH} (split it into a message node)", node)

    def build_choices(self, raw: dict[str, Any], path: Path, node_id: str, allow_next: bool) -> tuple[Choice, ...]:
        items = self.get(raw, path, "choices", list, required=True, default=[], node=node_id, describe="a list of choices")
        if not items and "choices" in raw:
            self.problem((*path, "choices"), "a question needs at least one choice", node_id)
        choices: list[Choice] = []
        seen: set[str] = set()
        for index, item in enumerate(items):
            cpath = (*path, "choices", index)
            if not isinstance(item, dict):
                self.problem(cpath, "a choice is a mapping: {id: ..., label: ...}", node_id)
                continue
            self.check_keys(item, cpath, CHOICE_KEYS, "a choice", node_id)
            choice_id = self.get(item, cpath, "id", str, required=True, default="", node=node_id)
            label = self.get(item, cpath, "label", str, required=True, default="", node=node_id)
            if choice_id:
                self.check_id(choice_id, (*cpath, "id"), "choice", node_id)
                if choice_id in seen:
                    self.problem((*cpath, "id"), f"duplicate choice id '{choice_id}'", node_id)
                seen.add(choice_id)
            if "next" in item and not allow_next:
                self.problem((*cpath, "next"), "choices of a multi node cannot have their own 'next'; set the node's 'next'", node_id)
            choices.append(
                Choice(
                    id=choice_id,
                    label=label,
                    scores=self.scores(item.get("scores"), (*cpath, "scores"), node_id),
                    next=self.target(item, cpath, "next", node_id, required=False) if allow_next else None,
                    follow_up=bool(self.get(item, cpath, "follow_up", bool, default=False, node=node_id)),
                )
            )
        return tuple(choices)

    def choice_fields(self, raw: dict[str, Any], path: Path, node_id: str) -> dict[str, Any]:
        return {"choices": self.build_choices(raw, path, node_id, allow_next=True)}

    def multi_fields(self, raw: dict[str, Any], path: Path, node_id: str) -> dict[str, Any]:
        choices = self.build_choices(raw, path, node_id, allow_next=False)
        low = self.get(raw, path, "min", int, default=0, node=node_id)
        high = self.get(raw, path, "max", int, default=len(choices), node=node_id)
        if not 0 <= low <= high <= max(len(choices), 1):
            self.problem((*path, "min"), f"need 0 <= min <= max <= {len(choices)} (the number of choices); got min {low}, max {high}", node_id)
        return {"choices": choices, "min_picks": low, "max_picks": high}

    def scale_fields(self, raw: dict[str, Any], path: Path, node_id: str) -> dict[str, Any]:
        return {
            "scale_low": self.get(raw, path, "low", str, required=True, default="", node=node_id, describe="the label of 1"),
            "scale_high": self.get(raw, path, "high", str, required=True, default="", node=node_id, describe="the label of 5"),
            "scale_scores": self.scores(raw.get("scores"), (*path, "scores"), node_id),
        }

    def text_fields(self, raw: dict[str, Any], path: Path, node_id: str) -> dict[str, Any]:
        max_length = self.get(raw, path, "max_length", int, default=200, node=node_id)
        if not 1 <= max_length <= MAX_TEXT_LENGTH:
            self.problem((*path, "max_length"), f"max_length must be between 1 and {MAX_TEXT_LENGTH}", node_id)
        save_as = self.get(raw, path, "save_as", str, default="", node=node_id)
        if save_as:
            self.check_id(save_as, (*path, "save_as"), "save_as", node_id)
        return {"max_length": max_length, "save_as": save_as}

    def build_branch(self, raw: dict[str, Any], path: Path, node_id: str) -> Node:
        items = self.get(raw, path, "routes", list, required=True, default=[], node=node_id, describe="a list of {when, next}")
        routes: list[Route] = []
        for index, item in enumerate(items):
            rpath = (*path, "routes", index)
            if not isinstance(item, dict):
                self.problem(rpath, "a route is a mapping: {when: CONDITION, next: NODE}", node_id)
                continue
            self.check_keys(item, rpath, {"when", "next"}, "a route", node_id)
            condition = self.condition(item, rpath, node_id)
            target = self.target(item, rpath, "next", node_id, required=True)
            if condition is not None and target:
                routes.append(Route(condition, target))
        return Node(
            id=node_id,
            kind="branch",
            text="",
            routes=tuple(routes),
            otherwise=self.target(raw, path, "otherwise", node_id, required=True),
            line=self.located.where(path)[0],
        )

    def condition(self, data: dict[str, Any], path: Path, owner: str):
        if "when" not in data:
            self.problem(path, "missing 'when:' (a condition, see docs/dialogs.md#conditions)", owner)
            return None
        parsed = conditions.parse(
            data["when"],
            (*path, "when"),
            dimensions=self.dimension_ids,
            node_kinds=self.question_kinds,
            choice_ids=self.choice_ids,
        )
        for problem_path, message in parsed.problems:
            self.problem(problem_path, message, owner)
        return parsed.condition

    def build_outcome(self, raw: Any, path: Path, sources: tuple[str, ...]) -> Outcome | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            return None
        outcome_id = raw["id"]
        self.check_keys(raw, path, OUTCOME_KEYS, "an outcome", outcome_id)
        fallback = bool(self.get(raw, path, "fallback", bool, default=False, node=outcome_id))
        when = None
        if fallback and "when" in raw:
            self.problem((*path, "when"), "the fallback outcome has no 'when:' (it is chosen when no rule holds)", outcome_id)
        elif not fallback:
            when = self.condition(raw, path, outcome_id)
        steps = self.get(raw, path, "next_steps", list, required=True, default=[], node=outcome_id, describe="a list of next steps")
        if any(not isinstance(s, str) for s in steps):
            self.problem((*path, "next_steps"), "each next step is one line of text", outcome_id)
        source = self.build_source(raw, path, sources, outcome_id, required=True)
        return Outcome(
            id=outcome_id,
            title=self.get(raw, path, "title", str, required=True, default="", node=outcome_id),
            summary=self.get(raw, path, "summary", str, required=True, default="", node=outcome_id),
            source=source or Source(""),
            next_steps=tuple(str(s) for s in steps),
            when=when,
            fallback=fallback,
            why=self.get(raw, path, "why", str, default="", node=outcome_id),
            follow_with=self.get(raw, path, "follow_with", str, default="", node=outcome_id),
            line=self.located.where(path)[0],
        )


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", bool: "true or false", list: "a list", dict: "a mapping", float: "a number"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)
