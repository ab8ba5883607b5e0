/*
 * Inheritance of mappings by child address spaces.
 */

#ifndef _VM_VM_INHERIT_H
#define _VM_VM_INHERIT_H

#define VM_INHERIT_NONE    0
#define VM_INHERIT_SHARE   1
#define VM_INHERIT_COPY    2
#define VM_INHERIT_DEFAULT VM_INHERIT_COPY

#endif /* _VM_VM_INHERIT_H */
