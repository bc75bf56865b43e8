"""senderkit audit on whole organizations (issue 5, acceptance).

Each scenario is a directory of orgs/: org.conf (an organization config,
valid unless the scenario is about validation) and the zone files of its
domains; orgs/common/ holds the zones every scenario needs (the parent
"example.", a test copy of mktomail.com whose SPF lists the profile's
sending blocks, mktoweb.com, the default branding domain, a DMARC report
receiver).  Scenario domains are distinct, so one NSD serves them all.

Every scenario runs twice:
    offline  --zone FILE for the common and the scenario zones (the
             per-nameserver DKIM comparison is then SKIP);
    live     --server 127.0.0.1:PORT --ns-port PORT against a real NSD
             on loopback that serves every zone; the zones' NS names
             resolve to 127.0.0.1 (and 127.0.0.2 for the two-server
             scenarios, served by a second NSD on the same port).
and asserts the EXACT set of failing check ids (status "fail"), their
severities, the DNSFAIL ids where DNS fails, and the exit status.  On a
mismatch the whole check list is printed.

Expected outcomes follow include/senderkit/audit.h and the rules it cites;
where a broken record could be reported under several ids, the scenario
expects the specific check only (one problem, one failing check): e.g.
"include: mktomail.com" is spf-include-space, not also spf-syntax, and the
checks that read the record of a domain with two SPF records are skipped.

Profile freshness depends on today's date: every run passes --max-age
36500 except the profile-stale scenario, which passes --max-age 1 (the
profile's lists are dated 2026-11-23, before any run of these tests).
"""

import glob
import os
import re

import pytest

import nsdharness

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
ORGS = os.path.join(HERE, "orgs")
COMMON = os.path.join(ORGS, "common")
PROFILE = os.path.join(TOP, "data", "profiles", "marketo.ini")
ACME = os.path.join(TOP, "examples", "acme")

# spf-include-unneeded: SPF checks the Return-Path domain, not the From
# domain: under mktomail.com on shared IPs, the branded return-path
# otherwise (research F7.3).  The From domain's include:mktomail.com that
# Adobe's template adds (F7.1) is never checked for Marketo mail: an info
# finding of every scenario that follows the template.
UNNEEDED = {"spf-include-unneeded": "info"}


class Scenario:
    """What one audit must report.

    fail      {id: severity or None}: the exact set of ids with status
              "fail" (None: any severity; see fails());
    dnsfail   the exact set of ids with status "dnsfail";
    maybe     ids that may fail as well (allowed, not required);
    live/offline  dicts overriding fail/dnsfail/maybe/passes/skips for
              one mode;
    passes, skips  ids that must have that status (every check of the
              id);
    subjects  {id: text}: every failing check of the id names it in its
              subject;
    args      extra command-line arguments;
    rc        the exit status (default: 1 with an error-severity
              failure, else 3 with a DNS failure, else 0).
    """

    def __init__(self, name, fail=None, dnsfail=(), maybe=(), live=None,
                 offline=None, passes=(), skips=(), subjects=None, args=(),
                 conf=None, rc=None, modes=("offline", "live")):
        self.name = name
        self.fail = dict(fail or {})
        self.dnsfail = set(dnsfail)
        self.maybe = set(maybe)
        self.passes = set(passes)
        self.skips = set(skips)
        self.subjects = dict(subjects or {})
        self.args = list(args)
        self.conf = conf
        self.rc = rc
        self.modes = modes
        self.per_mode = {"live": live or {}, "offline": offline or {}}

    def __repr__(self):
        return self.name

    def expect(self, mode):
        e = {"fail": self.fail, "dnsfail": self.dnsfail, "maybe": self.maybe,
             "passes": self.passes, "skips": self.skips, "rc": self.rc}
        for k, v in self.per_mode[mode].items():
            e[k] = v
        e["fail"] = dict(e["fail"])
        for k in ("dnsfail", "maybe", "passes", "skips"):
            e[k] = set(e[k])
        if e["rc"] is None:
            if "error" in e["fail"].values():
                e["rc"] = 1
            elif e["dnsfail"]:
                e["rc"] = 3
            else:
                e["rc"] = 0
        return e


def fails(*ids, **kw):
    """{id: severity} from "id:severity" strings, plus UNNEEDED unless
    unneeded=False (the From domain's SPF has no usable include)."""
    d = dict(UNNEEDED) if kw.get("unneeded", True) else {}
    for x in ids:
        i, _, sev = x.partition(":")
        d[i] = sev or None
    return d


NS_CHECK_LIVE_PASS = {"live": {"passes": {"dkim-ns-disagree"}},
                      "offline": {"skips": {"dkim-ns-disagree"}}}

SCENARIOS = [
    # A correct organization: nothing fails but the info above; the
    # selector answers alike at every nameserver (live) and the per-NS
    # check is skipped offline.
    Scenario("ok", fails(),
             passes={"host-cname-target", "spf-sending-ip", "dkim-key-size",
                     "dmarc-forecast", "profile-spf-drift"},
             **NS_CHECK_LIVE_PASS),
    # Trusted IPs + branded Return-Path (SPF -all, MX), external rua
    # authorized: nothing fails but the info above.
    Scenario("okbranded", fails(),
             passes={"return-path-spf", "return-path-all", "return-path-mx",
                     "dmarc-rua-unauthorized", "dmarc-forecast",
                     "spf-sending-ip"},
             **NS_CHECK_LIVE_PASS),
    Scenario("badcname", fails("host-cname-target:error"),
             subjects={"host-cname-target": "go.badcname.example"}),
    Scenario("badtrack", fails("host-cname-target:error"),
             subjects={"host-cname-target": "em.badtrack.example"}),
    Scenario("nocname", fails("host-cname-missing:error"),
             subjects={"host-cname-missing": "go.nocname.example"}),
    Scenario("cnameapex", fails("host-cname-apex:error"),
             subjects={"host-cname-apex": "go.apexhost.example"}),
    Scenario("trackname", fails("host-name-avoid:warning"),
             subjects={"host-name-avoid": "track.trackname.example"}),
    # SPF.  A missing or unusable record is reported once; the checks
    # that read the record are skipped.
    Scenario("nospf", fails("spf-missing:error", unneeded=False)),
    Scenario("spftwo", fails("spf-multiple:error", unneeded=False)),
    Scenario("spfspace", fails("spf-include-space:error", unneeded=False)),
    Scenario("spf11", fails("spf-lookups:error")),
    Scenario("spfvoid", fails("spf-void-lookups:error")),
    Scenario("spfneutral", fails("spf-all:warning")),
    # Without the include on a plain From domain: a warning (on shared
    # IPs it does not affect DMARC) ...
    Scenario("spfnoinc", fails("spf-include-missing:warning", unneeded=False),
             subjects={"spf-include-missing": "spfnoinc.example"}),
    # ... on a branded Return-Path, where SPF is checked, an error
    # (return-path-spf stands for spf-include-missing there), and the
    # provider's blocks fail SPF there.
    Scenario("rpnoinc",
             fails("return-path-spf:error", "spf-sending-ip:error"),
             subjects={"return-path-spf": "bounce.rpnoinc.example",
                       "spf-sending-ip": "bounce.rpnoinc.example"}),
    # return-path-all stands for spf-all on a branded Return-Path.
    Scenario("rpsoftall", fails("return-path-all:warning"),
             subjects={"return-path-all": "bounce.rpsoft.example"}),
    # DKIM.  Without a usable key of the From domain, provider mail cannot
    # pass DMARC (p=none: a warning).
    Scenario("nosel", fails("dkim-selector-missing:error",
                            "dmarc-forecast:warning")),
    Scenario("nodkim", fails("dkim-no-selector:error",
                             "dmarc-forecast:warning"),
             subjects={"dkim-no-selector": "nodkim.example"}),
    Scenario("dkim1024", fails("dkim-key-size:warning")),
    Scenario("keymismatch", fails("dkim-key-mismatch:error")),
    # DMARC.
    Scenario("dmarcabsent", fails("dmarc-missing:error")),
    # Shared IPs: a warning (DMARC rests on DKIM); an error only where a
    # branded return-path relies on SPF alignment (unit-tested).
    Scenario("aspf", fails("dmarc-aspf-strict:warning")),
    Scenario("ruaext", fails("dmarc-rua-unauthorized:error"),
             subjects={"dmarc-rua-unauthorized": "ruaext.example"}),
    Scenario("norua", fails("dmarc-rua-missing:warning")),
    Scenario("stage", fails("dmarc-stage:warning")),
    Scenario("spinherit", fails("dmarc-sp-inherited:warning"),
             subjects={"dmarc-sp-inherited": "news.sp.example"}),
    # MX.
    Scenario("nomx", fails("mx-missing:error")),
    Scenario("nullmx", fails("mx-null:error")),
    Scenario("mxnoaddr", fails("mx-unresolvable:warning")),
    # Config validation: a malformed Munchkin ID is a warning only (the
    # format is inferred, research F1.1): the audit runs and says so once
    # (input-format; the validation's config-input-format says the same
    # with less and is not listed beside it).
    Scenario("munchkin", fails("input-format:warning"),
             subjects={"input-format": "munchkin_id"}),
    # Profile lists older than --max-age: one warning per list.
    Scenario("ok-stale", fails("profile-stale:warning"), conf="ok",
             args=["--max-age", "1"]),
    # DNS failures are failures to look, never "record missing": a CNAME
    # loop at the selector name (both modes) ...
    Scenario("dkimloop", fails(),
             dnsfail={"dkim-selector-missing", "dmarc-forecast"},
             live={"dnsfail": {"dkim-selector-missing", "dmarc-forecast",
                               "dkim-ns-disagree"}}),
    # ... and a nameserver that does not answer (only live runs ask each
    # nameserver).
    Scenario("nsdown", fails(),
             live={"dnsfail": {"dkim-ns-disagree"}},
             offline={"skips": {"dkim-ns-disagree"}}),
    # Two nameservers on 127.0.0.1 and 127.0.0.2 (same port).
    Scenario("nsagree", fails(), **NS_CHECK_LIVE_PASS),
    Scenario("nsdisagree", fails(),
             live={"fail": fails("dkim-ns-disagree:error")},
             offline={"skips": {"dkim-ns-disagree"}},
             subjects={"dkim-ns-disagree": "nsdisagree.example"}),
]

BY_NAME = {s.name: s for s in SCENARIOS}


# ------------------------------------------------------------- helpers

def common_zones():
    return sorted(glob.glob(os.path.join(COMMON, "*.zone")))


def scenario_dirs():
    return sorted(d for d in glob.glob(os.path.join(ORGS, "*"))
                  if os.path.isfile(os.path.join(d, "org.conf")))


def scenario_zones(name):
    """The scenario's own zones (the first nameserver's copy)."""
    return sorted(glob.glob(os.path.join(ORGS, name, "*.zone")))


def ns2_zones(name):
    return sorted(glob.glob(os.path.join(ORGS, name, "ns2", "*.zone")))


def show(checks):
    out = []
    for c in checks:
        out.append("  %-8s %-8s %-24s %s: %s" % (
            c.get("status"), c.get("severity"), c.get("id"),
            c.get("subject"), c.get("message")))
        for k in ("evidence", "fix"):
            if c.get(k) and c.get("status") in ("fail", "dnsfail"):
                out.append("           %s: %s" % (k, c[k]))
    return "\n".join(out)


def audit_checks(res):
    j = res.json
    assert isinstance(j, dict) and isinstance(j.get("checks"), list), res
    assert j.get("schema") == "senderkit-audit/1", res
    return j["checks"]


def by_status(checks, status):
    return {c["id"] for c in checks if c["status"] == status}


def assert_outcome(res, exp, mode):
    checks = audit_checks(res)
    listing = "\n%s mode; exit %d\n%s\n--- stderr\n%s" % (
        mode, res.rc, show(checks), res.err)
    want_fail = set(exp["fail"])
    got_fail = by_status(checks, "fail")
    assert want_fail <= got_fail <= want_fail | exp["maybe"], (
        "failing ids: want %s (allowed also %s), got %s%s"
        % (sorted(want_fail), sorted(exp["maybe"]), sorted(got_fail),
           listing))
    got_dns = by_status(checks, "dnsfail")
    assert exp["dnsfail"] <= got_dns <= exp["dnsfail"] | exp["maybe"], (
        "dnsfail ids: want %s, got %s%s"
        % (sorted(exp["dnsfail"]), sorted(got_dns), listing))
    for cid, sev in exp["fail"].items():
        if sev is None:
            continue
        for c in checks:
            if c["id"] == cid and c["status"] == "fail":
                assert c["severity"] == sev, (
                    "%s on %s: severity %s, want %s%s"
                    % (cid, c["subject"], c["severity"], sev, listing))
    for status, ids in (("pass", exp["passes"]), ("skip", exp["skips"])):
        for cid in ids:
            seen = [c for c in checks if c["id"] == cid]
            assert seen, "no %s check at all%s" % (cid, listing)
            assert all(c["status"] == status for c in seen), (
                "%s: want every check %s%s" % (cid, status, listing))
    assert res.rc == exp["rc"], (
        "exit %d, want %d%s" % (res.rc, exp["rc"], listing))
    return checks


# ------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def orgs_nsd():
    """One NSD on 127.0.0.1 serving the common zones and every scenario's
    zones.  Its port is also free on 127.0.0.3, the address of the
    nameserver that never answers (nsdown)."""
    if not nsdharness.nsd_available():
        pytest.skip("nsd is not installed")
    zones = common_zones()
    for d in scenario_dirs():
        zones += scenario_zones(os.path.basename(d))
    port = nsdharness.free_port(addresses=("127.0.0.1", "127.0.0.3"))
    server = nsdharness.NSD(zones, port=port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def ns_pair():
    """Two NSDs on the same port: 127.0.0.1 (the --server, with every zone
    the audit needs) and 127.0.0.2 (the second nameserver of nsagree and
    nsdisagree, with its own copies of their zones)."""
    if not nsdharness.nsd_available():
        pytest.skip("nsd is not installed")
    names = [os.path.basename(d) for d in scenario_dirs()
             if ns2_zones(os.path.basename(d))]
    first = common_zones()
    second = []
    for n in names:
        first += scenario_zones(n)
        second += ns2_zones(n)
    port = nsdharness.free_port(addresses=("127.0.0.1", "127.0.0.2"))
    a = nsdharness.NSD(first, port=port)
    b = nsdharness.NSD(second, port=port, address="127.0.0.2")
    a.start()
    try:
        b.start()
        try:
            yield a
        finally:
            b.stop()
    finally:
        a.stop()


def audit_args(conf, mode, server=None, zones=(), max_age="36500",
               extra=()):
    args = ["audit", "--config", conf, "--profile", PROFILE, "--json"]
    if "--max-age" not in extra:
        args += ["--max-age", max_age]
    args += list(extra)
    if mode == "offline":
        for z in zones:
            args += ["--zone", z]
    else:
        # --no-https: the org hosts resolve to 192.0.2.x; HTTPS probes
        # (on by default live) must not leave loopback.
        args += ["--server", server.server, "--ns-port", str(server.port),
                 "--timeout", "2000", "--no-https"]
    return args


def run_scenario(sk, scn, mode, request):
    conf_dir = scn.conf or scn.name
    conf = os.path.join(ORGS, conf_dir, "org.conf")
    server = None
    if mode == "live":
        if ns2_zones(conf_dir):
            server = request.getfixturevalue("ns_pair")
        else:
            server = request.getfixturevalue("orgs_nsd")
    zones = common_zones() + scenario_zones(conf_dir)
    return sk(*audit_args(conf, mode, server, zones, extra=scn.args),
              timeout=120)


# --------------------------------------------------------------- tests

def test_every_scenario_directory_is_tested():
    names = {os.path.basename(d) for d in scenario_dirs()}
    tested = {s.conf or s.name for s in SCENARIOS} | {"cfgapex"}
    assert names == tested


def test_zone_names_are_distinct():
    # One NSD serves every scenario: an origin used twice would shadow.
    origins = [nsdharness.zone_origin(z) for z in common_zones()]
    for d in scenario_dirs():
        origins += [nsdharness.zone_origin(z)
                    for z in scenario_zones(os.path.basename(d))]
    assert len(origins) == len(set(origins)), sorted(origins)


@pytest.mark.parametrize("mode", ["offline", "live"])
@pytest.mark.parametrize("scn", SCENARIOS, ids=lambda s: s.name)
def test_scenario(sk, scn, mode, request):
    if mode not in scn.modes:
        pytest.skip("scenario has no %s run" % mode)
    res = run_scenario(sk, scn, mode, request)
    checks = assert_outcome(res, scn.expect(mode), mode)
    for cid, text in scn.subjects.items():
        for c in checks:
            if c["id"] == cid and c["status"] == "fail":
                assert text in c["subject"], (cid, c, show(checks))


@pytest.mark.parametrize("scn", [s for s in SCENARIOS
                                 if set(s.fail) - set(UNNEEDED)],
                         ids=lambda s: s.name)
def test_failures_say_what_was_seen_and_how_to_fix(sk, scn, request):
    """Every failing check carries a message, a fix and the source of its
    rule (issue 5: "the evidence seen in DNS, the exact fix, and the
    source of the rule")."""
    res = run_scenario(sk, scn, "offline", request)
    checks = audit_checks(res)
    for c in checks:
        if c["status"] != "fail" or c["id"] in scn.maybe:
            continue
        for k in ("message", "fix", "source", "group", "subject"):
            assert c.get(k), "%s: empty %s\n%s" % (c["id"], k, show(checks))


def test_dns_unreachable_is_dnsfail_not_missing(sk):
    """--server to a port where nothing listens: exit 3, nothing is
    declared missing or failing; the lookups of every group are DNSFAIL
    with evidence saying what failed."""
    port = nsdharness.free_port()
    conf = os.path.join(ORGS, "ok", "org.conf")
    res = sk("audit", "--config", conf, "--profile", PROFILE, "--json",
             "--max-age", "36500", "--server", "127.0.0.1:%d" % port,
             "--ns-port", str(port), "--timeout", "300", "--no-https",
             timeout=120)
    checks = audit_checks(res)
    listing = "\nexit %d\n%s\n--- stderr\n%s" % (res.rc, show(checks),
                                                 res.err)
    assert by_status(checks, "fail") == set(), listing
    dns = by_status(checks, "dnsfail")
    assert {"spf-missing", "dkim-selector-missing", "dmarc-missing",
            "mx-missing", "profile-spf-drift"} <= dns, listing
    assert dns & {"host-cname-missing", "host-cname-target"}, listing
    for c in checks:
        if c["status"] == "dnsfail":
            assert c["evidence"], "%s: no evidence%s" % (c["id"], listing)
    assert res.rc == 3, listing


@pytest.mark.parametrize("mode", ["offline", "live"])
def test_config_cname_at_apex_is_a_usage_error(sk, mode, request):
    """A landing host equal to a sending domain would need a CNAME at the
    zone apex: config-host-apex, an error of validation -> exit 2 with
    FILE:LINE and the key, before any DNS question."""
    conf = os.path.join(ORGS, "cfgapex", "org.conf")
    with open(conf) as f:
        line = 1 + [i for i, ln in enumerate(f.read().splitlines())
                    if ln.startswith("landing_host")][0]
    server = request.getfixturevalue("orgs_nsd") if mode == "live" else None
    res = sk(*audit_args(conf, mode, server,
                         common_zones() + scenario_zones("cfgapex")),
             timeout=120)
    assert res.rc == 2, res
    text = res.out + res.err
    assert re.search(r"org\.conf:%d: landing_host" % line, text), res


# ------------------------------------------------- the bundled example

# examples/acme: the README's main job.  Passing and failing checks on
# purpose: news.acme.example has no DKIM selector (so Marketo would sign
# with d=mktomail.com and DMARC cannot pass for it) and acme.example sends
# DMARC reports to a domain that has not authorized them.
ACME_FAIL = fails("dkim-no-selector:error", "dmarc-forecast:warning",
                  "dmarc-rua-unauthorized:error")
ACME_SUBJECTS = {"dkim-no-selector": "news.acme.example",
                 "dmarc-forecast": "news.acme.example",
                 "dmarc-rua-unauthorized": "acme.example"}


def acme_zones():
    return sorted(glob.glob(os.path.join(ACME, "zones", "*.zone")))


@pytest.fixture(scope="module")
def acme_nsd():
    if not nsdharness.nsd_available():
        pytest.skip("nsd is not installed")
    server = nsdharness.NSD(acme_zones())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("mode", ["offline", "live"])
def test_example_organization(sk, mode, request):
    server = request.getfixturevalue("acme_nsd") if mode == "live" else None
    res = sk(*audit_args(os.path.join(ACME, "acme.conf"), mode, server,
                         acme_zones()), timeout=120)
    exp = Scenario("acme", ACME_FAIL).expect(mode)
    checks = assert_outcome(res, exp, mode)
    for cid, text in ACME_SUBJECTS.items():
        subjects = [c["subject"] for c in checks
                    if c["id"] == cid and c["status"] == "fail"]
        assert subjects and all(s.endswith(text) for s in subjects), (
            cid, subjects, show(checks))
    # The demo shows both: most checks pass.
    assert len(by_status(checks, "pass")) >= 20, show(checks)
