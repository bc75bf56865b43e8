#!/usr/bin/python3
"""SPF throughput benchmark: senderkit vs libspf2's spfquery vs pyspf, with
dnsperf's queries/s against the same NSD as the ceiling.

    bench.py [--senderkit PATH] [--pairs 10000] [--out bench/out]

Generates the data set (gen.py), starts NSD on 127.0.0.1 (the harness of
tests/integration/nsdharness.py) and runs, one after the other:
  (a) senderkit spf check --batch pairs.txt --server 127.0.0.1:PORT
  (b) spfquery -file pairs.txt, inside `unshare -m` with a private
      /etc/resolv.conf bind-mounted over the real one ("nameserver
      127.0.0.1"); NSD then listens on port 53.  The host's resolv.conf
      is never modified.  Skipped when port 53 is taken.
  (c) pyspf (spf.check2 loop, bench/spf/pyspf_run.py) pointed at NSD
  (d) dnsperf -s 127.0.0.1 -p PORT -d queries.txt -l 10
Every peer's results are compared with senderkit's and with the expected
results of the generator.  Writes bench/out/spf-<date>.md and prints a
summary.  Loopback only; nothing is sent elsewhere.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
sys.path.insert(0, HERE)

sys.dont_write_bytecode = True
import gen  # noqa: E402
import nsdharness  # noqa: E402


def timed(argv, timeout, **kw):
    t = time.monotonic()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout, **kw)
    return p, time.monotonic() - t


def run_senderkit(sk, server, pairs, concurrency=None):
    argv = [sk, "spf", "check", "--batch", pairs, "--server", server,
            "--json"]
    name = "senderkit"
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
        name = "senderkit --concurrency %d" % concurrency
    p, el = timed(argv, 600)
    objs = []
    for ln in p.stdout.splitlines():
        try:
            objs.append(json.loads(ln))
        except ValueError:
            pass
    res = [o.get("result", "error:" + str(o.get("error"))) for o in objs]
    qs = sum(int(o.get("dns_queries", 0) or 0) for o in objs)
    return {"name": name, "results": res, "seconds": el,
            "rc": p.returncode, "dns_queries": qs, "stderr": p.stderr[-2000:]}


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
    return {"name": "spfquery", "results": res, "seconds": el,
            "rc": p.returncode, "stderr": p.stderr[-2000:]}


def run_pyspf(port, pairs, max_seconds):
    p, _ = timed(["/usr/bin/python3", os.path.join(HERE, "pyspf_run.py"),
                  str(port), pairs, str(max_seconds)], max_seconds + 120)
    m = re.search(r"# done (\d+) in ([0-9.]+)", p.stderr)
    el = float(m.group(2)) if m else float("nan")
    return {"name": "pyspf", "results": p.stdout.split(), "seconds": el,
            "rc": p.returncode, "stderr": p.stderr[-2000:]}


def run_dnsperf(port, queries, seconds):
    p, _ = timed(["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d",
                  queries, "-l", str(seconds)], seconds + 60)
    m = re.search(r"Queries per second:\s+([0-9.]+)", p.stdout)
    lost = re.search(r"Queries lost:\s+(\d+)", p.stdout)
    return {"qps": float(m.group(1)) if m else float("nan"),
            "lost": int(lost.group(1)) if lost else None,
            "raw": p.stdout + p.stderr}


def compare(name, res, ref, pairs, limit=10):
    n = min(len(res), len(ref))
    bad = [(i, res[i], ref[i]) for i in range(n) if res[i] != ref[i]]
    ex = ["  line %d (%s): %s=%s, senderkit=%s"
          % (i + 1, pairs[i], name, a, b) for i, a, b in bad[:limit]]
    return n, bad, ex


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--senderkit", default=os.environ.get(
        "SENDERKIT", os.path.join(TOP, "build", "src", "senderkit")))
    ap.add_argument("--pairs", type=int, default=10000)
    ap.add_argument("--out", default=os.path.join(TOP, "bench", "out"))
    ap.add_argument("--peer-seconds", type=float, default=60.0,
                    help="time budget of each slow peer")
    ap.add_argument("--dnsperf-seconds", type=int, default=10)
    ap.add_argument("--concurrency", default="50,200",
                    help="extra senderkit runs with these --concurrency "
                         "values (comma-separated; '' for none)")
    ap.add_argument("--keep", action="store_true", help="keep work dir")
    a = ap.parse_args()

    if not nsdharness.nsd_available():
        sys.exit("bench: nsd is not installed (./scripts/deps.sh)")
    sk = os.path.abspath(a.senderkit)
    os.makedirs(a.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="spf-bench-", dir=a.out)
    paths = gen.generate(work, a.pairs)
    with open(paths["pairs"]) as f:
        pairs = [ln.strip() for ln in f if ln.strip()]
    with open(paths["expected"]) as f:
        expected = f.read().split()

    port53 = nsdharness.port_is_free(53) and os.geteuid() == 0 \
        and shutil.which("unshare") and shutil.which("spfquery")
    server = nsdharness.NSD([("bench.test", paths["zone"])],
                            port=53 if port53 else None)
    server.start()
    runs = []
    try:
        print("bench: NSD on %s, %d pairs" % (server.server, len(pairs)))
        runs.append(run_senderkit(sk, server.server, paths["pairs"]))
        print("bench: senderkit done in %.2fs" % runs[-1]["seconds"])
        for c in [int(x) for x in a.concurrency.split(",") if x.strip()]:
            runs.append(run_senderkit(sk, server.server, paths["pairs"], c))
            print("bench: %s done in %.2fs" % (runs[-1]["name"],
                                               runs[-1]["seconds"]))
        if port53:
            runs.append(run_spfquery(paths["pairs"], work,
                                     a.peer_seconds * 3))
            print("bench: spfquery done in %.2fs" % runs[-1]["seconds"])
        else:
            print("bench: port 53 busy or not root: spfquery skipped")
        runs.append(run_pyspf(server.port, paths["pairs"], a.peer_seconds))
        print("bench: pyspf done in %.2fs" % runs[-1]["seconds"])
        dp = run_dnsperf(server.port, paths["queries"], a.dnsperf_seconds)
        print("bench: dnsperf %.0f q/s" % dp["qps"])
    finally:
        server.stop()

    skr = runs[0]
    sks = [r for r in runs if r["name"].startswith("senderkit")]
    rate = {r["name"]: (len(r["results"]) / r["seconds"]
                        if r["seconds"] and r["results"] else 0.0)
            for r in runs}
    best = max(sks, key=lambda r: rate[r["name"]])
    qps = {r["name"]: (r["dns_queries"] / r["seconds"] if r["seconds"]
                       else 0.0) for r in sks}

    def ratio(a, b):
        return "%.1fx" % (rate[a] / rate[b]) if rate.get(b) else "-"

    date = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    nsdv = subprocess.run([nsdharness.NSD_BIN, "-v"], capture_output=True,
                          text=True).stderr.split("\n")[0].split()[-1]
    md = ["# SPF benchmark %s" % date, "",
          "%d (ip, mail-from) pairs over as many sender domains, 20 "
          "providers (bench/spf/gen.py); NSD %s on 127.0.0.1, server-count "
          "1; host: %d CPUs (shared: expect noise)."
          % (len(pairs), nsdv, os.cpu_count()), "",
          "| run | evaluations | seconds | evaluations/s | senderkit "
          "(default) / it | best senderkit / it | agrees with senderkit |"
          " agrees with expected |",
          "|---|---:|---:|---:|---:|---:|---:|---:|"]
    notes = []
    for r in runs:
        n, bad, ex = compare(r["name"], r["results"], skr["results"], pairs)
        ne, bade, exe = compare(r["name"], r["results"], expected, pairs)
        md.append("| %s | %d | %.2f | %.0f | %s | %s | %s | %s |" % (
            r["name"], len(r["results"]), r["seconds"], rate[r["name"]],
            "-" if r in sks else ratio(skr["name"], r["name"]),
            "-" if r in sks else ratio(best["name"], r["name"]),
            "-" if r is skr else "%d/%d" % (n - len(bad), n),
            "%d/%d" % (ne - len(bade), ne)))
        if r is not skr and bad:
            notes.append("%s disagrees with senderkit on %d of %d:\n%s"
                         % (r["name"], len(bad), n, "\n".join(ex)))
        if bade:
            notes.append("%s disagrees with the expected results on %d of "
                         "%d:\n%s" % (r["name"], len(bade), ne,
                                      "\n".join(exe)))
        # spfquery exits with a code for the last result: not an error
        if r["rc"] != 0 and r["name"] != "spfquery":
            notes.append("%s exited %d: %s" % (r["name"], r["rc"],
                                                r["stderr"]))
    md += ["", "DNS questions per second asked by senderkit (sum of the "
           "per-evaluation `dns_queries` field / wall time; the resolver "
           "cache answers repeated questions, so this counts questions, "
           "not only packets) vs dnsperf's ceiling of %.0f queries/s "
           "(%d s, queries lost: %s):" % (dp["qps"], a.dnsperf_seconds,
                                          dp["lost"]), ""]
    for r in sks:
        md.append("- %s: %d questions in %.2f s = %.0f/s (%.2f of the "
                  "ceiling)" % (r["name"], r["dns_queries"], r["seconds"],
                                qps[r["name"]],
                                qps[r["name"]] / dp["qps"] if dp["qps"]
                                else float("nan")))

    def target(r):
        if rate.get("spfquery"):
            x = rate[r["name"]] / rate["spfquery"]
            t1 = "%s (%.1fx)" % ("met" if x >= 10 else "NOT met", x)
        else:
            t1 = "not measured"
        t2 = "met" if dp["qps"] and qps[r["name"]] >= dp["qps"] / 2 \
            else "NOT met"
        return "- %s: >= 10x spfquery: %s; >= half of dnsperf's ceiling: %s" \
            % (r["name"], t1, t2)

    md += ["", "Targets:", target(skr)]
    if best is not skr:
        md.append(target(best))
    md.append("")
    if notes:
        md += ["## Disagreements and errors", ""] + ["```\n%s\n```" % n
                                                   for n in notes]
    md += ["## dnsperf output", "", "```", dp["raw"].strip(), "```", ""]
    report = os.path.join(a.out, "spf-%s.md" % date)
    with open(report, "w") as f:
        f.write("\n".join(md))
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("\n".join(md[:md.index("## dnsperf output")
                        if "## dnsperf output" in md else len(md)]))
    print("report: %s" % report)


if __name__ == "__main__":
    main()
