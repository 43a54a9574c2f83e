#!/usr/bin/env bash
# Installs (Debian packages) and starts a local PostgreSQL for the test suite, creates a role that
# may create databases and roles (tests/integration/test_database_urls.py logs in as roles it
# creates: one with a password full of URL-special characters, one over the Unix socket), and
# writes the URL to .postgres-test-url (read by tests/conftest.py).
# Needs root, as on the project's machines and in CI. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
# The image may carry the client tools (psql, pg_lsclusters) without a server: check the server.
if ! dpkg -s postgresql >/dev/null 2>&1 || [ -z "$(pg_lsclusters --no-header 2>/dev/null)" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
read -r version cluster _ < <(pg_lsclusters --no-header | head -n 1)
pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start 2>/dev/null || true
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
pg_isready -h 127.0.0.1
runuser -u postgres -- psql -q -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cashapp') THEN
    CREATE ROLE cashapp LOGIN CREATEDB PASSWORD 'cashapp';
  END IF; END \$\$;"
# CREATEROLE: the URL tests log in as roles they create, the append-only tests create a role
# with only SELECT/INSERT on the money tables.
runuser -u postgres -- psql -q -c "ALTER ROLE cashapp CREATEDB CREATEROLE;"
echo "postgresql+psycopg://cashapp:cashapp@127.0.0.1:5432/postgres" > .postgres-test-url
echo "PostgreSQL $version ready; test URL in .postgres-test-url"
