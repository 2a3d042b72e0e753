/* SPDX-License-Identifier: MIT */
/*
 * stun_wire.h - STUN wire constants, shared by the codec (src/) and the XDP
 * program (bpf/).  Only macros: it must compile both for the host and for
 * clang -target bpf, with no libc.
 *
 * Numbers come from RFC 8489 section 5 and 18, RFC 5780 section 9 and
 * RFC 3489 section 11 (see ../shared/stun-spec/conformance.md, section Q).
 */
#ifndef STUN_WIRE_H
#define STUN_WIRE_H

#define STUN_HDR_LEN		20
#define STUN_ATTR_HDR_LEN	4
#define STUN_MAGIC_COOKIE	0x2112A442u
#define STUN_TID_LEN		12	/* RFC 8489 transaction ID */
#define STUN_CLASSIC_TID_LEN	16	/* RFC 3489: the cookie bytes are ID too */
#define STUN_FINGERPRINT_XOR	0x5354554Eu
#define STUN_DEFAULT_PORT	3478

/* Message types: method Binding (0x001) in each of the four classes. */
#define STUN_METHOD_BINDING		0x001
#define STUN_BINDING_REQUEST		0x0001
#define STUN_BINDING_INDICATION		0x0011
#define STUN_BINDING_SUCCESS		0x0101
#define STUN_BINDING_ERROR		0x0111

#define STUN_CLASS_REQUEST		0
#define STUN_CLASS_INDICATION		1
#define STUN_CLASS_SUCCESS		2
#define STUN_CLASS_ERROR		3

/* Comprehension-required attributes (0x0000-0x7FFF). */
#define STUN_ATTR_MAPPED_ADDRESS	0x0001
#define STUN_ATTR_RESPONSE_ADDRESS	0x0002	/* RFC 3489 only, never honoured */
#define STUN_ATTR_CHANGE_REQUEST	0x0003
#define STUN_ATTR_SOURCE_ADDRESS	0x0004	/* RFC 3489 */
#define STUN_ATTR_CHANGED_ADDRESS	0x0005	/* RFC 3489 */
#define STUN_ATTR_USERNAME		0x0006
#define STUN_ATTR_PASSWORD		0x0007	/* RFC 3489 only */
#define STUN_ATTR_MESSAGE_INTEGRITY	0x0008
#define STUN_ATTR_ERROR_CODE		0x0009
#define STUN_ATTR_UNKNOWN_ATTRIBUTES	0x000A
#define STUN_ATTR_REFLECTED_FROM	0x000B	/* RFC 3489 only */
#define STUN_ATTR_REALM			0x0014
#define STUN_ATTR_NONCE			0x0015
#define STUN_ATTR_MESSAGE_INTEGRITY_SHA256 0x001C
#define STUN_ATTR_PASSWORD_ALGORITHM	0x001D
#define STUN_ATTR_USERHASH		0x001E
#define STUN_ATTR_XOR_MAPPED_ADDRESS	0x0020
#define STUN_ATTR_PRIORITY		0x0024	/* ICE */
#define STUN_ATTR_USE_CANDIDATE		0x0025	/* ICE */
#define STUN_ATTR_PADDING		0x0026
#define STUN_ATTR_RESPONSE_PORT		0x0027

/* Comprehension-optional attributes (0x8000-0xFFFF). */
#define STUN_ATTR_OPTIONAL_MIN		0x8000
#define STUN_ATTR_SOFTWARE		0x8022
#define STUN_ATTR_ALTERNATE_SERVER	0x8023
#define STUN_ATTR_FINGERPRINT		0x8028
#define STUN_ATTR_ICE_CONTROLLED	0x8029
#define STUN_ATTR_ICE_CONTROLLING	0x802A
#define STUN_ATTR_RESPONSE_ORIGIN	0x802B
#define STUN_ATTR_OTHER_ADDRESS		0x802C

/* Address attribute families (RFC 8489 section 14.1). */
#define STUN_FAMILY_IPV4		0x01
#define STUN_FAMILY_IPV6		0x02
#define STUN_ADDR_V4_VALUE_LEN		8
#define STUN_ADDR_V6_VALUE_LEN		20

/* CHANGE-REQUEST flags (RFC 5780 section 7.2). */
#define STUN_CHANGE_IP			0x4
#define STUN_CHANGE_PORT		0x2

#define STUN_FINGERPRINT_ATTR_LEN	8	/* header + CRC */
#define STUN_SOFTWARE_MAX		128	/* bytes we accept to send */

/* Sizes of the basic-mode success response (conformance.md, project policy). */
#define STUN_BASIC_RESP_V4_LEN		32
#define STUN_BASIC_RESP_V6_LEN		44

#endif /* STUN_WIRE_H */
