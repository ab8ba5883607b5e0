/*
 * Memory usage advice.
 */

#ifndef _VM_VM_ADV_H
#define _VM_VM_ADV_H

#define VM_ADV_NORMAL     0
#define VM_ADV_RANDOM     1
#define VM_ADV_SEQUENTIAL 2
#define VM_ADV_WILLNEED   3
#define VM_ADV_DONTNEED   4
#define VM_ADV_DEFAULT    VM_ADV_NORMAL

#endif /* _VM_VM_ADV_H */
