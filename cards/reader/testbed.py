"""A real PC/SC stack for tests and the bench: pcscd with Debian's vsmartcard-vpcd driver.

`Pcscd` starts pcscd in the foreground with its own reader configuration folder (never touching
/etc), on a port of its own, so the virtual card (`cards.reader.virtual_card.VpcdCard`) can be
placed on "Sumida Test Reader 00 00". It can restart pcscd without the reader (a reader unplugged)
and with it again (plugged back in). Every wait is bounded; `stop()` ends only the process it
started. There is one pcscd per machine: when another is running, `unavailable_reason()` says so.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
PID_FILE = Path("/run/pcscd/pcscd.pid")
READER_PREFIX = "Sumida Test Reader"
DEFAULT_PORT = int(os.environ.get("READER_TEST_VPCD_PORT", "35990"))
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0


def pcscd_path() -> str | None:
    return shutil.which("pcscd") or next(
        (p for p in ("/usr/sbin/pcscd", "/sbin/pcscd") if os.path.exists(p)), None
    )


def _running_pcscd_pid() -> int | None:
    try:
        pid = int(PID_FILE.read_text().strip("\x00\n "))
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def unavailable_reason() -> str | None:
    """Why the real stack cannot run here, or None when it can."""
    if not sys.platform.startswith("linux"):
        return "the reader tests need Linux (pcscd with the vsmartcard vpcd driver)"
    if os.geteuid() != 0:
        return "the reader tests start pcscd and need root (CI runs them as root)"
    if pcscd_path() is None:
        return "pcscd is not installed (apt-get install pcscd; scripts/_setup.sh does it)"
    if not VPCD_DRIVER.exists():
        return f"vsmartcard-vpcd is not installed ({VPCD_DRIVER} missing)"
    try:
        import smartcard.scard  # noqa: F401
    except ImportError:
        return "pyscard is not installed (it needs libpcsclite-dev and swig to build)"
    pid = _running_pcscd_pid()
    if pid is not None:
        return f"another pcscd (pid {pid}) is running; only one can run per machine"
    return None


class Pcscd:
    """One pcscd process with (or without) the vpcd reader on `port`."""

    def __init__(self, port: int = DEFAULT_PORT, workdir: Path | None = None) -> None:
        self.port = port
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="sumida-pcscd-"))
        self.with_reader_dir = self.workdir / "with-reader"
        self.without_reader_dir = self.workdir / "without-reader"
        self.log_path = self.workdir / "pcscd.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.unplugged = False
        self._write_config()

    def _write_config(self) -> None:
        self.with_reader_dir.mkdir(parents=True, exist_ok=True)
        self.without_reader_dir.mkdir(parents=True, exist_ok=True)
        (self.with_reader_dir / "vpcd").write_text(
            f'FRIENDLYNAME "{READER_PREFIX}"\n'
            f"DEVICENAME /dev/null:{self.port}\n"
            f"LIBPATH {VPCD_DRIVER}\n"
            f"CHANNELID {self.port}\n",
            encoding="ascii",
        )

    @property
    def reader(self) -> str:
        return f"{READER_PREFIX} 00 00"

    def start(self, *, with_reader: bool = True, timeout: float = START_TIMEOUT) -> None:
        if self.process is not None:
            raise RuntimeError("pcscd already started")
        binary = pcscd_path()
        if binary is None:
            raise RuntimeError("pcscd is not installed")
        config = self.with_reader_dir if with_reader else self.without_reader_dir
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
                [binary, "--foreground", "--debug", "--config", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self._wait_ready(with_reader, timeout)

    def _wait_ready(self, with_reader: bool, timeout: float) -> None:
        from smartcard import scard

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"pcscd exited at start-up; see {self.log_path}:\n{self.log()}")
            hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hresult == scard.SCARD_S_SUCCESS:
                try:
                    hresult, readers = scard.SCardListReaders(context, [])
                finally:
                    scard.SCardReleaseContext(context)
                ready = any(r.startswith(READER_PREFIX) for r in readers or [])
                if ready == with_reader and (with_reader or hresult != scard.SCARD_S_SUCCESS):
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"pcscd was not ready within {timeout:g} s:\n{self.log()}")

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    def restart(self, *, with_reader: bool = True) -> None:
        self.stop()
        self.start(with_reader=with_reader)

    def unplug(self) -> None:
        """The reader goes away: pcscd comes back without it (vpcd readers never vanish)."""
        self.unplugged = True
        self.restart(with_reader=False)

    def plug_in(self) -> None:
        self.restart(with_reader=True)
        self.unplugged = False

    def log(self, tail: int = 40) -> str:
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-tail:])

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
