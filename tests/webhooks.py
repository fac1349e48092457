"""A webhook receiver on 127.0.0.1 for the alert tests (``check --notify``, ``watch``,
email alongside webhooks): records every POST, answers scripted statuses."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Hooks(ThreadingHTTPServer):
    """Webhook receiver on 127.0.0.1: records every POST; answers scripted statuses."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[tuple[str, dict, str]] = []
        self.script: dict[str, list[int]] = {}
        self.always: dict[str, int] = {}
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def posts(self, path: str) -> list[dict]:
        return [body for p, body, _ in self.received if p == path]


class _Handler(BaseHTTPRequestHandler):
    server: Hooks

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.received.append((self.path, body, self.headers.get("Content-Type", "")))
            queue = self.server.script.get(self.path)
            status = queue.pop(0) if queue else self.server.always.get(self.path, 200)
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "7")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass
