"""`outsource-check chat`: the whole check in a terminal, no tokens, no network.

Reads one line at a time from stdin, so a here-doc or a pipe drives it exactly as a person
would (scripted demos and the end-to-end test use that). Quitting keeps the session; the next
run resumes it.
"""

from __future__ import annotations

import getpass
import sys
from typing import TextIO

from adapters.terminal.render import render
from bot import words
from bot.conversation.events import Answer, Back, Event, Restart, Resume, Start
from bot.conversation.replies import Notice, Question, Reply, ResultCard
from bot.conversation.service import ConversationService
from bot.conversation.typed import read_answer
from bot.dialogs.catalog import MAIN_DIALOG

QUIT, BACK, RESTART = {"q", "quit", "exit"}, {"b", "back"}, {"r", "restart"}
YES = {"y", "yes"}


def _answered_something(replies: list[Reply]) -> bool:
    """Only a check with answers in it is worth a "welcome back"; an untouched one simply starts."""
    first = next((r for r in replies if isinstance(r, (Question, ResultCard))), None)
    return isinstance(first, ResultCard) or (isinstance(first, Question) and first.can_go_back)


def terminal_user() -> str:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        name = "local"
    return f"terminal:{name}"


class TerminalChat:
    def __init__(self, *, service: ConversationService, user: str, out: TextIO = sys.stdout) -> None:
        self.service = service
        self.user = user
        self.out = out
        self.current: Question | ResultCard | None = None
        self.confirming_restart = False

    def show(self, replies: list[Reply]) -> None:
        for reply in replies:
            print(render(reply), end="\n\n", file=self.out, flush=True)
            if isinstance(reply, (Question, ResultCard)):
                self.current = reply

    async def begin(self, dialog: str = MAIN_DIALOG, prefill: tuple[tuple[str, str], ...] = ()) -> None:
        if not prefill:
            replies = await self.service.handle(Event(self.user, Resume(dialog)))
            if replies and not (isinstance(replies[0], Notice) and replies[0].kind == "nothing_to_resume"):
                if _answered_something(replies):
                    print(words.TERMINAL_WELCOME_BACK + "\n", file=self.out)
                self.show(replies)
                return
        self.show(await self.service.handle(Event(self.user, Start(dialog, prefill))))

    async def line(self, text: str) -> bool:
        """Handle one typed line; False once the user quits."""
        command = text.strip().lower()
        if command in QUIT:
            print(words.TERMINAL_SAVED, file=self.out)
            return False
        current = self.current
        if current is None:
            return False
        if self.confirming_restart:
            self.confirming_restart = False
            if command in YES:
                self.show(await self.service.handle(Event(self.user, Restart(current.session_id))))
            else:
                print(words.TERMINAL_KEPT + "\n", file=self.out)
                self.show([current])
            return True
        if command in RESTART:
            self.confirming_restart = True
            print(f"! {words.TERMINAL_CONFIRM_RESTART}\n", file=self.out)
        elif command in BACK:
            self.show(await self.service.handle(Event(self.user, Back(current.session_id))))
        elif isinstance(current, ResultCard):
            print(f"! {words.TERMINAL_FINISHED}\n", file=self.out)
        else:
            typed = read_answer(current, text)
            if not typed.ok:
                print(f"! {typed.hint}\n", file=self.out)
                return True
            self.show(await self.service.handle(Event(self.user, Answer(current.session_id, current.node, typed.value))))
        return True

    async def run(self, lines: TextIO, dialog: str = MAIN_DIALOG, prefill: tuple[tuple[str, str], ...] = ()) -> None:
        await self.begin(dialog, prefill)
        interactive = lines.isatty()
        while True:
            if interactive:
                print("> ", end="", file=self.out, flush=True)
            text = lines.readline()
            if not text:  # end of input: keep the session for next time
                print(words.TERMINAL_END_OF_INPUT, file=self.out)
                return
            if not interactive and text.strip():
                print(f"> {text.strip()}", file=self.out)
            if not await self.line(text):
                return
