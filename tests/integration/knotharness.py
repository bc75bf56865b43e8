"""Run a real Knot DNS server on loopback for senderkit's integration
tests: an authoritative server that accepts dynamic updates (RFC 2136), so
that a plan rendered for nsupdate(1) can be applied and planned again.

    with Knot(["plan_zones/acme.example.zone", ...]) as knot:
        print(knot.server)          # "127.0.0.1:PORT"

Each zone file is named <origin>.zone, or given as (origin, path).  The
files are copied into a private temporary directory that also holds the
configuration, the databases (journal, timers), the control socket and the
log.  knotd runs in the foreground as a child process and is stopped by
its PID (SIGTERM, then SIGKILL after a deadline).  Dynamic updates are
allowed from 127.0.0.1 only; zonefile-sync is -1, so updates live in the
journal and the copied zone files are never rewritten.  Only 127.0.0.1 is
used.  Standard library only (like nsdharness).
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time

from nsdharness import (HarnessError, LOOPBACK, free_port, udp_query,
                        zone_list)

KNOTD_BIN = "/usr/sbin/knotd"
KNOTC_BIN = "/usr/sbin/knotc"


def knot_available():
    """True when knotd and knotc are installed (Debian package knot)."""
    return all(os.access(p, os.X_OK) for p in (KNOTD_BIN, KNOTC_BIN))


class Knot:
    """A knotd on 127.0.0.1 serving (and accepting updates for) zones."""

    def __init__(self, zones, port=None, start_timeout=15.0):
        self.zones = zone_list(zones)
        self.fixed_port = port
        self.port = None
        self.start_timeout = start_timeout
        self.workdir = None
        self.proc = None

    @property
    def server(self):
        return "%s:%d" % (LOOPBACK, self.port)

    def _conf_text(self):
        d = self.workdir
        lines = [
            "server:",
            '    rundir: "%s"' % d,
            "    listen: %s@%d" % (LOOPBACK, self.port),
            "    udp-workers: 1",
            "    tcp-workers: 1",
            "    background-workers: 1",
            "",
            "database:",
            '    storage: "%s"' % os.path.join(d, "db"),
            "",
            "control:",
            '    listen: "%s"' % os.path.join(d, "knot.sock"),
            "",
            "log:",
            "  - target: stderr",
            "    any: info",
            "",
            "acl:",
            "  - id: local_update",
            "    address: %s" % LOOPBACK,
            "    action: update",
            "",
            "template:",
            "  - id: default",
            '    storage: "%s"' % os.path.join(d, "zones"),
            '    file: "%s.zone"',
            "    zonefile-sync: -1",
            "    acl: local_update",
            "",
            "zone:",
        ]
        for origin, _path in self.zones:
            lines.append("  - domain: %s" % origin)
        return "\n".join(lines) + "\n"

    def _prepare(self):
        if self.workdir is None:
            self.workdir = tempfile.mkdtemp(prefix="sk-knot-")
        for sub in ("zones", "db"):
            os.makedirs(os.path.join(self.workdir, sub), exist_ok=True)
        for origin, path in self.zones:
            shutil.copyfile(path, os.path.join(self.workdir, "zones",
                                               origin + ".zone"))
        conf = os.path.join(self.workdir, "knot.conf")
        with open(conf, "w") as f:
            f.write(self._conf_text())
        p = subprocess.run([KNOTC_BIN, "-c", conf, "conf-check"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=60)
        if p.returncode != 0:
            raise HarnessError("knotc conf-check failed:\n" + p.stdout)
        return conf

    def start(self):
        if not knot_available():
            raise HarnessError("knot is not installed")
        attempts = 1 if self.fixed_port is not None else 5
        last = ""
        for _ in range(attempts):
            self.port = self.fixed_port or free_port()
            conf = self._prepare()
            log = open(os.path.join(self.workdir, "knotd.log"), "w")
            self.proc = subprocess.Popen([KNOTD_BIN, "-c", conf],
                                         stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL)
            log.close()
            if self._wait_ready():
                return self
            last = self.log_tail()
            self._stop_proc()
        raise HarnessError("knotd did not start:\n" + last)

    def _wait_ready(self):
        """Every zone answers its SOA."""
        deadline = time.monotonic() + self.start_timeout
        pending = [o for o, _ in self.zones]
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            pending = [o for o in pending
                       if not self._soa_ok(o)]
            if not pending:
                return True
            time.sleep(0.05)
        return False

    def _soa_ok(self, origin):
        r = udp_query(self.port, origin, 6, timeout=0.2)
        return r is not None and r[0] == 0 and r[1] >= 1

    def log_tail(self, n=40):
        try:
            with open(os.path.join(self.workdir, "knotd.log")) as f:
                return "\n".join(f.read().splitlines()[-n:])
        except OSError:
            return ""

    def _stop_proc(self, deadline=5.0):
        if self.proc is None:
            return
        try:
            os.kill(self.proc.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=deadline)
        except subprocess.TimeoutExpired:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait(timeout=deadline)
        self.proc = None

    def stop(self):
        self._stop_proc()
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
