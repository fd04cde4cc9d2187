"""Times twilio 4.0.0's own flow for benchmarks/bench.py, in that release's venv.

Run by bench.py with the python of a throw-away virtualenv holding exactly
``twilio==4.0.0`` (bench.py makes it under benchmarks/build/ when asked):

    python twilio40_worker.py '{"account_sid": ..., "auth_token": ...,
                                "workspace_sid": ..., "worker_sid": ...}'

It prints one JSON line (the release, and one token for bench.py to check
that the policies are the ones we mint), then reads a number of loops per
line on stdin and answers each with the seconds that many fresh requests
took: construct, the three documented permissions, ``generate_token()``.

twilio 4.0.0's ``import twilio`` needs ``urlparse.parse_qs`` (Python 2);
the same shim as tests/vectors/generate.py provides it.  Only the REST
client's import path uses it; ``twilio.task_router`` and ``twilio.jwt`` run
unchanged.  Standard library only besides twilio.
"""

import itertools
import json
import sys
import time
import types
import urllib.parse

if "urlparse" not in sys.modules:
    shim = types.ModuleType("urlparse")
    shim.parse_qs = urllib.parse.parse_qs
    sys.modules["urlparse"] = shim

import twilio  # noqa: E402
from twilio.task_router import TaskRouterCapability  # noqa: E402


def main():
    args = json.loads(sys.argv[1])
    account, key = args["account_sid"], args["auth_token"]
    workspace, worker = args["workspace_sid"], args["worker_sid"]

    def fresh():
        capability = TaskRouterCapability(account, key, workspace, worker)
        capability.allow_worker_fetch_attributes()
        capability.allow_worker_activity_updates()
        capability.allow_task_reservation_updates()
        return capability.generate_token()

    print(json.dumps({"version": twilio.__version__, "token": fresh()}), flush=True)
    perf_counter = time.perf_counter
    for line in sys.stdin:
        loops = int(line)
        t0 = perf_counter()
        for _ in itertools.repeat(None, loops):
            fresh()
        print(repr(perf_counter() - t0), flush=True)


if __name__ == "__main__":
    main()
