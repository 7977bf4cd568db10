"""Print each requirement of pyproject.toml (runtime and test extras) that a lock file lacks.

    python scripts/unlocked.py requirements/dev.txt

Used by scripts/_setup.sh after installing the lock: a dependency added to pyproject.toml without
running scripts/lock.sh. Standard library only (it runs before anything is installed); names are
compared in their normal form (PEP 503: case, "-", "_" and "." alike).
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
PIN = re.compile(r"^(" + NAME.pattern + r")(?:\[[^\]]*\])?==", re.MULTILINE)


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main(lock: str) -> None:
    root = Path(__file__).resolve().parent.parent
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    locked = {normal(name) for name in PIN.findall(Path(lock).read_text())}
    wanted = project["dependencies"] + project.get("optional-dependencies", {}).get("test", [])
    for requirement in wanted:
        match = NAME.match(requirement.strip())
        if match and normal(match.group(0)) not in locked:
            print(requirement)


if __name__ == "__main__":
    main(sys.argv[1])
