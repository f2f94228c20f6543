"""The lock file: every dependency pinned with its hashes, and what the image and the test command install."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import ROOT

LOCK = ROOT / "requirements.lock"
STALE = "requirements.lock is out of date with pyproject.toml: run 'bash scripts/lock'"


def locked() -> dict[str, tuple[Version, list[str]]]:
    """{name: (version, hashes)} from the lock (continuation lines joined, comments dropped)."""
    text = re.sub(r"\\\n", " ", LOCK.read_text())
    out = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        spec, *options = line.split(" --")
        requirement = Requirement(spec.strip())
        (pin,) = requirement.specifier
        assert pin.operator == "==", f"{requirement.name} is not pinned exactly: {line[:80]}"
        hashes = [o for o in options if o.startswith("hash=sha256:")]
        assert hashes, f"{requirement.name} has no hashes"
        out[canonicalize_name(requirement.name)] = (Version(pin.version), hashes)
    return out


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]


def test_every_declared_dependency_is_locked_at_a_version_it_allows() -> None:
    pins = locked()
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is missing: {STALE}"
        assert pins[name][0] in requirement.specifier, f"{requirement} but the lock has {pins[name][0]}: {STALE}"


def test_the_image_and_the_test_command_install_from_the_lock() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    bases = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    assert len(bases) == 2 and len(set(bases)) == 1, "both stages on one base"
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", bases[0]), "an exact patch release"
    assert "--require-hashes" in dockerfile and "-r requirements.lock" in dockerfile
    assert "--no-index" in dockerfile, "the run stage can only pick the locked files"
    script = (ROOT / "scripts" / "test").read_text()
    assert "--require-hashes -r requirements.lock" in script and "--no-deps -e ." in script
