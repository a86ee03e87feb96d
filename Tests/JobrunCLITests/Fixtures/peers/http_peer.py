"""A local HTTP peer for jobrun's tests, on 127.0.0.1 only.

Prints its port on the first line of stdout, then serves:
  /status/<code>           answers <code>
  /flaky/<n>/<key>         answers 503 the first <n> times for <key>, then 200
  /hang                    never answers (holds the connection)
  /redirect/<code>/<port>/<rest>
                           answers <code> with Location: http://127.0.0.1:<port>/<rest>
  /big/<n>                 200 with a body of <n> bytes
  /pad/<n>?s=<secret>      200: <n> bytes of "x", the decoded secret, 100 bytes of "y"
  /forms                   200: the secret (header X-Secret) base64-encoded inside "user:<secret>", JSON-escaped
                           and percent-encoded, one per line
  /echo/...                404 with the raw request path in the body (as error pages do)
  anything else            200 "ok"
Every request is appended to the file named by argv[1] as one JSON line
(method, path, headers, body).
"""
import os

# Pipes of other tests running at the same time may have leaked into this process;
# holding them open would keep those tests waiting for end-of-file.
os.closerange(3, 65536)

import base64
import json
import sys
import urllib.parse
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = sys.argv[1]
counts = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        with lock:
            with open(LOG, "a") as f:
                f.write(json.dumps({"method": self.command, "path": self.path,
                                    "headers": {k.lower(): v for k, v in self.headers.items()},
                                    "body": body}) + "\n")
        route, _, query = self.path.partition("?")
        parts = route.strip("/").split("/")
        secret = self.headers.get("X-Secret") or urllib.parse.parse_qs(query).get("s", [""])[0]
        code, text = 200, "ok"
        extra = {}
        if parts[0] == "redirect":
            code, text = int(parts[1]), "moved"
            extra["Location"] = "http://127.0.0.1:%s/%s" % (parts[2], "/".join(parts[3:]))
        elif parts[0] == "big":
            text = "b" * int(parts[1])
        elif parts[0] == "pad":
            text = "x" * int(parts[1]) + secret + "y" * 100
        elif parts[0] == "forms":
            text = "\n".join([
                "basic " + base64.b64encode(("user:" + secret).encode()).decode(),
                "json " + json.dumps(secret),
                "url " + urllib.parse.quote(secret, safe=""),
            ])
        elif parts[0] == "echo":
            code, text = 404, "no page at " + self.path
        if parts[0] == "status":
            code, text = int(parts[1]), "status " + parts[1]
        elif parts[0] == "flaky":
            with lock:
                seen = counts.get(parts[2], 0)
                counts[parts[2]] = seen + 1
            if seen < int(parts[1]):
                code, text = 503, "try again"
        elif parts[0] == "hang":
            time.sleep(3600)
        payload = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
