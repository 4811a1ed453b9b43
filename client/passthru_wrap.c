/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Pass-through tracing for a static program, which LD_PRELOAD cannot
 * reach: link it with -Wl,--wrap=ioctl,--wrap=close and this file, and
 * its own calls of ioctl() and close() come here first (passthru.h).
 */
#include <stdarg.h>

#include "passthru.h"

int	__real_ioctl(int, unsigned long, ...);
int	__wrap_ioctl(int, unsigned long, ...);
int	__real_close(int);
int	__wrap_close(int);

/* ioctl() of the program: the real one, traced. */
int
__wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list	 ap;
	void	*arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	return (passthru_ioctl(fd, req, arg, __real_ioctl));
}

/* close() of the program: a traced context's close line, then the call. */
int
__wrap_close(int fd)
{
	passthru_close(fd);
	return (__real_close(fd));
}
