"""What a ``SpendEngine`` reads from the request logs besides its cube, each on first use
(an aggregate over the window is too slow for a load) and then kept up to date by polls
(``core.lazy_cells``): sessions and MCP tools (``core.top``), latency histograms
(``core.latency_cells``) and the cost audit (``core.audit_cells``)."""

from __future__ import annotations

import time

from spendtui.core.audit import DEFAULT_TOLERANCE, Example, Pricing
from spendtui.core.audit_cells import NO_AUDIT_SOURCE, AuditCache, AuditCells, AuditSource, findings_of
from spendtui.core.cube import RawRow
from spendtui.core.dims import Attribution, Dimensions
from spendtui.core.facts import NotExact
from spendtui.core.latency_cells import NO_LATENCY_SOURCE, LatencyCache, LatencyCells, LatencySource
from spendtui.core.lazy_cells import C, F, LazyCells
from spendtui.core.prices import PriceMap
from spendtui.core.selection import Filters, Window
from spendtui.core.top import NO_TOP, TopCache, TopCells, TopSource


class LogReads:
    """The engine's reads of the request logs beyond the cube (a mixin: the engine gives
    the source, the cube's dimensions, the attribution and today)."""

    def __init__(self) -> None:
        self._tops: TopCache | None = None
        self._latency: LatencyCache | None = None
        self._audit: AuditCache | None = None
        #: The profile's price file (``prices:``), for the cost audit.
        self.price_file: str | None = None

    def _log_source(self) -> object:
        raise NotImplementedError

    def _dims(self) -> Dimensions:
        raise NotImplementedError

    def _attribution(self) -> Attribution:
        raise NotImplementedError

    def today(self) -> int:
        raise NotImplementedError

    def top_cells(self, dimension: str, first_day: int, last_day: int) -> TopCells:
        """Sessions or MCP tools of UTC days ``first_day``..``last_day`` as cells over this
        cube's dimensions (``core.top``); the source must be a ``TopSource``."""
        if self._tops is None:
            source = self._log_source()
            if not isinstance(source, TopSource):
                raise NotExact(f"{dimension}s come from LiteLLM's request logs in its database: {NO_TOP}")
            self._tops = TopCache(source.top_groups, time.monotonic)
        return self._tops.cells(dimension, first_day, last_day, self._dims())

    def _latency_cache(self) -> LatencyCache:
        if self._latency is None:
            source = self._log_source()
            if not isinstance(source, LatencySource):
                raise NotExact(NO_LATENCY_SOURCE)
            self._latency = LatencyCache(source.latency_groups, time.monotonic)
        return self._latency

    def latency_cells(self, first_day: int) -> LatencyCells:
        """Latency histograms from UTC day ``first_day`` to today as cells over this cube's
        dimensions (``core.latency_cells``), read now if due; the source must be a
        ``LatencySource`` (else ``NotExact`` says why), a failed read raises ``SourceError``."""
        return self._latency_cache().cells(first_day, self.today(), self._dims())

    def latency(self, first_day: int) -> LatencyCells | str | None:
        """What is held for ``first_day`` on, without reading (a snapshot never waits for
        the aggregate): the cells, why there are none (a source without durations, a read
        that failed), or None while the read is due (``read_due`` does it)."""
        try:
            cache = self._latency_cache()
        except NotExact as exc:
            return str(exc)
        return self._held(cache, first_day, "latency")

    def audit(self, first_day: int) -> AuditCells | str | None:
        """The cost audit's cells for ``first_day`` on, as ``latency`` gives latency."""
        if self._audit is None:
            source = self._log_source()
            if not isinstance(source, AuditSource):
                return NO_AUDIT_SOURCE
            self._audit = AuditCache(source, self.price_file, time.monotonic, DEFAULT_TOLERANCE)
        return self._held(self._audit, first_day, "cost audit")

    def _held(self, cache: LazyCells[F, C], first_day: int, what: str) -> C | str | None:
        held = cache.held(first_day, self.today(), self._dims())
        if held is None and cache.error is not None:
            return f"{what} not read: {cache.error}"
        return held

    @property
    def audit_pricing(self) -> Pricing | None:
        """How the cost audit prices requests, once its prices are read."""
        return self._audit.price if self._audit is not None else None

    @property
    def prices(self) -> PriceMap | None:
        """The prices the cost audit uses, once read."""
        return self._audit.prices if self._audit is not None else None

    def cost_findings(self, model: str, window: Window, filters: Filters, limit: int = 20) -> list[Example]:
        """The findings of ``model``'s requests in the slice (the Costs pane's examples):
        read again from the source, priced as the held audit prices them."""
        cache, source = self._audit, self._log_source()
        if cache is None or cache.price is None or not isinstance(source, AuditSource):
            return []
        requests = source.audit_model_requests(model, window.first_day, window.last_day)
        dims = Dimensions()  # (the cube's own are not touched from this thread)
        dims.attribute(self._attribution())
        return findings_of(requests, dims, window, filters, cache.price, cache.tolerance, limit)

    @property
    def audit_pending(self) -> bool:
        """Whether the cost audit's read is due (a pane asked for it)."""
        return self._audit is not None and self._audit.due

    @property
    def reads_due(self) -> bool:
        """Whether ``latency`` or ``audit`` found a read due (``read_due`` does them)."""
        return any(c is not None and c.due for c in (self._latency, self._audit))

    def read_due(self) -> None:
        """Read what ``latency`` and ``audit`` found due (a failure is kept and said there)."""
        for cache in (self._latency, self._audit):
            if cache is not None:
                cache.read_due()

    def fold_reads(self, rows: list[RawRow]) -> None:
        """Add a poll's rows to the latency and the audit held (``LazyCells.fold``)."""
        for cache in (self._latency, self._audit):
            if cache is not None:
                cache.fold(rows, self._dims())
