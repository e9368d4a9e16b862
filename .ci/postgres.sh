#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on 127.0.0.1 as the postgres user (works as
# root, without systemd) and print its URL. Stop it with: .ci/postgres.sh stop DIR
set -euo pipefail
if [ "${1:-}" = "stop" ]; then
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  runuser -u postgres -- "$bin/pg_ctl" -D "$2/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$2"
  exit 0
fi
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
dir=${1:-$(mktemp -d /tmp/prisoncare-pg.XXXXXX)}
port=${PGPORT_TEST:-55432}
mkdir -p "$dir/data" "$dir/sock"
chown -R postgres:postgres "$dir"
chmod 700 "$dir/data"
runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 >/dev/null
runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o \
  "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
  start >/dev/null
runuser -u postgres -- "$bin/createdb" -h 127.0.0.1 -p "$port" prisoncare_test
echo "postgresql+psycopg://postgres@127.0.0.1:$port/prisoncare_test"
