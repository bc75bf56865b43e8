"""`senderkit dns query`: exact answers through NSD, and a differential
test proving the zone-file backend answers like a real authoritative
server: for every name and type in the test zones (plus absent names,
empty non-terminals, CNAME chains and types a name lacks), `dns query
--zone` and `dns query --server` print the same thing."""

import re
import subprocess

import pytest

import conftest
import nsdharness

STATUS = ("ANSWER", "NXDOMAIN", "NODATA", "TEMPFAIL")


def axfr(nsd, origin):
    """(owner, type) pairs of a zone, from NSD itself (provide-xfr)."""
    p = subprocess.run(["dig", "@127.0.0.1", "-p", str(nsd.port), origin,
                        "AXFR", "+noall", "+answer", "+time=3", "+tries=1"],
                       stdout=subprocess.PIPE, text=True, timeout=30)
    out = set()
    for ln in p.stdout.splitlines():
        f = ln.split()
        if len(f) >= 4 and f[2] == "IN":
            out.add((f[0].rstrip(".").lower(), f[3]))
    assert out, "AXFR of %s gave nothing:\n%s" % (origin, p.stdout)
    return out


def questions(nsd):
    qs = set()
    names = set()
    for f in conftest.zone_files():
        for owner, rtype in axfr(nsd, nsdharness.zone_origin(f)):
            qs.add((owner, rtype))
            names.add(owner)
    for n in names:
        # types a name may lack (NODATA), and what CNAME owners chase to
        for t in ("A", "AAAA", "TXT", "MX"):
            qs.add((n, t))
    qs |= {
        ("nope.cases.test", "TXT"),          # NXDOMAIN
        ("deep.nope.example.test", "A"),     # NXDOMAIN, deeper
        ("NoSpf.Cases.TEST", "A"),           # case-insensitive lookup
        ("sub.example.test", "TXT"),         # empty non-terminal: NODATA
        ("_ip.macro.cases.test", "A"),       # ENT, several labels down
        ("2.0.192._ip.macro.cases.test", "A"),
        ("cname.cases.test", "TXT"),         # chain across zones
        ("cname.cases.test", "CNAME"),       # the CNAME itself, not chased
        ("c2.cases.test", "A"),              # chain ending in NODATA
        ("www.example.test", "MX"),
        ("loop.cases.test", "TXT"),          # CNAME loop
        ("10.2.0.192.in-addr.arpa", "PTR"),
        ("13.2.0.192.in-addr.arpa", "PTR"),  # NXDOMAIN in reverse zone
        ("big.cases.test", "TXT"),           # needs TCP via the server
    }
    return sorted(qs)


def test_differential_zone_vs_server(sk, nsd, zone_args):
    qs = questions(nsd)
    assert len(qs) > 100
    diffs = []
    for name, rtype in qs:
        z = sk("dns", "query", name, rtype, *zone_args)
        s = sk("dns", "query", name, rtype, "--server", nsd.server)
        assert s.lines and s.lines[0].split()[0] in STATUS, s
        if (z.rc, z.out) != (s.rc, s.out):
            diffs.append("%s %s\n--- zone (exit %d)\n%s--- server (exit %d)"
                         "\n%s" % (name, rtype, z.rc, z.out, s.rc, s.out))
    assert not diffs, "%d of %d questions differ:\n\n%s" % (
        len(diffs), len(qs), "\n\n".join(diffs[:10]))


def test_json_differential(sk, nsd, zone_args):
    for name, rtype in [("example.test", "TXT"), ("cname.cases.test", "TXT"),
                        ("nope.cases.test", "A"), ("sub.example.test", "A"),
                        ("mx11.cases.test", "MX")]:
        z = sk("dns", "query", name, rtype, "--json", *zone_args)
        s = sk("dns", "query", name, rtype, "--json", "--server", nsd.server)
        assert z.json == s.json, (z, s)


@pytest.fixture(params=["server", "zone"])
def backend(request, nsd, zone_args):
    if request.param == "server":
        return ["--server", nsd.server]
    return zone_args


def status_of(r):
    return r.lines[0].split()[0]


def test_answer_multi_string_txt(sk, backend):
    r = sk("dns", "query", "split.cases.test", "TXT", *backend)
    assert r.rc == 0, r
    assert status_of(r) == "ANSWER"
    recs = [ln for ln in r.lines if re.search(r"\bIN\s+TXT\b", ln)]
    assert len(recs) == 1, r
    # each character-string printed separately, in order
    assert recs[0].endswith('"v=spf1 ip4:198.51.100.0/24 ip4:203.0." '
                            '"113.0/24 ip6:2001:db8::/32" " -all"'), r
    assert re.match(r"^split\.cases\.test\.?\s+3600\s+IN\s+TXT\s", recs[0]), r


def test_answer_mx_sorted_and_complete(sk, backend):
    r = sk("dns", "query", "mx11.cases.test", "MX", *backend)
    assert status_of(r) == "ANSWER", r
    recs = [ln for ln in r.lines if re.search(r"\bIN\s+MX\b", ln)]
    assert len(recs) == 11, r
    assert recs == sorted(recs), r
    for n in range(11):
        assert any(re.search(r"\bMX\s+%d\s+m%d\.mx11\.cases\.test\.?$"
                             % (10 + n, n), ln) for ln in recs), (n, r)


@pytest.mark.parametrize("name,rtype,status", [
    ("nope.cases.test", "TXT", "NXDOMAIN"),
    ("nospf.cases.test", "TXT", "NODATA"),
    ("sub.example.test", "TXT", "NODATA"),       # empty non-terminal
    ("_ip.macro.cases.test", "A", "NODATA"),
    ("example.test", "AAAA", "NODATA"),
    ("mail.example.test", "AAAA", "ANSWER"),
    ("loop.cases.test", "TXT", "TEMPFAIL"),
    ("big.cases.test", "TXT", "ANSWER"),
])
def test_status(sk, backend, name, rtype, status):
    r = sk("dns", "query", name, rtype, *backend)
    assert status_of(r) == status, r


def test_cname_chain_shown_and_followed(sk, backend):
    r = sk("dns", "query", "cname.cases.test", "TXT", *backend)
    assert status_of(r) == "ANSWER", r
    assert r.lines[1] == ("cname: cname.cases.test -> spfhost.provider.test"
                          " (2 links)"), r
    recs = [ln for ln in r.lines if re.search(r"\bIN\s+TXT\b", ln)]
    assert recs and recs[-1].endswith('"v=spf1 ip4:192.0.2.55 -all"'), r


def test_cname_loop_reason(sk, backend):
    r = sk("dns", "query", "loop.cases.test", "TXT", *backend)
    assert status_of(r) == "TEMPFAIL", r
    assert "loop" in r.lines[0].lower(), r


BIG_RECORD = ("v=spf1 " + " ".join("ip4:198.18.%d.0/24" % n
                                    for n in range(80))
              + " ip4:192.0.2.77 -all")


def txt_strings(line):
    """The character-strings of a presentation-form TXT line."""
    return [re.sub(r"\\(.)", r"\1", m)
            for m in re.findall(r'"((?:[^"\\]|\\.)*)"', line)]


def test_big_txt_over_tcp_fallback(sk, nsd):
    # 1536 bytes of text: NSD truncates it over UDP (test_harness.py),
    # so the answer only arrives complete through the TCP retry.
    r = sk("dns", "query", "big.cases.test", "TXT", "--server", nsd.server)
    assert status_of(r) == "ANSWER", r
    rec = [ln for ln in r.lines if re.search(r"\bIN\s+TXT\b", ln)]
    assert len(rec) == 1, r
    strings = txt_strings(rec[0])
    assert len(strings) == 7 and all(len(x) <= 255 for x in strings), r
    assert "".join(strings) == BIG_RECORD, r


def test_refused_is_tempfail(sk, nsd):
    r = sk("dns", "query", "_spf.unserved.test", "TXT",
           "--server", nsd.server)
    assert status_of(r) == "TEMPFAIL", r
    assert "REFUSED" in r.out, r


def test_no_server_listening_is_tempfail(sk):
    port = nsdharness.free_port()
    r = sk("dns", "query", "example.test", "TXT",
           "--server", "127.0.0.1:%d" % port, "--timeout", "300", timeout=20)
    assert status_of(r) == "TEMPFAIL", r
