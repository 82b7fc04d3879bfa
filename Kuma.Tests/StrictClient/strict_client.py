#!/usr/bin/python3
"""A proxyless gRPC caller on gRPC C-core (Debian's python3-grpcio), the strictest xDS client we test against.

usage: strict_client.py <target> [interval-ms] [deadline-ms] [header-name value,value,...]

It resolves xds:///<target> through the control plane named in GRPC_XDS_BOOTSTRAP_CONFIG and calls the echo
service of examples/proxyless-grpc (/kuma.test.Echo/WhoAreYou, JSON in and out) in a loop. Each answer is one JSON
line: {"t", "ms", "server"} or {"t", "ms", "error": <status code number>, "detail"}; given a header, each call sends
the next value in turn and its line says which ("key"). It stops when its stdin closes.
"""
import json
import sys
import threading
import time

import grpc

METHOD = "/kuma.test.Echo/WhoAreYou"


def main() -> None:
    target = sys.argv[1]
    interval = float(sys.argv[2] if len(sys.argv) > 2 else 20) / 1000
    deadline = float(sys.argv[3] if len(sys.argv) > 3 else 2000) / 1000
    header = sys.argv[4] if len(sys.argv) > 4 else None
    values = [v for v in (sys.argv[5] if len(sys.argv) > 5 else "").split(",") if v]

    stopped = threading.Event()

    def wait_for_stdin_to_close() -> None:
        for _ in sys.stdin:
            pass
        stopped.set()

    threading.Thread(target=wait_for_stdin_to_close, daemon=True).start()

    channel = grpc.insecure_channel(f"xds:///{target}")
    who_are_you = channel.unary_unary(METHOD)
    sent = 0
    while not stopped.is_set():
        started = time.time()
        key = values[sent % len(values)] if header and values else None
        sent += 1
        metadata = [(header, key)] if key is not None else None
        try:
            reply = json.loads(who_are_you(b"{}", timeout=deadline, metadata=metadata))
            line = {"server": reply["server"]}
        except grpc.RpcError as error:
            line = {"error": error.code().value[0], "detail": error.details()}
        now = time.time()
        line["t"] = int(now * 1000)
        line["ms"] = int((now - started) * 1000)
        if key is not None:
            line["key"] = key
        try:
            print(json.dumps(line), flush=True)
        except BrokenPipeError:
            break
        stopped.wait(interval)
    channel.close()


if __name__ == "__main__":
    main()
