"""Build the source a profile describes.

The rule: a profile with a ``database_url`` reads the database (complete, exact for every
question and every day, and cheapest); a profile with only a ``proxy_url`` reads the
proxy's REST API. With both, the database is read and the proxy is kept for what only
the proxy can do: writing keys (``proxy_for_writes``). A proxy needs a key.
"""

from __future__ import annotations

from spendtui.config import Profile
from spendtui.errors import ConfigError
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.sources.proxy.http import HttpSettings, normalise_base_url
from spendtui.sources.proxy.source import ProxySource

NO_KEY = (
    "the proxy needs a key: --key, LITELLM_PROXY_API_KEY or LITELLM_MASTER_KEY, or api_key in the "
    "profile (spend views need an admin key)"
)


def build_source(profile: Profile) -> DatabaseSource | ProxySource:
    """The database when the profile has one, else the proxy."""
    if profile.database_url:
        return DatabaseSource(parse_database_url(profile.database_url), history=profile.history)
    if profile.proxy_url:
        return build_proxy(profile)
    raise ConfigError(f"profile {profile.name!r} has neither a database_url nor a proxy_url")


def build_proxy(profile: Profile) -> ProxySource:
    """The proxy of a profile (ConfigError without a URL or key)."""
    if not profile.proxy_url:
        raise ConfigError(f"profile {profile.name!r} has no proxy_url")
    if not profile.api_key:
        raise ConfigError(NO_KEY)
    settings = HttpSettings(
        base_url=normalise_base_url(profile.proxy_url),
        api_key=profile.api_key,
        verify_tls=profile.verify_tls,
        ca_bundle=profile.ca_bundle,
        connect_timeout=min(5.0, profile.timeout),
        read_timeout=profile.timeout,
    )
    return ProxySource(settings)


def proxy_for_writes(profile: Profile) -> ProxySource | None:
    """The proxy that creates and changes keys, when the profile names one."""
    return build_proxy(profile) if profile.proxy_url else None
