/* The codec (protocol/packet.c): round trips and every malformed input. */
#include <check.h>
#include <string.h>

#include "packet.h"
#include "check_main.h"

static uint8_t buf[PKT_MAX_LEN + 64];
static struct pkt p;
static size_t used;

static enum pkt_status
decode(const void *bytes, size_t len, size_t max_data)
{
	memcpy(buf, bytes, len);
	return pkt_decode(buf, len, max_data, &p, &used);
}

START_TEST(rrq_wrq_drq_round_trip)
{
	static const enum pkt_op ops[] = { PKT_RRQ, PKT_WRQ, PKT_DRQ };
	ssize_t n;
	size_t i;

	for (i = 0; i < 3; i++) {
		n = pkt_encode_req(buf, sizeof(buf), ops[i], "dir/file.txt");
		ck_assert_int_eq(n, 2 + 12 + 1);
		ck_assert_int_eq(pkt_decode(buf, (size_t)n, 512, &p, &used),
		    PKT_OK);
		ck_assert_uint_eq(used, (size_t)n);
		ck_assert_int_eq(p.op, ops[i]);
		ck_assert_str_eq(p.u.req.path, "dir/file.txt");
		ck_assert_uint_eq(p.u.req.len, 12);
	}
	/* An empty path is well formed (a DRQ of the root). */
	n = pkt_encode_req(buf, sizeof(buf), PKT_DRQ, "");
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(pkt_decode(buf, 3, 512, &p, &used), PKT_OK);
	ck_assert_uint_eq(p.u.req.len, 0);
	/* Not a request opcode; too small a buffer. */
	ck_assert_int_eq(pkt_encode_req(buf, sizeof(buf), PKT_ACK, "x"), -1);
	ck_assert_int_eq(pkt_encode_req(buf, 4, PKT_RRQ, "abc"), -1);
}
END_TEST

START_TEST(dat_round_trip)
{
	static const size_t sizes[] = { 0, 1, 511, 512 };
	uint8_t data[512];
	ssize_t n;
	size_t i;

	memset(data, 0xa5, sizeof(data));
	for (i = 0; i < 4; i++) {
		n = pkt_encode_dat(buf, sizeof(buf), 65535, data, sizes[i]);
		ck_assert_int_eq(n, (ssize_t)(6 + sizes[i]));
		ck_assert_int_eq(pkt_decode(buf, (size_t)n, 512, &p, &used),
		    PKT_OK);
		ck_assert_int_eq(p.op, PKT_DAT);
		ck_assert_uint_eq(p.u.dat.block, 65535);
		ck_assert_uint_eq(p.u.dat.size, sizes[i]);
		ck_assert_mem_eq(p.u.dat.data, data, sizes[i]);
		ck_assert_uint_eq(used, (size_t)n);
	}
	ck_assert_int_eq(pkt_encode_dat(buf, 10, 1, data, 5), -1);
	ck_assert_int_eq(pkt_encode_dat(buf, sizeof(buf), 1, data,
	    BLKSIZE_MAX + 1), -1);
}
END_TEST

START_TEST(dat_size_boundaries)
{
	uint8_t data[BLKSIZE_MAX];
	ssize_t n;

	memset(data, 1, sizeof(data));
	/* 511 and 512 fit a 512 block; 513 is over it, at the header. */
	n = pkt_encode_dat(buf, sizeof(buf), 1, data, 511);
	ck_assert_int_eq(pkt_decode(buf, (size_t)n, 512, &p, &used), PKT_OK);
	n = pkt_encode_dat(buf, sizeof(buf), 1, data, 512);
	ck_assert_int_eq(pkt_decode(buf, (size_t)n, 512, &p, &used), PKT_OK);
	n = pkt_encode_dat(buf, sizeof(buf), 1, data, 513);
	ck_assert_int_eq(pkt_decode(buf, (size_t)n, 512, &p, &used),
	    PKT_DATA_TOO_LONG);
	ck_assert_int_eq(pkt_decode(buf, 6, 512, &p, &used),
	    PKT_DATA_TOO_LONG);
	/* The largest block size. */
	n = pkt_encode_dat(buf, sizeof(buf), 2, data, BLKSIZE_MAX);
	ck_assert_int_eq(pkt_decode(buf, (size_t)n, BLKSIZE_MAX, &p, &used),
	    PKT_OK);
	ck_assert_int_eq(pkt_decode(buf, (size_t)n, BLKSIZE_MAX - 1, &p,
	    &used), PKT_DATA_TOO_LONG);
	/* A DAT whose data has not all arrived needs more. */
	ck_assert_int_eq(pkt_decode(buf, (size_t)n - 1, BLKSIZE_MAX, &p,
	    &used), PKT_INCOMPLETE);
	ck_assert_int_eq(pkt_status_errcode(PKT_DATA_TOO_LONG), ERR_ILLEGAL);
}
END_TEST

START_TEST(ack_round_trip)
{
	ck_assert_int_eq(pkt_encode_ack(buf, sizeof(buf), 0), 4);
	ck_assert_int_eq(pkt_decode(buf, 4, 512, &p, &used), PKT_OK);
	ck_assert_int_eq(p.op, PKT_ACK);
	ck_assert_uint_eq(p.u.ack.block, 0);
	ck_assert_int_eq(pkt_encode_ack(buf, sizeof(buf), 0x1234), 4);
	ck_assert_mem_eq(buf, "\0\4\x12\x34", 4);
	ck_assert_int_eq(pkt_encode_ack(buf, 3, 1), -1);
}
END_TEST

START_TEST(err_round_trip_and_limits)
{
	char msg[600];
	ssize_t n;

	n = pkt_encode_err(buf, sizeof(buf), ERR_NOT_FOUND, "File not found");
	ck_assert_int_eq(n, 4 + 14 + 1);
	ck_assert_int_eq(pkt_decode(buf, (size_t)n, 512, &p, &used), PKT_OK);
	ck_assert_uint_eq(p.u.err.code, 1);
	ck_assert_str_eq(p.u.err.msg, "File not found");

	/* 511 bytes is the longest message; encode cuts a longer one. */
	memset(msg, 'm', sizeof(msg));
	msg[511] = '\0';
	n = pkt_encode_err(buf, sizeof(buf), 0, msg);
	ck_assert_int_eq(n, 4 + 511 + 1);
	ck_assert_int_eq(pkt_decode(buf, (size_t)n, 512, &p, &used), PKT_OK);
	msg[511] = 'm';
	msg[599] = '\0';
	ck_assert_int_eq(pkt_encode_err(buf, sizeof(buf), 0, msg), 516);

	/* 512 bytes without an EOS: malformed, not a reason to wait. */
	buf[0] = 0;
	buf[1] = PKT_ERR;
	buf[2] = 0;
	buf[3] = 0;
	memset(buf + 4, 'm', 512);
	ck_assert_int_eq(pkt_decode(buf, 4 + 512, 512, &p, &used),
	    PKT_MSG_TOO_LONG);
	ck_assert_int_eq(pkt_decode(buf, 4 + 511, 512, &p, &used),
	    PKT_INCOMPLETE);
}
END_TEST

START_TEST(path_length_boundaries)
{
	/* 1024 bytes of path is the longest; 1025 is malformed. */
	buf[0] = 0;
	buf[1] = PKT_RRQ;
	memset(buf + 2, 'a', 1025);
	buf[2 + 1024] = '\0';
	ck_assert_int_eq(pkt_decode(buf, 2 + 1025, 512, &p, &used), PKT_OK);
	ck_assert_uint_eq(p.u.req.len, 1024);
	buf[2 + 1024] = 'a';
	ck_assert_int_eq(pkt_decode(buf, 2 + 1025, 512, &p, &used),
	    PKT_PATH_TOO_LONG);
	ck_assert_int_eq(pkt_decode(buf, 2 + 1024, 512, &p, &used),
	    PKT_INCOMPLETE);
	ck_assert_int_eq(pkt_status_errcode(PKT_PATH_TOO_LONG), ERR_ILLEGAL);
	ck_assert_int_eq(pkt_encode_req(buf, sizeof(buf), PKT_RRQ,
	    (const char *)memset(buf + 2000, 'b', 1025)), -1);
}
END_TEST

/*
 * Every opcode, 0 to 11, at lengths 0 to 4, with no EOS anywhere.  Each
 * answer is fixed by section 2: need more, or malformed right away.
 */
START_TEST(every_opcode_lengths_0_to_4)
{
	uint8_t bytes[4];
	unsigned op;
	size_t len;
	enum pkt_status st, want;

	for (op = 0; op <= 14; op++) {
		bytes[0] = 0;
		bytes[1] = (uint8_t)op;
		bytes[2] = 'x';
		bytes[3] = 'y';
		for (len = 0; len <= 4; len++) {
			st = decode(bytes, len, 512);
			if (len < 2)
				want = PKT_INCOMPLETE;
			else if (op == 0 || op > 13)
				want = PKT_BAD_OPCODE;
			else if (op > 10)
				want = PKT_EXT_OPCODE;
			else if (op == PKT_ACK && len == 4)
				want = PKT_OK;
			else
				want = PKT_INCOMPLETE;
			ck_assert_msg(st == want, "opcode %u length %zu: %d, "
			    "wanted %d", op, len, st, want);
		}
	}
	/* An opcode's high byte counts: 0x0101 is no opcode. */
	ck_assert_int_eq(decode("\1\1", 2, 512), PKT_BAD_OPCODE);
	ck_assert_int_eq(decode("\xff\xff", 2, 512), PKT_BAD_OPCODE);
}
END_TEST

START_TEST(decode_stops_at_the_packet)
{
	/* Two packets back to back: the first is cut exactly. */
	ssize_t a = pkt_encode_ack(buf, sizeof(buf), 7);
	ssize_t b = pkt_encode_req(buf + a, sizeof(buf) - (size_t)a, PKT_RRQ,
	    "f");

	ck_assert_int_eq(pkt_decode(buf, (size_t)(a + b), 512, &p, &used),
	    PKT_OK);
	ck_assert_uint_eq(used, 4);
	ck_assert_int_eq(pkt_decode(buf + used, (size_t)b, 512, &p, &used),
	    PKT_OK);
	ck_assert_str_eq(p.u.req.path, "f");
}
END_TEST

START_TEST(opt_round_trip)
{
	struct pkt_opt in[3] = {
		{ "blksize", "1428" }, { "windowsize", "8" }, { "tsize", "0" },
	};
	ssize_t n;
	size_t i;

	n = pkt_encode_opt(buf, sizeof(buf), PKT_OPT, in, 3);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(pkt_decode(buf, (size_t)n, 512, &p, &used), PKT_OK);
	ck_assert_int_eq(p.op, PKT_OPT);
	ck_assert_uint_eq(used, (size_t)n);
	ck_assert_uint_eq(p.u.opt.count, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_str_eq(p.u.opt.opts[i].name, in[i].name);
		ck_assert_str_eq(p.u.opt.opts[i].value, in[i].value);
	}
	/* No pair at all: well formed, and an OACK likewise. */
	n = pkt_encode_opt(buf, sizeof(buf), PKT_OACK, NULL, 0);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(pkt_decode(buf, 3, 512, &p, &used), PKT_OK);
	ck_assert_int_eq(p.op, PKT_OACK);
	ck_assert_uint_eq(p.u.opt.count, 0);
	/* Wrong opcode, empty name, non-printable value: refused. */
	ck_assert_int_eq(pkt_encode_opt(buf, sizeof(buf), PKT_RRQ, in, 1), -1);
	in[0].name = "";
	ck_assert_int_eq(pkt_encode_opt(buf, sizeof(buf), PKT_OPT, in, 1), -1);
	in[0].name = "a";
	in[0].value = "\t";
	ck_assert_int_eq(pkt_encode_opt(buf, sizeof(buf), PKT_OPT, in, 1), -1);
}
END_TEST

START_TEST(opt_body_limit)
{
	size_t i;

	/* A 512-byte body, every EOS included, is the largest. */
	buf[0] = 0;
	buf[1] = PKT_OPT;
	for (i = 0; i < 511; i++)
		buf[2 + i] = 'n';
	buf[2 + 509] = '\0';		/* name of 509 bytes */
	buf[2 + 510] = '\0';		/* empty value */
	buf[2 + 511] = '\0';		/* the closing empty name */
	ck_assert_int_eq(pkt_decode(buf, 2 + 512, 512, &p, &used), PKT_OK);
	ck_assert_uint_eq(used, 514);
	/* One byte more, and it has not ended within 512. */
	buf[2 + 509] = 'n';
	buf[2 + 510] = '\0';
	buf[2 + 511] = '\0';
	buf[2 + 512] = '\0';
	ck_assert_int_eq(pkt_decode(buf, 2 + 513, 512, &p, &used),
	    PKT_OPT_TOO_LONG);
	ck_assert_int_eq(pkt_status_errcode(PKT_OPT_TOO_LONG), ERR_OPTIONS);
	/* Unterminated but short: more may come. */
	ck_assert_int_eq(decode("\0\7blksize\0" "512", 13, 512),
	    PKT_INCOMPLETE);
	ck_assert_int_eq(decode("\0\7blksize\0" "512", 14, 512),
	    PKT_INCOMPLETE);
	ck_assert_int_eq(decode("\0\7blksize\0" "512\0", 15, 512),
	    PKT_OK);
}
END_TEST

START_TEST(opt_not_printable)
{
	ck_assert_int_eq(decode("\0\7bl\x01ksize\0" "8\0\0", 15, 512),
	    PKT_OPT_NOT_PRINTABLE);
	ck_assert_int_eq(decode("\0\7blksize\0" "8\x7f\0\0", 14, 512),
	    PKT_OPT_NOT_PRINTABLE);
	ck_assert_int_eq(decode("\0\7x\0\x80\0\0", 7, 512),
	    PKT_OPT_NOT_PRINTABLE);
	ck_assert_int_eq(pkt_status_errcode(PKT_OPT_NOT_PRINTABLE),
	    ERR_OPTIONS);
}
END_TEST

START_TEST(printable_and_names)
{
	ck_assert_int_eq(pkt_printable(" ~", 2), 1);
	ck_assert_int_eq(pkt_printable("\x1f", 1), 0);
	ck_assert_int_eq(pkt_printable("\x7f", 1), 0);
	ck_assert_int_eq(pkt_printable("\xc3\xa9", 2), 0);
	ck_assert_str_eq(pkt_op_name(PKT_OACK), "OACK");
	ck_assert_str_eq(pkt_op_name(0), "unknown");
	ck_assert_str_eq(pkt_op_name(9), "MKD");
	ck_assert_str_eq(pkt_op_name(10), "SUM");
	ck_assert_str_eq(pkt_op_name(13), "RNM");
	ck_assert_str_eq(pkt_op_name(14), "unknown");
	ck_assert_str_eq(pkt_status_str(PKT_BAD_OPCODE), "unknown opcode");
}
END_TEST

START_TEST(mkd_round_trip)
{
	ssize_t n;

	n = pkt_encode_req(buf, sizeof(buf), PKT_MKD, "new/dir");
	ck_assert_int_eq(n, 2 + 7 + 1);
	ck_assert_mem_eq(buf, "\0\11new/dir\0", 10);
	ck_assert_int_eq(pkt_decode(buf, (size_t)n, 512, &p, &used), PKT_OK);
	ck_assert_int_eq(p.op, PKT_MKD);
	ck_assert_str_eq(p.u.req.path, "new/dir");
	ck_assert_uint_eq(used, 10);
	ck_assert_int_eq(pkt_is_path_request(PKT_MKD), 1);
	ck_assert_int_eq(pkt_is_path_request(PKT_SUM), 0);
}
END_TEST

START_TEST(sum_round_trip_and_limits)
{
	char big[600];
	ssize_t n;

	n = pkt_encode_sum(buf, sizeof(buf), "xxh128", "00ff");
	ck_assert_int_eq(n, 2 + 7 + 5);
	ck_assert_mem_eq(buf, "\0\12xxh128\0" "00ff\0", 14);
	ck_assert_int_eq(pkt_decode(buf, (size_t)n, 512, &p, &used), PKT_OK);
	ck_assert_int_eq(p.op, PKT_SUM);
	ck_assert_str_eq(p.u.sum.alg, "xxh128");
	ck_assert_str_eq(p.u.sum.digest, "00ff");
	ck_assert_uint_eq(used, 14);
	/* Every prefix is incomplete, never malformed. */
	for (size_t len = 2; len < (size_t)n; len++)
		ck_assert_int_eq(pkt_decode(buf, len, 512, &p, &used),
		    PKT_INCOMPLETE);
	/* The body, both EOS included, is at most 512 bytes. */
	memset(big, 'a', sizeof(big));
	big[509] = '\0';		/* "x" EOS + 509 + EOS = 512 */
	ck_assert_int_gt(pkt_encode_sum(buf, sizeof(buf), "x", big), 0);
	big[509] = 'a';
	big[510] = '\0';
	ck_assert_int_eq(pkt_encode_sum(buf, sizeof(buf), "x", big), -1);
	buf[0] = 0;
	buf[1] = PKT_SUM;
	memset(buf + 2, 'a', 600);
	ck_assert_int_eq(pkt_decode(buf, 2 + 511, 512, &p, &used),
	    PKT_INCOMPLETE);
	ck_assert_int_eq(pkt_decode(buf, 2 + 512, 512, &p, &used),
	    PKT_SUM_TOO_LONG);
	ck_assert_int_eq(decode("\0\12a\0\1\0", 6, 512),
	    PKT_SUM_NOT_PRINTABLE);
	ck_assert_int_eq(pkt_status_errcode(PKT_SUM_TOO_LONG), ERR_ILLEGAL);
	ck_assert_int_eq(pkt_status_errcode(PKT_SUM_NOT_PRINTABLE),
	    ERR_ILLEGAL);
	ck_assert_int_eq(pkt_encode_sum(buf, sizeof(buf), "x\n", "00"), -1);
}
END_TEST

/* Users' requests (docs/protocol.md, "Delete and rename"). */
START_TEST(del_rmd_round_trip)
{
	static const enum pkt_op ops[] = { PKT_DEL, PKT_RMD };
	ssize_t n;
	size_t i;

	for (i = 0; i < 2; i++) {
		n = pkt_encode_req(buf, sizeof(buf), ops[i], "a/b");
		ck_assert_int_eq(n, 2 + 3 + 1);
		ck_assert_mem_eq(buf, i == 0 ? "\0\13a/b\0" : "\0\14a/b\0",
		    6);
		/* Unknown where the extension is not in force... */
		ck_assert_int_eq(pkt_decode(buf, (size_t)n, 512, &p, &used),
		    PKT_EXT_OPCODE);
		ck_assert_int_eq(pkt_decode(buf, 2, 512, &p, &used),
		    PKT_EXT_OPCODE);
		ck_assert_int_eq(pkt_status_errcode(PKT_EXT_OPCODE),
		    ERR_ILLEGAL);
		/* ...a request like any other where it is. */
		ck_assert_int_eq(pkt_decode_ext(buf, (size_t)n, 512,
		    PKT_EXT_USERS, &p, &used), PKT_OK);
		ck_assert_int_eq(p.op, ops[i]);
		ck_assert_str_eq(p.u.req.path, "a/b");
		ck_assert_uint_eq(p.u.req.len, 3);
		ck_assert_ptr_null(p.u.req.to);
		ck_assert_uint_eq(used, 6);
		ck_assert_int_eq(pkt_decode_ext(buf, 5, 512, PKT_EXT_USERS,
		    &p, &used), PKT_INCOMPLETE);
		ck_assert_int_eq(pkt_is_path_request(ops[i]), 1);
		ck_assert_int_eq(pkt_is_request(ops[i]), 1);
	}
	ck_assert_str_eq(pkt_op_name(PKT_DEL), "DEL");
	ck_assert_str_eq(pkt_op_name(PKT_RMD), "RMD");
}
END_TEST

START_TEST(rnm_round_trip_and_limits)
{
	char from[PATH_LEN_MAX + 2], to[PATH_LEN_MAX + 2];
	ssize_t n;

	n = pkt_encode_rnm(buf, sizeof(buf), "old", "d/new");
	ck_assert_int_eq(n, 2 + 4 + 6);
	ck_assert_mem_eq(buf, "\0\15old\0d/new\0", 12);
	ck_assert_int_eq(pkt_decode(buf, (size_t)n, 512, &p, &used),
	    PKT_EXT_OPCODE);
	ck_assert_int_eq(pkt_decode_ext(buf, (size_t)n, 512, PKT_EXT_USERS,
	    &p, &used), PKT_OK);
	ck_assert_int_eq(p.op, PKT_RNM);
	ck_assert_str_eq(p.u.req.path, "old");
	ck_assert_uint_eq(p.u.req.len, 3);
	ck_assert_str_eq(p.u.req.to, "d/new");
	ck_assert_uint_eq(p.u.req.tolen, 5);
	ck_assert_uint_eq(used, 12);
	ck_assert_int_eq(pkt_is_path_request(PKT_RNM), 0);
	ck_assert_int_eq(pkt_is_request(PKT_RNM), 1);
	ck_assert_int_eq(pkt_is_request(PKT_SUM), 0);
	/* Every prefix is incomplete, the one after the first EOS too. */
	for (size_t len = 2; len < (size_t)n; len++)
		ck_assert_int_eq(pkt_decode_ext(buf, len, 512, PKT_EXT_USERS,
		    &p, &used), PKT_INCOMPLETE);
	/* Empty names are well formed here; the server judges them. */
	n = pkt_encode_rnm(buf, sizeof(buf), "", "");
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(pkt_decode_ext(buf, 4, 512, PKT_EXT_USERS, &p,
	    &used), PKT_OK);
	/* Each path at most 1024 bytes: 2 + 1025 + 1025 in all. */
	memset(from, 'f', sizeof(from));
	memset(to, 't', sizeof(to));
	from[PATH_LEN_MAX] = to[PATH_LEN_MAX] = '\0';
	n = pkt_encode_rnm(buf, sizeof(buf), from, to);
	ck_assert_int_eq(n, 2 + 2 * (PATH_LEN_MAX + 1));
	ck_assert_int_eq(pkt_decode_ext(buf, (size_t)n, 512, PKT_EXT_USERS,
	    &p, &used), PKT_OK);
	ck_assert_uint_eq(p.u.req.tolen, PATH_LEN_MAX);
	ck_assert_int_eq(pkt_encode_rnm(buf, (size_t)n - 1, from, to), -1);
	/* The second path not ended within its 1025 bytes. */
	buf[n - 1] = 't';
	ck_assert_int_eq(pkt_decode_ext(buf, (size_t)n, 512, PKT_EXT_USERS,
	    &p, &used), PKT_PATH_TOO_LONG);
	ck_assert_int_eq(pkt_decode_ext(buf, (size_t)n - 1, 512,
	    PKT_EXT_USERS, &p, &used), PKT_INCOMPLETE);
	from[PATH_LEN_MAX] = 'f';
	from[PATH_LEN_MAX + 1] = '\0';
	ck_assert_int_eq(pkt_encode_rnm(buf, sizeof(buf), from, "x"), -1);
	ck_assert_int_eq(pkt_encode_rnm(buf, sizeof(buf), "x", from), -1);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("packet");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, rrq_wrq_drq_round_trip);
	tcase_add_test(tc, dat_round_trip);
	tcase_add_test(tc, dat_size_boundaries);
	tcase_add_test(tc, ack_round_trip);
	tcase_add_test(tc, err_round_trip_and_limits);
	tcase_add_test(tc, path_length_boundaries);
	tcase_add_test(tc, every_opcode_lengths_0_to_4);
	tcase_add_test(tc, decode_stops_at_the_packet);
	tcase_add_test(tc, opt_round_trip);
	tcase_add_test(tc, opt_body_limit);
	tcase_add_test(tc, opt_not_printable);
	tcase_add_test(tc, printable_and_names);
	tcase_add_test(tc, mkd_round_trip);
	tcase_add_test(tc, sum_round_trip_and_limits);
	tcase_add_test(tc, del_rmd_round_trip);
	tcase_add_test(tc, rnm_round_trip_and_limits);
	suite_add_tcase(s, tc);
	return s;
}
