"""`senderkit spf check --batch FILE`: one JSON object per input line, in
input order, with "line"; malformed lines reported in place; exit 2 when
any line was bad.  Many evaluations are in flight at once, so a large
batch also checks that results are not mixed up between evaluations."""

import random

import pytest

from cases import CASES


@pytest.fixture(params=["server", "zone"])
def backend(request, nsd, zone_args):
    if request.param == "server":
        return ["--server", nsd.server]
    return zone_args


def run_batch(sk, tmp_path, text, backend, *extra):
    f = tmp_path / "batch.txt"
    f.write_text(text)
    return sk("spf", "check", "--batch", str(f), *backend, *extra,
              timeout=240)


def assert_obj(o, c):
    assert o["result"] == c.result, (c.id, o)
    assert o.get("mechanism") == c.mechanism, (c.id, o)
    assert o.get("mechanism_domain") == c.domain, (c.id, o)
    assert o["lookups"] == c.lookups, (c.id, o)
    if c.voids is not None:
        assert o["void_lookups"] == c.voids, (c.id, o)


def test_batch_all_cases_in_order(sk, tmp_path, backend):
    text = "".join("%s %s\n" % (c.ip, c.mail_from) for c in CASES)
    r = run_batch(sk, tmp_path, text, backend)
    assert r.rc == 0, r
    objs = r.json_lines
    assert [o["line"] for o in objs] == list(range(1, len(CASES) + 1)), r
    for o, c in zip(objs, CASES):
        assert_obj(o, c)


def test_batch_bad_lines_comments_blank(sk, tmp_path, backend):
    lines = [
        "# a comment",                              # 1: skipped
        "192.0.2.25 u@example.test",                # 2
        "",                                         # 3: skipped
        "garbage u@example.test",                   # 4: bad ip
        "203.0.113.200 u@example.test helo.example.test",  # 5
        "192.0.2.25",                               # 6: no mail-from
        "192.0.2.25 <> mail.example.test",          # 7: null sender
        "192.0.2.26 \"\" mail.example.test",        # 8: null sender
    ]
    r = run_batch(sk, tmp_path, "\n".join(lines) + "\n", backend)
    assert r.rc == 2, r
    objs = r.json_lines
    assert [o["line"] for o in objs] == [2, 4, 5, 6, 7, 8], r
    by = {o["line"]: o for o in objs}
    assert by[2]["result"] == "pass", r
    assert "error" in by[4] and "result" not in by[4], r
    assert by[5]["result"] == "softfail", r
    assert "error" in by[6] and "result" not in by[6], r
    assert (by[7]["result"], by[7]["mechanism"],
            by[7]["mechanism_domain"]) == ("pass", "a", "mail.example.test")
    assert by[8]["result"] == "fail", r


def test_batch_good_only_exit_0_and_stdin(sk, backend):
    text = "192.0.2.25 u@example.test\n198.51.100.1 u@qall.cases.test\n"
    r = sk("spf", "check", "--batch", "-", *backend, stdin=text)
    assert r.rc == 0, r
    assert [(o["line"], o["result"]) for o in r.json_lines] == [
        (1, "pass"), (2, "neutral")], r


def test_batch_temperror_line_keeps_going(sk, tmp_path, nsd):
    text = ("192.0.2.1 u@refused.cases.test\n"
            "192.0.2.25 u@example.test\n"
            "192.0.2.1 u@loop.cases.test\n")
    r = run_batch(sk, tmp_path, text, ["--server", nsd.server])
    objs = r.json_lines
    assert [(o["line"], o["result"]) for o in objs] == [
        (1, "temperror"), (2, "pass"), (3, "temperror")], r
    # results, not malformed lines: not exit 2
    assert r.rc != 2, r


def test_batch_large_shuffled(sk, tmp_path, backend):
    # 3000 evaluations of the known cases in random order: every output
    # line must carry its own case's answer.
    rng = random.Random(7208)
    picks = [rng.choice(CASES) for _ in range(3000)]
    text = "".join("%s %s\n" % (c.ip, c.mail_from) for c in picks)
    r = run_batch(sk, tmp_path, text, backend)
    assert r.rc == 0, r.err
    objs = r.json_lines
    assert len(objs) == len(picks)
    for i, (o, c) in enumerate(zip(objs, picks), 1):
        assert o["line"] == i
        assert_obj(o, c)
