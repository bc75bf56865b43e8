"""Expected check_host() results for the test zones (zones/*.zone), shared
by test_spf_check.py and test_spf_batch.py.  Each case was worked out by
hand from RFC 7208; the comment says which rule it exercises.

Fields: ip, mail-from, result, mechanism, mechanism_domain, lookups,
void_lookups (None: not asserted, where RFC 7208 leaves it open).
The mechanism is the term of the evaluated record that decided, as
written: for a match inside an include, the include itself (RFC 7208
section 9.1 "mechanism"); after a redirect, the term of the redirect
target's record, with that domain.  The domain keeps the case it was given.
"""

from collections import namedtuple

Case = namedtuple("Case", "id ip mail_from result mechanism domain "
                          "lookups voids")

CASES = [
    # A good domain: ip4, include chain (include -> include -> ip4/ip6).
    Case("good-ip4", "192.0.2.25", "u@example.test", "pass",
         "ip4:192.0.2.0/24", "example.test", 0, 0),
    Case("good-include-nb1", "198.51.100.7", "u@example.test", "pass",
         "include:_spf.provider.test", "example.test", 2, 0),
    Case("good-include-nb2", "203.0.113.5", "u@example.test", "pass",
         "include:_spf.provider.test", "example.test", 3, 0),
    Case("good-include-ip6", "2001:db8:100::1", "u@example.test", "pass",
         "include:_spf.provider.test", "example.test", 2, 0),
    # included -all is "fail": no match, go on (5.2), then ~all
    Case("good-softfail", "203.0.113.200", "u@example.test", "softfail",
         "~all", "example.test", 3, 0),
    Case("good-softfail-v6", "2001:db8:999::1", "U@EXAMPLE.TEST",
         "softfail", "~all", "EXAMPLE.TEST", 3, 0),
    # 4.5: two records -> permerror
    Case("two-records", "192.0.2.1", "u@two.cases.test", "permerror",
         None, None, 0, 0),
    # 4.6.4: limits are counted as terms are evaluated
    Case("deep-early-match", "192.0.2.99", "u@deep.cases.test", "pass",
         "ip4:192.0.2.99", "deep.cases.test", 0, 0),
    Case("deep-a-in-include", "192.0.2.201", "u@deep.cases.test", "pass",
         "include:t1.cases.test", "deep.cases.test", 2, 0),
    Case("deep-7-lookups", "192.0.2.200", "u@deep.cases.test", "pass",
         "include:t1.cases.test", "deep.cases.test", 7, 0),
    Case("deep-11th-lookup", "198.51.100.99", "u@deep.cases.test",
         "permerror", None, None, 11, 0),
    # 4.6.4: NXDOMAIN, NODATA, NXDOMAIN: the third void is a permerror
    Case("void-3", "192.0.2.7", "u@void.cases.test", "permerror",
         None, None, 3, 3),
    # 5.2: include of a domain without SPF -> permerror
    Case("include-none", "192.0.2.8", "u@noinc.cases.test", "permerror",
         None, None, 1, None),
    Case("plus-all", "203.0.113.1", "u@plusall.cases.test", "pass",
         "+all", "plusall.cases.test", 0, 0),
    Case("q-all", "198.51.100.1", "u@qall.cases.test", "neutral",
         "?all", "qall.cases.test", 0, 0),
    Case("q-all-ip4", "192.0.2.3", "u@qall.cases.test", "pass",
         "ip4:192.0.2.0/24", "qall.cases.test", 0, 0),
    # 4.7: no match, no redirect -> neutral without a mechanism
    Case("no-all", "198.51.100.1", "u@noall.cases.test", "neutral",
         None, None, 0, 0),
    # 5.5: validated PTR name under the domain
    Case("ptr-match", "192.0.2.10", "u@ptr.cases.test", "pass",
         "ptr", "ptr.cases.test", 1, 0),
    Case("ptr-other-domain", "192.0.2.11", "u@ptr.cases.test", "fail",
         "-all", "ptr.cases.test", 1, 0),
    Case("ptr-not-validated", "192.0.2.12", "u@ptr.cases.test", "fail",
         "-all", "ptr.cases.test", 1, 0),
    # 4.6.4: more than 10 MX names -> permerror
    Case("mx-11", "198.51.100.1", "u@mx11.cases.test", "permerror",
         None, None, 1, 0),
    # 3.3: strings are joined without adding spaces
    Case("split-ip4", "203.0.113.9", "u@split.cases.test", "pass",
         "ip4:203.0.113.0/24", "split.cases.test", 0, 0),
    Case("split-ip6", "2001:db8::5", "u@split.cases.test", "pass",
         "ip6:2001:db8::/32", "split.cases.test", 0, 0),
    Case("split-fail", "192.0.2.1", "u@split.cases.test", "fail",
         "-all", "split.cases.test", 0, 0),
    # a 1536-byte record: TCP fallback through NSD
    Case("big-last-term", "192.0.2.77", "u@big.cases.test", "pass",
         "ip4:192.0.2.77", "big.cases.test", 0, 0),
    Case("big-middle", "198.18.79.1", "u@big.cases.test", "pass",
         "ip4:198.18.79.0/24", "big.cases.test", 0, 0),
    Case("big-fail", "192.0.2.78", "u@big.cases.test", "fail",
         "-all", "big.cases.test", 0, 0),
    # CNAME chain to the record (the checked domain stays the same)
    Case("cname-chain", "192.0.2.55", "u@cname.cases.test", "pass",
         "ip4:192.0.2.55", "cname.cases.test", 0, 0),
    Case("cname-chain-fail", "192.0.2.56", "u@cname.cases.test", "fail",
         "-all", "cname.cases.test", 0, 0),
    # CNAME loop: the TXT lookup fails -> temperror (4.4)
    Case("cname-loop", "192.0.2.1", "u@loop.cases.test", "temperror",
         None, None, 0, 0),
    # 7: %{ir} reversed IP, %{d}, %{l}, %{d2}
    Case("macro-ip", "192.0.2.66", "bob@macro.cases.test", "pass",
         "exists:%{ir}._ip.%{d}", "macro.cases.test", 1, 0),
    Case("macro-local-part", "198.51.100.1", "alice@macro.cases.test",
         "pass", "exists:%{l}._u.%{d2}", "macro.cases.test", 2, 1),
    Case("macro-none", "198.51.100.1", "bob@macro.cases.test", "fail",
         "-all", "macro.cases.test", 2, 2),
    # 6.1 redirect
    Case("redirect-own", "192.0.2.1", "u@redirect.cases.test", "pass",
         "ip4:192.0.2.1", "redirect.cases.test", 0, 0),
    Case("redirect-target", "198.51.100.20", "u@redirect.cases.test", "pass",
         "include:_nb1.provider.test", "_spf.provider.test", 2, 0),
    Case("redirect-fail", "192.0.2.2", "u@redirect.cases.test", "fail",
         "-all", "_spf.provider.test", 3, 0),
    Case("redirect-to-none", "192.0.2.1", "u@redirnone.cases.test",
         "permerror", None, None, 1, None),
    # ip6 and a with a dual cidr-length; an IPv4 client matches the A
    Case("ipv6-ip6", "2001:db8:1::5", "u@ipv6.cases.test", "pass",
         "ip6:2001:db8:1::/48", "ipv6.cases.test", 0, 0),
    Case("ipv6-a-64", "2001:db8:2::ffff", "u@ipv6.cases.test", "pass",
         "a:v6host.cases.test//64", "ipv6.cases.test", 1, 0),
    Case("ipv6-a-v4", "192.0.2.61", "u@ipv6.cases.test", "pass",
         "a:v6host.cases.test//64", "ipv6.cases.test", 1, 0),
    Case("ipv6-fail", "2001:db8:3::1", "u@ipv6.cases.test", "fail",
         "-all", "ipv6.cases.test", 1, 0),
    Case("ipv4-a-miss", "192.0.2.62", "u@ipv6.cases.test", "fail",
         "-all", "ipv6.cases.test", 1, 0),
    # syntax error anywhere -> permerror (4.6)
    Case("syntax", "192.0.2.1", "u@bad.cases.test", "permerror",
         None, None, 0, 0),
    # 4.5: no record -> none
    Case("none-nodata", "192.0.2.1", "u@nospf.cases.test", "none",
         None, None, 0, 0),
    Case("none-nxdomain", "192.0.2.1", "u@nothere.cases.test", "none",
         None, None, 0, 0),
]

# Answers that differ between a real server and the zone backend: a name
# in a zone the server does not serve is REFUSED (temperror) by NSD and
# NXDOMAIN (so include of nothing: permerror) in the zone backend.
SERVER_ONLY = [
    Case("refused-include", "192.0.2.1", "u@refused.cases.test",
         "temperror", None, None, 1, 0),
]
ZONE_ONLY = [
    Case("unserved-include", "192.0.2.1", "u@refused.cases.test",
         "permerror", None, None, 1, None),
]

EXPLANATION = ("198.51.100.3 is not one of exp.cases.test's designated "
               "mail servers.")


def exit_code(result):
    return 3 if result == "temperror" else 0
