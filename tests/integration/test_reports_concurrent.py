"""senderkit reports: readers query the store while an ingest runs (issue
7, "Readers can query while an ingest runs").

An ingest of a generated corpus (gen_reports.py: XML, gz, zip, eml, mbox,
Maildir) runs in the background; meanwhile two threads run `reports
summary --json` and `reports export --format csv` against the same --db
again and again, from before the store exists until the ingest ends.
Every read must succeed (exit 0, no "database is locked"/busy error),
the totals each reader sees never go down, every report an export shows
is whole (one transaction per report), some reads happen entirely while
the ingest runs, and the last reads see the corpus's totals.

Two deterministic cases of the same promise: a reader is not held up by
a writer's open transaction (an ingest inside one big report), and a
reader arriving while another process creates the store waits for it
instead of failing with "database is locked".  No DNS.
"""

import collections
import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_reports  # noqa: E402

N_REPORTS = 4000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The corpus, its totals and the record count of each report id
    (taken from the generator as it writes, not from senderkit)."""
    d = tmp_path_factory.mktemp("corpus")
    per_report = {}
    make = gen_reports.make_report

    def spy(rng, i):
        r = make(rng, i)
        per_report["gen-%d" % i] = (r[2], r[3])
        return r

    gen_reports.make_report = spy
    try:
        tot = gen_reports.corpus(str(d), N_REPORTS)
    finally:
        gen_reports.make_report = make
    assert len(per_report) == tot["reports"] == N_REPORTS
    return str(d), tot, per_report


def read_summary(sk, db):
    r = sk("reports", "summary", "--json", "--db", db, timeout=120)
    assert r.rc == 0, r
    d = r.json
    return d["reports"], d["total"]["records"], d["total"]["messages"]


def read_export(sk, db, per_report):
    r = sk("reports", "export", "--format", "csv", "--db", db, timeout=120)
    assert r.rc == 0, r
    rows = list(csv.DictReader(io.StringIO(r.out)))
    recs = collections.Counter()
    msgs = collections.Counter()
    for x in rows:
        recs[x["report_id"]] += 1
        msgs[x["report_id"]] += int(x["count"])
    # A report is seen whole or not at all.
    for rid, n in recs.items():
        assert (n, msgs[rid]) == per_report[rid], rid
    return len(recs), len(rows), sum(msgs.values())


def test_readers_during_ingest(sk, tmp_path, corpus):
    d, tot, per_report = corpus
    db = str(tmp_path / "live.db")
    ingest = subprocess.Popen([sk.path, "reports", "ingest", "--offline",
                               "--no-progress", "--db", db, d],
                              stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    seen = {"summary": [], "export": []}
    errors = []

    def loop(name, read):
        # (totals, ingest running at the start, and at the end, of the
        # read); one last read once the ingest has ended.
        try:
            while True:
                before = ingest.poll() is None
                t = read()
                after = ingest.poll() is None
                seen[name].append((t, before, after))
                if not before:
                    break
        except AssertionError as e:
            errors.append("%s: %s" % (name, e))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append("%s: %r" % (name, e))

    threads = [
        threading.Thread(target=loop, args=(
            "summary", lambda: read_summary(sk, db))),
        threading.Thread(target=loop, args=(
            "export", lambda: read_export(sk, db, per_report))),
    ]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    try:
        out, err = ingest.communicate(timeout=600)
    finally:
        if ingest.poll() is None:
            ingest.kill()
            ingest.wait()
    for t in threads:
        t.join(timeout=300)
        assert not t.is_alive()
    assert not errors, errors[0]
    assert ingest.returncode == 0, err
    assert "locked" not in err and "busy" not in err.lower(), err

    want = (tot["reports"], tot["records"], tot["messages"])
    for name, reads in seen.items():
        totals = [x[0] for x in reads]
        assert len(totals) >= 2, (name, reads)
        # Monotonically non-decreasing, in every column.
        for a, b in zip(totals, totals[1:]):
            assert all(x <= y for x, y in zip(a, b)), (name, a, b)
        # The last read (after the ingest ended) sees everything.
        assert totals[-1] == want, (name, totals[-1], want)
        # Some reads ran entirely while the ingest ran, and saw part of
        # the corpus: the store was really shared.
        during = [x[0] for x in reads if x[1] and x[2]]
        assert during, (name, "no read during the ingest",
                        time.monotonic() - t0, reads)
        assert any(0 < x[0] < tot["reports"] for x in during), \
            (name, during)


def hold_then_read(sk, db, argv, hold=20):
    """Run `senderkit ARGV` while another connection holds a write
    transaction on DB: (result, whether it ended while the lock was
    still held)."""
    c = sqlite3.connect(db, isolation_level=None, timeout=30)
    c.execute("BEGIN IMMEDIATE")
    c.execute("CREATE TABLE IF NOT EXISTS held(x)")
    p = subprocess.Popen([sk.path] + argv, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + hold
    while p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    under_lock = p.poll() is not None
    c.execute("COMMIT")
    c.close()
    out, err = p.communicate(timeout=120)
    return p.returncode, out, err, under_lock


def test_reader_not_blocked_by_writer(sk, tmp_path, corpus):
    d, tot, per_report = corpus
    src = tmp_path / "few"
    src.mkdir()
    xml = sorted(os.listdir(os.path.join(d, "xml")))[:5]
    for f in xml:
        shutil.copy(os.path.join(d, "xml", f), src)
    db = str(tmp_path / "held.db")
    r = sk("reports", "ingest", "--offline", "--no-progress", "--db", db,
           str(src))
    assert r.rc == 0, r
    # The 5 reports, by the generator's count.
    ids = [f.rsplit("!", 1)[1][:-len(".xml")] for f in xml]
    want = (5, sum(per_report[i][0] for i in ids),
            sum(per_report[i][1] for i in ids))
    # A writer (as an ingest in the middle of a big report) holds the
    # write lock for 20 s: the readers answer at once from the WAL
    # snapshot, without waiting for it.
    rc, out, err, under = hold_then_read(
        sk, db, ["reports", "summary", "--json", "--db", db])
    assert rc == 0 and under, (rc, err)
    doc = json.loads(out)
    assert (doc["reports"], doc["total"]["records"],
            doc["total"]["messages"]) == want
    rc, out, err, under = hold_then_read(
        sk, db, ["reports", "export", "--format", "csv", "--db", db])
    assert rc == 0 and under, (rc, err)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert (len({x["report_id"] for x in rows}), len(rows),
            sum(int(x["count"]) for x in rows)) == want


def test_reader_waits_for_store_creation(sk, tmp_path):
    # Another process is creating the store (its first write
    # transaction, before the schema exists): a reader waits for it
    # (busy timeout), then answers from the empty store.
    db = str(tmp_path / "new.db")
    rc, out, err, under = hold_then_read(
        sk, db, ["reports", "summary", "--json", "--db", db], hold=1)
    assert rc == 0, err
    assert not under  # it waited for the lock
    doc = json.loads(out)
    assert doc["reports"] == 0 and doc["total"]["records"] == 0
    # The store it created is a valid, current one.
    c = sqlite3.connect(db)
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("SELECT count(*) FROM reports").fetchone()[0] == 0
    c.close()
