"""The harness itself: NSD serves every test zone on loopback, and the
zones have the properties other tests rely on (a TXT answer that does not
fit in UDP, a CNAME loop, REFUSED outside the served zones)."""

import subprocess

import conftest
import nsdharness


def dig(nsd, *args):
    p = subprocess.run(["dig", "@127.0.0.1", "-p", str(nsd.port), "+time=2",
                        "+tries=1"] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=30)
    return p.stdout


def test_every_zone_answers_soa(nsd):
    assert nsd.server == "127.0.0.1:%d" % nsd.port
    for f in conftest.zone_files():
        origin = nsdharness.zone_origin(f)
        r = nsdharness.udp_query(nsd.port, origin, 6, timeout=2)
        assert r is not None, origin
        rcode, ancount, tc = r
        assert (rcode, ancount, tc) == (0, 1, False), origin


def test_big_record_is_truncated_over_udp(nsd):
    # The TCP-fallback tests are only meaningful if NSD sets TC=1.
    out = dig(nsd, "big.cases.test", "TXT", "+notcp", "+ignore",
              "+bufsize=1232", "+noall", "+comments")
    assert "flags: qr aa tc" in out, out
    out = dig(nsd, "big.cases.test", "TXT", "+tcp", "+short")
    assert "ip4:192.0.2.77 -all" in out.replace('" "', ""), out


def test_refused_outside_served_zones(nsd):
    r = nsdharness.udp_query(nsd.port, "_spf.unserved.test", 16, timeout=2)
    assert r is not None and r[0] == 5  # REFUSED


def test_nothing_answers_on_a_free_port():
    port = nsdharness.free_port()
    assert nsdharness.udp_query(port, "example.test", 6, timeout=0.3) is None
