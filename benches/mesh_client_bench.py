"""The Python side of benches/mesh_transfer.rs: NHS England's mesh-client (PyPI, pinned in
gpconnect-testkit/mesh/requirements.txt) against the same local mesh-sandbox.

    python mesh_client_bench.py URL send FILE ITERS
        sends FILE from X26ABC1 to X26ABC2 ITERS times, gzip-compressed (compress=True,
        mesh-client's default chunk size);
    python mesh_client_bench.py URL receive - ITERS
        downloads ITERS waiting messages of X26ABC2 (streamed in 1 MiB reads, gzip
        decoded) and acknowledges each.

Prints one JSON line: {"seconds": [...per transfer...], "bytes": [...], "peak_rss_kb": N},
where peak_rss_kb is the process's peak resident memory during the transfers (the peak is
reset through /proc/self/clear_refs before each one, as on the Rust side).
"""

import json
import sys
import time

from mesh_client import MeshClient

SHARED_KEY = b"TestKey"


def reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def client(url: str, mailbox: str) -> MeshClient:
    return MeshClient(url, mailbox, "password", shared_key=SHARED_KEY, verify=False, max_retries=0)


def main() -> None:
    url, op, path, iters = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    seconds, sizes, peak = [], [], 0
    if op == "send":
        with client(url, "X26ABC1") as c:
            c.handshake()
            for _ in range(iters):
                with open(path, "rb") as f:
                    reset_peak()
                    start = time.perf_counter()
                    c.send_message("X26ABC2", f, workflow_id="TEST_WORKFLOW", compress=True)
                    seconds.append(time.perf_counter() - start)
                    peak = max(peak, peak_rss_kb())
    elif op == "receive":
        with client(url, "X26ABC2") as c:
            c.handshake()
            ids = c.list_messages()[:iters]
            for message_id in ids:
                reset_peak()
                start = time.perf_counter()
                size = 0
                with c.retrieve_message(message_id) as message:
                    while True:
                        block = message.read(1024 * 1024)
                        if not block:
                            break
                        size += len(block)
                    message.acknowledge()
                seconds.append(time.perf_counter() - start)
                sizes.append(size)
                peak = max(peak, peak_rss_kb())
    else:
        raise SystemExit(f"unknown op {op}")
    print(json.dumps({"seconds": seconds, "bytes": sizes, "peak_rss_kb": peak}))


if __name__ == "__main__":
    main()
