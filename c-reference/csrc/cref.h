/*
 * The entry layer of the C reference: the functions Rust calls to drive one
 * C instance of vm_map.c.
 *
 * Every operation fills a struct cref_outcome. A panic or a failed assertion
 * inside an operation jumps back here (setjmp/longjmp, across C frames only)
 * and comes back as CREF_OUTCOME_PANICKED with the panic message; the
 * instance is then dead and refuses every further operation until the next
 * cref_setup(). Requests the entry layer itself cannot serve (unknown
 * handles, full tables, a dead instance) come back as CREF_OUTCOME_REFUSED
 * with a reason; vm_map.c is not called for them.
 *
 * Maps are named by handles: 0 is the kernel map, 1, 2, ... the user maps in
 * creation order. Objects are named by the simulated machine's object ids.
 */

#ifndef _CREF_H
#define _CREF_H

#include <kern/stdint.h>
#include <vm/vm_map.h>

/*
 * Table bounds: at most this many user maps and objects per set-up.
 */
#define CREF_MAX_USER_MAPS 64
#define CREF_MAX_OBJECTS   64

/*
 * Size of an outcome's message buffer, terminating NUL included; longer
 * panic messages are truncated.
 */
#define CREF_MESSAGE_SIZE 256

enum cref_outcome_kind {
    CREF_OUTCOME_OK = 0,
    CREF_OUTCOME_ERROR = 1,
    CREF_OUTCOME_PANICKED = 2,
    CREF_OUTCOME_REFUSED = 3,
};

enum cref_refusal {
    CREF_REFUSAL_NONE = 0,
    CREF_REFUSAL_DEAD = 1,
    CREF_REFUSAL_NOT_SET_UP = 2,
    CREF_REFUSAL_TOO_MANY_MAPS = 3,
    CREF_REFUSAL_TOO_MANY_OBJECTS = 4,
    CREF_REFUSAL_UNKNOWN_MAP = 5,
    CREF_REFUSAL_UNKNOWN_OBJECT = 6,
};

/*
 * What an operation did. value is the operation's result when kind is
 * CREF_OUTCOME_OK (a chosen address, a map handle, an object id, or 0);
 * error is the X15 error code when kind is CREF_OUTCOME_ERROR; message is
 * the panic message when kind is CREF_OUTCOME_PANICKED (empty otherwise).
 */
struct cref_outcome {
    enum cref_outcome_kind kind;
    int error;
    enum cref_refusal refusal;
    unsigned long value;
    char message[CREF_MESSAGE_SIZE];
};

/*
 * Forget the previous instance and run vm_map_setup() on a machine whose
 * kernel map spans [kernel_min, kernel_max).
 */
void cref_setup(struct cref_outcome *outcome, unsigned long kernel_min,
                unsigned long kernel_max);

/*
 * vm_map_create(); value is the new map's handle.
 */
void cref_create_map(struct cref_outcome *outcome);

/*
 * A new anonymous object; value is its object id.
 */
void cref_create_object(struct cref_outcome *outcome);

/*
 * vm_map_enter() with start as the address hint; value is the chosen start.
 * The object is used only when has_object is non-zero.
 */
void cref_enter(struct cref_outcome *outcome, unsigned int map,
                int has_object, uint32_t object, uint64_t offset,
                unsigned long start, size_t size, size_t align, int flags);

void cref_remove(struct cref_outcome *outcome, unsigned int map,
                 unsigned long start, unsigned long end);
void cref_fault(struct cref_outcome *outcome, unsigned int map,
                unsigned long addr, int access);
void cref_info(struct cref_outcome *outcome, unsigned int map);

/*
 * Hand every empty slab back to its back end (X15 had no reap; the model
 * adds it so that the kentry free path runs).
 */
void cref_reap(struct cref_outcome *outcome);

/*
 * Inspection, for snapshots. These never run vm_map.c code.
 */
int cref_is_set_up(void);
int cref_is_dead(void);
unsigned int cref_map_count(void);
const struct vm_map * cref_map(unsigned int handle);

/*
 * The seed's private kentry state (defined next to the seed, see
 * csrc/seed_unit.c): the kentry area's map entry, the address of the first
 * free slab descriptor (0 when none), and the kentry slab size in bytes.
 */
const struct vm_map_entry * cref_kentry_entry(void);
const struct vm_map_entry * cref_kernel_boot_entry(void);
unsigned long cref_kentry_free_head(void);
size_t cref_kentry_slab_size(void);

/*
 * The most list steps (list_next calls of our kern/list.h) one operation
 * may take before the entry layer panics with CREF_LIST_BUDGET_MESSAGE; 0
 * (the default) is no limit. It holds until changed, across set-ups.
 */
void cref_set_list_step_budget(unsigned long budget);

#define CREF_LIST_BUDGET_MESSAGE "cref: a list walk took more steps than its budget"

#endif /* _CREF_H */
