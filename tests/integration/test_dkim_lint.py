"""`senderkit dkim keygen` and `senderkit dkim lint` through a real NSD.

Keys are generated in the test's temporary directory (test-only keys),
their records published in a zone this module writes (lintkeys.test) and
served by an NSD of the harness on 127.0.0.1; `dkim lint` must report the
exact set of finding ids for each selector (RFC 6376 section 3.6.1,
RFC 8301 section 3.2, RFC 8463), over DNS and with --record.
"""

import base64
import os
import stat
import subprocess

import pytest

import nsdharness

DOMAIN = "lintkeys.test"


def keygen(sk, outdir, selector, *extra):
    r = sk("dkim", "keygen", "--domain", DOMAIN, "--selector", selector,
           "--out", outdir, "--json", *extra)
    assert r.rc == 0, r
    return r.json


def openssl_rsa_record(tmp, bits):
    """A key record for an RSA key keygen refuses to make (too small)."""
    key = os.path.join(tmp, "rsa%d.pem" % bits)
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                    "rsa_keygen_bits:%d" % bits, "-out", key],
                   check=True, capture_output=True)
    der = subprocess.run(["openssl", "pkey", "-in", key, "-pubout",
                          "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


def txt_line(selector, record):
    parts = [record[i:i + 200] for i in range(0, len(record), 200)] or [""]
    return '%s._domainkey 300 IN TXT ( %s )' % (
        selector, " ".join('"%s"' % p for p in parts))


@pytest.fixture(scope="module")
def world(sk, tmp_path_factory):
    if not nsdharness.nsd_available():
        pytest.skip("nsd is not installed")
    tmp = str(tmp_path_factory.mktemp("dkimlint"))
    good = keygen(sk, tmp, "good")
    ed = keygen(sk, tmp, "ed", "--type", "ed25519")
    weak = keygen(sk, tmp, "weak", "--bits", "1024")
    ed_p = ed["record"].split("p=", 1)[1]
    records = {
        "good": good["record"],
        "ed": ed["record"],
        "weak": weak["record"],
        "tiny": openssl_rsa_record(tmp, 512),
        "revoked": "v=DKIM1; k=rsa; p=",
        "testing": good["record"].replace("v=DKIM1;", "v=DKIM1; t=y;", 1),
        "badb64": "v=DKIM1; k=rsa; p=MIIBIjANBgkqh!!kiG9w0BAQEFAAOCAQ8A",
        "edrsa": "v=DKIM1; k=rsa; p=" + ed_p,
    }
    lines = [
        "$TTL 300",
        "@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300"
        % (DOMAIN, DOMAIN),
        "@ IN NS ns.%s." % DOMAIN,
        "ns IN A 127.0.0.1",
        # The zone-file line keygen printed, as a user would paste it.
        good["zone_line"].replace("good._domainkey", "pasted._domainkey",
                                  1),
        "cn._domainkey IN CNAME good._domainkey",
    ]
    for sel, rec in records.items():
        lines.append(txt_line(sel, rec))
    zone = os.path.join(tmp, DOMAIN + ".zone")
    with open(zone, "w") as f:
        f.write("\n".join(lines) + "\n")
    server = nsdharness.NSD([zone])
    server.start()
    try:
        yield {"tmp": tmp, "server": server.server, "records": records,
               "good": good, "ed": ed}
    finally:
        server.stop()


def lint_ids(sk, world, selector):
    r = sk("dkim", "lint", DOMAIN, "--selector", selector, "--json",
           "--server", world["server"])
    j = r.json
    has_error = any(f["severity"] == "error" for f in j["findings"])
    assert r.rc == (1 if has_error else 0), r
    assert j["name"] == "%s._domainkey.%s" % (selector, DOMAIN), r
    for f in j["findings"]:
        assert f["id"].startswith("dkim-") and f["message"], r
    return {f["id"] for f in j["findings"]}, r


# selector -> exact set of finding ids
CASES = [
    ("good", set()),
    ("pasted", set()),
    ("ed", set()),
    ("weak", {"dkim-key-weak"}),
    ("tiny", {"dkim-key-too-small"}),
    ("revoked", {"dkim-revoked"}),
    ("testing", {"dkim-testing"}),
    ("badb64", {"dkim-base64"}),
    ("edrsa", {"dkim-key-type-mismatch"}),
    ("missing", {"dkim-key-missing"}),
    ("cn", {"dkim-cname"}),
]


@pytest.mark.parametrize("selector,expected", CASES,
                         ids=[c[0] for c in CASES])
def test_lint_selector(sk, world, selector, expected):
    found, r = lint_ids(sk, world, selector)
    assert found == expected, r


@pytest.mark.parametrize("selector,expected",
                         [c for c in CASES if c[0] not in
                          ("missing", "cn", "pasted")],
                         ids=[c[0] for c in CASES if c[0] not in
                              ("missing", "cn", "pasted")])
def test_lint_record_option(sk, world, selector, expected):
    rec = world["records"][selector]
    r = sk("dkim", "lint", "--record", rec, "--json")
    j = r.json
    assert {f["id"] for f in j["findings"]} == expected, r
    has_error = any(f["severity"] == "error" for f in j["findings"])
    assert r.rc == (1 if has_error else 0), r


def test_lint_text_output(sk, world):
    r = sk("dkim", "lint", DOMAIN, "--selector", "good", "--server",
           world["server"])
    assert r.rc == 0, r
    assert "no findings" in r.out, r
    r = sk("dkim", "lint", DOMAIN, "--selector", "tiny", "--server",
           world["server"])
    assert r.rc == 1, r
    assert any(ln.startswith("error") and "dkim-key-too-small" in ln
               for ln in r.lines), r
    # --record: a caret under the byte an offset finding points at.
    r = sk("dkim", "lint", "--record", world["records"]["badb64"])
    assert r.rc == 1 and "^" in r.out, r


def test_lint_dns_unreachable(sk, world):
    port = nsdharness.free_port()
    r = sk("dkim", "lint", DOMAIN, "--selector", "good", "--json",
           "--server", "127.0.0.1:%d" % port, "--timeout", "200")
    assert r.rc == 3, r
    assert "dkim-tempfail" in {f["id"] for f in r.json["findings"]}, r


def test_keygen_outputs(sk, world):
    good, ed = world["good"], world["ed"]
    path = good["key_file"]
    assert path == os.path.join(world["tmp"], "good.%s.key" % DOMAIN)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as f:
        assert f.read().startswith("-----BEGIN PRIVATE KEY-----")
    assert good["name"] == "good._domainkey." + DOMAIN
    assert (good["type"], good["bits"]) == ("rsa", 2048)
    assert (ed["type"], ed["bits"]) == ("ed25519", 256)
    assert good["record"].startswith("v=DKIM1; k=rsa; p=")
    assert ed["record"].startswith("v=DKIM1; k=ed25519; p=")
    # RFC 8463 section 4: p= is the raw 32-byte public key.
    assert len(base64.b64decode(ed["record"].split("p=")[1])) == 32
    zl = good["zone_line"]
    assert zl.startswith("good._domainkey.%s. " % DOMAIN)
    # Every string of the TXT record at most 255 bytes (RFC 1035 3.3).
    strings = zl.split("(", 1)[1].rsplit(")", 1)[0].split('"')[1::2]
    assert strings and all(len(s) <= 255 for s in strings), zl
    assert "".join(strings) == good["record"]


def test_keygen_refuses_existing_file(sk, world):
    r = sk("dkim", "keygen", "--domain", DOMAIN, "--selector", "good",
           "--out", world["tmp"])
    assert r.rc == 2, r
    assert "--force" in r.err, r
    with open(world["good"]["key_file"]) as f:
        before = f.read()
    r = sk("dkim", "keygen", "--domain", DOMAIN, "--selector", "good",
           "--out", world["tmp"], "--force", "--json")
    assert r.rc == 0, r
    with open(world["good"]["key_file"]) as f:
        assert f.read() != before
    assert r.json["record"] != world["good"]["record"]


def test_keygen_text_output(sk, tmp_path):
    r = sk("dkim", "keygen", "--domain", DOMAIN, "--selector", "t1",
           "--type", "ed25519", "--out", str(tmp_path))
    assert r.rc == 0, r
    assert "t1._domainkey.%s. " % DOMAIN in r.out, r
    assert "value: v=DKIM1; k=ed25519; p=" in r.out, r


@pytest.mark.parametrize("args", [
    ["--selector", "x"],
    ["--domain", DOMAIN, "--selector", "x", "--type", "dsa"],
    ["--domain", DOMAIN, "--selector", "x", "--bits", "512"],
    ["--domain", DOMAIN, "--selector", "x/../y"],
    ["--domain", DOMAIN, "--selector", "x", "--type", "ed25519", "--bits",
     "2048"],
])
def test_keygen_usage_errors(sk, tmp_path, args):
    r = sk("dkim", "keygen", "--out", str(tmp_path), *args)
    assert r.rc == 2, r
    assert os.listdir(str(tmp_path)) == [], r


def test_help_everywhere(sk):
    for sub in ("keygen", "lint", "sign", "verify"):
        r = sk("dkim", sub, "--help")
        assert r.rc == 0 and r.out.startswith("Usage: senderkit dkim " +
                                              sub), r
    r = sk("dkim", "--help")
    assert r.rc == 0 and "verify" in r.out, r
    r = sk("dkim", "frobnicate")
    assert r.rc == 2, r
