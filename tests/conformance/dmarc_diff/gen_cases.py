#!/usr/bin/python3
"""Generate the DMARC differential cases (JSON lines) deterministically.

    gen_cases.py [--seed N] [--count N] OUT.jsonl

Every case is one message seen by an RFC 7489 receiver with the Public
Suffix List: an Author Domain (RFC5322.From), the DNS data the receiver
finds (the _dmarc TXT records and the A records that make names exist),
one SPF result with its domain and scope, the DKIM results with their d=
domains, and the pct draw (0..99) both implementations use.

Both drivers (peer_mail_dmarc.pl and run_senderkit.c) read the same file.
A case may name a deviation id (deviations.md): a category where the peer
is known to depart from the RFC.  For those, "rfc" holds the values the
RFC gives for the fields concerned; compare.py checks senderkit against
them and lets the peer differ on those fields only.

Fields of a case:
  id, cat           name and category (for the TAP line)
  from              Author Domain
  zone              [[name, "TXT", [strings...]] | [name, "A", addr]]
  spf               [{"domain", "scope": "mfrom"|"helo", "result"}]
  spf_sk            {"domain", "identity": "mailfrom", "result"} or null:
                    what senderkit's input gets (see the helo cases)
  dkim              [{"domain", "selector", "result"}]
  sample            the pct draw, 0..99 (RFC 7489 section 6.3 pseudocode)
  deviation, rfc    see above (null when the peer is expected to agree)
"""

import argparse
import json
import random

# (organizational domain, its public suffix).  The list is the shared
# snapshot (shared/conformance/psl/public_suffix_list.dat) for both sides.
ORGS = [
    ("example.com", "com"),
    ("example.org", "org"),
    ("shop.co.uk", "co.uk"),
    ("brand.com.au", "com.au"),
    ("acme.github.io", "github.io"),   # private section of the PSL
    ("store.abc.ck", "abc.ck"),        # wildcard rule *.ck
    ("example.net", "net"),
]

UNRELATED = ["other.net", "mailer.example.org.evil.com", "fakeexample.com",
             "esp-mail.com", "sendgrid.net", "other.co.uk"]

SPF_RESULTS = ["pass", "pass", "pass", "fail", "softfail", "neutral",
               "none", "temperror", "permerror"]
DKIM_RESULTS = ["pass", "pass", "pass", "fail", "neutral", "temperror",
                "permerror"]
POLICIES = ["none", "quarantine", "reject"]


def rec(rng, p=True, extra=None):
    """A well-formed record with random tags (v first, p second)."""
    tags = []
    if p:
        tags.append("p=" + rng.choice(POLICIES))
    opt = []
    if rng.random() < 0.45:
        opt.append("sp=" + rng.choice(POLICIES))
    if rng.random() < 0.45:
        opt.append("adkim=" + rng.choice("rs"))
    if rng.random() < 0.45:
        opt.append("aspf=" + rng.choice("rs"))
    if rng.random() < 0.35:
        opt.append("pct=" + str(rng.choice([0, 100, 100, 50, 25, 1, 99])))
    if rng.random() < 0.5:
        opt.append("rua=mailto:dmarc@%s" % "{ORG}")
    if rng.random() < 0.2:
        opt.append("fo=" + rng.choice(["0", "1", "d:s", "1:d"]))
    if rng.random() < 0.15:
        opt.append("ri=" + rng.choice(["3600", "86400"]))
    if rng.random() < 0.1:
        opt.append("rf=afrf")
    rng.shuffle(opt)
    tags += opt
    if extra:
        tags += extra
    sep = rng.choice(["; ", ";", " ; "])
    text = "v=DMARC1" + sep + sep.join(tags)
    if rng.random() < 0.2:
        text += ";"
    return text


def ident_domain(rng, frm, org, suffix):
    """An SPF or DKIM domain relative to the Author Domain."""
    kind = rng.choice(["from", "from", "org", "org", "sub", "deep",
                       "unrelated", "suffix", "sibling"])
    if kind == "from":
        return frm
    if kind == "org":
        return org
    if kind == "sub":
        return "bounce." + org
    if kind == "deep":
        return "a.b." + frm
    if kind == "suffix":
        return suffix
    if kind == "sibling":
        return "other." + suffix
    return rng.choice(UNRELATED)


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.cases = []

    def add(self, cat, frm, zone, spf, dkim, spf_sk="same", sample=None,
            deviation=None, rfc=None):
        if spf_sk == "same":
            spf_sk = None
            for s in spf:
                if s["scope"] == "mfrom":
                    spf_sk = {"domain": s["domain"], "result": s["result"],
                              "identity": "mailfrom"}
        if sample is None:
            sample = self.rng.randrange(100)
        self.cases.append({
            "id": "c%04d" % (len(self.cases) + 1), "cat": cat,
            "from": frm, "zone": zone, "spf": spf, "spf_sk": spf_sk,
            "dkim": dkim, "sample": sample, "deviation": deviation,
            "rfc": rfc or {}})

    def pick_org(self):
        return self.rng.choice(ORGS)

    def pick_from(self, org):
        r = self.rng.random()
        if r < 0.4:
            return org
        if r < 0.8:
            return self.rng.choice(["mail.", "news.", "em."]) + org
        return "a.b." + org

    def auth(self, frm, org, suffix):
        rng = self.rng
        spf = [{"domain": ident_domain(rng, frm, org, suffix),
                "scope": "mfrom", "result": rng.choice(SPF_RESULTS)}]
        dkim = []
        for i in range(rng.choice([0, 1, 1, 1, 2, 2, 3])):
            dkim.append({"domain": ident_domain(rng, frm, org, suffix),
                         "selector": "s%d" % (i + 1),
                         "result": rng.choice(DKIM_RESULTS)})
        return spf, dkim

    @staticmethod
    def zone(org, frm, records, exists=True):
        z = []
        if exists:
            z.append([org, "A", "192.0.2.1"])
            if frm != org:
                z.append([frm, "A", "192.0.2.2"])
        for name, texts in records:
            for t in texts:
                z.append(["_dmarc." + name, "TXT", t if isinstance(t, list)
                          else [t]])
        return z

    # ---------------------------------------------------------- categories

    def wellformed(self, n):
        """Valid records at the From domain and/or the org domain."""
        rng = self.rng
        for _ in range(n):
            org, suffix = self.pick_org()
            frm = self.pick_from(org)
            place = rng.choice(["org", "org", "from", "both", "nothing",
                                "from-other-txt"])
            if frm == org and place in ("from", "both", "from-other-txt"):
                place = "org"
            records = []
            if place in ("org", "both", "from-other-txt"):
                records.append((org, [rec(rng).replace("{ORG}", org)]))
            if place in ("from", "both"):
                records.append((frm, [rec(rng).replace("{ORG}", org)]))
            if place == "from-other-txt":
                records.append((frm, ["v=spf1 -all"]))
            spf, dkim = self.auth(frm, org, suffix)
            self.add("record-" + place, frm, self.zone(org, frm, records),
                     spf, dkim)

    def alignment_grid(self):
        """Every adkim/aspf with every identifier kind, From at org and
        in a subdomain, one passing mechanism at a time."""
        for org, suffix in ORGS[:4]:
            for frm in (org, "mail." + org):
                for mode in "rs":
                    for kind in ("from", "org", "sub", "unrelated",
                                 "suffix"):
                        d = {"from": frm, "org": org, "sub": "bounce." + org,
                             "unrelated": "other.net",
                             "suffix": suffix}[kind]
                        r = "v=DMARC1; p=reject; aspf=%s; adkim=%s" % (
                            mode, mode)
                        z = self.zone(org, frm, [(org, [r])])
                        self.add("grid-spf-%s-%s" % (mode, kind), frm, z,
                                 [{"domain": d, "scope": "mfrom",
                                   "result": "pass"}], [])
                        self.add("grid-dkim-%s-%s" % (mode, kind), frm, z,
                                 [{"domain": "other.net", "scope": "mfrom",
                                   "result": "pass"}],
                                 [{"domain": d, "selector": "s1",
                                   "result": "pass"}])

    def pct_cases(self, n):
        """pct with a fixed draw on both sides (6.6.4)."""
        rng = self.rng
        for _ in range(n):
            org, suffix = self.pick_org()
            frm = self.pick_from(org)
            pct = rng.choice([0, 1, 10, 50, 99, 100])
            p = rng.choice(["quarantine", "reject"])
            r = "v=DMARC1; p=%s; pct=%d" % (p, pct)
            if rng.random() < 0.5:
                r += "; sp=" + rng.choice(POLICIES)
            sample = rng.choice([0, pct - 1 if pct else 0, pct if pct < 100
                                 else 99, rng.randrange(100)])
            self.add("pct", frm, self.zone(org, frm, [(org, [r])]),
                     [{"domain": "other.net", "scope": "mfrom",
                       "result": "pass"}], [], sample=max(0, sample))

    def fallback_cases(self):
        """RFC 7489 6.6.3 step 6: no valid p, with and without rua."""
        rng = self.rng
        for i in range(12):
            org, suffix = ORGS[i % len(ORGS)]
            frm = org if i % 2 else "mail." + org
            spf, dkim = self.auth(frm, org, suffix)
            r = "v=DMARC1; rua=mailto:d@%s" % org
            dev, rfcv = None, None
            if i % 3 == 0:
                # 6.6.3 step 6.1: act as if "v=DMARC1; p=none" was
                # retrieved: the sp of the record is gone with it.
                r += "; sp=reject"
                if frm != org:
                    dev = "peer-fallback-keeps-sp"
                    rfcv = {"policy": "none", "disposition": "none"}
            self.add("no-p-rua", frm, self.zone(org, frm, [(org, [r])]),
                     spf, dkim, deviation=dev, rfc=rfcv)
        for i in range(8):
            org, suffix = ORGS[i % len(ORGS)]
            frm = org if i % 2 else "mail." + org
            spf, dkim = self.auth(frm, org, suffix)
            r = rng.choice(["v=DMARC1; sp=reject", "v=DMARC1",
                            "v=DMARC1; adkim=s; aspf=s",
                            "v=DMARC1; p=block", "v=DMARC1; p=",
                            "v=DMARC1; p=reject; sp=bogus"])
            self.add("unusable", frm, self.zone(org, frm, [(org, [r])]),
                     spf, dkim, deviation="peer-unusable-record-fail",
                     rfc={"result": "none"})
        for i in range(6):
            org, suffix = ORGS[i % len(ORGS)]
            frm = org if i % 2 else "mail." + org
            pass_ = i % 3 == 0
            spf = [{"domain": frm if pass_ else "other.net",
                    "scope": "mfrom", "result": "pass"}]
            r = "v=DMARC1; p=block; rua=mailto:d@%s" % org
            self.add("invalid-p-rua", frm, self.zone(org, frm, [(org, [r])]),
                     spf, [], deviation="peer-invalid-p-no-fallback",
                     rfc={"result": "pass" if pass_ else "fail",
                          "policy": "none", "disposition": "none"})
        for i in range(6):
            org, suffix = ORGS[i % len(ORGS)]
            frm = "mail." + org
            spf = [{"domain": "other.net", "scope": "mfrom",
                    "result": "pass"}]
            r = "v=DMARC1; p=reject; sp=bogus; rua=mailto:d@%s" % org
            self.add("invalid-sp-rua", frm, self.zone(org, frm, [(org, [r])]),
                     spf, [], deviation="peer-invalid-sp-no-fallback",
                     rfc={"result": "fail", "policy": "none",
                          "disposition": "none"})

    def syntax_cases(self):
        """Record syntax: tolerated variants (agreement expected) and the
        peer's known departures."""
        agree = [
            "v=DMARC1;p=reject;",
            "v=DMARC1;  p=reject ;  aspf=s",
            "v=DMARC1; p=quarantine; foo=bar; x=y",
            "v=DMARC1; p=reject; adkim=x; aspf=y",
            "v=DMARC1; p=REJECT",
            "v=DMARC1; p=Quarantine; sp=NONE",
            "v=DMARC1; p=reject; aspf=S; adkim=S",
            "v=DMARC1; p=none; sp=reject",
            "v=DMARC1; p=reject; rua=mailto:a@{ORG},mailto:b@{ORG}!10m",
            "v=DMARC1; p=quarantine; fo=1:d:s; rf=afrf; ri=3600",
            # Tag names: RFC 7489 6.4 ABNF literals are case-insensitive
            # (RFC 5234 section 2.3); both sides read "P" as "p".
            "v=DMARC1; P=reject; ASPF=s",
        ]
        for i, r in enumerate(agree * 2):
            org, suffix = ORGS[i % len(ORGS)]
            frm = org if i < len(agree) else "news." + org
            spf, dkim = self.auth(frm, org, suffix)
            self.add("syntax", frm,
                     self.zone(org, frm, [(org, [r.replace("{ORG}", org)])]),
                     spf, dkim)
        # Other TXT records next to the DMARC record are discarded (6.6.3
        # step 2); a record split over several strings is concatenated.
        for i in range(6):
            org, suffix = ORGS[i % len(ORGS)]
            frm = "mail." + org
            spf, dkim = self.auth(frm, org, suffix)
            texts = ["google-site-verification=abc",
                     ["v=DMARC1; p=rej", "ect; aspf=s"]]
            self.add("other-txt", frm, self.zone(org, frm, [(org, texts)]),
                     spf, dkim)
        dev = [
            ("v=dmarc1; p=reject", "peer-version-case"),
            ("v = DMARC1; p=reject", "peer-version-wsp"),
            ("v=DMARC1; p:reject", "peer-tag-separator"),
            ("v=DMARC1; p=reject; pct=abc", "peer-invalid-pct"),
            ("v=DMARC1; p=reject; pct=-5", "peer-invalid-pct"),
        ]
        for i, (r, dv) in enumerate(dev * 2):
            org, suffix = ORGS[i % len(ORGS)]
            frm = org
            spf = [{"domain": "other.net", "scope": "mfrom",
                    "result": "pass"}]
            if dv in ("peer-version-case", "peer-version-wsp"):
                # The record is a DMARC record only for one side; with
                # nothing at the org level, RFC 7489 6.6.3 gives none
                # (or, for wsp, a policy the peer never sees).
                rfcv = ({"result": "none"} if dv == "peer-version-case"
                        else {"result": "fail", "policy": "reject",
                              "disposition": "reject"})
            elif dv == "peer-tag-separator":
                rfcv = {"result": "none"}
            else:
                rfcv = {"result": "fail", "policy": "reject",
                        "disposition": "reject"}
            self.add("syntax-dev", frm, self.zone(org, frm, [(org, [r])]),
                     spf, [], deviation=dv, rfc=rfcv, sample=i * 7 % 100)
        # Several DMARC records at one name: 6.6.3 step 5.
        for i in range(4):
            org, suffix = ORGS[i]
            frm = org
            spf, dkim = self.auth(frm, org, suffix)
            self.add("multiple", frm, self.zone(org, frm, [(org, [
                "v=DMARC1; p=reject", "v=DMARC1; p=none"])]), spf, dkim,
                deviation="peer-multiple-records-fail",
                rfc={"result": "none"})

    def discovery_cases(self):
        """Where the record is found: From domain first, org domain next,
        never a parent in between (RFC 7489 6.6.3), never the suffix."""
        for i in range(12):
            org, suffix = ORGS[i % len(ORGS)]
            frm = "a.b." + org
            mid = "b." + org
            recs = [(mid, ["v=DMARC1; p=none"])]
            if i % 2:
                recs.append((org, ["v=DMARC1; p=reject; sp=quarantine"]))
            if i % 3 == 0:
                recs.append((suffix, ["v=DMARC1; p=reject"]))
            spf, dkim = self.auth(frm, org, suffix)
            self.add("intermediate", frm, self.zone(org, frm, recs), spf,
                     dkim)
        # A subdomain that does not exist: sp still applies under RFC
        # 7489 (np is RFC 9989 only).
        for i in range(6):
            org, suffix = ORGS[i % len(ORGS)]
            frm = "ghost." + org
            z = [[org, "A", "192.0.2.1"],
                 ["_dmarc." + org, "TXT",
                  ["v=DMARC1; p=reject; sp=quarantine; np=none"]]]
            self.add("nxdomain-sub", frm, z,
                     [{"domain": "other.net", "scope": "mfrom",
                       "result": "pass"}], [])
        # No A, MX, NS or AAAA at the From or org domain: the peer's
        # existence test (RFC 7489 Appendix A.4 says it was removed).
        for i in range(4):
            org, suffix = ORGS[i]
            frm = org if i % 2 else "mail." + org
            z = self.zone(org, frm, [(org, ["v=DMARC1; p=reject"])],
                          exists=False)
            self.add("no-address", frm, z,
                     [{"domain": "other.net", "scope": "mfrom",
                       "result": "pass"}], [],
                     deviation="peer-existence-test",
                     rfc={"result": "fail", "policy": "reject",
                          "disposition": "reject"})

    def psl_exception_cases(self):
        """PSL exception rules (!www.ck, !city.kawasaki.jp): the
        organizational domain of mail.www.ck is www.ck."""
        for base in ("www.ck", "city.kawasaki.jp"):
            for j in range(3):
                frm = "mail." + base
                recs = [(base, ["v=DMARC1; p=reject"])]
                # bounce.<base> and the From domain share the
                # organizational domain <base>: relaxed alignment passes;
                # x.other.ck / x.other.kawasaki.jp are in another one.
                spfd = ["bounce." + base, "x.other." + base.split(".", 1)[1],
                        frm][j]
                spf = [{"domain": spfd, "scope": "mfrom", "result": "pass"}]
                rfcv = {"result": "fail" if j == 1 else "pass",
                        "policy_domain": base, "inherited": True,
                        "spf_aligned": j != 1}
                z = [[base, "A", "192.0.2.1"], [frm, "A", "192.0.2.2"]]
                z += [["_dmarc." + n, "TXT", t] for n, ts in recs
                      for t in ([x] for x in ts)]
                self.add("psl-exception", frm, z, spf, [],
                         deviation="peer-psl-exception", rfc=rfcv)

    def helo_cases(self):
        """Null reverse-path: SPF checked the HELO name (RFC 7489 3.1.2);
        senderkit takes it as the MAIL FROM identity postmaster@HELO.
        Then a HELO pass next to a MAIL FROM fail: only MAIL FROM counts
        (RFC 7489 3.1.2, RFC 9989 4.4.2)."""
        for i in range(6):
            org, suffix = ORGS[i % len(ORGS)]
            frm = org
            helo = "mx1." + org
            z = self.zone(org, frm, [(org, ["v=DMARC1; p=reject; aspf=%s"
                                            % "rs"[i % 2]])])
            self.add("null-mailfrom", frm, z,
                     [{"domain": helo, "scope": "helo", "result": "pass"}],
                     [], spf_sk={"domain": helo, "result": "pass",
                                 "identity": "mailfrom"})
        for i in range(4):
            org, suffix = ORGS[i]
            frm = org
            z = self.zone(org, frm, [(org, ["v=DMARC1; p=reject"])])
            self.add("helo-beside-mailfrom", frm, z,
                     [{"domain": "other.net", "scope": "mfrom",
                       "result": "fail"},
                      {"domain": "mx1." + org, "scope": "helo",
                       "result": "pass"}], [],
                     deviation="peer-helo-identity",
                     rfc={"result": "fail", "spf_aligned": False,
                          "disposition": "reject"})

    def case_cases(self):
        """Domain names compare case-insensitively (RFC 7489 3.1)."""
        for i in range(4):
            org, suffix = ORGS[i]
            frm = org
            z = self.zone(org, frm, [(org, ["v=DMARC1; p=reject; aspf=s; "
                                            "adkim=s"])])
            self.add("case-dkim", frm, z,
                     [{"domain": "other.net", "scope": "mfrom",
                       "result": "pass"}],
                     [{"domain": org.upper(), "selector": "s1",
                       "result": "pass"}])
            self.add("case-spf", frm, z,
                     [{"domain": org.upper(), "scope": "mfrom",
                       "result": "pass"}], [],
                     deviation="peer-case-sensitive-spf",
                     rfc={"result": "pass", "spf_aligned": True,
                          "disposition": "none"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--count", type=int, default=200,
                    help="random well-formed cases (others are fixed)")
    ap.add_argument("out")
    a = ap.parse_args()
    g = Gen(a.seed)
    g.alignment_grid()
    g.wellformed(a.count)
    g.pct_cases(30)
    g.fallback_cases()
    g.syntax_cases()
    g.discovery_cases()
    g.psl_exception_cases()
    g.helo_cases()
    g.case_cases()
    with open(a.out, "w", encoding="utf-8") as f:
        for c in g.cases:
            f.write(json.dumps(c, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
