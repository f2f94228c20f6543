"""Building one node of a dialog file, of any kind, from its plain data.

Each kind adds its own fields (choices, picks, a scale's labels, a text answer's limits, a
branch's routes) to what every node has; every problem is reported and the node still built
where it can be, so one pass over a file finds them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.dialogs.model import QUESTION_KINDS, Choice, Node, Route
from bot.dialogs.problems import did_you_mean
from bot.dialogs.references import References
from bot.dialogs.schema import MAX_TEXT_LENGTH, Reader
from bot.dialogs.yaml_source import Path

KINDS = ("message", "choice", "multi", "scale", "text", "branch")
COMMON_NODE_KEYS = {"id", "kind", "text", "next", "source", "why", "short"}
NODE_KEYS = {
    "message": COMMON_NODE_KEYS,
    "choice": COMMON_NODE_KEYS | {"choices", "follow_up"},
    "multi": COMMON_NODE_KEYS | {"choices", "min", "max", "follow_up"},
    "scale": COMMON_NODE_KEYS | {"low", "high", "scores", "follow_up"},
    "text": COMMON_NODE_KEYS | {"max_length", "save_as"},
    "branch": {"id", "kind", "routes", "otherwise"},
}
CHOICE_KEYS = {"id", "label", "scores", "next", "follow_up", "against", "settles"}


@dataclass
class NodeBuilder:
    read: Reader
    refs: References

    def build_node(self, raw: Any, path: Path, sources: tuple[str, ...]) -> Node | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            return None
        node_id = raw["id"]
        kind = raw.get("kind")
        if kind not in KINDS:
            hint = did_you_mean(str(kind), KINDS) if kind else f"; add 'kind:' with one of {', '.join(KINDS)}"
            self.read.problem((*path, "kind"), f"kind '{kind}' is not a node kind{hint}", node_id)
            return None
        self.read.check_keys(raw, path, NODE_KEYS[kind], f"a {kind} node", node_id)
        if kind == "branch":
            return self.build_branch(raw, path, node_id)
        text = self.read.get(raw, path, "text", str, required=True, default="", node=node_id)
        self.read.check_length(text, (*path, "text"), "text", node_id)
        is_question = kind in QUESTION_KINDS
        fields: dict[str, Any] = dict(
            id=node_id,
            kind=kind,
            text=text,
            source=self.refs.build_source(raw, path, sources, node_id, required=is_question),
            why=self.read.get(raw, path, "why", str, default="", node=node_id),
            short=self.read.get(raw, path, "short", str, default="", node=node_id),
            line=self.read.located.where(path)[0],
        )
        fields["follow_up"], fields["follow_up_topic"] = self.follow_up(raw, path, node_id)
        builders: dict[str, Callable[..., dict[str, Any]]] = {
            "choice": self.choice_fields,
            "multi": self.multi_fields,
            "scale": self.scale_fields,
            "text": self.text_fields,
            "message": lambda raw, path, node_id: {},
        }
        fields.update(builders[kind](raw, path, node_id))
        choices_route = kind == "choice" and fields["choices"] and all(c.next for c in fields["choices"])
        fields["next"] = self.refs.target(raw, path, "next", node_id, required=not choices_route)
        return Node(**fields)

    def build_choices(self, raw: dict[str, Any], path: Path, node_id: str, allow_next: bool) -> tuple[Choice, ...]:
        items = self.read.get(raw, path, "choices", list, required=True, default=[], node=node_id, describe="a list of choices")
        if not items and "choices" in raw:
            self.read.problem((*path, "choices"), "a question needs at least one choice", node_id)
        choices: list[Choice] = []
        seen: set[str] = set()
        for index, item in enumerate(items):
            cpath = (*path, "choices", index)
            if not isinstance(item, dict):
                self.read.problem(cpath, "a choice is a mapping: {id: ..., label: ...}", node_id)
                continue
            self.read.check_keys(item, cpath, CHOICE_KEYS, "a choice", node_id)
            choice_id = self.read.get(item, cpath, "id", str, required=True, default="", node=node_id)
            label = self.read.get(item, cpath, "label", str, required=True, default="", node=node_id)
            if choice_id:
                self.read.check_id(choice_id, (*cpath, "id"), "choice", node_id)
                if choice_id in seen:
                    self.read.problem((*cpath, "id"), f"duplicate choice id '{choice_id}'", node_id)
                seen.add(choice_id)
            if "next" in item and not allow_next:
                self.read.problem((*cpath, "next"), "choices of a multi node cannot have their own 'next'; set the node's 'next'", node_id)
            choices.append(
                Choice(
                    id=choice_id,
                    label=label,
                    scores=self.refs.scores(item.get("scores"), (*cpath, "scores"), node_id),
                    next=self.refs.target(item, cpath, "next", node_id, required=False) if allow_next else None,
                    follow_up=bool(self.read.get(item, cpath, "follow_up", bool, default=False, node=node_id)),
                    against=self.refs.outcome_list(item, cpath, "against", node_id),
                    settles=self.refs.topic_list(item, cpath, "settles", node_id),
                )
            )
        return tuple(choices)

    def follow_up(self, raw: dict[str, Any], path: Path, node_id: str) -> tuple[str, str]:
        """`follow_up:` is the open point's text, or {text: ..., topic: ...} so the validator can check it."""
        value = raw.get("follow_up")
        if value is None:
            return "", ""
        if isinstance(value, dict):
            fpath = (*path, "follow_up")
            self.read.check_keys(value, fpath, {"text", "topic"}, "a follow_up", node_id)
            text = self.read.get(value, fpath, "text", str, required=True, default="", node=node_id)
            topic = self.read.get(value, fpath, "topic", str, default="", node=node_id)
            if topic:
                self.read.check_id(topic, (*fpath, "topic"), "topic", node_id)
            return text, topic
        return self.read.get(raw, path, "follow_up", str, default="", node=node_id, describe="text or {text, topic}"), ""

    def choice_fields(self, raw: dict[str, Any], path: Path, node_id: str) -> dict[str, Any]:
        return {"choices": self.build_choices(raw, path, node_id, allow_next=True)}

    def multi_fields(self, raw: dict[str, Any], path: Path, node_id: str) -> dict[str, Any]:
        choices = self.build_choices(raw, path, node_id, allow_next=False)
        low = self.read.get(raw, path, "min", int, default=0, node=node_id)
        high = self.read.get(raw, path, "max", int, default=len(choices), node=node_id)
        if not 0 <= low <= high <= max(len(choices), 1):
            self.read.problem((*path, "min"), f"need 0 <= min <= max <= {len(choices)} (the number of choices); got min {low}, max {high}", node_id)
        return {"choices": choices, "min_picks": low, "max_picks": high}

    def scale_fields(self, raw: dict[str, Any], path: Path, node_id: str) -> dict[str, Any]:
        return {
            "scale_low": self.read.get(raw, path, "low", str, required=True, default="", node=node_id, describe="the label of 1"),
            "scale_high": self.read.get(raw, path, "high", str, required=True, default="", node=node_id, describe="the label of 5"),
            "scale_scores": self.refs.scores(raw.get("scores"), (*path, "scores"), node_id),
        }

    def text_fields(self, raw: dict[str, Any], path: Path, node_id: str) -> dict[str, Any]:
        max_length = self.read.get(raw, path, "max_length", int, default=200, node=node_id)
        if not 1 <= max_length <= MAX_TEXT_LENGTH:
            self.read.problem((*path, "max_length"), f"max_length must be between 1 and {MAX_TEXT_LENGTH}", node_id)
        save_as = self.read.get(raw, path, "save_as", str, default="", node=node_id)
        if save_as:
            self.read.check_id(save_as, (*path, "save_as"), "save_as", node_id)
        return {"max_length": max_length, "save_as": save_as}

    def build_branch(self, raw: dict[str, Any], path: Path, node_id: str) -> Node:
        items = self.read.get(raw, path, "routes", list, required=True, default=[], node=node_id, describe="a list of {when, next}")
        routes: list[Route] = []
        for index, item in enumerate(items):
            rpath = (*path, "routes", index)
            if not isinstance(item, dict):
                self.read.problem(rpath, "a route is a mapping: {when: CONDITION, next: NODE}", node_id)
                continue
            self.read.check_keys(item, rpath, {"when", "next"}, "a route", node_id)
            condition = self.refs.condition(item, rpath, node_id)
            target = self.refs.target(item, rpath, "next", node_id, required=True)
            if condition is not None and target:
                routes.append(Route(condition, target))
        return Node(
            id=node_id,
            kind="branch",
            text="",
            routes=tuple(routes),
            otherwise=self.refs.target(raw, path, "otherwise", node_id, required=True),
            line=self.read.located.where(path)[0],
        )
