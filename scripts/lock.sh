#!/usr/bin/env bash
# Regenerate the hash-pinned lock files in requirements/ from pyproject.toml:
#   requirements/dev.txt      runtime + test extras: what scripts/_setup.sh installs into .venv
#   requirements/runtime.txt  runtime only, at the same versions: the image, pip-audit, the SBOM
#   requirements/tools.txt    the "tools" dependency group (uv, pip-audit, cyclonedx-bom, locust),
#                             installed into .venv-tools, never next to the application
# Resolved by uv from the public index only (no local index or wheel folder of this machine, no
# uv or pip configuration file), for every platform (--universal) and Python 3.11 and newer, so
# the locks install on a fresh machine. Pins already in the files are kept unless you ask:
#   bash scripts/lock.sh                          # after changing pyproject.toml's dependencies
#   bash scripts/lock.sh --upgrade-package django # move one package to its newest allowed version
#   bash scripts/lock.sh --upgrade                # move everything
# Then commit the three files; tests/test_lock.py fails while pyproject.toml and the locks disagree.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_setup.sh"

ensure_tools
# Only uv's defaults: no index or find-links from the environment either.
unset UV_INDEX_URL UV_EXTRA_INDEX_URL UV_INDEX UV_DEFAULT_INDEX UV_FIND_LINKS UV_CONSTRAINT \
    UV_OVERRIDE UV_NO_INDEX UV_OFFLINE
compile() {
    .venv-tools/bin/uv pip compile --quiet --no-config --universal --python-version 3.11 \
        --generate-hashes --custom-compile-command "bash scripts/lock.sh" "$@"
}
say "Locking requirements/dev.txt (pyproject.toml with the test extras)"
compile pyproject.toml --extra test -o requirements/dev.txt "$@"
say "Locking requirements/runtime.txt (pyproject.toml, at dev.txt's versions)"
compile pyproject.toml --constraint requirements/dev.txt -o requirements/runtime.txt "$@"
say "Locking requirements/tools.txt (pyproject.toml's dependency group \"tools\")"
compile --group pyproject.toml:tools -o requirements/tools.txt "$@"
