#!/usr/bin/env bash
# Lint and format check (ruff: E, F, W, I, B, DJ, DTZ, INT, S, UP; see pyproject.toml).
# CI runs it too. Fix with: .venv/bin/ruff check --fix . && .venv/bin/ruff format .
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_setup.sh"
ensure_venv
say "ruff check"
.venv/bin/ruff check .
say "ruff format --check"
.venv/bin/ruff format --check .
