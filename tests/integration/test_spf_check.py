"""`senderkit spf check` against NSD (live backend, UDP + TCP) and against
the same zones as files; exact results, mechanisms and counts."""

import time

import pytest

import nsdharness
from cases import CASES, SERVER_ONLY, ZONE_ONLY, EXPLANATION, exit_code


@pytest.fixture(params=["server", "zone"])
def backend(request, nsd, zone_args):
    if request.param == "server":
        return ["--server", nsd.server]
    return zone_args


def check(sk, backend, ip, mail_from, *extra):
    return sk("spf", "check", "--ip", ip, "--mail-from", mail_from,
              *backend, *extra)


def assert_case(r, c):
    assert r.rc == exit_code(c.result), r
    j = r.json
    assert j["result"] == c.result, r
    assert j.get("mechanism") == c.mechanism, r
    assert j.get("mechanism_domain") == c.domain, r
    assert j["lookups"] == c.lookups, r
    if c.voids is not None:
        assert j["void_lookups"] == c.voids, r
    if c.result in ("none", "permerror", "temperror"):
        assert j.get("problem"), r


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_check_json(sk, backend, c):
    assert_case(check(sk, backend, c.ip, c.mail_from, "--json"), c)


@pytest.mark.parametrize("c", SERVER_ONLY, ids=[c.id for c in SERVER_ONLY])
def test_check_server_only(sk, nsd, c):
    assert_case(check(sk, ["--server", nsd.server], c.ip, c.mail_from,
                      "--json"), c)


@pytest.mark.parametrize("c", ZONE_ONLY, ids=[c.id for c in ZONE_ONLY])
def test_check_zone_only(sk, zone_args, c):
    assert_case(check(sk, zone_args, c.ip, c.mail_from, "--json"), c)


@pytest.mark.parametrize("c", [c for c in CASES if c.id in (
    "good-ip4", "good-softfail", "two-records", "cname-loop", "no-all")],
    ids=lambda c: c.id)
def test_check_text_first_line_is_result(sk, backend, c):
    r = check(sk, backend, c.ip, c.mail_from)
    assert r.rc == exit_code(c.result), r
    assert r.lines[0] == c.result, r


def test_problem_texts(sk, backend):
    j = check(sk, backend, "198.51.100.99", "u@deep.cases.test",
              "--json").json
    assert "10" in j["problem"] and "4.6.4" in j["problem"], j
    j = check(sk, backend, "192.0.2.1", "u@two.cases.test", "--json").json
    assert "4.5" in j["problem"], j
    j = check(sk, backend, "192.0.2.1", "u@loop.cases.test", "--json").json
    assert "loop" in j["problem"].lower(), j


def test_exp_explanation(sk, backend):
    r = check(sk, backend, "198.51.100.3", "bob@exp.cases.test", "--json")
    assert r.rc == 0, r
    j = r.json
    assert (j["result"], j["mechanism"], j["mechanism_domain"]) == (
        "fail", "-all", "exp.cases.test"), r
    assert j["explanation"] == EXPLANATION, r
    assert j["lookups"] == 0, r
    # pass: no explanation
    j = check(sk, backend, "192.0.2.3", "bob@exp.cases.test", "--json").json
    assert j["result"] == "pass" and not j.get("explanation"), j


def test_default_explanation_names_ip_and_domain(sk, backend):
    j = check(sk, backend, "192.0.2.56", "u@cname.cases.test", "--json").json
    assert j["result"] == "fail", j
    assert "192.0.2.56" in j["explanation"], j


def test_helo_identity_with_null_sender(sk, backend):
    # 2.4: null MAIL FROM -> postmaster@<helo> is checked
    r = sk("spf", "check", "--ip", "192.0.2.25", "--mail-from", "",
           "--helo", "mail.example.test", "--json", *backend)
    assert r.rc == 0, r
    j = r.json
    assert (j["result"], j["mechanism"], j["mechanism_domain"],
            j["lookups"]) == ("pass", "a", "mail.example.test", 1), r
    assert j["domain"] == "mail.example.test", r
    r = sk("spf", "check", "--ip", "192.0.2.26", "--mail-from", "",
           "--helo", "mail.example.test", "--json", *backend)
    assert r.json["result"] == "fail", r


def test_received_spf(sk, backend):
    r = check(sk, backend, "192.0.2.25", "u@example.test", "--received-spf")
    assert r.rc == 0 and r.lines[0] == "pass", r
    hdr = [ln for ln in r.lines if ln.startswith("Received-SPF:")]
    assert len(hdr) == 1, r
    h = hdr[0]
    assert h.startswith("Received-SPF: pass ("), r
    assert "client-ip=192.0.2.25;" in h, r
    assert 'envelope-from="u@example.test"' in h, r
    assert "identity=mailfrom" in h, r


def test_big_record_through_tcp(sk, nsd):
    # The answer is 1.5 kB: NSD sets TC over UDP; only TCP gets it whole.
    r = check(sk, ["--server", nsd.server], "192.0.2.77",
              "u@big.cases.test", "--json")
    assert r.rc == 0, r
    assert (r.json["result"], r.json["mechanism"]) == (
        "pass", "ip4:192.0.2.77"), r


def test_tempfail_no_server_is_quick(sk):
    port = nsdharness.free_port()
    t = time.monotonic()
    r = sk("spf", "check", "--ip", "192.0.2.1", "--mail-from",
           "u@example.test", "--server", "127.0.0.1:%d" % port,
           "--timeout", "300", "--json", timeout=30)
    elapsed = time.monotonic() - t
    assert r.rc == 3, r
    assert r.json["result"] == "temperror", r
    assert r.json.get("problem"), r
    assert elapsed < 5, "took %.1fs" % elapsed


@pytest.mark.parametrize("args", [
    ["--ip", "garbage", "--mail-from", "u@example.test"],
    ["--ip", "192.0.2.300", "--mail-from", "u@example.test"],
    ["--ip", "2001:db8:::1", "--mail-from", "u@example.test"],
    ["--mail-from", "u@example.test"],                 # no --ip
    ["--ip", "192.0.2.1", "--mail-from", "u@example.test", "--bogus"],
])
def test_bad_input_exit_2(sk, zone_args, args):
    r = sk("spf", "check", *args, *zone_args)
    assert r.rc == 2, r
    assert r.out == "", r
    assert r.err.startswith("senderkit: "), r
