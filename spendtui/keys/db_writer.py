"""Writing keys straight into ``LiteLLM_VerificationToken`` — only with an explicit opt-in.

Going through the proxy is safer: it validates against team budgets, writes its audit
log, fires its alerts and knows its own schema version. When a profile has no proxy and
the user opts in (``--allow-db-writes`` or ``allow_db_writes: true``), spendtui writes the
row itself, the way LiteLLM would: a fresh ``sk-`` key of LiteLLM's format, stored only as
its sha256 hex, budget fields included, soft budget in a linked ``LiteLLM_BudgetTable``
row, all in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from spendtui.core.durations import next_reset, parse_duration, zone
from spendtui.errors import SourceError, SpendtuiError, WriteRefused
from spendtui.keys.model import CreatedKey, key_name
from spendtui.keys.spec import KeySpec
from spendtui.sources.db.schema import SpendSchema, Table
from spendtui.sources.db.urls import DatabaseTarget

REFUSAL = (
    "this profile has no proxy, and spendtui does not write keys into the database unless "
    "asked: the proxy checks the key against team budgets, records it in its audit log and "
    "alerts, and knows its own schema. Set proxy_url (and an admin api_key) for the profile, "
    "or pass --allow-db-writes (profile: allow_db_writes: true) to insert the key yourself"
)
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
#: Spec field -> the token column that stores it (a create refuses a set field with no column).
_CREATE_COLUMNS = {
    "alias": "key_alias",
    "budget_duration": "budget_duration",
    "soft_budget": "budget_id",
    "models": "models",
    "tags": "metadata",
    "metadata": "metadata",
    "tpm_limit": "tpm_limit",
    "rpm_limit": "rpm_limit",
    "duration": "expires",
    "max_budget": "max_budget",
    "team_id": "team_id",
    "user_id": "user_id",
}


class KeyWriteError(SpendtuiError):
    exit_code = 3


def generate_key() -> str:
    """A new raw key in LiteLLM's format: ``sk-`` plus 16 random bytes, URL-safe base64."""
    return "sk-" + secrets.token_urlsafe(16)


def hash_key(raw: str) -> str:
    """LiteLLM's stored form of a key: sha256 hex of the raw ``sk-`` string."""
    return hashlib.sha256(raw.encode()).hexdigest()


def expiry(duration: str, now: datetime) -> datetime:
    """Key expiry is exact (now + duration), unlike budget resets."""
    d = parse_duration(duration)
    if d.unit == "mo":
        month = now.month + d.value
        return now.replace(year=now.year + (month - 1) // 12, month=(month - 1) % 12 + 1)
    return now + timedelta(seconds=_DURATION_SECONDS[d.unit] * d.value)


def _naive(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment else None


@dataclass(frozen=True)
class _NewKey:
    """What a create settles before it writes: the raw key and its hash, the moments, the budget row's id."""

    raw: str
    token: str
    now: datetime
    reset_at: datetime | None
    expires: datetime | None
    budget_id: str | None


def _created_key(spec: KeySpec, new: _NewKey, notes: tuple[str, ...]) -> CreatedKey:
    return CreatedKey(
        key=new.raw,
        token=new.token,
        key_name=key_name(new.raw),
        alias=spec.alias,
        max_budget=spec.max_budget,
        budget_duration=spec.budget_duration,
        budget_reset_at=new.reset_at,
        soft_budget=spec.soft_budget,
        models=spec.models or (),
        tags=spec.tags or (),
        team_id=spec.team_id,
        user_id=spec.user_id,
        tpm_limit=spec.tpm_limit,
        rpm_limit=spec.rpm_limit,
        expires=new.expires,
        notes=notes,
    )


class DatabaseKeyWriter:
    """Writes keys into a LiteLLM database (litellm or compact layout)."""

    def __init__(
        self,
        target: DatabaseTarget,
        schema: SpendSchema,
        *,
        allowed: bool,
        timezone: str | None = None,
        actor: str = "spendtui",
    ) -> None:
        if not allowed:
            raise WriteRefused(REFUSAL)
        if schema.tokens is None:
            raise WriteRefused("the database has no LiteLLM_VerificationToken table to write keys into")
        self.target, self.schema, self.tokens = target, schema, schema.tokens
        self.tz = zone(timezone)
        self.actor = actor
        self.where = f"into the database ({target.display()})"
        self._engine: Engine | None = None

    @property
    def pg(self) -> bool:
        return self.target.dialect != "sqlite"

    def _connect(self) -> Engine:
        if self._engine is None:
            self._engine = create_engine(self.target.url)  # a writable session, unlike reads
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _name(self, table: Table) -> str:
        return (f'"{table.schema}".' if table.schema else "") + f'"{table.name}"'

    # ------------------------------------------------------------------ helpers
    def _unstorable(self, spec: KeySpec, fields: dict[str, str]) -> list[str]:
        """Fields the user set that this table has no column for."""
        return [f for f, column in fields.items() if f in spec.given and column not in self.tokens.columns]

    def _insert(self, conn: Connection, table: Table, row: dict[str, Any]) -> None:
        present = {k: v for k, v in row.items() if k in table.columns}
        cols = ", ".join(f'"{k}"' for k in present)
        marks = ", ".join(self._param(k) for k in present)
        conn.execute(text(f"INSERT INTO {self._name(table)} ({cols}) VALUES ({marks})"), present)  # noqa: S608

    def _param(self, column: str) -> str:
        if self.pg and column in ("metadata",):
            return f"CAST(:{column} AS jsonb)"
        return f":{column}"

    def _run(self, action: str, work: Any) -> Any:
        try:
            with self._connect().begin() as conn:  # one transaction: all or nothing
                return work(conn)
        except SpendtuiError:
            raise
        except (DBAPIError, SQLAlchemyError) as exc:
            message = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise KeyWriteError(f"could not {action} in {self.target.display()}: {message}") from None
        except SourceError:
            raise

    # ------------------------------------------------------------------ create: checks and rows
    def _refuse_unstorable(self, spec: KeySpec) -> None:
        """Refuse (before writing anything) a key whose set fields this database cannot store."""
        missing = [f for f in self._unstorable(spec, _CREATE_COLUMNS) if f != "alias"]
        if "soft_budget" in spec.given and self.schema.budgets is None:
            missing.append("soft_budget")
        if missing:
            raise WriteRefused(
                f"{self.tokens.name} in this database has no column for: {', '.join(sorted(set(missing)))}; "
                "nothing was written"
            )

    def _unstored_notes(self, spec: KeySpec) -> tuple[str, ...]:
        """What is created but not stored: only the alias may be dropped (the compact layout)."""
        if "key_alias" not in self.tokens.columns and spec.alias:
            return (f"this layout has no key_alias column: the alias {spec.alias!r} is not stored",)
        return ()

    def _new_key(self, spec: KeySpec) -> _NewKey:
        now = datetime.now(UTC)
        raw = generate_key()
        return _NewKey(
            raw=raw,
            token=hash_key(raw),
            now=now,
            reset_at=next_reset(parse_duration(spec.budget_duration), now, self.tz) if spec.budget_duration else None,
            expires=expiry(spec.duration, now) if spec.duration else None,
            budget_id=str(uuid.uuid4()) if spec.soft_budget is not None else None,
        )

    def _key_row(self, spec: KeySpec, new: _NewKey) -> dict[str, Any]:
        """The new key's ``LiteLLM_VerificationToken`` row (``_insert`` drops the columns a layout lacks)."""
        metadata = dict(spec.metadata or {})
        if spec.tags:
            metadata["tags"] = list(spec.tags)
        models: Any = list(spec.models or ())
        if not self.pg:
            models = json.dumps(models)
        return {
            "token": new.token,
            "key_name": key_name(new.raw),
            "key_alias": spec.alias,
            "spend": 0.0,
            "max_budget": float(spec.max_budget) if spec.max_budget is not None else None,
            "budget_duration": spec.budget_duration,
            "budget_reset_at": _naive(new.reset_at),
            "models": models,
            "user_id": spec.user_id,
            "team_id": spec.team_id,
            "tpm_limit": spec.tpm_limit,
            "rpm_limit": spec.rpm_limit,
            "expires": _naive(new.expires),
            "metadata": json.dumps(metadata),
            "budget_id": new.budget_id,
            "created_at": _naive(new.now),
            "updated_at": _naive(new.now),
            "created_by": self.actor,
            "updated_by": self.actor,
        }

    def _insert_budget(
        self, conn: Connection, budgets: Table, budget_id: str, soft_budget: Decimal, now: datetime
    ) -> None:
        """The ``LiteLLM_BudgetTable`` row that holds a key's soft budget."""
        self._insert(
            conn,
            budgets,
            {
                "budget_id": budget_id,
                "soft_budget": float(soft_budget),
                "created_at": _naive(now),
                "updated_at": _naive(now),
                "created_by": self.actor,
                "updated_by": self.actor,
            },
        )

    # ------------------------------------------------------------------ update: changes
    def _budget_changes(self, spec: KeySpec, now: datetime) -> dict[str, Any]:
        """The token columns an update sets for the max budget and the budget duration."""
        sets: dict[str, Any] = {}
        if "max_budget" in spec.given:
            sets["max_budget"] = float(spec.max_budget) if spec.max_budget is not None else None
        if "budget_duration" in spec.given and spec.budget_duration:
            sets["budget_duration"] = spec.budget_duration
            sets["budget_reset_at"] = _naive(next_reset(parse_duration(spec.budget_duration), now, self.tz))
        return sets

    def _write_soft_budget(
        self, conn: Connection, budget_id: str | None, soft_budget: Decimal, now: datetime
    ) -> str | None:
        """Change the key's budget row, or add one: returns the new row's id for the key to link to."""
        if self.schema.budgets is None:
            raise WriteRefused("this database has no LiteLLM_BudgetTable for soft budgets")
        if budget_id:
            budgets = self._name(self.schema.budgets)
            conn.execute(
                text(f"UPDATE {budgets} SET soft_budget = :s, updated_at = :u WHERE budget_id = :b"),  # noqa: S608
                {"s": float(soft_budget), "u": _naive(now), "b": budget_id},
            )
            return None
        new_budget_id = str(uuid.uuid4())
        self._insert_budget(conn, self.schema.budgets, new_budget_id, soft_budget, now)
        return new_budget_id

    def _update_key_row(self, conn: Connection, token: str, sets: dict[str, Any], now: datetime) -> None:
        """Apply the changes this layout has columns for, stamping ``updated_at`` where it exists."""
        sets = {k: v for k, v in sets.items() if k in self.tokens.columns}
        if "updated_at" in self.tokens.columns:
            sets["updated_at"] = _naive(now)
        if sets:
            assignments = ", ".join(f'"{k}" = :{k}' for k in sets)
            conn.execute(
                text(f"UPDATE {self._name(self.tokens)} SET {assignments} WHERE token = :token"),  # noqa: S608
                {**sets, "token": token},
            )

    # ------------------------------------------------------------------ operations
    def create(self, spec: KeySpec) -> CreatedKey:
        self._refuse_unstorable(spec)
        notes = self._unstored_notes(spec)
        new = self._new_key(spec)

        def work(conn: Connection) -> None:
            # (a budget id is drawn exactly when a soft budget is set: the spec is frozen)
            if new.budget_id is not None and spec.soft_budget is not None and self.schema.budgets is not None:
                self._insert_budget(conn, self.schema.budgets, new.budget_id, spec.soft_budget, new.now)
            self._insert(conn, self.tokens, self._key_row(spec, new))

        self._run("create the key", work)
        return _created_key(spec, new, notes)

    def update(self, token: str, spec: KeySpec) -> None:
        """Change the budget fields the user set (max budget, duration, soft budget)."""
        allowed = {"max_budget", "budget_duration", "soft_budget"}
        extra = spec.given - allowed
        if extra:
            raise WriteRefused(
                f"database updates change only {', '.join(sorted(allowed))}, not {', '.join(sorted(extra))}"
            )
        self._refuse_unstorable(spec)  # (the compact layout has no budget_duration, no budget_id)
        now = datetime.now(UTC)
        linked = "budget_id" if "budget_id" in self.tokens.columns else "NULL"

        def work(conn: Connection) -> None:
            table = self._name(self.tokens)
            row = conn.execute(text(f"SELECT {linked} FROM {table} WHERE token = :t"), {"t": token}).first()  # noqa: S608
            if row is None:
                raise KeyWriteError("no such key in the database")
            sets = self._budget_changes(spec, now)
            if "soft_budget" in spec.given:
                soft_budget = spec.soft_budget
                assert soft_budget is not None  # (given implies set: parse_spec drops empty values)
                new_budget_id = self._write_soft_budget(conn, row[0], soft_budget, now)
                if new_budget_id is not None:
                    sets["budget_id"] = new_budget_id
            self._update_key_row(conn, token, sets, now)

        self._run("update the key", work)

    def block(self, token: str, blocked: bool) -> None:
        if "blocked" not in self.tokens.columns:
            raise WriteRefused(f"{self.tokens.name} has no blocked column in this database")

        def work(conn: Connection) -> None:
            result = conn.execute(
                text(f"UPDATE {self._name(self.tokens)} SET blocked = :b WHERE token = :t"),  # noqa: S608
                {"b": blocked, "t": token},
            )
            if result.rowcount != 1:
                raise KeyWriteError("no such key in the database")

        self._run("block the key" if blocked else "unblock the key", work)

    def delete(self, token: str) -> None:
        def work(conn: Connection) -> None:
            result = conn.execute(text(f"DELETE FROM {self._name(self.tokens)} WHERE token = :t"), {"t": token})  # noqa: S608
            if result.rowcount != 1:
                raise KeyWriteError("no such key in the database")

        self._run("delete the key", work)
