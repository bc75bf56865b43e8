#!/usr/bin/python3
"""SPF throughput benchmark: senderkit vs libspf2's spfquery vs pyspf, with
dnsperf's queries/s against the same server as the ceiling, at several
resolver distances.

    bench.py [--senderkit PATH] [--dnsdelay PATH] [--pairs 10000]
             [--rtt-ms 0,1] [--rtt-peer-pairs 1000] [--out bench/out]

Generates the data set (gen.py) and runs one scenario per --rtt-ms value:

  0 ms   NSD on 127.0.0.1 (tests/integration/nsdharness.py), queried
         directly: every tool is bounded by CPU and the server.
  N ms   NSD behind bench/dnsdelay.c, a UDP proxy that holds each response
         N ms: a resolver N ms away, where concurrency matters.  The slow
         peers evaluate only the first --rtt-peer-pairs pairs there;
         senderkit evaluates all of them, and the same subset as well.

In each scenario, one after the other:
  (a) senderkit spf check --batch pairs.txt --server 127.0.0.1:PORT
      (default --concurrency, then each --concurrency value)
  (b) spfquery -file pairs.txt, inside `unshare -m` with a private
      /etc/resolv.conf bind-mounted over the real one ("nameserver
      127.0.0.1"); the server (NSD, or the proxy) listens on port 53 for
      that.  The host's resolv.conf is never modified.  Skipped when
      port 53 is taken or we are not root.
  (c) pyspf (spf.check2 loop, bench/spf/pyspf_run.py)
  (d) dnsperf -d queries.txt -l 10 (-q 1000 behind the proxy)
The DNS packets each run really sent are NSD's own counters (nsd-control
stats_noreset over a unix socket in NSD's work directory) before and after
the run.  Every peer's results are compared with senderkit's and with the
expected results of the generator.  Writes bench/out/spf-<date>.md and
prints it.  Loopback only; nothing is sent elsewhere.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

sys.dont_write_bytecode = True
import gen  # noqa: E402
import nsdharness  # noqa: E402
from benchnsd import BenchNSD  # noqa: E402


def timed(argv, timeout, **kw):
    t = time.monotonic()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout, **kw)
    return p, time.monotonic() - t


# -- DNS servers ---------------------------------------------------------

class DelayProxy:
    """bench/dnsdelay on 127.0.0.1:port in front of NSD."""

    def __init__(self, binary, port, upstream, delay_us, logpath):
        self.argv = [binary, "--listen", str(port), "--upstream",
                     str(upstream), "--delay-us", str(delay_us)]
        self.port = port
        self.logpath = logpath
        self.proc = None

    def start(self, timeout=10.0):
        with open(self.logpath, "w") as log:
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if nsdharness.udp_query(self.port, gen.ORIGIN, 6, 0.5):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("dnsdelay did not start:\n" + self.log())

    def log(self):
        with open(self.logpath) as f:
            return f.read()

    def stats(self):
        """The proxy's cumulative statistics now (SIGUSR1), as a dict."""
        n = len(self._stat_lines())
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            lines = self._stat_lines()
            if len(lines) > n:
                return self._parse(lines[-1])
            time.sleep(0.01)
        return {}

    def _stat_lines(self):
        return [ln for ln in self.log().splitlines() if "queries=" in ln]

    @staticmethod
    def _parse(line):
        return dict((k, float(v)) for k, v in
                    re.findall(r"(\w+)=([0-9.]+)", line))

    def cpu_seconds(self):
        """User + system CPU time the proxy has used so far."""
        try:
            with open("/proc/%d/stat" % self.proc.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) \
                / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return float("nan")

    def stop(self):
        """SIGTERM by PID; returns the final statistics as a dict."""
        if self.proc is None:
            return {}
        cpu = self.cpu_seconds()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        lines = self._stat_lines()
        if not lines:
            return {}
        st = self._parse(lines[-1])
        st["cpu_seconds"] = cpu
        return st


def probe_rtt(port, n=200):
    """Median and 90th percentile of n sequential queries, in ms (a
    Python client: includes some tens of microseconds of its own)."""
    ts = []
    for _ in range(n):
        t = time.monotonic()
        if nsdharness.udp_query(port, gen.ORIGIN, 6, 1.0):
            ts.append((time.monotonic() - t) * 1e3)
    if not ts:
        return float("nan"), float("nan")
    ts.sort()
    return statistics.median(ts), ts[int(len(ts) * 0.9) - 1]


# -- the tools -----------------------------------------------------------

def run_senderkit(sk, server, pairs, concurrency=None, label="senderkit"):
    argv = [sk, "spf", "check", "--batch", pairs, "--server", server,
            "--json"]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
        label += " --concurrency %d" % concurrency
    p, el = timed(argv, 600)
    objs = []
    for ln in p.stdout.splitlines():
        try:
            objs.append(json.loads(ln))
        except ValueError:
            pass
    res = [o.get("result", "error:" + str(o.get("error"))) for o in objs]
    qs = sum(int(o.get("dns_queries", 0) or 0) for o in objs)
    return {"name": label, "results": res, "seconds": el,
            "rc": p.returncode, "questions": qs, "stderr": p.stderr[-2000:]}


def run_spfquery(pairs, workdir, max_seconds):
    resolv = os.path.join(workdir, "resolv.conf")
    with open(resolv, "w") as f:
        f.write("nameserver 127.0.0.1\noptions timeout:2 attempts:2\n")
    script = 'mount --bind "$1" /etc/resolv.conf && exec spfquery -file "$2"'
    try:
        p, el = timed(["unshare", "-m", "sh", "-c", script, "sh", resolv,
                       pairs], max_seconds)
    except subprocess.TimeoutExpired:
        return {"name": "spfquery", "results": [], "seconds": max_seconds,
                "rc": -1, "stderr": "timed out"}
    res = [m.group(1) for m in re.finditer(r"^Received-SPF: (\w+)",
                                           p.stdout, re.M)]
    # spfquery exits with a code for the last result: not an error
    return {"name": "spfquery", "results": res, "seconds": el,
            "rc": 0, "stderr": p.stderr[-2000:]}


def run_pyspf(port, pairs, max_seconds):
    p, _ = timed(["/usr/bin/python3", os.path.join(HERE, "pyspf_run.py"),
                  str(port), pairs, str(max_seconds)], max_seconds + 120)
    m = re.search(r"# done (\d+) in ([0-9.]+)", p.stderr)
    el = float(m.group(2)) if m else float("nan")
    return {"name": "pyspf", "results": p.stdout.split(), "seconds": el,
            "rc": p.returncode, "stderr": p.stderr[-2000:]}


def run_dnsperf(port, queries, seconds, outstanding=None):
    argv = ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", queries,
            "-l", str(seconds)]
    if outstanding:
        # the proxy releases responses in bursts: without a big socket
        # buffer dnsperf's own receive queue overflows (UDP RcvbufErrors)
        # and it counts those as lost
        argv += ["-q", str(outstanding), "-b", "4096"]
    p, _ = timed(argv, seconds + 60)
    m = re.search(r"Queries per second:\s+([0-9.]+)", p.stdout)
    lost = re.search(r"Queries lost:\s+(\d+)", p.stdout)
    lat = re.search(r"Average Latency \(s\):\s+([0-9.]+)", p.stdout)
    return {"qps": float(m.group(1)) if m else float("nan"),
            "lost": int(lost.group(1)) if lost else None,
            "latency_ms": float(lat.group(1)) * 1e3 if lat else float("nan"),
            "cmd": " ".join(argv).replace(queries, "queries.txt"),
            "raw": p.stdout + p.stderr}


def udp_rcvbuf_errors():
    """The host's count of UDP datagrams dropped on a full receive
    buffer (all sockets: other jobs on the host count too)."""
    try:
        with open("/proc/net/snmp") as f:
            rows = [ln.split() for ln in f if ln.startswith("Udp:")]
        return int(dict(zip(rows[0][1:], rows[1][1:]))["RcvbufErrors"])
    except (OSError, IndexError, KeyError, ValueError):
        return None


def late_us(p0, p1):
    """Average lateness of the proxy's releases between two snapshots."""
    n = p1.get("released", 0) - p0.get("released", 0)
    return (p1["late_sum_us"] - p0["late_sum_us"]) / n \
        if n and "late_sum_us" in p0 and "late_sum_us" in p1 else None


def counted(nsd, proxy, fn, *args, **kw):
    """Run fn and add the DNS packets NSD received meanwhile (UDP + TCP
    queries; "tcp" and "truncated" separately), None when unknown, the
    host's UDP receive-buffer drops meanwhile and, behind the proxy, how
    late on average it released the responses."""
    before, drops = nsd.counters(), udp_rcvbuf_errors()
    p0 = proxy.stats() if proxy else {}
    r = fn(*args, **kw)
    after, drops2 = nsd.counters(), udp_rcvbuf_errors()
    r["late_us"] = late_us(p0, proxy.stats()) if proxy else None
    r["rcvbuf_drops"] = drops2 - drops if drops is not None \
        and drops2 is not None else None
    if before is None or after is None:
        r["packets"] = r["tcp"] = r["truncated"] = None
        return r

    def delta(*keys):
        return int(sum(after.get(k, 0) - before.get(k, 0) for k in keys))
    r["packets"] = delta("num.udp", "num.udp6", "num.tcp", "num.tcp6")
    r["tcp"] = delta("num.tcp", "num.tcp6")
    r["truncated"] = delta("num.truncated")
    return r


# -- one scenario --------------------------------------------------------

def head(path, n, out):
    with open(path) as f, open(out, "w") as g:
        for i, ln in enumerate(f):
            if i >= n:
                break
            g.write(ln)
    return out


def run_scenario(a, ctx, rtt_ms):
    """Run every tool at one RTT; returns the scenario's measurements."""
    paths, work = ctx["paths"], ctx["work"]
    proxied = rtt_ms > 0
    n_all = len(ctx["pairs"])
    peer_pairs, n_peer = paths["pairs"], n_all
    if proxied and a.rtt_peer_pairs < n_all:
        n_peer = a.rtt_peer_pairs
        peer_pairs = head(paths["pairs"], a.rtt_peer_pairs,
                          os.path.join(work, "pairs-%d.txt"
                                       % a.rtt_peer_pairs))
    nsd = BenchNSD([(gen.ORIGIN, paths["zone"])],
                   port=53 if ctx["port53"] and not proxied else None)
    proxy = None
    sc = {"rtt_ms": rtt_ms, "runs": [], "proxy": None, "n_peer": n_peer}
    nsd.start()
    try:
        front = nsd.port
        if proxied:
            front = 53 if ctx["port53"] else nsdharness.free_port()
            proxy = DelayProxy(a.dnsdelay, front, nsd.port,
                               int(rtt_ms * 1000),
                               os.path.join(work, "dnsdelay-%g.log"
                                            % rtt_ms)).start()
        server = "127.0.0.1:%d" % front
        sc["server"] = server
        sc["probe"] = probe_rtt(front)
        print("bench: %g ms RTT: %s (NSD on %s), measured RTT median "
              "%.3f ms, %d pairs" % (rtt_ms, server, nsd.server,
                                     sc["probe"][0], len(ctx["pairs"])))
        runs = sc["runs"]

        def add(npairs, fn, *args, repeat=1, **kw):
            # the run with the median time of `repeat` tries
            tries = sorted((counted(nsd, proxy, fn, *args, **kw)
                            for _ in range(repeat)),
                           key=lambda r: r["seconds"])
            runs.append(tries[len(tries) // 2])
            runs[-1]["npairs"] = npairs
            print("bench:   %s: %d in %.2fs" % (
                runs[-1]["name"], len(runs[-1]["results"]),
                runs[-1]["seconds"]))

        rep = a.repeat
        add(n_all, run_senderkit, ctx["sk"], server, paths["pairs"],
            repeat=rep)
        if n_peer != n_all:
            add(n_peer, run_senderkit, ctx["sk"], server, peer_pairs,
                label="senderkit (first %d)" % n_peer, repeat=rep)
        for c in ctx["concurrency"]:
            add(n_all, run_senderkit, ctx["sk"], server, paths["pairs"], c,
                repeat=rep)
        if ctx["port53"]:
            add(n_peer, run_spfquery, peer_pairs, work, a.peer_seconds * 3)
        else:
            print("bench:   port 53 busy or not root: spfquery skipped")
        add(n_peer, run_pyspf, front, peer_pairs, a.peer_seconds)
        sc["dnsperf"] = counted(nsd, proxy, run_dnsperf, front, paths["queries"],
                                a.dnsperf_seconds,
                                a.dnsperf_outstanding if proxied else None)
        print("bench:   dnsperf %.0f q/s" % sc["dnsperf"]["qps"])
    finally:
        if proxy is not None:
            sc["proxy"] = proxy.stop()
        nsd.stop()
    return sc


# -- the report ----------------------------------------------------------

def compare(name, res, ref, pairs, limit=10):
    n = min(len(res), len(ref))
    bad = [(i, res[i], ref[i]) for i in range(n) if res[i] != ref[i]]
    ex = ["  line %d (%s): %s=%s, reference=%s"
          % (i + 1, pairs[i], name, a, b) for i, a, b in bad[:limit]]
    return n, bad, ex


def rate(r):
    return len(r["results"]) / r["seconds"] \
        if r["seconds"] and r["results"] else 0.0


def is_sk(r):
    return r["name"].startswith("senderkit")


def ratio(a, b):
    return "%.1fx" % (rate(a) / rate(b)) if rate(b) else "-"


def fmt(v, f="%d"):
    return "-" if v is None else f % v


def eval_table(sc, ctx):
    """Evaluations table and the notes about disagreements/errors."""
    runs, pairs, expected = sc["runs"], ctx["pairs"], ctx["expected"]
    skr = runs[0]
    # senderkit at its default concurrency, by number of pairs given
    same = {r["npairs"]: r for r in runs if is_sk(r)
            and "--concurrency" not in r["name"]}
    md = ["| run | evaluations | seconds | evaluations/s | senderkit / it "
          "| senderkit on the same pairs / it | agrees with senderkit "
          "| agrees with expected |",
          "|---|---:|---:|---:|---:|---:|---:|---:|"]
    notes = []
    for r in runs:
        n, bad, ex = compare(r["name"], r["results"], skr["results"], pairs)
        ne, bade, exe = compare(r["name"], r["results"], expected, pairs)
        peer = not is_sk(r)
        twin = same.get(r["npairs"])
        md.append("| %s | %d | %.2f | %.0f | %s | %s | %s | %s |" % (
            r["name"], len(r["results"]), r["seconds"], rate(r),
            ratio(skr, r) if peer else "-",
            ratio(twin, r) if peer and twin else "-",
            "-" if r is skr else "%d/%d" % (n - len(bad), n),
            "%d/%d" % (ne - len(bade), ne)))
        if r is not skr and bad:
            notes.append("%s disagrees with senderkit on %d of %d:\n%s"
                         % (r["name"], len(bad), n, "\n".join(ex)))
        if bade:
            notes.append("%s disagrees with the expected results on %d of "
                         "%d:\n%s" % (r["name"], len(bade), ne,
                                      "\n".join(exe)))
        if r["rc"] != 0:
            notes.append("%s exited %d: %s" % (r["name"], r["rc"],
                                                r["stderr"]))
    return md, notes


def dns_table(sc):
    ceil = sc["dnsperf"]["qps"]
    late = sc["proxy"] is not None
    md = ["| run | DNS packets (NSD) | packets/evaluation | packets/s | "
          "of dnsperf's ceiling | questions asked (`dns_queries`) | "
          "questions/s | TCP | TC=1 | UDP drops (host) |"
          + (" proxy late, avg µs |" if late else ""),
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
          + ("---:|" if late else "")]
    for r in sc["runs"]:
        pk = r["packets"]
        pps = pk / r["seconds"] if pk is not None and r["seconds"] else None
        qs = r.get("questions")
        md.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["name"], fmt(pk),
            fmt(pk / len(r["results"]) if pk is not None and r["results"]
                else None, "%.2f"),
            fmt(pps, "%.0f"),
            fmt(pps / ceil if pps is not None and ceil else None, "%.2f"),
            fmt(qs), fmt(qs / r["seconds"] if qs is not None else None,
                         "%.0f"),
            fmt(r["tcp"]), fmt(r["truncated"]), fmt(r["rcvbuf_drops"]))
            + (" %s |" % fmt(r["late_us"], "%.0f") if late else ""))
    return md


def targets(sc):
    runs = sc["runs"]
    skr = runs[0]
    sks = [r for r in runs if is_sk(r) and r["npairs"] == skr["npairs"]]
    best = max(sks, key=rate)
    spfq = next((r for r in runs if r["name"] == "spfquery"), None)
    ceil = sc["dnsperf"]["qps"]
    out = []
    for r in [skr] + ([best] if best is not skr else []):
        if spfq and rate(spfq):
            x = rate(r) / rate(spfq)
            t1 = "%s (%.1fx)" % ("met" if x >= 10 else "NOT met", x)
        else:
            t1 = "not measured"
        if r["packets"] is not None and ceil:
            f = r["packets"] / r["seconds"] / ceil
            t2 = "%s (%.2f)" % ("met" if f >= 0.5 else "NOT met", f)
        else:
            t2 = "not measured"
        out.append("- %s: >= 10x spfquery: %s; DNS packets/s >= half of "
                   "dnsperf's ceiling: %s" % (r["name"], t1, t2))
    return out


def proxy_lines(sc):
    st = sc["proxy"]
    if not st:
        return []
    keys = ("queries", "released", "tc", "unknown", "expired", "drop_noid",
            "drop_queue", "drop_fwd", "drop_send", "max_outstanding",
            "max_queued", "late_avg_us", "late_max_us", "cpu_seconds")
    bad = [k for k in ("tc", "malformed", "unknown", "expired", "drop_noid",
                       "drop_queue", "drop_fwd", "drop_send")
           if st.get(k)]
    return ["dnsdelay over the whole scenario: " + ", ".join(
        "%s %s" % (k, "%.0f" % v if v == int(v) else "%.1f" % v)
        for k, v in ((k, st.get(k, 0)) for k in keys)) + " (on the CPUs "
        "the tools under test use too; lateness here includes dnsperf's "
        "saturating run: %s µs for dnsperf alone).  " % fmt(
            sc["dnsperf"]["late_us"], "%.0f") +
        ("Anomalies: %s." % ", ".join(bad) if bad else
         "Every query was answered and released; no TC=1 response "
         "(clients never needed TCP, which the proxy does not serve)."), ""]


def scenario_md(sc, ctx):
    dp = sc["dnsperf"]
    if sc["rtt_ms"]:
        title = "%g ms RTT: NSD behind bench/dnsdelay" % sc["rtt_ms"]
        setup = ("Every tool asks bench/dnsdelay on %s, which forwards to "
                 "NSD and holds each response %g ms.  spfquery and pyspf "
                 "evaluate the first %d pairs only (they are sequential); "
                 "senderkit all %d, and the same first pairs once more."
                 % (sc["server"], sc["rtt_ms"],
                    sc["n_peer"], len(ctx["pairs"])))
    else:
        title = "0 ms RTT: NSD direct"
        setup = "Every tool asks NSD on %s directly." % sc["server"]
    md = ["## %s" % title, "", setup + "  RTT of 200 sequential probes "
          "(Python client): median %.3f ms, p90 %.3f ms." % sc["probe"], ""]
    table, notes = eval_table(sc, ctx)
    md += table + [""]
    md += ["DNS packets each run really sent (NSD's counters, UDP + TCP "
           "queries received, before/after the run) and the questions "
           "senderkit's evaluations asked (its resolver cache answers "
           "repeated ones without a packet), against dnsperf's ceiling of "
           "%.0f queries/s through the same address (`%s`; average "
           "latency %.3f ms, queries lost %s):"
           % (dp["qps"], dp["cmd"], dp["latency_ms"], dp["lost"]), ""]
    if sc["proxy"] is not None:
        md += ["\"proxy late\": how long after its due time the proxy "
               "released a response, on average over the run: extra RTT "
               "the tool saw on top of the delay and NSD's own time.", ""]
    md += dns_table(sc) + [""]
    md += proxy_lines(sc)
    md += ["Targets:"] + targets(sc) + [""]
    if notes:
        md += ["Disagreements and errors:", ""] + \
            ["```\n%s\n```" % n for n in notes] + [""]
    return md


def report(scs, ctx, a):
    date = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    nsdv = subprocess.run([nsdharness.NSD_BIN, "-v"], capture_output=True,
                          text=True).stderr.split("\n")[0].split()[-1]
    md = ["# SPF benchmark %s" % date, "",
          "%d (ip, mail-from) pairs over as many sender domains, 20 "
          "providers (bench/spf/gen.py); NSD %s on 127.0.0.1, server-count "
          "1; senderkit's default --concurrency is 500; each senderkit row "
          "is the median of %d runs, the peers run once; host: %d CPUs "
          "shared by NSD, the proxy and the tool under test (and other "
          "jobs: expect noise).  Command: `%s`."
          % (len(ctx["pairs"]), nsdv, a.repeat, os.cpu_count(),
             (os.environ.get("SPF_BENCH_CMD") or " ".join(sys.argv))
             .strip()), "",
          "At 0 ms the sequential peers pay almost nothing per lookup and "
          "the CPU bounds everybody; at a realistic distance a sequential "
          "resolver waits one RTT per lookup, while senderkit keeps many "
          "evaluations in flight.  \"UDP drops (host)\" is the host's "
          "RcvbufErrors counter over the run (any socket of the host).", ""]
    for sc in scs:
        md += scenario_md(sc, ctx)
    summary = len(md)
    md += ["## dnsperf output", ""]
    for sc in scs:
        md += ["%g ms RTT:" % sc["rtt_ms"], "", "```",
               sc["dnsperf"]["raw"].strip(), "```", ""]
    path = os.path.join(a.out, "spf-%s.md" % date)
    with open(path, "w") as f:
        f.write("\n".join(md))
    print("\n".join(md[:summary]))
    print("report: %s" % path)


# -- main ----------------------------------------------------------------

def parse_list(s, conv):
    return [conv(x) for x in s.split(",") if x.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--senderkit", default=os.environ.get(
        "SENDERKIT", os.path.join(TOP, "build", "src", "senderkit")))
    ap.add_argument("--dnsdelay", default=os.path.join(
        TOP, "bench", "out", "dnsdelay"), help="bench/dnsdelay.c, built")
    ap.add_argument("--pairs", type=int, default=10000)
    ap.add_argument("--out", default=os.path.join(TOP, "bench", "out"))
    ap.add_argument("--rtt-ms", default="0,1",
                    help="scenarios: resolver round trips in ms, "
                         "comma-separated (0 = NSD direct)")
    ap.add_argument("--rtt-peer-pairs", type=int, default=1000,
                    help="pairs the slow peers evaluate when RTT > 0")
    ap.add_argument("--peer-seconds", type=float, default=60.0,
                    help="time budget of each slow peer")
    ap.add_argument("--dnsperf-seconds", type=int, default=10)
    ap.add_argument("--dnsperf-outstanding", type=int, default=1000,
                    help="dnsperf -q when RTT > 0")
    ap.add_argument("--concurrency", default="50,200,2000",
                    help="extra senderkit runs with these --concurrency "
                         "values (comma-separated; '' for none)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="run each senderkit case this many times and "
                         "report the median (the peers run once)")
    ap.add_argument("--keep", action="store_true", help="keep work dir")
    a = ap.parse_args()

    if not nsdharness.nsd_available():
        sys.exit("bench: nsd is not installed (./scripts/deps.sh)")
    rtts = parse_list(a.rtt_ms, float)
    if any(rtts) and not os.access(a.dnsdelay, os.X_OK):
        sys.exit("bench: %s not built (bench/spf/run.sh builds it)"
                 % a.dnsdelay)
    a.dnsdelay = os.path.abspath(a.dnsdelay)
    os.makedirs(a.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="spf-bench-", dir=a.out)
    paths = gen.generate(work, a.pairs)
    with open(paths["pairs"]) as f:
        pairs = [ln.strip() for ln in f if ln.strip()]
    with open(paths["expected"]) as f:
        expected = f.read().split()
    ctx = {"sk": os.path.abspath(a.senderkit), "work": work,
           "paths": paths, "pairs": pairs, "expected": expected,
           "concurrency": parse_list(a.concurrency, int),
           "port53": bool(nsdharness.port_is_free(53)
                          and os.geteuid() == 0 and shutil.which("unshare")
                          and shutil.which("spfquery"))}
    try:
        scs = [run_scenario(a, ctx, rtt) for rtt in rtts]
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(scs, ctx, a)


if __name__ == "__main__":
    main()
