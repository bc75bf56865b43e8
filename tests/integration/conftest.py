"""pytest fixtures for senderkit's integration tests.

Run with Debian's python (it has pytest):
    SENDERKIT=build/src/senderkit /usr/bin/python3 -m pytest -q tests/integration
or through meson:  meson test -C build --suite integration

Fixtures:
    nsd        (session) a real NSD on 127.0.0.1:<free port> serving
               tests/integration/zones/*.zone; .port, .server
    sk         runs the CLI: sk("spf", "check", ...) -> Result(rc, out, err)
               with .json (parsed stdout) and .lines
    zone_args  ["--zone", F, ...] for every test zone (offline backend)
"""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import nsdharness  # noqa: E402

ZONES_DIR = os.path.join(HERE, "zones")
TOP = os.path.dirname(os.path.dirname(HERE))


def zone_files():
    return sorted(os.path.join(ZONES_DIR, f) for f in os.listdir(ZONES_DIR)
                  if f.endswith(".zone"))


def pytest_addoption(parser):
    parser.addoption("--senderkit", default=None,
                     help="path of the senderkit binary (default: $SENDERKIT "
                          "or build/src/senderkit)")


def _senderkit_path(config):
    p = (config.getoption("--senderkit") or os.environ.get("SENDERKIT")
         or os.path.join(TOP, "build", "src", "senderkit"))
    return os.path.abspath(p)


class Result:
    def __init__(self, argv, rc, out, err):
        self.argv = argv
        self.rc = rc
        self.out = out
        self.err = err

    @property
    def lines(self):
        return self.out.splitlines()

    @property
    def json(self):
        try:
            return json.loads(self.out)
        except ValueError as e:
            raise AssertionError("stdout is not one JSON value (%s):\n%s"
                                 % (e, self)) from None

    @property
    def json_lines(self):
        out = []
        for ln in self.out.splitlines():
            try:
                out.append(json.loads(ln))
            except ValueError as e:
                raise AssertionError("line is not JSON (%s): %r\n%s"
                                     % (e, ln, self)) from None
        return out

    def __repr__(self):
        return ("$ %s\nexit %d\n--- stdout\n%s--- stderr\n%s"
                % (" ".join(self.argv), self.rc, self.out, self.err))

    __str__ = __repr__


class Runner:
    def __init__(self, path):
        self.path = path

    def __call__(self, *args, stdin=None, timeout=60):
        argv = [self.path] + [str(a) for a in args]
        p = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True,
                           errors="surrogateescape", timeout=timeout)
        return Result(argv, p.returncode, p.stdout, p.stderr)


@pytest.fixture(scope="session")
def senderkit_path(pytestconfig):
    p = _senderkit_path(pytestconfig)
    if not os.access(p, os.X_OK):
        pytest.fail("senderkit binary not found at %s (set SENDERKIT or "
                    "--senderkit)" % p)
    return p


@pytest.fixture(scope="session")
def sk(senderkit_path):
    return Runner(senderkit_path)


@pytest.fixture(scope="session")
def nsd():
    if not nsdharness.nsd_available():
        pytest.skip("nsd is not installed")
    server = nsdharness.NSD(zone_files())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def zone_args():
    args = []
    for f in zone_files():
        args += ["--zone", f]
    return args
