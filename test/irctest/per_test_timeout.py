"""A pytest plugin for `npm run irctest`: fail a test that runs longer than IRCTEST_TEST_TIMEOUT seconds.

irctest's client loops until the line it waits for arrives (joinChannel, for one), so a server that never
sends it hangs the whole run; this turns such a hang into one failed test and the run goes on. SIGALRM:
Unix only, as the script is.
"""
import os
import signal

import pytest

_SECONDS = int(os.environ.get("IRCTEST_TEST_TIMEOUT", "60"))


class TestTimeout(Exception):
    pass


def _expired(signum, frame):
    raise TestTimeout(f"test ran longer than {_SECONDS} s (IRCTEST_TEST_TIMEOUT)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
