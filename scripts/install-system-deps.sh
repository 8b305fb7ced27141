#!/bin/sh
# Installs what the test suite needs from Debian's packages: a PostgreSQL server (initdb, pg_ctl) for the
# integration tests and Chromium for the browser tests (driven by Playwright with executable_path; no
# browser is ever downloaded by Playwright), and a font with every Vietnamese letter for the share cards.
set -eu
have_pg() {
    command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}
have_chromium() {
    command -v chromium >/dev/null 2>&1
}
have_font() {  # a font with every Vietnamese letter, for the share cards
    [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]
}
missing=""
have_pg || missing="$missing postgresql"
have_chromium || missing="$missing chromium"
have_font || missing="$missing fonts-dejavu-core"
if [ -z "$missing" ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages:$missing — run 'sudo apt-get install$missing' (those tests will skip)" >&2
    exit 0
fi
echo "installing from Debian's packages:$missing ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
# Debian starts a cluster of its own on install; the tests use throw-away clusters instead.
(service postgresql stop || true) >/dev/null 2>&1
