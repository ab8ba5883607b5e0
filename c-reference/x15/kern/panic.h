/*
 * Kernel panic.
 *
 * In the reference, panic() formats its message and jumps back to the entry
 * layer (see csrc/cref.h), which reports the message as the outcome of the
 * operation in progress; the C instance is then dead until the next set-up.
 * It prints nothing on the console, so that a panic leaves no trace event.
 */

#ifndef _KERN_PANIC_H
#define _KERN_PANIC_H

#include <kern/macros.h>

void panic(const char *format, ...) __noreturn __format_printf(1, 2);

#endif /* _KERN_PANIC_H */
