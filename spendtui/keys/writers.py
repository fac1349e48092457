"""Which writer a profile gets: the proxy when there is one, else the database (opt-in)."""

from __future__ import annotations

import re

from spendtui.config import Profile
from spendtui.core.names import Names
from spendtui.errors import ConfigError, UsageError
from spendtui.keys.model import KeyWriter

_HASH = re.compile(r"^[0-9a-f]{64}$")


def write_refusal(profile: Profile) -> str | None:
    """Why keys cannot be written with this profile, known from its settings alone (no
    connection): said before the user fills a form. None when a writer may be tried."""
    if profile.proxy_url:
        if not profile.api_key:
            return "writing keys through the proxy needs its admin key: --key, LITELLM_MASTER_KEY or api_key"
        return None
    if not profile.database_url:
        return "no proxy or database is configured to write keys to"
    if not profile.allow_db_writes:
        return (
            "this profile reads the database and has no proxy. To create, edit, block or delete keys "
            "here, start spendtui with --allow-db-writes, or set allow_db_writes: true in the profile "
            "(or give it a proxy_url and an admin api_key)"
        )
    return None


def writer_for(profile: Profile) -> KeyWriter:
    if profile.proxy_url:
        from spendtui.keys.proxy_writer import ProxyKeyWriter

        return ProxyKeyWriter(profile)
    if profile.database_url:
        from spendtui.keys.db_writer import DatabaseKeyWriter
        from spendtui.sources.db.source import DatabaseSource
        from spendtui.sources.db.urls import parse_database_url

        target = parse_database_url(profile.database_url)
        source = DatabaseSource(target)
        try:
            schema = source.schema()
        finally:
            source.close()
        return DatabaseKeyWriter(target, schema, allowed=profile.allow_db_writes, timezone=profile.timezone)
    raise ConfigError("no proxy or database configured to write keys to (see --proxy, --db, or a profile)")


def resolve_key(ident: str, names: Names) -> str:
    """The stored hash for a raw ``sk-`` key, a hash, or a unique alias."""
    from spendtui.keys.db_writer import hash_key

    ident = ident.strip()
    if ident.startswith("sk-"):
        return hash_key(ident)
    if _HASH.match(ident):
        return ident
    matches = [token for token, alias in names.key_alias.items() if alias == ident]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UsageError(f"no key with the alias {ident!r} (give the alias, the sk- key or its hash)")
    raise UsageError(f"{len(matches)} keys share the alias {ident!r}: give the key's hash instead")
