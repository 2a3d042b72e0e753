#!/usr/bin/env bash
# tests/e2e/python_stunring.sh - the stunring Python package's pytest tests
# on loopback: the client (tests/python/test_client.py: against stunringd,
# past dead, silent and wrongly answering servers, several calls at once,
# the same answers as stunprobe's) and the embedded server
# (tests/python/test_server.py: serve() queried from Python sockets,
# several servers in one process, no stderr, no signal handlers).
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/stunprobe_lib.sh
. tests/e2e/python_lib.sh
TEST_NAME=python_stunring

require "[ -f build/libstunring.so.0 ]" "build/libstunring.so.0 not built"
require find_python "no python3 with pytest (Debian: python3-pytest)"

run_pytest "" env -- tests/python/test_client.py tests/python/test_server.py
tap_end
