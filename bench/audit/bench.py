#!/usr/bin/python3
"""Audit throughput benchmark: `senderkit audit --domains` against NSD on
loopback, beside dnsperf's ceiling on the same server.

    bench.py [--senderkit PATH] [--profile FILE] [--domains 10000]
             [--jobs 8,32,64] [--repeat 1] [--dnsperf-seconds 10]
             [--nsd-servers 1] [--out bench/out] [--keep]

Steps:
  1. gen.py writes 10,000 small zones (one per sending domain, each with
     SPF including mktomail.com, a DKIM key at mkto1, DMARC, MX, landing
     and tracking CNAMEs) plus mktomail.com, mktoweb.com and the branding
     domain; NSD (tests/integration/nsdharness.py) serves them all on
     127.0.0.1, with remote control on a unix socket to read its query
     counters.
  2. The question mix: a few domains are audited through a small logging
     UDP proxy (--jobs 1, --ns-port to the proxy, so the direct per-NS
     DKIM queries are seen too).  Every question naming the domain is a
     per-domain question; the others (mktomail.com, ...) are shared, and
     counted at the rate they reach the server (each worker's resolver
     caches positive answers).  queries.txt is that mix for all domains:
     dnsperf's input.
  3. For each --jobs N: `senderkit audit --domains domains.txt --profile P
     ... --server 127.0.0.1:PORT --ns-port PORT --json --jobs N`; wall
     time, domains/s, and the DNS packets NSD received meanwhile (its own
     counters), so packets/domain and packets/s are measured, not assumed.
     The JSON Lines are checked: every domain present, in input order, the
     generated defects found, the clean domains clean.
  4. dnsperf -d queries.txt -l S against the same NSD: the ceiling in
     queries/s; the report gives audit packets/s : dnsperf queries/s.

Writes bench/out/audit-<date>.md and prints it.  Loopback only.
Never part of the test suite (bench/audit/run.sh runs it).
"""

import argparse
import collections
import datetime
import json
import os
import re
import resource
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
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
TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX",
         16: "TXT", 28: "AAAA", 99: "SPF", 257: "CAA"}

# What each generated defect must produce (a failed check with this id).
DEFECT_IDS = {"no-dmarc": "dmarc-missing",
              "spf-no-include": "spf-include-missing",
              "landing-wrong": "host-cname-target",
              "no-dkim": "dkim-selector-missing",
              "no-mx": "mx-missing"}


# -- NSD -----------------------------------------------------------------

def packets(before, after):
    if before is None or after is None:
        return None
    keys = ("num.udp", "num.udp6", "num.tcp", "num.tcp6")
    return int(sum(after.get(k, 0) - before.get(k, 0) for k in keys))


# -- the logging proxy (question mix) --------------------------------------

def parse_question(msg):
    """(qname, qtype) of a DNS query message, or None."""
    if len(msg) < 12:
        return None
    i, labels = 12, []
    while i < len(msg):
        n = msg[i]
        if n == 0:
            i += 1
            break
        if n & 0xC0 or i + 1 + n > len(msg):
            return None
        labels.append(msg[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    if i + 4 > len(msg):
        return None
    qtype = struct.unpack("!H", msg[i:i + 2])[0]
    return ".".join(labels).lower(), qtype


class LogProxy(threading.Thread):
    """UDP forwarder on 127.0.0.1:port to 127.0.0.1:upstream that records
    every question it forwards."""

    def __init__(self, upstream):
        super().__init__(daemon=True)
        self.upstream = ("127.0.0.1", upstream)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.up.bind(("127.0.0.1", 0))
        self.pending = {}
        self.questions = []
        self.stop_flag = False

    def run(self):
        while not self.stop_flag:
            r, _, _ = select.select([self.sock, self.up], [], [], 0.1)
            for s in r:
                data, addr = s.recvfrom(65535)
                if len(data) < 12:
                    continue
                if s is self.sock:
                    q = parse_question(data)
                    if q:
                        self.questions.append(q)
                    self.pending[data[:2]] = addr
                    self.up.sendto(data, self.upstream)
                else:
                    addr = self.pending.pop(data[:2], None)
                    if addr:
                        self.sock.sendto(data, addr)

    def stop(self):
        self.stop_flag = True
        self.join(5)
        self.sock.close()
        self.up.close()


# -- senderkit -------------------------------------------------------------

def audit_argv(a, meta, domains, server_port, ns_port, jobs):
    return [a.senderkit, "audit", "--domains", domains,
            "--profile", a.profile,
            "--munchkin", meta["munchkin"],
            "--account-string", meta["account_string"],
            "--branding-domain", meta["branding_domain"],
            "--landing-host", meta["landing_host"],
            "--tracking-host", meta["tracking_host"],
            "--dkim-selector", meta["selector"],
            "--dmarc-stage", "none",
            "--server", "127.0.0.1:%d" % server_port,
            "--ns-port", str(ns_port), "--json", "--jobs", str(jobs),
            # DNS only: the HTTPS probes (on by default live) would
            # connect to the generated hosts' addresses.
            "--no-https"]


def question_mix(a, meta, data, nsd):
    """Audit a few domains through the logging proxy; returns
    (per-domain templates [(suffix-template, type)], shared questions,
    questions per domain)."""
    sample = [gen.domain_name(i) for i in range(1, 8)]
    path = os.path.join(data, "sample.txt")
    with open(path, "w") as f:
        f.write("\n".join(sample) + "\n")
    proxy = LogProxy(nsd.port)
    proxy.start()
    try:
        p = subprocess.run(audit_argv(a, meta, path, proxy.port,
                                      proxy.port, 1),
                           capture_output=True, text=True, timeout=300)
    finally:
        proxy.stop()
    if p.returncode not in (0, 1):
        raise RuntimeError("sample audit failed (exit %d):\n%s"
                           % (p.returncode, p.stderr[-3000:]))
    per = collections.Counter()
    shared = collections.Counter()
    for name, t in proxy.questions:
        dom = next((d for d in sample
                    if name == d or name.endswith("." + d)), None)
        if dom:
            per[(name[:len(name) - len(dom)] + "{d}", t)] += 1
        else:
            shared[(name, t)] += 1
    tmpl = [(k, v / len(sample)) for k, v in sorted(per.items())]
    shared_rate = [(k, v / len(sample)) for k, v in sorted(shared.items())]
    qpd = (sum(per.values()) + sum(shared.values())) / len(sample)
    return tmpl, shared_rate, qpd, proxy.questions


def write_queries(path, tmpl, shared, domains):
    """dnsperf's input: the per-domain questions of every domain, and the
    shared ones (the provider's records) at the rate the audit asked them
    per domain, spread over the file."""
    n = 0
    with open(path, "w") as f:
        for i, d in enumerate(domains):
            for (name, t), avg in tmpl:
                # a question asked k times per audit appears k times
                for _ in range(max(1, round(avg))):
                    f.write("%s %s\n" % (name.replace("{d}", d),
                                         TYPES.get(t, "TYPE%d" % t)))
                    n += 1
            for (name, t), rate in shared:
                for _ in range(int((i + 1) * rate) - int(i * rate)):
                    f.write("%s %s\n" % (name, TYPES.get(t, "TYPE%d" % t)))
                    n += 1
    return n


def proc_cpu(pids):
    """User + system CPU seconds of the given processes so far."""
    tot = 0.0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            tot += (int(fields[11]) + int(fields[12])) \
                / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return tot


def nsd_pids(nsd):
    """NSD's processes: the one we started and its descendants (xfrd,
    main, the servers)."""
    root = nsd.proc.pid if nsd.proc else nsd.pid
    parent = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                parent[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [root] if root else []
    while todo:
        p = todo.pop()
        out.append(p)
        todo += [c for c, pp in parent.items() if pp == p]
    return out


def run_audit(a, meta, data, nsd, jobs):
    out = os.path.join(data, "out-%d.jsonl" % jobs)
    argv = audit_argv(a, meta, os.path.join(data, "domains.txt"), nsd.port,
                      nsd.port, jobs)
    before = nsd.counters()
    pids = nsd_pids(nsd)
    ncpu0 = proc_cpu(pids)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with open(out, "w") as f:
        p = subprocess.run(argv, stdout=f, stderr=subprocess.PIPE,
                           text=True, timeout=3600)
    el = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    ncpu = proc_cpu(pids) - ncpu0
    pk = packets(before, nsd.counters())
    return {"jobs": jobs, "seconds": el, "rc": p.returncode,
            "stderr": p.stderr[-3000:], "packets": pk, "out": out,
            "load": os.getloadavg()[0],
            "cpu": (ru1.ru_utime - ru0.ru_utime) +
            (ru1.ru_stime - ru0.ru_stime), "nsd_cpu": ncpu,
            "check": check_output(out, meta)}


def check_output(path, meta):
    """Order, completeness and the expected findings of the run."""
    objs = []
    with open(path) as f:
        for ln in f:
            try:
                objs.append(json.loads(ln))
            except ValueError:
                objs.append({"error": "not JSON: " + ln[:80]})
    want = [gen.domain_name(i) for i in range(1, meta["domains"] + 1)]
    got = [o.get("domain") for o in objs]
    res = {"objects": len(objs), "in_order": got == want,
           "errors": sum(1 for o in objs if "error" in o),
           "exit": collections.Counter(o.get("exit") for o in objs
                                       if "exit" in o),
           "defects_found": 0, "defects": len(meta["defects"]),
           "clean_not_clean": 0, "dnsfail": 0, "failed_ids":
           collections.Counter()}
    for o in objs:
        if "checks" not in o:
            continue
        failed = {c["id"] for c in o["checks"] if c["status"] == "fail"
                  and c["severity"] in ("error", "warning")}
        res["dnsfail"] += o["summary"]["dnsfail"]
        for i in failed:
            res["failed_ids"][i] += 1
        d = meta["defects"].get(o["domain"])
        if d:
            if DEFECT_IDS[d] in failed:
                res["defects_found"] += 1
        elif o["summary"]["error"]:
            res["clean_not_clean"] += 1
    return res


def run_dnsperf(port, queries, seconds):
    argv = ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", queries,
            "-l", str(seconds)]
    p = subprocess.run(argv, capture_output=True, text=True,
                       timeout=seconds + 120)
    m = re.search(r"Queries per second:\s+([0-9.]+)", p.stdout)
    lost = re.search(r"Queries lost:\s+(\d+)", p.stdout)
    return {"qps": float(m.group(1)) if m else float("nan"),
            "lost": int(lost.group(1)) if lost else None,
            "cmd": " ".join(argv).replace(queries, "queries.txt"),
            "raw": p.stdout + p.stderr}


# -- report ----------------------------------------------------------------

def report(a, meta, runs, dp, tmpl, shared, qpd, nq, nsd_start):
    date = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    nsdv = subprocess.run([nsdharness.NSD_BIN, "-v"], capture_output=True,
                          text=True).stderr.split("\n")[0].split()[-1]
    ceil = dp["qps"]
    md = ["# Audit benchmark %s" % date, "",
          "%d generated sending domains (bench/audit/gen.py: one zone "
          "each, %d with a defect), plus mktomail.com, mktoweb.com and %s; "
          "NSD %s on 127.0.0.1 serving %d zones (started in %.1f s), "
          "server-count %d; host: %d CPUs shared by NSD and senderkit (and "
          "other jobs: expect noise).  Command: `%s`."
          % (meta["domains"], len(meta["defects"]), meta["branding_domain"],
             nsdv, meta["domains"] + 4, nsd_start, a.nsd_servers,
             os.cpu_count(), (os.environ.get("AUDIT_BENCH_CMD")
                              or " ".join(sys.argv)).strip()), "",
          "Each domain is audited with the organization options of the "
          "no-config form (Munchkin ID, Account String, landing "
          "`go.${domain}`, tracking `em.${domain}`, branding domain, "
          "selector mkto1, DMARC stage none), live against NSD, with the "
          "per-nameserver DKIM comparison asking NSD directly "
          "(`--ns-port`), the SPF drift check on.", "",
          "## Question mix", "",
          "Measured by auditing 7 domains through a logging UDP proxy "
          "(--jobs 1): **%.1f questions per domain** reach the server. "
          "Per domain, the questions naming the domain, then the shared "
          "ones (the provider's records and the TLD's DMARC record; "
          "a resolver's cache keeps positive answers, so those asked "
          "again are the ones it does not keep):" % qpd, "",
          "| question | type | per domain |", "|---|---|---:|"]
    for (name, t), avg in tmpl + shared:
        md.append("| `%s` | %s | %.2f |" % (name, TYPES.get(t, t), avg))
    md += ["", "dnsperf's input (queries.txt) is that mix for all "
           "%d domains: %d queries." % (meta["domains"], nq), "",
           "## Results", "",
           "| --jobs | seconds | domains/s | DNS packets (NSD) | "
           "packets/domain | packets/s | : dnsperf ceiling | senderkit "
           "CPU s | domains per CPU s | NSD CPU s | host load (1 min) "
           "| exit |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        n = meta["domains"]
        pps = r["packets"] / r["seconds"] if r["packets"] is not None \
            else None
        md.append("| %d | %.2f | %.0f | %s | %s | %s | %s | %.2f | %.0f | "
                  "%.2f | %.2f | %d |" % (
                      r["jobs"], r["seconds"], n / r["seconds"],
                      "-" if r["packets"] is None else r["packets"],
                      "-" if r["packets"] is None
                      else "%.2f" % (r["packets"] / n),
                      "-" if pps is None else "%.0f" % pps,
                      "-" if pps is None or not ceil
                      else "%.2f" % (pps / ceil),
                      r["cpu"], n / r["cpu"] if r["cpu"] else 0,
                      r["nsd_cpu"], r["load"], r["rc"]))
    md += ["", "dnsperf ceiling on the same NSD: **%.0f queries/s** "
           "(`%s`, queries lost: %s).  The ratio column is the audit's DNS "
           "packets/s over that ceiling: how close the audit comes to "
           "saturating the server with the same question mix."
           % (ceil, dp["cmd"], dp["lost"]), "",
           "senderkit CPU is its user + system time (all threads); on %d "
           "CPUs shared with NSD, the audit is CPU-bound once --jobs "
           "covers the round trips, and other jobs on the host take their "
           "share (the load column: 1-minute load average after the run).  NSD's response rate limiting is off "
           "in this server (rrl-ratelimit: 0): left on, it drops answers "
           "to a client this fast and each drop costs a 2 s retry."
           % os.cpu_count(), "", "## Correctness", ""]
    for r in runs:
        c = r["check"]
        md.append("- --jobs %d: %d objects, input order %s, %d error "
                  "objects, %d DNS failures; defects found %d/%d; clean "
                  "domains with an error finding: %d; exit codes per "
                  "domain: %s" % (
                      r["jobs"], c["objects"], "kept" if c["in_order"]
                      else "BROKEN", c["errors"], c["dnsfail"],
                      c["defects_found"], c["defects"],
                      c["clean_not_clean"], dict(sorted(
                          c["exit"].items(), key=lambda kv: str(kv[0])))))
    top = runs[-1]["check"]["failed_ids"].most_common(12) if runs else []
    md += ["", "Failed check ids (error or warning) over all domains, "
           "last run: " + ", ".join("%s %d" % kv for kv in top), ""]
    for r in runs:
        if r["rc"] not in (0, 1) or r["stderr"].strip():
            md += ["--jobs %d exited %d; stderr tail:" % (r["jobs"],
                                                          r["rc"]),
                   "", "```", r["stderr"].strip()[-1500:], "```", ""]
    md += ["## dnsperf output", "", "```", dp["raw"].strip(), "```", ""]
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "audit-%s.md" % date)
    with open(path, "w") as f:
        f.write("\n".join(md))
    print("\n".join(md))
    print("report: %s" % path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--senderkit", default=os.environ.get(
        "SENDERKIT", os.path.join(TOP, "build", "src", "senderkit")))
    ap.add_argument("--profile", default=os.path.join(
        TOP, "data", "profiles", "marketo.ini"))
    ap.add_argument("--domains", type=int, default=10000)
    ap.add_argument("--jobs", default="8,32,64")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per --jobs value; the median is reported")
    ap.add_argument("--dnsperf-seconds", type=int, default=10)
    ap.add_argument("--nsd-servers", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(TOP, "bench", "out"))
    ap.add_argument("--keep", action="store_true",
                    help="keep the generated data and outputs")
    a = ap.parse_args()
    a.senderkit = os.path.abspath(a.senderkit)
    a.profile = os.path.abspath(a.profile)
    if not os.path.exists(a.profile):
        sys.exit("bench: profile %s not found" % a.profile)
    data = tempfile.mkdtemp(prefix="sk-audit-bench-")
    try:
        meta = gen.generate(data, a.domains, a.profile)
        print("bench: %d domains generated in %s (sending blocks from %s)"
              % (meta["domains"], data, meta["blocks_from"]))
        zdir = os.path.join(data, "zones")
        zones = sorted(os.path.join(zdir, f) for f in os.listdir(zdir))
        # The first zone is the readiness probe: a domain zone.
        zones.sort(key=lambda z: not os.path.basename(z).startswith("d"))
        nsd = BenchNSD(zones, rrl_off=True, check_sample=True,
                       server_count=a.nsd_servers, start_timeout=300)
        t0 = time.monotonic()
        nsd.start()
        nsd_start = time.monotonic() - t0
        try:
            print("bench: NSD on %s (%.1f s to start)" % (nsd.server,
                                                         nsd_start))
            tmpl, shared, qpd, _ = question_mix(a, meta, data, nsd)
            print("bench: %.1f questions per domain" % qpd)
            queries = os.path.join(data, "queries.txt")
            nq = write_queries(queries, tmpl, shared,
                               [gen.domain_name(i) for i in
                                range(1, meta["domains"] + 1)])
            runs = []
            for j in [int(x) for x in a.jobs.split(",") if x.strip()]:
                tries = sorted((run_audit(a, meta, data, nsd, j)
                                for _ in range(a.repeat)),
                               key=lambda r: r["seconds"])
                r = tries[len(tries) // 2]
                runs.append(r)
                print("bench: --jobs %d: %.2f s, %.0f domains/s, %s "
                      "packets, %.2f CPU s, exit %d" % (
                          j, r["seconds"], meta["domains"] / r["seconds"],
                          r["packets"], r["cpu"], r["rc"]))
            dp = run_dnsperf(nsd.port, queries, a.dnsperf_seconds)
            print("bench: dnsperf %.0f q/s" % dp["qps"])
        finally:
            nsd.stop()
        report(a, meta, runs, dp, tmpl, shared, qpd, nq, nsd_start)
    finally:
        if a.keep:
            print("bench: data kept in %s" % data)
        else:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
