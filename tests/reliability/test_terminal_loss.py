"""The terminal disappears (SSH drop): spendtui exits within seconds without spinning a core."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

import pytest


def spawn(db: Path, ignore_hup: bool) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:  # child: the real dashboard on a real pseudo-terminal
        if ignore_hup:
            signal.signal(signal.SIGHUP, signal.SIG_IGN)  # like running under nohup
        os.environ["TERM"] = "xterm-256color"
        os.execv(sys.executable, [sys.executable, "-m", "spendtui", "--db", str(db), "--no-mouse"])
    return pid, fd


def read_until_drawn(fd: int, timeout: float = 30) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and b"Overview" not in seen:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def stat(pid: int) -> tuple[str, float]:
    """Process state and CPU seconds used, from /proc (a zombie still has them)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return fields[0], (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_zombie(pid: int, timeout: float) -> float | None:
    """CPU seconds at exit, or None if still running after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state, cpu = stat(pid)
        if state == "Z":
            return cpu
        time.sleep(0.1)
    return None


@pytest.mark.parametrize("ignore_hup", [False, True], ids=["sighup", "nohup-stdin-gone"])
def test_exits_when_the_terminal_goes_away(litellm_db, ignore_hup) -> None:
    pid, fd = spawn(litellm_db, ignore_hup)
    screen = read_until_drawn(fd)
    assert b"Overview" in screen, screen[-500:]
    time.sleep(1)
    _, cpu_at_drop = stat(pid)
    dropped = time.monotonic()
    os.close(fd)  # the SSH connection drops: the pty master goes away
    cpu_at_exit = wait_zombie(pid, timeout=10)
    took = time.monotonic() - dropped
    if cpu_at_exit is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("spendtui was still running 10 s after its terminal went away")
    os.waitpid(pid, 0)
    # a busy-looping input thread would burn a full core for the whole time it lingers
    assert cpu_at_exit - cpu_at_drop < 0.5 + 0.5 * took
