/*
 * X15's error codes. Functions return 0 on success and one of these on
 * failure.
 */

#ifndef _KERN_ERROR_H
#define _KERN_ERROR_H

#define ERROR_NOMEM 1
#define ERROR_AGAIN 2
#define ERROR_INVAL 3
#define ERROR_BUSY  4
#define ERROR_FAULT 5
#define ERROR_ACCES 6

#endif /* _KERN_ERROR_H */
