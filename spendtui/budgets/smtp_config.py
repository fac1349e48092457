"""The ``smtp:`` block of the config file: where email alerts are sent from.

::

    smtp:
      host: smtp.example.com
      port: 587                          # default: 587 with starttls, 465 with ssl, else 25
      from: spendtui@example.com
      username: os.environ/SMTP_USER     # optional; os.environ/NAME is read from the environment
      password: os.environ/SMTP_PASSWORD
      starttls: true                     # default true (unless ssl: true)
      ssl: false                         # implicit TLS (SMTPS); not together with starttls
      timeout: 10                        # seconds
      cafile: /etc/ssl/private-ca.pem    # optional: trust a private CA (relative: to the config file)

The server's certificate is always verified. A username and password are only sent over
TLS (starttls or ssl): a block that would send them in clear text is refused. Every
problem is one ConfigError naming the file and the key (``smtp.port``); the password is
never printed.
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spendtui.config import ENV_PREFIX, unknown_setting
from spendtui.errors import ConfigError

DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 600.0
_KEYS = {"host", "port", "from", "username", "password", "starttls", "ssl", "timeout", "cafile"}
#: Never part of an address here: header syntax (a second address, a comment, a group).
_FORBIDDEN = set('<>(),;:"[]\\')


@dataclass(frozen=True)
class SmtpSettings:
    """A validated ``smtp:`` block."""

    host: str
    port: int
    sender: str
    #: Secrets (the username too, as it often is an address): never in repr.
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    ssl: bool = False
    timeout: float = DEFAULT_TIMEOUT
    cafile: str | None = None

    @property
    def label(self) -> str:
        """``smtp.example.com:587``: what messages about delivery name."""
        return f"{self.host}:{self.port}"


def address_problem(value: str) -> str | None:
    """Why ``value`` is not a plain email address (None when it is one): exactly one
    ``@``, a local part and a dotted-or-single-label domain, and nothing that could start
    another header or another address (spaces, control characters, ``<>,;:"`` ...)."""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return "an email address has no spaces or line breaks"
    if value.count("@") != 1:
        return "expected one email address such as ops@example.com"
    local, domain = value.split("@")
    if not local or not domain:
        return "expected one email address such as ops@example.com"
    if _FORBIDDEN & set(value):
        return "expected a plain address such as ops@example.com (no names, brackets or separators)"
    if any(not label for label in domain.split(".")) or domain.startswith("-"):
        return f"{domain!r} is not a domain name"
    return None


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


class _Check:
    def __init__(self, path: Path | None, env: Mapping[str, str]) -> None:
        self.path = path
        self.env = env

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path or 'config'}: smtp.{key}: {problem}")

    def text(self, raw: Mapping[str, Any], key: str, *, secret: bool = False) -> str | None:
        value = raw.get(key)
        if value is None:
            return None
        if isinstance(value, str) and value.startswith(ENV_PREFIX):
            name = value[len(ENV_PREFIX) :].strip()
            if not name:
                raise self.fail(key, "'os.environ/' needs a variable name")
            if name not in self.env:
                raise self.fail(key, f"environment variable {name} is not set")
            value = self.env[name]
        if not isinstance(value, str):
            got = type(value).__name__
            raise self.fail(key, f"expected text, got {got}" + ("" if secret else f" ({value!r:.40})"))
        if not value.strip() or (not secret and any(ch in value for ch in "\r\n")):
            raise self.fail(key, "expected text on one line, not empty")
        return value if secret else value.strip()

    def flag(self, raw: Mapping[str, Any], key: str) -> bool | None:
        value = raw.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {type(value).__name__} ({value!r:.40})")
        return value

    def host(self, raw: Mapping[str, Any]) -> str:
        host = self.text(raw, "host")
        if host is None:
            raise self.fail("host", "the SMTP server's host name is required (e.g. smtp.example.com)")
        if "://" in host or "/" in host or any(ch.isspace() for ch in host):
            raise self.fail("host", f"expected a host name such as smtp.example.com, got {host!r:.60}")
        if ":" in host and not _is_ipv6(host):
            raise self.fail("host", f"give the port as smtp.port, not in the host ({host!r:.60})")
        return host

    def sender(self, raw: Mapping[str, Any]) -> str:
        sender = self.text(raw, "from")
        if sender is None:
            raise self.fail("from", "the sender address is required (e.g. spendtui@example.com)")
        problem = address_problem(sender)
        if problem:
            raise self.fail("from", f"{problem}, got {sender!r:.60}")
        return sender

    def port(self, raw: Mapping[str, Any], default: int) -> int:
        value = raw.get("port")
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            raise self.fail("port", f"expected a port number from 1 to 65535, got {value!r:.40}")
        return value

    def timeout(self, raw: Mapping[str, Any]) -> float:
        value = raw.get("timeout")
        if value is None:
            return DEFAULT_TIMEOUT
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail("timeout", f"expected a number of seconds, got {type(value).__name__} ({value!r:.40})")
        if math.isnan(value) or not 0 < value <= MAX_TIMEOUT:
            raise self.fail("timeout", f"must be above 0 and at most {MAX_TIMEOUT:g} seconds, got {value!r}")
        return float(value)

    def cafile(self, raw: Mapping[str, Any]) -> str | None:
        value = self.text(raw, "cafile")
        if value is None:
            return None
        path = Path(value).expanduser()
        if not path.is_absolute() and self.path is not None:
            path = self.path.parent / path
        if not path.is_file():
            raise self.fail("cafile", f"no such file: {path}")
        return str(path.resolve())


def parse_smtp(raw: Any, path: Path | None = None, env: Mapping[str, str] | None = None) -> SmtpSettings | None:
    """The validated ``smtp:`` block (None when there is none)."""
    if raw is None:
        return None
    where = f"{path or 'config'}: smtp"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping (host, port, from, ...), got {type(raw).__name__}")
    for key in raw:
        if not isinstance(key, str) or key not in _KEYS:
            raise ConfigError(f"{where}.{key}: {unknown_setting(str(key), _KEYS)}")
    check = _Check(path, os.environ if env is None else env)
    host = check.host(raw)
    sender = check.sender(raw)
    use_ssl = check.flag(raw, "ssl") or False
    starttls = check.flag(raw, "starttls")
    if use_ssl and starttls:
        raise check.fail("ssl", "ssl (implicit TLS, port 465) and starttls (port 587) exclude each other: pick one")
    starttls = not use_ssl if starttls is None else starttls
    port = check.port(raw, 465 if use_ssl else 587 if starttls else 25)
    username = check.text(raw, "username", secret=True)
    password = check.text(raw, "password", secret=True)
    if (username is None) != (password is None):
        missing = "password" if password is None else "username"
        raise check.fail(missing, f"a {'username' if missing == 'password' else 'password'} needs a {missing} too")
    if username is not None and not (starttls or use_ssl):
        raise check.fail("password", "would be sent in clear text: set starttls: true or ssl: true")
    return SmtpSettings(
        host=host,
        port=port,
        sender=sender,
        username=username,
        password=password,
        starttls=starttls,
        ssl=use_ssl,
        timeout=check.timeout(raw),
        cafile=check.cafile(raw),
    )
