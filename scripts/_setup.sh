# Shared set-up for scripts/run.sh and scripts/test.sh (sourced, not run).
# Creates .venv, installs the dependencies declared in pyproject.toml, and skips the install when
# pyproject.toml has not changed since the last one (a stamp file keyed on its hash).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

ensure_python() {
    if command -v python3 >/dev/null 2>&1 \
        && python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        return
    fi
    say "Python 3.11 or newer is needed; installing Debian's python3"
    apt_install python3 python3-venv
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || { echo "python3 is older than 3.11; install Python 3.11+ and retry" >&2; exit 1; }
}

apt_install() {
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "Please install these packages first: $*" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Debian packages the PDF documents need: the Japanese font they embed (notices/documents/fonts.py)
# and poppler's pdftoppm, with which a test renders a page. Checked first, so a second run is quick.
IPAEX_GOTHIC=/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf
ensure_system_packages() {
    local missing=()
    if [ ! -f "$IPAEX_GOTHIC" ] && ! dpkg -s fonts-ipaexfont-gothic >/dev/null 2>&1; then
        missing+=(fonts-ipaexfont-gothic)
    fi
    if ! command -v pdftoppm >/dev/null 2>&1; then
        missing+=(poppler-utils)
    fi
    # pyscard (the card reader) has no Linux wheel: pip builds it with swig against pcsc-lite's
    # headers and Python's own (Debian's python3 keeps those in python3-dev).
    if ! command -v swig >/dev/null 2>&1; then
        missing+=(swig)
    fi
    if [ ! -f /usr/include/PCSC/winscard.h ]; then
        missing+=(libpcsclite-dev)
    fi
    if ! python3 -c 'import os, sysconfig, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' 2>/dev/null; then
        missing+=(python3-dev)
    fi
    # The portal's browser tests drive Debian's Chromium (never a downloaded browser), wrk
    # measures bench/portal.sh, and npm fetches axe-core for the accessibility checks.
    if [ ! -x /usr/bin/chromium ]; then
        missing+=(chromium)
    fi
    if ! command -v npm >/dev/null 2>&1; then
        missing+=(npm)
    fi
    # The reader tests' real stack: pcscd and Debian's vsmartcard virtual reader driver. Only
    # where we may install (CI runs as root); elsewhere those tests skip and say why.
    local reader_stack=()
    if ! command -v pcscd >/dev/null 2>&1 && [ ! -x /usr/sbin/pcscd ]; then
        reader_stack+=(pcscd)
    fi
    if [ ! -f /usr/lib/pcsc/drivers/serial/libifdvpcd.so ]; then
        reader_stack+=(vsmartcard-vpcd)
    fi
    if [ "${#reader_stack[@]}" -gt 0 ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            missing+=("${reader_stack[@]}")
        else
            say "Not installing ${reader_stack[*]} (not root): the card-reader tests will skip"
        fi
    fi
    if [ "${#missing[@]}" -gt 0 ]; then
        say "Installing Debian packages: ${missing[*]}"
        apt_install "${missing[@]}"
    fi
}

ensure_venv() {
    ensure_python
    ensure_system_packages
    if [ ! -x .venv/bin/python ]; then
        say "Creating .venv"
        if ! python3 -m venv .venv 2>/dev/null; then
            rm -rf .venv
            apt_install python3-venv
            python3 -m venv .venv
        fi
    fi
    local stamp=.venv/.sumida-kokuho-deps hash
    hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" = "$hash" ]; then
        return
    fi
    say "Installing dependencies from pyproject.toml (project and test extras)"
    # The project is not an installable package ([tool.setuptools] packages = []): install what it
    # depends on, read straight from pyproject.toml, so no build directory or egg-info is left behind.
    .venv/bin/python - <<'PY' > .venv/requirements.txt
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
for requirement in project["dependencies"] + project["optional-dependencies"]["test"]:
    print(requirement)
PY
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r .venv/requirements.txt
    echo "$hash" > "$stamp"
}

# Compile the translation catalogues when gettext is there; the committed .mo files are used
# otherwise (they are kept in step with the .po files by scripts/i18n.sh and a test).
compile_messages() {
    if command -v msgfmt >/dev/null 2>&1; then
        .venv/bin/python manage.py compilemessages --ignore=.venv -v 0
    fi
}
