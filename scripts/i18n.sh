#!/usr/bin/env bash
# Refresh the translation catalogues: collect every msgid into locale/{ja,en}/LC_MESSAGES/django.po
# and compile them to .mo. Then translate every new or fuzzy ja entry and run this again;
# tests/test_i18n.py fails while any ja entry is empty or fuzzy, or a .mo is stale.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_setup.sh"

export DEBUG=true
ensure_venv
if ! command -v msgfmt >/dev/null 2>&1; then
    apt_install gettext
fi
IGNORE=(--ignore=.venv --ignore=tests --ignore=var --ignore=staticfiles --ignore=build)
.venv/bin/python manage.py makemessages -l ja -l en --no-obsolete "${IGNORE[@]}"
.venv/bin/python manage.py compilemessages --ignore=.venv
untranslated="$(msgattrib --untranslated --no-wrap locale/ja/LC_MESSAGES/django.po | grep -c '^msgid "[^"]' || true)"
fuzzy="$(msgattrib --only-fuzzy --no-wrap locale/ja/LC_MESSAGES/django.po | grep -c '^msgid "[^"]' || true)"
echo "locale/ja: $untranslated untranslated and $fuzzy fuzzy entries."
