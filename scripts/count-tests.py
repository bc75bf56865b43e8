#!/usr/bin/python3
"""Read meson's testlog.json files and print the plain closing line CI
reads: "N passed, N failed".

Each meson test counts as the cases it ran: the "ok"/"not ok" lines of a
TAP program, the summary of a pytest run ("12 passed, 1 failed"), or one
case for any other program.  A meson test that failed counts at least one
failed case even when its output cannot be read (a crash).  Exit 1 when
anything failed or nothing ran.
"""
import argparse
import json
import re
import sys

TAP_RE = re.compile(r"^(not ok|ok)\b(.*)$")
PYTEST_RE = re.compile(r"=+ (.*) in [0-9.]+s")
PYTEST_QUIET_RE = re.compile(r"^(\d+ (passed|failed|skipped|error)[^=]*)"
                             r" in [0-9.]+s")
PART_RE = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed)")


def cases(t):
    """(passed, failed, skipped) inside one meson test."""
    out = t.get("stdout", "") or ""
    p = f = s = 0
    for line in out.splitlines():
        m = TAP_RE.match(line.strip())
        if m:
            if "# SKIP" in m.group(2).upper():
                s += 1
            elif m.group(1) == "ok":
                p += 1
            else:
                f += 1
    if p + f + s == 0:
        for line in out.splitlines():
            m = PYTEST_RE.search(line) or PYTEST_QUIET_RE.search(line)
            if m:
                for n, kind in PART_RE.findall(m.group(1)):
                    if kind == "passed":
                        p += int(n)
                    elif kind == "skipped":
                        s += int(n)
                    elif kind != "xfailed":
                        f += int(n)
    return p, f, s


ap = argparse.ArgumentParser()
ap.add_argument("logs", nargs="+")
ap.add_argument("--extra-passed", type=int, default=0)
ap.add_argument("--extra-failed", type=int, default=0)
a = ap.parse_args()

passed, failed, skipped = a.extra_passed, a.extra_failed, 0
programs = 0
failures = []
for path in a.logs:
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        print(f"cannot read {path}: {e}", file=sys.stderr)
        failed += 1
        continue
    with f:
        for line in f:
            if not line.strip():
                continue
            t = json.loads(line)
            res = t.get("result")
            programs += 1
            p, fl, s = cases(t)
            if res in ("OK", "EXPECTEDFAIL"):
                passed += max(p, 1) if fl == 0 else p
                failed += fl
                skipped += s
                if fl:
                    failures.append(f"{path}: {t.get('name')} {fl} failed")
            elif res == "SKIP":
                skipped += max(s, 1)
            else:
                passed += p
                failed += max(fl, 1)
                skipped += s
                failures.append(f"{path}: {t.get('name')} {res}")
for f in failures:
    print("FAILED:", f)
print(f"({programs} meson tests and "
      f"{a.extra_passed + a.extra_failed} fuzz smoke runs; counted by case)")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
