"""senderkit reports ingest / export: the conformance samples, a generated
corpus with known totals (gen_reports.py) across XML, gz, zip, eml, mbox
and Maildir, idempotency, kill -9 mid-batch, and zip bombs.  No DNS."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_reports  # noqa: E402

TOP = os.path.dirname(os.path.dirname(HERE))
SAMPLES = os.path.join(TOP, "..", "shared", "conformance", "reports",
                       "parsedmarc-samples")


def totals(out):
    t = {}
    for line in out.splitlines():
        if ":" in line and not line.startswith(" "):
            k, v = line.split(":", 1)
            if v.strip().isdigit():
                t[k.strip()] = int(v)
    return t


def db_totals(db):
    c = sqlite3.connect(db)
    r = c.execute("SELECT count(*) FROM reports").fetchone()[0]
    n, m = c.execute("SELECT count(*), coalesce(sum(count), 0) "
                     "FROM records").fetchone()
    c.close()
    return r, n, m


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus")
    tot = gen_reports.corpus(str(d), 600)
    return str(d), tot


def test_samples(sk, tmp_path):
    db = str(tmp_path / "s.db")
    r = sk("reports", "ingest", "--offline", "--db", db,
           os.path.join(SAMPLES, "aggregate"))
    assert r.rc == 1  # malformed samples are there
    # Every failure names its file and says why.
    for bad in ("invalid_xml.xml", "ikea.com"):
        assert any(bad in l and "error" in l for l in r.err.splitlines())
    # The well-formed samples: totals from samples.tsv (xml.etree).
    want_rec = want_msg = 0
    for line in open(os.path.join(TOP, "tests", "data", "reports",
                                  "samples.tsv")):
        f = line.rstrip("\n").split("\t")
        if f[0].startswith("aggregate/") and f[1] != "error":
            want_rec += int(f[1])
            want_msg += int(f[2])
    t = totals(r.out)
    # invalid_utf_8.xml repeats the report id of !example.com...: either
    # it is a duplicate (stopped before its bad byte) or it failed.
    assert t["records added"] == want_rec
    assert t["messages added"] == want_msg
    assert db_totals(db)[1:] == (want_rec, want_msg)


def test_corpus_twice(sk, tmp_path, corpus):
    d, tot = corpus
    db = str(tmp_path / "c.db")
    r = sk("reports", "ingest", "--offline", "--db", db, d)
    assert r.rc == 0, r.err
    t = totals(r.out)
    assert t["reports added"] == tot["reports"]
    assert t["records added"] == tot["records"]
    assert t["messages added"] == tot["messages"]
    assert t["failed"] == 0
    assert db_totals(db) == (tot["reports"], tot["records"],
                             tot["messages"])
    r = sk("reports", "ingest", "--offline", "--db", db, d)
    assert r.rc == 0
    t = totals(r.out)
    assert t["reports added"] == 0 and t["duplicates skipped"] == \
        tot["reports"]
    assert db_totals(db) == (tot["reports"], tot["records"],
                             tot["messages"])


def test_export(sk, tmp_path, corpus):
    d, tot = corpus
    db = str(tmp_path / "e.db")
    assert sk("reports", "ingest", "--offline", "--db", db,
              os.path.join(d, "xml")).rc == 0
    doc = json.loads(sk("reports", "export", "--format", "json", "--db",
                        db).out)
    assert doc["schema"] == "senderkit-reports-export/1"
    rows = doc["records"]
    r = db_totals(db)
    assert len(rows) == r[1] and sum(x["count"] for x in rows) == r[2]
    csv = sk("reports", "export", "--format", "csv", "--db", db).out
    assert len(csv.splitlines()) == r[1] + 1


def test_kill9_then_rerun(sk, tmp_path, corpus):
    d, tot = corpus
    db = str(tmp_path / "k.db")
    p = subprocess.Popen([sk.path, "reports", "ingest", "--offline",
                          "--no-progress", "--db", db, d],
                         stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    # Kill once some reports are in, before the end.
    deadline = time.time() + 30
    while time.time() < deadline:
        time.sleep(0.05)
        try:
            if os.path.exists(db) and db_totals(db)[0] > 20:
                break
        except sqlite3.Error:
            pass
    p.send_signal(signal.SIGKILL)
    p.wait()
    part = db_totals(db)
    r = sk("reports", "ingest", "--offline", "--db", db, d)
    assert r.rc == 0
    assert db_totals(db) == (tot["reports"], tot["records"],
                             tot["messages"]), part
    t = totals(r.out)
    assert t["reports added"] + t["duplicates skipped"] == tot["reports"]


def test_zip_bomb(sk, tmp_path):
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
        f.writestr("r.xml", b"<feedback>" + b" " * (300 << 20))
    db = str(tmp_path / "b.db")
    r = sk("reports", "ingest", "--offline", "--db", db, str(z))
    assert r.rc == 1
    assert "bomb.zip: member r.xml" in r.err and "zip bomb" in r.err


def test_unknown_file(sk, tmp_path):
    f = tmp_path / "notes.txt"
    f.write_bytes(b"\x00\x01binary")
    r = sk("reports", "ingest", "--offline", "--db",
           str(tmp_path / "u.db"), str(f))
    assert r.rc == 1 and "notes.txt: not a report" in r.err
