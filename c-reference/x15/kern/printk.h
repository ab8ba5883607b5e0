/*
 * Formatted output to the kernel console.
 *
 * In the reference, each call formats its text and hands it to the
 * simulated machine's console as one event.
 */

#ifndef _KERN_PRINTK_H
#define _KERN_PRINTK_H

#include <kern/macros.h>

int printk(const char *format, ...) __format_printf(1, 2);

#endif /* _KERN_PRINTK_H */
