#!/usr/bin/python3
"""Run the pyspf RFC 7208 test suite (YAML) against libsenderkit.

Usage: spf_suite.py SUITE.yml RUNNER WORKDIR

Converts the multi-document YAML (format: shared/conformance/spf/SOURCE.md)
into JSON that the C runner (run_spf_suite.c) reads, then execs the runner,
which prints TAP.  Record strings are passed hex-encoded so that raw bytes
("\\x80", a UTF-8 BOM) reach the resolver as the same single bytes.
Needs Debian's python (yaml module): run with /usr/bin/python3.
"""
import json
import os
import sys

import yaml


def raw(s):
    """YAML str -> bytes: \\xNN escapes are code points < 256, keep them as
    single bytes; anything beyond Latin-1 is real text, sent as UTF-8."""
    if isinstance(s, bytes):
        return s
    s = str(s)
    if all(ord(c) < 256 for c in s):
        return s.encode('latin-1')
    return s.encode('utf-8', 'surrogateescape')


def hexs(s):
    return raw(s).hex()


def convert(path):
    with open(path, encoding='utf-8') as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    out = []
    for doc in docs:
        zone = []
        for name, entries in (doc.get('zonedata') or {}).items():
            # Presentation form: a space in a name is written \032.
            name = str(name).replace(' ', '\\032')
            entries = entries or []
            has_txt = any(isinstance(e, dict) and 'TXT' in e
                          for e in entries)
            for e in entries:
                if e == 'TIMEOUT':
                    # pyspf's harness: a bare TIMEOUT makes the questions
                    # that find no record at the name time out.
                    have = set()
                    for x in entries:
                        if isinstance(x, dict):
                            have.update(k for k, v in x.items()
                                        if v not in ('NONE', 'TIMEOUT'))
                    if 'SPF' in have and not has_txt:
                        have.add('TXT')
                    for t in ('A', 'AAAA', 'MX', 'PTR', 'TXT'):
                        if t not in have and 'CNAME' not in have:
                            zone.append({'name': name, 'fail': t})
                    continue
                for typ, val in e.items():
                    # SOURCE.md: SPF records are served as TXT too when
                    # the name has no TXT record.
                    types = [typ]
                    if typ == 'SPF' and not has_txt:
                        types = ['TXT']
                    elif typ == 'SPF':
                        continue
                    for t in types:
                        if val == 'NONE':
                            # "TXT: NONE": no record of that type.
                            continue
                        if val == 'TIMEOUT':
                            zone.append({'name': name, 'fail': t})
                        elif t == 'TXT':
                            strs = val if isinstance(val, list) else [val]
                            zone.append({'name': name, 'type': 'TXT',
                                         'strings': [hexs(x) for x in strs]})
                        elif t == 'MX':
                            pref, host = val
                            host = str(host)
                            zone.append({'name': name, 'type': 'MX',
                                         'rdata': '%d %s.' % (int(pref), host)
                                         if host else '%d .' % int(pref)})
                        elif t in ('PTR', 'CNAME'):
                            zone.append({'name': name, 'type': t,
                                         'rdata': str(val).rstrip('.') + '.'})
                        else:
                            zone.append({'name': name, 'type': t,
                                         'rdata': str(val)})
        tests = []
        for tname, t in (doc.get('tests') or {}).items():
            res = t['result']
            res = res if isinstance(res, list) else [res]
            item = {'name': str(tname), 'host': str(t['host']),
                    'mailfrom': hexs(t.get('mailfrom', '') or ''),
                    'helo': hexs(t.get('helo', '') or ''),
                    'results': [str(r) for r in res]}
            if 'explanation' in t:
                item['explanation'] = str(t['explanation'])
            tests.append(item)
        out.append({'description': str(doc.get('description', '')),
                    'zone': zone, 'tests': tests})
    return out


def main():
    if len(sys.argv) != 4:
        sys.exit('usage: spf_suite.py SUITE.yml RUNNER WORKDIR')
    suite, runner, work = sys.argv[1:]
    if not os.path.isfile(suite):
        sys.exit('SPF test suite not found: %s' % suite)
    data = convert(suite)
    os.makedirs(work, exist_ok=True)
    js = os.path.join(work, os.path.basename(suite) + '.json')
    with open(js, 'w', encoding='ascii') as f:
        json.dump(data, f, ensure_ascii=True)
    sys.stdout.flush()
    os.execv(runner, [runner, js])


if __name__ == '__main__':
    main()
