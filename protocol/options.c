/*
 * Option negotiation (protocol.md section 6).  One table describes the
 * options; both the server's reading of OPT and the client's reading of
 * OACK walk it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proto_limits.h"
#include "options.h"

/*
 * A numeric option's range; `digest` alone takes a word (section 6), and
 * has no range.
 */
struct opt_def {
	const char *name;
	unsigned bit;
	uint64_t min, max;
};

static const struct opt_def opt_defs[] = {
	{ "blksize", OPT_BLKSIZE, BLKSIZE_MIN, BLKSIZE_MAX },
	{ "windowsize", OPT_WINDOWSIZE, WINDOWSIZE_MIN, WINDOWSIZE_MAX },
	{ "tsize", OPT_TSIZE, 0, 0 },
	{ "digest", OPT_DIGEST, 0, 0 },
	{ "offset", OPT_OFFSET, 0, UINT64_MAX },
	{ "pipeline", OPT_PIPELINE, PIPELINE_MIN, PIPELINE_MAX },
	/* File attributes: stat asks like tsize, the others are values. */
	{ "stat", OPT_STAT, 0, 0 },
	{ "mtime", OPT_MTIME, 0, INT64_MAX },
	{ "mode", OPT_MODE, 0, OPT_MODE_MAX },
	{ "resume", OPT_RESUME, 0, UINT64_MAX },
};
#define NOPT_DEFS (sizeof(opt_defs) / sizeof(opt_defs[0]))

static const struct opt_def *opt_lookup(const char *);
static int	parse_value(const char *, uint64_t *);
static void	opt_set(struct xfer_opts *, unsigned, uint64_t);
static uint64_t	opt_get(const struct xfer_opts *, unsigned);

void
opts_default(struct xfer_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->blksize = BLKSIZE_DEFAULT;
	o->windowsize = WINDOWSIZE_DEFAULT;
	o->digest = DIGEST_NONE;
}

static const struct opt_def *
opt_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < NOPT_DEFS; i++)
		if (strcasecmp(name, opt_defs[i].name) == 0)
			return &opt_defs[i];
	return NULL;
}

/*
 * A value is 1 to 20 decimal digits, no sign, no space, at most
 * UINT64_MAX (offset's maximum); a larger one is refused here.
 */
static int
parse_value(const char *s, uint64_t *v)
{
	size_t i, len = strlen(s);
	unsigned d;

	if (len == 0 || len > OPT_VALUE_DIGITS_MAX)
		return -1;
	*v = 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (*v > (UINT64_MAX - d) / 10)
			return -1;
		*v = *v * 10 + d;
	}
	return 0;
}

/* For OPT_DIGEST, v is an enum digest_alg. */
static void
opt_set(struct xfer_opts *o, unsigned bit, uint64_t v)
{
	o->named |= bit;
	switch (bit) {
	case OPT_BLKSIZE:
		o->blksize = (uint16_t)v;
		break;
	case OPT_WINDOWSIZE:
		o->windowsize = (uint16_t)v;
		break;
	case OPT_TSIZE:
		o->tsize = 1;
		break;
	case OPT_DIGEST:
		o->digest = (enum digest_alg)v;
		break;
	case OPT_OFFSET:
		o->offset = v;
		break;
	case OPT_PIPELINE:
		o->pipeline = (uint16_t)v;
		break;
	case OPT_STAT:
		o->stat = 1;
		break;
	case OPT_MTIME:
		o->mtime = v;
		break;
	case OPT_MODE:
		o->mode = (unsigned)v;
		break;
	case OPT_RESUME:
		o->resume = v;
		break;
	}
}

static uint64_t
opt_get(const struct xfer_opts *o, unsigned bit)
{
	switch (bit) {
	case OPT_BLKSIZE:
		return o->blksize;
	case OPT_WINDOWSIZE:
		return o->windowsize;
	case OPT_DIGEST:
		return o->digest;
	case OPT_OFFSET:
		return o->offset;
	case OPT_PIPELINE:
		return o->pipeline;
	case OPT_MTIME:
		return o->mtime;
	case OPT_MODE:
		return o->mode;
	case OPT_RESUME:
		return o->resume;
	default:
		return 0;
	}
}

int
opts_from_opt(const struct pkt *p, uint16_t blksize_max,
    uint16_t windowsize_max, struct xfer_opts *out, char *why, size_t whylen)
{
	const struct opt_def *d;
	const char *value;
	unsigned seen = 0;
	uint64_t v;
	size_t i;

	opts_default(out);
	for (i = 0; i < p->u.opt.count; i++) {
		d = opt_lookup(p->u.opt.opts[i].name);
		if (d == NULL)
			continue;	/* unknown: left out, whatever its value */
		if (seen & d->bit) {
			snprintf(why, whylen, "option %s given twice", d->name);
			return -1;
		}
		seen |= d->bit;
		value = p->u.opt.opts[i].value;
		if (d->bit == OPT_DIGEST) {
			/* An algorithm we lack is left out, not refused. */
			if ((v = digest_from_name(value)) != DIGEST_NONE)
				opt_set(out, d->bit, v);
			continue;
		}
		if (parse_value(value, &v) == -1 || v < d->min || v > d->max) {
			snprintf(why, whylen, "bad value for option %s",
			    d->name);
			return -1;
		}
		if (d->bit == OPT_BLKSIZE && v > blksize_max)
			v = blksize_max;
		if (d->bit == OPT_WINDOWSIZE && v > windowsize_max)
			v = windowsize_max;
		opt_set(out, d->bit, v);
	}
	/* stat extends the size OACK: without tsize there is none. */
	if ((out->named & OPT_STAT) && !(out->named & OPT_TSIZE)) {
		out->named &= ~OPT_STAT;
		out->stat = 0;
	}
	return 0;
}

int
opts_from_oack(const struct pkt *p, const struct xfer_opts *asked,
    struct xfer_opts *out, char *why, size_t whylen)
{
	const struct opt_def *d;
	const char *value;
	uint64_t v, min, max;
	size_t i;
	int ok;

	opts_default(out);
	for (i = 0; i < p->u.opt.count; i++) {
		d = opt_lookup(p->u.opt.opts[i].name);
		value = p->u.opt.opts[i].value;
		if (d == NULL || !(asked->named & d->bit)) {
			snprintf(why, whylen, "server accepted option %s, "
			    "which was not asked for", p->u.opt.opts[i].name);
			return -1;
		}
		if (out->named & d->bit) {
			snprintf(why, whylen, "server named option %s twice",
			    d->name);
			return -1;
		}
		/*
		 * Lowered, never raised; a digest, offset or mtime only
		 * echoed; a mode is the server's to choose (its limits).
		 */
		min = d->min;
		max = d->max;
		if (d->bit == OPT_BLKSIZE || d->bit == OPT_WINDOWSIZE ||
		    d->bit == OPT_PIPELINE)
			max = opt_get(asked, d->bit);
		else if (d->bit == OPT_OFFSET || d->bit == OPT_MTIME ||
		    d->bit == OPT_RESUME)
			min = max = opt_get(asked, d->bit);
		if (d->bit == OPT_DIGEST) {
			v = asked->digest;
			ok = digest_from_name(value) == asked->digest;
		} else
			ok = parse_value(value, &v) == 0 && v >= min &&
			    v <= max;
		if (!ok) {
			snprintf(why, whylen, "server gave a bad value for "
			    "option %s", d->name);
			return -1;
		}
		opt_set(out, d->bit, v);
	}
	return 0;
}

ssize_t
opts_encode(uint8_t *buf, size_t size, enum pkt_op op,
    const struct xfer_opts *o)
{
	char values[NOPT_DEFS][OPT_VALUE_DIGITS_MAX + 1];
	struct pkt_opt pairs[NOPT_DEFS];
	size_t i, n = 0;

	for (i = 0; i < NOPT_DEFS; i++) {
		if (!(o->named & opt_defs[i].bit))
			continue;
		if (opt_defs[i].bit == OPT_DIGEST)
			strlcpy(values[n], digest_name(o->digest),
			    sizeof(values[n]));
		else
			snprintf(values[n], sizeof(values[n]), "%" PRIu64,
			    opt_get(o, opt_defs[i].bit));
		pairs[n].name = opt_defs[i].name;
		pairs[n].value = values[n];
		n++;
	}
	return pkt_encode_opt(buf, size, op, pairs, n);
}

/* An OACK of one numeric option. */
static ssize_t
encode_single(uint8_t *buf, size_t size, const char *name, uint64_t v)
{
	char value[OPT_VALUE_DIGITS_MAX + 1];
	struct pkt_opt pair;

	pair.name = name;
	pair.value = value;
	snprintf(value, sizeof(value), "%" PRIu64, v);
	return pkt_encode_opt(buf, size, PKT_OACK, &pair, 1);
}

ssize_t
opts_encode_tsize(uint8_t *buf, size_t size, uint64_t bytes)
{
	struct announce a = { bytes, 0, 0, 0 };

	return opts_encode_announce(buf, size, &a);
}

ssize_t
opts_encode_announce(uint8_t *buf, size_t size, const struct announce *a)
{
	char values[3][OPT_VALUE_DIGITS_MAX + 1];
	struct pkt_opt pairs[3] = {
		{ "tsize", values[0] }, { "mtime", values[1] },
		{ "mode", values[2] },
	};

	snprintf(values[0], sizeof(values[0]), "%" PRIu64, a->size);
	snprintf(values[1], sizeof(values[1]), "%" PRIu64, a->mtime);
	snprintf(values[2], sizeof(values[2]), "%u", a->mode);
	return pkt_encode_opt(buf, size, PKT_OACK, pairs, a->attrs ? 3 : 1);
}

int
opts_announce_from_oack(const struct pkt *p, int attrs, struct announce *a)
{
	const struct opt_def *d;
	unsigned seen = 0;
	uint64_t v;
	size_t i;

	memset(a, 0, sizeof(*a));
	if (p->op != PKT_OACK || p->u.opt.count != (attrs ? 3 : 1))
		return -1;
	for (i = 0; i < p->u.opt.count; i++) {
		d = opt_lookup(p->u.opt.opts[i].name);
		if (d == NULL || (seen & d->bit) ||
		    parse_value(p->u.opt.opts[i].value, &v) == -1)
			return -1;
		seen |= d->bit;
		if (d->bit == OPT_TSIZE && v < UINT64_MAX)
			a->size = v;
		else if (d->bit == OPT_MTIME && attrs && v <= d->max)
			a->mtime = v;
		else if (d->bit == OPT_MODE && attrs && v <= d->max)
			a->mode = (unsigned)v;
		else
			return -1;
	}
	a->attrs = attrs;
	return 0;
}

ssize_t
opts_encode_held(uint8_t *buf, size_t size, uint64_t held)
{
	return encode_single(buf, size, "offset", held);
}

/* An OACK of exactly one option, name, with a valid value. */
static int
single_from_oack(const struct pkt *p, const char *name, uint64_t *v)
{
	if (p->op != PKT_OACK || p->u.opt.count != 1 ||
	    strcasecmp(p->u.opt.opts[0].name, name) != 0 ||
	    parse_value(p->u.opt.opts[0].value, v) == -1)
		return -1;
	return 0;
}

int
opts_tsize_from_oack(const struct pkt *p, uint64_t *bytes)
{
	struct announce a;

	if (opts_announce_from_oack(p, 0, &a) == -1)
		return -1;
	*bytes = a.size;
	return 0;
}

int
opts_held_from_oack(const struct pkt *p, uint64_t size, uint64_t *held)
{
	if (single_from_oack(p, "offset", held) == -1 || *held > size)
		return -1;
	return 0;
}
