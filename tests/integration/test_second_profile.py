"""A second provider, written only as data, works without code changes
(issue 5: "A second profile written only as data (for tests) works
without code changes; --profile FILE loads any profile").

tests/data/profiles/examplesend.ini is a fictitious provider whose inputs,
host roles, CNAME targets (${tenant}.${region}.clicks...), SPF include,
DKIM minimum (2048 bits), envelope domain and IP lists differ from
Marketo's.  plan and audit must follow that data: the targets, the include
and the key-size rule below come from the file, not from code.  Offline
(zone files written per test); nothing is sent on the network.
"""

import json
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
PROFILE = os.path.join(TOP, "tests", "data", "profiles", "examplesend.ini")
KEYS = os.path.join(HERE, "orgs", "keys")


def key_value(name):
    with open(os.path.join(KEYS, name)) as f:
        return f.read().strip()


def txt_rdata(value):
    return " ".join('"%s"' % value[i:i + 200]
                    for i in range(0, len(value), 200))


CONF = """\
[organization]
name = Shop
profile = {profile}

[provider]
tenant = shopco
region = eu1

[hosts]
landing_host = go.shop.example
tracking_host = t.shop.example

[domain shop.example]
mail_servers = 192.0.2.200
mx = 10 mail.shop.example
dkim_selectors = es1
dkim_key.es1 = {key}
dmarc = none
dmarc_rua = mailto:dmarc@shop.example
"""

PROVIDER_ZONE = """\
$ORIGIN examplesend.net.
$TTL 3600
@ IN SOA ns.examplesend.net. h.examplesend.net. 1 7200 3600 1209600 300
@ IN NS ns
ns IN A 192.0.2.53
spf IN TXT "v=spf1 ip4:192.0.2.0/25 ip4:198.51.100.7 ip6:2001:db8::/48 ip4:203.0.113.0/24 -all"
shopco.pages IN A 192.0.2.80
shopco.eu1.clicks IN A 192.0.2.81
other.pages IN A 192.0.2.82
"""


def shop_zone(landing="shopco.pages.examplesend.net.", key="rsa2048-a.txt"):
    return """\
$ORIGIN shop.example.
$TTL 3600
@ IN SOA ns.shop.example. h.shop.example. 1 7200 3600 1209600 300
@ IN NS ns
ns IN A 192.0.2.53
@ IN MX 10 mail
mail IN A 192.0.2.25
@ IN TXT "v=spf1 ip4:192.0.2.200 include:spf.examplesend.net ~all"
go IN CNAME {landing}
t IN CNAME shopco.eu1.clicks.examplesend.net.
es1._domainkey IN TXT {dkim}
_dmarc IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@shop.example"
""".format(landing=landing, dkim=txt_rdata(key_value(key)))


@pytest.fixture
def org(tmp_path):
    def make(conf_key="rsa2048-a.txt", **zone):
        (tmp_path / "org.conf").write_text(CONF.format(
            profile=PROFILE, key=os.path.join(KEYS, conf_key)))
        (tmp_path / "shop.example.zone").write_text(shop_zone(**zone))
        (tmp_path / "examplesend.net.zone").write_text(PROVIDER_ZONE)
        return (str(tmp_path / "org.conf"),
                ["--zone", str(tmp_path / "shop.example.zone"),
                 "--zone", str(tmp_path / "examplesend.net.zone")])
    return make


def failing(j):
    return sorted("%s:%s" % (c["id"], c["severity"]) for c in j["checks"]
                  if c["status"] == "fail")


def test_plan_follows_the_profile_data(sk, org):
    conf, _ = org()
    r = sk("plan", "--config", conf, "--json")
    assert r.rc == 0, r.err
    recs = {(x["purpose"], x["name"], x["type"]): x for x in
            r.json["records"]}
    assert r.json["profile"] == "examplesend"
    # Record purposes of hosts are the profile's role names.
    assert recs[("pages", "go.shop.example", "CNAME")]["rdata"] == \
        "shopco.pages.examplesend.net."
    assert recs[("clicks", "t.shop.example", "CNAME")]["rdata"] == \
        "shopco.eu1.clicks.examplesend.net."
    # needed_when = always: the include goes on the From domain.
    assert recs[("spf", "shop.example", "TXT")]["value"] == \
        "v=spf1 ip4:192.0.2.200 include:spf.examplesend.net ~all"
    assert all(x["action"] == "add" for x in r.json["records"])


def test_audit_of_a_correct_org_is_clean(sk, org):
    conf, zones = org()
    r = sk("audit", "--config", conf, "--json", "--max-age", "36500",
           *zones)
    assert r.rc == 0, r.out
    assert failing(r.json) == [], r.out
    by = {(c["id"], c["subject"]): c for c in r.json["checks"]}
    assert by[("host-cname-target", "t.shop.example")]["status"] == "pass"
    # The sample address of every "senders" block passes SPF, IPv6 too.
    assert by[("spf-sending-ip", "shop.example")]["status"] == "pass"
    assert by[("dkim-key-size", "es1._domainkey.shop.example")][
        "status"] == "pass"
    # all_ns_must_agree = no: the per-nameserver check does not apply.
    assert by[("dkim-ns-disagree", "es1._domainkey.shop.example")][
        "status"] == "skip"


def test_audit_applies_the_profile_rules(sk, org):
    # Another tenant's target, and a 1024-bit key: this profile's
    # min_bits is 2048, so a 1024-bit key is an error here (it is only
    # a warning under Marketo's profile).
    conf, zones = org(conf_key="rsa1024.txt",
                      landing="other.pages.examplesend.net.",
                      key="rsa1024.txt")
    r = sk("audit", "--config", conf, "--json", "--max-age", "36500",
           *zones)
    assert r.rc == 1, r.out
    # Without a usable key, DKIM cannot align: the forecast warns (p=none).
    assert failing(r.json) == ["dkim-key-size:error",
                               "dmarc-forecast:warning",
                               "host-cname-target:error"], r.out
    by = {(c["id"], c["subject"]): c for c in r.json["checks"]}
    fix = by[("host-cname-target", "go.shop.example")]["fix"]
    assert "shopco.pages.examplesend.net" in fix, fix


def test_stale_lists_use_the_profile_dates(sk, org):
    conf, zones = org()
    r = sk("audit", "--config", conf, "--json", "--max-age", "30", *zones)
    stale = sorted(c["subject"] for c in r.json["checks"]
                   if c["id"] == "profile-stale" and c["status"] == "fail")
    # Both lists are dated 2026-05-30, long before any run of this test.
    assert stale == ["app_domains", "senders"], r.out
    assert all("docs.examplesend.net" in c["evidence"]
               for c in r.json["checks"]
               if c["id"] == "profile-stale" and c["status"] == "fail")
