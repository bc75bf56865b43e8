#!/usr/bin/python3
"""gen_reports.py - DMARC aggregate report test data with known totals,
computed independently of senderkit (Python's xml.etree, gzip, zipfile,
email).

  gen_reports.py samples DIR          expected totals of the conformance
                                      samples, one line each:
                                      PATH<TAB>records<TAB>messages
                                      (or PATH<TAB>error)
  gen_reports.py corpus OUT N [SEED]  a corpus of N reports spread over
                                      XML, .gz, .zip, .eml, mbox and
                                      Maildir; prints the totals as JSON
"""
import email
import email.policy
import gzip
import io
import json
import os
import random
import sys
import zipfile
import zlib
import xml.etree.ElementTree as ET


def local(tag):
    return tag.rsplit("}", 1)[-1]


def xml_totals(data):
    root = ET.fromstring(data)
    if local(root.tag) != "feedback":
        raise ValueError("not a report")
    recs = [r for r in root if local(r.tag) == "record"]
    msgs = 0
    for r in recs:
        for row in r:
            if local(row.tag) == "row":
                for c in row:
                    if local(c.tag) == "count":
                        msgs += int(c.text)
    return len(recs), msgs


def payloads(path, data):
    """The XML documents inside a file, by an independent route."""
    if data[:2] == b"\x1f\x8b":
        d = zlib.decompressobj(31)
        yield d.decompress(data)
    elif data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for n in z.namelist():
                yield from payloads(path, z.read(n))
    elif data.lstrip()[:1] == b"<" or not data.strip():
        yield data
    else:
        m = email.message_from_bytes(data, policy=email.policy.default)
        for part in m.walk():
            if part.is_multipart():
                continue
            fn = part.get_filename() or ""
            ct = part.get_content_type()
            if ct in ("application/gzip", "application/zip",
                      "application/x-zip-compressed", "text/xml",
                      "application/xml") or fn.endswith(
                          (".xml", ".gz", ".zip")):
                yield from payloads(path, part.get_payload(decode=True))


def samples(top):
    for dirpath, dirs, files in sorted(os.walk(top)):
        dirs.sort()
        for fn in sorted(files):
            p = os.path.join(dirpath, fn)
            rel = os.path.relpath(p, top)
            if not rel.startswith("aggregate") and \
                    not rel.startswith("extract_report") and \
                    fn != "empty.xml":
                continue
            try:
                data = open(p, "rb").read()
                tot = [0, 0]
                n = 0
                for x in payloads(p, data):
                    r, m = xml_totals(x)
                    tot[0] += r
                    tot[1] += m
                    n += 1
                if n == 0:
                    raise ValueError("no report")
                print(f"{rel}\t{tot[0]}\t{tot[1]}")
            except Exception:
                print(f"{rel}\terror")


REPORT = """<?xml version="1.0" encoding="UTF-8"?>
<feedback{ns}>
  <report_metadata>
    <org_name>{org}</org_name>
    <email>dmarc@{org}</email>
    <report_id>{rid}</report_id>
    <date_range><begin>{begin}</begin><end>{end}</end></date_range>
  </report_metadata>
  <policy_published>
    <domain>{domain}</domain><adkim>r</adkim><aspf>r</aspf>
    <p>none</p><sp>none</sp>{pct}
  </policy_published>
{records}</feedback>
"""
RECORD = """  <record>
    <row>
      <source_ip>{ip}</source_ip>
      <count>{count}</count>
      <policy_evaluated><disposition>none</disposition>
        <dkim>{dkim}</dkim><spf>{spf}</spf></policy_evaluated>
    </row>
    <identifiers><header_from>{domain}</header_from>
      <envelope_from>{domain}</envelope_from></identifiers>
    <auth_results>
      <dkim><domain>{domain}</domain><selector>s1</selector>
        <result>{dkim}</result></dkim>
      <spf><domain>{domain}</domain><result>{spf}</result></spf>
    </auth_results>
  </record>
"""


def make_report(rng, i):
    org = rng.choice(["google.com", "yahoo.com", "outlook.com",
                      "mail.ru", "fastmail.com"])
    domain = rng.choice(["example.com", "example.org"])
    begin = 1700000000 + 86400 * (i % 60)
    nrec = rng.randint(1, 40)
    recs, msgs = [], 0
    for _ in range(nrec):
        c = rng.randint(1, 5000)
        msgs += c
        ip = "192.0.2.%d" % rng.randint(1, 254) if rng.random() < .8 \
            else "2001:db8::%x" % rng.randint(1, 65535)
        recs.append(RECORD.format(
            ip=ip, count=c, domain=domain,
            dkim=rng.choice(["pass", "fail"]),
            spf=rng.choice(["pass", "fail"])))
    ns = ' xmlns="urn:ietf:params:xml:ns:dmarc-2.0"' if i % 3 == 0 else ""
    xml = REPORT.format(ns=ns, org=org, rid="gen-%d" % i, begin=begin,
                        end=begin + 86399, domain=domain,
                        pct="" if ns else "<pct>100</pct>",
                        records="".join(recs))
    name = "%s!%s!%d!%d!gen-%d" % (org, domain, begin, begin + 86399, i)
    return name, xml.encode(), nrec, msgs


def mail_bytes(name, data, kind):
    from email.message import EmailMessage
    m = EmailMessage()
    m["From"] = "noreply-dmarc@example.net"
    m["To"] = "rua@example.com"
    m["Subject"] = "Report Domain: example.com Report-ID: " + name
    m.set_content("A DMARC aggregate report.")
    if kind == "gz":
        m.add_attachment(gzip.compress(data), maintype="application",
                         subtype="gzip", filename=name + ".xml.gz")
    else:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(name + ".xml", data)
        m.add_attachment(buf.getvalue(), maintype="application",
                         subtype="zip", filename=name + ".zip")
    return m.as_bytes(policy=email.policy.SMTP)


def corpus(out, n, seed=7):
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    for sub in ("xml", "gz", "zip", "eml", "Maildir/cur", "Maildir/new",
                "Maildir/tmp", "mbox"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    tot = {"reports": 0, "records": 0, "messages": 0, "xml_bytes": 0}
    mbox = open(os.path.join(out, "mbox", "reports.mbox"), "wb")
    for i in range(n):
        name, data, nrec, msgs = make_report(rng, i)
        tot["reports"] += 1
        tot["records"] += nrec
        tot["messages"] += msgs
        tot["xml_bytes"] += len(data)
        kind = i % 6
        if kind == 0:
            open(os.path.join(out, "xml", name + ".xml"), "wb").write(data)
        elif kind == 1:
            open(os.path.join(out, "gz", name + ".xml.gz"), "wb").write(
                gzip.compress(data))
        elif kind == 2:
            with zipfile.ZipFile(os.path.join(out, "zip", name + ".zip"),
                                 "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr(name + ".xml", data)
        elif kind == 3:
            open(os.path.join(out, "eml", name + ".eml"), "wb").write(
                mail_bytes(name, data, "gz"))
        elif kind == 4:
            sub = "cur" if i % 2 else "new"
            open(os.path.join(out, "Maildir", sub, "%d.%d.host:2,S" %
                              (1700000000 + i, i)), "wb").write(
                mail_bytes(name, data, "zip"))
        else:
            mbox.write(b"From dmarc@example.net Thu Jan  1 00:00:00 2026\n")
            mbox.write(mail_bytes(name, data, "gz").replace(b"\r\n", b"\n"))
            mbox.write(b"\n")
    mbox.close()
    # A message in Maildir/tmp is in flight: never read.
    open(os.path.join(out, "Maildir", "tmp", "inflight"), "wb").write(
        b"garbage")
    return tot


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "samples":
        samples(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "corpus":
        seed = int(sys.argv[4]) if len(sys.argv) > 4 else 7
        print(json.dumps(corpus(sys.argv[2], int(sys.argv[3]), seed)))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
