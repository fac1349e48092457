"""Database URLs as users write them, made safe for SQLAlchemy, and masked for display."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, unquote_plus, urlencode, urlsplit, urlunsplit

from spendtui.errors import ConfigError

#: Prisma connection-string options that are not libpq options.
_PRISMA_ONLY = {
    "connection_limit",
    "pool_timeout",
    "socket_timeout",
    "pgbouncer",
    "statement_cache_size",
    "schema",
    "connect_timeout_ms",
    "sslaccept",
    "sslidentity",
    "sslpassword",
}
#: Query parameters whose value is a secret (``password``, ``sslpassword``...); names are
#: compared lowercased and percent-decoded. ``passfile`` names a file and is shown.
_SECRET_PARAM = re.compile(r"password|secret|token")
MASK = "***"


@dataclass(frozen=True)
class DatabaseTarget:
    """A normalised database location."""

    #: The URL SQLAlchemy connects with (may contain a password: never display it).
    url: str
    dialect: str  # "sqlite" or "postgresql"
    #: PostgreSQL schema to search (Prisma's ``?schema=``), if any.
    schema: str | None = None
    #: Local file for SQLite.
    path: str | None = None

    def display(self) -> str:
        return mask_url(self.url)


def mask_url(url: str) -> str:
    """The URL with every password replaced by ``***``: the one after ``user:`` and any
    query parameter that holds one (``?password=``, ``&sslpassword=``)."""
    if "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    head, sep, query = rest.partition("?")
    # the last '@' before the query ends the user info (an unquoted '@' in a password
    # must not leave the rest of the password visible)
    at = head.rfind("@")
    if at >= 0 and ":" in head[:at]:
        user = head[: head.index(":")]
        head = f"{user}:{MASK}{head[at:]}"
    if sep:
        query = _mask_query(query)
    return f"{scheme}://{head}{sep}{query}"


def _mask_query(query: str) -> str:
    fragment = ""
    if "#" in query:
        query, fragment = query.split("#", 1)
        fragment = "#" + fragment
    parts = []
    for part in re.split(r"([&;])", query):
        name, eq, _ = part.partition("=")
        if eq and _SECRET_PARAM.search(unquote_plus(name).lower()):
            part = f"{name}={MASK}"
        parts.append(part)
    return "".join(parts) + fragment


def parse_database_url(raw: str) -> DatabaseTarget:
    """Accept LiteLLM-style Postgres URLs, SQLAlchemy URLs, ``sqlite:///path`` or a file path."""
    if not raw or not raw.strip():
        raise ConfigError("the database URL is empty")
    raw = raw.strip()
    if "://" not in raw:
        return _sqlite_target(raw)
    scheme = raw.split("://", 1)[0].lower()
    if scheme.startswith("sqlite"):
        # SQLAlchemy form: sqlite:///relative.db or sqlite:////absolute/path.db
        rest = raw.split("://", 1)[1].split("?", 1)[0]
        path = rest[1:] if rest.startswith("/") else rest
        return _sqlite_target(unquote(path))
    if scheme in ("postgres", "postgresql") or scheme.startswith("postgresql+"):
        return _postgres_target(raw)
    raise ConfigError(
        f"unsupported database URL scheme {scheme!r}: use postgresql://… (LiteLLM's database) "
        "or sqlite:///path (a demo or compact database)"
    )


def _sqlite_target(path: str) -> DatabaseTarget:
    if not path or path == ":memory:":
        raise ConfigError("a SQLite database needs a file path (sqlite:///path/to/file.db)")
    full = os.path.abspath(os.path.expanduser(path))
    return DatabaseTarget(url=f"sqlite:///{full}", dialect="sqlite", path=full)


def _postgres_target(raw: str) -> DatabaseTarget:
    parts = urlsplit(raw)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = None
    kept = []
    for key, value in query:
        if key == "schema":
            schema = value or None
        elif key == "connect_timeout" and value:
            kept.append((key, value))
        elif key not in _PRISMA_ONLY:
            kept.append((key, value))
    netloc = parts.netloc
    if parts.password is not None:
        # re-quote the password so characters like '@' or '/' survive
        user = parts.username or ""
        host = netloc.rsplit("@", 1)[1]
        netloc = f"{quote(unquote(user), safe='')}:{quote(unquote(parts.password), safe='')}@{host}"
    url = urlunsplit(("postgresql+psycopg", netloc, parts.path, urlencode(kept), ""))
    if schema and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", schema):
        raise ConfigError(f"schema name {schema!r} in the database URL is not a plain identifier")
    return DatabaseTarget(url=url, dialect="postgresql", schema=schema)
