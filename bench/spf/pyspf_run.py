#!/usr/bin/python3
"""pyspf peer for the SPF bench: evaluate "IP MAIL-FROM HELO" lines with
spf.check2 against one DNS server on loopback, print one result per line.

    pyspf_run.py PORT PAIRS [MAX_SECONDS]

python3-spf uses pydns (module DNS) when dnspython is absent, and pydns
reads /etc/resolv.conf at import; its defaults are overridden here before
any query, so every question goes to 127.0.0.1:PORT and nowhere else.
Stops after MAX_SECONDS (default 60) and prints "# done N in S" to stderr.
"""

import sys
import time

import spf

if spf.DNSLookup is not spf.DNSLookup_pydns:
    # dnspython backend: point its default resolver at the bench server.
    import dns.resolver
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = ["127.0.0.1"]
    res.port = int(sys.argv[1])
    dns.resolver.default_resolver = res
else:
    import DNS
    DNS.defaults["server"] = ["127.0.0.1"]
    DNS.defaults["port"] = int(sys.argv[1])


def main():
    limit = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
    with open(sys.argv[2]) as f:
        pairs = [ln.split() for ln in f if ln.strip()]
    out = sys.stdout
    t0 = time.monotonic()
    n = 0
    for p in pairs:
        ip, sender, helo = p[0], p[1], p[2] if len(p) > 2 else ""
        res, _exp = spf.check2(i=ip, s=sender, h=helo)
        out.write(res + "\n")
        n += 1
        if time.monotonic() - t0 > limit:
            break
    el = time.monotonic() - t0
    out.flush()
    sys.stderr.write("# done %d in %.3f\n" % (n, el))


if __name__ == "__main__":
    main()
