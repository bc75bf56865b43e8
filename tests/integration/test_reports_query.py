"""senderkit reports summary / sources / rollout / export over a store
filled with hand-made reports whose totals are worked out below (the
numbers in the comments are the expected figures).  No DNS."""

import json
import os

import pytest

DAY1 = 1735689600  # 2025-01-01T00:00:00Z
DAY = 86400

REPORT = """<?xml version="1.0" encoding="UTF-8"?>
<feedback>
  <report_metadata><org_name>{org}</org_name><email>d@{org}</email>
    <report_id>{rid}</report_id>
    <date_range><begin>{begin}</begin><end>{end}</end></date_range>
  </report_metadata>
  <policy_published><domain>{domain}</domain><adkim>r</adkim>
    <aspf>r</aspf><p>{p}</p>{extra}</policy_published>
{records}</feedback>
"""


def record(ip, count, dkim, spf, auth_dkim=(), auth_spf=(),
           domain="example.com"):
    """auth_dkim / auth_spf: (domain, result) pairs."""
    a = "".join("<dkim><domain>%s</domain><selector>s1</selector>"
                "<result>%s</result></dkim>" % x for x in auth_dkim)
    a += "".join("<spf><domain>%s</domain><result>%s</result></spf>" % x
                 for x in auth_spf)
    return ("<record><row><source_ip>%s</source_ip><count>%d</count>"
            "<policy_evaluated><disposition>none</disposition>"
            "<dkim>%s</dkim><spf>%s</spf></policy_evaluated></row>"
            "<identifiers><header_from>%s</header_from></identifiers>"
            "<auth_results>%s</auth_results></record>\n" %
            (ip, count, dkim, spf, domain, a))


def report(path, org, rid, begin, recs, domain="example.com", p="none",
           extra=""):
    path.write_text(REPORT.format(org=org, rid=rid, begin=begin,
                                  end=begin + DAY - 1, domain=domain, p=p,
                                  extra=extra, records="".join(recs)))


EX = "example.com"
MKTO = "mktomail.com"


def base(d):
    """example.com: 360 messages, 300 pass DMARC, 50 SPF aligned, 300
    DKIM aligned; 60 fail: SPF not aligned 20, SPF failing 40; DKIM
    missing 30, DKIM not aligned 20, DKIM failing 10."""
    report(d / "r1.xml", "google.com", "g1", DAY1, [
        # Marketo, custom DKIM: passes on DKIM, SPF is mktomail.com's
        record("192.28.144.10", 100, "pass", "fail",
               [(EX, "pass")], [(MKTO, "pass")]),
        # Marketo, signed by mktomail.com only: fails alignment
        record("192.28.144.11", 20, "fail", "fail",
               [(MKTO, "pass")], [(MKTO, "pass")]),
        record("198.51.100.7", 50, "pass", "pass",
               [(EX, "pass")], [(EX, "pass")]),
        record("203.0.113.9", 30, "fail", "fail", [], [(EX, "fail")]),
    ])
    report(d / "r2.xml", "yahoo.com", "y1", DAY1 + DAY, [
        record("198.51.100.7", 150, "pass", "fail",
               [(EX, "pass")], [(EX, "softfail")]),
        record("203.0.113.9", 10, "fail", "fail",
               [(EX, "fail")], [(EX, "none")]),
    ])
    # Another domain: never counted under --domain example.com.
    report(d / "r3.xml", "google.com", "g2", DAY1, [
        record("198.51.100.7", 1000, "pass", "pass", [("example.org",
                                                      "pass")],
               domain="example.org"),
    ], domain="example.org")


@pytest.fixture
def store(sk, tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    base(d)
    db = str(tmp_path / "q.db")
    r = sk("reports", "ingest", "--offline", "--db", db, str(d))
    assert r.rc == 0, r.err
    return db, d


def js(sk, *args):
    r = sk(*args)
    assert r.rc in (0, 1), r.err
    return r.rc, json.loads(r.out)


def test_summary_totals(sk, store):
    db, _ = store
    _, s = js(sk, "reports", "summary", "--db", db, "--domain", EX,
              "--json")
    t = s["total"]
    assert s["schema"] == "senderkit-reports-summary/1"
    assert s["reports"] == 2
    assert (t["messages"], t["dmarc_pass"], t["spf_aligned"],
            t["dkim_aligned"], t["failing"]) == (360, 300, 50, 300, 60)
    assert t["reasons"] == {"spf_not_aligned": 20, "spf_failing": 40,
                            "dkim_missing": 30, "dkim_not_aligned": 20,
                            "dkim_failing": 10}
    assert abs(t["dmarc_pass_rate"] - 100 * 300 / 360) < 1e-9
    assert [(x["day"], x["messages"], x["dmarc_pass"]) for x in
            s["days"]] == [("2025-01-01", 200, 150),
                           ("2025-01-02", 160, 150)]
    assert [(x["ip"], x["messages"]) for x in s["sources"]] == [
        ("198.51.100.7", 200), ("192.28.144.10", 100),
        ("203.0.113.9", 40), ("192.28.144.11", 20)]
    src = {x["ip"]: x for x in s["sources"]}
    assert src["198.51.100.7"]["orgs"].split(",") == ["google.com",
                                                       "yahoo.com"]
    assert all(x["claim"] is None for x in s["sources"])
    assert s["policy"]["p"] == "none" and s["policy"]["org"] == \
        "yahoo.com"
    # All domains: example.org's 1000 messages too.
    _, a = js(sk, "reports", "summary", "--db", db, "--json")
    assert a["total"]["messages"] == 1360 and a["reports"] == 3


def test_summary_dates_and_text(sk, store):
    db, _ = store
    _, s = js(sk, "reports", "summary", "--db", db, "--domain", EX,
              "--since", "2025-01-02", "--json")
    assert s["total"]["messages"] == 160 and s["reports"] == 1
    _, s = js(sk, "reports", "summary", "--db", db, "--domain", EX,
              "--until", "2025-01-01", "--json")
    assert s["total"]["messages"] == 200
    r = sk("reports", "summary", "--db", db, "--domain", EX)
    assert r.rc == 0
    assert "messages 360  DMARC pass 83.3%  SPF aligned 13.9%  " \
        "DKIM aligned 83.3%" in r.out
    assert "2025-01-02  messages 160  DMARC pass 93.8%" in r.out
    r = sk("reports", "summary", "--db", db, "--since", "2025-13-01")
    assert r.rc == 2 and "--since" in r.err


def test_summary_profile_claims(sk, store):
    db, _ = store
    _, s = js(sk, "reports", "summary", "--db", db, "--domain", EX,
              "--profile", "marketo", "--json")
    src = {x["ip"]: x["claim"] for x in s["sources"]}
    assert src["192.28.144.10"] == "marketo sending_cidrs 192.28.144.0/20"
    assert src["192.28.144.11"] == "marketo sending_cidrs 192.28.144.0/20"
    assert src["198.51.100.7"] is None and src["203.0.113.9"] is None
    r = sk("reports", "summary", "--db", db, "--domain", EX, "--profile",
           "marketo")
    assert "claimed by profile: marketo sending_cidrs 192.28.144.0/20" \
        in r.out


def test_sources_failing(sk, store):
    db, _ = store
    _, s = js(sk, "reports", "sources", "--db", db, "--domain", EX,
              "--failing", "--json")
    assert s["schema"] == "senderkit-reports-sources/1"
    got = {x["ip"]: (x["failing"], x["reasons"]) for x in s["sources"]}
    assert set(got) == {"203.0.113.9", "192.28.144.11"}
    f, r = got["203.0.113.9"]
    assert f == 40 and r["spf_failing"] == 40 and \
        r["dkim_missing"] == 30 and r["dkim_failing"] == 10
    f, r = got["192.28.144.11"]
    assert f == 20 and r["spf_not_aligned"] == 20 and \
        r["dkim_not_aligned"] == 20
    t = sk("reports", "sources", "--db", db, "--domain", EX, "--failing")
    assert "failing 40 of 40 messages: SPF failing 40, DKIM missing 30, " \
        "DKIM failing 10" in t.out
    assert "failing 20 of 20 messages: SPF not aligned 20, " \
        "DKIM not aligned 20" in t.out
    assert "198.51.100.7" not in t.out


def test_rollout_holds_on_claimed_failure(sk, store):
    db, _ = store
    rc, r = js(sk, "reports", "rollout", "--db", db, "--domain", EX,
               "--profile", "marketo", "--json")
    assert rc == 1 and r["schema"] == "senderkit-reports-rollout/1"
    assert r["current"] == "none" and not r["advance"]
    assert r["claimed_failing"] and "192.28.144.11" in r["why"]
    assert r["record"] == "v=DMARC1; p=none"
    kinds = {x["ip"]: x["kind"] for x in r["sources"]}
    assert kinds == {"198.51.100.7": "legitimate",
                     "192.28.144.10": "claimed",
                     "192.28.144.11": "claimed",
                     "203.0.113.9": "unknown"}
    t = sk("reports", "rollout", "--db", db, "--domain", EX, "--profile",
           "marketo")
    assert t.rc == 1 and "advice: stay at none" in t.out
    assert "claimed by the provider profile and 20 of its 20 messages " \
        "fail DMARC alignment" in t.out


def test_rollout_advances(sk, store, tmp_path):
    db, d = store
    # Without the profile 192.28.144.11 never passed: unknown, so the
    # legitimate sources (198.51.100.7, 192.28.144.10) are at 100%.
    rc, r = js(sk, "reports", "rollout", "--db", db, "--domain", EX,
               "--rua", "dmarc@example.com", "--json")
    assert rc == 0 and r["advance"]
    assert (r["current"], r["next"]) == ("none", "quarantine (t=y)")
    assert r["record"] == \
        "v=DMARC1; p=quarantine; t=y; rua=mailto:dmarc@example.com"
    assert r["unknown_sources"] == 2 and r["unknown_messages"] == 60
    t = sk("reports", "rollout", "--db", db, "--domain", EX)
    assert "advice: move to quarantine (t=y)" in t.out
    assert "pct" in t.out  # the RFC 7489 note
    # Now at quarantine t=y, a clean day: next is quarantine.
    report(d / "r4.xml", "google.com", "g3", DAY1 + 2 * DAY, [
        record("198.51.100.7", 100, "pass", "pass", [(EX, "pass")],
               [(EX, "pass")])], p="quarantine", extra="<testing>y"
           "</testing>")
    assert sk("reports", "ingest", "--offline", "--db", db,
              str(d)).rc == 0
    rc, r = js(sk, "reports", "rollout", "--db", db, "--domain", EX,
               "--json")
    assert (r["current"], r["next"], rc) == ("quarantine (t=y)",
                                             "quarantine", 0)
    assert r["record"] == "v=DMARC1; p=quarantine"
    # A window of one day holds only r4 (and r2 begins 1 day before
    # r4 ends: begin >= end - 1 day is false for it).
    _, r = js(sk, "reports", "rollout", "--db", db, "--domain", EX,
              "--window", "1", "--json")
    assert r["total"]["messages"] == 100
    # A legitimate source below 98%: hold.
    report(d / "r5.xml", "google.com", "g4", DAY1 + 3 * DAY, [
        record("198.51.100.7", 90, "pass", "pass", [(EX, "pass")],
               [(EX, "pass")]),
        record("198.51.100.7", 10, "fail", "fail", [(EX, "fail")],
               [(EX, "fail")])], p="quarantine")
    assert sk("reports", "ingest", "--offline", "--db", db,
              str(d)).rc == 0
    rc, r = js(sk, "reports", "rollout", "--db", db, "--domain", EX,
               "--window", "1", "--json")
    assert rc == 1 and r["current"] == "quarantine" and not r["advance"]
    assert "198.51.100.7 passes DMARC for 90.0% of 100" in r["why"]
    rc, r = js(sk, "reports", "rollout", "--db", db, "--domain", EX,
               "--window", "1", "--min-pass", "90", "--json")
    assert rc == 0 and r["next"] == "reject"
    assert r["record"] == "v=DMARC1; p=reject"


def test_rollout_no_reports(sk, store):
    db, _ = store
    rc, r = js(sk, "reports", "rollout", "--db", db, "--domain",
               "nothing.example", "--json")
    assert r["current"] == "unknown" and r["next"] == "none"
    assert r["record"] == "v=DMARC1; p=none"
    assert sk("reports", "rollout", "--db", db).rc == 2


def test_export_filters_nothing(sk, store):
    db, _ = store
    doc = json.loads(sk("reports", "export", "--format", "json", "--db",
                        db).out)
    assert doc["schema"] == "senderkit-reports-export/1"
    rows = doc["records"]
    assert len(rows) == 7 and sum(x["count"] for x in rows) == 1360
    r = [x for x in rows if x["source_ip"] == "203.0.113.9" and
         x["count"] == 30][0]
    assert r["dkim_results"] is None and r["spf_results"] == \
        "example.com:fail"
    assert isinstance(r["begin"], int)


FAILURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "..", "shared", "conformance", "reports",
    "parsedmarc-samples", "failure")
DOMAIN_DE = ("DMARC Failure Report for domain.de (mail-from="
             "sharepoint@domain.de, ip=10.10.10.10).eml")


def test_failures_stored(sk, tmp_path):
    db = str(tmp_path / "f.db")
    r = sk("reports", "ingest", "--offline", "--db", db, FAILURES)
    assert r.rc == 1  # two samples carry no ARF part
    # dmarc_ruf_report_linkedin.crlf.eml is dmarc_ruf_report_linkedin.eml
    # with CRLF line endings: the same report, stored once.
    assert "failure reports added: 2" in r.out
    assert "duplicates skipped: 1" in r.out
    assert "exim_plain_text_only_no_arf_part.eml" in r.err
    r2 = sk("reports", "ingest", "--offline", "--db", db,
            os.path.join(FAILURES, DOMAIN_DE))
    assert "failure reports added: 0" in r2.out
    assert "duplicates skipped: 1" in r2.out
    _, f = js(sk, "reports", "failures", "--db", db, "--domain",
              "domain.de", "--json")
    assert f["schema"] == "senderkit-reports-failures/1"
    f = f["failures"]
    assert len(f) == 1
    f = f[0]
    assert (f["feedback_type"], f["auth_failure"], f["source_ip"]) == \
        ("auth-failure", "dmarc", "10.10.10.10")
    assert f["original_mail_from"] == "sharepoint@domain.de"
    assert not f["redacted"] and f["body"] is not None
    _, a = js(sk, "reports", "failures", "--db", db, "--json")
    assert len(a["failures"]) == 2


def test_failures_redacted(sk, tmp_path):
    db = str(tmp_path / "r.db")
    r = sk("reports", "ingest", "--offline", "--db", db, "--redact",
           os.path.join(FAILURES, DOMAIN_DE))
    assert r.rc == 0 and "failure reports added: 1" in r.out
    _, f = js(sk, "reports", "failures", "--db", db, "--json")
    f = f["failures"][0]
    assert f["redacted"] and f["body"] is None
    assert f["original_mail_from"] == "redacted@domain.de"
    assert "sharepoint@" not in json.dumps(f)
    assert "redacted@domain.de" in f["headers"]


def test_failures_arrival_dates(sk, tmp_path):
    """Arrival-Date parsed (RFC 5322 date-time); --since/--until select on
    it (whole UTC days, --until inclusive)."""
    db = str(tmp_path / "d.db")
    sk("reports", "ingest", "--offline", "--db", db, FAILURES)
    _, a = js(sk, "reports", "failures", "--db", db, "--json")
    got = sorted((x["arrival"], x["reported_domain"]) for x in
                 a["failures"] if x["arrival"] is not None)
    # Mon, 01 Oct 2018 11:20:27 +0200 and Tue, 30 Apr 2019 02:09:00 +0000
    assert [t for t, _ in got] == [1538385627, 1556590140]
    assert len(a["failures"]) == 2
    _, a = js(sk, "reports", "failures", "--db", db, "--since",
              "2019-01-01", "--json")
    assert [x["arrival"] for x in a["failures"]] == [1556590140]
    _, a = js(sk, "reports", "failures", "--db", db, "--until",
              "2018-10-01", "--json")
    assert [x["arrival"] for x in a["failures"]] == [1538385627]
    _, a = js(sk, "reports", "failures", "--db", db, "--until",
              "2018-09-30", "--json")
    assert a["failures"] == []
    r = sk("reports", "failures", "--db", db, "--since", "2019-04-30")
    assert r.rc == 0 and "Tue, 30 Apr 2019" in r.out
    assert "domain.de" not in r.out
