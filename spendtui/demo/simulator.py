"""A live demo: appends realistic requests to a demo database, like a busy proxy would.

Rows arrive a little after their request time (LiteLLM writes late and in batches), and
the key and team spend counters move with them, so every pane, budgets included, moves.
Live rows carry LiteLLM 1.108's organization_id and agent_id, like the generated history.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from spendtui.demo.budget_kinds import bump
from spendtui.demo.generator import RowBatch, generate_rows, write_rows
from spendtui.demo.world import DemoWorld, build_world
from spendtui.timeutil import Clock, system_clock


class Simulator:
    """Appends about ``rate`` requests per second to the SQLite database at ``path``."""

    def __init__(
        self,
        path: str | Path,
        *,
        seed: int = 7,
        rate: float = 4.0,
        layout: str = "litellm",
        clock: Clock = system_clock,
        world: DemoWorld | None = None,
    ) -> None:
        self.path = str(path)
        self.rate = rate
        self.layout = layout
        self.clock = clock
        self.world = world or build_world(seed)
        self.rng = np.random.default_rng([seed, 3])
        #: organization_id and agent_id draw from a stream of their own (see generator.generate_rows)
        self.owners_rng = np.random.default_rng([seed, 9])
        self.written = 0
        #: Keys the demo database lists as deleted: LiteLLM refuses their requests and
        #: logs nothing, so their draws are dropped (read once, at the first step).
        self._deleted: frozenset[str] | None = None
        self._last: datetime | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def step(self, now: datetime | None = None) -> int:
        """Write the requests that 'happened' since the last step; returns how many."""
        now = now or self.clock()
        last = self._last or now - timedelta(seconds=1)
        self._last = now
        seconds = max(0.0, (now - last).total_seconds())
        n = int(self.rng.poisson(self.rate * seconds))
        if n == 0:
            return 0
        start = now - timedelta(seconds=seconds + 10)
        batch = generate_rows(
            self.world,
            self.rng,
            start,
            now - timedelta(seconds=1),
            n,
            growth=False,
            write_delay=(0.2, 1.0),
            owners_rng=self.owners_rng,
        )
        conn = sqlite3.connect(self.path, timeout=5)
        try:
            batch = self._without_deleted_keys(conn, batch)
            n = len(batch)
            write_rows(conn, batch, self.layout)
            if self.layout == "litellm":
                self._bump_counters(conn, batch.columns)
            conn.commit()
        finally:
            conn.close()
        self.written += n
        return n

    def _without_deleted_keys(self, conn: sqlite3.Connection, batch: RowBatch) -> RowBatch:
        """The batch without requests of deleted keys or of keys of a deleted team."""
        if self._deleted is None:
            self._deleted = frozenset(
                _ids(conn, "LiteLLM_DeletedVerificationToken", "token")
                | _ids(conn, "LiteLLM_DeletedTeamTable", "team_id")
            )
        if not self._deleted:
            return batch
        gone = self._deleted
        keep = [
            i
            for i, (key, team) in enumerate(zip(batch.columns["api_key"], batch.columns["team_id"], strict=True))
            if key not in gone and team not in gone
        ]
        if len(keep) == len(batch):
            return batch
        return RowBatch({name: [values[i] for i in keep] for name, values in batch.columns.items()})

    def _bump_counters(self, conn: sqlite3.Connection, columns: dict[str, list[Any]]) -> None:
        by_key: dict[str, float] = {}
        by_team: dict[str, float] = {}
        for key, team, spend in zip(columns["api_key"], columns["team_id"], columns["spend"], strict=True):
            by_key[key] = by_key.get(key, 0.0) + spend
            if team:
                by_team[team] = by_team.get(team, 0.0) + spend
        conn.executemany(
            'UPDATE "LiteLLM_VerificationToken" SET spend = spend + ?, total_spend = total_spend + ? WHERE token = ?',
            [(s, s, k) for k, s in by_key.items()],
        )
        conn.executemany(
            'UPDATE "LiteLLM_TeamTable" SET spend = spend + ? WHERE team_id = ?',
            [(s, t) for t, s in by_team.items()],
        )
        for table, column, who in (
            ("LiteLLM_UserTable", "user_id", "user"),
            ("LiteLLM_EndUserTable", "user_id", "end_user"),
        ):
            sums: dict[str, float] = {}
            for ident, spend in zip(columns[who], columns["spend"], strict=True):
                if ident:
                    sums[ident] = sums.get(ident, 0.0) + spend
            conn.executemany(
                f'UPDATE "{table}" SET spend = spend + ? WHERE {column} = ?',  # noqa: S608 (fixed identifiers)
                [(s, i) for i, s in sums.items()],
            )
        bump(conn, self.world, columns)

    def start(self, interval: float = 1.0) -> None:
        """Run in a background thread until ``stop()``."""
        if self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.step()
                except sqlite3.Error:
                    continue  # a busy database: try again next tick

        self._thread = threading.Thread(target=loop, name="spendtui-demo-simulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def prepare_demo(
    path: Path, *, seed: int = 7, rows: int = 60_000, days: int = 45, now: datetime | None = None
) -> DemoWorld:
    """A fresh demo database in WAL mode (so the simulator never waits for readers)."""
    from spendtui.demo.generator import create_demo_db

    world = create_demo_db(path, rows=rows, days=days, seed=seed, now=now)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    return world


def _ids(conn: sqlite3.Connection, table: str, column: str) -> set[str]:
    """The ``column`` values of ``table`` (none when the database has no such table)."""
    found = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    return {value for (value,) in conn.execute(f'SELECT "{column}" FROM "{table}"')} if found else set()  # noqa: S608
