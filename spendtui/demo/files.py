"""Which files the demo generator may replace: only its own demo databases (marked by
``PRAGMA application_id``), an empty file, or no file at all. spendtui never overwrites
a file it did not create."""

from __future__ import annotations

from pathlib import Path

from spendtui.errors import UsageError

#: ``PRAGMA application_id`` of every database ``create_demo_db`` writes ("SPTD"): the mark
#: by which spendtui knows a file is its own demo database, the only kind it replaces.
DEMO_APPLICATION_ID = 0x53505444
_SQLITE_MAGIC = b"SQLite format 3\x00"


class NotADemoDatabase(UsageError):
    """The path holds a file that spendtui's demo generator did not write."""


def is_demo_database(path: str | Path) -> bool:
    """Whether ``path`` is a SQLite file carrying the demo generator's application id
    (read from the 100-byte file header; the file is not opened as a database)."""
    try:
        with open(path, "rb") as f:
            head = f.read(100)
    except OSError:
        return False
    return len(head) == 100 and head[:16] == _SQLITE_MAGIC and int.from_bytes(head[68:72], "big") == DEMO_APPLICATION_ID


def check_replaceable(path: str | Path) -> None:
    """NotADemoDatabase unless ``path`` is free: absent, an empty file, or a spendtui demo database."""
    path = Path(path)
    refuse = "refusing to replace it (delete it yourself if you mean it, or choose another path)"
    if path.is_dir():
        raise NotADemoDatabase(f"{path} is a directory: give a file path for the demo database")
    if not path.exists():
        return
    try:
        with open(path, "rb") as f:
            head = f.read(100)
    except OSError as exc:
        raise NotADemoDatabase(
            f"{path}: cannot read it to check that it is a spendtui demo database ({exc.strerror or exc})"
        ) from None
    if not head or is_demo_database(path):
        return
    if head.startswith(_SQLITE_MAGIC):
        raise NotADemoDatabase(
            f"{path} is a SQLite database without the mark of spendtui's demo generator "
            f"(nor do demo databases written before the mark existed): {refuse}"
        )
    raise NotADemoDatabase(f"{path} exists and is not a spendtui demo database: {refuse}")
