#!/usr/bin/env python3
"""Checks a page made by `restrace report html` as a browser and a validator see it.

usage: check-html-report.py PAGE.html SUMMARY.json WORKDIR

- html5lib in strict mode parses it without an error;
- headless Chromium loads it (scripts run), takes a screenshot and logs its network activity:
  no request other than the page itself, a screenshot that is not blank;
- every chart (svg.chart) of the rendered page has drawn marks;
- every figure marked data-key equals that key of `report summary --format json`.
Prints a JSON line of what it saw; exits 1 with the reasons when a check fails.
"""
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import html5lib
from PIL import Image

page, summary_path, work = sys.argv[1:4]
problems = []
seen = {}

with open(page, "rb") as f:
    raw = f.read()
try:
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(raw)
    seen["valid"] = True
except Exception as e:  # html5lib raises ParseError with the position
    problems.append(f"html5lib strict: {e}")

net_log = f"{work}/net-log.json"
shot = f"{work}/page.png"
common = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          f"--user-data-dir={work}/profile", f"--log-net-log={net_log}", "--net-log-capture-mode=Everything"]
url = "file://" + page
dom = subprocess.run(common + ["--dump-dom", url], capture_output=True, timeout=120)
if dom.returncode != 0:
    problems.append(f"chromium --dump-dom exited {dom.returncode}: {dom.stderr.decode()[-500:]}")
subprocess.run(common + ["--window-size=1000,4000", f"--screenshot={shot}", url], capture_output=True, timeout=120)

# Every URL the page asked for: requests whose isolation key is the file:// page or whose
# initiator is an origin (the browser's own background requests have neither).
requests = set()
with open(net_log) as f:
    log = json.load(f)
types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
for event in log.get("events", []):
    p = event.get("params") or {}
    if types.get(event["type"]) != "URL_REQUEST_START_JOB":
        continue
    if "file://" in p.get("network_isolation_key", "") or p.get("initiator", "not an origin") != "not an origin":
        requests.add(p.get("url", "?"))
seen["requests"] = sorted(requests)
if requests:
    problems.append(f"requests left the page: {sorted(requests)[:5]}")

image = Image.open(shot).convert("RGB")
colours = image.getcolors(1 << 20)
seen["screenshot_colours"] = len(colours) if colours else 1 << 20
if colours is not None and len(colours) < 8:
    problems.append("the screenshot is (nearly) blank")

tree = html5lib.parse(dom.stdout, namespaceHTMLElements=False)
SVG = "{http://www.w3.org/2000/svg}"
charts = [e for e in tree.iter() if e.tag in ("svg", SVG + "svg") and "chart" in (e.get("class") or "").split()]
seen["charts"] = len(charts)
for i, chart in enumerate(charts):
    marks = [e for e in chart.iter() if "mark" in (e.get("class") or "").split()]
    title = next((e.text for e in chart.iter() if e.tag in ("title", SVG + "title")), "?")
    if not marks:
        problems.append(f"chart {i} ({title}) has no marks")

with open(summary_path) as f:
    summary = json.load(f)
figures = [e for e in tree.iter() if e.get("data-key")]
seen["figures"] = len(figures)
for e in figures:
    value = summary
    for k in e.get("data-key").split("."):
        value = value.get(k) if isinstance(value, dict) else None
    shown = e.get("data-value")
    expected = "" if value is None else str(value)
    if shown != expected:
        problems.append(f"{e.get('data-key')}: page says {shown!r}, report summary {expected!r}")
    text = "".join(e.itertext())
    if text.endswith(" %") and isinstance(value, (int, float)):
        if abs(float(text[:-2]) - value * 100) > 0.05:
            problems.append(f"{e.get('data-key')}: page shows {text!r}, report summary {value!r}")
    elif isinstance(value, int) and text != str(value):
        problems.append(f"{e.get('data-key')}: page shows {text!r}, report summary {value!r}")

seen["problems"] = problems
print(json.dumps(seen))
sys.exit(1 if problems else 0)
