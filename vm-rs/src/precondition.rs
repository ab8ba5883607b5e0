//! Where the C asserts: each `assert()` of the seed that the public API can
//! reach, as a typed precondition, and [`PRECONDITIONS`], the one table that
//! pairs each with the C's expression text.
//!
//! The C prints `assertion failed: <expr>`, where `<expr>` is the assert's
//! argument as the preprocessor stringifies it (whitespace runs collapsed to
//! one space). The port returns the precondition instead, checked at the same
//! point and in the same order as the C, and is dead afterwards, as the C is.
//! The harness treats exactly the pairs of the table as equivalent.
//!
//! The fixed port ([`crate::CBugs::FIXED`]) also refuses requests the C
//! accepts by mistake. Those preconditions have no C assertion; they are
//! listed apart, in [`FIXED_PORT_PRECONDITIONS`], with a text that starts
//! with [`FIXED_PORT_PREFIX`] so that it can never equal a C assertion's.

/// A failed assertion of the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precondition {
    /// `vm_map_kentry_alloc_slab`: the slab taken from the free list is
    /// already marked allocated.
    KentrySlabFree,
    /// `vm_map_kentry_free_slab`: the slab being freed is not marked allocated.
    KentrySlabAllocated,
    /// `vm_map_kentry_alloc`: the slab size is not the kentry cache's.
    KentryAllocSlabSize,
    /// `vm_map_kentry_alloc`: the slab starts below the kentry area.
    KentryAllocVaAboveStart,
    /// `vm_map_kentry_alloc`: the slab ends past the kentry area.
    KentryAllocVaBelowEnd,
    /// `vm_map_kentry_free`: the slab starts below the kentry area.
    KentryFreeVaAboveStart,
    /// `vm_map_kentry_free`: the slab ends past the kentry area.
    KentryFreeVaBelowEnd,
    /// `vm_map_kentry_free`: the slab size is not the kentry cache's.
    KentryFreeSlabSize,
    /// `vm_map_kentry_free`: a page of the slab has no kernel mapping.
    KentryFreePageMapped,
    /// `vm_map_kentry_free`: a page of the slab has no page descriptor.
    KentryFreePageKnown,
    /// `vm_map_kentry_setup`: the kentry cache's slab is larger than the area.
    KentrySetupSlabs,
    /// Request check 1: an offset without an object.
    RequestOffsetWithoutObject,
    /// Request check 2: the offset is not page aligned.
    RequestOffsetAligned,
    /// Request check 3: the start (hint or fixed address) is not page aligned.
    RequestStartAligned,
    /// Request check 4: the size is 0.
    RequestSizeNonZero,
    /// Request check 5: the size is not page aligned.
    RequestSizeAligned,
    /// Request check 6: start + size wraps past the top of the address space.
    RequestNoWrap,
    /// Request check 7: the alignment is neither 0 nor at least a page.
    RequestAlignAtLeastPage,
    /// Request check 8: the alignment is not a power of two.
    RequestAlignPowerOfTwo,
    /// Request check 9: the protection exceeds the maximum protection.
    RequestProtWithinMax,
    /// Request check 10: a FIXED start not aligned to the alignment.
    RequestFixedStartAligned,
    /// `vm_map_lookup_nearest`: the address is not page aligned (a remove with
    /// an unaligned start, or a search from an unaligned find cache).
    LookupAddrAligned,
    /// `vm_map_find_avail`: the search went past the end of the map.
    FindStartWithinMap,
    /// `vm_map_try_merge`: `vm_map_enter` with `VM_MAP_NOMERGE`.
    MergeWithNoMerge,
    /// `vm_map_remove`: the start is below the map.
    RemoveStartInMap,
    /// `vm_map_remove`: the end is past the map.
    RemoveEndInMap,
    /// `vm_map_remove`: an empty or reversed range.
    RemoveNonEmpty,
    /// `vm_map_fault`: a fault on the kernel map.
    FaultNotKernelMap,
    /// `vm_map_fault`: a permitted access to a null (object-less) mapping.
    FaultObjectNotNull,
    /// `vm_map_link`: the entry is empty or wraps around the top of the
    /// address space (an enter whose aligned start plus size wraps).
    LinkStartBelowEnd,
    /// `rbtree_insert` (inside `vm_map_link`): the new entry's start lies
    /// inside an entry on its tree path. The text is the assertion of the
    /// project's `kern/rbtree.h`, which the seed inlines.
    TreeInsertUnequal,
    /// `vm_map_init` (kernel map): its start is not page aligned.
    MapInitStartAligned,
    /// `vm_map_init` (kernel map): its end is not page aligned.
    MapInitEndAligned,
    /// Fixed port only (no C assertion): `vm_map_remove` with an end that
    /// is not page aligned (`CBugs::remove_unaligned_end`).
    RemoveEndAligned,
    /// Fixed port only (no C assertion): `vm_map_fault` with an access of
    /// none or with bits above `VM_PROT_EXECUTE` (`CBugs::fault_access_none`).
    FaultAccessValid,
    /// Fixed port only (no C assertion): `vm_map_enter` with an inheritance
    /// above `VM_INHERIT_COPY` (`CBugs::enter_accepts_undefined_attributes`).
    RequestInheritanceDefined,
    /// Fixed port only (no C assertion): `vm_map_enter` with an advice
    /// above `VM_ADV_DONTNEED` (`CBugs::enter_accepts_undefined_attributes`).
    RequestAdviceDefined,
    /// Fixed port only (no C assertion): `vm_map_remove` on the kernel map
    /// of a range that meets a static entry or a live kernel allocation
    /// (`CBugs::remove_takes_kernel_memory`).
    RemoveKernelOwned,
}

/// Every precondition with the C assertion's expression text, as the C
/// prints it after `assertion failed: `. Several sites share a text.
pub const PRECONDITIONS: &[(Precondition, &str)] = &[
    (
        Precondition::KentrySlabFree,
        "slab->next != VM_MAP_KENTRY_ALLOCATED",
    ),
    (
        Precondition::KentrySlabAllocated,
        "slab->next == VM_MAP_KENTRY_ALLOCATED",
    ),
    (
        Precondition::KentryAllocSlabSize,
        "slab_size == vm_map_kentry_slab_size",
    ),
    (
        Precondition::KentryAllocVaAboveStart,
        "va >= vm_map_kentry_entry.start",
    ),
    (
        Precondition::KentryAllocVaBelowEnd,
        "(va + slab_size) <= (vm_map_kentry_entry.start + VM_MAP_KENTRY_SIZE)",
    ),
    (
        Precondition::KentryFreeVaAboveStart,
        "va >= vm_map_kentry_entry.start",
    ),
    (
        Precondition::KentryFreeVaBelowEnd,
        "(va + slab_size) <= (vm_map_kentry_entry.start + VM_MAP_KENTRY_SIZE)",
    ),
    (
        Precondition::KentryFreeSlabSize,
        "slab_size == vm_map_kentry_slab_size",
    ),
    (Precondition::KentryFreePageMapped, "pa != 0"),
    (Precondition::KentryFreePageKnown, "page != NULL"),
    (Precondition::KentrySetupSlabs, "nr_slabs > 0"),
    (
        Precondition::RequestOffsetWithoutObject,
        "(request->object != NULL) || (request->offset == 0)",
    ),
    (
        Precondition::RequestOffsetAligned,
        "vm_page_aligned(request->offset)",
    ),
    (
        Precondition::RequestStartAligned,
        "vm_page_aligned(request->start)",
    ),
    (Precondition::RequestSizeNonZero, "request->size > 0"),
    (
        Precondition::RequestSizeAligned,
        "vm_page_aligned(request->size)",
    ),
    (
        Precondition::RequestNoWrap,
        "(request->start + request->size) > request->start",
    ),
    (
        Precondition::RequestAlignAtLeastPage,
        "(request->align == 0) || (request->align >= PAGE_SIZE)",
    ),
    (Precondition::RequestAlignPowerOfTwo, "ISP2(request->align)"),
    (
        Precondition::RequestProtWithinMax,
        "(VM_MAP_PROT(request->flags) & VM_MAP_MAXPROT(request->flags)) \
         == VM_MAP_PROT(request->flags)",
    ),
    (
        Precondition::RequestFixedStartAligned,
        "!(request->flags & VM_MAP_FIXED) || (request->align == 0) \
         || P2ALIGNED(request->start, request->align)",
    ),
    (Precondition::LookupAddrAligned, "vm_page_aligned(addr)"),
    (Precondition::FindStartWithinMap, "start <= map->end"),
    (
        Precondition::MergeWithNoMerge,
        "!(request->flags & VM_MAP_NOMERGE)",
    ),
    (Precondition::RemoveStartInMap, "start >= map->start"),
    (Precondition::RemoveEndInMap, "end <= map->end"),
    (Precondition::RemoveNonEmpty, "start < end"),
    (Precondition::FaultNotKernelMap, "map != kernel_map"),
    (Precondition::FaultObjectNotNull, "entry->object != NULL"),
    (Precondition::LinkStartBelowEnd, "entry->start < entry->end"),
    (Precondition::TreeInsertUnequal, "rbtree_diff_ != 0"),
    (Precondition::MapInitStartAligned, "vm_page_aligned(start)"),
    (Precondition::MapInitEndAligned, "vm_page_aligned(end)"),
];

/// What starts the text of every precondition of
/// [`FIXED_PORT_PRECONDITIONS`]: no C assertion text starts this way.
pub const FIXED_PORT_PREFIX: &str = "fixed port: ";

/// The fixed port's own preconditions, which the C lacks, each with the
/// condition it requires (after [`FIXED_PORT_PREFIX`]) in the C's idiom.
pub const FIXED_PORT_PRECONDITIONS: &[(Precondition, &str)] = &[
    (
        Precondition::RemoveEndAligned,
        "fixed port: vm_page_aligned(end) in vm_map_remove",
    ),
    (
        Precondition::FaultAccessValid,
        "fixed port: (access != VM_PROT_NONE) && !(access & ~VM_PROT_ALL) in vm_map_fault",
    ),
    (
        Precondition::RequestInheritanceDefined,
        "fixed port: VM_MAP_INHERIT(request->flags) <= VM_INHERIT_COPY",
    ),
    (
        Precondition::RequestAdviceDefined,
        "fixed port: VM_MAP_ADVICE(request->flags) <= VM_ADV_DONTNEED",
    ),
    (
        Precondition::RemoveKernelOwned,
        "fixed port: kernel map remove meets no static entry and no kernel allocation",
    ),
];

impl Precondition {
    /// The C assertion's expression text, from [`PRECONDITIONS`], or for a
    /// precondition of the fixed port alone its text from
    /// [`FIXED_PORT_PRECONDITIONS`].
    pub fn expression(self) -> &'static str {
        PRECONDITIONS
            .iter()
            .chain(FIXED_PORT_PRECONDITIONS)
            .find(|(precondition, _)| *precondition == self)
            .map_or("", |(_, text)| text)
    }

    /// Whether the C asserts this precondition (it is in [`PRECONDITIONS`]);
    /// `false` for the fixed port's own.
    pub fn is_c_assertion(self) -> bool {
        PRECONDITIONS
            .iter()
            .any(|(precondition, _)| *precondition == self)
    }
}
