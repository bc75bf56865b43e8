#!/usr/bin/python3
"""gen.py - the report ingest benchmark corpus: plain XML aggregate reports
(RFC 7489 appendix C) of known totals, about MB megabytes in all, named
org!domain!begin!end!id.xml (the name dmarc-cat expects).  Report sizes
are mixed as the field has them: many small reports (1-20 records) and
large ones (up to 4000 records) carrying most of the bytes.

  gen.py OUT MB [SEED]   writes OUT/*.xml and OUT/totals.json
                         {"files", "records", "messages", "bytes"}
"""
import json
import os
import random
import sys

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<feedback>
  <report_metadata>
    <org_name>{org}</org_name>
    <email>noreply-dmarc-support@{org}</email>
    <report_id>{rid}</report_id>
    <date_range><begin>{b}</begin><end>{e}</end></date_range>
  </report_metadata>
  <policy_published>
    <domain>{dom}</domain><adkim>r</adkim><aspf>r</aspf>
    <p>none</p><sp>none</sp><pct>100</pct>
  </policy_published>
"""
REC = """  <record>
    <row>
      <source_ip>{ip}</source_ip>
      <count>{n}</count>
      <policy_evaluated><disposition>none</disposition><dkim>{dk}</dkim><spf>{sp}</spf></policy_evaluated>
    </row>
    <identifiers><header_from>{dom}</header_from></identifiers>
    <auth_results>
      <dkim><domain>{dom}</domain><selector>s1</selector><result>{dk}</result></dkim>
      <spf><domain>{dom}</domain><result>{sp}</result></spf>
    </auth_results>
  </record>
"""
ORGS = ["google.com", "yahoo.com", "outlook.com", "mail.ru",
        "comcast.net", "zoho.com"]
DOMS = ["example.com", "example.net", "example.org", "shop.example"]


def main():
    out, mb = sys.argv[1], float(sys.argv[2])
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    os.makedirs(out, exist_ok=True)
    target = int(mb * 1024 * 1024)
    tot = {"files": 0, "records": 0, "messages": 0, "bytes": 0}
    b = 1735689600
    i = 0
    while tot["bytes"] < target:
        org, dom = rnd.choice(ORGS), rnd.choice(DOMS)
        nrec = rnd.randint(1, 20) if rnd.random() < 0.7 else \
            rnd.randint(500, 4000)
        begin = b + 86400 * (i % 365)
        parts = [HEAD.format(org=org, rid="bench-%d" % i, b=begin,
                             e=begin + 86399, dom=dom)]
        msgs = 0
        for _ in range(nrec):
            n = rnd.randint(1, 500)
            msgs += n
            ok = rnd.random() < 0.9
            parts.append(REC.format(
                ip="%d.%d.%d.%d" % (rnd.choice((192, 198, 203, 185)),
                                    rnd.randint(0, 255), rnd.randint(0, 255),
                                    rnd.randint(1, 254)),
                n=n, dk="pass" if ok else "fail",
                sp="pass" if ok or rnd.random() < 0.5 else "fail", dom=dom))
        parts.append("</feedback>\n")
        data = "".join(parts).encode()
        name = "%s!%s!%d!%d!%d.xml" % (org, dom, begin, begin + 86399, i)
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        tot["files"] += 1
        tot["records"] += nrec
        tot["messages"] += msgs
        tot["bytes"] += len(data)
        i += 1
    with open(os.path.join(out, "totals.json"), "w") as f:
        json.dump(tot, f)
    print(json.dumps(tot))


if __name__ == "__main__":
    main()
