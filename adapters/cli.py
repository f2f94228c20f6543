"""`outsource-check`: the one command that starts an adapter or runs a dialog tool.

This is the composition root: it builds the catalog and the store from the environment and
hands them to whichever adapter was asked for. Errors a user can fix end as one line, never as a
traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys

from bot.dialogs.catalog import MAIN_DIALOG, Catalog, NoDialogs
from bot.dialogs.cli import TOOL_COMMANDS, add_tool_commands, run_tool
from bot.dialogs.problems import DialogError

PLATFORMS = ("slack", "discord")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="outsource-check", description="Should you outsource your social media?")
    commands = parser.add_subparsers(dest="command", required=True)
    add_tool_commands(commands)
    chat = commands.add_parser("chat", help="talk a check through in this terminal")
    chat.add_argument("--dialog", default=MAIN_DIALOG, help=f"dialog id (default {MAIN_DIALOG})")
    chat.add_argument("--agency", default="", help="with --dialog agency_vetting: the agency's name")
    chat.add_argument("--store", default=None, help="a SQLite file or memory: (default: OUTSOURCE_CHECK_STORE)")
    stats = commands.add_parser("stats", help="checks started and finished, drop-off per question, outcome mix")
    stats.add_argument("--store", default=None, help="a SQLite file, redis://..., or memory: (default: OUTSOURCE_CHECK_STORE)")
    for platform in PLATFORMS:
        runner = commands.add_parser(platform, help=f"run the {platform.title()} bot (settings from the environment)")
        runner.add_argument("--store", default=None, help="a SQLite file or memory: (default: OUTSOURCE_CHECK_STORE)")
        if platform == "discord":
            runner.add_argument("--shards", type=int, default=None, help="total shard count (AutoShardedClient); default: unsharded")
            runner.add_argument("--shard-ids", default=None, help="the shards this process runs, e.g. 0-3 or 0,2,4 (with --shards)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in TOOL_COMMANDS:
        return run_tool(args)
    try:
        catalog = Catalog.load()
    except NoDialogs as exc:
        print(f"outsource-check: {exc}", file=sys.stderr)
        return 2
    except DialogError as exc:
        print(f"outsource-check: the dialogs have problems; run 'outsource-check validate':\n{exc}", file=sys.stderr)
        return 2
    if args.command == "chat":
        return asyncio.run(_chat(catalog, args))
    if args.command == "stats":
        return asyncio.run(_stats(catalog, args.store))
    # each platform's package has a main.run(args, catalog) -> exit code; imported only when asked for
    return importlib.import_module(f"adapters.{args.command}.main").run(args, catalog)


async def _chat(catalog: Catalog, args: argparse.Namespace) -> int:
    from adapters.terminal.chat import TerminalChat, terminal_user
    from bot.conversation.service import ConversationService
    from bot.stores import StoreUnavailable, checked, open_store

    if catalog.get(args.dialog) is None:
        print(f"outsource-check: no dialog '{args.dialog}'; there are: {', '.join(sorted(catalog.dialogs))}", file=sys.stderr)
        return 2
    try:
        store = await checked(open_store(args.store))
        await store.purge_expired()  # the terminal's expiry: abandoned checks go at each start
    except (ValueError, StoreUnavailable) as exc:
        print(f"outsource-check chat: {exc}", file=sys.stderr)
        return 2
    prefill = (("agency_name", args.agency),) if args.agency else ()
    # no nudges: nothing runs follow-ups in a terminal, and a bot sharing the store could not reach a terminal user
    chat = TerminalChat(service=ConversationService(catalog=catalog, store=store, nudge_after=None), user=terminal_user())
    try:
        await chat.run(sys.stdin, args.dialog, prefill)
    finally:
        await store.close()
    return 0


async def _stats(catalog: Catalog, spec: str | None) -> int:
    from bot.ops import stats
    from bot.stores import StoreUnavailable, checked, open_store

    try:
        store = await checked(open_store(spec))
    except (ValueError, StoreUnavailable) as exc:
        print(f"outsource-check stats: {exc}", file=sys.stderr)
        return 2
    try:
        print(stats.report(await stats.collect(store, catalog), catalog))
    except StoreUnavailable as exc:
        print(f"outsource-check stats: the store failed while reading ({exc})", file=sys.stderr)
        return 2
    finally:
        await store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
