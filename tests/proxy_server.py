"""A real HTTP server on 127.0.0.1 for the proxy source's tests.

Routes map a path to a ``Reply`` (or a function of the request returning one); replies
can be JSON, HTML, truncated, or held until the test releases them. ``LogStore`` serves
``/spend/logs/v2`` from a list of rows with LiteLLM's filtering, sorting and paging.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.helpers import RESPONSES


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    #: Announce more bytes than are sent, then close (a cut connection).
    truncate: bool = False
    #: Wait for this event (at most 30 s) before answering.
    hold: threading.Event | None = None
    #: Wait this many seconds before answering (a slow proxy).
    delay: float = 0.0
    #: Close the connection without sending anything (a proxy that drops it).
    drop: bool = False

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


Handler = Callable[[Request], Reply]


def recorded(name: str, status: int = 200) -> Reply:
    """A recorded answer of the real LiteLLM 1.108.7 proxy."""
    return Reply(status, (RESPONSES / f"{name}.json").read_bytes())


class FixtureServer:
    """A threaded HTTP(S) server on 127.0.0.1 with per-path replies."""

    def __init__(self, tls: ssl.SSLContext | None = None, port: int = 0) -> None:
        self.routes: dict[str, Handler | Reply] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        #: The same per path (several paths may be read at once by design).
        self.in_flight_by_path: dict[str, int] = {}
        self.max_in_flight_by_path: dict[str, int] = {}
        self.arrived = threading.Event()
        self.connections: set[socket.socket] = set()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with server.lock:
                    server.connections.add(self.connection)

            def finish(self) -> None:
                with server.lock:
                    server.connections.discard(self.connection)
                super().finish()

            def do_GET(self) -> None:  # noqa: N802
                server._serve(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> FixtureServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop like a killed process: no listener and no open connections."""
        self.httpd.shutdown()
        self.httpd.server_close()
        with self.lock:
            open_connections = list(self.connections)
        for connection in open_connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def route(self, path: str, reply: Handler | Reply) -> None:
        self.routes[path] = reply

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        request = Request(
            handler.command,
            parts.path,
            dict(parse_qsl(parts.query, keep_blank_values=True)),
            {k.lower(): v for k, v in handler.headers.items()},
        )
        with self.lock:
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            here = self.in_flight_by_path[request.path] = self.in_flight_by_path.get(request.path, 0) + 1
            self.max_in_flight_by_path[request.path] = max(self.max_in_flight_by_path.get(request.path, 0), here)
        self.arrived.set()
        try:
            route = self.routes.get(request.path)
            if route is None:
                reply = Reply(404, {"detail": "Not Found"})
            else:
                reply = route(request) if callable(route) else route
            if reply.hold is not None:
                reply.hold.wait(30)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.drop:
                handler.close_connection = True
                handler.connection.shutdown(socket.SHUT_RDWR)
                return
            body = reply.payload()
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.content_type)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body) + (1000 if reply.truncate else 0)))
            if reply.truncate:
                handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(body)
            handler.wfile.flush()
            if reply.truncate:
                handler.close_connection = True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass
        finally:
            with self.lock:
                self.in_flight -= 1
                self.in_flight_by_path[request.path] -= 1


def _when(text: str) -> datetime:
    return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def _row_time(row: dict, name: str) -> datetime:
    return datetime.fromisoformat(str(row[name]).replace("Z", "+00:00"))


@dataclass
class LogStore:
    """``/spend/logs/v2`` over ``rows`` the way LiteLLM answers it (offset paging)."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, request: Request) -> Reply:
        q = request.query
        if "start_date" not in q or "end_date" not in q:
            return Reply(400, {"error": {"message": "Start date and end date are required", "code": "400"}})
        lo, hi = _when(q["start_date"]), _when(q["end_date"])
        page, size = int(q.get("page", 1)), int(q.get("page_size", 50))
        if size > 1000:
            return Reply(422, {"detail": [{"loc": ["query", "page_size"], "msg": "too large"}]})
        key = q.get("sort_by", "startTime")
        chosen = [r for r in self.rows if lo <= _row_time(r, "startTime") <= hi]
        chosen.sort(key=lambda r: _row_time(r, key), reverse=q.get("sort_order", "desc") == "desc")
        data = chosen[(page - 1) * size : page * size]
        total = min(len(chosen), 10_000)
        return Reply(
            200,
            {
                "data": data,
                "total": total,
                "page": page,
                "page_size": size,
                "total_pages": -(-total // size),
                "total_is_capped": len(chosen) > 10_000,
            },
        )


def recorded_rows() -> list[dict[str, Any]]:
    return json.loads((RESPONSES / "spend_logs_v2.json").read_text())["data"]


def tls_context(tmp: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context with a fresh self-signed certificate for 127.0.0.1, and its file."""
    import subprocess

    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert


@dataclass
class LegacyLogStore:
    """The legacy ``/spend/logs?start_date&end_date&summarize=false`` (days, capped)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    cap: int = 10_000

    def __call__(self, request: Request) -> Reply:
        q = request.query
        lo = datetime.fromisoformat(q["start_date"]).replace(tzinfo=UTC)
        hi = datetime.fromisoformat(q["end_date"]).replace(tzinfo=UTC)
        chosen = [r for r in self.rows if lo <= _row_time(r, "startTime") <= hi]
        chosen.sort(key=lambda r: _row_time(r, "startTime"), reverse=True)
        headers = {"x-litellm-spend-logs-truncated": "true"} if len(chosen) > self.cap else {}
        return Reply(200, chosen[: self.cap], headers=headers)


class PagedList:
    """``GET /key/list`` (``size``) or ``/v2/team/list`` (``page_size``) over fixed items,
    the way LiteLLM pages them; ``status=deleted`` lists ``deleted`` instead."""

    def __init__(self, field: str, size_param: str, items: list[dict], deleted: list[dict] | None = None) -> None:
        self.field, self.size_param = field, size_param
        self.items, self.deleted = items, deleted or []

    def __call__(self, request: Request) -> Reply:
        q = request.query
        size, page = int(q.get(self.size_param, 10)), int(q.get("page", 1))
        chosen = self.deleted if q.get("status") == "deleted" else self.items
        return Reply(
            200,
            {
                self.field: chosen[(page - 1) * size : page * size],
                "total_count": len(chosen),
                "current_page": page,
                "total_pages": -(-len(chosen) // size),
            },
        )
