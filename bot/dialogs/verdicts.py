"""Clean start-up verdicts remembered across starts, so a later start skips even start-up's path walk.

Start-up runs every check but the advice checks (bot/dialogs/validator.py `check`), and its walk
of a dialog's paths is still most of a first start. Its verdict depends only on the dialog's text, the code that
checks it and the seed files present, so a clean verdict (no errors: start-up ignores warnings) is
remembered under a hash of exactly those, as an empty file in the user's cache folder (`_folder`).
A file edit, a code change, another Python or PyYAML, or a seed file added or removed gives another
key, and the checks run again. Errors are never remembered. The folder is best-effort: when it
cannot be written, the checks simply run at every start.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
from pathlib import Path

import yaml

KEEP = 256  # verdict files kept; past this the folder is emptied and refills with what is in use


def key(text: str, seeds_dir: Path | None) -> str:
    """The verdict's name for this text checked against this seed folder; "" when it cannot be had."""
    try:
        digest = hashlib.sha256(_code_fingerprint().encode())
        digest.update(text.encode("utf-8"))
        if seeds_dir is not None:
            names = sorted(p.name for p in seeds_dir.iterdir())
            digest.update("\0".join(names).encode("utf-8", errors="surrogateescape"))
    except OSError:
        return ""
    return digest.hexdigest()


def known_clean(found: str) -> bool:
    try:
        return (_folder() / found).is_file()
    except OSError:
        return False


def remember_clean(found: str) -> None:
    try:
        folder = _folder()
        folder.mkdir(parents=True, exist_ok=True)
        if sum(1 for _ in folder.iterdir()) >= KEEP:
            for old in folder.iterdir():
                old.unlink(missing_ok=True)
        (folder / found).touch()
    except OSError:
        pass  # a read-only or full disk: the checks just run again next time


def _folder() -> Path:
    """`$XDG_CACHE_HOME/outsource-check/verdicts`, by default under ~/.cache: shared by every process."""
    configured = os.environ.get("XDG_CACHE_HOME")
    try:
        base = Path(configured) if configured else Path.home() / ".cache"
    except (RuntimeError, KeyError) as exc:  # no home folder to be found
        raise OSError(str(exc)) from None
    return base / "outsource-check" / "verdicts"


@functools.cache
def _code_fingerprint() -> str:
    """The Python, PyYAML and every source file of the `bot` package: what a verdict depends on."""
    digest = hashlib.sha256(f"{sys.version}\0{yaml.__version__}\0{yaml.__with_libyaml__}".encode())
    package = Path(__file__).resolve().parents[1]  # the whole `bot` package, not only bot/dialogs
    for source in sorted(package.rglob("*.py")):
        digest.update(str(source.relative_to(package)).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()
