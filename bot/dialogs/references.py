"""What a dialog's nodes and outcomes point at: next nodes, dimensions, sources, conditions.

Collected from the whole file before any node is built, so a reference to a node further down
is fine and a misspelt one gets a did-you-mean from every id the file has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.dialogs import conditions
from bot.dialogs.model import RESULT, Condition, Source
from bot.dialogs.problems import did_you_mean
from bot.dialogs.schema import Reader
from bot.dialogs.yaml_source import Path


@dataclass
class References:
    read: Reader
    sources: tuple[str, ...] = ()
    node_ids: set[str] = field(default_factory=set)
    outcome_ids: set[str] = field(default_factory=set)
    dimension_ids: set[str] = field(default_factory=set)
    question_kinds: dict[str, str] = field(default_factory=dict)
    choice_ids: dict[str, set[str]] = field(default_factory=dict)

    def build_source(self, data: dict[str, Any], path: Path, sources: tuple[str, ...], node: str, required: bool) -> Source | None:
        raw = data.get("source")
        if raw is None:
            if required:
                self.read.problem(path, f"missing 'source:' (the seed file this comes from: {', '.join(sources) or 'a file in shared/seeds'})", node)
            return None
        if isinstance(raw, str):
            file, quote = raw, ""
        elif isinstance(raw, dict):
            self.read.check_keys(raw, (*path, "source"), {"file", "quote"}, "a source", node)
            file = self.read.get(raw, (*path, "source"), "file", str, required=True, default="", node=node)
            quote = self.read.get(raw, (*path, "source"), "quote", str, default="", node=node)
        else:
            self.read.problem((*path, "source"), "'source' is a seed file name or {file: ..., quote: ...}", node)
            return None
        if file and sources and file not in sources:
            self.read.problem((*path, "source"), f"source '{file}' is not listed under 'sources:'{did_you_mean(file, sources)}", node)
        return Source(file, quote)

    def outcome_list(self, data: dict[str, Any], path: Path, key: str, node: str) -> tuple[str, ...]:
        items = self.read.get(data, path, key, list, default=[], node=node, describe="a list of outcome ids")
        found: list[str] = []
        for index, item in enumerate(items):
            if not isinstance(item, str) or item not in self.outcome_ids:
                hint = did_you_mean(str(item), self.outcome_ids)
                self.read.problem((*path, key, index), f"{key}: '{item}' is not an outcome{hint}", node)
            else:
                found.append(item)
        return tuple(found)

    def topic_list(self, data: dict[str, Any], path: Path, key: str, node: str) -> tuple[str, ...]:
        items = self.read.get(data, path, key, list, default=[], node=node, describe="a list of topic ids")
        found: list[str] = []
        for index, item in enumerate(items):
            if not isinstance(item, str):
                self.read.problem((*path, key, index), f"{key}: each topic is a lowercase word such as agency_deal", node)
                continue
            self.read.check_id(item, (*path, key, index), "topic", node)
            found.append(item)
        return tuple(found)

    def target(self, data: dict[str, Any], path: Path, key: str, node: str, required: bool) -> str | None:
        value: str | None = self.read.get(data, path, key, str, required=required, node=node, describe="a node id, an outcome id or 'result'")
        if value is None:
            return None
        if value != RESULT and value not in self.node_ids and value not in self.outcome_ids:
            hint = did_you_mean(value, [*self.node_ids, *self.outcome_ids, RESULT])
            self.read.problem((*path, key), f"{key}: '{value}' is not a node or outcome{hint}", node)
        if value == node:
            self.read.problem((*path, key), f"{key}: '{value}' points at the node itself; a node cannot follow itself", node)
        return value

    def scores(self, raw: Any, path: Path, node: str) -> tuple[tuple[str, int], ...]:
        if raw is None:
            return ()
        if not isinstance(raw, dict):
            self.read.problem(path, "'scores' is a mapping of dimension: number, e.g. {know_how: 2}", node)
            return ()
        result: list[tuple[str, int]] = []
        for dim, points in raw.items():
            if dim not in self.dimension_ids:
                self.read.problem((*path, dim, "<key>"), f"scores: '{dim}' is not a dimension{did_you_mean(str(dim), self.dimension_ids)}", node)
            elif not isinstance(points, int) or isinstance(points, bool):
                self.read.problem((*path, dim), f"scores: '{dim}' must be a whole number, e.g. 2 or -1", node)
            else:
                result.append((str(dim), points))
        return tuple(result)

    def condition(self, data: dict[str, Any], path: Path, owner: str) -> Condition | None:
        if "when" not in data:
            self.read.problem(path, "missing 'when:' (a condition, see docs/dialogs.md#conditions)", owner)
            return None
        parsed = conditions.parse(
            data["when"],
            (*path, "when"),
            dimensions=self.dimension_ids,
            node_kinds=self.question_kinds,
            choice_ids=self.choice_ids,
        )
        for problem_path, message in parsed.problems:
            self.read.problem(problem_path, message, owner)
        return parsed.condition
