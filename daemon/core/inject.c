/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The count behind allocation-failure injection (core/inject.h).
 */
#include "core/inject.h"

unsigned int	inject_left;
