/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The dirty store of one domain (see dirty.h): a tree of bit chunks keyed
 * by granule >> 12, and the reader that turns dirty granules into a
 * caller's bitmap through a window of DIRTY_WINDOW bytes, so that a read
 * costs one bounded buffer whatever the range.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/inject.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "iommufd/dirty.h"

#define CHUNK_SHIFT	12	/* log2(DIRTY_CHUNK_GRANULES) */
#define DIRTY_WINDOW	16384	/* bitmap bytes gathered per read/write */

static int
dirty_chunk_cmp(const struct dirty_chunk *a, const struct dirty_chunk *b)
{
	return (a->index < b->index ? -1 : a->index > b->index);
}

RB_GENERATE_STATIC(dirty_tree, dirty_chunk, entry, dirty_chunk_cmp)

void
dirty_init(struct dirty *d, uint64_t granule)
{
	memset(d, 0, sizeof(*d));
	RB_INIT(&d->chunks);
	d->shift = __builtin_ctzll(granule);
}

void
dirty_fini(struct dirty *d)
{
	struct dirty_chunk	*c, *next;

	RB_FOREACH_SAFE(c, dirty_tree, &d->chunks, next) {
		RB_REMOVE(dirty_tree, &d->chunks, c);
		free(c);
	}
	d->nchunks = 0;
}

int
dirty_new(uint64_t granule, struct dirty **dp)
{
	if ((*dp = inject_malloc(sizeof(**dp))) == NULL)
		return (-ENOMEM);
	dirty_init(*dp, granule);
	return (0);
}

void
dirty_free(struct dirty *d)
{
	if (d == NULL)
		return;
	dirty_fini(d);
	free(d);
}

/*
 * The granules [*g0, *g1) that [iova, iova + len) touches (set) or lies
 * wholly over (inner), clipped to the 64-bit space. False if none.
 */
static int
dirty_granules(const struct dirty *d, uint64_t iova, uint64_t len, int inner,
    uint64_t *g0, uint64_t *g1)
{
	uint64_t	 last, mask = (1ULL << d->shift) - 1;

	if (len == 0)
		return (0);
	last = u64_range_overflows(iova, len) ? UINT64_MAX : iova + (len - 1);
	if (inner) {
		*g0 = (iova >> d->shift) + ((iova & mask) != 0);
		/* last + 1 in granules, without wrapping at the top. */
		*g1 = (last >> d->shift) + ((last & mask) == mask);
	} else {
		*g0 = iova >> d->shift;
		*g1 = (last >> d->shift) + 1;
	}
	return (*g0 < *g1);
}

static struct dirty_chunk *
dirty_chunk_find(struct dirty *d, uint64_t index)
{
	struct dirty_chunk	 key;

	key.index = index;
	return (RB_FIND(dirty_tree, &d->chunks, &key));
}

/* The first chunk with an index >= index, or NULL. */
static struct dirty_chunk *
dirty_chunk_from(struct dirty *d, uint64_t index)
{
	struct dirty_chunk	 key;

	key.index = index;
	return (RB_NFIND(dirty_tree, &d->chunks, &key));
}

int
dirty_prepare(struct dirty *d, uint64_t iova, uint64_t len)
{
	struct dirty_chunk	*c;
	uint64_t		 g0, g1, i;

	if (!dirty_granules(d, iova, len, 0, &g0, &g1))
		return (0);
	for (i = g0 >> CHUNK_SHIFT; i <= (g1 - 1) >> CHUNK_SHIFT; i++) {
		if (dirty_chunk_find(d, i) != NULL)
			continue;
		if ((c = inject_calloc(1, sizeof(*c))) == NULL)
			return (-ENOMEM);
		c->index = i;
		RB_INSERT(dirty_tree, &d->chunks, c);
		d->nchunks++;
	}
	return (0);
}

/* Bits [b0, b1) of one 64-bit word, b0 < b1 <= 64. */
static inline uint64_t
dirty_mask(unsigned int b0, unsigned int b1)
{
	uint64_t	 hi = b1 == 64 ? ~0ULL : (1ULL << b1) - 1;

	return (hi & ~((1ULL << b0) - 1));
}

/* Set or clear granules [g0, g1) of chunk c, which holds them all. */
static void
dirty_chunk_change(struct dirty_chunk *c, uint64_t g0, uint64_t g1, int set)
{
	uint64_t	 base = c->index << CHUNK_SHIFT, m, old;
	unsigned int	 b0 = g0 - base, b1 = g1 - base, w, e;

	while (b0 < b1) {
		w = b0 / 64;
		e = MIN(b1, (w + 1) * 64);
		m = dirty_mask(b0 % 64, e - w * 64);
		old = c->bits[w];
		if (set) {
			c->bits[w] |= m;
			c->nset += __builtin_popcountll(m & ~old);
		} else {
			c->bits[w] &= ~m;
			c->nset -= __builtin_popcountll(m & old);
		}
		b0 = e;
	}
}

int
dirty_set(struct dirty *d, uint64_t iova, uint64_t len)
{
	struct dirty_chunk	*c;
	uint64_t		 g0, g1, end;
	int			 rc;

	if (!dirty_granules(d, iova, len, 0, &g0, &g1))
		return (0);
	if ((rc = dirty_prepare(d, iova, len)) != 0)
		return (rc);
	while (g0 < g1) {
		c = dirty_chunk_find(d, g0 >> CHUNK_SHIFT);
		end = MIN(g1, ((g0 >> CHUNK_SHIFT) + 1) << CHUNK_SHIFT);
		/* The top chunk's end wraps to 0. */
		if (end == 0 || end > g1)
			end = g1;
		dirty_chunk_change(c, g0, end, 1);
		g0 = end;
	}
	return (0);
}

void
dirty_clear(struct dirty *d, uint64_t iova, uint64_t len)
{
	struct dirty_chunk	*c, *next;
	uint64_t		 g0, g1, base, end;

	if (!dirty_granules(d, iova, len, 1, &g0, &g1))
		return;
	for (c = dirty_chunk_from(d, g0 >> CHUNK_SHIFT); c != NULL; c = next) {
		next = RB_NEXT(dirty_tree, &d->chunks, c);
		base = c->index << CHUNK_SHIFT;
		if (base >= g1)
			break;
		end = base + DIRTY_CHUNK_GRANULES;
		if (end == 0 || end > g1)
			end = g1;
		/* A chunk wholly inside goes without looking at its bits. */
		if (g0 <= base && end == base + DIRTY_CHUNK_GRANULES)
			c->nset = 0;
		else if (c->nset != 0)
			dirty_chunk_change(c, MAX(g0, base), end, 0);
		if (c->nset == 0) {
			RB_REMOVE(dirty_tree, &d->chunks, c);
			free(c);
			d->nchunks--;
		}
	}
}

uint64_t
dirty_count(struct dirty *d, uint64_t iova, uint64_t len)
{
	struct dirty_chunk	*c;
	uint64_t		 g0, g1, base, end, n = 0, b0, b1, w, e;

	if (!dirty_granules(d, iova, len, 1, &g0, &g1))
		return (0);
	for (c = dirty_chunk_from(d, g0 >> CHUNK_SHIFT); c != NULL;
	    c = RB_NEXT(dirty_tree, &d->chunks, c)) {
		base = c->index << CHUNK_SHIFT;
		if (base >= g1)
			break;
		end = base + DIRTY_CHUNK_GRANULES;
		if (end == 0 || end > g1)
			end = g1;
		if (g0 <= base && end - base == DIRTY_CHUNK_GRANULES) {
			n += c->nset;
			continue;
		}
		for (b0 = MAX(g0, base) - base, b1 = end - base; b0 < b1;
		    b0 = e) {
			w = b0 / 64;
			e = MIN(b1, (w + 1) * 64);
			n += __builtin_popcountll(c->bits[w] &
			    dirty_mask(b0 % 64, e - w * 64));
		}
	}
	return (n);
}

void
dirty_iopte_fit(uint64_t pgsizes, uint64_t limit, uint64_t first,
    uint64_t last, uint64_t delta, uint64_t iova, uint64_t *start,
    uint64_t *len)
{
	uint64_t	 sz, s;
	int		 b;

	for (b = 63; b >= 0; b--) {
		sz = 1ULL << b;
		if ((pgsizes & sz) == 0 || sz > limit || (delta & (sz - 1)))
			continue;
		s = ALIGN_DOWN(iova, sz);
		if (s < first || s + (sz - 1) > last || s + (sz - 1) < s)
			continue;
		*start = s;
		*len = sz;
		return;
	}
	sz = pgsizes & -pgsizes;
	if (sz == 0)
		sz = 1;
	*start = ALIGN_DOWN(iova, sz);
	*len = sz;
}

uint64_t
dirty_total(struct dirty *d)
{
	struct dirty_chunk	*c;
	uint64_t		 n = 0;

	RB_FOREACH(c, dirty_tree, &d->chunks)
		n += c->nset;
	return (n);
}

/*
 * The caller's bitmap seen through a window: bits are ORed into acc,
 * which stands for bytes [base, base + DIRTY_WINDOW) of the bitmap; the
 * bytes touched, [lo, hi) relative to base, are merged into the caller's
 * on flush (read, OR, write). Bits arrive in increasing order, so each
 * byte of the bitmap is flushed at most once. The buffers are allocated
 * at the first dirty bit: a clean range costs no allocation.
 *
 * The bitmap's bit i is bit i % 8 of byte i / 8, the kernel's layout on
 * the little-endian hosts the daemon serves (the kernel sets bits in
 * native longs).
 */
struct dirty_win {
	struct ucmd	*ucmd;
	uint64_t	 data;		/* the caller's bitmap */
	uint64_t	 base;		/* byte offset of acc[0] */
	size_t		 lo, hi;	/* touched bytes of acc */
	uint8_t		*acc;		/* DIRTY_WINDOW + 16 bytes: whole
					   words are ORed in past the last
					   byte a bit lands in (zeros) */
	uint8_t		*tmp;		/* DIRTY_WINDOW bytes */
};

static int
dirty_win_flush(struct dirty_win *w)
{
	uint64_t x, y;
	size_t	 i, n = w->hi - w->lo;
	int	 rc;

	if (n == 0)
		return (0);
	if ((rc = ucmd_read(w->ucmd, w->data + w->base + w->lo, w->tmp,
	    n)) != 0)
		return (rc);
	/* OR is bytewise, so whole words do, whatever the byte order. */
	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&x, w->tmp + i, 8);
		memcpy(&y, w->acc + w->lo + i, 8);
		x |= y;
		memcpy(w->tmp + i, &x, 8);
	}
	for (; i < n; i++)
		w->tmp[i] |= w->acc[w->lo + i];
	if ((rc = ucmd_write(w->ucmd, w->data + w->base + w->lo, w->tmp,
	    n)) != 0)
		return (rc);
	memset(w->acc + w->lo, 0, n);
	w->lo = w->hi = 0;
	return (0);
}

/*
 * Make the window hold bitmap bytes [first, first + n), n <= DIRTY_WINDOW,
 * flushing and moving it if they are not all inside, and count them as
 * touched: 0, -EFAULT, -ENOMEM. first never goes below an earlier one.
 */
static int
dirty_win_reach(struct dirty_win *w, uint64_t first, size_t n)
{
	int	 rc;

	if (w->acc == NULL) {
		w->acc = inject_calloc(1, 2 * DIRTY_WINDOW + 16);
		if (w->acc == NULL)
			return (-ENOMEM);
		w->tmp = w->acc + DIRTY_WINDOW + 16;
		w->base = first;
	} else if (first < w->base || first + n > w->base + DIRTY_WINDOW) {
		if ((rc = dirty_win_flush(w)) != 0)
			return (rc);
		w->base = first;
	}
	if (w->hi == 0)
		w->lo = first - w->base;
	w->hi = MAX(w->hi, first - w->base + n);
	return (0);
}

/* Set bits [b0, b1) of the caller's bitmap, b0 < b1. */
static int
dirty_win_set(struct dirty_win *w, uint64_t b0, uint64_t b1)
{
	uint64_t	 lastb;
	size_t		 s, e;
	int		 rc;

	while (b0 < b1) {
		if ((rc = dirty_win_reach(w, b0 / 8, 1)) != 0)
			return (rc);
		/* The bits of this call that fall in the window. */
		lastb = MIN(b1, (w->base + DIRTY_WINDOW) * 8);
		s = b0 - w->base * 8;
		e = lastb - w->base * 8;
		w->hi = MAX(w->hi, (e + 7) / 8);
		/* Head byte, whole bytes, tail byte. */
		while (s < e && (s % 8) != 0)
			w->acc[s / 8] |= 1u << (s % 8), s++;
		if (e - s >= 8) {
			memset(w->acc + s / 8, 0xff, (e - s) / 8);
			s += (e - s) / 8 * 8;
		}
		while (s < e)
			w->acc[s / 8] |= 1u << (s % 8), s++;
		b0 = lastb;
	}
	return (0);
}

/* OR v << sh into the 8 bytes at p, and what shifts out into p[8]. */
static inline void
dirty_or64(uint8_t *p, uint64_t v, unsigned int sh)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t	 x;

	memcpy(&x, p, 8);
	x |= v << sh;
	memcpy(p, &x, 8);
#else
	unsigned int	 i;

	for (i = 0; i < 8; i++)
		p[i] |= (uint8_t)(v << sh >> (8 * i));
#endif
	if (sh != 0)
		p[8] |= (uint8_t)(v >> (64 - sh));
}

/*
 * The words of chunk c inside granules [g0, g1) when page_size is the
 * granule: bit j of word i is granule base + 64 i + j, bitmap bit
 * base + 64 i + j - g0, so every word lands whole at one byte and shift
 * and the chunk's 512 bytes are reached in the window once.
 */
static int
dirty_read_chunk(struct dirty_win *w, const struct dirty_chunk *c,
    uint64_t g0, uint64_t g1)
{
	uint64_t	 base = c->index << CHUNK_SHIFT, g, bits, b, e;
	unsigned int	 i, i1;
	uint8_t		*p;
	int		 rc;

	i = base < g0 ? (g0 - base) / 64 : 0;
	i1 = MIN(DIRTY_CHUNK_WORDS, DIV_ROUND_UP(g1 - base, 64));
	/* A first word that starts before g0: its bits from g0 on. */
	if (base + i * 64 < g0) {
		g = base + i * 64;
		bits = c->bits[i] >> (g0 - g);
		if (g1 - g < 64)
			bits &= (1ULL << (g1 - g0)) - 1;
		if (bits != 0) {
			/* Bitmap bits [0, 64 - (g0 - g)): the window's start. */
			if ((rc = dirty_win_reach(w, 0,
			    (MIN(g1 - g0, 64 - (g0 - g)) + 7) / 8)) != 0)
				return (rc);
			dirty_or64(w->acc, bits, 0);
		}
		if (++i >= i1)
			return (0);
	}
	/* Bitmap bits [b, e): the window must hold their bytes, no more. */
	b = base + i * 64 - g0;
	e = MIN(g1, base + (uint64_t)i1 * 64) - g0;
	if ((rc = dirty_win_reach(w, b / 8, (e - 1) / 8 - b / 8 + 1)) != 0)
		return (rc);
	p = w->acc + (b / 8 - w->base);
	for (; i < i1; i++, p += 8) {
		bits = c->bits[i];
		g = base + i * 64;
		if (g1 - g < 64)
			bits &= (1ULL << (g1 - g)) - 1;
		if (bits != 0)
			dirty_or64(p, bits, b % 8);
	}
	return (0);
}

int
dirty_read(struct dirty *d, struct ucmd *ucmd, uint64_t iova,
    uint64_t length, uint64_t page_size, uint64_t data)
{
	struct dirty_win	 w;
	struct dirty_chunk	*c;
	uint64_t		 g0, g1, base, bits, a0, a1, b0, b1;
	uint64_t		 run0 = 0, run1 = 0, last = iova + (length - 1);
	unsigned int		 i, s, e;
	int			 rc = 0, same;

	if (!dirty_granules(d, iova, length, 0, &g0, &g1))
		return (0);
	/* Granule-sized pages over whole granules: words go as they are. */
	same = page_size == (1ULL << d->shift) &&
	    (iova & (page_size - 1)) == 0;
	memset(&w, 0, sizeof(w));
	w.ucmd = ucmd;
	w.data = data;
	for (c = dirty_chunk_from(d, g0 >> CHUNK_SHIFT); c != NULL;
	    c = RB_NEXT(dirty_tree, &d->chunks, c)) {
		base = c->index << CHUNK_SHIFT;
		if (base >= g1)
			break;
		if (c->nset == 0)
			continue;
		if (same) {
			if ((rc = dirty_read_chunk(&w, c, g0, g1)) != 0)
				goto out;
			continue;
		}
		for (i = 0; i < DIRTY_CHUNK_WORDS; i++) {
			bits = c->bits[i];
			while (bits != 0) {
				/* One run of dirty granules [s, e). */
				s = __builtin_ctzll(bits);
				e = (~bits >> s) == 0 ? 64 :
				    s + __builtin_ctzll(~bits >> s);
				bits &= ~dirty_mask(s, e);
				if (base + i * 64 + e <= g0 ||
				    base + i * 64 + s >= g1)
					continue;
				/* Its bytes, clipped to the range... */
				a0 = (base + i * 64 + s) << d->shift;
				a1 = ((base + i * 64 + e) << d->shift) - 1;
				a0 = MAX(a0, iova);
				a1 = MIN(a1, last);
				/* ...and the bitmap bits over them. */
				b0 = (a0 - iova) / page_size;
				b1 = (a1 - iova) / page_size + 1;
				if (run1 != 0 && b0 <= run1) {
					run1 = MAX(run1, b1);
					continue;
				}
				if (run1 != 0 &&
				    (rc = dirty_win_set(&w, run0, run1)) != 0)
					goto out;
				run0 = b0;
				run1 = b1;
			}
		}
	}
	if (run1 != 0 && (rc = dirty_win_set(&w, run0, run1)) != 0)
		goto out;
	rc = dirty_win_flush(&w);
out:
	free(w.acc);
	return (rc);
}
