/* SPDX-License-Identifier: MIT */
/*
 * stunprobe_status.c - what a transaction's status means to the shell: an
 * exit status.  Its own file because the plain probe, the behaviour output
 * and the classic output all need it, and none of them should depend on
 * another.  (The phrase is the library's: probe_status_text.)
 */
#include "stunprobe.h"

int probe_exit_of(enum probe_status s)
{
	switch (s) {
	case PROBE_OK:
		return PROBE_EXIT_OK;
	case PROBE_ERROR_RESPONSE:
		return PROBE_EXIT_ERROR_RESPONSE;
	case PROBE_BAD_RESPONSE:
		return PROBE_EXIT_BAD_RESPONSE;
	case PROBE_SYSERR:
		return PROBE_EXIT_SYSTEM;
	case PROBE_TLS_FAILED:
		return PROBE_EXIT_TLS;
	default:	/* timeout, unreachable, connect failed, closed */
		return PROBE_EXIT_TIMEOUT;
	}
}
