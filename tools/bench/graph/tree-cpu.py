"""Runs a command and reports, on the last line of the file named by $TREE_CPU_OUT, the wall time of the
command and the CPU time (user + system) of it and of every process it started, orphans included.

GNU time only counts the children that the command itself waited for; nx does not wait for all of its
plugin workers, so they would go uncounted. As a child subreaper this process inherits those orphans and
reaps them, which adds their CPU time to RUSAGE_CHILDREN. Linux only (prctl PR_SET_CHILD_SUBREAPER).

    TREE_CPU_OUT=FILE python3 tree-cpu.py COMMAND [ARG...]    -> FILE: "<wall seconds> <cpu seconds>"
"""

import ctypes
import os
import resource
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def main() -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("tree-cpu: prctl(PR_SET_CHILD_SUBREAPER) failed", file=sys.stderr)
        return 125
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(sys.argv[1], sys.argv[1:])
        finally:
            os._exit(127)
    _, status = os.waitpid(pid, 0)
    wall = time.monotonic() - started
    while True:  # the orphans (plugin workers) that the command left behind
        try:
            os.wait()
        except ChildProcessError:
            break
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(os.environ["TREE_CPU_OUT"], "w", encoding="utf-8") as out:
        out.write(f"{wall:.6f} {usage.ru_utime + usage.ru_stime:.6f}\n")
    return os.waitstatus_to_exitcode(status) if status else 0


if __name__ == "__main__":
    sys.exit(main())
