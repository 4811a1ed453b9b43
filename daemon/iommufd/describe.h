/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * What every kind's describe op (struct obj_ops, core/ctx.h) shares: each
 * op, in its kind's file, turns one live object into a JSON object for
 * "ioasidctl objects", naming what it is set up with and the ids of the
 * objects it holds, so that a context's object graph can be read from the
 * reply. Each returns a new reference, or NULL when memory ran out, and
 * reads the object without changing anything: the ops run on the daemon's
 * only thread between two requests, so nothing changes under them.
 *
 * Addresses and lengths are 64-bit and may not fit a JSON number exactly,
 * so they are strings of hexadecimal ("0x1000"); counts and ids are
 * numbers. Every list stops at DESCRIBE_MAX_RANGES, so a reply stays small
 * however many mappings a program made; the full count is given alongside.
 */
#ifndef IOASIDD_DESCRIBE_H
#define IOASIDD_DESCRIBE_H

#include <stdint.h>

#include <jansson.h>

struct obj;

/* At most this many areas, reserved and allowed ranges per IOAS. */
#define DESCRIBE_MAX_RANGES	1000

/* A 64-bit address or length as "0x...", or NULL. */
json_t	*describe_hex(uint64_t);
/* Set key to value (a new reference, stolen): 0, or -1 when out of memory. */
int	 describe_set(json_t *, const char *key, json_t *value);
/* Append {"start": ..., "last": ...}: 0, or -1 when out of memory. */
int	 describe_range(json_t *arr, uint64_t start, uint64_t last);
/*
 * {key: the id of the held object}, or {} when it holds none; with_kind
 * adds "parent_kind". NULL when out of memory.
 */
json_t	*describe_holder(const struct obj *held, const char *key,
	    int with_kind);

#endif /* IOASIDD_DESCRIBE_H */
