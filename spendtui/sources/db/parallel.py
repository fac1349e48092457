"""Run SQLite aggregation chunks on every core.

SQLite serialises memory allocation across the threads of one process, so threads do
not speed up a sort-heavy ``GROUP BY``; separate processes do. Each helper is a plain
``python -m spendtui.sources.db.helper`` child that imports nothing but ``sqlite3`` and
answers one chunk at a time over its stdin/stdout. The calling process works through
chunks too (from the other end of the list) while helpers start, so a small load never
waits for them, and a helper that fails just leaves its chunks to this process.
"""

from __future__ import annotations

import pickle
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from queue import SimpleQueue
from typing import IO, Any

Bound = tuple[int, int]
#: One chunk's answer: the single row of the aggregate (``decode.chunk_from_row`` reads it).
Answer = tuple[Any, ...]
#: What a helper thread hands back: (bound, "ok", answer) or (bound, "error", the
#: exception to raise); None when the helper is done.
_Handed = tuple[Bound, str, Any] | None
_HEADER = struct.Struct("!I")


def write_frame(stream: IO[bytes], obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    size = _HEADER.unpack(header)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)  # noqa: S301 (our own child process)


class _Helper(threading.Thread):
    """Feeds chunks to one helper process until the queue is empty; answers go to ``out``."""

    def __init__(
        self, queue: deque[Bound], out: SimpleQueue[_Handed], args: tuple[str, float], sql: str, params: dict[str, Any]
    ) -> None:
        super().__init__(daemon=True, name="spendtui-load-helper")
        self.queue, self.out, self.args, self.sql, self.params = queue, out, args, sql, params
        self.proc: subprocess.Popen[bytes] | None = None

    def run(self) -> None:
        try:
            self._serve()
        finally:
            self.close()
            self.out.put(None)  # this helper is done

    def _serve(self) -> None:
        uri, timeout = self.args
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "spendtui.sources.db.helper", uri, str(timeout)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            return
        assert self.proc.stdin is not None and self.proc.stdout is not None
        while True:
            try:
                bound = self.queue.popleft()
            except IndexError:
                return
            try:
                write_frame(self.proc.stdin, (self.sql, {**self.params, "lo": bound[0], "hi": bound[1]}))
                status, value = read_frame(self.proc.stdout)
            except (OSError, EOFError, pickle.UnpicklingError):
                self.queue.append(bound)  # give it back and stop
                return
            self.out.put((bound, status, value))
            if status != "ok":
                return

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None  # (started with stdin=PIPE)
                self.proc.stdin.close()
                self.proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()


def iter_chunks(
    bounds: list[Bound],
    run_local: Callable[[Bound], Answer],
    *,
    uri: str,
    timeout: float,
    sql: str,
    params: dict[str, Any],
    helpers: int,
) -> Iterator[Answer]:
    """Each chunk's answer, as soon as it is ready (in no particular order).

    ``run_local`` runs one chunk in this process. Answers are handed over one at a
    time so the caller can fold each in and drop it: memory stays at one chunk.
    """
    queue: deque[Bound] = deque(bounds)
    out: SimpleQueue[_Handed] = SimpleQueue()
    threads = [_Helper(queue, out, (uri, timeout), sql, params) for _ in range(max(0, helpers))]
    if len(bounds) < 4:
        threads = []
    for t in threads:
        t.start()
    running = len(threads)
    done: set[Bound] = set()
    try:
        while True:
            while running and not out.empty():
                item = out.get()
                if item is None:
                    running -= 1
                    continue
                bound, status, value = item
                if status != "ok":
                    raise value
                done.add(bound)
                yield value
            try:
                bound = queue.pop()
            except IndexError:
                if not running:
                    break
                item = out.get()
                if item is None:
                    running -= 1
                else:
                    out.put(item)  # handled at the top of the loop
                continue
            done.add(bound)
            yield run_local(bound)
        for bound in bounds:  # anything a failed helper dropped
            if bound not in done:
                yield run_local(bound)
    finally:
        queue.clear()
        for t in threads:
            t.close()
