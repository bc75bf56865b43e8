#!/usr/bin/python3
"""Generate the audit benchmark data set.

    gen.py OUTDIR [--domains N] [--profile data/profiles/marketo.ini]
           [--seed S]

Writes into OUTDIR:
    zones/d00001.test.zone ...   one small zone per sending domain (many
                                 zones, as in reality; NSD serves them all)
    zones/mktomail.com.zone      the provider's SPF (the profile's sending
                                 blocks, so profile-spf-drift passes)
    zones/mktoweb.com.zone       acmecorp.mktoweb.com (landing target)
    zones/mkto-a0244.com.zone    the default branding domain
    zones/test.zone              the TLD itself (the DMARC tree walk ends
                                 there with NXDOMAIN)
    domains.txt                  the N domains, one per line
    meta.json                    what the audit command needs: munchkin,
                                 account string, branding domain,
                                 selector, host templates

Each domain d<i>.test (its own organizational domain under the "*" rule
of the public suffix list) publishes what a correctly set-up Marketo
customer publishes:
    @                 SOA, NS ns1 (ns1 A 127.0.0.1: the per-NS DKIM
                      queries go to the benchmark's NSD)
    @                 MX 10 mail; mail A 192.0.2.x
    @                 TXT "v=spf1 ip4:192.0.2.x include:mktomail.com ~all"
    mkto1._domainkey  TXT "v=DKIM1; k=rsa; p=<2048-bit key>" (one key for
                      all, split in 255-byte strings)
    _dmarc            TXT "v=DMARC1; p=none; rua=mailto:dmarc@d<i>.test"
    go                CNAME acmecorp.mktoweb.com.
    em                CNAME mkto-a0244.com.
Every 50th domain has a defect instead (rotating: no DMARC, SPF without
the include, wrong landing CNAME, no DKIM selector, no MX), so that the
failing paths are exercised too.  Addresses are from 192.0.2.0/24
(RFC 5737) and names under .test (RFC 2606): nothing is routable.
"""

import argparse
import base64
import json
import os
import re
import subprocess

MUNCHKIN = "123-ABC-456"
ACCOUNT = "acmecorp"
BRANDING = "mkto-a0244.com"
SELECTOR = "mkto1"
LANDING = "go.${domain}"
TRACKING = "em.${domain}"
DEFECTS = ["no-dmarc", "spf-no-include", "landing-wrong", "no-dkim",
           "no-mx"]

# A historical capture of mktomail.com's SPF (research/marketo.md F7.5),
# used when the profile cannot be read.
FALLBACK_BLOCKS = ["199.15.212.0/22", "72.3.185.0/24", "72.32.154.0/24",
                   "72.32.217.0/24", "72.32.243.0/24", "94.236.119.0/26",
                   "37.188.97.188/32", "185.28.196.0/22", "192.28.128.0/18",
                   "103.237.104.0/22", "2a04:35c0::/29"]


def domain_name(i):
    return "d%05d.test" % i


def profile_blocks(path):
    """The items of the profile's list whose spf_domain is mktomail.com
    (the INI format of docs/man/senderkit-profile.5.md: [list NAME],
    items = a, b, c with continuation lines and repeated keys)."""
    if not path or not os.path.exists(path):
        return None
    sections, cur, last = {}, None, None
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if re.match(r"^\s*[#;]", line) or not line.strip():
                continue
            m = re.match(r"^\s*\[(.+)\]\s*$", line)
            if m:
                cur = sections.setdefault(m.group(1).strip(), {})
                last = None
                continue
            if line[0] in " \t" and last is not None and cur is not None:
                cur[last][-1] += " " + line.strip()
                continue
            k, eq, v = line.partition("=")
            if not eq or cur is None:
                continue
            last = k.strip().lower()
            cur.setdefault(last, []).append(v.strip())
    for name, kv in sections.items():
        if not name.startswith("list "):
            continue
        if "mktomail.com" not in " ".join(kv.get("spf_domain", [])):
            continue
        items = []
        for v in kv.get("items", []):
            items += [x.strip() for x in v.split(",") if x.strip()]
        if items:
            return items
    return None


def dkim_key():
    """A fresh 2048-bit RSA public key, base64 SubjectPublicKeyInfo."""
    priv = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA",
                           "-pkeyopt", "rsa_keygen_bits:2048"],
                          capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubout", "-outform", "DER"],
                         input=priv, capture_output=True, check=True).stdout
    return base64.b64encode(der).decode("ascii")


def txt(s):
    """A TXT rdata of 255-byte strings (RFC 1035 3.3.14)."""
    parts = [s[i:i + 255] for i in range(0, len(s), 255)] or [""]
    return " ".join('"%s"' % p for p in parts)


def spf_txt(blocks):
    terms = ["ip6:" + b if ":" in b else "ip4:" + b for b in blocks]
    return txt("v=spf1 " + " ".join(terms) + " ~all")


SOA = "@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300"


def domain_zone(i, d, key):
    defect = DEFECTS[(i // 50) % len(DEFECTS)] if i % 50 == 0 else None
    host = "192.0.2.%d" % (10 + i % 200)
    z = ["$ORIGIN %s." % d, "$TTL 3600", SOA, "@ IN NS ns1",
         "ns1 IN A 127.0.0.1"]
    if defect != "no-mx":
        z += ["@ IN MX 10 mail", "mail IN A %s" % host]
    inc = "" if defect == "spf-no-include" else " include:mktomail.com"
    z.append('@ IN TXT "v=spf1 ip4:%s%s ~all"' % (host, inc))
    if defect != "no-dkim":
        z.append("%s._domainkey IN TXT %s"
                 % (SELECTOR, txt("v=DKIM1; k=rsa; p=" + key)))
    if defect != "no-dmarc":
        z.append('_dmarc IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@%s"'
                 % d)
    if defect == "landing-wrong":
        z.append("go IN CNAME wrong.mktoweb.com.")
    else:
        z.append("go IN CNAME %s.mktoweb.com." % ACCOUNT)
    z.append("em IN CNAME %s." % BRANDING)
    return "\n".join(z) + "\n", defect


def provider_zones(blocks):
    return {
        # the TLD, so that NSD answers the DMARC tree walk (RFC 9989
        # section 4.10) up to _dmarc.test (NXDOMAIN, not REFUSED)
        "test": "\n".join([
            "$ORIGIN test.", "$TTL 3600", SOA, "@ IN NS ns1",
            "ns1 IN A 127.0.0.1"]) + "\n",
        "mktomail.com": "\n".join([
            "$ORIGIN mktomail.com.", "$TTL 3600", SOA, "@ IN NS ns1",
            "ns1 IN A 127.0.0.1", "@ IN TXT " + spf_txt(blocks)]) + "\n",
        "mktoweb.com": "\n".join([
            "$ORIGIN mktoweb.com.", "$TTL 3600", SOA, "@ IN NS ns1",
            "ns1 IN A 127.0.0.1", "%s IN A 192.0.2.80" % ACCOUNT,
            "wrong IN A 192.0.2.82"]) + "\n",
        BRANDING: "\n".join([
            "$ORIGIN %s." % BRANDING, "$TTL 3600", SOA, "@ IN NS ns1",
            "ns1 IN A 127.0.0.1", "@ IN A 192.0.2.81"]) + "\n",
    }


def generate(outdir, ndomains=10000, profile=None):
    zdir = os.path.join(outdir, "zones")
    os.makedirs(zdir, exist_ok=True)
    for f in os.listdir(zdir):
        if f.endswith(".zone"):
            os.unlink(os.path.join(zdir, f))
    blocks = profile_blocks(profile) or FALLBACK_BLOCKS
    key = dkim_key()
    domains, defects = [], {}
    for i in range(1, ndomains + 1):
        d = domain_name(i)
        text, defect = domain_zone(i, d, key)
        with open(os.path.join(zdir, d + ".zone"), "w") as f:
            f.write(text)
        domains.append(d)
        if defect:
            defects[d] = defect
    for origin, text in provider_zones(blocks).items():
        with open(os.path.join(zdir, origin + ".zone"), "w") as f:
            f.write(text)
    with open(os.path.join(outdir, "domains.txt"), "w") as f:
        f.write("# generated by bench/audit/gen.py\n")
        f.write("\n".join(domains) + "\n")
    meta = {"munchkin": MUNCHKIN, "account_string": ACCOUNT,
            "branding_domain": BRANDING, "selector": SELECTOR,
            "landing_host": LANDING, "tracking_host": TRACKING,
            "domains": len(domains), "defects": defects,
            "sending_blocks": blocks,
            "blocks_from": "profile" if profile_blocks(profile)
            else "fallback"}
    with open(os.path.join(outdir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return meta


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--domains", type=int, default=10000)
    ap.add_argument("--profile", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "data",
        "profiles", "marketo.ini"))
    a = ap.parse_args()
    meta = generate(a.outdir, a.domains, a.profile)
    print("gen: %d domains (%d with a defect), sending blocks from %s"
          % (meta["domains"], len(meta["defects"]), meta["blocks_from"]))


if __name__ == "__main__":
    main()
