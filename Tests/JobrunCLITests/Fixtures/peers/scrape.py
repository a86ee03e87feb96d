"""Fetches a URL of jobrun's endpoint as a monitoring system would, for jobrun's tests.

Usage: scrape.py URL [METHOD]
Prints one JSON object: status, content_type, body, and for a 200 text/plain answer
`samples`, the body read by prometheus_client's text parser (the one Prometheus' Python
client uses), as [name, labels, value] triples; a body it cannot read fails the script.
"""
import json
import sys
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

url = sys.argv[1]
method = sys.argv[2] if len(sys.argv) > 2 else "GET"
request = urllib.request.Request(url, method=method)
try:
    with urllib.request.urlopen(request, timeout=10) as response:
        status, headers, body = response.status, response.headers, response.read().decode()
except urllib.error.HTTPError as e:
    status, headers, body = e.code, e.headers, e.read().decode()
out = {"status": status, "content_type": headers.get("Content-Type", ""), "allow": headers.get("Allow"), "body": body}
if status == 200 and out["content_type"].startswith("text/plain"):
    out["samples"] = []
    out["types"] = {}
    for family in text_string_to_metric_families(body):
        out["types"][family.name] = family.type
        for sample in family.samples:
            out["samples"].append([sample.name, sample.labels, sample.value])
print(json.dumps(out))
