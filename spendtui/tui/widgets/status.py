"""The status bar and the window/filter bar."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from spendtui.dashboard.format import fit
from spendtui.timeutil import Clock, format_age, system_clock

#: Cells of a source error kept in the status bar before the other parts shorten (the
#: whole error is in the start-up panel or the popup).
ERROR_ROOM = 30


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
    #: What is in progress ("loading", "generating demo data"), shown as "loading…". Not
    #: named ``loading``: that is Textual's own reactive, which covers a widget with a spinner.
    busy: reactive[str] = reactive("")
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
        """One line; where it does not fit, the parts give way in a fixed order (the
        longer forms first, then the notes, the record count and the interval), the
        state (PAUSED, STALE, NO DATA) last of all."""
        width = max(20, (self.size.width or 200) - 2)
        for short in (0, 1, 2, 3):
            text = self._line(short)
            if text.cell_len <= width:
                return text
            if self.error and text.cell_len - len(self.error) + ERROR_ROOM <= width:
                text.truncate(width, overflow="ellipsis")  # the error's end gives way first
                return text
        # then the source's name is cut (its middle), so the state and error stay
        source = f"{self.profile} " * bool(self.profile) + (self.source or "no source")
        text = self._line(3, fit(source, max(8, width - (text.cell_len - len(source)))))
        text.truncate(width, overflow="ellipsis")
        return text

    def _line(self, short: int, source: str | None = None) -> Text:
        """The status line, the more ``short`` the terser: 1 shortens the record count
        and drops the notes; then, when the source fails, the count and the interval go
        before the time of the last good data shortens to its age, else the other way."""
        stale = self.stale_since is not None
        long_time = short < 2 or (stale and short < 3)
        count = "long" if not short else "short" if short < 2 or (short < 3 and not stale) else ""
        parts: list[tuple[str, str]] = []
        profile = f"{self.profile} " if self.profile else ""
        parts.append((source or profile + (self.source or "no source"), ""))
        if self.busy:
            parts.append((f"{self.busy}…", "bold"))
        elif self.last_ok is not None:
            age = format_age(self.clock().timestamp() - self.last_ok)
            at = datetime.fromtimestamp(self.last_ok, UTC).strftime("%H:%M:%S")
            parts.append((f"updated {at} UTC ({age} ago)" if long_time else f"{age} ago", ""))
        if count:
            parts.append((f"{self.requests:,} requests in window" if count == "long" else f"{self.requests:,} req", ""))
            parts.append((f"every {self.interval:g}s", ""))
        if self.paused:
            parts.append(("PAUSED (p)", "bold reverse"))
        if self.stale_since is not None and self.last_ok is None:  # never had data: nothing is stale
            parts.append((f"⚠ NO DATA: {self.error}", "bold"))
        elif self.stale_since is not None:
            since = datetime.fromtimestamp(self.stale_since, UTC).strftime("%H:%M:%S")
            parts.append((f"⚠ STALE since {since} UTC: {self.error}", "bold"))
        if self.extra and not short:
            parts.append((self.extra, "italic"))
        text = Text(no_wrap=True)
        for i, (part, style) in enumerate(parts):
            text.append((" │ " if i else "") + part, style=style)
        return text


class WindowBar(Static):
    """The time window (UTC), its total, and the filters that apply to every pane, by
    name (a key's alias, never its hash). What does not fit gives way in this order:
    the hints, the total, then the dates; the filters are never dropped."""

    DEFAULT_CSS = """
    WindowBar { height: 1; padding: 0 1; background: $boost; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self._window = ("", "")
        self._chips: list[tuple[str, str]] = []
        self._summary = ""

    def show(self, window: tuple[str, str], chips: list[tuple[str, str]], summary: str = "") -> None:
        """``window``: (name, dates), e.g. ("Last 30 days", "2026-11-08 – 2026-12-07 UTC");
        ``chips``: (dimension, label) for each filter value."""
        self._window, self._chips, self._summary = window, chips, summary
        self.refresh()

    def render(self) -> Text:
        width = max(20, (self.size.width or 200) - 2)
        name, dates = self._window
        for hints, summary, with_dates in ((True, True, True), (False, True, True), (False, False, True)):
            text = self._line(name, dates if with_dates else "", summary, hints)
            if text.cell_len <= width:
                return text
        text = self._line(name, "", False, False)
        text.truncate(width, overflow="ellipsis")
        return text

    def _line(self, name: str, dates: str, summary: bool, hints: bool) -> Text:
        text = Text(no_wrap=True)
        text.append(name + (f" · {dates}" if dates else ""), style="bold")
        if summary and self._summary:
            text.append(f"  {self._summary}")
        if not self._chips:
            text.append("   no filters" + (" (f on a row filters by it)" if hints else ""), style="dim")
            return text
        text.append("   filter: ", style="bold")
        text.append(" · ".join(f"{d}={label}" for d, label in self._chips), style="reverse")
        if hints:
            text.append("  (x clears)", style="dim")
        return text


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
