/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Where the replay engine (client/replay.c) gets the lines of a trace
 * from: an array already in memory (the unit tests'), or a trace file
 * read and parsed by a thread of its own while the engine replays the
 * lines before. The file is never held whole: the reader parses at most
 * RS_NBATCH batches of RS_BATCH lines ahead of the engine and then waits,
 * so a replay's memory does not grow with the trace.
 *
 * Ownership: a batch belongs to the reader until it is queued, to the
 * engine's side once taken; every line handed out by replay_src_next() is
 * a reference of the caller's. Lines the engine is done with go back to
 * the reader in the batch they came from, so that the reader, which made
 * them, also frees them (but for the few lines the engine still holds
 * then, which it frees itself).
 *
 * The reader's JSON values come from chunks of one reserved region
 * instead of malloc: a chunk is filled from its start and counts the
 * values alive in it; it is used again once that count is back at zero,
 * whichever thread drops the last of its values. While the reader fills
 * a chunk its count holds RS_BIAS instead, less the values freed: the
 * reader counts what it gives out on its own and adds it when it moves
 * on, taking the bias away, so that giving out a value is no atomic
 * operation. Likewise a thread counts the values it frees from one chunk
 * and takes them off the chunk's count when it frees from another (or
 * when the trace is closed): lines are freed in order, so that is about
 * once a chunk. A chunk a thread still owes frees to is not used again
 * until it has paid them. Freeing a value that is not in the region is
 * free(), so the allocator can be jansson's for the whole process: other
 * threads keep getting malloc's memory.
 */
#include <sys/mman.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "replay.h"

#define RS_BATCH	256	/* lines per batch */
#define RS_NBATCH	8	/* batches parsed ahead, at most */
#define RS_CHUNK	(256 * 1024)	/* bytes of an allocation chunk */
#define RS_NCHUNK	256		/* chunks in the region */
#define RS_BIG		(RS_CHUNK / 8)	/* larger values: malloc's */

#define RS_BIAS		(1L << 40)	/* more than a chunk's values */

/* The head of a chunk; its values follow. */
struct rs_chunk {
	long		 live;		/* values in it (see above) */
	size_t		 used;		/* bytes given out, head included */
	long		 given;		/* values given out while filled */
};

#define RS_HEAD		((sizeof(struct rs_chunk) + 15) & ~(size_t)15)

static char		*rs_region;	/* RS_NCHUNK chunks, or NULL */
static pthread_once_t	 rs_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t	 rs_chunk_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned int	 rs_free[RS_NCHUNK];	/* chunks to use again */
static unsigned int	 rs_nfree, rs_nused;	/* rs_nused: ever handed out */
/* The reader's: whether it allocates from chunks, and its chunk. */
static __thread int		 rs_on;
static __thread struct rs_chunk	*rs_cur;
/* This thread's frees of values of rs_owing not yet counted. */
static __thread struct rs_chunk	*rs_owing;
static __thread long		 rs_owed;

/*
 * Adds d to chunk c's count: a value freed (-1), or the reader done
 * filling it. The count reaching zero puts c on the free list.
 */
static void
rs_chunk_put(struct rs_chunk *c, long d)
{
	if (__atomic_add_fetch(&c->live, d, __ATOMIC_ACQ_REL) != 0)
		return;
	pthread_mutex_lock(&rs_chunk_mu);
	rs_free[rs_nfree++] = (unsigned int)(((char *)c - rs_region) /
	    RS_CHUNK);
	pthread_mutex_unlock(&rs_chunk_mu);
}

/* A chunk to fill (its count at the bias), or NULL when all are used. */
static struct rs_chunk *
rs_chunk_get(void)
{
	struct rs_chunk	*c = NULL;

	pthread_mutex_lock(&rs_chunk_mu);
	if (rs_nfree > 0)
		c = (struct rs_chunk *)(rs_region +
		    (size_t)rs_free[--rs_nfree] * RS_CHUNK);
	else if (rs_nused < RS_NCHUNK)
		c = (struct rs_chunk *)(rs_region +
		    (size_t)rs_nused++ * RS_CHUNK);
	pthread_mutex_unlock(&rs_chunk_mu);
	if (c != NULL) {
		c->used = RS_HEAD;
		c->given = 0;
		__atomic_store_n(&c->live, RS_BIAS, __ATOMIC_RELAXED);
	}
	return (c);
}

static void *
rs_malloc(size_t n)
{
	void	*p;

	n = (n + 15) & ~(size_t)15;
	if (!rs_on || n > RS_BIG)
		return (malloc(n));
	if (rs_cur == NULL || rs_cur->used + n > RS_CHUNK) {
		if (rs_cur != NULL)
			rs_chunk_put(rs_cur, rs_cur->given - RS_BIAS);
		if ((rs_cur = rs_chunk_get()) == NULL)
			return (malloc(n));
	}
	p = (char *)rs_cur + rs_cur->used;
	rs_cur->used += n;
	rs_cur->given++;
	return (p);
}

/* Counts this thread's frees still owed to a chunk. */
static void
rs_settle(void)
{
	if (rs_owing != NULL)
		rs_chunk_put(rs_owing, -rs_owed);
	rs_owing = NULL;
	rs_owed = 0;
}

static void
rs_mfree(void *p)
{
	struct rs_chunk	*c;
	char		*cp = p;

	if (rs_region == NULL || cp < rs_region ||
	    cp >= rs_region + (size_t)RS_NCHUNK * RS_CHUNK) {
		free(p);
		return;
	}
	c = (struct rs_chunk *)(rs_region + (size_t)(cp - rs_region) /
	    RS_CHUNK * RS_CHUNK);
	if (c != rs_owing) {
		rs_settle();
		rs_owing = c;
	}
	rs_owed++;
}

/* Reserves the region and makes it jansson's allocator, once. */
static void
rs_region_init(void)
{
	void	*r;

	r = mmap(NULL, (size_t)RS_NCHUNK * RS_CHUNK, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return;
	rs_region = r;
	json_set_alloc_funcs(rs_malloc, rs_mfree);
}

struct rs_batch {
	json_t		*l[RS_BATCH];
	size_t		 n;
};

struct replay_src {
	/* An array source: lines, and the index of the next one. */
	json_t		*lines;
	size_t		 next;

	/* A file source. */
	const char	*path;
	FILE		*fp;
	pthread_t	 thread;
	int		 started;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* any of the fields below changed */
	/* Parsed batches, queued: q[(qhead + k) % RS_NBATCH], k < nq. */
	struct rs_batch	*q[RS_NBATCH];
	unsigned int	 qhead, nq;
	/* Batches taken and done with, for the reader to free. */
	struct rs_batch	*done[RS_NBATCH + 1];
	unsigned int	 ndone;
	int		 eof;		/* the reader queued its last batch */
	int		 stop;		/* the engine wants no more */
	char		 err[256];	/* why the reader stopped early */

	/* The engine's side: the batch being taken from, and where. */
	struct rs_batch	*cur;
	size_t		 curpos;
	/* A line looked at by replay_src_peek() and not yet taken. */
	json_t		*peeked;
	uint64_t	 waited;	/* ns the engine waited for lines */
};

/* Drops the lines of b and empties it. */
static void
rs_batch_clear(struct rs_batch *b)
{
	size_t	k;

	for (k = 0; k < b->n; k++)
		json_decref(b->l[k]);
	b->n = 0;
}

/*
 * The reader: parses lines into a batch, queues the batch when full (or
 * at the end), waits while RS_NBATCH are queued. Frees, outside the lock,
 * the batches the engine gave back.
 */
static void *
rs_reader(void *arg)
{
	struct replay_src	*s = arg;
	struct rs_batch		*b = NULL, *back[RS_NBATCH + 1];
	json_error_t		 jerr;
	json_t			*l;
	char			*line = NULL;
	size_t			 cap = 0, lineno = 0;
	ssize_t			 n;
	unsigned int		 nback, k;
	int			 end = 0, stop;

	rs_on = rs_region != NULL;
	for (;;) {
		if (b == NULL && (b = calloc(1, sizeof(*b))) == NULL) {
			snprintf(s->err, sizeof(s->err), "out of memory");
			break;
		}
		while (b->n < RS_BATCH && (n = getline(&line, &cap,
		    s->fp)) > 0) {
			lineno++;
			if ((l = json_loadb(line, (size_t)n, 0, &jerr)) ==
			    NULL) {
				snprintf(s->err, sizeof(s->err), "%s:%zu: %s",
				    s->path, lineno, jerr.text);
				break;
			}
			b->l[b->n++] = l;
		}
		if (b->n < RS_BATCH) {
			/* The end, or an error: the lines before count. */
			if (s->err[0] == '\0' && ferror(s->fp))
				snprintf(s->err, sizeof(s->err), "%s: %s",
				    s->path, strerror(errno));
			end = 1;
		}
		pthread_mutex_lock(&s->mu);
		while (s->nq == RS_NBATCH && !s->stop)
			pthread_cond_wait(&s->cv, &s->mu);
		if ((stop = s->stop) == 0 && b->n != 0) {
			s->q[(s->qhead + s->nq++) % RS_NBATCH] = b;
			b = NULL;
		}
		nback = s->ndone;
		memcpy(back, s->done, nback * sizeof(back[0]));
		s->ndone = 0;
		if (end || stop)
			s->eof = 1;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		/* The engine's leftovers, freed here where they were made. */
		for (k = 0; k < nback; k++) {
			rs_batch_clear(back[k]);
			if (b == NULL)
				b = back[k];
			else
				free(back[k]);
		}
		if (end || stop)
			break;
	}
	if (b != NULL) {
		rs_batch_clear(b);
		free(b);
	}
	free(line);
	/* The chunk being filled is given up: its values free it. */
	if (rs_cur != NULL)
		rs_chunk_put(rs_cur, rs_cur->given - RS_BIAS);
	rs_cur = NULL;
	rs_on = 0;
	rs_settle();
	if (b == NULL && !end) {
		/* Out of memory before the first line: say it ends. */
		pthread_mutex_lock(&s->mu);
		s->eof = 1;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
	return (NULL);
}

int
replay_src_array(json_t *lines, struct replay_src **srcp)
{
	struct replay_src	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (-ENOMEM);
	s->lines = json_incref(lines);
	*srcp = s;
	return (0);
}

int
replay_src_open(const char *path, struct replay_src **srcp)
{
	struct replay_src	*s;
	sigset_t		 all, old;
	int			 error;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		fprintf(stderr, "ioasidctl: out of memory\n");
		return (-1);
	}
	s->path = path;
	if ((s->fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "ioasidctl: %s: %s\n", path, strerror(errno));
		free(s);
		return (-1);
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	/* Settled before a second thread makes objects. */
	(void)json_object_seed(0);
	pthread_once(&rs_once, rs_region_init);
	/* The reader takes no signals: they are the engine's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	error = pthread_create(&s->thread, NULL, rs_reader, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error != 0) {
		fprintf(stderr, "ioasidctl: %s: %s\n", path, strerror(error));
		replay_src_close(s);
		return (-1);
	}
	s->started = 1;
	*srcp = s;
	return (0);
}

/* Hands the batch the engine has taken all of back to the reader. */
static void
rs_give_back(struct replay_src *s)
{
	if (s->cur == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->done[s->ndone++] = s->cur;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	s->cur = NULL;
}

/*
 * The next line as a new reference, or NULL at the end or after an
 * error. A line taken from a batch holds a reference of the batch's; the
 * caller gets one of its own, and the batch's goes with the batch.
 */
static json_t *
rs_take(struct replay_src *s)
{
	struct timespec	t0, t1;

	if (s->lines != NULL)
		return (json_incref(json_array_get(s->lines, s->next++)));
	if (s->cur != NULL && s->curpos == s->cur->n)
		rs_give_back(s);
	if (s->cur == NULL) {
		pthread_mutex_lock(&s->mu);
		if (s->nq == 0 && !s->eof) {
			clock_gettime(CLOCK_MONOTONIC, &t0);
			while (s->nq == 0 && !s->eof)
				pthread_cond_wait(&s->cv, &s->mu);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			s->waited += (uint64_t)(t1.tv_sec - t0.tv_sec) *
			    1000000000ULL + (uint64_t)t1.tv_nsec -
			    (uint64_t)t0.tv_nsec;
		}
		if (s->nq != 0) {
			s->cur = s->q[s->qhead];
			s->qhead = (s->qhead + 1) % RS_NBATCH;
			s->nq--;
			s->curpos = 0;
			pthread_cond_broadcast(&s->cv);
		}
		pthread_mutex_unlock(&s->mu);
		if (s->cur == NULL)
			return (NULL);
	}
	return (json_incref(s->cur->l[s->curpos++]));
}

json_t *
replay_src_peek(struct replay_src *s)
{
	if (s->peeked == NULL)
		s->peeked = rs_take(s);
	return (s->peeked);
}

json_t *
replay_src_next(struct replay_src *s)
{
	json_t	*l;

	if (s->peeked != NULL) {
		l = s->peeked;
		s->peeked = NULL;
		return (l);
	}
	return (rs_take(s));
}

uint64_t
replay_src_waited(struct replay_src *s)
{
	return (s->waited);
}

int
replay_src_error(struct replay_src *s)
{
	int	failed;

	if (s->lines != NULL)
		return (0);
	pthread_mutex_lock(&s->mu);
	failed = s->eof && s->err[0] != '\0' && s->nq == 0;
	pthread_mutex_unlock(&s->mu);
	if (failed)
		fprintf(stderr, "ioasidctl: %s\n", s->err);
	return (failed ? -1 : 0);
}

void
replay_src_close(struct replay_src *s)
{
	if (s == NULL)
		return;
	json_decref(s->peeked);
	if (s->lines != NULL) {
		json_decref(s->lines);
		free(s);
		return;
	}
	if (s->started) {
		rs_give_back(s);
		pthread_mutex_lock(&s->mu);
		s->stop = 1;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
	/* The reader is gone: what it left queued or given back goes. */
	while (s->nq > 0) {
		rs_batch_clear(s->q[s->qhead]);
		free(s->q[s->qhead]);
		s->qhead = (s->qhead + 1) % RS_NBATCH;
		s->nq--;
	}
	while (s->ndone > 0) {
		rs_batch_clear(s->done[--s->ndone]);
		free(s->done[s->ndone]);
	}
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	fclose(s->fp);
	free(s);
	/* This thread's frees of the trace's values, counted. */
	rs_settle();
}
