"""A load helper process: runs SQLite chunk queries sent by spendtui.sources.db.parallel.

Started as ``python -m spendtui.sources.db.helper URI TIMEOUT``; reads (sql, params)
frames on stdin and answers ("ok", row) or ("error", exception) frames on stdout until
stdin closes. It imports only the standard library.
"""

from __future__ import annotations

import sqlite3
import sys


def main() -> int:
    from spendtui.sources.db.parallel import read_frame, write_frame

    uri, timeout = sys.argv[1], float(sys.argv[2])
    conn = sqlite3.connect(uri, uri=True, timeout=timeout)
    conn.execute("PRAGMA query_only = 1")
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            sql, params = read_frame(stdin)
        except EOFError:
            return 0
        try:
            row = conn.execute(sql, params).fetchone()
            conn.rollback()
            write_frame(stdout, ("ok", tuple(row)))
        except sqlite3.Error as exc:
            write_frame(stdout, ("error", sqlite3.OperationalError(str(exc))))


if __name__ == "__main__":
    raise SystemExit(main())
