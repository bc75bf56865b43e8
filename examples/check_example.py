#!/usr/bin/python3
"""Run examples/spf_async on the example zones and compare each pair's
result with what RFC 7208 gives for examples/example.test.zone."""
import os
import subprocess
import sys

prog, top = sys.argv[1], sys.argv[2]
want = {
    ("192.0.2.25", "alice@example.test"): ("pass", "mx"),
    ("192.0.2.99", "alice@example.test"): ("pass", "ip4:192.0.2.0/24"),
    ("199.15.212.10", "news@example.test"): ("pass", "include:mktomail.com"),
    ("198.51.100.99", "bob@example.test"): ("fail", "-all"),
    ("198.51.100.99", "x@nowhere.example.test"): ("none", "-"),
}
argv = [prog, os.path.join(top, "example.test.zone"),
        os.path.join(top, "mktomail.com.zone"), "--"]
for ip, frm in want:
    argv += [ip, frm]
p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
got = {}
for line in p.stdout.splitlines():
    ip, frm, res, mech = line.split(" ", 3)
    got[(ip, frm)] = (res, mech)
bad = 0
for k, v in want.items():
    ok = got.get(k) == v
    bad += not ok
    print(("ok" if ok else "FAIL"), k, "got", got.get(k), "want", v)
if p.returncode != 0 or bad or len(got) != len(want):
    print("rc", p.returncode, p.stderr)
    sys.exit(1)
