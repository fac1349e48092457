"""Which alerts ``spendtui check --notify`` already sent: a small JSON state file.

Like LiteLLM's ``budget_alert_ttl``, but keyed by window: an alert (budget, threshold,
window, channel) is sent once; the next window sends again. For budgets without a window
an entry is dropped once the budget is seen below that threshold, so a later crossing is
reported again. The file lives in the platform state directory
(``~/.local/state/spendtui/alerts.json`` on Linux), is written atomically, and holds no
secrets: a channel is stored as a hash (the field is still called ``webhook``): of a
webhook's URL, as before email existed, or of ``email:ADDRESS``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

#: Entries older than this are forgotten (their windows ended long ago).
KEEP = timedelta(days=400)
_VERSION = 1


def state_path() -> Path:
    """``alerts.json`` in the platform state directory (``$XDG_STATE_HOME/spendtui``)."""
    from platformdirs import user_state_path

    return user_state_path("spendtui") / "alerts.json"


def webhook_id(channel: str) -> str:
    """A stable, non-reversible name for a channel: a webhook URL or ``email:ADDRESS``."""
    return hashlib.sha256(channel.encode()).hexdigest()[:16]


class AlertLedger:
    """Sent alerts: one entry per (scope, budget, threshold, window, channel)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_path()
        #: key -> {"scope", "budget", "threshold", "window", "webhook", "sent_at"}
        self.sent: dict[str, dict[str, str]] = {}
        self.problem: str | None = None
        self._removed: set[str] = set()

    def load(self) -> AlertLedger:
        """Read the file; a missing or unreadable one starts empty (and says why)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return self
        except (OSError, ValueError) as exc:
            self.problem = f"{self.path}: unreadable alert state ({exc}); starting afresh"
            return self
        entries = data.get("sent") if isinstance(data, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and all(isinstance(entry.get(f), str) for f in _FIELDS):
                item = {f: entry[f] for f in _FIELDS}
                self.sent[_key(item)] = item
        return self

    @staticmethod
    def entry(scope: str, budget: str, threshold: str, window: str, channel: str) -> dict[str, str]:
        """The entry for one alert to one channel, ``AlertTarget.channel_id`` (``sent_at``
        filled by ``record``)."""
        return {
            "scope": scope,
            "budget": budget,
            "threshold": threshold,
            "window": window,
            "webhook": webhook_id(channel),
            "sent_at": "",
        }

    def has(self, entry: dict[str, str]) -> bool:
        return _key(entry) in self.sent

    def record(self, entry: dict[str, str], at: datetime) -> None:
        self.sent[_key(entry)] = {**entry, "sent_at": at.isoformat()}

    def rearm(self, scope: str, budget: str, still_crossed: Iterable[str]) -> None:
        """Forget a windowless budget's alerts for thresholds it is no longer over."""
        keep = set(still_crossed)
        for key, e in list(self.sent.items()):
            if e["scope"] == scope and e["budget"] == budget and e["window"] == "none":
                if e["threshold"] not in keep:
                    self._forget(key)

    def prune(self, now: datetime) -> None:
        """Forget alerts sent more than KEEP ago."""
        cutoff = now - KEEP
        for key, e in list(self.sent.items()):
            try:
                stamp = datetime.fromisoformat(e["sent_at"])
            except ValueError:
                stamp = None
            if stamp is None or stamp < cutoff:
                self._forget(key)

    def _forget(self, key: str) -> None:
        del self.sent[key]
        self._removed.add(key)

    def save(self) -> None:
        """Write atomically (temp file + rename) under an advisory lock where available.

        Entries another run wrote since ``load`` are kept (unless this run forgot them)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(self.path):
            disk = AlertLedger(self.path).load()
            for key, entry in disk.sent.items():
                if key not in self._removed:
                    self.sent.setdefault(key, entry)
            fd, tmp = tempfile.mkstemp(prefix=".alerts-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    entries = sorted(self.sent.values(), key=_key)
                    json.dump({"version": _VERSION, "sent": entries}, out, indent=1)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise


_FIELDS = ("scope", "budget", "threshold", "window", "webhook", "sent_at")


def _key(entry: dict[str, str]) -> str:
    return json.dumps([entry[f] for f in _FIELDS[:-1]])


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: the atomic rename is all there is
        yield
        return
    with open(path.with_suffix(".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
