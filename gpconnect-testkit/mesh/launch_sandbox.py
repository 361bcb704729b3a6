"""Starts NHS England's mesh-sandbox for the SDK's tests and benchmarks.

Runs uvicorn in this process on 127.0.0.1:PORT (argv[1]) and exits as soon as its stdin
closes, so a sandbox never outlives the test process that started it. Configuration
(AUTH_MODE, STORE_MODE, SHARED_KEY) comes from the environment.
"""

import os
import sys
import threading

import uvicorn


def _exit_when_parent_goes() -> None:
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    threading.Thread(target=_exit_when_parent_goes, daemon=True).start()
    uvicorn.run(
        "mesh_sandbox.api:app",
        host="127.0.0.1",
        port=int(sys.argv[1]),
        workers=1,
        log_level="warning",
        access_log=False,
    )
