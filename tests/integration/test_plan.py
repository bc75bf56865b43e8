"""`senderkit plan` against a real Knot DNS on loopback.

The zone plan_zones/acme.example.zone is the example organization half set
up (see its header).  The plan is rendered for nsupdate(1), applied to
Knot with dynamic updates (RFC 2136), and planned again: the second plan
must keep everything (an empty nsupdate script, every JSON record "keep").
The other zones Knot serves (mktomail.com, google.com, mktoweb.com, ...)
are the example's own, from examples/acme/zones.

Needs knotd (Debian package knot) and nsupdate (bind9-dnsutils); skipped
without them.  Every senderkit run names --server 127.0.0.1:PORT or no DNS
at all: the system resolver is never used.
"""

import os
import shutil
import subprocess

import pytest

import knotharness

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CONF = os.path.join(TOP, "examples", "acme", "acme.conf")
EXAMPLE_ZONES = os.path.join(TOP, "examples", "acme", "zones")
NSUPDATE = "/usr/bin/nsupdate"

ZONES = [os.path.join(HERE, "plan_zones", "acme.example.zone")] + [
    os.path.join(EXAMPLE_ZONES, z + ".zone")
    for z in ("mktomail.com", "google.com", "mktoweb.com", "mkto-a0244.com",
              "dmarcvendor.example", "example")]

KEY1 = open(os.path.join(TOP, "examples", "acme", "keys",
                         "mkto1.acme.example.txt")).read()


def key_record():
    """The DKIM key record of the example's key file, unquoted."""
    parts = KEY1.split('"')[1::2]
    return "".join(parts)


@pytest.fixture
def knot():
    if not knotharness.knot_available():
        pytest.skip("knot is not installed (./scripts/deps.sh installs it)")
    k = knotharness.Knot(ZONES)
    k.start()
    try:
        yield k
    finally:
        k.stop()


def plan(sk, *args, conf=CONF):
    return sk("plan", "--config", conf, *args)


def plan_json(sk, knot):
    r = plan(sk, "--server", knot.server, "--json")
    assert r.rc == 0, r
    j = r.json
    assert j["schema"] == "senderkit-plan/1", r
    return j


def records(j, **match):
    return [x for x in j["records"]
            if all(x[k] == v for k, v in match.items())]


def one(j, **match):
    found = records(j, **match)
    assert len(found) == 1, (match, j["records"])
    return found[0]


def apply(sk, knot, conf=CONF):
    r = plan(sk, "--server", knot.server, "--format", "nsupdate",
             "--nsupdate-server", knot.server, conf=conf)
    assert r.rc == 0, r
    assert r.out.startswith("server 127.0.0.1 %d\nzone acme.example.\n"
                            % knot.port), r
    p = subprocess.run([NSUPDATE, "-v"], input=r.out, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    assert p.returncode == 0, "nsupdate failed:\n%s\n%s\n%s" % (
        r.out, p.stdout, p.stderr)
    return r.out


def test_plan_diff_exact_records(sk, knot):
    j = plan_json(sk, knot)
    assert j["organization"] == "Acme Corporation"
    assert j["profile"] == "marketo"
    assert j["diff"] is True
    assert not [f for f in j["findings"] if f["severity"] == "error"], j
    assert {x["zone"] for x in j["records"]} == {"acme.example"}, j

    x = one(j, purpose="landing", name="go.acme.example")
    assert (x["action"], x["type"], x["rdata"], x["old_rdata"],
            x["value"]) == ("change", "CNAME", "acmecorp.mktoweb.com.",
                            "acme-old.mktoweb.com.", "acmecorp.mktoweb.com")

    trk = records(j, purpose="tracking", name="em.acme.example")
    assert sorted((x["action"], x["type"], x["rdata"], x["old_rdata"])
                  for x in trk) == [
        ("add", "CNAME", "mkto-a0244.com.", None),
        ("remove", "A", None, "192.0.2.99"),
        ("remove", "TXT", None, '"placeholder for the tracking host"'),
    ], trk

    x = one(j, purpose="spf", name="acme.example")
    assert x["action"] == "change", x
    assert x["rdata"] == ('"v=spf1 mx ip4:192.0.2.10 ip4:198.51.100.0/28 '
                          'include:_spf.google.com include:mktomail.com '
                          '~all"'), x
    assert x["old_rdata"] == '"v=spf1 mx ip4:192.0.2.10 ~all"', x
    # The guides ask for the include; the why says it does not help
    # DMARC on shared IPs (research F7.1, F7.3).
    assert "guides ask" in x["why"] and "Return-Path" in x["why"], x

    mx = records(j, purpose="mx", name="acme.example")
    assert sorted((x["action"], x["rdata"]) for x in mx) == [
        ("add", "20 mail2.acme.example."),
        ("keep", "10 mail.acme.example."),
    ], mx

    x = one(j, purpose="dkim", name="mkto1._domainkey.acme.example")
    assert (x["action"], x["type"], x["value"]) == ("add", "TXT",
                                                    key_record()), x
    assert all(len(s) <= 255 for s in x["rdata"].split('"')[1::2]), x

    x = one(j, purpose="dmarc", name="_dmarc.acme.example")
    assert (x["action"], x["rdata"]) == (
        "add", '"v=DMARC1; p=none; rua=mailto:dmarc@acme.example"'), x

    x = one(j, purpose="dmarc", name="_dmarc.news.acme.example")
    assert (x["action"], x["value"], x["old_rdata"]) == (
        "change", "v=DMARC1; p=none; fo=1; rua=mailto:dmarc@acme.example",
        '"v=DMARC1; p=quarantine; fo=1; rua=mailto:dmarc@acme.example"'), x

    spf = records(j, purpose="spf", name="news.acme.example")
    assert sorted((x["action"], x["rdata"] or x["old_rdata"])
                  for x in spf) == [
        ("keep", '"v=spf1 include:mktomail.com ~all"'),
        ("remove", '"v=spf1 include:old-esp.example ~all"'),
    ], spf

    # Nothing else: the unrelated apex TXT and the news MX are left alone
    # or kept.
    assert j["changes"] == 10, j
    assert len(j["records"]) == 13, j
    assert not j["findings"], j


def test_plan_zone_format(sk, knot):
    r = plan(sk, "--server", knot.server)
    assert r.rc == 0, r
    out = r.out
    assert "; ---- zone acme.example.\n" in out, r
    assert ("\ngo.acme.example. 3600 IN CNAME acmecorp.mktoweb.com.\n"
            in out), r
    assert ("; replaces: go.acme.example. IN CNAME acme-old.mktoweb.com.\n"
            in out), r
    assert "; delete: em.acme.example. IN A 192.0.2.99\n" in out, r
    assert "; acme.example. 3600 IN MX 10 mail.acme.example.\n" in out, r
    assert ("\n_dmarc.acme.example. 3600 IN TXT \"v=DMARC1; p=none; "
            "rua=mailto:dmarc@acme.example\"\n" in out), r
    # Every line is a comment, blank, or a record with a TTL.
    for ln in out.splitlines():
        assert (ln == "" or ln.startswith(";")
                or " 3600 IN " in ln), ln
    r = plan(sk, "--server", knot.server, "--no-keep")
    assert "10 mail.acme.example." not in r.out, r


def test_apply_then_plan_again_is_empty(sk, knot):
    if not os.access(NSUPDATE, os.X_OK):
        pytest.skip("nsupdate is not installed")
    script = apply(sk, knot)
    # Deletions come before additions: the CNAME goes in after the A.
    lines = script.splitlines()
    assert (lines.index("update delete em.acme.example. A 192.0.2.99")
            < lines.index("update add em.acme.example. 3600 CNAME "
                          "mkto-a0244.com.")), script

    r = plan(sk, "--server", knot.server, "--format", "nsupdate",
             "--nsupdate-server", knot.server)
    assert (r.rc, r.out) == (0, ""), r
    j = plan_json(sk, knot)
    assert j["changes"] == 0, j
    assert {x["action"] for x in j["records"]} == {"keep"}, j
    # What Knot serves now, through the library's own resolver.
    q = sk("dns", "query", "em.acme.example", "CNAME", "--server",
           knot.server)
    assert q.rc == 0 and "mkto-a0244.com." in q.out, q
    q = sk("dns", "query", "em.acme.example", "A", "--server", knot.server)
    assert "192.0.2.99" not in q.out, q


def config_with_news_dkim(sk, tmp_path):
    """examples/acme/acme.conf with a DKIM selector for news.acme.example
    too.  The example leaves it out on purpose (the audit demo shows the
    failure), and no DNS change can make up for a key the organization
    has not set up with the provider; with one, everything the audit
    checks is within the plan's reach."""
    keys = tmp_path / "keys"
    shutil.copytree(os.path.join(TOP, "examples", "acme", "keys"), keys)
    r = sk("dkim", "keygen", "--domain", "news.acme.example", "--selector",
           "mkto1", "--out", str(keys))
    assert r.rc == 0, r
    text = open(CONF).read()
    head = "[domain news.acme.example]\n"
    assert head in text
    text = text.replace(head, head + "dkim_selectors = mkto1\n"
                        "dkim_key.mkto1 = keys/mkto1.news.acme.example.key\n")
    conf = tmp_path / "acme.conf"
    conf.write_text(text)
    return str(conf)


def test_apply_then_audit_clean(sk, knot, tmp_path):
    """After the plan is applied, the audit finds no error-severity
    problem (needs `senderkit audit`, written alongside the plan)."""
    if not os.access(NSUPDATE, os.X_OK):
        pytest.skip("nsupdate is not installed")
    conf = config_with_news_dkim(sk, tmp_path)
    apply(sk, knot, conf=conf)
    # --ns-port: the zone's NS (ns1.acme.example, 127.0.0.1) is asked
    # directly for the DKIM selector; Knot listens on its test port.
    # --no-https: the hosts' targets are not on loopback (HTTPS probes run
    # by default live).
    r = sk("audit", "--config", conf, "--server", knot.server, "--ns-port",
           str(knot.port), "--json", "--no-https")
    assert r.rc in (0, 1), r
    j = r.json
    bad = []

    def walk(v):
        if isinstance(v, dict):
            if v.get("status") == "fail" and v.get("severity") == "error":
                bad.append(v)
            for w in v.values():
                walk(w)
        elif isinstance(v, list):
            for w in v:
                walk(w)
    walk(j)
    assert not bad, "\n".join("%s %s: %s" % (b.get("id"), b.get("subject"),
                                             b.get("message"))
                              for b in bad)
    assert r.rc == 0, r


def test_no_dns_every_record_added(sk):
    r = plan(sk, "--json")
    assert r.rc == 0, r
    j = r.json
    assert j["diff"] is False
    assert {x["action"] for x in j["records"]} == {"add"}, j
    assert j["changes"] == len(j["records"]) == 10, j


def test_dns_unreachable_exit_3(sk):
    port = knotharness.free_port()  # nothing listens there
    r = plan(sk, "--server", "127.0.0.1:%d" % port, "--timeout", "200",
             "--json")
    assert r.rc == 3, r
    ids = [f["id"] for f in r.json["findings"]]
    assert "plan-dns-unreachable" in ids, r


def test_config_error_exit_2(sk, tmp_path):
    text = open(CONF).read().replace("landing_host = go.acme.example",
                                     "landing_host = acme.example")
    conf = tmp_path / "acme.conf"
    conf.write_text(text)
    shutil.copytree(os.path.join(TOP, "examples", "acme", "keys"),
                    tmp_path / "keys")
    line = text.splitlines().index("landing_host = acme.example") + 1
    r = sk("plan", "--config", str(conf))
    assert r.rc == 2, r
    assert "%s:%d: landing_host" % (conf, line) in r.err, r
    assert r.out == "", r


def test_usage(sk):
    r = sk("plan")
    assert r.rc == 2 and "--config" in r.err, r
    r = sk("plan", "--config", CONF, "--format", "yaml")
    assert r.rc == 2, r
    r = sk("plan", "--help")
    assert r.rc == 0 and "no DNS is asked" in r.out, r
