#!/usr/bin/env bash
# Starts the machine's local PostgreSQL when it is not answering (the API suite runs on it too).
# Does nothing when TEST_POSTGRES_URL points elsewhere or SKIP_POSTGRES=1 outside CI.
set -u
[ "${SKIP_POSTGRES:-}" = "1" ] && [ "${CI:-}" != "true" ] && exit 0
[ -n "${TEST_POSTGRES_URL:-}" ] && exit 0
ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
ready && exit 0
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  done
fi
for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
echo "PostgreSQL is not reachable on 127.0.0.1:5432: start it, set TEST_POSTGRES_URL, or SKIP_POSTGRES=1 (not allowed with CI=true)" >&2
exit 1
