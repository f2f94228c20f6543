"""The dialog author's tools behind `outsource-check validate | paths | graph`.

Each returns (text, exit code) instead of printing, so tests read exactly what an author sees.
Exit codes: 0 clean, 1 problems found, 2 input that could not be used at all.
"""

from __future__ import annotations

from pathlib import Path

from bot.dialogs.catalog import check_across, check_file
from bot.dialogs.loader import load_dialog
from bot.dialogs.model import RESULT, Dialog
from bot.dialogs.problems import DialogError, Problem, UnreadableDialog
from bot.dialogs.walk import walk

CLEAN, PROBLEMS, UNUSABLE = 0, 1, 2


def validate(paths: list[str], *, seeds_dir: Path | None = None) -> tuple[str, int]:
    """Each file checked as start-up checks it (`bot.dialogs.catalog`), against the other dialogs of its folder."""
    if not paths:
        return "validate: name one or more dialog files, e.g. dialogs/*.yaml", UNUSABLE
    code = CLEAN
    checked: list[tuple[str, Dialog | None, list[Problem], str]] = []  # name, dialog, problems, why not read
    for name in paths:
        path = Path(name)
        if not path.exists() and not path.is_symlink():
            checked.append((name, None, [], f"{name}:1:1: error: no such file\n{name}: cannot be read"))
            continue
        try:
            dialog, problems = check_file(path, seeds_dir=seeds_dir)
        except UnreadableDialog as exc:
            checked.append((name, None, [], "\n".join([*(str(p) for p in exc.problems), f"{name}: cannot be read"])))
            continue
        checked.append((name, dialog, problems, ""))
    across = _across([dialog for _, dialog, _, _ in checked if dialog is not None])
    lines: list[str] = []
    for name, dialog, problems, unread in checked:
        if unread:
            lines.append(unread)
            code = UNUSABLE
            continue
        if dialog is not None:
            problems = [*problems, *across.get(dialog.path, [])]
        errors = [p for p in problems if p.severity == "error"]
        lines.extend(str(p) for p in problems)
        if errors:
            code = max(code, PROBLEMS)
            lines.append(f"{name}: {len(errors)} problem(s)")
        elif dialog is not None:
            questions = sum(1 for n in dialog.nodes.values() if n.is_question)
            lines.append(f"{name}: ok ({questions} questions, {len(dialog.outcomes)} outcomes)")
    return "\n".join(lines), code


def _across(named: list[Dialog]) -> dict[str, list[Problem]]:
    """`check_across` for these dialogs, each with the other dialogs of its folder, as start-up sees them."""
    found: dict[str, list[Problem]] = {}
    folders: dict[Path, dict[Path, Dialog]] = {}
    for dialog in named:
        path = Path(dialog.path).resolve()
        folders.setdefault(path.parent, {})[path] = dialog
    for folder, chosen in folders.items():
        dialogs = list(chosen.values())
        for sibling in sorted(folder.glob("*.yaml")):
            if sibling.resolve() not in chosen:
                try:
                    dialogs.append(load_dialog(sibling))
                except DialogError:
                    continue  # a broken neighbour is its own file's problem (validate it to see)
        names = {d.path for d in chosen.values()}
        for problem in check_across(dialogs):
            if problem.file in names:
                found.setdefault(problem.file, []).append(problem)
    return found


def _load(path: str) -> tuple[Dialog | None, str]:
    try:
        return load_dialog(path), ""
    except DialogError as exc:
        return None, str(exc) or f"{path}: cannot be loaded"


def paths_report(path: str) -> tuple[str, int]:
    dialog, error = _load(path)
    if dialog is None:
        return error, UNUSABLE
    report = walk(dialog, advice=False)  # where paths end, not what their cards say: the small walk counts the same
    how = "every path walked" if report.exhaustive else "a sample, not every path"
    lines = [f"{dialog.id}: {report.total:,} paths ({how}: {report.note})"]
    width = max((len(o.id) for o in dialog.outcomes), default=10)
    for outcome in dialog.outcomes:
        count = report.by_outcome[outcome.id]
        share = count / report.total if report.total else 0.0
        lines.append(f"  {outcome.id:<{width}}  {count:>14,}  {share:6.1%}  {outcome.title}")
    if report.stuck:
        lines.append(f"  {report.stuck:,} path(s) end WITHOUT an outcome")
        return "\n".join(lines), PROBLEMS
    lines.append("every path ends in an outcome" if report.exhaustive else "every sampled path ends in an outcome")
    return "\n".join(lines), CLEAN


def advice_report(paths: list[str], write_to: str | None = None) -> tuple[str, int]:
    """The advice figures of each dialog, printed, and written into a page when asked."""
    from bot.dialogs import advice_figures

    found = []
    for path in paths:
        dialog, error = _load(path)
        if dialog is None:
            return error, UNUSABLE
        found.append(advice_figures.figures(dialog))
    text = advice_figures.markdown(found)
    if write_to:
        advice_figures.write(Path(write_to), found)
        text += f"\n(written into {write_to})"
    faults = any(f.without_reason or f.contradicting or f.repeating for f in found)
    return text, PROBLEMS if faults else CLEAN


def graph(path: str, fmt: str) -> tuple[str, int]:
    dialog, error = _load(path)
    if dialog is None:
        return error, UNUSABLE
    if fmt == "mermaid":
        return _mermaid(dialog), CLEAN
    if fmt == "dot":
        return _dot(dialog), CLEAN
    return f"graph: unknown format '{fmt}'; use mermaid or dot", UNUSABLE


def _edges(dialog: Dialog) -> list[tuple[str, str, str]]:
    edges: list[tuple[str, str, str]] = []
    for node in dialog.nodes.values():
        for choice in node.choices:
            if choice.next:
                edges.append((node.id, choice.next, choice.id))
        for index, route in enumerate(node.routes, 1):
            edges.append((node.id, route.next, f"rule {index}"))
        if node.otherwise:
            edges.append((node.id, node.otherwise, "otherwise"))
        if node.next:
            edges.append((node.id, node.next, ""))
    return edges


def _label(text: str) -> str:
    return text.replace('"', "'").replace("\n", " ")[:60]


def _mermaid(dialog: Dialog) -> str:
    lines = ["flowchart TD"]
    for node in dialog.nodes.values():
        text = _label(node.short or node.text or node.id)
        shape = f'{{"{node.id}"}}' if node.kind == "branch" else f'["{node.id}: {text}"]'
        lines.append(f"  {node.id}{shape}")
    lines.append(f'  {RESULT}(("outcome rules"))')
    for outcome in dialog.outcomes:
        lines.append(f'  {outcome.id}(["{_label(outcome.title)}"])')
        lines.append(f"  {RESULT} -.-> {outcome.id}")
    for source, target, label in _edges(dialog):
        arrow = f" -->|{label}| " if label else " --> "
        lines.append(f"  {source}{arrow}{target}")
    return "\n".join(lines)


def _dot(dialog: Dialog) -> str:
    lines = [f'digraph "{dialog.id}" {{', "  rankdir=TB;"]
    for node in dialog.nodes.values():
        shape = "diamond" if node.kind == "branch" else "box"
        lines.append(f'  {node.id} [shape={shape}, label="{node.id}\\n{_label(node.short or node.text)}"];')
    lines.append(f'  {RESULT} [shape=circle, label="outcome rules"];')
    for outcome in dialog.outcomes:
        lines.append(f'  {outcome.id} [shape=ellipse, label="{_label(outcome.title)}"];')
        lines.append(f"  {RESULT} -> {outcome.id} [style=dashed];")
    for source, target, label in _edges(dialog):
        lines.append(f'  {source} -> {target} [label="{label}"];' if label else f"  {source} -> {target};")
    lines.append("}")
    return "\n".join(lines)
