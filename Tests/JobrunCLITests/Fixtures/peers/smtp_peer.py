"""A local SMTP peer for jobrun's tests (aiosmtpd), on 127.0.0.1 only.

Prints its port on the first line of stdout and stores every message it receives,
byte for byte, as <n>.eml in the directory named by argv[1], with the envelope
(sender and recipients) as <n>.json.
"""
import os

# Pipes of other tests running at the same time may have leaked into this process;
# holding them open would keep those tests waiting for end-of-file.
os.closerange(3, 65536)

import asyncio
import json
import socket
import sys

from aiosmtpd.controller import Controller

OUT = sys.argv[1]


class Store:
    def __init__(self):
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        with open(os.path.join(OUT, f"{self.n}.eml"), "wb") as f:
            f.write(envelope.original_content)
        with open(os.path.join(OUT, f"{self.n}.json"), "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos}, f)
        return "250 Message accepted"


sock = socket.socket()
sock.bind(("127.0.0.1", 0))
port = sock.getsockname()[1]
sock.close()
controller = Controller(Store(), hostname="127.0.0.1", port=port)
controller.start()
print(port, flush=True)
try:
    asyncio.get_event_loop().run_forever()
finally:
    controller.stop()
