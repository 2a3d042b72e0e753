#!/usr/bin/env python3
# tests/e2e/stunprobe_pty.py - run a command with its stderr on a pseudo-
# terminal (stdin and stdout untouched), so a program that only shows
# progress on a terminal can be tested.
#
# usage: stunprobe_pty.py TTYLOG COMMAND [ARG ...]
# Writes what the command wrote to the terminal into TTYLOG and exits with
# the command's status.  The read loop ends when the command closes the
# terminal (EIO), so it is as bounded as the command itself.
import os
import pty
import subprocess
import sys


def main():
    log, cmd = sys.argv[1], sys.argv[2:]
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        seen += data
    os.close(master)
    with open(log, "wb") as f:
        f.write(seen)
    sys.exit(proc.wait())


if __name__ == "__main__":
    main()
