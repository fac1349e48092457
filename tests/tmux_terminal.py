"""A real terminal for end-to-end tests: a program in a tmux pane, keys sent, the screen read.

Each terminal has its own tmux server (``-S``, a socket in the test's directory) with no
user config, so tests never touch a developer's tmux. ``remain-on-exit`` keeps the pane
after the program ends, so its last screen (a traceback, say) stays readable. The exit
status is written to a file by the shell that runs the program: tmux 3.3a's own
``#{pane_dead_status}`` stayed empty now and then (the program left as a zombie tmux never
reaped), and the test waited for ever.
"""

from __future__ import annotations

import shlex
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

#: Upper bound for one wait (a slow, shared CI machine): a bound, not a timing check.
WAIT = 180.0


class TerminalGone(AssertionError):
    """The program ended while a test waited for something on its screen."""


class TmuxTerminal:
    def __init__(self, workdir: Path, name: str, *, width: int = 200, height: int = 50) -> None:
        self.socket = workdir / f"{name}.tmux"
        if len(str(self.socket)) > 100:  # (a Unix socket path has about 108 bytes)
            self.socket = Path(tempfile.mkdtemp(prefix="spendtui-tmux-")) / name
        self.session = "t"
        self.conf = workdir / "tmux.conf"
        self.conf.write_text("set -g remain-on-exit on\nset -g history-limit 10000\nset -g status off\n")
        self.status_file = workdir / f"{name}.status"
        self.width, self.height = width, height
        self.started = False

    def _tmux(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["tmux", "-u", "-S", str(self.socket), "-f", str(self.conf), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def start(self, argv: list[str], env: Mapping[str, str]) -> None:
        """Run ``argv`` in a new pane of ``width`` x ``height`` with exactly ``env``."""
        self.status_file.unlink(missing_ok=True)
        done, writing = shlex.quote(str(self.status_file)), shlex.quote(f"{self.status_file}.tmp")
        record = f'"$@"; echo $? > {writing}; mv {writing} {done}'  # (the file appears complete)
        command = "exec env -i " + " ".join(shlex.quote(f"{k}={v}") for k, v in env.items())
        command += f" sh -c {shlex.quote(record)} sh " + " ".join(shlex.quote(a) for a in argv)
        size = ("-x", str(self.width), "-y", str(self.height))
        self._tmux("new-session", "-d", "-s", self.session, *size, command)
        self.started = True

    def close(self) -> None:
        if self.started:
            self._tmux("kill-server", check=False)
            self.started = False
        self.socket.unlink(missing_ok=True)

    # ------------------------------------------------------------------ reading
    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.session)

    def history(self) -> str:
        """Everything the pane printed, scrollback included (a traceback after exit)."""
        return self._tmux("capture-pane", "-p", "-S", "-", "-t", self.session)

    def exit_status(self) -> int | None:
        """The program's exit status once it has ended (None while it runs; 128 + n after
        signal n)."""
        if not self.status_file.exists():
            return None
        return int(self.status_file.read_text().strip())

    # ------------------------------------------------------------------ acting
    def keys(self, *keys: str) -> None:
        """tmux key names: ``9``, ``w``, ``Escape``, ``Enter``, ``C-p``."""
        self._tmux("send-keys", "-t", self.session, *keys)

    def resize(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self._tmux("resize-window", "-t", self.session, "-x", str(width), "-y", str(height))

    def wait_for(self, what: str, test: Callable[[str], bool], seconds: float = WAIT) -> str:
        """The screen once ``test(screen)`` holds; fails if the program ends first or
        ``seconds`` pass (the message holds the screen)."""
        deadline = time.monotonic() + seconds
        while True:
            screen = self.screen()
            if test(screen):
                return screen
            if self.exit_status() is not None:
                raise TerminalGone(
                    f"the program ended (status {self.exit_status()}) while waiting for {what}:\n{self.history()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} on screen after {seconds:.0f}s:\n{screen}")
            time.sleep(0.25)

    def wait_for_text(self, *texts: str, seconds: float = WAIT) -> str:
        return self.wait_for(" and ".join(repr(t) for t in texts), lambda s: all(t in s for t in texts), seconds)

    def wait_for_exit(self, seconds: float = WAIT) -> int:
        deadline = time.monotonic() + seconds
        while (status := self.exit_status()) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"the program did not end within {seconds:.0f}s:\n{self.screen()}")
            time.sleep(0.25)
        return status
