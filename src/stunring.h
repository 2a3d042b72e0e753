/* SPDX-License-Identifier: MIT */
/*
 * stunring.h - libstunring, the zero-allocation STUN codec.
 *
 * Parse and validate STUN messages (RFC 8489, RFC 5780, RFC 3489 classic
 * clients), encode and decode their attributes, and answer a request in one
 * call (stun_respond) for the daemon, the XDP tests and the tools.
 *
 * Rules of the library:
 *  - no heap allocation, no global mutable state (thread-safe by design);
 *  - callers pass every buffer; every read and write is bounds-checked;
 *  - errors are reported as values, never by aborting.
 */
#ifndef STUNRING_H
#define STUNRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stun_wire.h"

#ifdef __cplusplus
extern "C" {
#endif

#define STUNRING_VERSION "0.1.0"

/* ------------------------------------------------------------------------ */
/* Transport addresses                                                       */
/* ------------------------------------------------------------------------ */

/* A transport address in the form STUN carries it: family, port, address. */
struct stun_addr {
	uint8_t family;		/* STUN_FAMILY_IPV4 or STUN_FAMILY_IPV6 */
	uint16_t port;		/* host byte order */
	uint8_t ip[16];		/* network order; IPv4 uses ip[0..3] */
};

struct sockaddr;

/* sockaddr_in / sockaddr_in6 to stun_addr.  An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) becomes IPv4, as conformance item 19 requires.
 * Returns 0, or -1 for another family or a short length. */
int stun_addr_from_sockaddr(struct stun_addr *a, const struct sockaddr *sa,
			    unsigned int salen);
/* stun_addr to a sockaddr_in / sockaddr_in6 in *ss (at least
 * sizeof(struct sockaddr_in6) bytes).  Returns the sockaddr length. */
unsigned int stun_addr_to_sockaddr(const struct stun_addr *a, void *ss);
/* "1.2.3.4:5" or "[::1]:5" into buf; returns buf ("?" when it cannot). */
char *stun_addr_format(const struct stun_addr *a, char *buf, size_t cap);
#define STUN_ADDR_STRLEN 56
/* Parse "IP", "IP:PORT", "[IPv6]" or "[IPv6]:PORT" (a bare IPv6 has no
 * port).  default_port is used when none is given.  Returns 0 or -1. */
int stun_addr_parse(struct stun_addr *a, const char *s, uint16_t default_port);
bool stun_addr_equal(const struct stun_addr *a, const struct stun_addr *b);
bool stun_addr_ip_equal(const struct stun_addr *a, const struct stun_addr *b);
/* True when no STUN server should ever answer this source: unspecified,
 * multicast or broadcast address, or port 0 (conformance item 79). */
bool stun_addr_is_bogus_source(const struct stun_addr *a);

/* ------------------------------------------------------------------------ */
/* Parsing                                                                   */
/* ------------------------------------------------------------------------ */

enum stun_transport { STUN_TRANSPORT_UDP = 0, STUN_TRANSPORT_TCP = 1 };

/* Why a message gets no answer.  Names: stun_drop_reason_name(). */
enum stun_drop_reason {
	STUN_DROP_NONE = 0,
	STUN_DROP_SHORT,		/* shorter than the 20-byte header */
	STUN_DROP_TOP_BITS,		/* first two bits not 00: not STUN */
	STUN_DROP_LEN_ALIGN,		/* length not a multiple of 4 */
	STUN_DROP_LEN_MISMATCH,		/* 20 + length != datagram size */
	STUN_DROP_NO_COOKIE,		/* no cookie and classic not allowed */
	STUN_DROP_CLASSIC_TYPE,		/* classic message but not Binding req */
	STUN_DROP_ATTR_OVERRUN,		/* attribute runs past the message */
	STUN_DROP_METHOD,		/* method other than Binding */
	STUN_DROP_RESPONSE,		/* unsolicited success/error response */
	STUN_DROP_FP_NOT_LAST,		/* FINGERPRINT not the last attribute */
	STUN_DROP_FP_LEN,		/* FINGERPRINT length != 4 */
	STUN_DROP_FP_CRC,		/* FINGERPRINT CRC mismatch */
	STUN_DROP_INDICATION,		/* indication: processed, never answered */
	STUN_DROP_INDICATION_UNKNOWN,	/* indication with unknown required attr */
	STUN_DROP_BOGUS_SOURCE,		/* source never answered (item 79) */
	STUN_DROP_NO_ROOM,		/* response does not fit the buffer */
	STUN_DROP_PADDING_SMALL,	/* PADDING request smaller than its answer */
	STUN_DROP_REASON_COUNT
};
const char *stun_drop_reason_name(enum stun_drop_reason r);

/* Attributes whose first instance the parser records (RFC 8489 section 14:
 * later copies are ignored). */
enum stun_slot {
	STUN_SLOT_MAPPED_ADDRESS,
	STUN_SLOT_CHANGE_REQUEST,
	STUN_SLOT_SOURCE_ADDRESS,
	STUN_SLOT_CHANGED_ADDRESS,
	STUN_SLOT_USERNAME,
	STUN_SLOT_MESSAGE_INTEGRITY,
	STUN_SLOT_ERROR_CODE,
	STUN_SLOT_UNKNOWN_ATTRIBUTES,
	STUN_SLOT_MESSAGE_INTEGRITY_SHA256,
	STUN_SLOT_XOR_MAPPED_ADDRESS,
	STUN_SLOT_PADDING,
	STUN_SLOT_RESPONSE_PORT,
	STUN_SLOT_SOFTWARE,
	STUN_SLOT_FINGERPRINT,
	STUN_SLOT_RESPONSE_ORIGIN,
	STUN_SLOT_OTHER_ADDRESS,
	STUN_SLOT_COUNT
};

/* Unknown comprehension-required types kept for a 420 (conformance item 35:
 * each once, in order of first appearance, capped). */
#define STUN_MAX_UNKNOWN 32

/* The comprehension-required types a receiver understands, as a bit mask
 * over types 0x0000-0x003F (every such type STUN defines is below 0x40);
 * any required type >= 0x40 is unknown. */
#define STUN_BIT(t) (UINT64_C(1) << (t))

/* A parsed message: a view into the caller's buffer, which must outlive it. */
struct stun_msg {
	const uint8_t *buf;
	uint32_t len;		/* whole message: 20 + header length */
	uint16_t type;
	uint16_t method;
	uint8_t cls;		/* STUN_CLASS_* */
	bool classic;		/* no magic cookie: RFC 3489 */
	bool fp_present;	/* FINGERPRINT present (and, when parsing, valid) */
	uint8_t n_unknown;
	uint16_t n_attrs;
	uint16_t off[STUN_SLOT_COUNT];	/* offset of the attribute header; 0 = absent */
	uint16_t unknown[STUN_MAX_UNKNOWN];
};

/* Frame check + attribute walk + FINGERPRINT verification.
 * UDP: len must be exactly the datagram; TCP: buf starts a framed message of
 * exactly len bytes (see stun_frame_len).  classic: which messages may lack
 * the cookie (UDP only).  understood: mask (STUN_BIT) of
 * required types the caller understands; the others are listed in
 * msg->unknown.  Returns STUN_DROP_NONE or why the message is not STUN we can
 * act on.  Does not look at class or method beyond the classic check:
 * that is policy (stun_respond, stun_parse_response). */
/* Which messages without the cookie stun_parse admits (item 50). */
enum stun_classic {
	STUN_CLASSIC_NONE = 0,		/* every message needs the cookie */
	STUN_CLASSIC_REQUEST,		/* server: classic Binding Requests */
	STUN_CLASSIC_RESPONSE,		/* client: classic Binding responses */
};

enum stun_drop_reason stun_parse(struct stun_msg *msg, const uint8_t *buf,
				 size_t len, enum stun_transport t,
				 enum stun_classic classic, uint64_t understood);

/* TCP framing (RFC 8489 section 6.2.2): the length of the message at the
 * start of buf when all of it is there, 0 when more bytes are needed, -1
 * when the stream cannot be framed (bad top bits, length % 4, no cookie). */
long stun_frame_len(const uint8_t *buf, size_t avail);

/* Value of the attribute in a slot; NULL when absent. */
static inline const uint8_t *stun_attr_value(const struct stun_msg *m,
					     enum stun_slot s, uint16_t *len)
{
	uint16_t off = m->off[s];

	if (!off)
		return NULL;
	*len = (uint16_t)(m->buf[off + 2] << 8 | m->buf[off + 3]);
	return m->buf + off + STUN_ATTR_HDR_LEN;
}
/* First attribute of any type; NULL when absent. */
const uint8_t *stun_find_attr(const struct stun_msg *m, uint16_t type,
			      uint16_t *len);
/* The 12 (modern) or 16 (classic) transaction-ID bytes. */
static inline const uint8_t *stun_tid(const struct stun_msg *m)
{
	return m->buf + (m->classic ? 4 : 8);
}

/* Decoders for attribute values.  Return 0, or -1 when malformed. */
int stun_decode_addr(struct stun_addr *a, const uint8_t *v, uint16_t len);
int stun_decode_xor_addr(struct stun_addr *a, const uint8_t *v, uint16_t len,
			 const uint8_t *tid12);
/* ERROR-CODE: code (300..699) and the reason phrase (not NUL-terminated). */
int stun_decode_error(const uint8_t *v, uint16_t len, int *code,
		      const char **reason, uint16_t *reason_len);
/* UNKNOWN-ATTRIBUTES: up to cap types into out; *n = how many were listed. */
int stun_decode_unknown(const uint8_t *v, uint16_t len, uint16_t *out,
			unsigned int cap, unsigned int *n);
int stun_decode_change_request(const uint8_t *v, uint16_t len, uint32_t *flags);
/* RESPONSE-PORT: length 2 or 4 accepted (conformance item 62). */
int stun_decode_response_port(const uint8_t *v, uint16_t len, uint16_t *port);

/* ------------------------------------------------------------------------ */
/* Encoding                                                                  */
/* ------------------------------------------------------------------------ */

/* A bounds-checked writer.  Once a write does not fit, ovf is set and every
 * later write is a no-op, so callers check once at the end. */
struct stun_writer {
	uint8_t *buf;
	uint32_t cap;
	uint32_t len;
	bool ovf;
	bool classic;	/* RFC 3489: no XOR, reason and lists padded (items 32, 35) */
};

/* Start a message: type + the transaction ID (12 bytes after the cookie, or
 * 16 classic bytes in place of cookie + ID when classic).  tid may point
 * into buf itself, so a response can be built over its request. */
void stun_w_init(struct stun_writer *w, void *buf, size_t cap, uint16_t type,
		 const uint8_t *tid, bool classic);
/* Append an attribute; the value is zero-padded to 4 bytes. */
void stun_w_attr(struct stun_writer *w, uint16_t type, const void *val,
		 uint16_t len);
void stun_w_addr(struct stun_writer *w, uint16_t type, const struct stun_addr *a);
void stun_w_xor_addr(struct stun_writer *w, uint16_t type,
		     const struct stun_addr *a);
void stun_w_error(struct stun_writer *w, int code, const char *reason);
void stun_w_unknown(struct stun_writer *w, const uint16_t *types, unsigned n);
void stun_w_change_request(struct stun_writer *w, uint32_t flags);
void stun_w_response_port(struct stun_writer *w, uint16_t port);
void stun_w_padding(struct stun_writer *w, uint16_t len);
/* FINGERPRINT last: fixes the header length, then appends the CRC. */
void stun_w_fingerprint(struct stun_writer *w);
/* Final header length; returns the message size, or 0 on overflow. */
size_t stun_w_finish(struct stun_writer *w);

/* CRC-32 (ITU V.42, as zlib) and the FINGERPRINT value over a prefix. */
uint32_t stun_crc32(const uint8_t *p, size_t n);
static inline uint32_t stun_fingerprint(const uint8_t *p, size_t n)
{
	return stun_crc32(p, n) ^ STUN_FINGERPRINT_XOR;
}

/* ------------------------------------------------------------------------ */
/* The server: one call answers a request                                    */
/* ------------------------------------------------------------------------ */

enum stun_mode {
	STUN_MODE_BASIC = 0,	/* RFC 8489 only: XOR-MAPPED-ADDRESS answers */
	STUN_MODE_RFC5780 = 1,	/* NAT behaviour discovery (conformance J) */
};

struct stun_server_cfg {
	enum stun_mode mode;
	enum stun_transport transport;
	bool classic;		/* answer RFC 3489 clients (default on) */
	bool response_port;	/* honour RESPONSE-PORT in rfc5780 mode */
	bool ice_aware;		/* understand PRIORITY and USE-CANDIDATE */
	bool always_fingerprint;/* FINGERPRINT in every modern response */
	bool has_alt;		/* rfc5780 with an alternate address */
	/* rfc5780 with has_alt: primary A1:P1 and alternate A2:P2.  The
	 * source table (RFC 5780 6.1) is derived from them. */
	struct stun_addr primary;
	struct stun_addr alt;
	/* Behind a 1:1 NAT: the public IPs to advertise for the primary and
	 * the alternate address in RESPONSE-ORIGIN, OTHER-ADDRESS,
	 * SOURCE-ADDRESS and CHANGED-ADDRESS (ports are kept).  family 0:
	 * advertise the local address itself. */
	struct stun_addr advertise_primary;
	struct stun_addr advertise_alt;
	const char *software;	/* NULL or empty: no SOFTWARE */
	uint16_t software_len;
};

/* The comprehension-required attributes this configuration understands
 * (conformance item 36), as a STUN_BIT mask: anything else gets a 420.  The
 * XDP loader hands the same mask to the kernel program. */
uint64_t stun_understood_mask(const struct stun_server_cfg *cfg);

/* Defaults: basic mode, UDP, classic on, RESPONSE-PORT on, no SOFTWARE. */
void stun_server_cfg_init(struct stun_server_cfg *cfg);
/* Set SOFTWARE (at most STUN_SOFTWARE_MAX bytes of valid UTF-8).  The text
 * must outlive cfg.  Returns 0 or -1. */
int stun_server_cfg_software(struct stun_server_cfg *cfg, const char *text);

enum stun_verdict {
	STUN_VERDICT_DROP = 0,	/* no answer: reply.reason says why */
	STUN_VERDICT_SUCCESS,	/* Binding success response */
	STUN_VERDICT_ERROR,	/* error response: reply.error_code */
};

struct stun_reply {
	enum stun_verdict verdict;
	enum stun_drop_reason reason;	/* with DROP */
	uint16_t error_code;		/* with ERROR: 400 or 420 */
	bool classic;			/* answer to an RFC 3489 client */
	bool padding;			/* a success with PADDING (RFC 5780) */
	uint32_t len;			/* response bytes written */
	struct stun_addr src;		/* send from this local address */
	struct stun_addr dst;		/* ... to this peer address */
};

/* Worst-case growth of a response over its request: address attributes,
 * SOFTWARE, ERROR-CODE, FINGERPRINT.  An output buffer of
 * req_len + STUN_RESPONSE_OVERHEAD bytes always suffices. */
#define STUN_RESPONSE_OVERHEAD 512

/* Answer one request (conformance.md sections A-J).  peer: where it came
 * from; local: the address and port it was received on.  Writes the
 * response to out (which may be req itself: everything needed is read
 * before the first byte is written) and fills *rep; returns rep->verdict. */
enum stun_verdict stun_respond(const uint8_t *req, size_t req_len,
			       const struct stun_addr *peer,
			       const struct stun_addr *local,
			       const struct stun_server_cfg *cfg,
			       uint8_t *out, size_t out_cap,
			       struct stun_reply *rep);

/* ------------------------------------------------------------------------ */
/* The client                                                                */
/* ------------------------------------------------------------------------ */

struct stun_request_opts {
	bool classic;		/* RFC 3489: 16-byte ID, no cookie */
	bool fingerprint;
	const char *software;	/* NULL: none */
	bool change_request;	/* add CHANGE-REQUEST with change_flags */
	uint32_t change_flags;	/* STUN_CHANGE_IP | STUN_CHANGE_PORT */
	uint16_t response_port;	/* 0: none */
	uint16_t padding;	/* PADDING value length; 0: none */
};

/* Build a Binding Request with transaction ID tid (12 bytes, or 16 when
 * classic: the caller draws it at random).  Returns its length, 0 when it
 * does not fit. */
size_t stun_build_request(uint8_t *out, size_t cap, const uint8_t *tid,
			  const struct stun_request_opts *o);

enum stun_resp_status {
	STUN_RESP_OK = 0,	/* success response with a mapped address */
	STUN_RESP_ERROR,	/* error response: see error_code */
	STUN_RESP_NOT_STUN,	/* not a well-formed STUN message */
	STUN_RESP_BAD_FINGERPRINT,
	STUN_RESP_NOT_RESPONSE,	/* a request or indication, or not Binding */
	STUN_RESP_WRONG_TID,	/* not the transaction we asked for */
	STUN_RESP_NO_ADDRESS,	/* success without a usable mapped address */
	STUN_RESP_UNKNOWN_ATTR,	/* unknown comprehension-required attribute */
	STUN_RESP_BAD_ATTR,	/* malformed address or error attribute */
};
const char *stun_resp_status_name(enum stun_resp_status s);

struct stun_response_info {
	bool classic;
	bool has_xor_mapped, has_mapped, has_origin, has_other, has_fingerprint;
	struct stun_addr mapped;	/* XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS */
	struct stun_addr xor_mapped;
	struct stun_addr plain_mapped;	/* MAPPED-ADDRESS (ALG check, item 100) */
	struct stun_addr origin;	/* RESPONSE-ORIGIN or SOURCE-ADDRESS */
	struct stun_addr other;		/* OTHER-ADDRESS or CHANGED-ADDRESS */
	int error_code;
	const char *reason;		/* into the buffer; not terminated */
	uint16_t reason_len;
	const char *software;		/* into the buffer; not terminated */
	uint16_t software_len;
	uint16_t unknown[STUN_MAX_UNKNOWN];	/* UNKNOWN-ATTRIBUTES of a 420 */
	unsigned int n_unknown;
	bool has_padding;
	uint16_t padding_len;
};

/* Check a response to our transaction tid (12 bytes, or 16 when classic)
 * and extract what it says (conformance item 87). */
enum stun_resp_status stun_parse_response(const uint8_t *buf, size_t len,
					  const uint8_t *tid, bool classic,
					  struct stun_response_info *info);

#ifdef __cplusplus
}
#endif

#endif /* STUNRING_H */
