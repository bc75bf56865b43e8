"""`senderkit spf merge`: the include goes before the final all or the
redirect, the rest is kept; unchanged when present; refused (exit 1) when
the result passes 10 lookups, naming the costly terms."""

import pytest


@pytest.fixture(params=["server", "zone"])
def backend(request, nsd, zone_args):
    if request.param == "server":
        return ["--server", nsd.server]
    return zone_args


MERGES = [
    # record, merged, lookups before, after
    ("v=spf1 ip4:192.0.2.0/24 -all",
     "v=spf1 ip4:192.0.2.0/24 include:mktomail.com -all", 0, 1),
    ("v=spf1 ip4:192.0.2.1 redirect=_spf.provider.test",
     "v=spf1 ip4:192.0.2.1 include:mktomail.com redirect=_spf.provider.test",
     3, 4),
    ("v=spf1 ip4:192.0.2.1",
     "v=spf1 ip4:192.0.2.1 include:mktomail.com", 0, 1),
    ("v=spf1  ip4:192.0.2.1   ~all",
     "v=spf1 ip4:192.0.2.1 include:mktomail.com ~all", 0, 1),
    ("v=spf1 include:_spf.provider.test ?all exp=explain.exp.cases.test",
     "v=spf1 include:_spf.provider.test include:mktomail.com ?all "
     "exp=explain.exp.cases.test", 3, 4),
]


@pytest.mark.parametrize("record,merged,before,after", MERGES,
                         ids=[m[0] for m in MERGES])
def test_merge_record(sk, backend, record, merged, before, after):
    r = sk("spf", "merge", "--record", record, "--include", "mktomail.com",
           "--json", *backend)
    assert r.rc == 0, r
    j = r.json
    assert (j["record"], j["changed"], j["refused"]) == (merged, True,
                                                         False), r
    assert (j["lookups_before"], j["lookups_after"]) == (before, after), r


def test_merge_text_prints_record(sk, backend):
    r = sk("spf", "merge", "--record", "v=spf1 ip4:192.0.2.0/24 -all",
           "--include", "mktomail.com", *backend)
    assert r.rc == 0, r
    assert "v=spf1 ip4:192.0.2.0/24 include:mktomail.com -all" in r.lines, r


@pytest.mark.parametrize("record", [
    "v=spf1 include:mktomail.com -all",
    "v=spf1 ip4:192.0.2.1 include:MKTOMAIL.COM ~all",
])
def test_merge_unchanged_when_present(sk, backend, record):
    r = sk("spf", "merge", "--record", record, "--include", "mktomail.com",
           "--json", *backend)
    assert r.rc == 0, r
    j = r.json
    assert (j["record"], j["changed"], j["refused"]) == (record, False,
                                                         False), r
    assert j["lookups_before"] == j["lookups_after"] == 1, r


def test_merge_domain_from_dns(sk, backend):
    r = sk("spf", "merge", "example.test", "--include", "mktomail.com",
           "--json", *backend)
    assert r.rc == 0, r
    j = r.json
    assert j["record"] == ("v=spf1 ip4:192.0.2.0/24 include:_spf.provider.test"
                           " include:mktomail.com ~all"), r
    assert (j["changed"], j["refused"]) == (True, False), r
    assert (j["lookups_before"], j["lookups_after"]) == (3, 4), r


def test_merge_refused_over_10(sk, backend):
    r = sk("spf", "merge", "deep.cases.test", "--include", "mktomail.com",
           "--json", *backend)
    assert r.rc == 1, r
    j = r.json
    assert j["refused"] is True, r
    assert (j["lookups_before"], j["lookups_after"]) == (11, 12), r
    # names the costly terms, costliest first
    reason = j["reason"]
    assert "include:t1.cases.test" in reason, r
    assert "include:t2.cases.test" in reason, r
    assert reason.index("include:t1.cases.test") < reason.index(
        "include:t2.cases.test"), r


def test_merge_refused_exactly_at_limit(sk, backend):
    # 10 lookups now: include:t1 costs 7 (1 + a, a, mx + include:t3 with
    # a, a), plus 3 own terms; one more include makes 11.
    rec = ("v=spf1 include:t1.cases.test a:h1.cases.test a:h2.cases.test "
           "mx:mx1.cases.test -all")
    r = sk("spf", "merge", "--record", rec, "--include", "mktomail.com",
           "--json", *backend)
    assert r.rc == 1, r
    j = r.json
    assert (j["lookups_before"], j["lookups_after"], j["refused"]) == (
        10, 11, True), r


def test_merge_syntax_error_is_input_error(sk, backend):
    r = sk("spf", "merge", "--record", "v=spf1 ip4:192.0.2.300 -all",
           "--include", "mktomail.com", *backend)
    assert r.rc == 2, r
