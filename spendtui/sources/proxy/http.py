"""The proxy source's HTTP layer: one ``httpx.AsyncClient`` for the source's whole life.

The engine calls sources synchronously from a worker thread, so the client lives on a
private event loop in a daemon thread and ``run`` hands coroutines to it. Requests made
together (a cold load's endpoints) run concurrently on that one client and its pool.

* Explicit connect and read timeouts; ``Authorization: Bearer <key>``;
  ``User-Agent: spendtui/<version>``.
* TLS is verified: against the profile's ``ca_bundle``, else ``$SSL_CERT_FILE``, else
  httpx's default bundle; ``verify_tls: false`` (``--insecure``) turns checking off.
* Redirects are followed only within the same scheme, host and port (an https to http
  downgrade counts as another origin), so the key is never sent anywhere else.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import ssl
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx

from spendtui import __version__
from spendtui.errors import ConfigError, SourceDataError
from spendtui.sources.proxy.errors import parse_json, status_error, transport_error
from spendtui.timeutil import ensure_utc

MAX_REDIRECTS = 5
T = TypeVar("T")


@dataclass(frozen=True)
class HttpSettings:
    """How to reach one proxy. ``api_key`` never appears in a repr or a message."""

    base_url: str
    api_key: str | None = field(default=None, repr=False)
    verify_tls: bool = True
    ca_bundle: str | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 30.0


@dataclass(frozen=True)
class Answer:
    """A successful JSON answer and the server's clock when it answered (``Date``)."""

    body: Any
    server_time: datetime | None
    headers: Mapping[str, str]


def normalise_base_url(url: str) -> str:
    """``http(s)://host[:port][/prefix]`` without a trailing slash; ConfigError otherwise."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"proxy URL {display_url(text)!r}: expected http://host:port or https://host")
    if parts.username or parts.password:
        raise ConfigError("proxy URL: put the key in --key or LITELLM_PROXY_API_KEY, not in the URL")
    if parts.query or parts.fragment:
        raise ConfigError(f"proxy URL {display_url(text)!r}: must not have a query or fragment")
    try:
        parts.port  # noqa: B018  (validates the port)
    except ValueError:
        raise ConfigError(f"proxy URL {display_url(text)!r}: invalid port") from None
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def display_url(url: str) -> str:
    """A URL safe to show: no user info, query or fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<invalid URL>"
    if ":" in host:
        host = f"[{host}]"
    return urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default


def ssl_verify(settings: HttpSettings, env: Mapping[str, str]) -> ssl.SSLContext | bool:
    """What httpx should verify certificates against."""
    if not settings.verify_tls:
        return False
    cafile = settings.ca_bundle or env.get("SSL_CERT_FILE") or None
    if cafile is None:
        return True
    path = os.path.expanduser(cafile)
    if not os.path.isfile(path):
        origin = "ca_bundle" if settings.ca_bundle else "SSL_CERT_FILE"
        raise ConfigError(f"{origin}: no CA certificate file at {path}")
    try:
        return ssl.create_default_context(cafile=path)
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"{path}: not a readable CA certificate file ({exc})") from None


class ProxyHttp:
    """JSON GETs against one proxy, from any thread, over one long-lived client."""

    def __init__(self, settings: HttpSettings, env: Mapping[str, str] | None = None) -> None:
        self.settings = replace(settings, base_url=normalise_base_url(settings.base_url))
        self.display = display_url(self.settings.base_url)
        self._verify = ssl_verify(self.settings, os.environ if env is None else env)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: httpx.AsyncClient | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        #: Requests sent so far (the poll budget is asserted on this in tests).
        self.requests_sent = 0

    # ------------------------------------------------------------------ lifecycle
    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._start_lock:
            if self._closed:
                raise SourceDataError(f"{self.display}: the source was closed")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def serve() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                thread = threading.Thread(target=serve, name="spendtui-proxy-http", daemon=True)
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop

    def _make_client(self) -> httpx.AsyncClient:
        s = self.settings
        headers = {"User-Agent": f"spendtui/{__version__}", "Accept": "application/json"}
        if s.api_key:
            headers["Authorization"] = f"Bearer {s.api_key}"
        timeout = httpx.Timeout(s.read_timeout, connect=s.connect_timeout)
        return httpx.AsyncClient(
            headers=headers,
            timeout=timeout,
            verify=self._verify,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=6, max_keepalive_connections=6),
        )

    def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run ``work()`` on the client's loop and wait for its result (from any thread)."""
        loop = self._ensure_loop()

        async def wrapped() -> T:
            if self._client is None:
                self._client = self._make_client()
            return await work()

        try:
            return asyncio.run_coroutine_threadsafe(wrapped(), loop).result()
        except concurrent.futures.CancelledError:
            raise SourceDataError(f"{self.display}: the source was closed") from None

    def close(self) -> None:
        """Release the client, its connections and the loop thread. Idempotent. A request
        still in flight (another thread's) is cancelled: its caller gets a SourceDataError
        at once instead of waiting up to the read timeout (quitting during a hung poll)."""
        with self._start_lock:
            self._closed = True
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return

        async def shutdown() -> None:
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            if self._client is not None:
                await self._client.aclose()
                self._client = None

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            if not thread.is_alive():
                loop.close()

    # ------------------------------------------------------------------ requests
    def get(self, path: str, params: Mapping[str, object] | None = None) -> Answer:
        """One GET (synchronous facade over ``aget``)."""
        return self.run(lambda: self.aget(path, params))

    async def aget(self, path: str, params: Mapping[str, object] | None = None) -> Answer:
        """GET ``path`` with ``params``; the JSON answer or a SourceError."""
        assert self._client is not None, "aget runs inside ProxyHttp.run"
        where = f"{self.display}{path}"
        url = httpx.URL(self.settings.base_url + path)
        query = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        origin = _origin(url)
        for _ in range(MAX_REDIRECTS + 1):
            self.requests_sent += 1
            try:
                response = await self._client.get(url, params=query or None)
            except httpx.HTTPError as exc:
                raise transport_error(exc, where, self._timeout_for(exc)) from None
            if response.is_redirect:
                target = response.next_request.url if response.next_request else None
                if target is None or _origin(target) != origin:
                    shown = display_url(str(target)) if target is not None else "nowhere"
                    raise SourceDataError(
                        f"{where}: the proxy redirected to {shown}; not following it with the key "
                        "(point spendtui at the final URL)"
                    )
                url, query = target, {}
                continue
            if not response.is_success:
                raise status_error(response, where, self.settings.api_key)
            return Answer(parse_json(response, where), _server_time(response), response.headers)
        raise SourceDataError(f"{where}: more than {MAX_REDIRECTS} redirects")

    def post(self, path: str, body: Mapping[str, object]) -> Answer:
        """One JSON POST (key writes). Redirects are never followed: a write goes to
        exactly the configured proxy or nowhere."""
        return self.run(lambda: self.apost(path, body))

    async def apost(self, path: str, body: Mapping[str, object]) -> Answer:
        assert self._client is not None, "apost runs inside ProxyHttp.run"
        where = f"{self.display}{path}"
        self.requests_sent += 1
        try:
            response = await self._client.post(httpx.URL(self.settings.base_url + path), json=dict(body))
        except httpx.HTTPError as exc:
            raise transport_error(exc, where, self._timeout_for(exc)) from None
        if response.is_redirect:
            raise SourceDataError(f"{where}: the proxy answered a write with a redirect; not following it")
        if not response.is_success:
            raise status_error(response, where, self.settings.api_key)
        return Answer(parse_json(response, where), _server_time(response), response.headers)

    def _timeout_for(self, exc: httpx.HTTPError) -> float:
        if isinstance(exc, httpx.ConnectTimeout):
            return self.settings.connect_timeout
        return self.settings.read_timeout


def _param(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _server_time(response: httpx.Response) -> datetime | None:
    raw = response.headers.get("date")
    if not raw:
        return None
    try:
        return ensure_utc(parsedate_to_datetime(raw))
    except (TypeError, ValueError, IndexError):
        return None
