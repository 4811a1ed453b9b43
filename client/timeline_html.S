/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The page template of "ioasidctl trace timeline" (client/timeline.html),
 * built in as it is: timeline_html to timeline_html_end.
 */
	.section .rodata
	.globl	timeline_html
	.globl	timeline_html_end
timeline_html:
	.incbin	"client/timeline.html"
timeline_html_end:
	.byte	0

	.section .note.GNU-stack,"",%progbits
