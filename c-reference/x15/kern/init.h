/*
 * Boot-time section markers. X15 placed boot-only code in a section it could
 * release later; in a user-space process there is nothing to release, so the
 * markers expand to nothing.
 */

#ifndef _KERN_INIT_H
#define _KERN_INIT_H

#define __init
#define __initdata

#endif /* _KERN_INIT_H */
