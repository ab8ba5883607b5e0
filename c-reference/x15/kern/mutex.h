/*
 * Mutexes, in X15's layout, for a single-threaded kernel.
 *
 * vm_map.c runs on one thread here, so a mutex never contends. The
 * operations check the pairing instead: locking a locked mutex or unlocking
 * an unlocked one is a failed assertion, which would reveal a locking bug in
 * the code under test.
 */

#ifndef _KERN_MUTEX_H
#define _KERN_MUTEX_H

#include <kern/assert.h>
#include <kern/list.h>

#define MUTEX_UNLOCKED 0
#define MUTEX_LOCKED   1

/*
 * X15's mutex: a state word, the spin lock protecting the waiter queue, and
 * that queue (24 bytes; struct vm_map's size depends on it).
 */
struct mutex {
    unsigned int state;
    unsigned int lock;
    struct list waiters;
};

static inline void
mutex_init(struct mutex *mutex)
{
    mutex->state = MUTEX_UNLOCKED;
    mutex->lock = 0;
    list_init(&mutex->waiters);
}

static inline void
mutex_lock(struct mutex *mutex)
{
    assert(mutex->state == MUTEX_UNLOCKED);
    mutex->state = MUTEX_LOCKED;
}

static inline void
mutex_unlock(struct mutex *mutex)
{
    assert(mutex->state == MUTEX_LOCKED);
    mutex->state = MUTEX_UNLOCKED;
}

#endif /* _KERN_MUTEX_H */
