#!/bin/sh
# Installs what the test suite needs from Debian's packages: a PostgreSQL server (initdb, pg_ctl).
set -eu
have_pg() {
    command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}
if have_pg; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL server binaries are missing: run 'sudo apt-get install postgresql' (the PostgreSQL tests will skip)" >&2
    exit 0
fi
echo "installing PostgreSQL from Debian's packages..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends postgresql >/dev/null
# Debian starts a cluster of its own on install; the tests use throw-away clusters instead.
(service postgresql stop || true) >/dev/null 2>&1
