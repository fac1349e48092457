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
from datetime import UTC, datetime, timedelta
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

    # ------------------------------------------------------------------ operations
    def create(self, spec: KeySpec) -> CreatedKey:
        fields = {
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
        missing = [f for f in self._unstorable(spec, fields) if f != "alias"]
        if "soft_budget" in spec.given and self.schema.budgets is None:
            missing.append("soft_budget")
        if missing:
            raise WriteRefused(
                f"{self.tokens.name} in this database has no column for: {', '.join(sorted(set(missing)))}; "
                "nothing was written"
            )
        notes = []
        if "key_alias" not in self.tokens.columns and spec.alias:
            notes.append(f"this layout has no key_alias column: the alias {spec.alias!r} is not stored")
        now = datetime.now(UTC)
        raw = generate_key()
        token = hash_key(raw)
        reset_at = next_reset(parse_duration(spec.budget_duration), now, self.tz) if spec.budget_duration else None
        expires = expiry(spec.duration, now) if spec.duration else None
        metadata = dict(spec.metadata or {})
        if spec.tags:
            metadata["tags"] = list(spec.tags)
        budget_id = str(uuid.uuid4()) if spec.soft_budget is not None else None

        def work(conn: Connection) -> None:
            if budget_id is not None and self.schema.budgets is not None:
                self._insert(
                    conn,
                    self.schema.budgets,
                    {
                        "budget_id": budget_id,
                        "soft_budget": float(spec.soft_budget),  # type: ignore[arg-type]
                        "created_at": _naive(now),
                        "updated_at": _naive(now),
                        "created_by": self.actor,
                        "updated_by": self.actor,
                    },
                )
            models: Any = list(spec.models or ())
            if not self.pg:
                models = json.dumps(models)
            self._insert(
                conn,
                self.tokens,
                {
                    "token": token,
                    "key_name": key_name(raw),
                    "key_alias": spec.alias,
                    "spend": 0.0,
                    "max_budget": float(spec.max_budget) if spec.max_budget is not None else None,
                    "budget_duration": spec.budget_duration,
                    "budget_reset_at": _naive(reset_at),
                    "models": models,
                    "user_id": spec.user_id,
                    "team_id": spec.team_id,
                    "tpm_limit": spec.tpm_limit,
                    "rpm_limit": spec.rpm_limit,
                    "expires": _naive(expires),
                    "metadata": json.dumps(metadata),
                    "budget_id": budget_id,
                    "created_at": _naive(now),
                    "updated_at": _naive(now),
                    "created_by": self.actor,
                    "updated_by": self.actor,
                },
            )

        self._run("create the key", work)
        return CreatedKey(
            key=raw,
            token=token,
            key_name=key_name(raw),
            alias=spec.alias,
            max_budget=spec.max_budget,
            budget_duration=spec.budget_duration,
            budget_reset_at=reset_at,
            soft_budget=spec.soft_budget,
            models=spec.models or (),
            tags=spec.tags or (),
            team_id=spec.team_id,
            user_id=spec.user_id,
            tpm_limit=spec.tpm_limit,
            rpm_limit=spec.rpm_limit,
            expires=expires,
            notes=tuple(notes),
        )

    def update(self, token: str, spec: KeySpec) -> None:
        """Change the budget fields the user set (max budget, duration, soft budget)."""
        allowed = {"max_budget", "budget_duration", "soft_budget"}
        extra = spec.given - allowed
        if extra:
            raise WriteRefused(
                f"database updates change only {', '.join(sorted(allowed))}, not {', '.join(sorted(extra))}"
            )
        now = datetime.now(UTC)

        def work(conn: Connection) -> None:
            table = self._name(self.tokens)
            row = conn.execute(text(f"SELECT budget_id FROM {table} WHERE token = :t"), {"t": token}).first()  # noqa: S608
            if row is None:
                raise KeyWriteError("no such key in the database")
            sets: dict[str, Any] = {}
            if "max_budget" in spec.given:
                sets["max_budget"] = float(spec.max_budget) if spec.max_budget is not None else None
            if "budget_duration" in spec.given and spec.budget_duration:
                sets["budget_duration"] = spec.budget_duration
                sets["budget_reset_at"] = _naive(next_reset(parse_duration(spec.budget_duration), now, self.tz))
            if "soft_budget" in spec.given:
                if self.schema.budgets is None:
                    raise WriteRefused("this database has no LiteLLM_BudgetTable for soft budgets")
                budgets = self._name(self.schema.budgets)
                if row[0]:
                    conn.execute(
                        text(f"UPDATE {budgets} SET soft_budget = :s, updated_at = :u WHERE budget_id = :b"),  # noqa: S608
                        {"s": float(spec.soft_budget), "u": _naive(now), "b": row[0]},
                    )  # type: ignore[arg-type]
                else:
                    budget_id = str(uuid.uuid4())
                    self._insert(
                        conn,
                        self.schema.budgets,
                        {
                            "budget_id": budget_id,
                            "soft_budget": float(spec.soft_budget),  # type: ignore[arg-type]
                            "created_at": _naive(now),
                            "updated_at": _naive(now),
                            "created_by": self.actor,
                            "updated_by": self.actor,
                        },
                    )
                    sets["budget_id"] = budget_id
            sets = {k: v for k, v in sets.items() if k in self.tokens.columns}
            if "updated_at" in self.tokens.columns:
                sets["updated_at"] = _naive(now)
            if sets:
                assignments = ", ".join(f'"{k}" = :{k}' for k in sets)
                conn.execute(text(f"UPDATE {table} SET {assignments} WHERE token = :token"), {**sets, "token": token})  # noqa: S608

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
