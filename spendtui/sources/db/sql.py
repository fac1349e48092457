"""The SQL spendtui runs against a spend database, written once per dialect.

Cold loads aggregate on the server: one ``GROUP BY`` per chunk of rows over every
dimension at once, returned as a single row of delimited strings (``group_concat`` /
``string_agg``) so the driver builds a handful of Python objects instead of one per
value. Polls read raw rows newer than a watermark. Every value from outside goes in as a
bound parameter; only reflected identifiers are spliced, quoted by the dialect.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from spendtui.sources.db.schema import SpendSchema

CELL_SEP = "\x1e"  # between cells
FIELD_SEP = "\x1f"  # between the parts of a composite key
MEASURE_NAMES = ("s", "n", "p", "c", "t", "f", "h")
#: The log columns that become composite-key parts as they are (after the model).
_ROW_DIMENSION_COLUMNS = (
    "custom_llm_provider",
    "api_key",
    "user",
    "team_id",
    "end_user",
    "organization_id",
    "agent_id",
)


@dataclass(frozen=True)
class Dialect:
    name: str  # "sqlite" or "postgresql"

    @property
    def sqlite(self) -> bool:
        return self.name == "sqlite"

    def q(self, ident: str) -> str:
        """Quote an identifier (always, so camelCase and reserved words survive)."""
        return '"' + ident.replace('"', '""') + '"'

    def text(self, expr: str) -> str:
        return expr if self.sqlite else f"({expr})::text"

    def agg(self, expr: str, sep: str) -> str:
        if self.sqlite:
            return f"group_concat({expr}, '{sep}')" if sep != CELL_SEP else f"group_concat({expr}, char(30))"
        sep_sql = "chr(30)" if sep == CELL_SEP else f"'{sep}'"
        return f"string_agg({self.text(expr)}, {sep_sql})"

    def as_int(self, boolean: str) -> str:
        return f"({boolean})" if self.sqlite else f"(({boolean})::int)"


class SpendSql:
    """SQL text for one reflected schema and dialect."""

    def __init__(self, schema: SpendSchema, dialect: Dialect) -> None:
        self.schema = schema
        self.d = dialect
        q = dialect.q
        logs = schema.logs
        self.table = (q(logs.schema) + "." if logs.schema else "") + q(logs.name)
        self.ts = q(schema.time_column)

    # ------------------------------------------------------------------ expressions
    def _col(self, name: str, default: str = "''") -> str:
        return self.d.q(name) if self.schema.col(name) else default

    def _coalesced(self, name: str, ref: Callable[[str], str] | None = None) -> str:
        return f"coalesce({(ref or self.d.q)(name)}, '')" if self.schema.col(name) else "''"

    def model_expr(self, ref: Callable[[str], str] | None = None) -> str:
        """``model_group``, else ``model``; ``ref`` names a column (default: quoted as is)."""
        ref = ref or self.d.q
        has_group, has_model = self.schema.col("model_group"), self.schema.col("model")
        if has_group and has_model:
            group, model = ref("model_group"), ref("model")
            return f"CASE WHEN coalesce({group}, '') = '' THEN coalesce({model}, '') ELSE {group} END"
        return self._coalesced("model_group" if has_group else "model", ref)

    def tags_expr(self, ref: Callable[[str], str] | None = None) -> str:
        if not self.schema.col("request_tags"):
            return "''"
        tags = (ref or self.d.q)("request_tags")
        return f"coalesce({tags}, '')" if self.d.sqlite else f"coalesce({tags}::text, '')"

    def dimension_exprs(self, ref: Callable[[str], str] | None = None) -> list[str]:
        """model, provider, api_key, user, team, customer, organization, agent, tags (the
        parts of ``Dimensions.composite``): never NULL; '' where the column is missing
        (LiteLLM before 2025-11 has no ``organization_id``, before 2025-12 no ``agent_id``)."""
        return [
            self.model_expr(ref),
            *(self._coalesced(n, ref) for n in _ROW_DIMENSION_COLUMNS),
            self.tags_expr(ref),
        ]

    def spend_ok(self) -> str:
        """Usable spend: a number from 0 to $1M. NULL fails; so does NaN on PostgreSQL
        (NaN sorts above every number) and text on SQLite (text sorts above numbers)."""
        return "(spend BETWEEN 0 AND 1000000)"

    def spend_pico(self) -> str:
        """Pico-dollars of a usable spend, 0 otherwise (so sums of bad rows cannot overflow)."""
        if self.d.sqlite:
            return f"(CAST(round(spend * 1e12) AS INTEGER) * {self.spend_ok()})"
        return f"(CASE WHEN {self.spend_ok()} THEN round(spend * 1e12)::bigint ELSE 0 END)"

    def tokens(self) -> tuple[str, str, str]:
        p = "prompt_tokens" if self.schema.col("prompt_tokens") else "0"
        c = "completion_tokens" if self.schema.col("completion_tokens") else "0"
        both = f"coalesce({p}, 0) + coalesce({c}, 0)"
        t = f"coalesce(total_tokens, {both})" if self.schema.col("total_tokens") else f"({both})"
        return p, c, t

    def failed_expr(self) -> str:
        return self.d.as_int("status = 'failure'") if self.schema.col("status") else "0"

    def cache_expr(self) -> str:
        # LiteLLM writes str(bool): 'True'/'False' (and 'None'); it tests LOWER(cache_hit)='true'
        if not self.schema.col("cache_hit"):
            return "0"
        return self.d.as_int("cache_hit IN ('True', 'true', 'TRUE')")

    def bucket_expr(self, ts: str | None = None) -> str:
        """UTC ``YYYY-MM-DD HH`` for rows at or after :hourly_from, else ``YYYY-MM-DD``, of
        the request time (or of ``ts``, a timestamp expression, on PostgreSQL)."""
        ts = ts or self.ts
        if self.d.sqlite:
            # ISO text without a zone is already UTC: slice it. Anything else (a zone
            # suffix, epoch numbers) goes through strftime, which converts to UTC.
            # (only digits and '.' after the seconds means no zone suffix)
            width = f"CASE WHEN {ts} >= :hourly_from THEN 13 ELSE 10 END"
            return (
                f"CASE WHEN typeof({ts}) = 'text' AND rtrim(substr({ts}, 20), '.0123456789') = '' "
                f"THEN substr({ts}, 1, {width}) "
                f"ELSE coalesce(substr(strftime('%Y-%m-%d %H', {ts}, CASE WHEN typeof({ts}) IN "
                f"('integer', 'real') THEN 'unixepoch' ELSE '+0 days' END), 1, {width}), '') END"
            )
        return (
            f"to_char({ts}, CASE WHEN {ts} >= CAST(:hourly_from AS timestamp) "
            "THEN 'YYYY-MM-DD HH24' ELSE 'YYYY-MM-DD' END)"
        )

    def composite_expr(self, dims: list[str]) -> str:
        sep = " || char(31) || " if self.d.sqlite else " || chr(31) || "
        return sep.join(dims)

    # ------------------------------------------------------------------ statements
    def cells(self, where: str) -> str:
        """One row: count, buckets, keys, 7 measure lists, rows with unusable spend."""
        fields = [
            "count(*)",
            self.d.agg("CASE WHEN ok = 1 THEN b END", CELL_SEP),
            self.d.agg("CASE WHEN ok = 1 THEN k END", CELL_SEP),
        ]
        fields += [self.d.agg(f"CASE WHEN ok = 1 THEN coalesce({m}, 0) END", ",") for m in MEASURE_NAMES]
        fields.append("coalesce(sum(CASE WHEN ok = 1 THEN 0 ELSE n END), 0)")
        inner = self._cells_sqlite(where) if self.d.sqlite else self._cells_postgres(where)
        return f"SELECT {', '.join(fields)} FROM ({inner}) AS cells"  # noqa: S608

    def _measure_inputs(self) -> list[str]:
        """Per-row inputs of the measures summed as s, (count as n), p, c, t, f, h."""
        p, c, t = self.tokens()
        return [self.spend_pico(), p, c, t, self.failed_expr(), self.cache_expr()]

    def _cells_postgres(self, where: str) -> str:
        """Cells: b (bucket), k (composite key), ok (usable spend), then the measures.

        Rows are grouped on the raw columns and a ``date_trunc`` bucket (a timestamp),
        which PostgreSQL hashes cheaply; the bucket text and the composite key are built
        afterwards, once per group instead of once per row (about 40 % less time than
        grouping on the formatted texts at 1M rows). NULL and '' form separate groups that
        meet again in the composite key."""
        s, p, c, t, f, h = self._measure_inputs()
        ts = self.ts
        bucket = (
            f"CASE WHEN {ts} >= CAST(:hourly_from AS timestamp) "
            f"THEN date_trunc('hour', {ts}) ELSE date_trunc('day', {ts}) END"
        )
        names = ("model_group", "model", *_ROW_DIMENSION_COLUMNS)
        alias = {n: f"g{i}" for i, n in enumerate(n for n in (*names, "request_tags") if self.schema.col(n))}
        raw = {n: (f"{self.d.q(n)}::text" if n == "request_tags" else self.d.q(n)) for n in alias}
        inner_cols = [f"{bucket} AS b0", *(f"{raw[n]} AS {a}" for n, a in alias.items())]
        inner_cols.append(f"{self.d.as_int(self.spend_ok())} AS ok")
        dims = self.dimension_exprs(alias.__getitem__)  # the same expressions over the grouped columns
        # reflected identifiers, quoted; every value is a bound parameter
        grouped = (
            f"SELECT {', '.join(inner_cols)}, "  # noqa: S608
            f"sum({s}) AS s, count(*) AS n, sum({p}) AS p, sum({c}) AS c, sum({t}) AS t, "
            f"sum({f}) AS f, sum({h}) AS h "
            f"FROM {self.table} WHERE {where} "
            f"GROUP BY {', '.join(str(i) for i in range(1, len(inner_cols) + 1))}"
        )
        return (
            f"SELECT {self.bucket_expr('b0')} AS b, "  # noqa: S608
            f"{self.composite_expr(dims)} AS k, ok, s, n, p, c, t, f, h FROM ({grouped}) AS grouped"
        )

    def _cells_sqlite(self, where: str) -> str:
        """The same cells, cheaper for SQLite's sorter: each row's bucket and dimensions
        are joined into one text key ('' for unusable spend) and its measure inputs
        computed in a subquery kept unflattened (``LIMIT -1``), so the sort handles one
        short text column and six integers rather than nine raw columns and every
        column the measures read (~10% less time per row)."""
        s, p, c, t, f, h = self._measure_inputs()
        key = f"{self.bucket_expr()} || char(31) || {self.composite_expr(self.dimension_exprs())}"
        rows = (
            f"SELECT CASE WHEN {self.spend_ok()} THEN {key} ELSE '' END AS g, "  # noqa: S608
            f"{s} AS s, {p} AS p, {c} AS c, {t} AS t, {f} AS f, {h} AS h "
            f"FROM {self.table} WHERE {where} LIMIT -1"
        )
        return (
            "SELECT substr(g, 1, instr(g, char(31)) - 1) AS b, substr(g, instr(g, char(31)) + 1) AS k, "  # noqa: S608
            "g != '' AS ok, sum(s) AS s, count(*) AS n, sum(p) AS p, sum(c) AS c, sum(t) AS t, "
            f"sum(f) AS f, sum(h) AS h FROM ({rows}) GROUP BY g"
        )

    def raw_rows(self, where: str, order: str, limit: bool = True) -> str:
        """Raw request rows for polls and the live tail (``decode.raw_row`` reads the
        columns by position: keep the order)."""
        q = self.d.q
        cols = [
            ("rowid" if self.d.sqlite else "NULL") + " AS rid",
            (q(self.schema.id_column) if self.schema.id_column else "NULL") + " AS request_id",
            f"{self.ts} AS ts",
            (q(self.schema.written_column) if self.schema.written_column else "NULL") + " AS written",
            self.model_expr() + " AS model",
            self._col("custom_llm_provider", "NULL") + " AS provider",
            self._col("api_key", "NULL") + " AS api_key",
            self._col("user", "NULL") + " AS usr",
            self._col("team_id", "NULL") + " AS team",
            self._col("end_user", "NULL") + " AS customer",
            (("request_tags" if self.d.sqlite else "request_tags::text") if self.schema.col("request_tags") else "NULL")
            + " AS tags",
            "spend",
            *(f"{e} AS {n}" for e, n in zip(self.tokens(), ("pt", "ct", "tt"), strict=True)),
            self._col("status", "NULL") + " AS status",
            self._col("cache_hit", "NULL") + " AS cache_hit",
            self._col("organization_id", "NULL") + " AS organization",
            self._col("agent_id", "NULL") + " AS agent",
        ]
        sql = f"SELECT {', '.join(cols)} FROM {self.table} WHERE {where} ORDER BY {order}"  # noqa: S608
        return sql + (" LIMIT :limit" if limit else "")
