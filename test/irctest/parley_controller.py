"""irctest controller for parley's IRC gateway: a fresh parley-server for each test, as irctest's own
controllers do for ngIRCd, InspIRCd and the rest (`npm run irctest -- --own`).

parley keeps rooms and who was in them across connections (a guest is put back in its rooms at login),
so through the external-server controller one test's channels and their state are still there in the
next; a server of its own per test gives each test the empty server it is written for. The server is
run from the checkout named by $PARLEY_ROOT (dist/ built), with a fresh database in the test's directory,
no history replay, no flood pacing (the suite sends faster than a person) and no default room for IRC
clients (--irc-no-default-room: an IRC server puts nobody in a channel unasked).
"""
import atexit
import ctypes
import os
import shutil
import signal
import subprocess
import tempfile
from typing import List, Optional, Set, Type

from irctest.basecontrollers import BaseServerController, DirectoryBasedController
from irctest.runner import NotImplementedByController


# The IRC operator irctest's tests OPER as (its other controllers configure the same pair): a parley server
# administrator account. Made once, in a template database copied for each test (hashing is slow).
OPER_NAME = "operuser"
OPER_PASSWORD = "operpassword"
_template: Optional[str] = None
# Every parley-server this module started and has not seen stop. irctest stops a test's server in its
# tearDown, which unittest skips when setUp fails after starting it (BotModeTestCase's setUp raises when
# ISUPPORT has no BOT): those would run on, listening, after the run. The next test's start and the end of
# the run stop whatever is left.
_started: List[subprocess.Popen] = []
# Servers listen on loopback only: irctest hands out "0.0.0.0" (what binding "" gave it), and its clients
# reach a loopback listener through that address as well.
_HOST = "127.0.0.1"
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: Linux sends it SIGTERM when pytest dies, even by SIGKILL (prctl(2))."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the atexit handler below is all there is


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM (the server closes cleanly), SIGKILL after 5 s, as irctest's kill_proc does."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _stop_left_over() -> None:
    while _started:
        _stop(_started.pop())


@atexit.register
def _at_exit() -> None:
    _stop_left_over()
    if _template is not None:
        shutil.rmtree(os.path.dirname(_template), ignore_errors=True)


def _template_db(root: str) -> str:
    global _template
    if _template is None:
        folder = tempfile.mkdtemp(prefix="parley-irctest-db.")
        db = os.path.join(folder, "parley.db")
        main = os.path.join(root, "dist", "server", "main.js")
        env = {**os.environ, "PARLEY_PASSWORD": OPER_PASSWORD}
        subprocess.run(["node", main, "user", "add", OPER_NAME, "--db", db], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["node", main, "user", "admin", OPER_NAME, "--db", db], check=True, stdout=subprocess.DEVNULL)
        _template = db
    return _template


class ParleyController(BaseServerController, DirectoryBasedController):
    software_name = "parley"
    supported_sasl_mechanisms: Set[str] = {"PLAIN"}
    supports_sts = False

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: Optional[str],
        ssl: bool,
        run_services: bool,
        faketime: Optional[str],
    ) -> None:
        assert self.proc is None
        # Tests run one at a time: a server still running now is an earlier test's that was never stopped.
        _stop_left_over()
        if password is not None:
            # A connection password for the whole server: parley's PASS is an account's password.
            raise NotImplementedByController("server password")
        if run_services:
            raise NotImplementedByController("services")
        self.port = port
        self.hostname = _HOST
        self.create_config()
        assert self.directory
        root = os.environ["PARLEY_ROOT"]
        template = _template_db(root)
        for suffix in ("", "-wal"):  # the -wal file only if the tool left one
            if os.path.exists(template + suffix):
                shutil.copy(template + suffix, str(self.directory / "parley.db") + suffix)
        irc_port = ["--irc-tls-port", str(port)] if ssl else ["--irc-port", str(port)]
        self.proc = self.execute(
            [
                "node",
                os.path.join(root, "dist", "server", "main.js"),
                "0",
                "--host",
                _HOST,
                *irc_port,
                "--db",
                str(self.directory / "parley.db"),
                "--log",
                str(self.directory / "server.log"),
                "--history",
                "0",
                "--no-rate-limit",
                "--max-per-ip",
                "0",
                # IRC servers put nobody in a channel unasked; the tests expect silence from channels
                # they did not join.
                "--irc-no-default-room",
                "--scrypt-n",
                "1024",
                # The name irctest's other controllers give the server they start (tests compare it).
                "--irc-server-name",
                "My.Little.Server",
            ],
            preexec_fn=_die_with_parent,
        )
        _started.append(self.proc)

    def kill_proc(self) -> None:
        assert self.proc
        proc = self.proc
        super().kill_proc()
        if proc in _started:
            _started.remove(proc)


def get_irctest_controller_class() -> Type[ParleyController]:
    return ParleyController
