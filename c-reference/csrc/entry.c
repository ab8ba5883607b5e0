/*
 * The entry layer: one C instance of vm_map.c driven operation by operation,
 * with panics and failed assertions turned into outcomes (see cref.h).
 *
 * Each operation records where its outcome goes, sets a jump point and calls
 * into vm_map.c. panic() (which failed assertions call) writes the message
 * into that outcome, marks the instance dead and jumps back; the jump only
 * crosses C frames, since the Rust services called from C always return.
 * Everything else an operation needs (handles, objects) is checked before
 * vm_map.c runs, and a request that cannot be served is refused.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>

#include <kern/macros.h>
#include <kern/panic.h>
#include <kern/param.h>
#include <kern/stddef.h>
#include <kern/stdint.h>
#include <vm/vm_kmem.h>
#include <vm/vm_map.h>
#include <vm/vm_object.h>

#include "cref.h"
#include "cref_env.h"
#include "cref_internal.h"

/*
 * Where panic() jumps to, and the outcome of the operation in progress
 * (NULL between operations).
 */
static jmp_buf cref_panic_jump;
static struct cref_outcome *cref_current_outcome;

static int cref_set_up;
static int cref_dead;

/*
 * The list steps of the operation in progress and the most it may take (0:
 * no limit); see kern/list.h.
 */
static unsigned long cref_list_steps;
static unsigned long cref_list_step_budget;

/*
 * Maps by handle: the kernel map, then the user maps in creation order.
 */
static struct vm_map *cref_maps[1 + CREF_MAX_USER_MAPS];
static unsigned int cref_nr_maps;

static struct vm_object cref_objects[CREF_MAX_OBJECTS];
static unsigned int cref_nr_objects;

void
panic(const char *format, ...)
{
    struct cref_outcome *outcome;
    va_list ap;

    outcome = cref_current_outcome;

    /*
     * vm_map.c only runs inside an operation; a panic outside one means the
     * reference itself is broken, and there is nowhere to jump to.
     */
    if (outcome == NULL)
        __builtin_trap();

    va_start(ap, format);
    vsnprintf(outcome->message, sizeof(outcome->message), format, ap);
    va_end(ap);

    outcome->kind = CREF_OUTCOME_PANICKED;
    cref_dead = 1;
    cref_current_outcome = NULL;
    longjmp(cref_panic_jump, 1);
}

static void
cref_outcome_clear(struct cref_outcome *outcome)
{
    outcome->kind = CREF_OUTCOME_OK;
    outcome->error = 0;
    outcome->refusal = CREF_REFUSAL_NONE;
    outcome->value = 0;
    outcome->message[0] = '\0';
}

static void
cref_refuse(struct cref_outcome *outcome, enum cref_refusal refusal)
{
    outcome->kind = CREF_OUTCOME_REFUSED;
    outcome->refusal = refusal;
}

/*
 * Start an operation on a live, set-up instance; return 0 (with the outcome
 * filled in) when the instance cannot take it.
 */
static int
cref_begin(struct cref_outcome *outcome)
{
    cref_outcome_clear(outcome);

    if (cref_dead) {
        cref_refuse(outcome, CREF_REFUSAL_DEAD);
        return 0;
    }

    if (!cref_set_up) {
        cref_refuse(outcome, CREF_REFUSAL_NOT_SET_UP);
        return 0;
    }

    return 1;
}

/*
 * Arm panic() for the operation filling outcome. The jump point itself must
 * be set in the operation's own frame, right after this.
 */
static void
cref_arm(struct cref_outcome *outcome)
{
    cref_current_outcome = outcome;
    cref_list_steps = 0;
}

void
cref_list_step(void)
{
    /* Only an operation's walks count; a panic needs one to jump back to. */
    if ((cref_current_outcome == NULL) || (cref_list_step_budget == 0))
        return;

    cref_list_steps++;

    if (cref_list_steps > cref_list_step_budget)
        panic(CREF_LIST_BUDGET_MESSAGE);
}

void
cref_set_list_step_budget(unsigned long budget)
{
    cref_list_step_budget = budget;
}

/*
 * End an operation that returned normally, with X15's error code (0 for
 * success) and the operation's value.
 */
static void
cref_finish(struct cref_outcome *outcome, int error, unsigned long value)
{
    cref_current_outcome = NULL;

    if (error) {
        outcome->kind = CREF_OUTCOME_ERROR;
        outcome->error = error;
    } else {
        outcome->value = value;
    }
}

static struct vm_map *
cref_map_by_handle(unsigned int handle)
{
    return (handle < cref_nr_maps) ? cref_maps[handle] : NULL;
}

/*
 * Like cref_begin, for an operation on a map: the map, or NULL (with the
 * outcome filled in) when the instance cannot take it or no map has that
 * handle.
 */
static struct vm_map *
cref_begin_on_map(struct cref_outcome *outcome, unsigned int map_handle)
{
    struct vm_map *map;

    if (!cref_begin(outcome))
        return NULL;

    map = cref_map_by_handle(map_handle);

    if (map == NULL)
        cref_refuse(outcome, CREF_REFUSAL_UNKNOWN_MAP);

    return map;
}

static struct vm_object *
cref_object_by_id(uint32_t id)
{
    unsigned int i;

    for (i = 0; i < cref_nr_objects; i++)
        if (cref_objects[i].id == id)
            return &cref_objects[i];

    return NULL;
}

void
cref_setup(struct cref_outcome *outcome, unsigned long kernel_min,
           unsigned long kernel_max)
{
    cref_outcome_clear(outcome);
    cref_set_up = 0;
    cref_dead = 0;
    cref_nr_maps = 0;
    cref_nr_objects = 0;
    cref_services_reset();
    cref_kernel_min_address = kernel_min;
    cref_kernel_max_address = kernel_max;

    cref_arm(outcome);

    if (setjmp(cref_panic_jump) != 0)
        return;

    vm_map_setup();
    cref_maps[0] = kernel_map;
    cref_nr_maps = 1;
    cref_set_up = 1;
    cref_finish(outcome, 0, 0);
}

void
cref_create_map(struct cref_outcome *outcome)
{
    struct vm_map *map;
    int error;

    if (!cref_begin(outcome))
        return;

    if (cref_nr_maps > CREF_MAX_USER_MAPS) {
        cref_refuse(outcome, CREF_REFUSAL_TOO_MANY_MAPS);
        return;
    }

    cref_arm(outcome);

    if (setjmp(cref_panic_jump) != 0)
        return;

    map = NULL;
    error = vm_map_create(&map);

    if (!error)
        cref_maps[cref_nr_maps++] = map;

    cref_finish(outcome, error, cref_nr_maps - 1);
}

void
cref_create_object(struct cref_outcome *outcome)
{
    struct vm_object *object;

    if (!cref_begin(outcome))
        return;

    if (cref_nr_objects == CREF_MAX_OBJECTS) {
        cref_refuse(outcome, CREF_REFUSAL_TOO_MANY_OBJECTS);
        return;
    }

    cref_arm(outcome);

    if (setjmp(cref_panic_jump) != 0)
        return;

    object = &cref_objects[cref_nr_objects];
    object->pager = &cref_anon_pager;
    object->id = cref_env_object_create();
    cref_check_host();
    cref_nr_objects++;
    cref_finish(outcome, 0, object->id);
}

/*
 * The part of cref_enter() that runs vm_map.c, in a frame of its own whose
 * variables never change after the jump point is set.
 */
static void
cref_run_enter(struct cref_outcome *outcome, struct vm_map *map,
               struct vm_object *object, uint64_t offset, unsigned long start,
               size_t size, size_t align, int flags)
{
    unsigned long chosen_start;
    int error;

    cref_arm(outcome);

    if (setjmp(cref_panic_jump) != 0)
        return;

    chosen_start = start;
    error = vm_map_enter(map, object, offset, &chosen_start, size, align,
                         flags);
    cref_finish(outcome, error, chosen_start);
}

void
cref_enter(struct cref_outcome *outcome, unsigned int map_handle,
           int has_object, uint32_t object_id, uint64_t offset,
           unsigned long start, size_t size, size_t align, int flags)
{
    struct vm_object *object;
    struct vm_map *map;

    map = cref_begin_on_map(outcome, map_handle);

    if (map == NULL)
        return;

    if (has_object) {
        object = cref_object_by_id(object_id);

        if (object == NULL) {
            cref_refuse(outcome, CREF_REFUSAL_UNKNOWN_OBJECT);
            return;
        }
    } else {
        object = NULL;
    }

    cref_run_enter(outcome, map, object, offset, start, size, align, flags);
}

void
cref_remove(struct cref_outcome *outcome, unsigned int map_handle,
            unsigned long start, unsigned long end)
{
    struct vm_map *map;

    map = cref_begin_on_map(outcome, map_handle);

    if (map == NULL)
        return;

    cref_arm(outcome);

    if (setjmp(cref_panic_jump) != 0)
        return;

    vm_map_remove(map, start, end);
    cref_finish(outcome, 0, 0);
}

void
cref_fault(struct cref_outcome *outcome, unsigned int map_handle,
           unsigned long addr, int access)
{
    struct vm_map *map;
    int error;

    map = cref_begin_on_map(outcome, map_handle);

    if (map == NULL)
        return;

    cref_arm(outcome);

    if (setjmp(cref_panic_jump) != 0)
        return;

    error = vm_map_fault(map, addr, access);
    cref_finish(outcome, error, 0);
}

void
cref_info(struct cref_outcome *outcome, unsigned int map_handle)
{
    struct vm_map *map;

    map = cref_begin_on_map(outcome, map_handle);

    if (map == NULL)
        return;

    cref_arm(outcome);

    if (setjmp(cref_panic_jump) != 0)
        return;

    vm_map_info(map);
    cref_finish(outcome, 0, 0);
}

void
cref_reap(struct cref_outcome *outcome)
{
    if (!cref_begin(outcome))
        return;

    cref_arm(outcome);

    if (setjmp(cref_panic_jump) != 0)
        return;

    cref_reap_slabs();
    cref_finish(outcome, 0, 0);
}

int
cref_is_set_up(void)
{
    return cref_set_up;
}

int
cref_is_dead(void)
{
    return cref_dead;
}

unsigned int
cref_map_count(void)
{
    return cref_nr_maps;
}

const struct vm_map *
cref_map(unsigned int handle)
{
    return cref_map_by_handle(handle);
}
