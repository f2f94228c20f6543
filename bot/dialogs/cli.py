"""The dialog tools' half of the command line: `validate`, `paths`, `advice`, `graph`.

Kept in the core so a dialog author can run them with nothing but the core installed
(`python -m bot.dialogs.cli validate dialogs/*.yaml`); `outsource-check` adds the adapters' commands.
"""

from __future__ import annotations

import argparse
import sys

from bot.dialogs import tools
from bot.dialogs.catalog import seeds_dir

TOOL_COMMANDS = ("validate", "paths", "graph", "advice")


def add_tool_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    validate = commands.add_parser("validate", help="check dialog files (exit 0 clean, 1 problems, 2 unusable)")
    validate.add_argument("files", nargs="*")
    paths = commands.add_parser("paths", help="count the paths through a dialog that end in each outcome")
    paths.add_argument("dialog")
    advice = commands.add_parser("advice", help="figures on a dialog's advice over every path (docs/advice.md)")
    advice.add_argument("dialogs", nargs="+")
    advice.add_argument("--write", metavar="MARKDOWN", help="write the figures into this page between its markers")
    graph = commands.add_parser("graph", help="print a dialog as a diagram")
    graph.add_argument("dialog")
    graph.add_argument("--format", choices=["mermaid", "dot"], default="mermaid")


def run_tool(args: argparse.Namespace) -> int:
    if args.command == "validate":
        text, code = tools.validate(args.files, seeds_dir=seeds_dir())
    elif args.command == "paths":
        text, code = tools.paths_report(args.dialog)
    elif args.command == "advice":
        text, code = tools.advice_report(args.dialogs, args.write)
    else:
        text, code = tools.graph(args.dialog, args.format)
    print(text, file=sys.stdout if code == 0 else sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.dialogs.cli", description="Dialog tools")
    add_tool_commands(parser.add_subparsers(dest="command", required=True))
    return run_tool(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
