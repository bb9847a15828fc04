/*
 * Every limit of the protocol and of this implementation, in one place.
 * protocol.md sections are cited beside each wire limit; the rest are our
 * own choices, documented in docs/protocol.md.
 */
#ifndef PROTO_LIMITS_H
#define PROTO_LIMITS_H

/* Section 2: lengths not counting the EOS. */
#define PATH_LEN_MAX		1024
#define COMPONENT_LEN_MAX	255
#define ERRMSG_LEN_MAX		511
#define OPT_BODY_MAX		512	/* OPT/OACK after the opcode, EOS included */
#define SUM_BODY_MAX		512	/* SUM after the opcode, EOS included */
#define GREETING_LEN_MAX	512	/* section 3 */

/* Section 6: negotiable values. */
#define BLKSIZE_DEFAULT		512
#define BLKSIZE_MIN		8
#define BLKSIZE_MAX		65464
#define WINDOWSIZE_DEFAULT	1
#define WINDOWSIZE_MIN		1
#define WINDOWSIZE_MAX		65535
/* pipeline (protocol.md, "Pipelining"): requests outstanding at once */
#define PIPELINE_MIN		1
#define PIPELINE_MAX		65535
#define OPT_VALUE_DIGITS_MAX	20

/* Packet header sizes. */
#define PKT_OPCODE_LEN		2
#define PKT_DAT_HDR_LEN		6	/* opcode, block, size */
#define PKT_ACK_LEN		4
#define PKT_ERR_HDR_LEN		4	/* opcode, code */

/* The longest packet of any kind: a DAT of the largest block size. */
#define PKT_MAX_LEN		(PKT_DAT_HDR_LEN + BLKSIZE_MAX)

/* Section 8 and interface.md: the idle timeout. */
#define TIMEOUT_DEFAULT		60
#define TIMEOUT_MAX		86400

/*
 * The PROXY protocol's headers (server/proxy.c, docs/protocol.md): v1 is
 * at most 107 bytes with its CRLF (HAProxy's proxy-protocol.txt); v2 is a
 * 16-byte head and a body whose length it states, which we cap: the
 * addresses take 36 bytes at most, and HAProxy's TLVs a few hundred.
 */
#define PROXY_V1_LEN_MAX	107
#define PROXY_V2_HEAD_LEN	16
#define PROXY_V2_BODY_MAX	1024

#endif
