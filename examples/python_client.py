#!/usr/bin/env python3
"""A /v2 client for Python: prints every data message (its samples), every gap, status changes
and command replies. Protocol: docs/protocol.md.

Needs only the standard library and the `websockets` package (pip install websockets, or
Debian/Ubuntu: apt install python3-websockets).

    python3 examples/python_client.py [url] [token] [options]

    url               ws://127.0.0.1:9001/v2 by default
    token             the control token (serverbit --show-token); only needed for commands
    --batch N         samples per message (1..1000)
    --columns A,B     columns to receive, e.g. nSeq,A1,A2
    --format F        raw (default), converted or both
    --command NAME    send one command once streaming (e.g. state, list_ports) and print its reply
    --seconds S       exit after S seconds (default: run until Ctrl-C)

It also checks what the protocol promises: indices run on without holes, and every loss is
announced by a gap message.
"""
import argparse
import asyncio
import json
import sys
from urllib.parse import urlencode, urlsplit, urlunsplit, parse_qsl

import websockets


def shown(values):
    if len(values) > 12:
        return "[%s, … %d more]" % (", ".join(str(v) for v in values[:12]), len(values) - 12)
    return "[%s]" % ", ".join(str(v) for v in values)


def build_url(args):
    parts = urlsplit(args.url)
    query = dict(parse_qsl(parts.query))
    if args.token:
        query["token"] = args.token
    for key in ("batch", "columns", "format"):
        value = getattr(args, key)
        if value is not None:
            query[key] = value
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def describe(m, expected):
    kind = m.get("type")
    if kind == "hello":
        sub = m["subscription"]
        return "hello: %s %s, protocol %s, devices %s, control %s, batch %s, format %s" % (
            m["server"], m["version"], m["protocol"], ", ".join(m["devices"]),
            "yes" if m["control"] else "no", sub["batch"], sub["format"])
    if kind == "meta":
        return "meta: %s %s (%s, %s) %s Hz, columns %s, sensors %s, t0 %s %s" % (
            m["device"], m["name"], m.get("board", m["kind"]), m["firmware"], m["sampling rate"], " ".join(m["column"]),
            " ".join(m["sensor"]), m["date"], m["time"])
    if kind == "status":
        c = m["counters"]
        err = " — %s: %s" % (m["error"]["code"], m["error"]["message"]) if "error" in m else ""
        return "status: %s %s%s (frames %d, gaps %d, CRC errors %d)" % (
            m["device"], m["state"], err, c["frames"], c["gaps"], c["crcErrors"])
    if kind == "server":
        return "server: %d clients, devices %s" % (m["clients"], ", ".join(m["devices"]))
    if kind == "marker":
        return "marker %s: %s" % (m.get("device", "all devices"), m["label"])
    if kind == "data":
        lines = []
        nxt = expected.get(m["device"])
        if nxt is not None and m["index"] != nxt:
            lines.append("WARNING: %s jumped from %d to %d without a gap message" % (m["device"], nxt, m["index"]))
        expected[m["device"]] = m["index"] + m["count"]
        cols = dict(m.get("raw", {}))
        cols.update({k + "(conv)": v for k, v in m.get("converted", {}).items()})
        lines.append("data %s #%d..%d (%d samples): %s" % (
            m["device"], m["index"], m["index"] + m["count"] - 1, m["count"],
            " ".join("%s=%s" % (k, shown(v)) for k, v in cols.items())))
        return "\n".join(lines)
    if kind == "gap":
        if m["device"] in expected:
            expected[m["device"]] = m["to"]
        return "gap %s #%d..%d (%d samples lost): %s" % (m["device"], m["from"], m["to"] - 1, m["to"] - m["from"], m["reason"])
    if kind == "reply":
        if m["ok"]:
            return "reply %s: ok %s" % (m["id"], json.dumps(m["result"], ensure_ascii=False, separators=(",", ":")))
        e = m["error"]
        return "reply %s: error %s: %s%s" % (m["id"], e["code"], e["message"], " (%s)" % e["hint"] if "hint" in e else "")
    return "unknown message: %s" % kind


async def run(args):
    url = build_url(args)
    deadline = None if args.seconds is None else asyncio.get_running_loop().time() + args.seconds
    expected = {}
    command_sent = False
    async with websockets.connect(url, max_size=None) as ws:
        print("connected to %s" % url.split("?")[0], flush=True)
        while True:
            timeout = None if deadline is None else max(0.0, deadline - asyncio.get_running_loop().time())
            try:
                text = await asyncio.wait_for(ws.recv(), timeout)
            except asyncio.TimeoutError:
                break
            m = json.loads(text)
            print(describe(m, expected), flush=True)
            if m.get("type") == "data" and args.command and not command_sent:
                command_sent = True
                await ws.send(json.dumps({"type": "command", "id": 1, "command": args.command}))
    print("closed", flush=True)


def main():
    p = argparse.ArgumentParser(description="Print samples and gaps from ServerBIT's /v2 stream.")
    p.add_argument("url", nargs="?", default="ws://127.0.0.1:9001/v2")
    p.add_argument("token", nargs="?", default=None)
    p.add_argument("--batch")
    p.add_argument("--columns")
    p.add_argument("--format")
    p.add_argument("--command")
    p.add_argument("--seconds", type=float)
    args = p.parse_args()
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:
        pass
    except (OSError, websockets.exceptions.WebSocketException) as e:
        print("connection error: %s (is ServerBIT running at %s?)" % (e, args.url), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
