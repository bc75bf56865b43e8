"""`senderkit verify` end to end against a real NSD on 127.0.0.1: a
message signed by senderkit's own DKIM (`dkim keygen` + `dkim sign`, the
key published in a zone written here), sent from an IP inside and one
outside the SPF record, with good, missing and misaligned DMARC records
(misaligned: DKIM d= another domain and MAIL FROM mktomail.com, as
Marketo's shared return-path does).  The exact Authentication-Results
lines are asserted, plus several-From and no-From messages and
List-Unsubscribe readiness."""

import os
import re

import pytest

import nsdharness
from conftest import ZONES_DIR

GOOD = "verify.test"          # SPF 192.0.2.0/24, DMARC p=reject
NODMARC = "nodmarc-verify.test"  # SPF, no DMARC anywhere
ESP = "esp-verify.test"       # a third-party signer, no DMARC
TESTING = "t-verify.test"     # DMARC p=reject; t=y
INSIDE = "192.0.2.10"
OUTSIDE = "198.51.100.7"
RECV = "mx.receiver.test"


def zone_text(domain, extra):
    return ("$ORIGIN %s.\n$TTL 300\n"
            "@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300\n"
            "@ IN NS ns.%s.\nns IN A 127.0.0.1\n"
            "@ IN A 192.0.2.1\n"
            "@ IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n%s"
            % (domain, domain, domain, domain, extra))


@pytest.fixture(scope="module")
def env(sk, tmp_path_factory):
    if not nsdharness.nsd_available():
        pytest.skip("nsd is not installed")
    tmp = str(tmp_path_factory.mktemp("verify"))
    keys = {}
    zones = []
    for dom, dmarc in ((GOOD, "v=DMARC1; p=reject"), (NODMARC, None),
                       (ESP, None), (TESTING, "v=DMARC1; p=reject; t=y")):
        r = sk("dkim", "keygen", "--domain", dom, "--selector", "sel",
               "--type", "ed25519", "--out", tmp, "--json")
        assert r.rc == 0, r
        keys[dom] = r.json["key_file"]
        extra = r.json["zone_line"] + "\n"
        if dmarc:
            extra += "_dmarc IN TXT \"%s\"\n" % dmarc
        path = os.path.join(tmp, dom + ".zone")
        with open(path, "w") as f:
            f.write(zone_text(dom, extra))
        zones.append(path)
    # The tree walk reaches _dmarc.test and _dmarc.com: serve those
    # parents too (empty), so they answer NXDOMAIN rather than REFUSED.
    for top in ("test", "com"):
        path = os.path.join(tmp, top + ".zone")
        with open(path, "w") as f:
            f.write("$ORIGIN %s.\n$TTL 300\n@ IN SOA ns.%s. h.%s. 1 3600 "
                    "600 86400 300\n@ IN NS ns.%s.\nns IN A 127.0.0.1\n"
                    % (top, top, top, top))
        zones.append(path)
    zones.append(os.path.join(ZONES_DIR, "mktomail.com.zone"))
    server = nsdharness.NSD(zones)
    server.start()
    try:
        yield {"tmp": tmp, "keys": keys, "nsd": server, "n": [0]}
    finally:
        server.stop()


def message(env, frm, extra=""):
    env["n"][0] += 1
    path = os.path.join(env["tmp"], "m%d.eml" % env["n"][0])
    with open(path, "w", newline="") as f:
        f.write("%sTo: rcpt@example.net\r\nSubject: test %d\r\n"
                "Message-ID: <%d@verify.test>\r\n%s\r\nHello.\r\n"
                % (frm, env["n"][0], env["n"][0], extra))
    return path


def sign(sk, env, path, domain):
    r = sk("dkim", "sign", "--domain", domain, "--selector", "sel",
           "--key", env["keys"][domain], path)
    assert r.rc == 0, r
    out = path + ".signed"
    with open(out, "w", newline="") as f:
        f.write(r.out)
    b = re.search(r"\bb=([A-Za-z0-9+/=\s]+)", r.out.split("\n\n")[0]
                  .split("\r\n\r\n")[0].replace("bh=", "BH="))
    prefix = re.sub(r"\s", "", b.group(1))[:8]
    return out, prefix


def verify(sk, env, path, ip, mail_from, *extra):
    r = sk("verify", path, "--ip", ip, "--mail-from", mail_from,
           "--helo", "client.test", "--receiver", RECV,
           "--server", env["nsd"].server, "--json", *extra)
    return r


def bval(prefix):
    if re.fullmatch(r"[A-Za-z0-9+\-._]+", prefix):
        return prefix
    return '"%s"' % prefix


def test_good_inside(sk, env):
    m, b = sign(sk, env, message(env, "From: Alice <alice@%s>\r\n" % GOOD),
                GOOD)
    r = verify(sk, env, m, INSIDE, "bounce@" + GOOD)
    assert r.rc == 0, r
    assert r.json["authentication_results"] == (
        "Authentication-Results: %s; spf=pass smtp.mailfrom=%s; "
        "dkim=pass header.d=%s header.s=sel header.b=%s; "
        "dmarc=pass (p=reject dis=none) header.from=%s"
        % (RECV, GOOD, GOOD, bval(b), GOOD))
    assert r.json["dmarc"]["authors"][0]["spf_aligned"] is True


def test_good_outside_dkim_saves(sk, env):
    m, b = sign(sk, env, message(env, "From: alice@%s\r\n" % GOOD), GOOD)
    r = verify(sk, env, m, OUTSIDE, "bounce@" + GOOD)
    assert r.rc == 0, r
    assert r.json["authentication_results"] == (
        "Authentication-Results: %s; spf=fail smtp.mailfrom=%s; "
        "dkim=pass header.d=%s header.s=sel header.b=%s; "
        "dmarc=pass (p=reject dis=none) header.from=%s"
        % (RECV, GOOD, GOOD, bval(b), GOOD))


def test_unsigned_outside_fails(sk, env):
    m = message(env, "From: alice@%s\r\n" % GOOD)
    r = verify(sk, env, m, OUTSIDE, "bounce@" + GOOD)
    assert r.rc == 1, r
    assert r.json["authentication_results"] == (
        "Authentication-Results: %s; spf=fail smtp.mailfrom=%s; "
        "dkim=none; dmarc=fail (p=reject dis=reject) header.from=%s"
        % (RECV, GOOD, GOOD))
    assert r.json["dmarc"]["disposition"] == "reject"


def test_missing_dmarc(sk, env):
    m, b = sign(sk, env, message(env, "From: bob@%s\r\n" % NODMARC),
                NODMARC)
    r = verify(sk, env, m, INSIDE, "bob@" + NODMARC)
    assert r.rc == 1, r
    assert r.json["authentication_results"] == (
        "Authentication-Results: %s; spf=pass smtp.mailfrom=%s; "
        "dkim=pass header.d=%s header.s=sel header.b=%s; "
        "dmarc=none header.from=%s" % (RECV, NODMARC, NODMARC, bval(b),
                                       NODMARC))
    assert r.json["readiness"]["dmarc_published"] is False


def test_misaligned_marketo(sk, env):
    # DKIM d= a third party, MAIL FROM mktomail.com: both authenticate,
    # neither aligns with the From domain.
    m, b = sign(sk, env, message(env, "From: news@%s\r\n" % GOOD), ESP)
    r = verify(sk, env, m, "199.15.212.10", "bounce-1@mktomail.com")
    assert r.rc == 1, r
    assert r.json["authentication_results"] == (
        "Authentication-Results: %s; spf=pass smtp.mailfrom=mktomail.com;"
        " dkim=pass header.d=%s header.s=sel header.b=%s; "
        "dmarc=fail (p=reject dis=reject) header.from=%s"
        % (RECV, ESP, bval(b), GOOD))
    a = r.json["dmarc"]["authors"][0]
    assert a["spf_aligned"] is False and a["dkim"][0]["aligned"] is False


def test_testing_mode(sk, env):
    m = message(env, "From: x@%s\r\n" % TESTING)
    r = verify(sk, env, m, OUTSIDE, "x@" + TESTING)
    assert r.rc == 1, r
    assert r.json["authentication_results"].endswith(
        "dmarc=fail (p=reject dis=quarantine t=y) header.from=%s"
        % TESTING)


def test_text_output_folded(sk, env):
    m, b = sign(sk, env, message(env, "From: alice@%s\r\n" % GOOD), GOOD)
    r = sk("verify", m, "--ip", INSIDE, "--mail-from", "a@" + GOOD,
           "--receiver", RECV, "--server", env["nsd"].server)
    assert r.rc == 0, r
    lines = r.out.split("\n")
    assert lines[0].startswith("Authentication-Results: %s;" % RECV)
    assert all(len(x) <= 78 for x in lines[:3])
    assert lines[1].startswith("\t")
    assert "DMARC: pass" in r.out
    assert "Bulk-sender readiness" in r.out


def test_several_from(sk, env):
    # CVE-2019-16378 class: a good domain first, a spoofed one after.
    m, b = sign(sk, env, message(
        env, "From: alice@%s, ceo@%s\r\n" % (NODMARC, GOOD)), NODMARC)
    r = verify(sk, env, m, INSIDE, "bounce@" + NODMARC)
    assert r.rc == 1, r
    assert r.json["dmarc"]["result"] == "fail"
    assert r.json["dmarc"]["header_from"] == GOOD
    assert len(r.json["dmarc"]["authors"]) == 2
    # Two From fields.
    m = message(env, "From: a@%s\r\nFrom: b@%s\r\n" % (GOOD, NODMARC))
    r = verify(sk, env, m, INSIDE, "bounce@" + GOOD)
    assert r.json["dmarc"]["result"] == "none", r
    assert any("2 From header fields" in x
               for x in r.json["dmarc"]["reasons"])


def test_no_from_and_bad_from(sk, env):
    m = message(env, "")
    r = verify(sk, env, m, INSIDE, "bounce@" + GOOD)
    assert r.rc == 1, r
    assert r.json["authentication_results"] == (
        "Authentication-Results: %s; spf=pass smtp.mailfrom=%s; "
        "dkim=none; dmarc=permerror" % (RECV, GOOD))
    m = message(env, "From: <a@%s>>\r\n" % GOOD)
    r = verify(sk, env, m, INSIDE, "bounce@" + GOOD)
    assert r.rc == 1, r
    assert r.json["dmarc"]["result"] == "permerror"


LU = ("List-Unsubscribe: <https://%s/u/1>, <mailto:u@%s>\r\n"
      "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" % (GOOD, GOOD))


def test_readiness(sk, env):
    m, b = sign(sk, env, message(env, "From: a@%s\r\n" % GOOD, LU), GOOD)
    r = verify(sk, env, m, INSIDE, "bounce@" + GOOD)
    assert r.rc == 0, r
    assert r.json["readiness"] == {
        "spf_pass": True, "dkim_pass": True, "dmarc_published": True,
        "dmarc_pass": True, "list_unsubscribe_https": True,
        "one_click_post": True, "unsubscribe_signed": True, "ready": True}
    # Signed by a non-aligned domain only: not covered.
    m, b = sign(sk, env, message(env, "From: a@%s\r\n" % GOOD, LU), ESP)
    r = verify(sk, env, m, INSIDE, "bounce@" + GOOD)
    assert r.json["readiness"]["unsubscribe_signed"] is False
    assert r.json["readiness"]["ready"] is False
    # mailto only, no Post header.
    m, b = sign(sk, env, message(
        env, "From: a@%s\r\n" % GOOD,
        "List-Unsubscribe: <mailto:u@%s>\r\n" % GOOD), GOOD)
    r = verify(sk, env, m, INSIDE, "bounce@" + GOOD)
    rd = r.json["readiness"]
    assert rd["list_unsubscribe_https"] is False
    assert rd["one_click_post"] is False and rd["ready"] is False


def test_usage(sk, env):
    r = sk("verify", "--mail-from", "a@b.test")
    assert r.rc == 2
    r = sk("verify", "--ip", INSIDE, "--mail-from", "a@b.test",
           "--rules", "rfc1234")
    assert r.rc == 2
