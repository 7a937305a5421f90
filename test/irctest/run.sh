#!/usr/bin/env bash
# npm run irctest [-- --own] [-- --all] [-- extra pytest args]: run irctest, the IRC conformance suite,
# against parley's IRC gateway, and print passed/failed/skipped.
#
# Default: irctest's external-server controller, against one parley-server this script starts (the way
# IRCTEST.md measures ngIRCd). --own: parley_controller.py beside this script starts a fresh parley-server
# for each test, as irctest's own controllers do for other servers (parley keeps rooms and who was in them
# between connections, so through one long-lived server a test meets the channels earlier tests left).
#
# The suite is not part of this repository: it is read from ../shared/irctest beside the checkout (where CI
# has it), copied to a temporary directory (that folder is read-only), and run against a parley-server this
# script starts on free ports with a fresh database. Default selection: the one IRCTEST.md compares against
# ngIRCd (-k 'privmsg or names or away or kick'); --all runs every test with the same marker filter.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# IRCTEST_DIR overrides; a git worktree one level further down finds the same folder at ../../shared.
suite="${IRCTEST_DIR:-$root/../shared/irctest}"
[ -d "$suite" ] || [ -n "${IRCTEST_DIR:-}" ] || suite="$root/../../shared/irctest"
if [ ! -d "$suite" ]; then
  echo "irctest: no suite at ${IRCTEST_DIR:-$root/../shared/irctest} (it is expected beside the checkout, in ../shared/irctest; or set IRCTEST_DIR)" >&2
  exit 2
fi
if ! python3 -c 'import pytest' 2>/dev/null; then
  echo "irctest: installing python3-pytest" >&2
  apt-get update -qq && apt-get install -y -qq python3-pytest >/dev/null
fi

selection=(-k 'privmsg or names or away or kick')
own=""
while [ $# -gt 0 ]; do
  case "$1" in
    --all) selection=(); shift ;;
    --own) own=1; shift ;;
    *) break ;;
  esac
done

work="$(mktemp -d "${TMPDIR:-/tmp}/parley-irctest.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cp -r "$suite" "$work/irctest"
chmod -R u+w "$work/irctest"

cd "$work/irctest"
# per_test_timeout and parley_controller live beside this script.
export PYTHONPATH="$root/test/irctest${PYTHONPATH:+:$PYTHONPATH}"
# A test that waits forever for a line fails after IRCTEST_TEST_TIMEOUT seconds (default 60).
pytest_args=(-p no:cacheprovider -p per_test_timeout -m 'not Ergo and not deprecated and not strict and not services' "${selection[@]}" -q -rfE)

if [ -n "$own" ]; then
  echo "irctest: a fresh parley-server per test (parley_controller); suite copied to $work/irctest"
  set +e
  PARLEY_ROOT="$root" python3 -m pytest "${pytest_args[@]}" --controller parley_controller "$@" >"$work/pytest.out" 2>&1
  status=$?
  set -e
else
# Port 0 for both: the server prints where it listens. No history replay (tests expect a quiet channel),
# no flood pacing (the suite sends faster than a person; pacing is tested by parley's own tests), and IRC
# clients are put in no channel unasked (--irc-no-default-room), as on any IRC server.
# The IRC operator the suite OPERs as (operuser/operpassword, as irctest's controllers configure it) is
# a parley server administrator; the server is named as irctest's controllers name theirs.
PARLEY_PASSWORD=operpassword node "$root/dist/server/main.js" user add operuser --db "$work/parley.db" >/dev/null
node "$root/dist/server/main.js" user admin operuser --db "$work/parley.db" >/dev/null
node "$root/dist/server/main.js" 0 --irc-port 0 --irc-no-default-room --irc-server-name My.Little.Server --db "$work/parley.db" --log "$work/server.log" \
  --history 0 --no-rate-limit --max-per-ip 0 >"$work/server.out" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 100); do
  port="$(sed -n 's/^IRC gateway on [^ ]*:\([0-9]*\);.*/\1/p' "$work/server.out")"
  [ -n "$port" ] && break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "irctest: parley-server did not start:" >&2
  cat "$work/server.out" >&2
  exit 2
fi
echo "irctest: parley-server's IRC gateway on 127.0.0.1:$port; suite copied to $work/irctest"

set +e
IRCTEST_SERVER_HOSTNAME=127.0.0.1 IRCTEST_SERVER_PORT="$port" \
  python3 -m pytest "${pytest_args[@]}" --controller irctest.controllers.external_server "$@" >"$work/pytest.out" 2>&1
status=$?
set -e
fi
grep -E '^(FAILED|ERROR) ' "$work/pytest.out" || true
summary="$(tail -n 1 "$work/pytest.out")"
count() { echo "$summary" | grep -oE "[0-9]+ $1" | grep -oE '^[0-9]+' || echo 0; }
echo "irctest: $(count passed) passed, $(count failed) failed, $(count skipped) skipped, $(count xfailed) xfailed, $(count error) errors ($summary)"
if [ -n "${IRCTEST_KEEP_OUTPUT:-}" ]; then cp "$work/pytest.out" "$IRCTEST_KEEP_OUTPUT"; fi
# pytest exits 1 when a test failed: that is a result to read, not a broken run.
[ "$status" -le 1 ] || exit "$status"
