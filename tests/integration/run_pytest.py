"""Meson's entry point for one integration test file.

    /usr/bin/python3 run_pytest.py test_x.py [pytest args...]

Exits 77 (meson's "skipped") when NSD is not installed, otherwise runs
pytest on the file and returns its exit status.  SENDERKIT in the
environment names the binary under test (tests/integration/meson.build
sets it).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

import nsdharness  # noqa: E402

if __name__ == "__main__":
    if not nsdharness.nsd_available():
        print("SKIP: nsd is not installed (./scripts/deps.sh installs it)")
        sys.exit(77)
    import pytest
    sys.exit(pytest.main(["-q", "-p", "no:cacheprovider",
                          "--rootdir", HERE] + sys.argv[1:]))
