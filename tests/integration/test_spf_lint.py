"""`senderkit spf lint DOMAIN` through NSD and the zone files, and
`spf lint --record`: the ids of the findings, the lookup count, the tree,
and the exit status (1 when an error finding exists, else 0)."""

import pytest


@pytest.fixture(params=["server", "zone"])
def backend(request, nsd, zone_args):
    if request.param == "server":
        return ["--server", nsd.server]
    return zone_args


def ids(j, severities=("error", "warning", "info")):
    return {f["id"] for f in j["findings"] if f["severity"] in severities}


def lint(sk, backend, *args):
    r = sk("spf", "lint", *args, "--json", *backend)
    j = r.json
    has_error = any(f["severity"] == "error" for f in j["findings"])
    assert r.rc == (1 if has_error else 0), r
    for f in j["findings"]:
        assert f["severity"] in ("error", "warning", "info"), f
        assert f["id"].startswith("spf-") and f["message"], f
    return r, j


# domain -> (error ids, warning ids that must be present, lookups)
# Errors are asserted exactly; warnings as a subset (lint may add more).
DOMAINS = [
    ("example.test", set(), set(), 3),
    ("two.cases.test", {"spf-multiple"}, set(), None),
    ("deep.cases.test", {"spf-lookup-limit"}, set(), 11),
    ("void.cases.test", None, {"spf-void-lookups"}, 3),
    ("noinc.cases.test", {"spf-include-no-spf"}, set(), 1),
    ("plusall.cases.test", None, {"spf-all-pass"}, 0),
    ("qall.cases.test", set(), {"spf-all-neutral"}, 0),
    ("noall.cases.test", set(), {"spf-no-all"}, 0),
    ("ptr.cases.test", set(), {"spf-ptr"}, 1),
    ("big.cases.test", set(), {"spf-udp-size"}, 0),
    ("bad.cases.test", {"spf-syntax"}, set(), None),
    ("nospf.cases.test", None, set(), None),
]


@pytest.mark.parametrize("domain,errors,warnings,lookups", DOMAINS,
                         ids=[d[0] for d in DOMAINS])
def test_lint_domain(sk, backend, domain, errors, warnings, lookups):
    r, j = lint(sk, backend, domain)
    if errors is not None:
        assert ids(j, ("error",)) == errors, r
    assert warnings <= ids(j), r
    if lookups is not None:
        assert j["lookups"] == lookups, r


def test_lint_good_domain_clean(sk, backend):
    r, j = lint(sk, backend, "example.test")
    assert r.rc == 0, r
    assert not ids(j, ("error", "warning")), r
    t = j["tree"]
    assert t["domain"] == "example.test", r
    assert t["total"] == 3, r
    (inc,) = t["children"]
    assert inc["via"] == "include:_spf.provider.test", r
    assert inc["domain"] == "_spf.provider.test", r
    assert [c["domain"] for c in inc["children"]] == [
        "_nb1.provider.test", "_nb2.provider.test"], r


def test_lint_none(sk, backend):
    r, j = lint(sk, backend, "nospf.cases.test")
    assert "spf-none" in ids(j), r


def test_lint_void_and_plusall_are_errors_or_warnings(sk, backend):
    for d, fid in (("void.cases.test", "spf-void-lookups"),
                   ("plusall.cases.test", "spf-all-pass")):
        r, j = lint(sk, backend, d)
        assert fid in ids(j, ("error", "warning")), r


def test_lint_syntax_offset(sk, backend):
    r, j = lint(sk, backend, "bad.cases.test")
    (f,) = [f for f in j["findings"] if f["id"] == "spf-syntax"]
    # "v=spf1 ip4:192.0.2.300 -all": the bad term starts at byte 7
    assert f["offset"] in (7, 11), r


def test_lint_deep_tree_names_the_path(sk, backend):
    r, j = lint(sk, backend, "deep.cases.test")
    t = j["tree"]
    assert t["total"] == 11, r
    vias = [c["via"] for c in t["children"]]
    assert vias == ["include:t1.cases.test", "include:t2.cases.test"], r
    assert [c["total"] for c in t["children"]] == [7, 4], r
    (f,) = [f for f in j["findings"] if f["id"] == "spf-lookup-limit"]
    assert "11" in f["message"], r


def test_lint_tempfail_server_only(sk, nsd):
    r = sk("spf", "lint", "refused.cases.test", "--json",
           "--server", nsd.server)
    assert "spf-tempfail" in ids(r.json), r


def test_lint_loop_tempfail(sk, backend):
    r = sk("spf", "lint", "loop.cases.test", "--json", *backend)
    assert "spf-tempfail" in ids(r.json), r


# --record: a proposed record, linted with DNS from the zones
RECORDS = [
    ("v=spf1 ip4:192.0.2.0/24 include:_spf.provider.test -all",
     set(), set(), 3),
    ("v=spf1 +all", None, {"spf-all-pass"}, 0),
    ("v=spf1 ip4:192.0.2.0/24 ?all", set(), {"spf-all-neutral"}, 0),
    ("v=spf1 ip4:192.0.2.0/24", set(), {"spf-no-all"}, 0),
    ("v=spf1 include:t1.cases.test include:t2.cases.test -all",
     {"spf-lookup-limit"}, set(), 11),
    ("v=spf1 include:nospf.cases.test -all", {"spf-include-no-spf"},
     set(), 1),
    ("v=spf1 ptr:ptr.cases.test -all", set(), {"spf-ptr"}, 1),
]


@pytest.mark.parametrize("record,errors,warnings,lookups", RECORDS,
                         ids=[r[0] for r in RECORDS])
def test_lint_record(sk, zone_args, record, errors, warnings, lookups):
    r, j = lint(sk, zone_args, "--record", record)
    if errors is not None:
        assert ids(j, ("error",)) == errors, r
    assert warnings <= ids(j), r
    assert j["lookups"] == lookups, r


def test_lint_record_include_space(sk, zone_args):
    # Marketo's docs print "include: mktomail.com" (research F7.2): that is
    # an include with an empty domain, so a syntax error; lint explains it.
    r, j = lint(sk, zone_args, "--record",
                "v=spf1 include: mktomail.com ~all")
    assert r.rc == 1, r
    assert {"spf-include-space", "spf-syntax"} & ids(j, ("error",)), r
    assert "spf-include-space" in ids(j), r


def test_lint_record_string_too_long(sk, zone_args):
    rec = ("v=spf1 " + " ".join("ip4:198.18.%d.0/24" % n for n in range(14))
           + " -all")
    assert len(rec) > 255
    r, j = lint(sk, zone_args, "--record", rec)
    assert "spf-string-too-long" in ids(j), r
    short = "v=spf1 ip4:198.18.0.0/24 -all"
    r, j = lint(sk, zone_args, "--record", short)
    assert "spf-string-too-long" not in ids(j), r


def test_lint_record_syntax_offset(sk, zone_args):
    r, j = lint(sk, zone_args, "--record", "v=spf1 ip4:192.0.2.0/24 foo -all")
    assert r.rc == 1, r
    (f,) = [f for f in j["findings"] if f["id"] == "spf-syntax"]
    assert f["offset"] == 24, r


def test_lint_text_output(sk, backend):
    r = sk("spf", "lint", "deep.cases.test", *backend)
    assert r.rc == 1, r
    assert any(ln.split()[:2] == ["error", "spf-lookup-limit"]
               for ln in r.lines), r
