"""Run a real NSD on loopback for senderkit's integration tests and benches.

Used by tests/integration/conftest.py (pytest) and by bench/spf/bench.py
(plain script), so it imports nothing beyond the standard library.

    with NSD(["zones/example.test.zone", ...]) as nsd:
        print(nsd.server)          # "127.0.0.1:PORT"

Each zone file is named <origin>.zone (e.g. "cases.test.zone"); the origin
is taken from the file name unless given as (origin, path) pairs.  NSD runs
in the foreground (-d) as a child process with everything (config, pid
file, xfrd state, log) in a private temporary directory; it is stopped by
the PID from its pid file (SIGTERM, then SIGKILL after a deadline).  Only
loopback is used: 127.0.0.1 by default; a test that needs two servers on
the same port (two "authoritative nameservers" of one zone) gives another
127.0.0.0/8 address with address=, e.g.

    port = free_port(addresses=("127.0.0.1", "127.0.0.2"))
    with NSD(zones_a, port=port), NSD(zones_b, port=port,
                                      address="127.0.0.2"):
        ...

Nothing here ever talks to an address outside 127.0.0.0/8.
"""

import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

NSD_BIN = "/usr/sbin/nsd"
NSD_CHECKCONF = "/usr/sbin/nsd-checkconf"
NSD_CHECKZONE = "/usr/sbin/nsd-checkzone"
LOOPBACK = "127.0.0.1"


class HarnessError(RuntimeError):
    pass


def nsd_available():
    """True when the NSD binaries the harness needs are installed."""
    return all(os.access(p, os.X_OK)
               for p in (NSD_BIN, NSD_CHECKCONF, NSD_CHECKZONE))


def _check_loopback(address):
    """Refuse any address outside 127.0.0.0/8 (loopback only)."""
    try:
        raw = socket.inet_aton(address)
    except (OSError, TypeError):
        raise HarnessError("not an IPv4 address: %r" % (address,)) from None
    if raw[0] != 127:
        raise HarnessError("not a loopback address: %s" % address)
    return address


def free_port(addresses=(LOOPBACK,)):
    """An unprivileged port free for both UDP and TCP on 127.0.0.1 (or on
    every loopback address in `addresses`).

    Bind a TCP socket to port 0 to let the kernel choose, then check the
    same port is free for UDP (and on the other addresses).  There is a
    small window between closing and NSD binding; start() retries with a
    new port if NSD fails.
    """
    addresses = [_check_loopback(a) for a in addresses]
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind((addresses[0], 0))
            port = t.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    u.bind((addresses[0], port))
            except OSError:
                continue
            if all(port_is_free(port, a) for a in addresses[1:]):
                return port
    raise HarnessError("no free port found on " + ", ".join(addresses))


def port_is_free(port, address=LOOPBACK):
    _check_loopback(address)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind((address, port))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind((address, port))
    except OSError:
        return False
    return True


def _encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode("ascii")
            out += bytes([len(raw)]) + raw
    return out + b"\0"


def udp_query(port, name, qtype=6, timeout=0.5, address=LOOPBACK):
    """Send one query (type code qtype, class IN) to 127.0.0.1:port (or
    address:port, a loopback address) over UDP.  Returns (rcode, ancount,
    tc_flag) or None when no reply came."""
    _check_loopback(address)
    qid = random.randrange(0x10000)
    msg = struct.pack("!HHHHHH", qid, 0x0000, 1, 0, 0, 0)
    msg += _encode_name(name) + struct.pack("!HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(msg, (address, port))
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                data, _ = s.recvfrom(65535)
                if len(data) < 12:
                    continue
                rid, flags, _qd, an, _ns, _ar = struct.unpack(
                    "!HHHHHH", data[:12])
                if rid != qid or not flags & 0x8000:
                    continue
                return flags & 0xF, an, bool(flags & 0x0200)
        except (socket.timeout, OSError):
            return None
    return None


def zone_origin(path):
    base = os.path.basename(path)
    if not base.endswith(".zone"):
        raise HarnessError("zone file name must be <origin>.zone: " + path)
    return base[:-len(".zone")]


def zone_list(zones):
    """[(origin, absolute path)] from paths named <origin>.zone or
    (origin, path) pairs, as the NSD and Knot harnesses take them."""
    out = []
    for z in zones:
        if isinstance(z, (tuple, list)):
            origin, path = z
        else:
            origin, path = zone_origin(z), z
        out.append((origin, os.path.abspath(path)))
    return out


class NSD:
    """An NSD instance on 127.0.0.1 serving the given zone files.

    zones:   list of paths named <origin>.zone, or (origin, path) pairs.
    port:    a fixed port (e.g. 53 for the bench), or None to pick a free
             one.
    address: the loopback address to listen on (default 127.0.0.1); with
             another one (127.0.0.2), give a port free there as well
             (free_port(addresses=...)).
    """

    def __init__(self, zones, port=None, workdir=None, server_count=1,
                 verbosity=1, start_timeout=15.0, address=LOOPBACK):
        self.address = _check_loopback(address)
        self.zones = zone_list(zones)
        self.fixed_port = port
        self.port = None
        self.server_count = server_count
        self.verbosity = verbosity
        self.start_timeout = start_timeout
        self._own_workdir = workdir is None
        self.workdir = workdir
        self.proc = None
        self.pid = None

    @property
    def server(self):
        return "%s:%d" % (self.address, self.port)

    # -- configuration -------------------------------------------------

    def _conf_text(self):
        d = self.workdir
        lines = [
            "server:",
            "\tip-address: %s@%d" % (self.address, self.port),
            "\tport: %d" % self.port,
            "\tdo-ip6: no",
            '\tusername: ""',
            '\tchroot: ""',
            '\tzonesdir: "%s"' % os.path.join(d, "zones"),
            '\tpidfile: "%s"' % os.path.join(d, "nsd.pid"),
            # NSD 4.6 still has the on-disk database; "" turns it off.
            '\tdatabase: ""',
            '\txfrdfile: "%s"' % os.path.join(d, "xfrd.state"),
            '\txfrdir: "%s"' % d,
            '\tzonelistfile: "%s"' % os.path.join(d, "zone.list"),
            '\tlogfile: "%s"' % os.path.join(d, "nsd.log"),
            "\tverbosity: %d" % self.verbosity,
            "\tserver-count: %d" % self.server_count,
            "\thide-version: yes",
            # No response rate limiting: tests and bulk audits ask many
            # questions quickly; a dropped answer costs a 2 s retry.
            "\trrl-ratelimit: 0",
            # A fixed, common EDNS limit so that the "big record" test
            # really needs TCP (RFC 6891 section 6.2.5 leaves it open).
            "\tipv4-edns-size: 1232",
            "\ttcp-count: 256",
            "\tzonefiles-check: no",
            "",
            "remote-control:",
            "\tcontrol-enable: no",
            "",
        ]
        for origin, _path in self.zones:
            lines += [
                "zone:",
                "\tname: %s" % origin,
                '\tzonefile: "%s.zone"' % origin,
                # AXFR from loopback lets tests list a zone's contents.
                "\tprovide-xfr: %s NOKEY" % self.address,
                "",
            ]
        return "\n".join(lines)

    def _run_check(self, argv):
        p = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60)
        if p.returncode != 0:
            raise HarnessError("%s failed (exit %d):\n%s"
                               % (" ".join(argv), p.returncode, p.stdout))

    def _prepare(self):
        if self.workdir is None:
            self.workdir = tempfile.mkdtemp(prefix="sk-nsd-")
        zdir = os.path.join(self.workdir, "zones")
        os.makedirs(zdir, exist_ok=True)
        for origin, path in self.zones:
            self._run_check([NSD_CHECKZONE, origin, path])
            shutil.copyfile(path, os.path.join(zdir, origin + ".zone"))
        conf = os.path.join(self.workdir, "nsd.conf")
        with open(conf, "w") as f:
            f.write(self._conf_text())
        self._run_check([NSD_CHECKCONF, conf])
        return conf

    # -- life cycle ----------------------------------------------------

    def start(self):
        if not nsd_available():
            raise HarnessError("nsd is not installed")
        attempts = 1 if self.fixed_port is not None else 5
        last = ""
        for _ in range(attempts):
            self.port = self.fixed_port or free_port((self.address,))
            conf = self._prepare()
            pidfile = os.path.join(self.workdir, "nsd.pid")
            if os.path.exists(pidfile):
                os.unlink(pidfile)
            log = open(os.path.join(self.workdir, "nsd.stderr"), "w")
            self.proc = subprocess.Popen([NSD_BIN, "-c", conf, "-d"],
                                         stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL)
            log.close()
            if self._wait_ready():
                self.pid = self._read_pid() or self.proc.pid
                return self
            last = self.log_tail()
            self._stop_proc()
        raise HarnessError("nsd did not start:\n" + last)

    def _wait_ready(self):
        origin = self.zones[0][0] if self.zones else "."
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            r = udp_query(self.port, origin, 6, timeout=0.2,
                          address=self.address)
            if r is not None and r[0] == 0 and r[1] >= 1:
                return True
            time.sleep(0.05)
        return False

    def _read_pid(self):
        try:
            with open(os.path.join(self.workdir, "nsd.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def log_tail(self, n=40):
        out = []
        for name in ("nsd.stderr", "nsd.log"):
            try:
                with open(os.path.join(self.workdir, name)) as f:
                    out += f.read().splitlines()[-n:]
            except OSError:
                pass
        return "\n".join(out)

    def _stop_proc(self, deadline=5.0):
        """Stop NSD by PID: the pid file's (the main process) and our
        child's, SIGTERM first, SIGKILL after the deadline."""
        pids = []
        pid = self._read_pid()
        if pid:
            pids.append(pid)
        if self.proc is not None and self.proc.pid not in pids:
            pids.append(self.proc.pid)
        for p in pids:
            try:
                os.kill(p, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
        if self.proc is not None:
            try:
                self.proc.wait(timeout=deadline)
            except subprocess.TimeoutExpired:
                for p in pids:
                    try:
                        os.kill(p, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
                self.proc.wait(timeout=deadline)
        self.proc = None

    def stop(self):
        if self.proc is not None:
            self._stop_proc()
        self.pid = None
        if self._own_workdir and self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
