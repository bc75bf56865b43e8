#!/usr/bin/python3
"""bench.py - report ingest throughput and peak memory (run by run.sh).

Generates (or reuses) a corpus of plain XML aggregate reports of known
totals (gen.py) under bench/out/, then measures over the same files, each
under /usr/bin/time -v (wall time, maximum RSS):

  senderkit   reports ingest --offline --no-progress into a fresh store
              (its totals are checked against the corpus's)
  expat       a bare expat parse of the same bytes (expat_bare.c): the
              ceiling
  dmarc-cat   Debian's dmarc-cat -N (no DNS), one process per file as it
              is used
  dmarcts-report-parser
              -x over the same files (the --peer-mb subset), storing into
              a private MariaDB server started for the run (its own
              datadir in a temporary directory, a unix socket, no
              networking; stopped by pid at the end); its stored record
              and message totals are checked; skipped with the reason
              printed when no MariaDB server can run

The page cache is warmed first (every file read once), so every program
reads from memory.  Report: bench/out/reports-<date>.md.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(TOP, "bench", "out")


def timed(argv, **kw):
    """Run argv under /usr/bin/time -v: (rc, stdout, seconds, max RSS
    KiB)."""
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-v"] + argv, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, **kw)
    wall = time.monotonic() - t0
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    rss = int(m.group(1)) if m else -1
    return p.returncode, p.stdout, p.stderr, wall, rss


def corpus(mb, seed):
    d = os.path.join(OUT, "reports-corpus-%g" % mb)
    tj = d + ".totals.json"
    if not os.path.exists(tj):
        shutil.rmtree(d, ignore_errors=True)
        print("bench: generating %g MB of reports in %s" % (mb, d),
              flush=True)
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), d,
                        str(mb), str(seed)], check=True,
                       stdout=subprocess.DEVNULL)
        os.replace(os.path.join(d, "totals.json"), tj)
    with open(tj) as f:
        tot = json.load(f)
    files = sorted(os.path.join(d, x) for x in os.listdir(d)
                   if x.endswith(".xml"))
    return d, files, tot


def warm(files):
    for f in files:
        with open(f, "rb") as fh:
            while fh.read(1 << 20):
                pass


def sub_for_peers(files, peer_mb):
    """The files the peers read (the first up to PEER_MB MB; 0: all):
    (files, records, messages, bytes), counted the way gen.py wrote
    them."""
    sub, b, r, m = [], 0, 0, 0
    limit = peer_mb * 1e6 if peer_mb > 0 else float("inf")
    for f in files:
        if b >= limit:
            break
        sub.append(f)
        b += os.path.getsize(f)
    for f in sub:
        with open(f, "rb") as fh:
            data = fh.read()
        r += data.count(b"<record>")
        m += sum(int(x) for x in re.findall(rb"<count>(\d+)</count>", data))
    return sub, r, m, b


def which(*names):
    for n in names:
        for d in (None, "/usr/sbin", "/usr/bin"):
            p = shutil.which(n) if d is None else os.path.join(d, n)
            if p and os.access(p, os.X_OK):
                return p
    return None


def vm_hwm(pid):
    """Peak RSS (KiB) of a running process, -1 if unknown."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def dmarcts(subset, nfiles, rows, notes):
    """dmarcts-report-parser -x over SUBSET, into a private MariaDB
    server (datadir in a temporary directory, unix socket only,
    --skip-networking), stopped by pid at the end.  Appends a row to
    ROWS or the reason it was skipped to NOTES."""
    sub, nrec, nmsg, nbytes = subset
    name = "dmarcts-report-parser"
    prog = which("dmarcts-report-parser")
    server = which("mariadbd", "mysqld")
    install = which("mariadb-install-db", "mysql_install_db")
    client = which("mariadb", "mysql")
    if prog is None:
        notes.append("%s: not installed (apt-get install "
                     "dmarcts-report-parser failed?), skipped" % name)
        return
    if None in (server, install, client):
        notes.append("%s: skipped: no MariaDB server to store into "
                     "(apt-get install mariadb-server failed?)" % name)
        return
    tmp = tempfile.mkdtemp(prefix="sk-bench-mariadb-")
    data = os.path.join(tmp, "data")
    sock = os.path.join(tmp, "mysqld.sock")
    log = os.path.join(tmp, "mysqld.err")
    root = ["--user=root"] if os.geteuid() == 0 else []
    srv = None

    def sql(stmt, db=None):
        return subprocess.run([client, "--no-defaults", "--socket=" + sock,
                               "-u", "root", "-N", "-B", "-e", stmt] +
                              ([db] if db else []), capture_output=True,
                              text=True, timeout=60)

    def skip(why):
        tail = ""
        if os.path.exists(log):
            with open(log, errors="replace") as f:
                tail = " ".join(f.read().strip().splitlines()[-2:])
        notes.append("%s: skipped: %s %s" % (name, why, tail))

    try:
        p = subprocess.run([install, "--no-defaults", "--datadir=" + data,
                            "--auth-root-authentication-method=socket",
                            "--skip-test-db"] + root, capture_output=True,
                           text=True, timeout=300)
        if p.returncode != 0:
            skip("mariadb-install-db failed: %s" %
                 (p.stderr.strip().splitlines() or ["?"])[-1])
            return
        srv = subprocess.Popen([server, "--no-defaults", "--datadir=" +
                                data, "--socket=" + sock,
                                "--skip-networking", "--pid-file=" +
                                os.path.join(tmp, "mysqld.pid"),
                                "--log-error=" + log] + root,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and srv.poll() is None:
            if sql("SELECT 1").returncode == 0:
                break
            time.sleep(0.2)
        else:
            skip("the MariaDB server did not start")
            return
        # The database and user; dmarcts-report-parser creates its
        # tables itself (checkDatabase) on its first connection.
        r = sql("CREATE DATABASE dmarc; CREATE USER 'dmarc'@'localhost' "
                "IDENTIFIED BY 'bench'; GRANT ALL ON dmarc.* TO "
                "'dmarc'@'localhost';")
        if r.returncode != 0:
            skip("cannot create the database: %s" % r.stderr.strip())
            return
        # Its configuration is Perl, read from the working directory;
        # the DSN is "DBI:mysql:database=..;host=$dbhost;port=..", so
        # the socket rides on $dbhost.  Everything else: the defaults.
        with open(os.path.join(tmp, "dmarcts-report-parser.conf"),
                  "w") as f:
            f.write("$dbtype = 'mysql';\n$dbname = 'dmarc';\n"
                    "$dbuser = 'dmarc';\n$dbpass = 'bench';\n"
                    "$dbhost = 'localhost;mysql_socket=%s';\n"
                    "$dbport = '3306';\n$imapreadfolder = 'unused';\n"
                    "1;\n" % sock)
        # Create the tables before the clock starts.
        r = subprocess.run([prog, "-x", os.path.join(tmp, "none-*.xml")],
                           cwd=tmp, capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            skip("it failed to connect: %s" %
                 (r.stderr.strip().splitlines() or ["?"])[-1])
            return
        rc, out, err, wall, rss = timed([prog, "-x"] + sub, cwd=tmp)
        r = sql("SELECT count(*), coalesce(sum(rcount), 0) FROM rptrecord",
                "dmarc")
        got = tuple(int(x) for x in r.stdout.split()) \
            if r.returncode == 0 else None
        srss = vm_hwm(srv.pid)
        if rc != 0 or got != (nrec, nmsg):
            notes.append("%s: failed (exit %d, stored %s of %d records, "
                         "%d messages): %s" % (
                             name, rc, got, nrec, nmsg,
                             err.strip().splitlines()[-1:]))
            return
        rows.append(("dmarcts-report-parser -x (into MariaDB)", wall, rss,
                     nrec, nbytes, "%d files%s; totals match in its "
                     "store; RSS: the Perl process (the MariaDB server "
                     "peaked at %.0f MB)" % (
                         len(sub), "" if len(sub) == nfiles else
                         " (a subset)", srss / 1024)))
        print("bench: dmarcts-report-parser %.2f s, %d KiB" % (wall, rss),
              flush=True)
    finally:
        if srv is not None and srv.poll() is None:
            srv.send_signal(signal.SIGTERM)
            try:
                srv.wait(timeout=120)
            except subprocess.TimeoutExpired:
                srv.kill()
                srv.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--senderkit", required=True)
    ap.add_argument("--mb", type=float, default=1024)
    ap.add_argument("--peer-mb", type=float, default=0,
                    help="run dmarc-cat over the first files up to this "
                         "many MB (0: all)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3,
                    help="senderkit runs; the fastest is reported, with "
                         "the largest peak RSS of all")
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    d, files, tot = corpus(a.mb, a.seed)
    mbytes = tot["bytes"] / 1e6
    print("bench: corpus %d files, %d records, %.1f MB" %
          (tot["files"], tot["records"], mbytes), flush=True)
    warm(files)
    rows = []
    notes = []

    # senderkit: the best of --repeat runs, each into a fresh store
    db = os.path.join(OUT, "reports-bench.db")
    best = None
    for _ in range(max(1, a.repeat)):
        for x in (db, db + "-wal", db + "-shm"):
            if os.path.exists(x):
                os.unlink(x)
        res = timed([a.senderkit, "reports", "ingest", "--offline",
                     "--no-progress", "--db", db, d])
        if best is None or res[0] != 0 or res[3] < best[3]:
            best = res if best is None or res[0] != 0 else \
                res[:4] + (max(res[4], best[4]),)
        if res[0] != 0:
            break
    rc, out, err, wall, rss = best
    got = {}
    for line in out.splitlines():
        k, _, v = line.partition(":")
        if v.strip().isdigit():
            got[k.strip()] = int(v)
    okt = rc == 0 and got.get("reports added") == tot["files"] and \
        got.get("records added") == tot["records"] and \
        got.get("messages added") == tot["messages"]
    if not okt:
        print(out, err[-2000:], file=sys.stderr)
        sys.exit("bench: senderkit totals differ from the corpus's")
    dbsize = sum(os.path.getsize(x) for x in (db, db + "-wal")
                 if os.path.exists(x))
    rows.append(("senderkit reports ingest --offline", wall, rss,
                 tot["records"], tot["bytes"], "totals match; store %.0f "
                 "MB; best of %d" % (dbsize / 1e6, max(1, a.repeat))))
    print("bench: senderkit %.2f s, %d KiB" % (wall, rss), flush=True)

    # bare expat
    exe = os.path.join(OUT, "expat_bare")
    subprocess.run(["cc", "-O2", "-o", exe,
                    os.path.join(HERE, "expat_bare.c"), "-lexpat"],
                   check=True)
    rc, out, err, wall, rss = timed([exe] + files)
    m = re.search(r"records (\d+) bytes (\d+)", out)
    if rc != 0 or not m or int(m.group(1)) != tot["records"]:
        sys.exit("bench: expat_bare failed: %s %s" % (out, err[-500:]))
    rows.append(("bare expat parse (ceiling)", wall, rss, tot["records"],
                 tot["bytes"], "same bytes, 64 KiB reads"))
    print("bench: expat %.2f s, %d KiB" % (wall, rss), flush=True)

    # The peers read the same files (the first --peer-mb MB of them).
    peer_sub = sub_for_peers(files, a.peer_mb)

    # dmarc-cat
    dc = shutil.which("dmarc-cat")
    if dc is None:
        notes.append("dmarc-cat: not installed (apt-get install dmarc-cat "
                     "failed?), skipped")
    else:
        sub, r, _, b = peer_sub
        script = 'for f in "$@"; do "$0" -N -j 1 "$f" >/dev/null || ' \
                 'exit 1; done'
        rc, out, err, wall, rss = timed(["sh", "-c", script, dc] + sub)
        if rc != 0:
            notes.append("dmarc-cat: failed (%s), skipped" %
                         err.strip().splitlines()[-1:])
        else:
            rows.append(("dmarc-cat -N (one process per file)", wall, rss,
                         r, b, "%d files%s" % (len(sub), "" if
                                               len(sub) == len(files) else
                                               " (a subset)")))
            print("bench: dmarc-cat %.2f s, %d KiB" % (wall, rss),
                  flush=True)
    # dmarcts-report-parser, into a private MariaDB server
    dmarcts(peer_sub, len(files), rows, notes)

    # report
    def rate(row):
        _, wall, _, rec, byt, _ = row
        return rec / wall, byt / 1e6 / wall

    sk_rec, sk_mb = rate(rows[0])
    ex_rec, ex_mb = rate(rows[1])
    now = datetime.datetime.now()
    path = os.path.join(OUT, "reports-%s.md" % now.strftime("%Y%m%d-%H%M%S"))
    lines = [
        "# senderkit reports ingest benchmark, %s" %
        now.strftime("%Y-%m-%d %H:%M"),
        "",
        "Command: `%s`" % os.environ.get("REPORTS_BENCH_CMD",
                                          " ".join(sys.argv)),
        "",
        "Corpus: %d plain XML aggregate reports (gen.py, seed %d), %d "
        "records, %d messages, %.1f MB of XML; page cache warm.  Machine: "
        "%s, %d CPUs." % (tot["files"], a.seed, tot["records"],
                          tot["messages"], mbytes, os.uname().machine,
                          os.cpu_count()),
        "",
        "| program | seconds | records/s | MB/s of XML | peak RSS MB | "
        "notes |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        rr, mr = rate(row)
        lines.append("| %s | %.2f | %.0f | %.1f | %.1f | %s |" %
                     (row[0], row[1], rr, mr, row[2] / 1024, row[5]))
    lines += ["", "Ratios (MB/s):", "",
              "- senderkit / bare expat: %.2f (target >= 0.5)" %
              (sk_mb / ex_mb)]
    peers = [r for r in rows[2:]]
    if peers:
        best = max(peers, key=lambda x: rate(x)[1])
        lines.append("- senderkit / fastest peer (%s): %.1f (target >= 10)"
                     % (best[0], sk_mb / rate(best)[1]))
        for p in peers:
            if p is not best:
                lines.append("- senderkit / %s: %.1f" %
                             (p[0], sk_mb / rate(p)[1]))
    lines.append("- senderkit peak RSS: %.1f MB (target < 100 MB)" %
                 (rows[0][2] / 1024))
    lines += [""] + ["Note: " + x for x in notes] + [""]
    with open(path, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    print("bench: report written to %s" % path)
    for x in (db, db + "-wal", db + "-shm"):
        if os.path.exists(x):
            os.unlink(x)


if __name__ == "__main__":
    main()
