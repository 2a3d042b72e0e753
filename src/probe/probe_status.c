/* SPDX-License-Identifier: MIT */
/*
 * probe_status.c - what a transaction's status means, as a phrase: for
 * stunprobe's messages and the library's failure reports alike.
 */
#include "probe/probe.h"

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
