/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Open contexts and the objects they hold.
 *
 * A context is one open of /dev/iommu. It owns a table of objects keyed by
 * id. Every object kind embeds struct obj as its first member and defines,
 * in its own file, a struct obj_ops saying how big it is, how to destroy
 * it and how to describe it to the control socket; the kind table
 * obj_ops[] in ctx.c points to each by enum obj_type.
 *
 * Ids run from 1 to INT32_MAX and are shared by every kind; the lowest free
 * id is always the next one handed out, as the kernel's xarray does.
 *
 * Creation happens in two phases: obj_alloc() reserves an id that lookups
 * do not see, the handler does everything that can fail, and then
 * obj_finalize() publishes the object or obj_abort() undoes it. So a
 * half-built object is never visible to anyone.
 *
 * users counts the holders of an object: 1 for the table itself, plus one
 * for every object or attachment that depends on it. DESTROY only succeeds
 * when users is 1. The daemon is single-threaded, so nothing here locks.
 */
#ifndef IOASIDD_CTX_H
#define IOASIDD_CTX_H

#include <sys/types.h>

#include <stdint.h>

#include <bsd/sys/tree.h>
#include <bsd/sys/queue.h>

#include "core/limit.h"

struct json_t;			/* jansson's json_t */
struct ucmd;

/* The kernel's enum iommufd_object_type, in its order. */
enum obj_type {
	OBJ_ANY = 0,
	OBJ_DEVICE,
	OBJ_HWPT_PAGING,
	OBJ_HWPT_NESTED,
	OBJ_IOAS,
	OBJ_ACCESS,
	OBJ_FAULT,
	OBJ_VIOMMU,
	OBJ_VDEVICE,
	OBJ_VEVENTQ,
	OBJ_HW_QUEUE,
	OBJ_SELFTEST,
	OBJ_DMABUF,		/* the selftest's dma-buf; not the kernel's */
	OBJ_MAX
};

enum obj_state {
	OBJ_RESERVED = 0,	/* id taken, not yet visible */
	OBJ_LIVE,		/* visible to lookups */
	OBJ_TOMBSTONE,		/* destroyed for the user; id kept until close */
};

struct obj {
	RB_ENTRY(obj)		 entry;
	struct ctx		*ctx;
	uint32_t		 id;
	uint8_t			 type;		/* enum obj_type */
	uint8_t			 state;		/* enum obj_state */
	unsigned int		 users;
};

RB_HEAD(obj_tree, obj);
/* For CTX_FOREACH_OBJ; the tree code is generated in ctx.c. */
RB_PROTOTYPE(obj_tree, obj, entry, obj_cmp);

struct obj_ops {
	const char	*name;		/* "ioas" */
	size_t		 size;		/* of the embedding struct */
	/*
	 * Set up what a zeroed object cannot start as (list heads), right
	 * after it is allocated, whoever allocates it. Optional.
	 */
	void		(*init)(struct obj *);
	/*
	 * Release what the object holds (references on other objects,
	 * memory it owns); the object itself is freed by the caller.
	 * Called for live objects on DESTROY and close, and for reserved
	 * ones on abort, so it must cope with a half-initialised object
	 * (every field zero that the handler did not set).
	 */
	void		(*destroy)(struct obj *);
	/*
	 * What the object is set up with and what it refers to, for the
	 * control command "objects": a new JSON object, or NULL when memory
	 * ran out. Optional. It must stay small whatever the object holds
	 * (list the first few thousand entries and give the count).
	 */
	struct json_t	*(*describe)(struct obj *);
	/*
	 * Whether something outside the context still uses the object, as
	 * a caller's mapping of a vIOMMU's mmap region does: DESTROY
	 * answers EBUSY while it does. Optional.
	 */
	int		(*busy)(struct obj *);
};

/* A range of free ids, in the free-id tree. */
struct id_range {
	RB_ENTRY(id_range)	 entry;
	uint32_t		 first;
	uint32_t		 last;
};
RB_HEAD(id_tree, id_range);

/* Locked-memory accounting mode (IOMMU_OPTION_RLIMIT_MODE). */
enum acct_mode {
	ACCT_USER = 0,		/* charge the user (RLIMIT_MEMLOCK) */
	ACCT_MM = 1,		/* charge the process, VFIO style */
};

#define CTX_PIN_BATCH_DEFAULT	65536

/* The descriptors a context has handed out (core/hfd.h). */
struct hfd;
LIST_HEAD(hfd_list, hfd);

/*
 * The KVM view of a context's coherency (iommufd/device.c keeps it on
 * every attach, replace and detach): the devices attached, those of them
 * behind an IOMMU without snoop control (what the kvm-vfio device counts
 * as non-coherent, so that the VM must emulate WBINVD), those that can
 * issue no-snoop DMA through a domain that does not enforce coherency,
 * and how often the answer "non-coherent" changed.
 */
struct ctx_coherency {
	unsigned int		 nattached;
	unsigned int		 nnoncoherent;
	unsigned int		 nnosnoop;
	uint64_t		 nchanges;
};

struct ctx {
	struct obj_tree		 objs;
	struct id_tree		 free_ids;
	unsigned int		 nobjs;			/* reserved + live */
	unsigned int		 nkind[OBJ_MAX];	/* live, per kind */
	uint32_t		 id;		/* the daemon's number */
	/*
	 * The open file's reference (the transport's, until close) and one
	 * for every descriptor or device node that refers to the context;
	 * the last ctx_put() frees it.
	 */
	unsigned int		 refs;
	enum acct_mode		 acct_mode;
	uint32_t		 vfio_ioas_id;	/* IOMMU_VFIO_IOAS, or 0 */
	/*
	 * Pages the pinning code takes per batch, never 0 (the selftest's
	 * SET_TEMP_MEMORY_LIMIT). The kernel keeps one for the whole
	 * module; a daemon serves unrelated programs, so each context has
	 * its own and one test cannot change another's pinning.
	 */
	uint32_t		 pin_batch;
	pid_t			 opener;	/* pid that opened it */
	const char		*transport;	/* "socket", "cuse", "test" */
	uint64_t		 nioctls;	/* calls served */
	struct limit_acct	 lim;		/* what it holds (limit.h) */
	void			*priv;		/* transport's, NULL once closed */
	/*
	 * The transport's, or NULL: settle the objects whose answers are
	 * still on their way (see ucmd_finalize()) before an outsider looks.
	 */
	void			(*settle)(struct ctx *);
	TAILQ_ENTRY(ctx)	 entry;		/* ctx_list */
	/*
	 * The inode the caller's descriptor for this open has, as the
	 * transport learnt it (ctx_set_file()), so that a descriptor number
	 * the caller names (VFIO_DEVICE_BIND_IOMMUFD) leads here; zero
	 * when unknown, and from the last close on.
	 */
	dev_t			 file_dev;
	ino_t			 file_ino;
	struct hfd_list		 hfds;		/* handed out, each refs */
	struct ctx_coherency	 cc;		/* the KVM view */
};

TAILQ_HEAD(ctx_list, ctx);
/* Every open context, for status reports. */
extern struct ctx_list	ctx_list;

/* Call every context's settle hook (control commands look after it). */
void		 ctx_settle_all(void);

/* A new empty context holding the opener's reference: 0 or -ENOMEM. */
int		 ctx_new(const char *transport, pid_t opener, struct ctx **);
/*
 * The transport's last close of the file: it lets go of the context
 * (priv and settle are cleared) and drops the opener's reference. The
 * objects stay while something else holds the context, as the kernel's
 * file stays open while a descriptor it handed out refers to it.
 */
void		 ctx_close(struct ctx *);
void		 ctx_hold(struct ctx *);
/*
 * Say which inode the caller's descriptor for this open has: 0, or
 * -EEXIST when another open context already has it (ino 0 is refused
 * with -EINVAL).
 */
int		 ctx_set_file(struct ctx *, dev_t, ino_t);
/* The open context whose caller descriptor has this inode, or NULL. */
struct ctx	*ctx_find_file(dev_t, ino_t);
/*
 * A transport whose opens share one inode (CUSE) tells here which of its
 * opens the daemon's descriptor fd is: 0 with the context (not held), or
 * -EBADFD when fd is none of them. NULL while no such transport runs.
 */
extern int	(*ctx_file_hook)(int fd, struct ctx **);
/* Drop a reference; the last one frees the context (ctx_free()). */
void		 ctx_put(struct ctx *);
/*
 * Destroy every object, leaves first, then free the context, whatever
 * still refers to it: for ctx_put() and the daemon's exit. Leaves nothing
 * behind.
 */
void		 ctx_free(struct ctx *);

/*
 * Run one ioctl: look the command up, apply the size rules, copy the struct
 * in, call the handler. Returns the ioctl's result: >= 0 or -errno.
 */
long		 dispatch(struct ucmd *);

int		 obj_alloc(struct ctx *, enum obj_type, struct obj **);
void		 obj_finalize(struct obj *);
void		 obj_abort(struct obj *);

/* A live object with this id and type (OBJ_ANY: any), or NULL. */
struct obj	*obj_find(struct ctx *, uint32_t id, enum obj_type);
/* The same, as 0 or -ENOENT. */
int		 obj_get(struct ctx *, uint32_t id, enum obj_type,
		    struct obj **);
/* Long-term holds between objects. */
void		 obj_hold(struct obj *);
void		 obj_drop(struct obj *);

/*
 * Remove an object the way DESTROY does: -ENOENT unless live, -EBUSY
 * unless users is 1.
 */
int		 obj_destroy_id(struct ctx *, uint32_t id);
/*
 * Remove an object held only by its creator's own reference (users 2)
 * on the creator's behalf, e.g. an auto domain losing its last device.
 * The caller gives up its reference.
 */
void		 obj_destroy_held(struct obj *);
/* Destroy for the user but keep the id until close (vDEVICE). */
void		 obj_tombstone(struct obj *);

const char	*obj_type_name(enum obj_type);
/*
 * Run the kind's describe op: 0 with a new object in *descp, or with
 * *descp NULL when the kind has none; -ENOMEM.
 */
int		 obj_describe(struct obj *, struct json_t **descp);

/* Iterate the live objects of a context in id order. */
#define CTX_FOREACH_OBJ(o, c)						\
	RB_FOREACH((o), obj_tree, &(c)->objs)

#endif /* IOASIDD_CTX_H */
