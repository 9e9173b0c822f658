"""A job whose rank 1 fails while rank 0 waits for it in an all_reduce: `failing.py raise`
raises ValueError, `failing.py exit` calls sys.exit(3), `failing.py kill` kills rank 1 with
SIGKILL: the job must end at once with rank 1's error, not wait for rank 0. `failing.py leave`:
rank 1 ends with status 0 as rank 0 waits, so rank 0's all_reduce runs out of its 2 s timeout."""
import datetime
import os
import signal
import sys
import time

import chainrule
import chainrule.distributed as dist


def fail(how):
    time.sleep(0.5)   # rank 0 is in the all_reduce by now
    if how == "raise":
        raise ValueError("boom: rank 1 gave up")
    if how == "exit":
        sys.exit(3)
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if how == "leave":
        sys.exit(0)
    raise SystemExit(f"failing.py: no such way to fail: {how!r}")


def main():
    dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=2))
    if dist.get_rank() == 1:
        fail(sys.argv[1])
    print(f"rank {dist.get_rank()} waits in all_reduce", flush=True)
    dist.all_reduce(chainrule.ones(2))
    print(f"rank {dist.get_rank()} was not stopped", flush=True)


if __name__ == "__main__":
    main()
