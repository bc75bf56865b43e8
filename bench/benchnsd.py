"""The test harness's NSD (tests/integration/nsdharness.py) as the
benchmarks use it: remote control on a unix socket in its work directory,
so that a benchmark can read the server's own query counters; optionally
without response rate limiting and with only a sample of many zones
checked by nsd-checkzone.  Shared by bench/spf and bench/audit."""
import os
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

import nsdharness  # noqa: E402

NSD_CONTROL = "/usr/sbin/nsd-control"


class BenchNSD(nsdharness.NSD):
    """rrl_off: response rate limiting (on by default in NSD: 200 similar
    responses/s per /24) would drop answers to a client as fast as a
    benchmark, and a dropped answer costs a retry; off, the benchmark
    measures the client, not RRL.  check_sample: with thousands of
    generated zones, nsd-checkzone runs on the first and last three
    only (nsd-checkconf still reads the whole configuration)."""

    CONTROL_OFF = "\tcontrol-enable: no"

    def __init__(self, zones, rrl_off=False, check_sample=False, **kw):
        super().__init__(zones, **kw)
        self.rrl_off = rrl_off
        self.check_sample = check_sample

    def _conf_text(self):
        text = super()._conf_text()
        if self.rrl_off:
            text = text.replace("server:\n", "server:\n\trrl-ratelimit: 0\n"
                                "\trrl-whitelist-ratelimit: 0\n", 1)
        if self.CONTROL_OFF not in text or not os.access(NSD_CONTROL,
                                                         os.X_OK):
            return text     # counters() then returns None
        return text.replace(self.CONTROL_OFF, "\tcontrol-enable: yes\n"
                            "\tcontrol-interface: %s"
                            % os.path.join(self.workdir, "nsd.ctl"))

    def _prepare(self):
        if not self.check_sample:
            return super()._prepare()
        if self.workdir is None:
            self.workdir = tempfile.mkdtemp(prefix="sk-nsd-")
        zdir = os.path.join(self.workdir, "zones")
        os.makedirs(zdir, exist_ok=True)
        for k, (origin, path) in enumerate(self.zones):
            if k < 3 or k >= len(self.zones) - 3:
                self._run_check([nsdharness.NSD_CHECKZONE, origin, path])
            shutil.copyfile(path, os.path.join(zdir, origin + ".zone"))
        conf = os.path.join(self.workdir, "nsd.conf")
        with open(conf, "w") as f:
            f.write(self._conf_text())
        self._run_check([nsdharness.NSD_CHECKCONF, conf])
        return conf

    def counters(self, timeout=30):
        """NSD's cumulative counters as a dict, or None."""
        try:
            p = subprocess.run([NSD_CONTROL, "-c",
                                os.path.join(self.workdir, "nsd.conf"),
                                "stats_noreset"], capture_output=True,
                               text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if p.returncode != 0:
            return None
        out = {}
        for ln in p.stdout.splitlines():
            k, _, v = ln.partition("=")
            try:
                out[k] = float(v)
            except ValueError:
                pass
        return out
