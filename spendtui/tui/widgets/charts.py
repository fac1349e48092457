"""Spend charts drawn with textual-plotext (the only module that touches plotext)."""

from __future__ import annotations

from datetime import date

from textual_plotext import PlotextPlot

from spendtui.core.latency import Latency


class SpendChart(PlotextPlot):
    """A bar chart of spend; redrawn only when its data changes."""

    DEFAULT_CSS = """
    SpendChart { height: 1fr; min-height: 8; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._drawn: object = None

    def _begin(self, key: object) -> bool:
        if key == self._drawn:
            return False
        self._drawn = key
        self.plt.clear_data()
        self.plt.clear_figure()
        return True

    def daily(self, title: str, days: list[date], stacks: list[tuple[str, list[float]]], bare: bool = False) -> None:
        """Daily bars, stacked by series when there is more than one. ``bare``: without
        the title and axis labels (two more rows of bars where the height is short)."""
        key = ("daily", title, bare, tuple(days), tuple((n, tuple(v)) for n, v in stacks))
        if not self._begin(key):
            return
        plt = self.plt
        years = sorted({d.year for d in days})
        # one year: month-day ticks and the year on the axis; across years, whole dates
        labels = [d.strftime("%m-%d" if len(years) < 2 else "%Y-%m-%d") for d in days]
        if not days or not stacks or not any(any(v) for _, v in stacks):
            plt.title(f"{title}: no spend in this window")
        elif len(stacks) == 1:
            plt.bar(labels, stacks[0][1], marker="hd", width=0.6)
            plt.title("" if bare else title)
        else:
            plt.stacked_bar(labels, [v for _, v in stacks], labels=[n[:24] for n, _ in stacks], marker="hd", width=0.6)  # type: ignore[call-arg]  # (plotext takes labels=; its stub says label=)
            plt.title("" if bare else title)
        if not bare:
            plt.xlabel(f"UTC day ({years[0]})" if len(years) == 1 else "UTC day")
            plt.ylabel("USD")
        self._thin_ticks(labels, 8 if len(years) < 2 else 5)
        self.refresh()

    def hourly(self, title: str, hours: list[float] | None) -> None:
        key = ("hourly", title, tuple(hours) if hours else None)
        if not self._begin(key):
            return
        plt = self.plt
        if hours is None:
            plt.title(f"{title}: hourly detail is only kept for the last two days")
        else:
            labels = [f"{h:02d}" for h in range(24)]
            plt.bar(labels, hours, marker="hd", width=0.6)
            plt.title(title)
            plt.xlabel("UTC hour")
            plt.ylabel("USD")
            self._thin_ticks(labels, 12)  # (every other hour: plotext's own choice varied)
        self.refresh()

    def latency(self, title: str, days: list[tuple[date, Latency]] | None, why: str | None) -> None:
        """Daily p50 and p95 of duration and p50 of time to first token, in seconds; a
        day without requests leaves a gap. Without latency: why not."""
        key = ("latency", title, tuple(days) if days is not None else None, why, self.size.width if days is None else 0)
        if not self._begin(key):
            return
        plt = self.plt
        known = [(d, s) for d, s in days or [] if s.p50_ms is not None]
        if days is None:
            # (plotext drops a title wider than the chart: cut to fit, the gist first)
            said = f"No latency: {why}" if why else "Reading the latency from the request logs…"
            room = max(10, self.size.width - 2)
            plt.title(said if len(said) <= room else said[: room - 1] + "…")
        elif not known:
            plt.title(f"{title}: no successful request in this window")
        else:
            labels = [d.strftime("%m-%d") for d, _ in known]
            x = [float(i) for i in range(1, len(known) + 1)]
            series = (
                ("red", [s.p95_ms for _, s in known]),
                ("green", [s.p50_ms for _, s in known]),
                ("cyan", [s.ttft_p50_ms for _, s in known]),
            )
            for colour, values in series:
                points = [(i, v / 1000) for i, v in zip(x, values, strict=True) if v is not None]
                if points:
                    plt.plot([p[0] for p in points], [p[1] for p in points], marker="braille", color=colour)
            plt.title(title)
            # (linear: plotext's log scale fails on some terminal sizes; no legend: plotext
            # draws it over the top left, where it hid the first week of p95)
            plt.ylabel("seconds")
            plt.xticks(x, labels)
            self._thin_ticks(labels, 6)
        self.refresh()

    def _thin_ticks(self, labels: list[str], most: int) -> None:
        """At most ``most`` x labels, so dates stay readable in 80 columns."""
        if len(labels) <= most:
            return
        step = -(-len(labels) // most)
        positions = [float(p) for p in range(1, len(labels) + 1)]
        self.plt.xticks(positions[::step], labels[::step])
