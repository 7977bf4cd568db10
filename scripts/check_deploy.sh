#!/usr/bin/env bash
# `manage.py check --deploy` with production settings: fails on any warning (no silenced checks).
# The environment is production-like but throwaway: a random 50-character SECRET_KEY made for
# this run, DEBUG off, explicit hosts, the fake OpenID provider off. CI calls it from .ci/run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY="${PYTHON:-.venv/bin/python}"

# Only what a real deployment sets; everything else keeps the settings' production defaults
# (secure __Host- cookies, HSTS, SSL redirect, CSP). Inherited developer settings are dropped.
unset SESSION_COOKIE_SECURE CSRF_COOKIE_SECURE SECURE_SSL_REDIRECT SECURE_HSTS_SECONDS \
      SECURE_HSTS_INCLUDE_SUBDOMAINS SECURE_HSTS_PRELOAD SUMIDA_KOKUHO_COMMAND_LINE
SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
export SECRET_KEY
export DEBUG=false
export FAKE_OIDC=false
export ALLOWED_HOSTS="kokuho.city.sumida.example"
export CSRF_TRUSTED_ORIGINS="https://kokuho.city.sumida.example"
export BEHIND_TLS_PROXY=true
export DATABASE_URL="${DATABASE_URL:-sqlite:///$PWD/var/check_deploy.sqlite3}"

"$PY" manage.py check --deploy --fail-level WARNING
