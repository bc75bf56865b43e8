"""senderkit reports ingest: reverse names of the source IPs (enrichment)
through the library resolver, against a real NSD on loopback (the nsd
fixture, zones 113.0.203.in-addr.arpa and 8.b.d.0.1.0.0.2.ip6.arpa), the
zone-file backend, a closed port and a server that never answers.  The
system resolver is never used: every ingest here has --server, --zone or
--offline."""

import os
import socket
import sqlite3
import time

import pytest

DAY1 = 1735689600  # 2025-01-01T00:00:00Z

REPORT = """<?xml version="1.0"?>
<feedback><report_metadata><org_name>google.com</org_name>
<email>d@google.com</email><report_id>{rid}</report_id>
<date_range><begin>{b}</begin><end>{e}</end></date_range>
</report_metadata><policy_published><domain>example.com</domain>
<p>none</p></policy_published>{recs}</feedback>
"""
REC = ("<record><row><source_ip>{ip}</source_ip><count>{n}</count>"
       "<policy_evaluated><disposition>none</disposition><dkim>pass</dkim>"
       "<spf>pass</spf></policy_evaluated></row><identifiers>"
       "<header_from>example.com</header_from></identifiers><auth_results>"
       "<spf><domain>example.com</domain><result>pass</result></spf>"
       "</auth_results></record>")

# ip -> (status stored in the ptr table, name) as NSD serves them;
# 198.51.100.7 is under no zone NSD serves: it answers REFUSED, a
# temporary failure (the zone backend says NXDOMAIN instead).
IPS = {
    "203.0.113.9": ("ok", "spoofer.reports.test"),
    "203.0.113.20": ("ok", "mx1.reports.test"),
    "203.0.113.10": ("none", None),
    "2001:db8::25": ("ok", "mx6.reports.test"),
    "198.51.100.7": ("tempfail", None),
}


def write_reports(d, ips, rid="r1"):
    recs = "".join(REC.format(ip=ip, n=10) for ip in ips)
    p = d / (rid + ".xml")
    p.write_text(REPORT.format(rid=rid, b=DAY1, e=DAY1 + 86399, recs=recs))
    return str(p)


def ptr_rows(db):
    c = sqlite3.connect(db)
    rows = {ip: (st, name) for ip, name, st in
            c.execute("SELECT ip, name, status FROM ptr")}
    c.close()
    return rows


def enrich_line(out):
    for line in out.splitlines():
        if line.startswith("reverse names:"):
            return line
    return None


def totals(out):
    t = {}
    for line in out.splitlines():
        k, _, v = line.partition(":")
        if v.strip().isdigit():
            t[k.strip()] = int(v)
    return t


def test_nsd_names_and_cache(sk, nsd, tmp_path):
    f = write_reports(tmp_path, IPS)
    db = str(tmp_path / "n.db")
    r = sk("reports", "ingest", "--db", db, "--server", nsd.server,
           "--timeout", "1000", f)
    assert r.rc == 0, r
    assert totals(r.out)["records added"] == 5
    line = enrich_line(r.out)
    assert line.startswith("reverse names: 5 asked, 3 named, "
                           "1 without name, 1 failed, 0 unanswered"), r
    assert ptr_rows(db) == IPS
    # The summary shows the names.
    s = sk("reports", "summary", "--db", db, "--json").json
    got = {x["ip"]: x["ptr"] for x in s["sources"]}
    assert got == {ip: v[1] for ip, v in IPS.items()}
    t = sk("reports", "sources", "--db", db)
    assert "203.0.113.9 (spoofer.reports.test)" in t.out
    # Cached: a second report with the same IPs asks nothing (the
    # temporary failure too: it is kept for an hour).
    f2 = write_reports(tmp_path, IPS, rid="r2")
    r = sk("reports", "ingest", "--db", db, "--server", nsd.server, f2)
    assert r.rc == 0 and totals(r.out)["reports added"] == 1
    assert enrich_line(r.out).startswith("reverse names: 0 asked"), r
    # A new IP only: one question.
    f3 = write_reports(tmp_path, ["203.0.113.20", "203.0.113.9"],
                       rid="r3")
    c = sqlite3.connect(db)
    c.execute("DELETE FROM ptr WHERE ip = '203.0.113.20'")
    c.commit()
    c.close()
    r = sk("reports", "ingest", "--db", db, "--server", nsd.server, f3)
    assert enrich_line(r.out).startswith(
        "reverse names: 1 asked, 1 named"), r
    assert ptr_rows(db)["203.0.113.20"] == ("ok", "mx1.reports.test")


def test_zone_backend(sk, zone_args, tmp_path):
    f = write_reports(tmp_path, IPS)
    db = str(tmp_path / "z.db")
    r = sk("reports", "ingest", "--db", db, *zone_args, f)
    assert r.rc == 0, r
    want = dict(IPS)
    want["198.51.100.7"] = ("none", None)  # no zone: NXDOMAIN
    assert ptr_rows(db) == want
    assert enrich_line(r.out).startswith(
        "reverse names: 5 asked, 3 named, 2 without name, 0 failed")


def test_offline_asks_nothing(sk, tmp_path):
    f = write_reports(tmp_path, IPS)
    db = str(tmp_path / "o.db")
    r = sk("reports", "ingest", "--db", db, "--offline", f)
    assert r.rc == 0 and enrich_line(r.out) is None
    assert ptr_rows(db) == {}
    r = sk("reports", "ingest", "--db", db, "--offline", "--server",
           "127.0.0.1:53", f)
    assert r.rc == 2 and "--offline" in r.err


def closed_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_closed_port(sk, tmp_path):
    """Nothing listens: ingest completes, the totals are right, the names
    stay empty and the failures are cached briefly."""
    f = write_reports(tmp_path, IPS)
    db = str(tmp_path / "c.db")
    t0 = time.monotonic()
    r = sk("reports", "ingest", "--db", db, "--server",
           "127.0.0.1:%d" % closed_port(), "--timeout", "200",
           "--enrich-time", "5", f)
    took = time.monotonic() - t0
    assert r.rc == 0, r
    assert totals(r.out)["records added"] == 5
    assert took < 6, took
    rows = ptr_rows(db)
    assert all(v == ("tempfail", None) for v in rows.values()), rows
    s = sk("reports", "summary", "--db", db, "--json").json
    assert all(x["ptr"] is None for x in s["sources"])


def test_silent_server_time_bound(sk, tmp_path):
    """A server that never answers, a per-try timeout far over the bound:
    the run stops at --enrich-time, the questions cut off are not cached
    (asked again next time) and the ingest is complete."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    try:
        f = write_reports(tmp_path, IPS)
        db = str(tmp_path / "s.db")
        t0 = time.monotonic()
        r = sk("reports", "ingest", "--db", db, "--server",
               "127.0.0.1:%d" % s.getsockname()[1], "--timeout", "30000",
               "--enrich-time", "1", f)
        took = time.monotonic() - t0
    finally:
        s.close()
    assert r.rc == 0, r
    assert totals(r.out)["records added"] == 5
    assert 0.9 < took < 4, took
    assert "5 asked, 0 named, 0 without name, 0 failed, 5 unanswered" \
        in enrich_line(r.out), r
    assert ptr_rows(db) == {}
