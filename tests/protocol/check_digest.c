/* Digests (protocol/digest.c): the libraries' answers, by known vectors. */
#include <check.h>
#include <string.h>

#include "digest.h"
#include "check_main.h"

static void
expect(enum digest_alg alg, const void *data, size_t len, size_t piece,
    const char *want)
{
	char hex[DIGEST_HEX_MAX + 1];
	struct digest d;
	size_t off, n;

	ck_assert_int_eq(digest_init(&d, alg), 0);
	/* Fed in pieces: the result must not depend on how. */
	for (off = 0; off < len; off += n) {
		n = len - off < piece ? len - off : piece;
		digest_update(&d, (const char *)data + off, n);
	}
	digest_final(&d, hex);
	digest_free(&d);
	ck_assert_str_eq(hex, want);
}

START_TEST(known_vectors)
{
	static char zeros[100000];

	/* As `xxhsum -H2` and `sha256sum` print them. */
	expect(DIGEST_XXH128, "", 0, 1, "99aa06d3014798d86001c324468d497f");
	expect(DIGEST_XXH128, "abc", 3, 1,
	    "06b05ab6733a618578af5f94892f3950");
	expect(DIGEST_XXH128, zeros, sizeof(zeros), 4093,
	    "e1f876364c6fec62315c72a64b7df4d2");
	expect(DIGEST_SHA256, "abc", 3, 2, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	expect(DIGEST_SHA256, "", 0, 1, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(names)
{
	ck_assert_int_eq(digest_from_name("xxh128"), DIGEST_XXH128);
	ck_assert_int_eq(digest_from_name("SHA256"), DIGEST_SHA256);
	ck_assert_int_eq(digest_from_name("md5"), DIGEST_NONE);
	ck_assert_int_eq(digest_from_name("none"), DIGEST_NONE);
	ck_assert_str_eq(digest_name(DIGEST_XXH128), "xxh128");
	ck_assert_str_eq(digest_name(DIGEST_SHA256), "sha256");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("digest");
	TCase *tc = tcase_create("digest");

	tcase_add_test(tc, known_vectors);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}
