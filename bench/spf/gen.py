#!/usr/bin/python3
"""Generate the SPF benchmark data set.

    gen.py OUTDIR [--pairs N] [--seed S]

Writes into OUTDIR:
    bench.test.zone   N sender domains d<i>.bench.test with realistic SPF
                      records, and 20 "provider" domains p<k>.bench.test
                      with include chains of ip4/ip6 lists;
    pairs.txt         N lines "IP MAIL-FROM HELO" (senderkit --batch and
                      spfquery -file both read this format);
    expected.txt      N lines, the result each pair should give
                      (pass / fail / softfail / neutral), by construction;
    queries.txt       the DNS questions the evaluations make ("NAME TYPE"),
                      for dnsperf.

Record mix per domain (i mod 20 picks the kind):
    35%  ip4 list, direct                 v=spf1 ip4:A/30 ip4:B -all
    25%  include of one provider          v=spf1 include:_spf.pK ~all
    10%  ip4 + include of two providers   v=spf1 ip4:A/30 include:.. include:.. -all
    15%  a and mx                          v=spf1 a mx -all
    15%  redirect to a provider           v=spf1 redirect=_spf.pK
Half of the pairs use an address the record allows; the other half one it
does not.  Every address is in 198.18.0.0/15 and 2001:db8::/32 (RFC 2544,
RFC 3849): nothing here is routable.
"""

import argparse
import ipaddress
import os
import random

ORIGIN = "bench.test"
NPROV = 20
BASE4 = int(ipaddress.IPv4Address("198.18.0.0"))


def dom_block(i):
    """Four addresses owned by domain i: 198.18.0.0 + 4i (/30)."""
    return BASE4 + 4 * i


def v4(n):
    return str(ipaddress.IPv4Address(n))


def prov_net(k, j):
    # provider k, netblock j: 198.19.(100 + 2k + j).0/24
    return "198.19.%d.0/24" % (100 + 2 * k + j)


def prov_ip(k, rng):
    j = rng.randrange(2)
    return "198.19.%d.%d" % (100 + 2 * k + j, rng.randrange(1, 255))


def prov_ip6(k, rng):
    return "2001:db8:%x::%x" % (0x100 + k, rng.randrange(1, 0xffff))


def generate(outdir, npairs=10000, seed=7208):
    rng = random.Random(seed)
    os.makedirs(outdir, exist_ok=True)
    z = []
    z.append("$ORIGIN %s." % ORIGIN)
    z.append("$TTL 3600")
    z.append("@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300")
    z.append("@ IN NS ns1")
    z.append("ns1 IN A 198.19.255.1")
    for k in range(NPROV):
        z.append('_spf.p%d IN TXT "v=spf1 include:_nb1.p%d.%s '
                 'include:_nb2.p%d.%s -all"' % (k, k, ORIGIN, k, ORIGIN))
        z.append('_nb1.p%d IN TXT "v=spf1 ip4:%s ip6:2001:db8:%x::/48 -all"'
                 % (k, prov_net(k, 0), 0x100 + k))
        z.append('_nb2.p%d IN TXT "v=spf1 ip4:%s -all"' % (k, prov_net(k, 1)))

    pairs, expected, queries = [], [], []
    qseen = set()

    def q(name, t):
        if (name, t) not in qseen:
            qseen.add((name, t))
            queries.append("%s %s" % (name, t))

    def q_provider(k):
        q("_spf.p%d.%s" % (k, ORIGIN), "TXT")
        q("_nb1.p%d.%s" % (k, ORIGIN), "TXT")
        q("_nb2.p%d.%s" % (k, ORIGIN), "TXT")

    for i in range(npairs):
        d = "d%d.%s" % (i, ORIGIN)
        own = "d%d" % i
        base = dom_block(i)
        kind = i % 20
        good = rng.random() < 0.5
        k = rng.randrange(NPROV)
        k2 = (k + 1 + rng.randrange(NPROV - 1)) % NPROV
        q(d, "TXT")
        if kind < 7:
            rec = "v=spf1 ip4:%s/30 ip4:%s -all" % (v4(base), v4(base + 3))
            ip = v4(base + rng.randrange(4)) if good else v4(
                BASE4 + 4 * npairs + rng.randrange(1, 50000))
            res = "pass" if good else "fail"
        elif kind < 12:
            rec = "v=spf1 include:_spf.p%d.%s ~all" % (k, ORIGIN)
            if good:
                ip = prov_ip6(k, rng) if rng.random() < 0.3 else prov_ip(
                    k, rng)
            else:
                ip = prov_ip(k2, rng)
            res = "pass" if good else "softfail"
            q_provider(k)
        elif kind < 14:
            rec = "v=spf1 ip4:%s/30 include:_spf.p%d.%s include:_spf.p%d.%s" \
                  " -all" % (v4(base), k, ORIGIN, k2, ORIGIN)
            if good:
                ip = rng.choice([v4(base + 1), prov_ip(k, rng),
                                 prov_ip(k2, rng)])
            else:
                k3 = next(x for x in range(NPROV) if x not in (k, k2))
                ip = prov_ip(k3, rng)
            res = "pass" if good else "fail"
            q_provider(k)
            q_provider(k2)
        elif kind < 17:
            rec = "v=spf1 a mx -all"
            z.append("%s IN A %s" % (own, v4(base + 1)))
            z.append("%s IN MX 10 mx.%s" % (own, own))
            z.append("mx.%s IN A %s" % (own, v4(base + 2)))
            ip = v4(base + 1 + rng.randrange(2)) if good else v4(base + 3)
            res = "pass" if good else "fail"
            q(d, "A")
            q(d, "MX")
            q("mx." + d, "A")
        else:
            rec = "v=spf1 redirect=_spf.p%d.%s" % (k, ORIGIN)
            ip = prov_ip(k, rng) if good else prov_ip(k2, rng)
            res = "pass" if good else "fail"
            q_provider(k)
        z.append('%s IN TXT "%s"' % (own, rec))
        pairs.append("%s user%d@%s mail.%s" % (ip, i, d, d))
        expected.append(res)

    paths = {
        "zone": os.path.join(outdir, ORIGIN + ".zone"),
        "pairs": os.path.join(outdir, "pairs.txt"),
        "expected": os.path.join(outdir, "expected.txt"),
        "queries": os.path.join(outdir, "queries.txt"),
    }
    for key, lines in (("zone", z), ("pairs", pairs),
                       ("expected", expected), ("queries", queries)):
        with open(paths[key], "w") as f:
            f.write("\n".join(lines) + "\n")
    return paths


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("outdir")
    ap.add_argument("--pairs", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=7208)
    a = ap.parse_args()
    for k, v in generate(a.outdir, a.pairs, a.seed).items():
        print("%-9s %s" % (k, v))


if __name__ == "__main__":
    main()
