/*
 * End-to-end digests (protocol.md section 6, `digest`): XXH3's 128-bit
 * hash from libxxhash and SHA-256 from nettle, behind one interface, so
 * the transfer engine hashes bytes as they flow without knowing which.
 */
#ifndef DIGEST_H
#define DIGEST_H

#include <stddef.h>

#include <nettle/sha2.h>

enum digest_alg {
	DIGEST_NONE = 0,
	DIGEST_XXH128,
	DIGEST_SHA256,
};

/* The longest digest in hex: SHA-256's 32 bytes. */
#define DIGEST_HEX_MAX	64

struct digest {
	enum digest_alg alg;
	void *xxh;			/* XXH3_state_t, 64-byte aligned */
	struct sha256_ctx sha;
	int known;			/* digest_known: updates ignored */
	char hex[DIGEST_HEX_MAX + 1];	/* known, or after digest_final */
};

/* The algorithm named name (case-insensitive), or DIGEST_NONE. */
enum digest_alg digest_from_name(const char *name);

/* The wire name of an algorithm: "xxh128", "sha256" ("none" for none). */
const char *digest_name(enum digest_alg alg);

/* Starts a digest.  0, or -1 when memory is short. */
int	digest_init(struct digest *d, enum digest_alg alg);

/*
 * Makes a started digest the one given in hex, already known (a cache's):
 * the bytes added from now on are ignored, and digest_final gives hex.
 */
void	digest_known(struct digest *d, const char *hex);

/* Adds buf[0..len). */
void	digest_update(struct digest *d, const void *buf, size_t len);

/*
 * Writes the digest of everything added, in lowercase hex, into
 * hex[0..DIGEST_HEX_MAX]: XXH3-128 in its canonical (big-endian) form,
 * as xxhsum -H2 prints it; SHA-256 as sha256sum prints it; also kept in
 * d->hex.  The state is used up: only digest_free may follow.
 */
void	digest_final(struct digest *d, char hex[DIGEST_HEX_MAX + 1]);

void	digest_free(struct digest *d);

#endif
