/* SPDX-License-Identifier: MIT */
/*
 * stream_close.c - the names of the reasons a TCP connection closes
 * (stream_conn.h), for the log and the metrics; apart from the core so
 * that the metrics' unit test links without it.
 */
#include "stream_conn.h"

static const char *const close_names[STREAM_CLOSE_COUNT] = {
	[STREAM_CLOSE_PEER] = "peer",
	[STREAM_CLOSE_ERROR] = "error",
	[STREAM_CLOSE_MAX_CONNS] = "max_connections",
	[STREAM_CLOSE_PER_SOURCE] = "per_source",
	[STREAM_CLOSE_ACL] = "acl",
	[STREAM_CLOSE_FIRST_TIMEOUT] = "first_message_timeout",
	[STREAM_CLOSE_IDLE_TIMEOUT] = "idle_timeout",
	[STREAM_CLOSE_TOO_BIG] = "too_big",
	[STREAM_CLOSE_NOT_STUN] = "not_stun",
	[STREAM_CLOSE_OVERFLOW] = "overflow",
	[STREAM_CLOSE_RATE_LIMIT] = "rate_limit",
	[STREAM_CLOSE_SHUTDOWN] = "shutdown",
	[STREAM_CLOSE_TLS_TIMEOUT] = "tls_handshake_timeout",
	[STREAM_CLOSE_TLS_BUSY] = "tls_max_handshakes",
	[STREAM_CLOSE_TLS_ERROR] = "tls_error",
};

const char *stream_close_name(enum stream_close r)
{
	return r < STREAM_CLOSE_COUNT ? close_names[r] : "?";
}
