"""The hash-pinned locks in requirements/ agree with pyproject.toml.

scripts/lock.sh writes them; scripts/_setup.sh installs requirements/dev.txt with
`pip install --require-hashes`. These tests fail when someone adds, removes or re-ranges a
dependency in pyproject.toml without re-running scripts/lock.sh, or edits a lock by hand.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / "requirements"
PIN_LINE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)(?P<rest>.*)$")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}\b")


@dataclass
class Pin:
    name: str
    version: Version
    line: int
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)


def read_lock(path: Path) -> list[Pin]:
    """Each `name==version` entry with its hashes and its `# via` lines (uv's annotations)."""
    pins: list[Pin] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        stripped = line.strip()
        if not stripped or (stripped.startswith("#") and not pins):
            continue  # the header
        if not line[0].isspace() and not line.startswith("#"):
            match = PIN_LINE.match(line)
            assert match, f"{path.name}:{number} is not an exact pin: {line!r}"
            pins.append(Pin(canonicalize_name(match["name"]), Version(match["version"]), number))
            pins[-1].hashes += HASH.findall(match["rest"])
        elif stripped.startswith("--hash="):
            assert HASH.fullmatch(stripped.rstrip(" \\")), f"{path.name}:{number}: {stripped}"
            pins[-1].hashes.append(stripped.rstrip(" \\"))
        elif stripped.startswith("#"):
            pins[-1].via.append(stripped.lstrip("# ").strip())
        else:
            pytest.fail(f"{path.name}:{number}: unexpected line {line!r}")
    return pins


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def requirements(*, test: bool) -> list[Requirement]:
    declared = project()["dependencies"]
    if test:
        declared = declared + project()["optional-dependencies"]["test"]
    return [Requirement(text) for text in declared]


def direct(pins: list[Pin], source: str = "(pyproject.toml)") -> set[str]:
    """Names the lock says come straight from pyproject.toml (or one of its groups)."""
    return {pin.name for pin in pins if any(v.endswith(source) for v in pin.via)}


LOCK_FOR = {"runtime.txt": False, "dev.txt": True}


@pytest.mark.parametrize("lock", ["runtime.txt", "dev.txt", "tools.txt"])
def test_every_pin_is_exact_and_hashed(lock):
    pins = read_lock(LOCKS / lock)
    assert pins, f"{lock} pins nothing"
    unhashed = [pin.name for pin in pins if not pin.hashes]
    assert not unhashed, f"{lock}: no --hash for {unhashed}"
    assert "scripts/lock.sh" in (LOCKS / lock).read_text().split("\n", 3)[1], (
        f"{lock} was not written by scripts/lock.sh"
    )


@pytest.mark.parametrize("lock", LOCK_FOR)
def test_lock_names_exactly_the_dependencies_of_pyproject(lock):
    declared = {canonicalize_name(r.name) for r in requirements(test=LOCK_FOR[lock])}
    pins = read_lock(LOCKS / lock)
    locked = {pin.name for pin in pins}
    missing = sorted(declared - locked)
    assert not missing, f"pyproject.toml needs {missing}, which {lock} lacks: bash scripts/lock.sh"
    stale = sorted(direct(pins) - declared)
    assert not stale, f"{lock} still locks {stale} for pyproject.toml: bash scripts/lock.sh"
    assert direct(pins) == declared


@pytest.mark.parametrize("lock", LOCK_FOR)
def test_locked_versions_are_within_the_ranges_of_pyproject(lock):
    versions: dict[str, list[Version]] = {}
    for pin in read_lock(LOCKS / lock):
        versions.setdefault(pin.name, []).append(pin.version)
    outside = [
        f"{r} (locked {', '.join(map(str, versions[canonicalize_name(r.name)]))})"
        for r in requirements(test=LOCK_FOR[lock])
        if canonicalize_name(r.name) in versions
        and not all(
            r.specifier.contains(v, prereleases=True) for v in versions[canonicalize_name(r.name)]
        )
    ]
    assert not outside, f"{lock} pins outside pyproject.toml's ranges: {outside}"


def test_tools_lock_names_exactly_the_tools_group():
    declared = {
        canonicalize_name(Requirement(text).name)
        for text in tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"][
            "tools"
        ]
    }
    pins = read_lock(LOCKS / "tools.txt")
    assert declared <= {pin.name for pin in pins}, "tools.txt is behind: bash scripts/lock.sh"
    assert direct(pins, "(pyproject.toml:tools)") == declared
    # The tools stay out of the application's locks.
    for lock in LOCK_FOR:
        assert not declared & {pin.name for pin in read_lock(LOCKS / lock)}, lock


def test_runtime_lock_is_the_dev_lock_without_the_test_tools():
    dev = {(pin.name, pin.version) for pin in read_lock(LOCKS / "dev.txt")}
    runtime = {(pin.name, pin.version) for pin in read_lock(LOCKS / "runtime.txt")}
    assert runtime <= dev, f"versions differ from dev.txt: {sorted(runtime - dev)}"
    test_only = {canonicalize_name(r.name) for r in requirements(test=True)} - {
        canonicalize_name(r.name) for r in requirements(test=False)
    }
    assert not test_only & {name for name, _ in runtime}


def test_django_stays_on_the_52_lts():
    (django,) = [pin for pin in read_lock(LOCKS / "runtime.txt") if pin.name == "django"]
    assert (django.version.major, django.version.minor) == (5, 2)


def test_the_reader_tells_a_broken_lock(tmp_path):
    """The checks above can fail: a hashless pin, a range pin and a missing dependency."""
    broken = tmp_path / "broken.txt"
    broken.write_text(
        "# header\n#    bash scripts/lock.sh\n"
        "django==5.2.19\n    # via sumida-kokuho (pyproject.toml)\n"
    )
    (pin,) = read_lock(broken)
    assert pin.hashes == [] and direct([pin]) == {"django"}
    broken.write_text("django>=5.2 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    with pytest.raises(AssertionError, match="not an exact pin"):
        read_lock(broken)
