"""`senderkit audit`: the command-line behaviour (exit codes, the --json
schema, text output and color, usage errors, bulk mode).  The finding ids
of each broken organization are tested in test_audit.py; here the checks
matter only as far as the CLI shows, counts and orders them.

The tests use a profile of their own ("cliesp", written to a temporary
directory) whose targets live in the cli-*.zone test zones (under the
TLD-like zone cli-audit, which NSD serves whole), so that
they do not depend on the Marketo profile's data; one test loads the
Marketo profile by name.
"""

import datetime
import json
import os
import pty
import re
import select
import subprocess

import pytest

import nsdharness

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
ZONES = os.path.join(HERE, "zones")

TODAY = datetime.date.today().isoformat()

PROFILE = """\
# The CLI tests' provider: the Marketo profile's shape, with its targets
# in the cli-*.zone test zones.
[profile]
id = cliesp
display_name = CLI test provider
as_of = %(today)s
docs_url = https://cli-esp.example/docs

[input munchkin_id]
regex = ^[0-9]{3}-[A-Z]{3}-[0-9]{3}$
required = no
severity = warning
hint = 123-ABC-456

[input account_string]
required = yes

[input default_branding_domain]
required = yes

[host landing]
config_key = landing_host
target = ${account_string}.cli-web.cli-audit
must_differ_from = tracking
probe_target = no
why = Landing pages are served through this CNAME.
source = https://cli-esp.example/landing

[host tracking]
config_key = tracking_host
target = ${default_branding_domain}
must_differ_from = landing
avoid_prefixes = track, link
why = Tracked links go through this CNAME.
source = https://cli-esp.example/tracking

[spf]
include = cli-esp.cli-audit
needed_when = branded_return_path
branded_all = -all
source = https://cli-esp.example/spf

[dkim]
min_bits = 1024
recommended_bits = 2048
fallback_d = cli-esp.cli-audit
all_ns_must_agree = yes
source = https://cli-esp.example/dkim

[dmarc]
recommended_alignment = dkim
aspf_strict_supported = no
rollout = none, quarantine, reject
source = https://cli-esp.example/dmarc

[envelope]
default_domain = cli-esp.cli-audit
branded_for = dedicated, trusted
source = https://cli-esp.example/envelope

[mx]
required_on_from_domain = yes
source = https://cli-esp.example/mx

[pools]
shared_max_monthly = 100000
trusted_max_monthly = 75000
source = https://cli-esp.example/pools

[list sending_cidrs]
kind = cidr
purpose = the provider's sending block
source = https://cli-esp.example/ips
as_of = %(today)s
spf_domain = cli-esp.cli-audit
items = 198.51.100.0/24
""" % {"today": TODAY}

CHECK_KEYS = {"id", "status", "severity", "group", "subject", "message",
              "evidence", "fix", "source"}
SUMMARY_KEYS = {"pass", "error", "warning", "info", "skip", "dnsfail"}
TOP_KEYS = {"schema", "organization", "profile", "domains", "checks",
            "summary", "exit"}
GROUPS = {"provider", "hosts", "spf", "dkim", "dmarc", "mx", "return-path"}
MARKS = ("PASS", "FAIL", "WARN", "INFO", "SKIP", "DNS")
SUMMARY_RE = re.compile(r"^(\d+) checks: (\d+) passed, (\d+) errors, "
                        r"(\d+) warnings, (\d+) info, (\d+) skipped, "
                        r"(\d+) DNS failures$")


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    d = tmp_path_factory.mktemp("profiles")
    p = d / "cliesp.ini"
    p.write_text(PROFILE)
    return str(p)


def org_args(domain, selector="s1"):
    """The organization options of a cli-*.cli-audit domain."""
    args = ["--munchkin", "123-ABC-456", "--account-string", "acme",
            "--branding-domain", "cli-brand.cli-audit",
            "--landing-host", "go." + domain,
            "--tracking-host", "em." + domain]
    if selector:
        args += ["--dkim-selector", selector]
    return args


@pytest.fixture
def live(nsd):
    """Live DNS against the test NSD, the direct per-NS queries too;
    --no-https: the hosts resolve to 192.0.2.x, and the HTTPS probes (on
    by default live) must not leave loopback."""
    return ["--server", nsd.server, "--ns-port", str(nsd.port),
            "--no-https"]


@pytest.fixture(scope="module")
def offline():
    """Offline: the cli-*.zone zones only (and nothing else)."""
    args = []
    for f in sorted(os.listdir(ZONES)):
        if f.startswith("cli-") and f.endswith(".zone"):
            args += ["--zone", os.path.join(ZONES, f)]
    return args


def audit(sk, profile, domain, dns, *extra, **kw):
    return sk("audit", domain, "--profile", profile, *org_args(domain),
              *dns, *extra, **kw)


def by_id(doc):
    out = {}
    for c in doc["checks"]:
        out.setdefault(c["id"], []).append(c)
    return out


def failed(doc, severities=("error", "warning", "info")):
    return {c["id"] for c in doc["checks"]
            if c["status"] == "fail" and c["severity"] in severities}


# ------------------------------------------------------------ --help, usage

def test_help_exit_0(sk):
    r = sk("audit", "--help")
    assert r.rc == 0, r
    assert r.out.startswith("Usage: senderkit audit"), r
    for word in ("--config", "--domains", "--jobs", "--json", "--show",
                 "--color", "--ns-port", "NO_COLOR", "Exit codes"):
        assert word in r.out, (word, r)
    assert r.err == "", r
    r2 = sk("help", "audit")
    assert r2.rc == 0 and r2.out == r.out, r2


@pytest.mark.parametrize("args,needle", [
    ([], "nothing to audit"),
    (["cli-good.cli-audit"], "--profile is required"),
    (["cli-good.cli-audit", "--profile", "P", "--bogus"], "--bogus"),
    (["cli-good.cli-audit", "--profile", "P", "--show", "some"], "--show"),
    (["cli-good.cli-audit", "--profile", "P", "--color", "red"], "--color"),
    (["cli-good.cli-audit", "--profile", "P", "--jobs", "4"], "--jobs"),
    (["--domains", "x", "--profile", "P", "--jobs", "0"], "--jobs"),
    (["cli-good.cli-audit", "--profile", "P", "--ip-mode", "pooled"],
     "--ip-mode"),
    (["cli-good.cli-audit", "--profile", "P", "--dmarc-stage", "strict"],
     "--dmarc-stage"),
    (["cli-good.cli-audit", "--profile", "P", "--input", "novalue"],
     "--input"),
    (["cli-good.cli-audit", "--profile", "P", "--max-age", "x"],
     "--max-age"),
    (["cli-good.cli-audit", "--profile", "P", "--ns-port", "70000"],
     "--ns-port"),
    (["cli-good.cli-audit", "other.example", "--profile", "P"], "one DOMAIN"),
    (["cli-good.cli-audit", "--domains", "f", "--profile", "P"],
     "exclude each other"),
    (["--config", "c.conf", "cli-good.cli-audit"], "--config"),
    (["--config", "c.conf", "--munchkin", "123-ABC-456"], "--config"),
    (["cli-good.cli-audit", "--profile", "P", "--zone", "z",
      "--server", "127.0.0.1:1"], "cannot be combined"),
])
def test_usage_errors_exit_2(sk, args, needle):
    r = sk("audit", *args)
    assert r.rc == 2, r
    assert r.out == "", r
    assert needle in r.err, r


def test_profile_not_found_exit_2(sk, offline):
    r = sk("audit", "cli-good.cli-audit", "--profile", "no-such-profile",
           *org_args("cli-good.cli-audit"), *offline)
    assert r.rc == 2, r
    assert "no-such-profile" in r.err, r


def test_config_missing_exit_2(sk, tmp_path, profile, offline):
    r = sk("audit", "--config", str(tmp_path / "absent.conf"), "--profile",
           profile, *offline)
    assert r.rc == 2, r
    assert "absent.conf" in r.err, r


def test_config_without_profile_exit_2(sk, tmp_path, offline):
    conf = tmp_path / "org.conf"
    conf.write_text("[organization]\nname = No Profile\n\n"
                    "[domain cli-good.cli-audit]\n")
    r = sk("audit", "--config", str(conf), *offline)
    assert r.rc == 2, r
    assert "profile" in r.err, r


def test_config_validation_error_names_file_line_key(sk, tmp_path,
                                                       profile, offline):
    """A host equal to a sending domain would need a CNAME at the apex:
    a validation error, printed FILE:LINE: KEY: message [id], exit 2
    before any DNS question."""
    conf = tmp_path / "apex.conf"
    conf.write_text("[organization]\n"
                    "name = Apex\n"
                    "profile = %s\n"
                    "\n"
                    "[provider]\n"
                    "account_string = acme\n"
                    "default_branding_domain = cli-brand.cli-audit\n"
                    "\n"
                    "[hosts]\n"
                    "landing_host = cli-good.cli-audit\n"
                    "tracking_host = em.cli-good.cli-audit\n"
                    "\n"
                    "[domain cli-good.cli-audit]\n" % profile)
    r = sk("audit", "--config", str(conf), *offline)
    assert r.rc == 2, r
    assert r.out == "", r
    m = re.search(r"^(\S*apex\.conf):(\d+): landing_host: .*"
                  r"\[config-host-apex\]$", r.err, re.M)
    assert m, r
    assert m.group(2) == "10", r


def test_validation_error_from_options_exit_2(sk, profile, offline):
    """Without a file the subject is the key alone; a missing required
    input (account_string) stops the audit."""
    r = sk("audit", "cli-good.cli-audit", "--profile", profile,
           "--branding-domain", "cli-brand.cli-audit", *offline)
    assert r.rc == 2, r
    assert re.search(r"^account_string: .*\[config-input-missing\]$",
                     r.err, re.M), r


# ------------------------------------------------------------ exit codes

def test_exit_0_clean_live(sk, profile, live):
    r = audit(sk, profile, "cli-good.cli-audit", live, "--json")
    assert r.rc == 0, r
    doc = r.json
    assert doc["exit"] == 0, r
    assert doc["summary"]["error"] == 0, r
    assert doc["summary"]["dnsfail"] == 0, r
    # Live: the direct per-NS DKIM comparison was made and agreed.
    ns = by_id(doc).get("dkim-ns-disagree", [])
    assert ns and all(c["status"] == "pass" for c in ns), r


def test_exit_0_clean_offline_ns_check_skipped(sk, profile, offline):
    r = audit(sk, profile, "cli-good.cli-audit", offline, "--json")
    assert r.rc == 0, r
    ns = by_id(r.json).get("dkim-ns-disagree", [])
    assert ns and all(c["status"] == "skip" for c in ns), r


def test_exit_1_on_error_findings(sk, profile, live):
    r = audit(sk, profile, "cli-bad.cli-audit", live, "--json")
    assert r.rc == 1, r
    doc = r.json
    assert doc["exit"] == 1, r
    assert doc["summary"]["error"] >= 1, r
    assert {"host-cname-target", "dmarc-missing"} <= failed(doc), r


def test_exit_3_when_dns_unreachable(sk, profile):
    """Nothing listens on the port: every check that needs DNS is a DNS
    failure, none is reported as "record missing"."""
    port = nsdharness.free_port()
    r = audit(sk, profile, "cli-good.cli-audit",
              ["--server", "127.0.0.1:%d" % port, "--timeout", "200",
               "--no-https"],
              "--json", timeout=120)
    assert r.rc == 3, r
    doc = r.json
    assert doc["exit"] == 3, r
    assert doc["summary"]["dnsfail"] > 0, r
    assert doc["summary"]["error"] == 0, r
    assert not failed(doc) & {"spf-missing", "dmarc-missing",
                              "mx-missing", "host-cname-missing",
                              "dkim-selector-missing"}, r


def test_exit_3_text_shows_dns_marks(sk, profile):
    port = nsdharness.free_port()
    r = audit(sk, profile, "cli-good.cli-audit",
              ["--server", "127.0.0.1:%d" % port, "--timeout", "200",
               "--no-https"],
              timeout=120)
    assert r.rc == 3, r
    assert any(ln.startswith("  DNS ") for ln in r.lines), r
    m = SUMMARY_RE.match(r.lines[-1])
    assert m and int(m.group(7)) > 0, r


# ------------------------------------------------------------ JSON schema

def test_json_schema(sk, profile, live):
    r = audit(sk, profile, "cli-bad.cli-audit", live, "--json")
    doc = r.json
    assert set(doc) == TOP_KEYS, r
    assert doc["schema"] == "senderkit-audit/1"
    assert doc["organization"] is None  # no config: no name
    assert doc["profile"]["id"] == "cliesp"
    assert doc["profile"]["as_of"] == TODAY
    assert doc["profile"]["path"] == profile
    assert doc["domains"] == ["cli-bad.cli-audit"]
    assert set(doc["summary"]) == SUMMARY_KEYS
    assert doc["checks"], r
    for c in doc["checks"]:
        assert set(c) == CHECK_KEYS, c
        assert c["status"] in ("pass", "fail", "skip", "dnsfail"), c
        if c["status"] == "fail":
            assert c["severity"] in ("error", "warning", "info"), c
        else:
            assert c["severity"] is None, c
        assert c["group"] in GROUPS, c
        for k in CHECK_KEYS - {"severity"}:
            assert isinstance(c[k], str), (k, c)
        assert c["id"] and c["message"], c
    # The summary counts the checks.
    s = doc["summary"]
    count = {"pass": 0, "error": 0, "warning": 0, "info": 0, "skip": 0,
             "dnsfail": 0}
    for c in doc["checks"]:
        count[c["severity"] if c["status"] == "fail" else c["status"]] += 1
    assert count == s, r
    # Grouped: each group's checks are contiguous, in report order.
    order = [c["group"] for c in doc["checks"]]
    seen = []
    for g in order:
        if not seen or seen[-1] != g:
            assert g not in seen, order
            seen.append(g)
    rank = ["provider", "hosts", "spf", "dkim", "dmarc", "return-path",
            "mx"]
    assert seen == sorted(seen, key=rank.index), seen


def test_json_failed_check_has_evidence_fix_source(sk, profile, live):
    doc = audit(sk, profile, "cli-bad.cli-audit", live, "--json").json
    c = by_id(doc)["host-cname-target"][0]
    assert c["subject"] == "go.cli-bad.cli-audit", c
    assert "elsewhere.cli-web.cli-audit" in c["evidence"], c
    assert "acme.cli-web.cli-audit" in c["fix"], c
    assert c["source"] == "https://cli-esp.example/landing", c


def test_json_organization_from_config(sk, tmp_path, profile, offline):
    conf = tmp_path / "good.conf"
    conf.write_text("[organization]\n"
                    "name = Good Corp\n"
                    "profile = cliesp.ini\n"
                    "\n"
                    "[provider]\n"
                    "munchkin_id = 123-ABC-456\n"
                    "account_string = acme\n"
                    "default_branding_domain = cli-brand.cli-audit\n"
                    "\n"
                    "[hosts]\n"
                    "landing_host = go.cli-good.cli-audit\n"
                    "tracking_host = em.cli-good.cli-audit\n"
                    "\n"
                    "[domain cli-good.cli-audit]\n"
                    "dkim_selectors = s1\n"
                    "dmarc = none\n"
                    "dmarc_rua = mailto:dmarc@cli-good.cli-audit\n")
    # "profile = cliesp.ini" is relative to the config's directory.
    os.symlink(profile, str(tmp_path / "cliesp.ini"))
    r = sk("audit", "--config", str(conf), *offline, "--json")
    assert r.rc == 0, r
    doc = r.json
    assert doc["organization"] == "Good Corp"
    assert doc["domains"] == ["cli-good.cli-audit"]
    assert doc["profile"]["id"] == "cliesp"


def test_profile_by_name_from_data_dir(sk, offline):
    """--profile marketo finds data/profiles/marketo.ini of the tree."""
    r = sk("audit", "cli-good.cli-audit", "--profile", "marketo",
           "--munchkin", "123-ABC-456", "--account-string", "acme",
           "--branding-domain", "mkto-a0244.com", *offline, "--json",
           "--no-spf-drift")
    assert r.rc in (0, 1, 3), r
    assert r.json["profile"]["id"] == "marketo", r
    assert r.json["profile"]["path"].endswith("marketo.ini"), r


def test_input_option_sets_provider_inputs(sk, profile, offline):
    """--input KEY=VALUE is the generic form of --account-string."""
    args = ["--munchkin", "123-ABC-456", "--input", "account_string=acme",
            "--input", "default_branding_domain=cli-brand.cli-audit",
            "--landing-host", "go.cli-good.cli-audit",
            "--tracking-host", "em.cli-good.cli-audit",
            "--dkim-selector", "s1"]
    r = sk("audit", "cli-good.cli-audit", "--profile", profile, *args,
           *offline, "--json")
    assert r.rc == 0, r
    ref = audit(sk, profile, "cli-good.cli-audit", offline, "--json")
    assert [(c["id"], c["status"]) for c in r.json["checks"]] == \
        [(c["id"], c["status"]) for c in ref.json["checks"]]


def test_warning_input_format_does_not_fail(sk, profile, offline):
    """A malformed Munchkin ID is a warning of the profile: shown in the
    provider group, exit stays 0."""
    args = org_args("cli-good.cli-audit")
    args[1] = "12-AB-3"
    r = sk("audit", "cli-good.cli-audit", "--profile", profile, *args,
           *offline, "--json")
    assert r.rc == 0, r
    prov = [c for c in r.json["checks"] if c["group"] == "provider"
            and c["status"] == "fail" and c["severity"] == "warning"]
    assert any("munchkin_id" in c["subject"] or "munchkin_id" in
               c["message"] for c in prov), r


# ------------------------------------------------------------ text output

def text_checks(out):
    """(mark, id) of every check line of a text report."""
    res = []
    for ln in out.splitlines():
        m = re.match(r"^  (PASS|FAIL|WARN|INFO|SKIP|DNS)\s+(\S+)\s", ln)
        if m:
            res.append((m.group(1), m.group(2)))
    return res


def test_text_grouped_with_details_and_summary(sk, profile, live):
    r = audit(sk, profile, "cli-bad.cli-audit", live)
    assert r.rc == 1, r
    doc = audit(sk, profile, "cli-bad.cli-audit", live, "--json").json
    lines = r.lines
    assert "\x1b" not in r.out, r  # piped: no color
    assert lines[0].startswith("Audit of cli-bad.cli-audit against profile "
                               "cliesp"), r
    # One line per check, in the JSON's order, with the right mark.
    marks = {("fail", "error"): "FAIL", ("fail", "warning"): "WARN",
             ("fail", "info"): "INFO", ("pass", None): "PASS",
             ("skip", None): "SKIP", ("dnsfail", None): "DNS"}
    want = [(marks[(c["status"], c["severity"])], c["id"])
            for c in doc["checks"]]
    assert text_checks(r.out) == want, r
    # Group headings, unindented, before their checks.
    assert "Landing-page and tracking hosts" in lines, r
    assert "DMARC" in lines, r
    # A FAIL is followed by seen:/fix:/source: lines.
    i = next(k for k, ln in enumerate(lines)
             if re.match(r"^  FAIL\s+host-cname-target\s", ln))
    assert "go.cli-bad.cli-audit: " in lines[i], r
    assert lines[i + 1].lstrip().startswith("seen:"), r
    assert "elsewhere.cli-web.cli-audit" in lines[i + 1], r
    assert lines[i + 2].lstrip().startswith("fix:"), r
    assert lines[i + 3].lstrip().startswith("source:"), r
    # The summary line counts what the JSON counts.
    m = SUMMARY_RE.match(lines[-1])
    assert m, r
    s = doc["summary"]
    assert [int(x) for x in m.groups()] == [
        len(doc["checks"]), s["pass"], s["error"], s["warning"], s["info"],
        s["skip"], s["dnsfail"]], r


def test_text_show_failing_passing_quiet(sk, profile, live):
    full = text_checks(audit(sk, profile, "cli-bad.cli-audit", live).out)
    r = audit(sk, profile, "cli-bad.cli-audit", live, "--show", "failing")
    assert r.rc == 1, r
    got = text_checks(r.out)
    assert got == [t for t in full if t[0] in ("FAIL", "WARN", "INFO",
                                                "DNS")], r
    assert SUMMARY_RE.match(r.lines[-1]), r
    r = audit(sk, profile, "cli-bad.cli-audit", live, "--show", "passing")
    assert text_checks(r.out) == [t for t in full if t[0] == "PASS"], r
    assert "seen:" not in r.out, r
    r = audit(sk, profile, "cli-bad.cli-audit", live, "--quiet")
    assert r.rc == 1, r
    assert len(r.lines) == 1 and SUMMARY_RE.match(r.lines[0]), r


def test_color_always_and_never(sk, profile, offline, monkeypatch):
    r = audit(sk, profile, "cli-bad.cli-audit", offline, "--color=always")
    assert "\x1b[31mFAIL\x1b[0m" in r.out, r
    assert "\x1b[32mPASS\x1b[0m" in r.out, r
    # An explicit --color=always wins over NO_COLOR (no-color.org).
    monkeypatch.setenv("NO_COLOR", "1")
    r = audit(sk, profile, "cli-bad.cli-audit", offline, "--color=always")
    assert "\x1b[31m" in r.out, r
    monkeypatch.delenv("NO_COLOR")
    r = audit(sk, profile, "cli-bad.cli-audit", offline, "--color=never")
    assert "\x1b" not in r.out, r


def run_on_pty(argv, env):
    """Run argv with stdout on a pseudo-terminal; returns (rc, output)."""
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdout=slave, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks = []
    while True:
        r, _, _ = select.select([master], [], [], 60)
        if not r:
            break
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return p.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("no_color,colored", [
    (None, True), ("1", False), ("", True)])
def test_color_auto_on_a_terminal(senderkit_path, profile, offline,
                                  no_color, colored):
    """--color=auto (the default): color on a terminal unless NO_COLOR is
    set to a non-empty value."""
    env = dict(os.environ, TERM="xterm")
    env.pop("NO_COLOR", None)
    if no_color is not None:
        env["NO_COLOR"] = no_color
    argv = [senderkit_path, "audit", "cli-bad.cli-audit", "--profile",
            profile] + org_args("cli-bad.cli-audit") + offline
    rc, out = run_on_pty(argv, env)
    assert rc == 1, out
    assert ("\x1b[" in out) == colored, out
    assert "FAIL" in out, out


def test_hostile_dns_text_is_escaped(sk, profile, offline):
    """An escape sequence in a TXT record reaches the report as \\x1b,
    and so does a C1 control (U+009B CSI, valid UTF-8) as \\xc2\\x9b."""
    r = audit(sk, profile, "cli-esc.cli-audit", offline, "--color=never")
    assert "\x1b" not in r.out, r
    assert "\u009b" not in r.out, r
    assert "\\x1b[2J\\xc2\\x9bdmarc@" in r.out, r
    j = audit(sk, profile, "cli-esc.cli-audit", offline, "--json")
    # JSON keeps the byte, escaped as \u001b: no raw ESC in the output.
    assert "\x1b" not in j.out, j
    assert "\\u001b" in j.out.lower(), j
    assert any("\x1b[2J" in c["evidence"] for c in j.json["checks"]), j


# ------------------------------------------------------------ bulk mode

def bulk(sk, tmp_path, text, profile, dns, *extra, **kw):
    f = tmp_path / "domains.txt"
    f.write_text(text)
    return sk("audit", "--domains", str(f), "--profile", profile,
              "--munchkin", "123-ABC-456", "--account-string", "acme",
              "--branding-domain", "cli-brand.cli-audit",
              "--landing-host", "go.${domain}",
              "--tracking-host", "em.${domain}", "--dkim-selector", "s1",
              *dns, *extra, **kw)


def test_bulk_bad_line_in_the_middle_keeps_order(sk, tmp_path, profile,
                                                 live):
    text = ("# sending domains\n"          # 1
            "cli-good.cli-audit\n"           # 2
            "\n"                           # 3
            "not_ok..example\n"            # 4: empty label
            "CLI-BAD.cli-audit.   # bad\n"   # 5: case, dot, comment
            "two words.example\n"          # 6: two fields
            "cli-good.cli-audit\n")          # 7
    r = bulk(sk, tmp_path, text, profile, live, "--json", "--jobs", "3")
    objs = r.json_lines
    assert [(o["domain"], o["line"]) for o in objs] == [
        ("cli-good.cli-audit", 2), ("not_ok..example", 4),
        ("cli-bad.cli-audit", 5), ("two words.example", 6),
        ("cli-good.cli-audit", 7)], r
    assert set(objs[1]) == {"domain", "line", "error"}, r
    assert set(objs[3]) == {"domain", "line", "error"}, r
    for o in (objs[0], objs[2], objs[4]):
        assert set(o) == {"domain", "line", "checks", "summary", "exit"}, o
        assert set(o["summary"]) == SUMMARY_KEYS
        for c in o["checks"]:
            assert set(c) == CHECK_KEYS, c
    assert objs[0]["exit"] == 0 and objs[4]["exit"] == 0, r
    assert objs[2]["exit"] == 1, r
    assert "host-cname-target" in failed(objs[2]), r
    # Exit: the highest over the lines (a bad line counts 2).
    assert r.rc == 2, r


def test_bulk_many_domains_in_order_and_not_mixed(sk, tmp_path, profile,
                                                  live):
    """Results of concurrent workers are not mixed up between domains:
    each object matches its own domain's result."""
    names = ["cli-good.cli-audit", "cli-bad.cli-audit"] * 30
    r = bulk(sk, tmp_path, "\n".join(names) + "\n", profile, live,
             "--json", "--jobs", "8", timeout=240)
    assert r.rc == 1, r
    objs = r.json_lines
    assert [o["domain"] for o in objs] == names, r
    assert [o["line"] for o in objs] == list(range(1, 61)), r
    ref = {}
    for o in objs:
        key = [(c["id"], c["subject"], c["status"]) for c in o["checks"]]
        assert ref.setdefault(o["domain"], key) == key, o["domain"]
        assert o["exit"] == (0 if o["domain"] == "cli-good.cli-audit"
                             else 1), o
        # the hosts were built from ${domain}
        hosts = {c["subject"] for c in o["checks"]
                 if c["group"] == "hosts"}
        assert "go." + o["domain"] in hosts, o


def test_bulk_offline_and_stdin(sk, profile, offline):
    r = sk("audit", "--domains", "-", "--profile", profile,
           "--munchkin", "123-ABC-456", "--account-string", "acme",
           "--branding-domain", "cli-brand.cli-audit",
           "--landing-host", "go.${domain}",
           "--tracking-host", "em.${domain}", "--dkim-selector", "s1",
           *offline, "--json", "--jobs", "2",
           stdin="cli-good.cli-audit\ncli-good.cli-audit\n")
    assert r.rc == 0, r
    objs = r.json_lines
    assert [o["line"] for o in objs] == [1, 2], r
    for o in objs:
        ns = [c for c in o["checks"] if c["id"] == "dkim-ns-disagree"]
        assert ns and all(c["status"] == "skip" for c in ns), o


def test_bulk_text_one_line_per_domain(sk, tmp_path, profile, live):
    r = bulk(sk, tmp_path, "cli-good.cli-audit\nbad..name\ncli-bad.cli-audit\n",
             profile, live)
    assert r.rc == 2, r
    assert "\x1b" not in r.out, r
    assert len(r.lines) == 3, r
    assert re.match(r"^PASS\s+cli-good\.cli-audit: \d+ checks: ", r.lines[0])
    assert re.match(r"^ERROR line 2: bad\.\.name: ", r.lines[1]), r
    assert re.match(r"^FAIL\s+cli-bad\.cli-audit: \d+ checks: .*"
                    r"host-cname-target", r.lines[2]), r
    q = bulk(sk, tmp_path, "cli-good.cli-audit\ncli-bad.cli-audit\n", profile,
             live, "--quiet")
    assert q.rc == 1, q
    assert len(q.lines) == 1 and "cli-bad.cli-audit" in q.lines[0], q


def test_bulk_dns_unreachable_exit_3(sk, tmp_path, profile):
    port = nsdharness.free_port()
    r = bulk(sk, tmp_path, "cli-good.cli-audit\n", profile,
             ["--server", "127.0.0.1:%d" % port, "--timeout", "200",
              "--no-https"],
             "--json", timeout=120)
    assert r.rc == 3, r
    assert r.json_lines[0]["exit"] == 3, r


def test_bulk_missing_file_exit_2(sk, tmp_path, profile, offline):
    r = sk("audit", "--domains", str(tmp_path / "none.txt"), "--profile",
           profile, *offline)
    assert r.rc == 2, r
    assert "none.txt" in r.err, r
