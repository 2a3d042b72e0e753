/* SPDX-License-Identifier: MIT */
/*
 * stunprobe_status.c - what a transaction's status means to the user: a
 * phrase and an exit status.  Its own file because the plain probe, the
 * behaviour runner and the classic runner all need it, and none of them
 * should depend on another.
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

const char *probe_status_text(enum probe_status s)
{
	switch (s) {
	case PROBE_OK:
		return "answered";
	case PROBE_TIMEOUT:
		return "no answer (timeout)";
	case PROBE_UNREACHABLE:
		return "unreachable (ICMP error)";
	case PROBE_ERROR_RESPONSE:
		return "error response";
	case PROBE_BAD_RESPONSE:
		return "unusable response";
	case PROBE_SYSERR:
		return "local error";
	case PROBE_CONNECT_FAILED:
		return "connection failed";
	case PROBE_CLOSED:
		return "connection closed by the server before an answer";
	case PROBE_TLS_FAILED:
		return "TLS failed";
	}
	return "?";
}
