"""`senderkit https check` against a real nginx on 127.0.0.1 with
certificates from a test CA made per session (nginxharness.py), and a real
NSD (https_zones/) answering the CAA questions.

Hosts (all reached through --connect-to; nothing leaves loopback):
    good.example         parent: valid, HSTS max-age=1y; includeSubDomains;
                         preload, http -> https
    plain.example        parent: valid, HSTS max-age=300 only
    go.good.example      valid                em.good.example    expired
    soon.good.example    expires in 9 days    wrong.good.example wrong name
    self.good.example    self-signed          self.plain.example self-signed
    caa.good.example     valid, own CAA set   nohttps.*          no listener
    badhsts.plain.example  valid, malformed HSTS
    lock.plain.example     self-signed, sends HSTS
"""

import json
import os
import re
import subprocess

import pytest

import nginxharness
import nsdharness

HERE = os.path.dirname(os.path.abspath(__file__))
ZONES = [os.path.join(HERE, "https_zones", f)
         for f in ("good.example.zone", "plain.example.zone")]
FULL = "max-age=31536000; includeSubDomains; preload"
MAX_CONNECT_TO = 16  # SK_HTTPS_MAX_CONNECT_TO (include/senderkit/https.h)

SITES = [
    {"name": "good.example", "cert": "valid", "hsts": FULL,
     "http": "redirect"},
    {"name": "plain.example", "cert": "valid", "hsts": "max-age=300"},
    {"name": "go.good.example", "cert": "valid", "http": "redirect"},
    {"name": "em.good.example", "cert": "expired"},
    {"name": "soon.good.example", "cert": "soon", "http": "redirect"},
    {"name": "wrong.good.example", "cert": "wrong"},
    {"name": "self.good.example", "cert": "self"},
    {"name": "self.plain.example", "cert": "self"},
    {"name": "caa.good.example", "cert": "valid", "http": "redirect"},
    {"name": "go.plain.example", "cert": "valid"},
    {"name": "badhsts.plain.example", "cert": "valid",
     "hsts": "max-age=1; max-age=2"},
    {"name": "lock.plain.example", "cert": "self", "hsts": "max-age=600"},
]


@pytest.fixture(scope="module")
def ng():
    if not nginxharness.nginx_available():
        pytest.skip("nginx is not installed")
    with nginxharness.NginxHTTPS(SITES) as n:
        yield n


@pytest.fixture(scope="module")
def dns():
    with nsdharness.NSD(ZONES) as n:
        yield n


@pytest.fixture(scope="module")
def closed_port():
    return nginxharness.free_port()


def check(sk, ng, dns, closed_port, host, *extra, role="tracking"):
    args = ["https", "check", host, "--json", "--ca-file", ng.ca_file,
            "--server", dns.server, "--role", role,
            "--connect-to", "nohttps.good.example:443:127.0.0.1:%d"
            % closed_port,
            "--connect-to", "nohttps.plain.example:443:127.0.0.1:%d"
            % closed_port]
    for m in ng.connect_to():
        args += ["--connect-to", m]
    r = sk(*(args + list(extra)))
    assert r.rc in (0, 1), r
    return r, r.json


def by_id(doc):
    return {c["id"]: c for c in doc["checks"]}


def fails(doc):
    return sorted("%s:%s" % (c["id"], c["severity"]) for c in doc["checks"]
                  if c["status"] == "fail")


def test_valid_certificate(sk, ng, dns, closed_port):
    r, doc = check(sk, ng, dns, closed_port, "go.good.example",
                   "--caa-allow", "letsencrypt.org")
    assert r.rc == 0, r
    assert fails(doc) == [], r
    c = by_id(doc)
    assert [x["id"] for x in doc["checks"]] == [
        "https-available", "https-cert-trusted", "https-cert-name",
        "https-cert-expiry", "https-http", "hsts-host", "hsts-parent",
        "hsts-preload", "caa-issuer"], r
    assert all(x["status"] == "pass" for x in doc["checks"]), r
    assert c["hsts-parent"]["message"].startswith(
        "parent domain sends HSTS with includeSubDomains: tracking links "
        "on this host need Secured Domains for Tracking Links"), r
    p = doc["probe"]
    assert p["tls"] and p["trusted"] and p["name_ok"], r
    assert p["names"] == "go.good.example", r
    assert 363 <= p["days_left"] <= 365, r
    assert p["http_status"] == 301 and p["http_to_https"], r
    par = doc["parent"]
    assert par["host"] == "good.example", r
    assert par["hsts"] == {"header": FULL, "valid": True,
                           "max_age": 31536000, "include_subdomains": True,
                           "preload": True}, r
    assert "meets the preload requirements" in c["hsts-preload"]["evidence"]
    assert doc["caa"]["owner"] == "good.example", r
    assert doc["caa"]["issuers"] == "letsencrypt.org", r


def test_expired(sk, ng, dns, closed_port):
    r, doc = check(sk, ng, dns, closed_port, "em.good.example")
    assert r.rc == 1, r
    assert fails(doc) == ["caa-issuer:info", "hsts-parent:error",
                          "hsts-preload:error", "https-cert-expiry:error",
                          "https-http:info"], r
    c = by_id(doc)
    assert c["https-cert-expiry"]["message"] == \
        "certificate of em.good.example expired 10 days ago", r
    # Expired is not also reported as untrusted.
    assert c["https-cert-trusted"]["status"] == "pass", r
    assert c["hsts-parent"]["message"] == (
        "parent domain sends HSTS with includeSubDomains: tracking links on "
        "this host need Secured Domains for Tracking Links (browsers refuse "
        "em.good.example without a valid certificate)"), r


def test_expires_soon(sk, ng, dns, closed_port):
    r, doc = check(sk, ng, dns, closed_port, "soon.good.example",
                   "--caa-allow", "letsencrypt.org")
    assert r.rc == 0, r
    assert fails(doc) == ["https-cert-expiry:warning"], r
    assert by_id(doc)["https-cert-expiry"]["message"] == \
        "certificate expires in 9 days", r


def test_wrong_name(sk, ng, dns, closed_port):
    r, doc = check(sk, ng, dns, closed_port, "wrong.good.example",
                   "--caa-allow", "letsencrypt.org", role="landing")
    assert r.rc == 1, r
    assert fails(doc) == ["hsts-parent:error", "hsts-preload:error",
                          "https-cert-name:error", "https-http:info"], r
    c = by_id(doc)
    assert c["https-cert-name"]["message"] == \
        "certificate does not cover wrong.good.example", r
    assert "other.invalid" in c["https-cert-name"]["evidence"], r
    assert "landing pages on this host need Secured Domains for Landing " \
        "Pages" in c["hsts-parent"]["message"], r


def test_self_signed(sk, ng, dns, closed_port):
    r, doc = check(sk, ng, dns, closed_port, "self.good.example",
                   "--caa-allow", "letsencrypt.org")
    assert r.rc == 1, r
    assert fails(doc) == ["hsts-parent:error", "hsts-preload:error",
                          "https-cert-trusted:error", "https-http:info"], r
    assert by_id(doc)["https-cert-trusted"]["message"] == \
        "the certificate of self.good.example is self-signed: browsers " \
        "refuse it", r
    assert doc["probe"]["self_signed"] is True, r


def test_parent_hsts_without_subdomains(sk, ng, dns, closed_port):
    r, doc = check(sk, ng, dns, closed_port, "self.plain.example")
    assert r.rc == 1, r
    # Only the certificate fails: the parent's HSTS does not cover it.
    assert fails(doc) == ["https-cert-trusted:error", "https-http:info"], r
    c = by_id(doc)
    assert c["hsts-parent"]["status"] == "pass", r
    assert c["hsts-parent"]["message"] == (
        "parent domain plain.example sends HSTS without includeSubDomains: "
        "self.plain.example is not forced to HTTPS"), r
    assert c["hsts-preload"]["status"] == "pass", r
    assert doc["parent"]["hsts"]["max_age"] == 300, r
    # CAA without an issue property restricts nothing.
    assert c["caa-issuer"]["status"] == "pass", r
    assert "no issue property" in c["caa-issuer"]["message"], r


def test_no_https_under_hsts_parent(sk, ng, dns, closed_port):
    r, doc = check(sk, ng, dns, closed_port, "nohttps.good.example",
                   "--caa-allow", "letsencrypt.org")
    assert r.rc == 1, r
    assert fails(doc) == ["hsts-parent:error", "hsts-preload:error",
                          "https-available:warning"], r
    c = by_id(doc)
    assert c["https-available"]["message"] == \
        "no HTTPS on nohttps.good.example: tracking links are HTTP-only", r
    assert "Connection refused" in c["https-available"]["evidence"], r
    for i in ("https-cert-trusted", "https-cert-name", "https-cert-expiry"):
        assert c[i]["status"] == "skip", r


def test_no_https_plain_parent(sk, ng, dns, closed_port):
    r, doc = check(sk, ng, dns, closed_port, "nohttps.plain.example")
    assert r.rc == 0, r
    assert fails(doc) == ["https-available:warning"], r


def test_hsts_on_host(sk, ng, dns, closed_port):
    r, doc = check(sk, ng, dns, closed_port, "badhsts.plain.example")
    assert fails(doc) == ["hsts-host:warning", "https-http:info"], r
    assert by_id(doc)["hsts-host"]["message"].startswith(
        "malformed HSTS header, ignored by browsers: max-age appears twice"), r
    r, doc = check(sk, ng, dns, closed_port, "lock.plain.example")
    assert r.rc == 1, r
    assert fails(doc) == ["hsts-host:error", "https-cert-trusted:error",
                          "https-http:info"], r
    assert by_id(doc)["hsts-host"]["evidence"] == \
        "Strict-Transport-Security: max-age=600", r


def test_caa(sk, ng, dns, closed_port):
    r, doc = check(sk, ng, dns, closed_port, "caa.good.example",
                   "--caa-allow", "letsencrypt.org")
    assert r.rc == 1, r
    assert fails(doc) == ["caa-issuer:error"], r
    c = by_id(doc)["caa-issuer"]
    assert c["message"] == (
        "CAA at caa.good.example does not allow the provider's certificate "
        "authority (letsencrypt.org): its certificates for caa.good.example "
        "cannot be issued"), r
    assert c["fix"] == 'caa.good.example. IN CAA 0 issue "letsencrypt.org"'
    # No CA in the profile (Marketo today): show the set, ask to confirm.
    r, doc = check(sk, ng, dns, closed_port, "go.good.example")
    assert fails(doc) == ["caa-issuer:info"], r
    assert by_id(doc)["caa-issuer"]["message"] == (
        "CAA at good.example allows only letsencrypt.org: confirm with the "
        "provider that its certificate authority is among them"), r


def test_preload_list(sk, ng, dns, closed_port, tmp_path):
    pl = tmp_path / "preload.json"
    pl.write_text("// Chromium's format\n{\n  \"entries\": [\n"
                  "    // comment\n"
                  "    {\"name\": \"plain.example\", \"policy\": \"custom\","
                  " \"mode\": \"force-https\", \"include_subdomains\": true}"
                  "\n  ]\n}\n")
    r, doc = check(sk, ng, dns, closed_port, "self.plain.example",
                   "--hsts-preload", str(pl))
    assert fails(doc) == ["hsts-preload:error", "https-cert-trusted:error",
                          "https-http:info"], r
    assert by_id(doc)["hsts-preload"]["message"] == (
        "self.plain.example is HSTS-preloaded through plain.example but has "
        "no valid certificate: tracking links on it fail in browsers"), r
    bad = tmp_path / "bad.json"
    bad.write_text("{ \"entries\": 3 }")
    r = sk("https", "check", "go.plain.example", "--server", dns.server,
           "--hsts-preload", str(bad))
    assert r.rc == 2 and "entries" in r.err, r


def test_text_output(sk, ng, dns, closed_port):
    args = ["https", "check", "em.good.example", "--ca-file", ng.ca_file,
            "--server", dns.server]
    for m in ng.connect_to():
        args += ["--connect-to", m]
    r = sk(*args)
    assert r.rc == 1, r
    assert any(ln.startswith("ERROR   https-cert-expiry  certificate of "
                             "em.good.example expired 10 days ago")
               for ln in r.lines), r
    assert any(ln.strip().startswith("fix: ") for ln in r.lines), r


def test_offline_zone_mode(sk):
    r = sk("https", "check", "caa.good.example", "--json", "--zone",
           ZONES[0], "--caa-allow", "letsencrypt.org")
    assert r.rc == 1, r
    doc = r.json
    c = by_id(doc)
    for i in ("https-available", "https-cert-trusted", "hsts-parent"):
        assert c[i]["status"] == "skip", r
    assert c["caa-issuer"]["status"] == "fail", r
    assert doc["probe"]["probed"] is False, r


def test_usage_errors(sk):
    r = sk("https", "check", "go.good.example", "--zone", ZONES[0],
           "--connect-to", "nonsense")
    assert r.rc == 2 and "connect-to" in r.err, r
    r = sk("https", "check", "--zone", ZONES[0])
    assert r.rc == 2, r
    r = sk("https", "check", "go.good.example", "--zone", ZONES[0],
           "--role", "blog")
    assert r.rc == 2, r


AUDIT_CONF = """[organization]
name = HTTPS test
profile = marketo
[provider]
munchkin_id = 123-ABC-456
account_string = good
default_branding_domain = mkto-a0244.com
[hosts]
landing_host = go.good.example
tracking_host = em.good.example
[domain good.example]
"""


def test_audit_https_group(sk, ng, dns, tmp_path):
    conf = tmp_path / "org.conf"
    conf.write_text(AUDIT_CONF)
    args = ["audit", "--config", str(conf), "--json", "--server",
            dns.server, "--no-spf-drift", "--ca-file", ng.ca_file]
    for m in ng.connect_to():
        args += ["--connect-to", m]
    r = sk(*args, timeout=120)
    doc = r.json
    https = [c for c in doc["checks"] if c["group"] == "https"]
    subjects = sorted({c["subject"] for c in https})
    # Only the branded hosts, never good.mktoweb.com (F3.3).
    assert subjects == ["em.good.example", "go.good.example"], r
    f = sorted("%s %s:%s" % (c["subject"], c["id"], c["severity"])
               for c in https if c["status"] == "fail")
    assert f == ["em.good.example caa-issuer:info",
                 "em.good.example hsts-parent:error",
                 "em.good.example hsts-preload:error",
                 "em.good.example https-cert-expiry:error",
                 "em.good.example https-http:info",
                 "go.good.example caa-issuer:info"], r
    # The same live audit with --https: the same group (--https only
    # matters offline).
    # The days left on a certificate may tick over between the two runs
    # (it was made seconds ago with exactly 365 days): that message is
    # compared without its number.
    def stable(checks):
        return [dict(c, message=re.sub(r"\d+ more days", "N more days",
                                       c["message"]))
                for c in checks if c["group"] == "https"]

    r2 = sk(*(args + ["--https"]), timeout=120)
    assert stable(r2.json["checks"]) == stable(doc["checks"]), r2
    # --no-https: the group is absent, nothing probed.
    r = sk("audit", "--config", str(conf), "--json", "--server",
           dns.server, "--no-spf-drift", "--no-https", timeout=120)
    assert r.rc in (0, 1), r
    assert not [c for c in r.json["checks"] if c["group"] == "https"], r
    # Zone files (offline): no HTTPS checks by default...
    r = sk("audit", "--config", str(conf), "--json", "--no-spf-drift",
           "--zone", ZONES[0], timeout=120)
    assert r.rc in (0, 1), r
    assert not [c for c in r.json["checks"] if c["group"] == "https"], r
    # ...and with --https, CAA only: every probe check SKIPs, for both
    # hosts, even with connect-to mappings to the live nginx.
    zargs = ["audit", "--config", str(conf), "--json", "--https",
             "--no-spf-drift", "--zone", ZONES[0], "--ca-file", ng.ca_file]
    for m in ng.connect_to():
        zargs += ["--connect-to", m]
    r = sk(*zargs, timeout=120)
    https = {(c["subject"], c["id"]): c["status"]
             for c in r.json["checks"] if c["group"] == "https"}
    for h in ("go.good.example", "em.good.example"):
        for i in ("https-available", "https-cert-trusted",
                  "https-cert-expiry", "hsts-parent"):
            assert https[(h, i)] == "skip", (h, i, r)
    assert https[("go.good.example", "caa-issuer")] == "fail", r


@pytest.mark.parametrize("extra", [
    ["--https"], ["--connect-to", "go.good.example:443:127.0.0.1:1"],
    ["--ca-file", "ca.pem"], ["--hsts-preload", "preload.json"]])
def test_audit_no_https_excludes_https_options(sk, extra):
    r = sk("audit", "--config", "org.conf", "--no-https",
           "--zone", ZONES[0], *extra)
    assert r.rc == 2 and "--no-https" in r.err, r
    assert r.out == "", r


def test_audit_bad_preload_list_is_a_usage_error(sk, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{ \"entries\": 3 }")
    r = sk("audit", "--config", "org.conf", "--zone", ZONES[0],
           "--hsts-preload", str(bad))
    assert r.rc == 2 and "entries" in r.err, r
    assert r.out == "", r


@pytest.mark.parametrize("cmd", [
    ["audit", "--config", "org.conf"], ["https", "check", "go.example"]])
def test_too_many_connect_to(sk, cmd):
    many = []
    for i in range(MAX_CONNECT_TO + 1):
        many += ["--connect-to", "h%d.example:443:127.0.0.1:1" % i]
    r = sk(*cmd, "--zone", ZONES[0], *many)
    assert r.rc == 2 and "too many --connect-to" in r.err, r
    r = sk(*cmd, "--zone", ZONES[0], *many[:-2], "--help")
    assert r.rc == 0, r


def test_audit_help_names_no_https(sk):
    r = sk("audit", "--help")
    assert r.rc == 0 and "--no-https" in r.out, r
