"""HTTP answers and transport failures as spendtui's errors, with one-line messages.

LiteLLM answers errors in two shapes: its ``ProxyException``
(``{"error": {"message", "type", "param", "code": "<str>"}}``) and FastAPI's
``{"detail": ...}`` where ``detail`` is a string, ``{"error": ...}`` or (422) a list of
validation problems. Both become a short message; no key ever appears in one.

SourceError (spendtui.errors)
├── SourceUnavailable   connection refused, timeout, TLS failure, 5xx, body cut short
├── SourceAuthError     401/403: wrong key, or a key that may not read spend
│   └── KeyRefused      the same, with the status and LiteLLM's own (redacted) words
└── SourceDataError     not JSON (an HTML page), a shape we cannot read, redirects away
    ├── FeatureMissing  404/422: this proxy has no such endpoint (older LiteLLM)
    └── EnterpriseOnly  400/403 "You must be a LiteLLM Enterprise user"
"""

from __future__ import annotations

import re
import ssl

import httpx

from spendtui.errors import SourceAuthError, SourceDataError, SourceError, SourceUnavailable

#: What LiteLLM says when a licence-gated endpoint is called on a free proxy.
ENTERPRISE_MARKER = "enterprise user"
ADMIN_HINT = (
    "spend views need an admin key (the proxy's master key, or a key of a proxy_admin or proxy_admin_viewer user)"
)
_KEY_LIKE = re.compile(r"sk-[A-Za-z0-9_\-]{6,}")
_MESSAGE_LIMIT = 200


class FeatureMissing(SourceDataError):
    """The proxy does not offer an endpoint or parameter (404 or 422): older LiteLLM."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


class KeyRefused(SourceAuthError):
    """401/403 from the proxy; ``status`` and ``detail`` (LiteLLM's message, the key
    redacted) let a caller say why in its own words (``spendtui me``: expired, blocked)."""

    def __init__(self, message: str, status: int, detail: str) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class EnterpriseOnly(SourceDataError):
    """The endpoint needs a LiteLLM Enterprise licence this proxy does not have."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


def redact(text: str, secret: str | None) -> str:
    """``text`` without the key (and anything shaped like a raw LiteLLM key)."""
    if secret:
        text = text.replace(secret, "<key>")
    return _KEY_LIKE.sub("sk-…", text)


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _MESSAGE_LIMIT else flat[: _MESSAGE_LIMIT - 1] + "…"


def error_message(body: object) -> str | None:
    """The human message inside a LiteLLM or FastAPI error body, if there is one."""
    if isinstance(body, str):
        return body.strip() or None
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        return str(message) if message not in (None, "") else None
    if isinstance(error, str):
        return error
    detail = body.get("detail")
    if isinstance(detail, str):
        return detail
    if isinstance(detail, dict):
        inner = detail.get("error", detail.get("message"))
        return str(inner) if inner is not None else str(detail)
    if isinstance(detail, list):
        parts = []
        for item in detail[:3]:
            if isinstance(item, dict):
                where = ".".join(str(p) for p in item.get("loc", []) if p != "query")
                parts.append(f"{where}: {item.get('msg', '')}".strip(": "))
        return "; ".join(parts) or None
    return None


def _looks_like_html(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "").lower()
    head = response.content[:200].lstrip().lower()
    return "html" in kind or head.startswith((b"<!doctype", b"<html"))


def parse_json(response: httpx.Response, where: str) -> object:
    """The JSON body of a successful answer; SourceDataError when it is something else."""
    if _looks_like_html(response):
        raise SourceDataError(
            f"{where}: the answer is an HTML page, not JSON "
            "(a login page or reverse proxy in front of LiteLLM? check the URL)"
        )
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        size = len(response.content)
        raise SourceDataError(f"{where}: the answer is not valid JSON ({size:,} bytes)") from None


def status_error(response: httpx.Response, where: str, secret: str | None) -> SourceError:
    """The error for a non-2xx answer."""
    status = response.status_code
    try:
        body: object = response.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    if body is None and _looks_like_html(response):
        detail = "an HTML error page (a reverse proxy?)"
    else:
        detail = error_message(body) or response.reason_phrase or "no details"
    detail = _one_line(redact(detail, secret))
    path = response.request.url.path
    if status in (400, 401, 403) and ENTERPRISE_MARKER in detail.lower():
        return EnterpriseOnly(f"{where}: needs a LiteLLM Enterprise licence (HTTP {status})", path)
    if status in (401, 403):
        return KeyRefused(f"{where}: the proxy refused the key (HTTP {status}: {detail}); {ADMIN_HINT}", status, detail)
    if status in (404, 405, 422):
        return FeatureMissing(f"{where}: not available on this proxy (HTTP {status}: {detail})", path)
    if status >= 500 or status in (408, 429):
        return SourceUnavailable(f"{where}: the proxy answered HTTP {status}: {detail}")
    return SourceDataError(f"{where}: the proxy answered HTTP {status}: {detail}")


def transport_error(exc: httpx.HTTPError, where: str, timeout: float) -> SourceError:
    """The error for a request that got no complete answer."""
    if isinstance(exc, httpx.ConnectTimeout):
        return SourceUnavailable(f"{where}: could not connect within {timeout:g}s")
    if isinstance(exc, httpx.TimeoutException):
        return SourceUnavailable(f"{where}: no answer within {timeout:g}s")
    cause = _root_cause(exc)
    if isinstance(cause, ssl.SSLCertVerificationError):
        reason = getattr(cause, "verify_message", None) or "certificate not trusted"
        return SourceUnavailable(
            f"{where}: TLS certificate verification failed ({reason}); set ca_bundle in the profile "
            "or SSL_CERT_FILE to trust it, or use --insecure"
        )
    if isinstance(cause, ssl.SSLError):
        return SourceUnavailable(f"{where}: TLS failed ({cause.reason or cause})")
    if isinstance(cause, ConnectionRefusedError):
        return SourceUnavailable(f"{where}: connection refused (is the proxy running?)")
    if isinstance(exc, httpx.RemoteProtocolError):
        return SourceUnavailable(f"{where}: the connection closed before the answer was complete")
    if isinstance(exc, httpx.ConnectError):
        return SourceUnavailable(f"{where}: cannot connect ({_one_line(str(cause) or type(cause).__name__)})")
    return SourceUnavailable(f"{where}: {type(exc).__name__}: {_one_line(str(exc))}")


def _root_cause(exc: BaseException) -> BaseException:
    seen = 0
    while seen < 10:
        nxt = exc.__cause__ or exc.__context__
        if nxt is None:
            return exc
        exc = nxt
        seen += 1
    return exc
