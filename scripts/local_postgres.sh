#!/usr/bin/env bash
# A throw-away PostgreSQL server on loopback, for the storage tests and benchmarks.
#   scripts/local_postgres.sh start DIR PASSWORD   -> prints the port; superuser `rlab`
#   scripts/local_postgres.sh stop DIR
# initdb refuses to run as root: under root the cluster belongs to the `postgres` user (made by
# Debian's postgresql package), or to `nobody` when there is none.
set -euo pipefail

cmd=${1:?usage: local_postgres.sh start|stop DIR [PASSWORD]}
dir=${2:?usage: local_postgres.sh start|stop DIR [PASSWORD]}
# The server binaries: Debian's /usr/lib/postgresql/VERSION/bin (the newest), else initdb on PATH.
bindir=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  if [ -x "$d/initdb" ]; then bindir=$d; break; fi
done
if [ -z "$bindir" ] && command -v initdb >/dev/null; then
  bindir=$(dirname "$(realpath "$(command -v initdb)")")
fi
if [ -z "$bindir" ]; then
  echo "local_postgres: no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin or on PATH (apt-get install postgresql)" >&2
  exit 4
fi
owner=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  if id postgres >/dev/null 2>&1; then owner=postgres; else owner=nobody; fi
fi
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$owner" -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    password=${3:?usage: local_postgres.sh start DIR PASSWORD}
    mkdir -p "$dir"
    chmod 700 "$dir"
    printf '%s\n' "$password" >"$dir/pwfile"
    [ "$(id -u)" -eq 0 ] && chown -R "$owner" "$dir"
    as_owner "$bindir/initdb" -D "$dir/data" -U rlab --auth=scram-sha-256 --pwfile="$dir/pwfile" \
      -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 4; }
    rm -f "$dir/pwfile"
    for attempt in 1 2 3 4 5; do
      port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
          -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60" \
          start >/dev/null 2>&1; then
        echo "$port" >"$dir/port"
        echo "$port"
        exit 0
      fi
    done
    cat "$dir/server.log" >&2
    exit 4
    ;;
  stop)
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    ;;
  *)
    echo "local_postgres: unknown command '$cmd' (start or stop)" >&2
    exit 2
    ;;
esac
