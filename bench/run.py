"""`python -m bench [--quick] [--only NAMES]`: run the benchmarks and write docs/performance.md.

Each benchmark returns a Section of rows (ours, baseline, ratio, target). The figures are kept
in bench/results/ as JSON, so `--only crowd` can re-measure one benchmark and the page is
rebuilt with the others' last figures. The full run writes docs/performance.md; --quick writes
bench/results/quick.md unless --out says otherwise, so a quick look never replaces the report.
Text in docs/performance.md after the generated part (the analysis of misses) is kept.
When `--only` finds no earlier results (bench/results/ is not in git: a fresh checkout), the
page's other sections are kept as they are written and only the re-measured ones are replaced.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Row, Scale, Section, fmt, machine

ORDER = ("engine", "stores", "memory", "slack", "discord", "crowd", "sqlite_log", "startup", "capacity", "instructions")
BEGIN, END = "<!-- bench:begin (written by python -m bench; edit below the end marker) -->", "<!-- bench:end -->"


# benchmark 1's row with the floor's CPU per turn, by its name now and in results written before issue 15's rows were judged
FLOOR_CPU_ROWS = ("against the floor: CPU per full-load turn", "second baseline: server CPU per full-load turn")


async def run_section(name: str, scale: Scale, workdir: Path, done: dict[str, Section]) -> Section:
    if name == "engine":
        from bench import engine_dialogs

        return await asyncio.to_thread(engine_dialogs.run, scale)
    if name == "stores":
        from bench import stores

        return await stores.run(scale, workdir)
    if name == "memory":
        from bench import memory

        return await memory.run(scale)
    if name == "slack":
        from bench import slack_turn

        return await slack_turn.run(scale, workdir)
    if name == "discord":
        from bench import discord_turn

        return await discord_turn.run(scale, workdir)
    if name == "crowd":
        from bench import crowd

        slack = done.get("slack")
        rate = slack.rows[0].ours if slack and slack.rows else None
        return await crowd.run(scale, workdir, single_process_rate=rate)
    if name == "sqlite_log":
        from bench import sqlite_log

        return await sqlite_log.run(scale, workdir)
    if name == "startup":
        from bench import startup

        return await startup.run(scale, workdir)
    if name == "capacity":
        from bench import capacity

        return await capacity.run(scale, workdir)
    if name == "instructions":
        from bench import instructions

        slack = done.get("slack")
        floor_cpu = next((r.baseline for r in slack.rows if r.measure in FLOOR_CPU_ROWS), None) if slack else None
        return await instructions.run(scale, workdir, slack_cpu_floor_ms=floor_cpu)
    raise ValueError(f"unknown benchmark {name!r}; choose from {', '.join(ORDER)}")


def _section_from(data: dict) -> Section:
    rows = [Row(**r) for r in data.pop("rows")]
    return Section(rows=rows, **data)


def load_results(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text())
    return {"sections": {}}


def render(results: dict) -> str:
    """The generated part of docs/performance.md: machine, the summary of targets, every table."""
    sections = [_section_from(dict(results["sections"][k])) for k in ORDER if k in results["sections"]]
    out = [BEGIN, "", f"Measured {results.get('when', '?')} with `{results.get('command', 'python -m bench')}` "
           f"(scale: {results.get('scale', '?')}; {results.get('seconds', 0):.0f} s)."]
    measured = results.get("measured", {})
    if len(set(measured.values())) > 1:  # some sections were re-measured on their own: say which, and when
        out.append(OWN_RUNS + "; ".join(f"{k}: {measured[k]}" for k in ORDER if k in measured) + ".")
    out += ["", "### Machine", "", "| | |", "| --- | --- |"]
    out += [f"| {k} | {v} |" for k, v in results.get("machine", {}).items()]
    out += ["", "### Targets at a glance", "", "| benchmark | measure | ours | baseline | ratio | target | met? |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for section in sections:
        for row in section.rows:
            if row.target:
                out.append(f"| {section.title.split('.')[0]} | {row.measure} | {fmt(row.ours, row.unit)} | {fmt(row.baseline, row.unit)} "
                           f"| {_ratio(row)} | {row.target} | {_met(row)} |")
    for section in sections:
        out += ["", f"### {section.title}", "", section.method, "",
                "| measure | ours | baseline | ratio | target | met? | note |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for row in section.rows:
            baseline = f"{fmt(row.baseline, row.unit)}" + (f" ({row.baseline_label})" if row.baseline_label else "")
            out.append(f"| {row.measure} | {fmt(row.ours, row.unit)} | {baseline} | {_ratio(row)} | {row.target} | {_met(row)} "
                       f"| {row.note} |")
        out += [""] + [f"- {note}" for note in section.notes]
        out.append(f"- ({section.seconds:.0f} s)")
    out += ["", END]
    return "\n".join(out) + "\n"


def _ratio(row: Row) -> str:
    return f"{row.ratio:.2f}x" if row.ratio is not None else ""


def _met(row: Row) -> str:
    return {True: "met", False: "**MISSED**", None: "not measured" if row.target and row.ours is None else ""}[row.met]


HEADER = """# Performance

What a turn costs, measured against the bare frameworks and other baselines in the same run
(issue 7). These machines are shared and noisy, so every figure sits beside a baseline measured
alongside it, and targets are judged on ratios, medians and percentiles, never on one absolute
time. Re-measure with:

```bash
python -m bench            # everything, about 30 minutes on two cores; rewrites the figures below
python -m bench --quick    # a short look (written to bench/results/quick.md)
python -m bench --only slack,crowd   # re-measure some; the rest keep their last figures
```

Benchmark 9 (capacity) also draws its knee plot, [capacity.png](capacity.png), with matplotlib
(`pip install -e .[bench]`; without it the table is still written). On its own, with other
settings: `python -m bench.capacity --think 3:15 --steps 250,500,1000` (`--help` for the rest).

Benchmark 10 counts instructions with valgrind's callgrind (Debian's package valgrind, which
`scripts/test` installs where it is missing): exact figures that the machine's noise cannot move,
for comparing two builds or ours with the floor; about 7 minutes of the run.

Redis must be running on 127.0.0.1:6379; the benchmarks use databases 13 and 12
(`OUTSOURCE_CHECK_BENCH_REDIS`, `OUTSOURCE_CHECK_BENCH_REDIS_SMALL`), each run under key prefixes
of its own (`oc-bench-...`), and delete only the keys they wrote: they never flush a database, so
they can run beside the tests or another run. Nothing here is a pass/fail test:
`tests/test_bench_smoke.py` only checks that each benchmark still runs and produces numbers.

"""


def write_page(results: dict, out: Path) -> None:
    generated = render(results)
    tail = ""
    if out.exists():
        text = out.read_text()
        if END in text:
            tail = text.split(END, 1)[1].lstrip("\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(HEADER + generated + ("\n" + tail if tail else ""))


async def run(names: list[str], scale: Scale, results: dict, checkpoint: Path | None = None) -> dict:
    done: dict[str, Section] = {k: _section_from(dict(v)) for k, v in results["sections"].items()}
    with tempfile.TemporaryDirectory(prefix="oc-bench-") as tmp:
        for name in names:
            started = time.perf_counter()
            print(f"[bench] {name} ...", flush=True)
            try:
                section = await run_section(name, scale, Path(tmp), done)
            except Exception as exc:  # one broken benchmark must not cost the others' figures
                import traceback

                traceback.print_exc()
                section = Section(name, name, [Row("the benchmark failed", None, None, "", note=f"{type(exc).__name__}: {exc}")])
            section.seconds = time.perf_counter() - started
            done[name] = section
            results["sections"][name] = section.as_dict()
            if checkpoint is not None:
                save(results, checkpoint)  # a run stopped half-way keeps what it measured
            for row in section.rows:
                print(f"[bench]   {row.measure}: {fmt(row.ours, row.unit)} vs {fmt(row.baseline, row.unit)} {_ratio(row)} {_met(row)}",
                      flush=True)
    return results


def _chunks(block: str) -> dict[str, str]:
    """The `### title` parts of a generated block, by title (each up to the next one)."""
    parts = block.split("\n### ")
    return {part.split("\n", 1)[0]: "### " + part for part in parts[1:]}


def _missing_from(results: dict, out: Path) -> set[str]:
    """Sections the page shows that `results` does not hold (e.g. results/ is new: a fresh checkout)."""
    text = out.read_text() if out.exists() else ""
    if BEGIN not in text or END not in text:
        return set()
    shown = set(_chunks(text.split(BEGIN, 1)[1].split(END, 1)[0])) - {"Machine", "Targets at a glance"}
    return shown - {s["title"] for s in results["sections"].values()}


OWN_RUNS = "Each benchmark's own run: "


def _own_runs(line: str, when: dict[str, str]) -> str:
    """The page's line of when each benchmark last ran, with the ones measured now put right."""
    runs = dict(entry.split(": ", 1) for entry in line[len(OWN_RUNS):].rstrip(".").split("; ") if ": " in entry)
    return OWN_RUNS + "; ".join(f"{k}: {when.get(k, v)}" for k, v in runs.items()) + "."


def splice_page(results: dict, names: list[str], out: Path) -> bool:
    """Replace only the sections in `names` (and their rows in the targets table) in the page as written.

    For `--only` without the earlier runs' results at hand: the other sections' figures stay as
    the page has them, rather than vanishing. False when the page has no generated part to splice into.
    """
    text = out.read_text() if out.exists() else ""
    if BEGIN not in text or END not in text:
        return False
    head, rest = text.split(BEGIN, 1)
    block, tail = rest.split(END, 1)
    fresh = render(results).split(BEGIN, 1)[1].split(END, 1)[0]
    new_chunks = _chunks(fresh)
    sections = [_section_from(dict(results["sections"][k])) for k in ORDER if k in names and k in results["sections"]]
    for section in sections:
        title = section.title
        numbered = f"| {title.split('.')[0]} | "
        old = _chunks(block)
        if "Targets at a glance" in old:  # this benchmark's rows in the summary: the new ones instead of the old
            glance = old["Targets at a glance"]
            lines = [line for line in glance.rstrip("\n").split("\n") if not line.startswith(numbered)]
            lines += [line for line in new_chunks.get("Targets at a glance", "").split("\n") if line.startswith(numbered)]
            block = block.replace(glance, "\n".join(lines) + "\n", 1)
        old = _chunks(block)
        chunk = new_chunks[title].rstrip("\n") + "\n"
        if title in old:
            block = block.replace(old[title], chunk, 1)
        else:
            block = block.rstrip("\n") + "\n\n" + chunk
    measured = results.get("measured") or {}
    fallback = f"{results.get('when', '?')} (`{results.get('command', '?')}`)"
    when = {k: measured.get(k, fallback) for k in ORDER if k in results["sections"]}
    titled = {k: _section_from(dict(results["sections"][k])).title for k in when}
    notes = [f"Re-measured {when[k]}: {titled[k]}." for k in when]
    titles = {f": {title}." for title in titled.values()}
    # an earlier partial run's note stays unless the results at hand say when its section ran
    notes += [line for line in block.split("\n") if line.startswith("Re-measured ") and not any(line.endswith(t) for t in titles)]
    lines = [_own_runs(line, when) if line.startswith(OWN_RUNS) else line
             for line in block.split("\n") if not line.startswith("Re-measured ")]  # all said again below
    at = next((i for i, line in enumerate(lines) if line.startswith("Measured ")), 0)
    while at + 1 < len(lines) and lines[at + 1].strip():
        at += 1
    lines[at + 1:at + 1] = notes
    out.write_text(head + BEGIN + "\n".join(lines).rstrip("\n") + "\n\n" + END + tail)
    return True


def save(results: dict, path: Path) -> None:
    """Written whole or not at all (a temporary file renamed over it): a run beside another never leaves half a file."""
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False) as out:
        out.write(json.dumps(results, indent=1, default=str))
    os.replace(out.name, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a ~30 s look, not the report")
    parser.add_argument("--scale", choices=("full", "quick", "smoke"), help=argparse.SUPPRESS)
    parser.add_argument("--only", default="", help=f"comma-separated benchmarks to run ({', '.join(ORDER)})")
    parser.add_argument("--out", type=Path, default=None, help="the page to write (default: docs/performance.md; quick: bench/results/quick.md)")
    args = parser.parse_args(argv)
    scale = Scale.named(args.scale or ("quick" if args.quick else "full"))
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(ORDER)
    for name in names:
        if name not in ORDER:
            parser.error(f"unknown benchmark {name!r}; choose from {', '.join(ORDER)}")
    names = [n for n in ORDER if n in names]
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    results_path = results_dir / ("latest.json" if scale.name == "full" else f"{scale.name}.json")
    results = load_results(results_path) if args.only else {"sections": {}}
    out = args.out or (ROOT / "docs" / "performance.md" if scale.name == "full" else results_dir / f"{scale.name}.md")
    splice = bool(args.only) and bool(_missing_from(results, out))  # the page has figures the results lack: keep them
    started = time.perf_counter()
    results = asyncio.run(run(names, scale, results, results_path))
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    command = "python -m bench" + (" --quick" if scale.name == "quick" else "") + (f" --only {args.only}" if args.only else "")
    earlier = f"{results.get('when', '?')} (`{results.get('command', 'python -m bench')}`)"
    measured = (results.get("measured") or dict.fromkeys(results["sections"], earlier)) if args.only else {}
    measured.update({name: f"{when} (`{command}`)" for name in names})
    results.update(
        machine=machine(), scale=scale.name, when=when, command=command, measured=measured,
        seconds=time.perf_counter() - started + (results.get("seconds", 0) if args.only else 0),
    )
    save(results, results_path)
    if not (splice and splice_page(results, names, out)):
        write_page(results, out)
    print(f"[bench] wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}", flush=True)
    return 0
