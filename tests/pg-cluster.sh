#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, the benchmarks and `make run-cluster`: its
# own data folder and port, nothing of the system's PostgreSQL touched.
#
#   tests/pg-cluster.sh start DIR PORT   installs PostgreSQL when missing (Debian's packages,
#                                        without the system cluster), creates DIR, starts the
#                                        server on 127.0.0.1:PORT and prints its admin URL;
#                                        it speaks TLS with a certificate for 127.0.0.1 signed
#                                        by a CA made for the run: DIR/ca.crt
#   tests/pg-cluster.sh stop DIR         stops it and deletes DIR
#
# As root the server runs as the `postgres` user (PostgreSQL refuses to run as root).
# PG_DURABLE=1 keeps fsync on (the benchmarks measure a real disk); the tests turn it off,
# which changes no semantics, only what a power cut would keep.
set -euo pipefail

usage() { echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 dir=$2

# Empty when PostgreSQL is not installed (without `|| true`, pipefail and set -e would end
# the script silently right here on a machine that has none yet).
find_bin() { { ls -d /usr/lib/postgresql/*/bin 2>/dev/null || true; } | sort -V | tail -1; }

install_postgres() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing PostgreSQL (Debian packages; no system cluster is created)" >&2
  # postgresql-common creates and starts a "main" cluster on install unless told not to.
  $sudo mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/account-settings.conf >/dev/null
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
}

# Runs a PostgreSQL program as the cluster's owner.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    [ $# -eq 3 ] || usage
    port=$3
    bin=$(find_bin)
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then install_postgres; bin=$(find_bin); fi
    [ -x "$bin/initdb" ] || { echo "PostgreSQL's initdb was not found after installing" >&2; exit 1; }
    if [ -f "$dir/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      as_owner "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    chmod 700 "$dir"
    as_owner "$bin/initdb" -D "$dir" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
    # A CA of its own and a server certificate for 127.0.0.1 (PostgreSQL wants the key
    # readable by its owner only).
    command -v openssl >/dev/null || { echo "openssl is needed for the test cluster's TLS" >&2; exit 1; }
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
      -subj "/CN=account-settings test CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
      -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
      -days 2 -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
    chmod 600 "$dir/server.key"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir/server.key" "$dir/server.crt"; fi
    durable=off
    [ "${PG_DURABLE:-0}" = 1 ] && durable=on
    as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=$durable -c full_page_writes=$durable -c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    bin=$(find_bin)
    if [ -n "$bin" ] && [ -f "$dir/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *) usage ;;
esac
