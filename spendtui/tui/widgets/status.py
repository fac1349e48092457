"""The status bar and the window/filter bar."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from spendtui.core.selection import Filters
from spendtui.timeutil import Clock, format_age, system_clock


class StatusBar(Static):
    """Profile, source, freshness, record count, pause and stale state: one line."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    StatusBar.-stale { background: $error 30%; color: $text; }
    """

    profile: reactive[str] = reactive("")
    source: reactive[str] = reactive("")
    paused: reactive[bool] = reactive(False)
    interval: reactive[float] = reactive(2.0)
    requests: reactive[int] = reactive(0)
    loading: reactive[str] = reactive("")
    error: reactive[str] = reactive("")
    extra: reactive[str] = reactive("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        #: The app's clock (fixed in tests and screenshots).
        self.clock: Clock = system_clock
        self.last_ok: float | None = None
        self.stale_since: float | None = None

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self.last_ok is not None or self.stale_since is not None:
            self.refresh()

    def mark_ok(self) -> None:
        self.last_ok = self.clock().timestamp()
        self.stale_since = None
        self.error = ""
        self.remove_class("-stale")
        self.refresh()

    def mark_failed(self, message: str) -> None:
        if self.stale_since is None:
            self.stale_since = self.clock().timestamp()
        self.error = message
        self.add_class("-stale")

    def render(self) -> Text:
        parts = Text()
        if self.profile:
            parts.append(f"{self.profile} ", style="bold")
        parts.append(self.source or "no source")
        if self.loading:
            parts.append(f" │ {self.loading}…", style="bold")
        elif self.last_ok is not None:
            at = datetime.fromtimestamp(self.last_ok, UTC).strftime("%H:%M:%S")
            parts.append(f" │ updated {at} UTC ({format_age(self.clock().timestamp() - self.last_ok)} ago)")
        parts.append(f" │ {self.requests:,} requests in window │ every {self.interval:g}s")
        if self.paused:
            parts.append(" │ PAUSED (p)", style="bold reverse")
        if self.stale_since is not None:
            since = datetime.fromtimestamp(self.stale_since, UTC).strftime("%H:%M:%S")
            parts.append(f" │ ⚠ STALE since {since} UTC: {self.error}", style="bold")
        if self.extra:
            parts.append(f" │ {self.extra}", style="italic")
        return parts


class WindowBar(Static):
    """The time window (UTC) and the filters that apply to every pane."""

    DEFAULT_CSS = """
    WindowBar { height: 1; padding: 0 1; background: $boost; }
    """

    def show(self, window_label: str, filters: Filters, summary: str = "") -> None:
        text = Text()
        text.append(window_label, style="bold")
        if summary:
            text.append(f"  {summary}")
        if filters.is_empty():
            text.append("   no filters (f on a row filters by it)", style="dim")
        else:
            text.append("   filter: ", style="bold")
            chips = [f"{d}={', '.join(sorted(v))}" for d, v in filters.items()]
            text.append(" · ".join(chips), style="reverse")
            text.append("  (x clears)", style="dim")
        self.update(text)


class NoticeBar(Static):
    """What the view cannot show exactly (a refusal, or rows a source cannot give);
    hidden when there is nothing to say."""

    DEFAULT_CSS = """
    NoticeBar { height: auto; max-height: 4; padding: 0 1; background: $warning 25%; color: $text; display: none; }
    NoticeBar.-visible { display: block; }
    """

    def show(self, notices: tuple[str, ...], hint: str = "") -> None:
        self.set_class(bool(notices), "-visible")
        if not notices:
            return
        text = Text()
        for i, notice in enumerate(notices):
            text.append(("\n" if i else "") + "⚠ " + notice)
        if hint:
            text.append(f"  {hint}", style="dim")
        self.update(text)
