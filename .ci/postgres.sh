#!/usr/bin/env bash
# Start (idempotently) a private PostgreSQL cluster on 127.0.0.1 for spendtui's tests.
#   .ci/postgres.sh start   -> prints the URL the tests use (SPENDTUI_TEST_PG)
#   .ci/postgres.sh stop
# Uses Debian's postgresql binaries (installed by .ci/run). Data lives in $SPENDTUI_PG_DIR.
set -euo pipefail
PG_DIR="${SPENDTUI_PG_DIR:-${TMPDIR:-/tmp}/spendtui-pg}"
PG_PORT="${SPENDTUI_PG_PORT:-5434}"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -n "$PGBIN" ] || { echo "postgresql is not installed (apt-get install postgresql)" >&2; exit 1; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
pg_user() { if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi; }

case "${1:-start}" in
  start)
    if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
      rm -rf "$PG_DIR"; mkdir -p "$PG_DIR/data"
      [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$PG_DIR"
      chmod 700 "$PG_DIR/data"
      as_pg "$PGBIN/initdb" -D "$PG_DIR/data" -U "$(pg_user)" --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; exit 1; }
      cat >>"$PG_DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF
    fi
    if ! as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
      touch "$PG_DIR/server.log"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR/server.log"
      as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w start >/dev/null
    fi
    as_pg "$PGBIN/psql" -X -q -h "$PG_DIR" -p "$PG_PORT" -U "$(pg_user)" -d postgres -tAc \
      "SELECT 1 FROM pg_roles WHERE rolname='spendtui'" | grep -q 1 || \
      as_pg "$PGBIN/psql" -X -q -h "$PG_DIR" -p "$PG_PORT" -U "$(pg_user)" -d postgres -c \
        "CREATE ROLE spendtui LOGIN SUPERUSER PASSWORD 'spendtui'"
    echo "postgresql://spendtui:spendtui@127.0.0.1:$PG_PORT/postgres"
    ;;
  stop)
    as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  restart)
    as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -m fast -w restart -l "$PG_DIR/server.log" >/dev/null
    ;;
  *) echo "usage: $0 start|stop|restart" >&2; exit 2 ;;
esac
