# Shared set-up for scripts/run.sh and scripts/test.sh (sourced, not run).
# Creates .venv and installs the locked dependencies (requirements/dev.txt: pyproject.toml's, test
# extras included, each pinned with its hashes; scripts/lock.sh writes it), and skips the install
# when neither the lock nor pyproject.toml has changed since the last one (a stamp of their hashes).
# The build's own tools (uv, pip-audit, cyclonedx-bom, locust) go into .venv-tools: ensure_tools.

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
    hash="$(cat requirements/dev.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" = "$hash" ]; then
        return
    fi
    say "Installing the locked dependencies (requirements/dev.txt, hash-checked)"
    # The project itself is not an installable package ([tool.setuptools] packages = []): it runs
    # from this folder, so only what it depends on is installed. Every file pip fetches must match
    # a hash in the lock, whichever index it comes from.
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
        -r requirements/dev.txt
    # A dependency added to pyproject.toml but not locked yet (scripts/lock.sh not run): install
    # it unpinned so work goes on and say so loudly; under CI fail (tests/test_lock.py fails too).
    local unlocked
    unlocked="$(.venv/bin/python scripts/unlocked.py requirements/dev.txt)"
    if [ -n "$unlocked" ]; then
        echo "pyproject.toml lists dependencies that requirements/dev.txt does not lock:" >&2
        sed 's/^/    /' <<<"$unlocked" >&2
        echo "Run: bash scripts/lock.sh   (and commit requirements/)" >&2
        if [ "${CI:-}" = true ]; then
            exit 1
        fi
        local -a unlocked_list
        mapfile -t unlocked_list <<<"$unlocked"
        .venv/bin/python -m pip install --quiet --disable-pip-version-check "${unlocked_list[@]}"
    fi
    echo "$hash" > "$stamp"
}

# The build's tools in their own venv, .venv-tools, from requirements/tools.txt (hash-checked), so
# none of them (or their dependencies) lands next to the application's. Quick when up to date.
ensure_tools() {
    ensure_python
    if [ ! -x .venv-tools/bin/python ]; then
        say "Creating .venv-tools"
        if ! python3 -m venv .venv-tools 2>/dev/null; then
            rm -rf .venv-tools
            apt_install python3-venv
            python3 -m venv .venv-tools
        fi
    fi
    local stamp=.venv-tools/.sumida-kokuho-tools hash
    if [ ! -f requirements/tools.txt ]; then  # the very first lock: uv alone, to write tools.txt
        [ -x .venv-tools/bin/uv ] || .venv-tools/bin/python -m pip install --quiet \
            --disable-pip-version-check uv
        return
    fi
    hash="$(sha256sum requirements/tools.txt | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" = "$hash" ]; then
        return
    fi
    say "Installing the build tools into .venv-tools (requirements/tools.txt, hash-checked)"
    .venv-tools/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
        -r requirements/tools.txt
    echo "$hash" > "$stamp"
}

# Compile the translation catalogues when gettext is there; the committed .mo files are used
# otherwise (they are kept in step with the .po files by scripts/i18n.sh and a test).
compile_messages() {
    if command -v msgfmt >/dev/null 2>&1; then
        .venv/bin/python manage.py compilemessages --ignore=.venv -v 0
    fi
}
