/*
 * The PROXY header decoder (server/proxy.c): v1 and v2, whole, cut at
 * every length, malformed and over-long; and proxy_want never reaching
 * past a header's end.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "proxy.h"
#include "check_main.h"

static const uint8_t sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* A v2 header: cmd, fam, body of blen bytes (addresses first). */
static size_t
v2(uint8_t *buf, uint8_t cmd, uint8_t fam, const uint8_t *body, size_t blen)
{
	memcpy(buf, sig, 12);
	buf[12] = cmd;
	buf[13] = fam;
	buf[14] = (uint8_t)(blen >> 8);
	buf[15] = (uint8_t)blen;
	if (body != NULL)
		memcpy(buf + 16, body, blen);
	else
		memset(buf + 16, 0, blen);
	return 16 + blen;
}

static enum proxy_status
parse_str(const char *s, struct proxy_hdr *h)
{
	return proxy_parse((const uint8_t *)s, strlen(s), h);
}

/* Every proper prefix of a valid header is PROXY_MORE. */
static void
prefixes_need_more(const uint8_t *buf, size_t len)
{
	struct proxy_hdr h;
	size_t i;

	for (i = 0; i < len; i++)
		ck_assert_msg(proxy_parse(buf, i, &h) == PROXY_MORE,
		    "prefix of %zu bytes: %d (%s)", i,
		    proxy_parse(buf, i, &h), h.why ? h.why : "");
}

/*
 * Read as the child reads: proxy_want bytes when it says, else up to and
 * including a LF; the header must end exactly where it does.
 */
static void
reads_exactly(const uint8_t *buf, size_t total, size_t hdrlen)
{
	struct proxy_hdr h;
	size_t have = 0, want, k;

	while (proxy_parse(buf, have, &h) == PROXY_MORE) {
		want = proxy_want(buf, have);
		if (want == 0) {
			for (k = have; k < total && buf[k] != '\n'; k++)
				;
			want = k < total ? k + 1 - have : total - have;
		}
		ck_assert_uint_le(have + want, hdrlen);
		have += want;
	}
	ck_assert_int_eq(proxy_parse(buf, have, &h), PROXY_OK);
	ck_assert_uint_eq(have, hdrlen);
	ck_assert_uint_eq(h.len, hdrlen);
}

START_TEST(v1_tcp4)
{
	const char *s = "PROXY TCP4 127.0.0.2 127.0.0.1 40000 10000\r\n";
	struct sockaddr_in *a;
	struct proxy_hdr h;
	char more[128];

	ck_assert_int_eq(parse_str(s, &h), PROXY_OK);
	ck_assert_int_eq(h.version, 1);
	ck_assert_uint_eq(h.len, strlen(s));
	ck_assert_int_eq(h.has_addr, 1);
	ck_assert_int_eq(h.local, 0);
	a = (struct sockaddr_in *)&h.src;
	ck_assert_int_eq(a->sin_family, AF_INET);
	ck_assert_uint_eq(ntohl(a->sin_addr.s_addr), 0x7f000002);
	ck_assert_uint_eq(ntohs(a->sin_port), 40000);
	prefixes_need_more((const uint8_t *)s, strlen(s));
	/* What follows the header is not the header's. */
	memcpy(more, s, strlen(s));
	memcpy(more + strlen(s), "\x00\x04\x00\x01", 4);
	ck_assert_int_eq(proxy_parse((const uint8_t *)more, strlen(s) + 4,
	    &h), PROXY_OK);
	ck_assert_uint_eq(h.len, strlen(s));
	reads_exactly((const uint8_t *)more, strlen(s) + 4, strlen(s));
}
END_TEST

START_TEST(v1_tcp6_and_unknown)
{
	const char *s = "PROXY TCP6 ::1 ::1 65535 0\r\n";
	struct sockaddr_in6 *a;
	struct proxy_hdr h;

	ck_assert_int_eq(parse_str(s, &h), PROXY_OK);
	a = (struct sockaddr_in6 *)&h.src;
	ck_assert_int_eq(a->sin6_family, AF_INET6);
	ck_assert(IN6_IS_ADDR_LOOPBACK(&a->sin6_addr));
	ck_assert_uint_eq(ntohs(a->sin6_port), 65535);
	ck_assert_int_eq(parse_str("PROXY UNKNOWN\r\n", &h), PROXY_OK);
	ck_assert_int_eq(h.has_addr, 0);
	ck_assert_int_eq(h.local, 0);
	ck_assert_int_eq(parse_str("PROXY UNKNOWN ffff::1 ::1 1 2\r\n", &h),
	    PROXY_OK);
	ck_assert_int_eq(h.has_addr, 0);
}
END_TEST

START_TEST(v1_longest)
{
	/* The specification's worst case: 107 bytes with the CRLF. */
	char s[200];
	struct proxy_hdr h;
	size_t n;

	n = (size_t)snprintf(s, sizeof(s), "PROXY UNKNOWN ");
	memset(s + n, 'x', 107 - 2 - n);
	memcpy(s + 105, "\r\n", 3);
	ck_assert_uint_eq(strlen(s), 107);
	ck_assert_int_eq(parse_str(s, &h), PROXY_OK);
	ck_assert_uint_eq(h.len, 107);
	/* One byte more, and no CRLF within 107: refused at 107 bytes. */
	memset(s + n, 'x', 108 - 2 - n);
	memcpy(s + 106, "\r\n", 3);
	ck_assert_int_eq(parse_str(s, &h), PROXY_BAD);
	ck_assert_int_eq(proxy_parse((uint8_t *)s, 106, &h), PROXY_MORE);
	ck_assert_int_eq(proxy_parse((uint8_t *)s, 107, &h), PROXY_BAD);
}
END_TEST

START_TEST(v1_malformed)
{
	static const char *const bads[] = {
		"GET / HTTP/1.0\r\n",
		"proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
		"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
		"PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",
		"PROXY TCP4 1.2.3.456 5.6.7.8 1 2\r\n",
		"PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
		"PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX\n",
		"PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n",
		"PROXY \r\n",
		"PROXY\r\n",
	};
	struct proxy_hdr h;
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		ck_assert_msg(parse_str(bads[i], &h) == PROXY_BAD, "%s",
		    bads[i]);
		ck_assert_ptr_nonnull(h.why);
	}
	/* Refused as soon as the bytes cannot begin a header. */
	ck_assert_int_eq(proxy_parse((const uint8_t *)"PX", 2, &h),
	    PROXY_BAD);
	ck_assert_int_eq(proxy_parse((const uint8_t *)"\x00\x01", 2, &h),
	    PROXY_BAD);
	ck_assert_int_eq(proxy_parse((const uint8_t *)"PROXY TCP4\x01", 11,
	    &h), PROXY_BAD);
}
END_TEST

START_TEST(v2_tcp4_tcp6_local)
{
	uint8_t buf[PROXY_LEN_MAX + 8], body[64];
	struct sockaddr_in *a4;
	struct sockaddr_in6 *a6;
	struct proxy_hdr h;
	size_t n;

	/* 127.0.0.3:5000 -> 127.0.0.1:10000, then a TLV of 5 bytes. */
	memset(body, 0, sizeof(body));
	memcpy(body, "\x7f\x00\x00\x03\x7f\x00\x00\x01\x13\x88\x27\x10", 12);
	memcpy(body + 12, "\x04\x00\x02xy", 5);
	n = v2(buf, 0x21, 0x11, body, 17);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_OK);
	ck_assert_int_eq(h.version, 2);
	ck_assert_uint_eq(h.len, 33);
	ck_assert_int_eq(h.has_addr, 1);
	a4 = (struct sockaddr_in *)&h.src;
	ck_assert_int_eq(a4->sin_family, AF_INET);
	ck_assert_uint_eq(ntohl(a4->sin_addr.s_addr), 0x7f000003);
	ck_assert_uint_eq(ntohs(a4->sin_port), 5000);
	prefixes_need_more(buf, n);
	memcpy(buf + n, "\x00\x04\x00\x01", 4);
	reads_exactly(buf, n + 4, n);

	memset(body, 0, sizeof(body));
	body[15] = 1;			/* ::1 */
	body[32] = 0x01;		/* port 256 */
	n = v2(buf, 0x21, 0x21, body, 36);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_OK);
	a6 = (struct sockaddr_in6 *)&h.src;
	ck_assert_int_eq(a6->sin6_family, AF_INET6);
	ck_assert(IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr));
	ck_assert_uint_eq(ntohs(a6->sin6_port), 256);
	reads_exactly(buf, n, n);

	/* LOCAL: a health check; whatever family and body it carries. */
	n = v2(buf, 0x20, 0x00, NULL, 0);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_OK);
	ck_assert_int_eq(h.local, 1);
	ck_assert_int_eq(h.has_addr, 0);
	ck_assert_uint_eq(h.len, 16);
	n = v2(buf, 0x20, 0x11, body, 12);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_OK);
	ck_assert_int_eq(h.local, 1);
	ck_assert_int_eq(h.has_addr, 0);
	/* PROXY of family UNSPEC: served with the socket's address. */
	n = v2(buf, 0x21, 0x00, NULL, 0);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_OK);
	ck_assert_int_eq(h.local, 0);
	ck_assert_int_eq(h.has_addr, 0);
}
END_TEST

START_TEST(v2_malformed_and_overlong)
{
	uint8_t buf[PROXY_LEN_MAX + 64];
	struct proxy_hdr h;
	size_t n;

	/* A wrong signature byte, anywhere in it. */
	for (n = 0; n < 12; n++) {
		v2(buf, 0x21, 0x11, NULL, 12);
		buf[n] ^= 0x40;
		ck_assert_msg(proxy_parse(buf, 28, &h) == PROXY_BAD,
		    "byte %zu", n);
	}
	v2(buf, 0x11, 0x11, NULL, 12);		/* version 1 in v2 */
	ck_assert_int_eq(proxy_parse(buf, 13, &h), PROXY_BAD);
	v2(buf, 0x22, 0x11, NULL, 12);		/* command 2 */
	ck_assert_int_eq(proxy_parse(buf, 13, &h), PROXY_BAD);
	v2(buf, 0x21, 0x12, NULL, 12);		/* UDP */
	ck_assert_int_eq(proxy_parse(buf, 16, &h), PROXY_BAD);
	v2(buf, 0x21, 0x31, NULL, 216);		/* unix stream */
	ck_assert_int_eq(proxy_parse(buf, 16, &h), PROXY_BAD);
	v2(buf, 0x21, 0x11, NULL, 11);		/* too short for TCP4 */
	ck_assert_int_eq(proxy_parse(buf, 16, &h), PROXY_BAD);
	v2(buf, 0x21, 0x21, NULL, 35);		/* too short for TCP6 */
	ck_assert_int_eq(proxy_parse(buf, 16, &h), PROXY_BAD);
	/* The longest body we take, and one byte more: refused at 16. */
	n = v2(buf, 0x21, 0x11, NULL, PROXY_V2_BODY_MAX);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_OK);
	ck_assert_uint_eq(h.len, PROXY_LEN_MAX);
	ck_assert_int_eq(proxy_parse(buf, n - 1, &h), PROXY_MORE);
	v2(buf, 0x21, 0x11, NULL, PROXY_V2_BODY_MAX + 1);
	ck_assert_int_eq(proxy_parse(buf, 16, &h), PROXY_BAD);
	ck_assert_uint_eq(proxy_want(buf, 16), 0);
	buf[14] = buf[15] = 0xff;
	ck_assert_int_eq(proxy_parse(buf, 16, &h), PROXY_BAD);
}
END_TEST

START_TEST(truncated_is_more)
{
	uint8_t buf[64] = { 0 };
	struct proxy_hdr h;
	size_t n;

	ck_assert_int_eq(proxy_parse(buf, 0, &h), PROXY_MORE);
	n = v2(buf, 0x21, 0x11, NULL, 12);
	ck_assert_int_eq(proxy_parse(buf, n - 1, &h), PROXY_MORE);
	ck_assert_uint_eq(proxy_want(buf, n - 1), 1);
	ck_assert_uint_eq(proxy_want(buf, 3), 13);
	ck_assert_uint_eq(proxy_want(buf, n), 0);
	ck_assert_uint_eq(proxy_want((const uint8_t *)"\r\n", 2), 0);
	ck_assert_int_eq(parse_str("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r", &h),
	    PROXY_MORE);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("headers");

	tcase_add_test(tc, v1_tcp4);
	tcase_add_test(tc, v1_tcp6_and_unknown);
	tcase_add_test(tc, v1_longest);
	tcase_add_test(tc, v1_malformed);
	tcase_add_test(tc, v2_tcp4_tcp6_local);
	tcase_add_test(tc, v2_malformed_and_overlong);
	tcase_add_test(tc, truncated_is_more);
	suite_add_tcase(s, tc);
	return s;
}
