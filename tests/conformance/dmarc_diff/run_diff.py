#!/usr/bin/python3
"""DMARC differential test: senderkit against Mail::DMARC (TAP).

    run_diff.py GEN PEER SENDERKIT PSL DEVIATIONS WORKDIR

GEN is gen_cases.py, PEER peer_mail_dmarc.pl, SENDERKIT the run_senderkit
program, PSL the public_suffix_list.dat both sides load, DEVIATIONS
deviations.md.  The cases are generated into WORKDIR, evaluated by both
sides (the peer in a network namespace of its own when `unshare -n`
works; its resolver is a fake one either way), and compared field by
field:

  result          pass / fail / none
  policy_domain   where the record was found (RFC 7489 6.6.3)
  inherited       found at the organizational domain, so sp applies
  policy          the policy requested (p, or sp for an inherited record)
  disposition     what is done after pct (6.6.4), "none" on pass
  spf_aligned     an aligned SPF pass (3.1.2)
  dkim_aligned    an aligned DKIM pass (3.1.1)

When either side says none (no DMARC processing), only the result is
compared.  One TAP line per case.  A case whose generator category is a
documented deviation of the peer (an id of deviations.md) and where the
two disagree is "ok ... # SKIP deviation: <id>" provided senderkit gives
the values the RFC gives (the case's "rfc" fields); otherwise "not ok".
"""

import json
import os
import re
import subprocess
import sys

FIELDS = ["result", "policy_domain", "inherited", "policy", "disposition",
          "spf_aligned", "dkim_aligned"]


def read_jsonl(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                o = json.loads(line)
                out[o["id"]] = o
    return out


def deviation_ids(path):
    ids = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^###\s+`?([a-z0-9-]+)`?\s*$", line)
            if m:
                ids.add(m.group(1))
    return ids


def diffs(peer, sk):
    pr, sr = peer.get("result"), sk.get("result")
    if pr in ("none", "error") or sr in ("none", "error"):
        return [] if pr == sr else ["result"]
    return [f for f in FIELDS if peer.get(f) != sk.get(f)]


def unshare_works():
    try:
        return subprocess.run(["unshare", "-n", "true"],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0
    except OSError:
        return False


def main():
    if len(sys.argv) != 7:
        print("usage: run_diff.py GEN PEER SENDERKIT PSL DEVIATIONS WORKDIR",
              file=sys.stderr)
        return 2
    gen, peer_pl, skbin, psl, devfile, work = sys.argv[1:]
    os.makedirs(work, exist_ok=True)
    cases_f = os.path.join(work, "cases.jsonl")
    peer_f = os.path.join(work, "peer.jsonl")
    sk_f = os.path.join(work, "senderkit.jsonl")

    ver = subprocess.run(["perl", "-MMail::DMARC::PurePerl", "-e",
                          "print $Mail::DMARC::VERSION"],
                         capture_output=True, text=True)
    if ver.returncode != 0:
        print("Bail out! Mail::DMARC is not installed (Debian "
              "libmail-dmarc-perl; scripts/deps.sh installs it)")
        return 1
    subprocess.run([sys.executable, gen, cases_f], check=True)
    cmd = ["perl", peer_pl, cases_f, psl, work]
    isolated = unshare_works()
    if isolated:
        cmd = ["unshare", "-n"] + cmd
    with open(peer_f, "w") as out, \
            open(os.path.join(work, "peer.stderr"), "w") as err:
        rc = subprocess.run(cmd, stdout=out, stderr=err).returncode
    if rc != 0:
        print("Bail out! peer exited %d (see %s/peer.stderr)" % (rc, work))
        return 1
    with open(sk_f, "w") as out:
        rc = subprocess.run([skbin, cases_f, psl], stdout=out).returncode
    if rc != 0:
        print("Bail out! run_senderkit exited %d" % rc)
        return 1

    cases = []
    with open(cases_f, encoding="utf-8") as f:
        cases = [json.loads(x) for x in f if x.strip()]
    peer = read_jsonl(peer_f)
    sk = read_jsonl(sk_f)
    documented = deviation_ids(devfile)

    print("TAP version 13")
    print("1..%d" % (len(cases) + 1))
    print("# peer Mail::DMARC %s; senderkit rules RFC 7489, PSL "
          "discovery" % ver.stdout.strip())
    print("# %d cases; peer %s" % (len(cases), "in its own network "
          "namespace (unshare -n)" if isolated else
          "without a namespace (its resolver is fake; Net::DNS sockets "
          "die)"))
    n = 0
    failed = 0
    stats = {"agree": 0, "deviation": 0, "failed": 0}
    per_dev = {}
    used = set()
    for c in cases:
        n += 1
        cid = c["id"]
        p, s = peer.get(cid), sk.get(cid)
        label = "%s %s %s" % (cid, c["cat"], c["from"])
        if p is None or s is None:
            print("not ok %d - %s # missing output (peer %s, senderkit %s)"
                  % (n, label, p is not None, s is not None))
            failed += 1
            continue
        d = diffs(p, s)
        dev = c.get("deviation")
        rfc = c.get("rfc") or {}
        sk_vs_rfc = [k for k, v in rfc.items() if s.get(k) != v]
        if dev:
            used.add(dev)
        if dev and dev not in documented:
            print("not ok %d - %s # deviation %s not in deviations.md"
                  % (n, label, dev))
            failed += 1
            continue
        if dev and sk_vs_rfc:
            print("not ok %d - %s # senderkit differs from the RFC on %s"
                  % (n, label, ", ".join(sk_vs_rfc)))
            for k in sk_vs_rfc:
                print("#   %s: senderkit %r, RFC %r" % (k, s.get(k),
                                                        rfc[k]))
            failed += 1
            continue
        if not d:
            stats["agree"] += 1
            print("ok %d - %s" % (n, label))
            continue
        if dev:
            stats["deviation"] += 1
            per_dev[dev] = per_dev.get(dev, 0) + 1
            print("ok %d - %s # SKIP deviation: %s" % (n, label, dev))
            continue
        failed += 1
        print("not ok %d - %s # differ on %s" % (n, label, ", ".join(d)))
        for k in d if d != ["result"] else ["result", "policy",
                                            "disposition", "error"]:
            print("#   %s: peer %r, senderkit %r" % (k, p.get(k), s.get(k)))
        print("#   senderkit: %s" % " | ".join(s.get("reasons", [])[-4:]))
    # The documentation covers every id the generator uses.
    n += 1
    missing = sorted(used - documented)
    print("%s %d - every deviation id used is documented%s" % (
        "not ok" if missing else "ok", n,
        " (missing: %s)" % ", ".join(missing) if missing else ""))
    if missing:
        failed += 1
    stats["failed"] = failed
    print("# agree %(agree)d, documented peer deviations %(deviation)d, "
          "failed %(failed)d" % stats)
    for k in sorted(per_dev):
        print("#   %s: %d" % (k, per_dev[k]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
