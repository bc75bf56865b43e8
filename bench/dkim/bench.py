"""DKIM verification benchmark (not part of the test suite).

Messages signed with a 2048-bit RSA key (rsa-sha256, relaxed/relaxed) by
`senderkit dkim sign`; the key is served by NSD on 127.0.0.1 (the
integration harness).  Verification throughput in messages per second:

  library    bench_verify (bench/dkim/bench_verify.c, linked against
             build/libsenderkit.so): the messages read into memory once,
             ONE live resolver asking the NSD, then new/update(whole
             message)/finish/check/free in a timed loop ("sync"), and with
             K verifiers in flight through sk_dkim_verify_finish_start()
             ("async K"); the first message (key fetched from NSD) is
             timed apart.  The set (--small buffers) is read cold from
             RAM; "4 KB in cache" runs the same modes on 16 of the
             messages recycled, which stay in the CPU caches (a message
             a filter has just received), reported apart;
  senderkit  `senderkit dkim verify --batch DIR --server NSD`: one process,
             one resolver and its cache, a JSON line per message;
  dkimpy     a Python loop of dkim.verify() with a dnsfunc asking the NSD
             through dnspython, answers memoised per name (so that it is
             the verification that is measured, as with senderkit's cache);
  opendkim   `opendkim -t f1,f2,...` (one process for the whole list) in a
             private network namespace where a second NSD answers on
             127.0.0.1:53 (OpenDKIM only asks port 53); falls back to one
             opendkim-testmsg per message when -t cannot be used;
  openssl    `openssl speed -seconds 3 rsa2048`, verify/s (one process,
             one core; openssl counts CPU user time), run before, between
             and after the others: the best of the three is the ceiling
             of the table's ratios (a slow moment of a shared machine must
             not flatter them);
  paired     the target's measure: --pairs times, `openssl speed -seconds
             S rsa2048` and one bench_verify sync run of S seconds on the
             cold 4 KB set, back to back (which goes first alternates),
             each pair's ratio in CPU time (what openssl speed counts);
             the median of the pair ratios is the figure.  The shared
             machine has slow spells of a few seconds that cut either
             side by up to 10%: a pair sees the same moment, the median
             ignores the pairs a spell split; and
             `openssl speed -evp sha256 -bytes 4096` for the cost of
             hashing a 4 KB body next to one RSA verification.

Every row also gives messages per CPU second of the process (children's
rusage for subprocesses), which the other jobs on the machine disturb less
than wall time and which is what openssl speed reports.

Writes bench/out/dkim-<date>.md.  Run through bench/dkim/run.sh.
"""

import argparse
import datetime
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

import nsdharness  # noqa: E402

DOMAIN = "bench.test"
SEL = "b2048"
HOT = 16
HOT_LABEL = "4 KB in cache"
DISTINCT = 20

NS_HELPER = r'''
import os, subprocess, sys, time
sys.path.insert(0, sys.argv[1])
import nsdharness
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
subprocess.run(["mount", "--bind", sys.argv[3], "/etc/resolv.conf"],
               check=True)
files = open(sys.argv[4]).read().split()
with nsdharness.NSD([sys.argv[2]], port=53):
    mode = sys.argv[5]
    t0 = time.monotonic()
    bad = 0
    if mode == "testmsg":
        for f in files:
            with open(f, "rb") as fh:
                p = subprocess.run(["/usr/sbin/opendkim-testmsg"], stdin=fh,
                                   capture_output=True)
            bad += p.returncode != 0
    else:
        p = subprocess.run(["/usr/sbin/opendkim", "-x", sys.argv[6], "-t",
                            ",".join(files)], capture_output=True, text=True)
        bad = (p.stdout + p.stderr).count("verification failed") + \
            (p.returncode != 0)
    print("%f %d" % (time.monotonic() - t0, bad))
'''


def message(i, size):
    head = ("From: Bench <bench@%s>\r\nTo: someone@example.test\r\n"
            "Subject: benchmark message %d\r\n"
            "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
            "Message-ID: <%d.bench@%s>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
            % (DOMAIN, i, i, DOMAIN))
    line = ("The quick brown fox %06d jumps over the lazy dog; lorem ipsum "
            "dolor sit amet.\r\n" % i)
    body = line * (max(1, size - len(head)) // len(line) + 1)
    return (head + body[:max(0, size - len(head))]).encode("ascii")


def make_set(sk, tmp, key, size, count, name):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    signed = []
    for i in range(DISTINCT):
        src = os.path.join(tmp, "%s-src-%d.eml" % (name, i))
        with open(src, "wb") as f:
            f.write(message(i, size))
        p = subprocess.run([sk, "dkim", "sign", "--domain", DOMAIN,
                            "--selector", SEL, "--key", key, src],
                           check=True, capture_output=True)
        signed.append(p.stdout)
    files = []
    for i in range(count):
        path = os.path.join(d, "m%06d.eml" % i)
        with open(path, "wb") as f:
            f.write(signed[i % DISTINCT])
        files.append(path)
    return d, files


def child_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def bench_library(bv, server, d, label, seconds, inflight):
    """bench_verify rows: (tool, label, rate, all pass, seconds, cpu s,
    messages, best round's rate) plus the first message's microseconds and
    DNS counters.  The modes take turns in rounds inside bench_verify."""
    p = subprocess.run([bv, "--server", server, "--seconds", str(seconds),
                        "--label", label, "--inflight", inflight, d],
                       capture_output=True, text=True)
    if p.returncode != 0:
        print("bench_verify: " + p.stderr[-500:], file=sys.stderr)
        return [], None
    rows = []
    info = None
    for ln in p.stdout.splitlines():
        j = json.loads(ln)
        name = "library sync" if j["mode"] == "sync" else \
            "library async K=%d" % j["inflight"]
        rows.append((name, label, j["per_s"], j["fail"] == 0,
                     j["seconds"], j["cpu_seconds"], j["messages"],
                     j["best_round_per_s"]))
        if info is None:
            info = j
    return rows, info


def bench_senderkit(sk, server, d, count):
    c0 = child_cpu()
    t0 = time.monotonic()
    p = subprocess.run([sk, "dkim", "verify", "--batch", d, "--server",
                        server], capture_output=True, text=True)
    dt = time.monotonic() - t0
    cpu = child_cpu() - c0
    ok = sum(json.loads(ln)["result"] == "pass"
             for ln in p.stdout.splitlines())
    return count / dt, ok == count, dt, cpu, count


def bench_dkimpy(port, files):
    import dkim
    import dns.message
    import dns.query
    import dns.rdatatype
    cache = {}

    def dnsfunc(name, timeout=5):
        if name in cache:
            return cache[name]
        q = dns.message.make_query(name.decode().rstrip(".") + ".", "TXT")
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=timeout)
        val = None
        for rrset in r.answer:
            if rrset.rdtype == dns.rdatatype.TXT:
                for rd in rrset:
                    val = b"".join(rd.strings)
        cache[name] = val
        return val
    t0 = time.monotonic()
    c0 = time.process_time()
    ok = 0
    for path in files:
        with open(path, "rb") as f:
            ok += bool(dkim.verify(f.read(), dnsfunc=dnsfunc))
    dt = time.monotonic() - t0
    cpu = time.process_time() - c0
    return len(files) / dt, ok == len(files), dt, cpu, len(files)


def bench_opendkim(tmp, zone, files, mode):
    if os.geteuid() != 0 or not os.access("/usr/sbin/opendkim", os.X_OK):
        return None
    resolv = os.path.join(tmp, "resolv.conf")
    with open(resolv, "w") as f:
        f.write("nameserver 127.0.0.1\n")
    conf = os.path.join(tmp, "opendkim.conf")
    with open(conf, "w") as f:
        f.write("Mode v\nSyslog no\n")
    lst = os.path.join(tmp, "odk-files.txt")
    with open(lst, "w") as f:
        f.write("\n".join(files))
    c0 = child_cpu()
    p = subprocess.run(["unshare", "-mn", sys.executable, "-c", NS_HELPER,
                        os.path.join(TOP, "tests", "integration"), zone,
                        resolv, lst, mode, conf],
                       capture_output=True, text=True)
    if p.returncode != 0:
        print("opendkim: " + p.stderr[-300:], file=sys.stderr)
        return None
    # CPU: the whole namespace helper, NSD and Python start included, so
    # an upper bound of what opendkim itself used.
    cpu = child_cpu() - c0
    dt, bad = p.stdout.split()
    dt = float(dt)
    return len(files) / dt, int(bad) == 0, dt, cpu, len(files)


def openssl_verify_rate(seconds=3):
    p = subprocess.run(["openssl", "speed", "-seconds", str(seconds),
                        "rsa2048"],
                       capture_output=True, text=True)
    for ln in p.stdout.splitlines():
        m = re.match(r"\s*rsa\s+2048 bits\s+\S+\s+\S+\s+(\S+)\s+(\S+)", ln)
        if m:
            return float(m.group(2))
    return None


def paired(bv, server, d, pairs, seconds):
    """[(openssl verify/s, library messages per CPU second)] of `pairs`
    back-to-back runs, the order alternating."""
    out = []
    for i in range(pairs):
        lib = None
        o = None
        for side in ("o", "l") if i % 2 == 0 else ("l", "o"):
            if side == "o":
                o = openssl_verify_rate(seconds)
                continue
            p = subprocess.run([bv, "--server", server, "--seconds",
                                str(seconds), "--rounds", "1",
                                "--inflight", "", "--label", "paired", d],
                               capture_output=True, text=True)
            if p.returncode == 0:
                j = json.loads(p.stdout.splitlines()[0])
                if j["fail"] == 0 and j["cpu_seconds"] > 0:
                    lib = j["messages"] / j["cpu_seconds"]
        if o and lib:
            out.append((o, lib))
    return out


def openssl_sha256_4k():
    """Bytes per second of SHA-256 over 4096-byte buffers, and the line."""
    p = subprocess.run(["openssl", "speed", "-seconds", "2", "-evp",
                        "sha256", "-bytes", "4096"],
                       capture_output=True, text=True)
    for ln in p.stdout.splitlines():
        m = re.match(r"\s*sha256\s+([0-9.]+)k\s*$", ln)
        if m:
            return float(m.group(1)) * 1000, ln.strip()
    return None, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--senderkit", required=True)
    ap.add_argument("--bench-verify", help="bench_verify binary (library)")
    ap.add_argument("--small", type=int, default=5000,
                    help="4 KB messages")
    ap.add_argument("--large", type=int, default=40, help="1 MB messages")
    ap.add_argument("--peer-small", type=int, default=1000,
                    help="4 KB messages for dkimpy and opendkim")
    ap.add_argument("--lib-seconds", type=float, default=3.0,
                    help="seconds of each bench_verify mode")
    ap.add_argument("--inflight", default="8,64",
                    help="bench_verify async modes (K messages in flight)")
    ap.add_argument("--pairs", type=int, default=9,
                    help="openssl/library pairs for the target's measure")
    ap.add_argument("--pair-seconds", type=int, default=2)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    sk = os.path.abspath(a.senderkit)
    tmp = tempfile.mkdtemp(prefix="sk-dkim-bench-")
    libinfo = {}
    pairs = []
    try:
        p = subprocess.run([sk, "dkim", "keygen", "--domain", DOMAIN,
                            "--selector", SEL, "--bits", "2048", "--out",
                            tmp, "--json"], check=True, capture_output=True,
                           text=True)
        kj = json.loads(p.stdout)
        zone = os.path.join(tmp, DOMAIN + ".zone")
        with open(zone, "w") as f:
            f.write("$TTL 300\n@ IN SOA ns.%s. h.%s. 1 3600 600 86400 300\n"
                    "@ IN NS ns.%s.\nns IN A 127.0.0.1\n%s\n"
                    % (DOMAIN, DOMAIN, DOMAIN, kj["zone_line"]))
        small_dir, small = make_set(sk, tmp, kj["key_file"], 4096, a.small,
                                    "small")
        large_dir, large = make_set(sk, tmp, kj["key_file"], 1 << 20,
                                    a.large, "large")
        # The first HOT messages again, recycled: they stay in the CPU's
        # caches, as a message an MTA filter has just received does; the
        # main set (a.small buffers) is read cold from memory.
        hot_dir = os.path.join(tmp, "small-hot")
        os.makedirs(hot_dir)
        for i, path in enumerate(small[:HOT]):
            os.symlink(path, os.path.join(hot_dir, "h%03d.eml" % i))
        rows = []
        # openssl speed before, between and after the runs
        ossl_samples = [openssl_verify_rate()]
        with nsdharness.NSD([zone]) as nsd:
            for label, d, files in (("4 KB", small_dir, small),
                                    ("1 MB", large_dir, large)):
                if a.bench_verify:
                    lr, info = bench_library(
                        os.path.abspath(a.bench_verify), nsd.server, d,
                        label, a.lib_seconds,
                        a.inflight if label == "4 KB" else
                        a.inflight.split(",")[0])
                    rows.extend(lr)
                    libinfo[label] = info
                    if label == "4 KB":
                        lr, _ = bench_library(
                            os.path.abspath(a.bench_verify), nsd.server,
                            hot_dir, HOT_LABEL, a.lib_seconds, a.inflight)
                        rows.extend(lr)
                        ossl_samples.append(openssl_verify_rate())
                        pairs = paired(os.path.abspath(a.bench_verify),
                                       nsd.server, d, a.pairs,
                                       a.pair_seconds)
                rows.append(("senderkit CLI --batch", label) +
                            bench_senderkit(sk, nsd.server, d, len(files)))
                peer = files[:a.peer_small] if label == "4 KB" else files
                rows.append(("dkimpy", label) +
                            bench_dkimpy(nsd.port, peer))
                r = bench_opendkim(tmp, zone, peer, "list")
                name = "opendkim -t"
                if r is None or not r[1]:
                    r = bench_opendkim(tmp, zone, peer, "testmsg")
                    name = "opendkim-testmsg (1 process/msg)"
                if r is not None:
                    rows.append((name, label) + r)
        ossl_samples.append(openssl_verify_rate())
        # The ceiling is the best of the samples: a slow moment of the
        # shared machine must not lower it and flatter the ratios.
        ossl_samples = [x for x in ossl_samples if x]
        ossl = max(ossl_samples) if ossl_samples else None
        sha_bps, sha_line = openssl_sha256_4k()
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept " + tmp)

    def row(tool, label):
        for r in rows:
            if r[0].startswith(tool) and r[1] == label:
                return r
        return None

    def rate(tool, label, cpu=False):
        r = row(tool, label)
        if r is None:
            return None
        return r[6] / r[5] if cpu and r[5] > 0 else r[2]
    now = datetime.datetime.now()
    lines = ["# DKIM verification benchmark, %s" % now.strftime(
        "%Y-%m-%d %H:%M"), "",
        "Command: `%s`  " % os.environ.get("DKIM_BENCH_CMD",
                                          "bench/dkim/run.sh"),
        "Machine: %d CPUs (`nproc`), shared with other jobs; one process "
        "per tool, run one after the other; all single-threaded."
        % os.cpu_count(), "",
        "RSA 2048-bit rsa-sha256, relaxed/relaxed, key from NSD on "
        "127.0.0.1.  %d distinct signed messages repeated over the set."
        % DISTINCT, "",
        "| tool | message | messages | seconds | messages/s | "
        "messages/CPU-s | best round/s | all pass |",
        "|---|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append("| %s | %s | %d | %.2f | %.0f | %s | %s | %s |"
                     % (r[0], r[1], r[6], r[4], r[2],
                        "%.0f" % (r[6] / r[5]) if r[5] > 0 else "-",
                        "%.0f" % r[7] if len(r) > 7 else "-",
                        "yes" if r[3] else "NO"))
    lines.append("")
    lines.append("library = bench/dkim/bench_verify.c against "
                 "build/libsenderkit.so, messages in memory, one live "
                 "resolver; async K = K verifiers in flight "
                 "(sk_dkim_verify_finish_start); its modes take turns in "
                 "rounds (best round shown apart; ratios use the totals).  "
                 "opendkim's CPU column includes its namespace helper and "
                 "NSD start-up.")
    for label, info in libinfo.items():
        if info:
            lines.append("")
            lines.append("library, %s, first message (key fetched from "
                         "NSD): %.0f us; %s us/message after; resolver: "
                         "%d sent to NSD, %d cache hits of %d questions."
                         % (label, info["first_us"],
                            "%.1f" % info["us_per_msg"], info["dns_sent"],
                            info["cache_hits"], info["dns_questions"]))
    lines.append("")
    rsa_us = None
    if ossl:
        rsa_us = 1e6 / ossl
        lines.append("openssl speed -seconds 3 rsa2048: %.0f verify/s "
                     "= %.1f us/verify, one core, CPU time (the ceiling: "
                     "the best of %d runs before, between and after the "
                     "others: %s)."
                     % (ossl, rsa_us, len(ossl_samples),
                        ", ".join("%.0f" % x for x in ossl_samples)))
    if sha_bps:
        sha4 = 4096 / sha_bps * 1e6
        lines.append("")
        lines.append("openssl speed -seconds 2 -evp sha256 -bytes 4096: "
                     "`%s` (1000s of bytes/s) = %.2f us per 4 KB, %.0f us "
                     "per 1 MB." % (sha_line, sha4, sha4 * 256))
        if rsa_us:
            lines.append("A 4 KB message needs one RSA verification plus "
                         "~4 KB of SHA-256: at openssl speed's cost per "
                         "verification %.1f us, i.e. %.0f messages/s on "
                         "one core before any parsing (%.2f of the rsa2048 "
                         "figure); the library's own public operation "
                         "(lib/dkim/rsa.c: 18 Montgomery products, no "
                         "conversions, no allocation) is cheaper than "
                         "openssl speed's, so it can pass that figure.  A "
                         "1 MB message: %.0f us, %.0f messages/s."
                         % (rsa_us + sha4, 1e6 / (rsa_us + sha4),
                            rsa_us / (rsa_us + sha4), rsa_us + 256 * sha4,
                            1e6 / (rsa_us + 256 * sha4)))
    lines.append("")
    lines.append("Ratios on 4 KB messages (targets: >= 0.80 of openssl, "
                 ">= 20x dkimpy); wall time, then CPU time in brackets; "
                 "against openssl, the strict reading: these totals over "
                 "the best openssl run:")
    lines.append("")
    p4, p4c = rate("dkimpy", "4 KB"), rate("dkimpy", "4 KB", True)
    o4 = rate("opendkim", "4 KB")
    for tool in [r[0] for r in rows if r[1] == "4 KB" and
                 (r[0].startswith("library") or r[0].startswith("senderkit"))]:
        s4, s4c = rate(tool, "4 KB"), rate(tool, "4 KB", True)
        parts = []
        if ossl:
            parts.append("/ openssl %.2f [%.2f] (%s)"
                         % (s4 / ossl, s4c / ossl,
                            "met" if s4 / ossl >= 0.8 else "NOT met"))
        if p4:
            parts.append("/ dkimpy %.1fx [%.1fx] (%s)"
                         % (s4 / p4, s4c / p4c,
                            "met" if s4 / p4 >= 20 else "NOT met"))
        if o4:
            parts.append("/ opendkim %.1fx" % (s4 / o4))
        lines.append("- %s: %s" % (tool, "; ".join(parts)))
    if pairs:
        ratios = [lib / o for o, lib in pairs]
        m = statistics.median(ratios)
        lines.append("")
        lines.append("The target's measure, library sync on the cold 4 KB "
                     "set against `openssl speed -seconds %d rsa2048`, %d "
                     "pairs back to back, CPU time: median ratio **%.3f** "
                     "(%s; ratio of the medians %.3f; pairs from %.3f to "
                     "%.3f)."
                     % (a.pair_seconds, len(pairs), m,
                        "met" if m >= 0.8 else "NOT met",
                        statistics.median([lib for _, lib in pairs]) /
                        statistics.median([o for o, _ in pairs]), min(ratios),
                        max(ratios)))
        lines.append("")
        lines.append("| pair | openssl verify/s | library messages/CPU-s "
                     "| ratio |")
        lines.append("|---:|---:|---:|---:|")
        for i, (o, lib) in enumerate(pairs):
            lines.append("| %d | %.0f | %.0f | %.3f |"
                         % (i + 1, o, lib, lib / o))
    hot = [r for r in rows if r[1] == HOT_LABEL]
    if hot and ossl:
        lines.append("")
        lines.append("The same 4 KB messages already in cache (%d recycled, "
                     "as a filter sees a message it has just received; "
                     "not the target's measure): %s." % (HOT, "; ".join(
                         "%s / openssl %.2f [%.2f]"
                         % (r[0], r[2] / ossl, r[6] / r[5] / ossl)
                         for r in hot)))
    l1, c1 = rate("library sync", "1 MB"), rate("senderkit", "1 MB")
    p1 = rate("dkimpy", "1 MB")
    if p1 and (l1 or c1):
        lines.append("")
        lines.append("1 MB messages: library sync / dkimpy %s; CLI / "
                     "dkimpy %s." % ("%.1fx" % (l1 / p1) if l1 else "-",
                                     "%.1fx" % (c1 / p1) if c1 else "-"))
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.join(TOP, "bench", "out"), exist_ok=True)
    out = os.path.join(TOP, "bench", "out",
                       "dkim-%s.md" % now.strftime("%Y%m%d-%H%M%S"))
    with open(out, "w") as f:
        f.write(text)
    print(text)
    print("report: " + out)


if __name__ == "__main__":
    main()
