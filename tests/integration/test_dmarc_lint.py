"""`senderkit dmarc lint|orgdomain|record` through NSD and the zone files
(zones/dmarc.test.zone, dmarcrep.test.zone, dmarcpsd.zone,
nodmarc.zone): the exact sets of finding ids, the discovery result
(record location, policy tag and value, method) and the exit status."""

import pytest


@pytest.fixture(params=["server", "zone"])
def backend(request, nsd, zone_args):
    if request.param == "server":
        return ["--server", nsd.server]
    return zone_args


def lint(sk, backend, *args):
    r = sk("dmarc", "lint", *args, "--json", *backend)
    j = r.json
    has_error = any(f["severity"] == "error" for f in j["findings"])
    assert r.rc == (1 if has_error else 0), r
    for f in j["findings"]:
        assert f["id"].startswith("dmarc-") and f["message"], f
        assert f["ref"], f
    return r, j


def ids(j):
    return {f["id"] for f in j["findings"]}


# domain, extra args, exact finding ids, (policy domain, tag, policy)
CASES = [
    ("good.dmarc.test", [], set(), ("good.dmarc.test", "p", "reject")),
    ("none.nodmarc", [], {"dmarc-no-record"}, (None, None, None)),
    ("two.dmarc.test", [], {"dmarc-multiple", "dmarc-inherited"},
     ("dmarc.test", "sp", "quarantine")),
    ("syntax.dmarc.test", [], {"dmarc-invalid-value", "dmarc-syntax"},
     ("syntax.dmarc.test", "p", "reject")),
    ("pct50.dmarc.test", [], {"dmarc-obsolete-pct", "dmarc-pct-ramp"},
     ("pct50.dmarc.test", "p", "quarantine")),
    ("aspfs.dmarc.test", ["--profile", "marketo"],
     {"dmarc-aspf-strict-marketo", "dmarc-dkim-alignment"},
     ("aspfs.dmarc.test", "p", "reject")),
    ("aspfs.dmarc.test", [], set(), ("aspfs.dmarc.test", "p", "reject")),
    ("unauth.dmarc.test", [], {"dmarc-external-unauthorized"},
     ("unauth.dmarc.test", "p", "reject")),
    ("auth.dmarc.test", [], set(), ("auth.dmarc.test", "p", "reject")),
    ("nop.dmarc.test", [], {"dmarc-missing-p"},
     ("nop.dmarc.test", "p", "none")),
    ("inherit.dmarc.test", [], {"dmarc-inherited"},
     ("dmarc.test", "sp", "quarantine")),
    ("ghost.dmarc.test", [], {"dmarc-inherited"},
     ("dmarc.test", "np", "reject")),
    ("mail.org.dmarcpsd", [], {"dmarc-inherited"},
     ("dmarcpsd", "sp", "quarantine")),
    ("a.sub.nodmarc", [], {"dmarc-orgdomain-disagree"},
     ("a.sub.nodmarc", "p", "reject")),
]


@pytest.mark.parametrize("domain,extra,want,disc", CASES,
                         ids=["%s%s" % (c[0], "+" + "".join(c[1]) if c[1]
                                        else "") for c in CASES])
def test_lint_domain(sk, backend, domain, extra, want, disc):
    r, j = lint(sk, backend, domain, *extra)
    assert ids(j) == want, r
    d = j["discovery"]
    assert d["method"] == "treewalk", r
    assert (d["policy_domain"], d["policy_tag"], d["policy"]) == disc, r


def test_lint_psl_method(sk, backend):
    r, j = lint(sk, backend, "two.dmarc.test", "--discovery", "psl")
    d = j["discovery"]
    assert d["method"] == "psl" and d["status"] == "multiple", r
    assert "dmarc-multiple" in ids(j), r


def test_lint_tempfail_exit_3(sk):
    # Nothing listens on port 9 of loopback: DNS fails.
    r = sk("dmarc", "lint", "good.dmarc.test", "--server", "127.0.0.1:9",
           "--timeout", "200", "--json")
    assert r.rc == 3, r
    assert "dmarc-tempfail" in ids(r.json), r


def test_lint_record_text(sk):
    r = sk("dmarc", "lint", "--no-dns", "--json", "--record",
           "v=DMARC1; p=none; pct=50; ruf=mailto:f@example.com!10m")
    assert r.rc == 0, r
    assert ids(r.json) == {"dmarc-policy-none", "dmarc-obsolete-pct",
                           "dmarc-pct-ramp", "dmarc-no-rua", "dmarc-ruf",
                           "dmarc-size-suffix", "dmarc-no-dns"}, r
    r = sk("dmarc", "lint", "--no-dns", "--record", "p=none; v=DMARC1")
    assert r.rc == 1 and "dmarc-not-first-v" in r.out, r


def test_orgdomain(sk, backend):
    r = sk("dmarc", "orgdomain", "a.b.mail.org.dmarcpsd", "--discovery",
           "both", "--json", *backend)
    assert r.rc == 0, r
    j = r.json
    assert j["treewalk"]["org_domain"] == "org.dmarcpsd", r
    assert j["psl"]["org_domain"] == "org.dmarcpsd", r
    assert j["agree"] is True, r
    r = sk("dmarc", "orgdomain", "x.a.sub.nodmarc", "--discovery",
           "both", *backend)
    assert r.rc == 0, r
    assert r.lines == ["treewalk: a.sub.nodmarc", "psl: sub.nodmarc",
                       "disagree"], r


def test_record_builder(sk):
    r = sk("dmarc", "record", "--p", "quarantine", "--rua",
           "agg@example.com", "--rua", "mailto:x@r.example.net",
           "--aspf", "s", "--t", "y")
    assert r.rc == 0, r
    rec = r.out.strip()
    assert rec == ("v=DMARC1; p=quarantine; t=y; aspf=s; "
                   "rua=mailto:agg@example.com,mailto:x@r.example.net"), r
    back = sk("dmarc", "lint", "--no-dns", "--json", "--record", rec)
    tags = back.json["record"]["tags"]
    assert tags["p"] == {"value": "quarantine", "explicit": True,
                         "invalid": False}, back
    assert tags["aspf"]["value"] == "s" and tags["t"]["value"] == "y", back
    r = sk("dmarc", "record", "--p", "reject", "--np", "nope")
    assert r.rc == 2 and "--np" in r.err, r
    r = sk("dmarc", "record", "--p", "reject", "--pct", "50")
    assert r.rc == 0 and "pct=50" in r.out and "pct" in r.err, r
