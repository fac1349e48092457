"""Large request metadata (real LiteLLM writes ~10 kB a row, the model's whole price entry
next to the usage object): the cache tokens are not read from it, every load says so, and
the rest of the figures are untouched; small metadata is read as before."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from spendtui.demo.generator import create_demo_db
from tests.helpers import FIXED_NOW, copy_demo_db_to_pg, create_pg_database, load_real_schema, spendtui

RANGE = ["--start", "2026-11-01", "--end", FIXED_NOW.date().isoformat()]
FILLER = {f"input_cost_per_token_tier_{i}": 1e-06 * i for i in range(150)}


def report(url: str) -> tuple[dict, str]:
    run = spendtui("report", "models", *RANGE, "--db", url, "--format", "json")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout), run.stderr


@pytest.fixture(scope="module")
def dbs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("large-metadata")
    small, large = folder / "small.db", folder / "large.db"
    create_demo_db(small, rows=4_000, days=30, seed=3, now=FIXED_NOW)
    large.write_bytes(small.read_bytes())
    with sqlite3.connect(large) as conn:
        conn.execute(
            "UPDATE \"LiteLLM_SpendLogs\" SET metadata = json_set(coalesce(metadata, '{}'), '$.model_map_information', "
            "json(?))",
            (json.dumps(FILLER),),
        )
    return small, large


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("pg", marks=pytest.mark.postgres)])
def test_large_metadata_is_not_read_and_says_so(dbs: tuple[Path, Path], backend: str) -> None:
    small, large = dbs
    urls = [f"sqlite:///{small}", f"sqlite:///{large}"]
    if backend == "pg":
        urls = []
        for name, path in (("small", small), ("large", large)):
            url = create_pg_database(f"spendtui_test_metadata_{name}")
            load_real_schema(url)
            copy_demo_db_to_pg(path, url)
            urls.append(url)
    read, quiet = report(urls[0])
    skipped, note = report(urls[1])
    assert "cache tokens not read" not in quiet
    assert "cache tokens not read (" in note and "kB of metadata a row)" in note
    assert sum(r["cache_read_tokens"] for r in read["rows"]) > 0  # (the demo logs some)
    assert all(r["cache_read_tokens"] == 0 and r["cache_creation_tokens"] == 0 for r in skipped["rows"])

    def rest(doc: dict) -> list[tuple]:
        return [(r["id"], r["spend"], r["requests"], r["total_tokens"]) for r in doc["rows"]]

    assert rest(skipped) == rest(read) and skipped["total"]["spend"] == read["total"]["spend"]
