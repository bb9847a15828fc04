/* Option negotiation (protocol/options.c), section 6. */
#include <check.h>
#include <string.h>

#include "options.h"
#include "check_main.h"

static uint8_t buf[1024];
static struct pkt p;
static char why[128];

/* Builds an OPT (or OACK) from name/value strings and decodes it. */
static void
make(enum pkt_op op, const struct pkt_opt *pairs, size_t n)
{
	size_t used;
	ssize_t len = pkt_encode_opt(buf, sizeof(buf), op, pairs, n);

	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(pkt_decode(buf, (size_t)len, 512, &p, &used), PKT_OK);
}

static int
from_opt(const char *name, const char *value, struct xfer_opts *o)
{
	struct pkt_opt pair = { name, value };

	make(PKT_OPT, &pair, 1);
	return opts_from_opt(&p, 65464, 65535, o, why, sizeof(why));
}

START_TEST(defaults)
{
	struct xfer_opts o;

	opts_default(&o);
	ck_assert_uint_eq(o.blksize, 512);
	ck_assert_uint_eq(o.windowsize, 1);
	ck_assert_int_eq(o.tsize, 0);
	ck_assert_uint_eq(o.named, 0);
	/* An OPT with no pair: every option back to its default. */
	make(PKT_OPT, NULL, 0);
	ck_assert_int_eq(opts_from_opt(&p, 65464, 65535, &o, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(o.named, 0);
	ck_assert_uint_eq(o.blksize, 512);
}
END_TEST

START_TEST(accepts_and_lowers)
{
	struct pkt_opt pairs[4] = {
		{ "BlkSize", "65464" }, { "WINDOWSIZE", "65535" },
		{ "tsize", "0" }, { "color", "blue!" },
	};
	struct xfer_opts o;

	make(PKT_OPT, pairs, 4);
	ck_assert_int_eq(opts_from_opt(&p, 1024, 16, &o, why, sizeof(why)),
	    0);
	ck_assert_uint_eq(o.named, OPT_BLKSIZE | OPT_WINDOWSIZE | OPT_TSIZE);
	ck_assert_uint_eq(o.blksize, 1024);
	ck_assert_uint_eq(o.windowsize, 16);
	ck_assert_int_eq(o.tsize, 1);
	ck_assert_int_eq(from_opt("blksize", "8", &o), 0);
	ck_assert_uint_eq(o.blksize, 8);
	ck_assert_int_eq(from_opt("windowsize", "1", &o), 0);
	ck_assert_int_eq(from_opt("blksize", "00000000000000000512", &o), 0);
	ck_assert_uint_eq(o.blksize, 512);
}
END_TEST

START_TEST(refuses_bad_values)
{
	static const char *const bad_blksize[] = {
		"7", "65465", "0", "", "+512", " 512", "512 ", "5x",
		"99999999999999999999", "184467440737095516160", "-1",
	};
	struct xfer_opts o;
	size_t i;

	for (i = 0; i < sizeof(bad_blksize) / sizeof(bad_blksize[0]); i++)
		ck_assert_msg(from_opt("blksize", bad_blksize[i], &o) == -1,
		    "blksize \"%s\" accepted", bad_blksize[i]);
	ck_assert_int_eq(from_opt("windowsize", "0", &o), -1);
	ck_assert_int_eq(from_opt("windowsize", "65536", &o), -1);
	ck_assert_int_eq(from_opt("tsize", "1", &o), -1);
	ck_assert_int_eq(from_opt("tsize", "", &o), -1);
	/* An unknown option is left out whatever its value. */
	ck_assert_int_eq(from_opt("frobnicate", "", &o), 0);
	ck_assert_uint_eq(o.named, 0);
}
END_TEST

START_TEST(refuses_a_known_name_twice)
{
	struct pkt_opt twice[2] = { { "blksize", "512" }, { "BLKSIZE", "1024" } };
	struct pkt_opt unknown_twice[2] = { { "x", "1" }, { "x", "2" } };
	struct xfer_opts o;

	make(PKT_OPT, twice, 2);
	ck_assert_int_eq(opts_from_opt(&p, 65464, 65535, &o, why,
	    sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "twice"));
	make(PKT_OPT, unknown_twice, 2);
	ck_assert_int_eq(opts_from_opt(&p, 65464, 65535, &o, why,
	    sizeof(why)), 0);
}
END_TEST

START_TEST(encode_and_read_oack)
{
	struct xfer_opts ask, got, back;
	size_t used;
	ssize_t len;

	opts_default(&ask);
	ask.named = OPT_BLKSIZE | OPT_WINDOWSIZE | OPT_TSIZE;
	ask.blksize = 65464;
	ask.windowsize = 64;
	ask.tsize = 1;
	len = opts_encode(buf, sizeof(buf), PKT_OPT, &ask);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(pkt_decode(buf, (size_t)len, 512, &p, &used),
	    PKT_OK);
	ck_assert_int_eq(opts_from_opt(&p, 1024, 8, &got, why, sizeof(why)),
	    0);
	len = opts_encode(buf, sizeof(buf), PKT_OACK, &got);
	ck_assert_int_eq(pkt_decode(buf, (size_t)len, 512, &p, &used),
	    PKT_OK);
	ck_assert_int_eq(p.op, PKT_OACK);
	ck_assert_int_eq(opts_from_oack(&p, &ask, &back, why, sizeof(why)),
	    0);
	ck_assert_uint_eq(back.blksize, 1024);
	ck_assert_uint_eq(back.windowsize, 8);
	ck_assert_int_eq(back.tsize, 1);
}
END_TEST

START_TEST(client_refuses_bad_oack)
{
	struct pkt_opt raised = { "blksize", "2048" };
	struct pkt_opt unasked = { "windowsize", "4" };
	struct pkt_opt unknown = { "color", "1" };
	struct xfer_opts ask, got;

	opts_default(&ask);
	ask.named = OPT_BLKSIZE;
	ask.blksize = 1024;
	make(PKT_OACK, &raised, 1);
	ck_assert_int_eq(opts_from_oack(&p, &ask, &got, why, sizeof(why)),
	    -1);
	make(PKT_OACK, &unasked, 1);
	ck_assert_int_eq(opts_from_oack(&p, &ask, &got, why, sizeof(why)),
	    -1);
	make(PKT_OACK, &unknown, 1);
	ck_assert_int_eq(opts_from_oack(&p, &ask, &got, why, sizeof(why)),
	    -1);
	/* An empty OACK: the server took none; defaults hold. */
	make(PKT_OACK, NULL, 0);
	ck_assert_int_eq(opts_from_oack(&p, &ask, &got, why, sizeof(why)), 0);
	ck_assert_uint_eq(got.blksize, 512);
}
END_TEST

START_TEST(tsize_announcement)
{
	struct pkt_opt two[2] = { { "tsize", "5" }, { "blksize", "512" } };
	struct pkt_opt word = { "tsize", "five" };
	uint64_t size;
	size_t used;
	ssize_t len;

	len = opts_encode_tsize(buf, sizeof(buf), UINT64_C(5368709120));
	ck_assert_int_eq(pkt_decode(buf, (size_t)len, 512, &p, &used),
	    PKT_OK);
	ck_assert_int_eq(opts_tsize_from_oack(&p, &size), 0);
	ck_assert_uint_eq(size, UINT64_C(5368709120));
	len = opts_encode_tsize(buf, sizeof(buf), 0);
	pkt_decode(buf, (size_t)len, 512, &p, &used);
	ck_assert_int_eq(opts_tsize_from_oack(&p, &size), 0);
	ck_assert_uint_eq(size, 0);
	make(PKT_OACK, two, 2);
	ck_assert_int_eq(opts_tsize_from_oack(&p, &size), -1);
	make(PKT_OACK, &word, 1);
	ck_assert_int_eq(opts_tsize_from_oack(&p, &size), -1);
	make(PKT_OPT, two, 1);
	ck_assert_int_eq(opts_tsize_from_oack(&p, &size), -1);
}
END_TEST

START_TEST(digest_negotiated_by_word)
{
	struct pkt_opt pairs[2];
	struct xfer_opts o, ask, got;
	uint8_t out[600];
	size_t used;
	ssize_t n;

	ck_assert_int_eq(from_opt("digest", "xxh128", &o), 0);
	ck_assert_int_eq(o.digest, DIGEST_XXH128);
	ck_assert_uint_eq(o.named, OPT_DIGEST);
	ck_assert_int_eq(from_opt("DIGEST", "SHA256", &o), 0);
	ck_assert_int_eq(o.digest, DIGEST_SHA256);
	/* One this server lacks is left out of the OACK, not refused. */
	ck_assert_int_eq(from_opt("digest", "md5", &o), 0);
	ck_assert_int_eq(o.digest, DIGEST_NONE);
	ck_assert_uint_eq(o.named, 0);
	ck_assert_int_eq(from_opt("digest", "", &o), 0);
	ck_assert_uint_eq(o.named, 0);
	/* Named twice is ERR 8 even when the first one was unknown. */
	pairs[0] = (struct pkt_opt){ "digest", "md5" };
	pairs[1] = (struct pkt_opt){ "digest", "xxh128" };
	make(PKT_OPT, pairs, 2);
	ck_assert_int_eq(opts_from_opt(&p, 65464, 65535, &o, why,
	    sizeof(why)), -1);
	/* The OACK echoes it; the client takes exactly that echo. */
	ck_assert_int_eq(from_opt("digest", "sha256", &o), 0);
	n = opts_encode(out, sizeof(out), PKT_OACK, &o);
	ck_assert_int_gt(n, 0);
	ck_assert_mem_eq(out, "\0\10digest\0sha256\0\0", 17);
	ck_assert_int_eq(pkt_decode(out, (size_t)n, 512, &p, &used), PKT_OK);
	opts_default(&ask);
	ask.named = OPT_DIGEST;
	ask.digest = DIGEST_SHA256;
	ck_assert_int_eq(opts_from_oack(&p, &ask, &got, why, sizeof(why)), 0);
	ck_assert_int_eq(got.digest, DIGEST_SHA256);
	ask.digest = DIGEST_XXH128;
	ck_assert_int_eq(opts_from_oack(&p, &ask, &got, why, sizeof(why)),
	    -1);
}
END_TEST

START_TEST(offset_range_and_echo)
{
	struct xfer_opts o, ask, got;
	struct pkt_opt pair = { "offset", "1000" };

	ck_assert_int_eq(from_opt("offset", "0", &o), 0);
	ck_assert_uint_eq(o.named, OPT_OFFSET);
	ck_assert_uint_eq(o.offset, 0);
	ck_assert_int_eq(from_opt("offset", "18446744073709551615", &o), 0);
	ck_assert(o.offset == UINT64_MAX);
	ck_assert_int_eq(from_opt("offset", "18446744073709551616", &o), -1);
	ck_assert_int_eq(from_opt("offset", "99999999999999999999", &o), -1);
	ck_assert_int_eq(from_opt("offset", "-1", &o), -1);
	ck_assert_int_eq(from_opt("offset", " 1", &o), -1);
	ck_assert_int_eq(from_opt("offset", "", &o), -1);
	/* The client takes the offset it asked for, and only that. */
	opts_default(&ask);
	ask.named = OPT_OFFSET;
	ask.offset = 1000;
	make(PKT_OACK, &pair, 1);
	ck_assert_int_eq(opts_from_oack(&p, &ask, &got, why, sizeof(why)), 0);
	ck_assert(got.offset == 1000);
	ask.offset = 999;
	ck_assert_int_eq(opts_from_oack(&p, &ask, &got, why, sizeof(why)),
	    -1);
}
END_TEST

START_TEST(pipeline_range_and_lowering)
{
	struct xfer_opts o, ask, got;
	struct pkt_opt lower = { "Pipeline", "16" }, raise = { "pipeline",
	    "65" };
	uint8_t enc[64];
	ssize_t len;

	ck_assert_int_eq(from_opt("PIPELINE", "1", &o), 0);
	ck_assert_uint_eq(o.named, OPT_PIPELINE);
	ck_assert_uint_eq(o.pipeline, 1);
	ck_assert_int_eq(from_opt("pipeline", "65535", &o), 0);
	ck_assert_uint_eq(o.pipeline, 65535);
	ck_assert_int_eq(from_opt("pipeline", "0", &o), -1);
	ck_assert_int_eq(from_opt("pipeline", "65536", &o), -1);
	ck_assert_int_eq(from_opt("pipeline", "x", &o), -1);
	/* Without it, nothing is pipelined. */
	opts_default(&o);
	ck_assert_uint_eq(o.pipeline, 0);
	/* The server may lower it, never raise it; the OACK names it. */
	opts_default(&ask);
	ask.named = OPT_PIPELINE;
	ask.pipeline = 64;
	make(PKT_OACK, &lower, 1);
	ck_assert_int_eq(opts_from_oack(&p, &ask, &got, why, sizeof(why)), 0);
	ck_assert_uint_eq(got.pipeline, 16);
	make(PKT_OACK, &raise, 1);
	ck_assert_int_eq(opts_from_oack(&p, &ask, &got, why, sizeof(why)),
	    -1);
	len = opts_encode(enc, sizeof(enc), PKT_OPT, &ask);
	ck_assert_int_eq(len, 2 + 9 + 3 + 1);	/* and the list's end */
	ck_assert_mem_eq(enc + 2, "pipeline\0" "64\0", 12);
}
END_TEST

START_TEST(file_attributes)
{
	struct pkt_opt both[2] = { { "tsize", "0" }, { "stat", "0" } };
	struct pkt_opt attrs[3] = { { "mode", "420" }, { "tsize", "6" },
	    { "mtime", "1000000000" } };
	struct pkt_opt echo[2] = { { "mtime", "1700000000" },
	    { "mode", "493" } };
	struct xfer_opts o, ask, got;
	struct announce a = { 6, 1, 1000000000, 0644 }, back;
	ssize_t len;
	size_t used;

	/* stat extends the size OACK: accepted only beside tsize. */
	make(PKT_OPT, both, 2);
	ck_assert_int_eq(opts_from_opt(&p, 65464, 65535, &o, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(o.stat, 1);
	ck_assert_uint_eq(o.named, OPT_TSIZE | OPT_STAT);
	ck_assert_int_eq(from_opt("stat", "0", &o), 0);
	ck_assert_int_eq(o.stat, 0);
	ck_assert_uint_eq(o.named, 0);
	ck_assert_int_eq(from_opt("stat", "1", &o), -1);
	/* mode: the permission bits only; mtime: no sign, 63 bits. */
	ck_assert_int_eq(from_opt("mode", "511", &o), 0);
	ck_assert_uint_eq(o.mode, 0777);
	ck_assert_int_eq(from_opt("mode", "512", &o), -1);
	ck_assert_int_eq(from_opt("mode", "2541", &o), -1);	/* 04755 */
	ck_assert_int_eq(from_opt("mtime", "9223372036854775807", &o), 0);
	ck_assert_int_eq(from_opt("mtime", "9223372036854775808", &o), -1);
	ck_assert_int_eq(from_opt("mtime", "-1", &o), -1);
	/* The client: the mtime echoed as asked, the mode the server's. */
	opts_default(&ask);
	ask.named = OPT_MTIME | OPT_MODE;
	ask.mtime = 1700000000;
	ask.mode = 0777;
	make(PKT_OACK, echo, 2);
	ck_assert_int_eq(opts_from_oack(&p, &ask, &got, why, sizeof(why)), 0);
	ck_assert_uint_eq(got.mode, 0755);
	ask.mtime = 1700000001;
	ck_assert_int_eq(opts_from_oack(&p, &ask, &got, why, sizeof(why)),
	    -1);
	/* The announcement, both ways, in any order. */
	len = opts_encode_announce(buf, sizeof(buf), &a);
	ck_assert_int_eq(pkt_decode(buf, (size_t)len, 512, &p, &used),
	    PKT_OK);
	ck_assert_int_eq(opts_announce_from_oack(&p, 1, &back), 0);
	ck_assert_uint_eq(back.size, 6);
	ck_assert_uint_eq(back.mtime, 1000000000);
	ck_assert_uint_eq(back.mode, 0644);
	ck_assert_int_eq(opts_announce_from_oack(&p, 0, &back), -1);
	make(PKT_OACK, attrs, 3);
	ck_assert_int_eq(opts_announce_from_oack(&p, 1, &back), 0);
	ck_assert_uint_eq(back.mode, 0644);
	attrs[0].value = "512";
	make(PKT_OACK, attrs, 3);
	ck_assert_int_eq(opts_announce_from_oack(&p, 1, &back), -1);
	attrs[0].name = "tsize";
	attrs[0].value = "6";
	make(PKT_OACK, attrs, 3);
	ck_assert_int_eq(opts_announce_from_oack(&p, 1, &back), -1);
	make(PKT_OACK, attrs + 1, 1);
	ck_assert_int_eq(opts_announce_from_oack(&p, 1, &back), -1);
}
END_TEST

START_TEST(resume_range_echo_and_held)
{
	struct xfer_opts o, ask, got;
	struct pkt_opt pair = { "Resume", "3000" }, held = { "offset",
	    "2048" }, two[2] = { { "offset", "1" }, { "tsize", "1" } };
	uint64_t n;
	ssize_t len;

	ck_assert_int_eq(from_opt("resume", "0", &o), 0);
	ck_assert_uint_eq(o.named, OPT_RESUME);
	ck_assert_int_eq(from_opt("resume", "18446744073709551615", &o), 0);
	ck_assert(o.resume == UINT64_MAX);
	ck_assert_int_eq(from_opt("resume", "18446744073709551616", &o), -1);
	ck_assert_int_eq(from_opt("resume", "1k", &o), -1);
	ck_assert_int_eq(from_opt("resume", "", &o), -1);
	/* Echoed exactly, or the client refuses the OACK. */
	opts_default(&ask);
	ask.named = OPT_RESUME;
	ask.resume = 3000;
	make(PKT_OACK, &pair, 1);
	ck_assert_int_eq(opts_from_oack(&p, &ask, &got, why, sizeof(why)), 0);
	ck_assert(got.resume == 3000 && (got.named & OPT_RESUME));
	ask.resume = 3001;
	ck_assert_int_eq(opts_from_oack(&p, &ask, &got, why, sizeof(why)),
	    -1);
	/* The WRQ's answer: offset alone, at most the size. */
	make(PKT_OACK, &held, 1);
	ck_assert_int_eq(opts_held_from_oack(&p, 3000, &n), 0);
	ck_assert(n == 2048);
	ck_assert_int_eq(opts_held_from_oack(&p, 2048, &n), 0);
	ck_assert_int_eq(opts_held_from_oack(&p, 2047, &n), -1);
	make(PKT_OACK, two, 2);
	ck_assert_int_eq(opts_held_from_oack(&p, 3000, &n), -1);
	len = opts_encode_held(buf, sizeof(buf), 2048);
	ck_assert_int_eq(len, 15);
	ck_assert_mem_eq(buf, "\0\10offset\0002048\0\0", 15);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("negotiation");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, accepts_and_lowers);
	tcase_add_test(tc, refuses_bad_values);
	tcase_add_test(tc, refuses_a_known_name_twice);
	tcase_add_test(tc, encode_and_read_oack);
	tcase_add_test(tc, client_refuses_bad_oack);
	tcase_add_test(tc, tsize_announcement);
	tcase_add_test(tc, digest_negotiated_by_word);
	tcase_add_test(tc, offset_range_and_echo);
	tcase_add_test(tc, pipeline_range_and_lowering);
	tcase_add_test(tc, file_attributes);
	tcase_add_test(tc, resume_range_echo_and_held);
	suite_add_tcase(s, tc);
	return s;
}
