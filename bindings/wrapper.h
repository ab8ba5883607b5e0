/*
 * Everything Rust needs from the C reference, for bindgen: the entry layer,
 * the services the Rust side defines (to check their signatures), and the
 * X15 structures the snapshot walks.
 */

#include <kern/error.h>
#include <kern/kmem.h>
#include <kern/list.h>
#include <kern/mutex.h>
#include <kern/param.h>
#include <kern/rbtree.h>
#include <machine/pmap.h>
#include <vm/vm_adv.h>
#include <vm/vm_inherit.h>
#include <vm/vm_map.h>
#include <vm/vm_object.h>
#include <vm/vm_page.h>
#include <vm/vm_prot.h>

#include "cref.h"
#include "cref_env.h"
