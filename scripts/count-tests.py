#!/usr/bin/python3
"""Read meson's testlog.json files and print the plain closing line CI
reads: "N passed, N failed".  Exit 1 when anything failed or nothing ran."""
import argparse
import json
import sys

ap = argparse.ArgumentParser()
ap.add_argument("logs", nargs="+")
ap.add_argument("--extra-passed", type=int, default=0)
ap.add_argument("--extra-failed", type=int, default=0)
a = ap.parse_args()

passed, failed, skipped = a.extra_passed, a.extra_failed, 0
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
            if res in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif res == "SKIP":
                skipped += 1
            else:
                failed += 1
                failures.append(f"{path}: {t.get('name')} {res}")
for f in failures:
    print("FAILED:", f)
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
