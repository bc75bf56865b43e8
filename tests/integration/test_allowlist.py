"""`senderkit allowlist check|render|diff` against data/profiles/marketo.ini.

Every rendered format that a real tool reads is checked by that tool:
nft -c -f, iptables-restore --test / ip6tables-restore --test, nginx -t,
haproxy -c, apache2 -t, squid -k parse, postmap -q (Postfix looks each
block's edges up in the rendered cidr table), spamassassin --lint plus a
message whose relay must come out trusted, and the PAC file is evaluated
by node on sample hosts.  A tool that is not installed or cannot run here
makes its test skip with the reason (meson runs this file with -rs, so the
reason is printed); scripts/deps.sh installs them all.

Not checked by a real tool: pf (pf.conf is read by pfctl, which exists on
OpenBSD and FreeBSD only; Debian has no pf), and the AWS, Azure and GCP
JSON (their checkers are the cloud APIs; the tests compare the JSON with
the documented schemas' field names instead).  Those outputs are still
read back by `allowlist diff` in the round-trip tests.

Expected blocks are computed independently with Python's ipaddress module
from the profile file itself, so the renderers are not judged by their own
output.
"""

import csv
import io
import ipaddress
import json
import os
import re
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
PROFILE = os.path.join(TOP, "data", "profiles", "marketo.ini")

IP_FORMATS = ["nftables", "iptables", "ip6tables", "pf", "aws", "azure",
              "gcp", "nginx", "apache", "haproxy", "postfix", "spamassassin",
              "csv", "json", "ranges"]
DOMAIN_FORMATS = ["squid", "pac", "hosts"]


# ------------------------------------------------------------ the profile

def read_lists(path=PROFILE):
    """[list NAME] sections of a profile: {name: {key: value}} with
    continuation lines joined, and items split on commas."""
    lists, cur, key = {}, None, None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            s = line.strip()
            if not s or s[0] in "#;":
                continue
            if line[0] in " \t" and cur is not None and key is not None:
                cur[key] += " " + s
                continue
            m = re.match(r"\[list\s+(\S+)\]$", s)
            if m:
                cur = lists.setdefault(m.group(1), {})
                key = None
                continue
            if s.startswith("["):
                cur, key = None, None
                continue
            if cur is not None and "=" in s:
                key, _, val = s.partition("=")
                key = key.strip().lower()
                cur[key] = val.strip()
    for d in lists.values():
        d["items"] = [i.strip() for i in d.get("items", "").split(",")
                      if i.strip()]
    return lists


LISTS = read_lists()
SENDING = LISTS["sending_cidrs"]
OUTBOUND = LISTS["outbound_ips"]
WEB = LISTS["web_domains"]


def nets(items):
    return [ipaddress.ip_network(i, strict=False) for i in items]


def collapsed(items):
    v4 = [n for n in nets(items) if n.version == 4]
    v6 = [n for n in nets(items) if n.version == 6]
    return (list(ipaddress.collapse_addresses(v4)) +
            list(ipaddress.collapse_addresses(v6)))


OUT_ITEMS = SENDING["items"] + OUTBOUND["items"]
OUT_BLOCKS = collapsed(OUT_ITEMS)


def as_nets(texts):
    return sorted((ipaddress.ip_network(t, strict=False) for t in texts),
                  key=lambda n: (n.version, n))


def cover(found):
    """Collapse networks found in an output for comparison."""
    return sorted(collapsed([str(n) for n in found]),
                  key=lambda n: (n.version, n))


def expected():
    return sorted(OUT_BLOCKS, key=lambda n: (n.version, n))


# ------------------------------------------------------------ fixtures

@pytest.fixture
def al(sk):
    def run(*args, stdin=None):
        return sk("allowlist", *args, "--profile", PROFILE, stdin=stdin)
    return run


def render(al, fmt, *extra):
    r = al("render", "--format", fmt, *extra)
    assert r.rc == 0, r
    return r.out


def test_profile_has_the_lists():
    # The profile data this file tests against (research F12.1, F13.1).
    assert "192.28.144.0/20" in SENDING["items"]
    assert len(SENDING["items"]) == 9
    assert len(OUTBOUND["items"]) == 14
    assert "*.marketo.com" in WEB["items"]


# ------------------------------------------------------------ check

def test_check_inside_and_outside(al):
    r = al("check", "192.28.150.1", "130.248.168.16", "8.8.8.8")
    assert r.rc == 1, r
    assert ("192.28.150.1  sending_cidrs 192.28.144.0/20 (%s, as of %s)"
            % (SENDING["source"], SENDING["as_of"])) in r.lines
    assert ("130.248.168.16  outbound_ips 130.248.168.16 (%s, as of %s)"
            % (OUTBOUND["source"], OUTBOUND["as_of"])) in r.lines
    assert "8.8.8.8  outside" in r.lines
    assert len(r.lines) == 3


def test_check_all_inside_exit_0(al):
    # Block edges: first and last address of each sending block.
    addrs = []
    for n in nets(SENDING["items"]):
        addrs += [str(n.network_address), str(n.broadcast_address)]
    r = al("check", *addrs)
    assert r.rc == 0, r
    assert len(r.lines) == len(addrs)
    assert all("sending_cidrs" in ln for ln in r.lines)


def test_check_edges_outside(al):
    r = al("check", "192.28.143.255", "199.15.216.0", "130.248.244.87",
           "130.248.244.96")
    assert r.rc == 1, r
    assert [ln.split()[1] for ln in r.lines] == ["outside"] * 4


def test_check_set_sending_excludes_outbound_ips(al):
    r = al("check", "--set", "sending", "130.248.168.16")
    assert r.rc == 1 and r.lines == ["130.248.168.16  outside"], r
    r = al("check", "--set", "outbound", "130.248.168.16")
    assert r.rc == 0, r


def test_check_bad_input_exit_2_with_offset(al):
    r = al("check", "192.28.150.1", "192.28.150.256")
    assert r.rc == 2, r
    assert "'192.28.150.256' is not an IP address" in r.err
    assert "octet 4 is over 255" in r.err
    # Caret under offset 11 (the fourth octet).
    lines = r.err.splitlines()
    caret = [ln for ln in lines if ln.strip() == "^"]
    assert caret and caret[0].index("^") == 8 + 11, r.err
    # The good address is still answered.
    assert r.lines[0].startswith("192.28.150.1  sending_cidrs")


def test_check_json_and_stdin(al):
    r = al("check", "--json", "-",
           stdin="# comment\n192.28.150.1\n\n  2001:db8::1  \n")
    assert r.rc == 1, r
    j = r.json
    assert j["profile"] == "marketo" and j["set"] == "all"
    assert j["outside"] == 1
    res = {x["ip"]: x for x in j["results"]}
    assert res["2001:db8::1"]["inside"] is False
    m = res["192.28.150.1"]["matches"]
    assert m == [{"list": "sending_cidrs", "item": "192.28.144.0/20",
                  "block": "192.28.144.0/20",
                  "source": SENDING["source"], "as_of": SENDING["as_of"]}]


def test_check_profile_by_name(sk, monkeypatch):
    monkeypatch.setenv("SENDERKIT_PROFILES", os.path.dirname(PROFILE))
    r = sk("allowlist", "check", "199.15.212.1")
    assert r.rc == 0 and "sending_cidrs 199.15.212.0/22" in r.out, r


def test_check_unknown_list(al):
    r = al("check", "--list", "nosuch", "1.2.3.4")
    assert r.rc == 2 and "nosuch" in r.err, r


# ------------------------------------------------------------ render

def elements(text):
    """Every address/CIDR token outside comment lines."""
    out = []
    for ln in text.splitlines():
        if ln.lstrip().startswith(("#", "//")):
            continue
        for tok in re.findall(r"[0-9a-fA-F:.]+(?:/\d+)?", ln):
            if "." in tok and tok.count(".") == 3 or ":" in tok:
                try:
                    out.append(ipaddress.ip_network(tok.rstrip("."),
                                                    strict=True))
                except ValueError:
                    pass
    return out


def test_render_header_names_provenance(al):
    for fmt in ["nftables", "iptables", "pf", "nginx", "apache", "haproxy",
                "postfix", "spamassassin", "ranges"]:
        out = render(al, fmt)
        head = [ln for ln in out.splitlines() if ln.startswith("#")]
        text = "\n".join(head)
        assert "profile marketo" in text and "set outbound" in text, fmt
        for lst in (SENDING, OUTBOUND):
            assert "source: " + lst["source"] in text, fmt
            assert "as of: " + lst["as_of"] in text, fmt


def test_render_blocks_are_the_minimal_set(al):
    for fmt in ["nftables", "pf", "nginx", "apache", "haproxy", "postfix",
                "spamassassin"]:
        assert cover(elements(render(al, fmt))) == expected(), fmt
        # Minimal: no more blocks than the collapsed set.
        assert len(elements(render(al, fmt))) == len(OUT_BLOCKS), fmt


def test_render_as_listed(al):
    out = render(al, "nginx", "--as-listed")
    got = set(str(n) for n in elements(out))
    assert "130.248.172.0/24" in got and "130.248.173.0/24" in got
    assert len(got) == len(set(OUT_ITEMS))


def test_render_csv(al):
    rows = list(csv.DictReader(io.StringIO(render(al, "csv"))))
    assert cover(ipaddress.ip_network(r["cidr"]) for r in rows) == \
        expected()
    for r in rows:
        n = ipaddress.ip_network(r["cidr"])
        assert r["first"] == str(n.network_address)
        assert r["last"] == str(n.broadcast_address)
        src = LISTS[r["list"]]
        assert r["source"] == src["source"] and r["as_of"] == src["as_of"]
        assert any(n.overlaps(i) for i in nets(src["items"]))


def test_render_json_formats(al):
    j = json.loads(render(al, "json"))
    assert j["profile"]["id"] == "marketo" and j["set"] == "outbound"
    assert j["return_path_pattern"] == "*.mktomail.com"
    assert {x["name"]: (x["source"], x["as_of"]) for x in j["lists"]} == {
        "sending_cidrs": (SENDING["source"], SENDING["as_of"]),
        "outbound_ips": (OUTBOUND["source"], OUTBOUND["as_of"])}
    assert as_nets(b["cidr"] for b in j["blocks"]) == expected()

    aws = json.loads(render(al, "aws"))
    assert len(aws) == 1 and aws[0]["IpProtocol"] == "-1"
    assert as_nets(r["CidrIp"] for r in aws[0]["IpRanges"]) == expected()
    for r in aws[0]["IpRanges"]:
        assert re.fullmatch(r"[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]{1,255}",
                            r["Description"]), r
        assert "as of " + SENDING["as_of"] in r["Description"]
    aws = json.loads(render(al, "aws", "--port", "443"))
    assert (aws[0]["IpProtocol"], aws[0]["FromPort"], aws[0]["ToPort"]) \
        == ("tcp", 443, 443)

    az = json.loads(render(al, "azure"))
    assert len(az) == 1
    p = az[0]["properties"]
    assert p["access"] == "Allow" and p["direction"] == "Inbound"
    assert len(p["description"]) <= 140
    assert re.fullmatch(r"[a-z][a-z0-9-]*[a-z0-9]", az[0]["name"])
    assert as_nets(p["sourceAddressPrefixes"]) == expected()

    gcp = json.loads(render(al, "gcp", "--port", "8443"))
    assert gcp[0]["direction"] == "INGRESS"
    assert re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", gcp[0]["name"])
    assert gcp[0]["allowed"] == [{"IPProtocol": "tcp", "ports": ["8443"]}]
    assert as_nets(gcp[0]["sourceRanges"]) == expected()


def test_render_ranges_for_google_workspace(al):
    out = render(al, "ranges", "--set", "sending")
    assert "*.mktomail.com" in out
    pairs = [ln.split("-") for ln in out.splitlines()
             if ln and not ln.startswith("#")]
    got = []
    for a, b in pairs:
        got += ipaddress.summarize_address_range(ipaddress.ip_address(a),
                                                 ipaddress.ip_address(b))
    assert cover(got) == sorted(collapsed(SENDING["items"]),
                                key=lambda n: (n.version, n))
    # Adjacent blocks come out as one range.
    assert ["130.248.172.0", "130.248.173.255"] in pairs


def test_render_domain_formats(al):
    hosts = render(al, "hosts")
    pats = [ln for ln in hosts.splitlines() if ln and ln[0] != "#"]
    assert sorted(pats) == sorted(WEB["items"])
    assert "not\n# NAME itself" in hosts
    squid = render(al, "squid")
    assert "matches NAME itself AND every subdomain" in squid
    acl = [ln.split() for ln in squid.splitlines() if ln.startswith("acl")]
    assert sorted(a[3] for a in acl) == sorted(
        "." + i[2:] for i in WEB["items"])
    r = al("render", "--format", "nginx", "--set", "web")
    assert r.rc == 2 and "takes address lists" in r.err, r
    r = al("render", "--format", "squid", "--set", "outbound")
    assert r.rc == 2 and "takes domain lists" in r.err, r
    r = al("render", "--format", "bogus")
    assert r.rc == 2 and "unknown format" in r.err, r


# ------------------------------------------------------------ real tools

def _run(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=60,
                          **kw)


def need(tool):
    path = shutil.which(tool) or (os.path.exists("/usr/sbin/" + tool) and
                                  "/usr/sbin/" + tool)
    if not path:
        pytest.skip("%s is not installed (scripts/deps.sh installs it)"
                    % tool)
    return path


def netfilter_runner(argv_ok):
    """How to run a netfilter check here: directly (root), or in a new
    user and network namespace (unshare -rn).  Probed with a known-good
    input; skips with the reason when neither works."""
    tried = []
    for prefix in ([], ["unshare", "-rn"]):
        if prefix and not shutil.which("unshare"):
            continue
        p = _run(prefix + argv_ok)
        if p.returncode == 0:
            return prefix
        tried.append("%s: %s" % (" ".join(prefix + argv_ok),
                                 p.stdout.strip()[:200]))
    pytest.skip("the kernel refuses netfilter checks here: "
                + " | ".join(tried))


def test_nft_accepts_render(al, tmp_path):
    nft = need("nft")
    good = tmp_path / "probe.nft"
    good.write_text("table inet sk_probe { }\n")
    pre = netfilter_runner([nft, "-c", "-f", str(good)])
    for extra in ([], ["--port", "443"], ["--as-listed"],
                  ["--set", "sending", "--name", "mkto-in"]):
        f = tmp_path / "out.nft"
        f.write_text(render(al, "nftables", *extra))
        p = _run(pre + [nft, "-c", "-f", str(f)])
        assert p.returncode == 0, (extra, p.stdout, f.read_text())
    # And a broken file is refused (the check is real).
    f.write_text(render(al, "nftables").replace("ipv4_addr", "ipv9_addr"))
    assert _run(pre + [nft, "-c", "-f", str(f)]).returncode != 0


def test_nft_loaded_ruleset_diffs_clean(al, tmp_path):
    """Load the render into a private network namespace, read it back
    with `nft list ruleset` (nft's own formatting) and diff that."""
    nft = need("nft")
    if not shutil.which("unshare"):
        pytest.skip("unshare is not installed")
    f = tmp_path / "out.nft"
    f.write_text(render(al, "nftables"))
    p = _run(["unshare", "-rn", "sh", "-c",
              '"$0" -f "$1" && "$0" list ruleset', nft, str(f)])
    if p.returncode != 0:
        pytest.skip("cannot load rules in a network namespace here: "
                    + p.stdout.strip()[:300])
    listed = tmp_path / "listed.nft"
    listed.write_text(p.stdout)
    r = al("diff", "--format", "nftables", str(listed))
    assert r.rc == 0, (r, p.stdout)


def test_iptables_restore_accepts_render(al, tmp_path):
    for tool, fmt in (("iptables-restore", "iptables"),
                      ("ip6tables-restore", "ip6tables")):
        exe = need(tool)
        probe = tmp_path / "probe"
        probe.write_text("*filter\n:SK-PROBE - [0:0]\nCOMMIT\n")
        pre = netfilter_runner([exe, "--test", str(probe)])
        for extra in ([], ["--port", "443"]):
            f = tmp_path / ("out." + fmt)
            f.write_text(render(al, fmt, *extra))
            p = _run(pre + [exe, "--test", str(f)])
            assert p.returncode == 0, (tool, extra, p.stdout)
        f.write_text(render(al, fmt) + "-A NOSUCH -s 1.2.3.4 -j ACCEPT\n"
                     "COMMIT\n")
        assert _run(pre + [exe, "--test", str(f)]).returncode != 0


def test_iptables_save_output_diffs_clean(al, tmp_path):
    """iptables-restore the render in a private namespace, iptables-save
    it back (the tool's own format: /32 suffixes, -m matches) and diff."""
    exe = need("iptables-restore")
    if not shutil.which("unshare"):
        pytest.skip("unshare is not installed")
    f = tmp_path / "out.iptables"
    f.write_text(render(al, "iptables", "--port", "443"))
    p = _run(["unshare", "-rn", "sh", "-c",
              '"$0" --noflush < "$1" && iptables-save', exe, str(f)])
    if p.returncode != 0:
        pytest.skip("cannot load rules in a network namespace here: "
                    + p.stdout.strip()[:300])
    saved = tmp_path / "saved"
    saved.write_text(p.stdout)
    assert "-A MARKETO-OUTBOUND -s 13.55.192.247/32 -p tcp" in p.stdout
    r = al("diff", "--format", "iptables", str(saved))
    assert r.rc == 0, (r, p.stdout)


def test_nginx_accepts_render(al, tmp_path):
    nginx = need("nginx")
    allow = tmp_path / "allow.conf"
    allow.write_text(render(al, "nginx"))
    conf = tmp_path / "nginx.conf"
    conf.write_text("""
pid %(d)s/nginx.pid;
error_log %(d)s/error.log;
events {}
http {
    access_log off;
    client_body_temp_path %(d)s/cb;
    proxy_temp_path %(d)s/pt;
    fastcgi_temp_path %(d)s/ft;
    uwsgi_temp_path %(d)s/ut;
    scgi_temp_path %(d)s/st;
    server {
        listen 127.0.0.1:1;
        location / { include %(allow)s; return 204; }
    }
}
""" % {"d": tmp_path, "allow": allow})
    argv = [nginx, "-t", "-c", str(conf), "-p", str(tmp_path), "-e",
            str(tmp_path / "error.log")]
    p = _run(argv)
    assert p.returncode == 0 and "syntax is ok" in p.stdout, p.stdout
    allow.write_text(render(al, "nginx").replace("allow 94.", "alow 94."))
    assert _run(argv).returncode != 0


def test_haproxy_accepts_render(al, tmp_path):
    haproxy = need("haproxy")
    acl = render(al, "haproxy")
    name = re.search(r"^acl (\S+) src", acl, re.M).group(1)
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text("defaults\n  mode http\n  timeout connect 1s\n"
                   "  timeout client 1s\n  timeout server 1s\n"
                   "frontend f\n  bind 127.0.0.1:1\n"
                   + "".join("  " + ln + "\n" for ln in acl.splitlines())
                   + "  http-request deny unless %s\n" % name
                   + "  default_backend b\nbackend b\n"
                   "  server s 127.0.0.1:2\n")
    p = _run([haproxy, "-c", "-f", str(cfg)])
    assert p.returncode == 0, (p.stdout, cfg.read_text())
    # haproxy read every block: its ACL holds 23 items' 21 blocks.
    assert len(elements(acl)) == len(OUT_BLOCKS)


def test_apache_accepts_render(al, tmp_path):
    apache = need("apache2")
    mods = "/usr/lib/apache2/modules"
    for m in ("mod_mpm_event.so", "mod_authz_core.so", "mod_authz_host.so"):
        if not os.path.exists(os.path.join(mods, m)):
            pytest.skip("apache2 module %s is missing" % m)
    inc = tmp_path / "allow.conf"
    inc.write_text(render(al, "apache"))
    conf = tmp_path / "apache.conf"
    conf.write_text("""ServerRoot %(d)s
ServerName localhost
PidFile %(d)s/apache.pid
ErrorLog %(d)s/error.log
Listen 127.0.0.1:1
LoadModule mpm_event_module %(m)s/mod_mpm_event.so
LoadModule authz_core_module %(m)s/mod_authz_core.so
LoadModule authz_host_module %(m)s/mod_authz_host.so
<Location />
Include %(inc)s
</Location>
""" % {"d": tmp_path, "m": mods, "inc": inc})
    p = _run([apache, "-t", "-f", str(conf)])
    assert p.returncode == 0 and "Syntax OK" in p.stdout, p.stdout
    inc.write_text(render(al, "apache").replace("Require ip 94.236",
                                                "Require ip 94.236.x"))
    assert _run([apache, "-t", "-f", str(conf)]).returncode != 0


def test_squid_parses_render_without_warnings(al, tmp_path):
    squid = need("squid")
    inc = tmp_path / "web.squid"
    text = render(al, "squid")
    inc.write_text(text)
    name = re.search(r"^acl (\S+) dstdomain", text, re.M).group(1)
    conf = tmp_path / "squid.conf"
    conf.write_text("http_port 127.0.0.1:1\n"
                    "pid_filename %(d)s/squid.pid\n"
                    "cache_log %(d)s/cache.log\naccess_log none\n"
                    "include %(inc)s\nhttp_access allow %(n)s\n"
                    "http_access deny all\n"
                    % {"d": tmp_path, "inc": inc, "n": name})
    p = _run([squid, "-k", "parse", "-f", str(conf)])
    assert p.returncode == 0, p.stdout
    bad = [ln for ln in p.stdout.splitlines()
           if "WARNING" in ln or "ERROR" in ln]
    assert not bad, p.stdout
    for item in WEB["items"]:
        assert "dstdomain ." + item[2:] in p.stdout  # squid read each
    # The overlap Squid itself rejects, so dropping it matters.
    inc.write_text(text + "acl %s dstdomain marketo.com\n" % name)
    p = _run([squid, "-k", "parse", "-f", str(conf)])
    assert "ERROR" in p.stdout or p.returncode != 0, p.stdout


PAC_RUNTIME = r"""
const vm = require("vm");
const fs = require("fs");
// The PAC helper functions a browser provides (Netscape PAC spec).
function dnsDomainIs(host, domain) {
    return host.length >= domain.length &&
        host.substring(host.length - domain.length) == domain;
}
function shExpMatch(str, shexp) {
    const re = new RegExp("^" + shexp.replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*").replace(/\?/g, ".") + "$");
    return re.test(str);
}
function isPlainHostName(host) { return host.indexOf(".") < 0; }
const ctx = {dnsDomainIs, shExpMatch, isPlainHostName};
vm.createContext(ctx);
vm.runInContext(fs.readFileSync(process.argv[2], "utf8"), ctx);
const out = {};
for (const h of process.argv.slice(3))
    out[h] = ctx.FindProxyForURL("https://" + h + "/", h);
console.log(JSON.stringify(out));
"""


def test_pac_evaluated_by_node(al, tmp_path):
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        pytest.skip("node is not installed (Debian package nodejs)")
    pac = tmp_path / "proxy.pac"
    pac.write_text(render(al, "pac", "--proxy", "PROXY proxy.corp:3128"))
    js = tmp_path / "run.js"
    js.write_text(PAC_RUNTIME)
    hosts = ["app.marketo.com", "a.b.marketo.com", "APP.MKTOWEB.COM.",
             "x.experience.adobe.com", "example.org", "marketo.com",
             "evilmarketo.com", "marketo.com.evil.org"]
    p = _run([node, str(js), str(pac)] + hosts)
    assert p.returncode == 0, p.stdout
    got = json.loads(p.stdout)
    direct = {"app.marketo.com", "a.b.marketo.com", "APP.MKTOWEB.COM.",
              "x.experience.adobe.com"}
    for h in hosts:
        want = "DIRECT" if h in direct else "PROXY proxy.corp:3128"
        assert got[h] == want, (h, got)


# ------------------------------------------------------------ diff

def without(text, token, whole_line):
    if whole_line:
        return "".join(ln for ln in text.splitlines(True) if token not in ln)
    return re.sub(r"(?<![\w.:/])" + re.escape(token) + r"(?![\w.:/])", "",
                  text)


@pytest.mark.parametrize("fmt", [f for f in IP_FORMATS if f != "ip6tables"])
def test_round_trip_every_format(al, tmp_path, fmt):
    out = render(al, fmt)
    f = tmp_path / ("out." + fmt)
    f.write_text(out)
    r = al("diff", "--format", fmt, str(f))
    assert r.rc == 0, r
    assert r.lines == ["all %d items of set outbound allowed by %s "
                       "(%d entries read)" % (len(OUT_ITEMS), f,
                                              int(re.search(r"\((\d+) ",
                                                            r.out)
                                                  .group(1)))], r
    # Take one block out: exactly that item is reported.
    if fmt == "ranges":
        token, whole = "130.248.244.88-130.248.244.95", False
    else:
        token, whole = "130.248.244.88/29", fmt in ("csv", "json")
    assert token in out, out
    f.write_text(without(out, token, whole))
    r = al("diff", "--format", fmt, str(f))
    assert r.rc == 1, r
    assert r.lines[0] == ("missing  sending_cidrs 130.248.244.88/29 "
                          "(%s, as of %s)" % (SENDING["source"],
                                              SENDING["as_of"])), r
    assert len(r.lines) == 2 and r.lines[1].startswith(
        "1 of %d items" % len(OUT_ITEMS)), r


def test_diff_broader_rule_and_partial(al, tmp_path):
    f = tmp_path / "rules"
    items = [i for i in OUT_ITEMS
             if not i.startswith(("192.28.", "130.248.244."))]
    f.write_text("*filter\n:IN - [0:0]\n"
                 + "".join("-A IN -s %s -j ACCEPT\n" % i for i in items)
                 # A broader /19 covers 192.28.144.0/20; a /20 covers
                 # only the first half of 192.28.160.0/19.
                 + "-A IN -s 192.28.128.0/19 -j ACCEPT\n"
                 + "-A IN -s 192.28.160.0/20 -j ACCEPT\n"
                 + "-A IN -s 130.248.244.88/29 -j DROP\n"
                 + "-A IN ! -s 130.248.244.88/29 -j ACCEPT\n"
                 + "COMMIT\n")
    r = al("diff", "--format", "iptables", str(f))
    assert r.rc == 1, r
    src = "(%s, as of %s)" % (SENDING["source"], SENDING["as_of"])
    assert r.lines[:2] == [
        "missing  sending_cidrs 130.248.244.88/29 " + src,
        "partial  sending_cidrs 192.28.160.0/19: not allowed "
        "192.28.176.0/20 " + src,
    ] or r.lines[:2] == [
        "partial  sending_cidrs 192.28.160.0/19: not allowed "
        "192.28.176.0/20 " + src,
        "missing  sending_cidrs 130.248.244.88/29 " + src,
    ], r
    assert "192.28.144.0/20" not in r.out
    r = al("diff", "--format", "iptables", "--json", str(f))
    j = r.json
    assert j["items"] == len(OUT_ITEMS)
    part = [m for m in j["missing"] if m["partial"]]
    assert part and part[0]["not_allowed"] == ["192.28.176.0/20"]


def test_diff_usage_errors(al, tmp_path):
    r = al("diff", "--format", "bogus", str(tmp_path / "x"))
    assert r.rc == 2 and "diff reads address rules" in r.err, r
    assert "squid, pac, hosts" in r.err, r
    f = tmp_path / "web.squid"
    f.write_text("acl w dstdomain .marketo.com\n")
    r = al("diff", "--format", "squid", "--set", "outbound", str(f))
    assert r.rc == 2 and "set outbound has none" in r.err, r
    r = al("diff", "--format", "csv", str(tmp_path / "nosuch"))
    assert r.rc == 2 and "nosuch" in r.err, r
    f = tmp_path / "nul"
    f.write_bytes(b"1.2.3.4\x00\n")
    r = al("diff", "--format", "text", str(f))
    assert r.rc == 2 and "NUL" in r.err, r


# ------------------------------------------------------------ domain diff

WEB_SRC = "(%s, as of %s)" % (WEB["source"], WEB["as_of"])


def domain_summary(path, n_entries, missing=0):
    if missing == 0:
        return "all %d items of set web allowed by %s (%d entries read)" % (
            len(WEB["items"]), path, n_entries)
    return ("%d of %d items of set web not (fully) allowed by %s "
            "(%d entries read)" % (missing, len(WEB["items"]), path,
                                   n_entries))


@pytest.mark.parametrize("fmt", DOMAIN_FORMATS)
def test_domain_round_trip(al, tmp_path, fmt):
    out = render(al, fmt)
    f = tmp_path / ("web." + fmt)
    f.write_text(out)
    r = al("diff", "--format", fmt, str(f))
    assert r.rc == 0, r
    assert r.lines == [domain_summary(f, len(WEB["items"]))], r
    # Take one entry out: exactly that item is reported.
    gone = "*.marketodesigner.com"
    assert gone in WEB["items"]
    kept = [ln for ln in out.splitlines(True)
            if "marketodesigner" not in ln or ln.lstrip().startswith(
                ("#", "//"))]
    assert len(kept) == len(out.splitlines()) - 1, out
    f.write_text("".join(kept))
    r = al("diff", "--format", fmt, str(f))
    assert r.rc == 1, r
    assert r.lines == ["missing  web_domains %s %s" % (gone, WEB_SRC),
                       domain_summary(f, len(WEB["items"]) - 1, 1)], r
    r = al("diff", "--format", fmt, "--json", str(f))
    assert r.rc == 1, r
    j = r.json
    assert (j["set"], j["format"], j["items"], j["entries"]) == (
        "web", fmt, len(WEB["items"]), len(WEB["items"]) - 1)
    assert j["missing"] == [{"list": "web_domains", "item": gone,
                             "partial": False, "source": WEB["source"],
                             "as_of": WEB["as_of"]}]


def test_domain_diff_wildcard_meaning(al, tmp_path):
    """The profile's "*.x" is every subdomain of x: the bare name and
    single hosts do not cover it; ".x", "*.x" and broader wildcards do."""
    f = tmp_path / "web.squid"
    f.write_text("# hand-written\n"
                 "acl web dstdomain marketo.com app.marketo.com\n"
                 "acl web dstdomain -i .marketodesigner.com .mktoweb.com\n"
                 "acl web2 dstdomain .net\n"
                 "acl adobe dstdomain experience.adobe.com\n"
                 "http_access allow web\n")
    r = al("diff", "--format", "squid", str(f))
    assert r.rc == 1, r
    # ".net" covers *.adobe.net; marketo.com and app.marketo.com are
    # two names, not every subdomain; experience.adobe.com alone does
    # not cover its subdomains.
    assert r.lines == [
        "partial  web_domains *.marketo.com: only some subdomains "
        "allowed " + WEB_SRC,
        "missing  web_domains *.experience.adobe.com " + WEB_SRC,
        domain_summary(f, 6, 2)], r

    f = tmp_path / "web.hosts"
    f.write_text("app.marketo.com\n*.marketodesigner.com, .mktoweb.com\n"
                 "*.experience.adobe.com\n*.adobe.net\n")
    r = al("diff", "--format", "hosts", str(f))
    assert r.rc == 1, r
    assert r.lines == [
        "partial  web_domains *.marketo.com: only some subdomains "
        "allowed " + WEB_SRC, domain_summary(f, 5, 1)], r
    r = al("diff", "--format", "hosts", "--json", str(f))
    assert r.json["missing"][0]["partial"] is True, r


HAND_PAC = r"""// Hand-written PAC, the forms admins use.
function FindProxyForURL(url, host) {
    /* if (host == "marketo.com") return "DIRECT"; -- a comment */
    if (isPlainHostName(host) ||
        dnsDomainIs(host, ".marketo.com") ||
        shExpMatch(host, "*.marketodesigner.com"))
        return "DIRECT";
    if (dnsDomainIs(host, ".mktoweb.com")) {
        return "DIRECT";
    } else if (host == "adobe.net") {
        return "DIRECT";
    }
    if (shExpMatch(host, "*.experience.adobe.com"))
        return "PROXY proxy.corp:3128";
    return "PROXY proxy.corp:3128";
}
"""


def test_domain_diff_hand_written_pac(al, tmp_path):
    node = shutil.which("node") or shutil.which("nodejs")
    f = tmp_path / "hand.pac"
    f.write_text(HAND_PAC)
    r = al("diff", "--format", "pac", str(f))
    assert r.rc == 1, r
    # adobe.net alone is not *.adobe.net; experience.adobe.com goes to
    # the proxy, not DIRECT.
    assert r.lines == [
        "missing  web_domains *.experience.adobe.com " + WEB_SRC,
        "missing  web_domains *.adobe.net " + WEB_SRC,
        domain_summary(f, 4, 2)], r
    if not node:
        pytest.skip("node is not installed (Debian package nodejs): the "
                    "diff was checked, node's agreement was not")
    # node agrees on what goes DIRECT.
    js = tmp_path / "run.js"
    js.write_text(PAC_RUNTIME)
    hosts = ["a.marketo.com", "a.marketodesigner.com", "a.mktoweb.com",
             "adobe.net", "a.adobe.net", "a.experience.adobe.com"]
    p = _run([node, str(js), str(f)] + hosts)
    assert p.returncode == 0, p.stdout
    got = json.loads(p.stdout)
    assert [got[h] == "DIRECT" for h in hosts] == [
        True, True, True, True, False, False], got


def test_domain_round_trip_pac_still_runs(al, tmp_path):
    """The PAC with one entry taken out (as the round trip edits it) is
    still a PAC node runs, and sends that domain to the proxy."""
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        pytest.skip("node is not installed (Debian package nodejs)")
    out = render(al, "pac", "--proxy", "PROXY p.corp:1")
    pac = tmp_path / "edited.pac"
    pac.write_text("".join(ln for ln in out.splitlines(True)
                           if "marketodesigner" not in ln or
                           ln.lstrip().startswith("//")))
    js = tmp_path / "run.js"
    js.write_text(PAC_RUNTIME)
    p = _run([node, str(js), str(pac), "a.marketodesigner.com",
              "a.marketo.com"])
    assert p.returncode == 0, p.stdout
    assert json.loads(p.stdout) == {"a.marketodesigner.com":
                                    "PROXY p.corp:1",
                                    "a.marketo.com": "DIRECT"}


# ------------------------------------------------------------ postfix

def postfix_conf(tmp_path):
    """postmap needs a main.cf: an empty one in a private directory (the
    package is installed unconfigured and the MTA is never started)."""
    d = tmp_path / "postfix"
    d.mkdir()
    (d / "main.cf").write_text("")
    return d


def edges_and_outside():
    """Each output block's first and last address, and the addresses just
    outside each block that no block holds."""
    inside, outside = [], []
    for n in OUT_BLOCKS:
        inside += [n.network_address, n.broadcast_address]
        for a in (n.network_address - 1, n.broadcast_address + 1):
            if not any(a in m for m in OUT_BLOCKS):
                outside.append(a)
    return [str(a) for a in inside], [str(a) for a in outside]


def test_postfix_cidr_table_lookups(al, tmp_path):
    postmap = need("postmap")
    conf = postfix_conf(tmp_path)
    table = tmp_path / "marketo.cidr"
    table.write_text(render(al, "postfix"))
    inside, outside = edges_and_outside()
    assert len(outside) >= 10
    p = subprocess.run([postmap, "-c", str(conf), "-q", "-",
                        "cidr:%s" % table],
                       input="\n".join(inside + outside) + "\n",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=60)
    # Postfix warns and skips a rule it cannot read: none here.
    assert p.stderr == "", p.stderr
    found = dict(ln.split("\t") for ln in p.stdout.splitlines())
    assert found == {a: "OK" for a in inside}, (p.stdout, inside)
    # A broken rule is refused (the check is real).
    table.write_text(render(al, "postfix") + "10.0.0.1/8\tOK\n"
                     "10.1.0.0/33\tOK\n")
    p = subprocess.run([postmap, "-c", str(conf), "-q", "10.0.0.1",
                        "cidr:%s" % table], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    assert p.returncode == 1 and p.stdout == "", p
    assert "non-null host address bits" in p.stderr, p.stderr
    assert "bad mask length" in p.stderr, p.stderr


# ------------------------------------------------------------ spamassassin

SA_MSG = """Received: from mta.example.com (mta.example.com [%s])
\tby mx.example.org (Postfix) with ESMTP id 4C0FFEE
\tfor <a@example.org>; Mon, 1 Jan 2024 00:00:00 +0000
From: a@example.com
To: a@example.org
Subject: trusted_networks test
Message-ID: <1@example.com>
Date: Mon, 1 Jan 2024 00:00:00 +0000

hello
"""


def sa_site(tmp_path, cf_text):
    """A site config directory: the packaged plugin loaders (*.pre, which
    load the Check plugin lint needs) and the rendered line as local.cf.
    HOME is private so nothing is written outside tmp_path."""
    site = tmp_path / "sa-site"
    site.mkdir(exist_ok=True)
    pres = [f for f in os.listdir("/etc/spamassassin") if f.endswith(".pre")]
    if not pres:
        pytest.skip("/etc/spamassassin has no .pre files")
    for f in pres:
        shutil.copy(os.path.join("/etc/spamassassin", f), site / f)
    (site / "local.cf").write_text(cf_text)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = dict(os.environ, HOME=str(home))
    return site, env


def test_spamassassin_lint_and_trust(al, tmp_path):
    sa = need("spamassassin")
    if not os.path.isdir("/etc/spamassassin"):
        pytest.skip("/etc/spamassassin is missing")
    text = render(al, "spamassassin")
    site, env = sa_site(tmp_path, text)
    lint = [sa, "-L", "--lint", "--siteconfigpath", str(site)]
    p = _run(lint, env=env)
    assert p.returncode == 0 and p.stdout == "", p.stdout
    # SpamAssassin read the networks: a relay inside a block is trusted,
    # one outside is not (-L: local tests only, no DNS).
    for ip, trusted in (("192.28.150.1", True), ("130.248.244.95", True),
                        ("13.55.192.247", True), ("8.8.8.8", False),
                        ("130.248.244.96", False)):
        p = subprocess.run([sa, "-L", "-D", "metadata", "--siteconfigpath",
                            str(site)], input=SA_MSG % ip, env=env,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, timeout=120)
        assert p.returncode == 0, p.stderr[-2000:]
        rel = re.search(r"X-Spam-Relays-Trusted: (.*)", p.stderr)
        assert rel, p.stderr[-2000:]
        assert (("ip=%s " % ip) in rel.group(1)) == trusted, (ip, rel)
    # A broken line is refused: an unknown directive fails the lint, a
    # bad address draws a warning.
    (site / "local.cf").write_text(re.sub(r"^trusted_networks ",
                                          "trusted_network ", text,
                                          count=1, flags=re.M))
    p = _run(lint, env=env)
    assert p.returncode != 0 and "failed to parse line" in p.stdout, \
        p.stdout
    (site / "local.cf").write_text(text + "trusted_networks 10.0.0.0/33\n")
    p = _run(lint, env=env)
    assert "illegal IP address given: '10.0.0.0/33'" in p.stdout, p.stdout
