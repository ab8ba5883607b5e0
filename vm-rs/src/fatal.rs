//! Where the C panics: each `panic()` of the seed (and the pmap's own panic
//! in `pmap_kgrow`) as a typed outcome. A kernel would panic on it; the port
//! returns it and is dead afterwards.

/// A C panic of `vm_map.c`; [`Fatal::message`] is the C's exact text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fatal {
    /// The kentry free list is empty when the kentry cache needs a slab.
    KentryAreaExhausted,
    /// `vm_phys_alloc` failed while populating a kentry slab.
    NoPhysicalPageForKentryCache,
    /// `vm_phys_alloc` failed while populating the kentry slab table at setup.
    NoPageForKentryTable,
    /// No room in the kernel map for the kentry area at setup.
    KentryMappingSetupFailed,
    /// The boot space does not fit in the kernel map at setup.
    InitialKernelMappingFailed,
    /// An entry cache returned NULL (`vm_map_entry_create`).
    CantCreateMapEntry,
    /// `pmap_enter` failed in `vm_map_fault`.
    PhysicalMappingFailed,
    /// `pmap_kgrow` found no page for a page table (panics inside the pmap).
    KernelGrowNoPage,
}

impl Fatal {
    /// Every fatal outcome, in declaration order.
    pub const ALL: [Fatal; 8] = [
        Fatal::KentryAreaExhausted,
        Fatal::NoPhysicalPageForKentryCache,
        Fatal::NoPageForKentryTable,
        Fatal::KentryMappingSetupFailed,
        Fatal::InitialKernelMappingFailed,
        Fatal::CantCreateMapEntry,
        Fatal::PhysicalMappingFailed,
        Fatal::KernelGrowNoPage,
    ];

    /// The C's panic message, byte for byte.
    pub const fn message(self) -> &'static str {
        match self {
            Fatal::KentryAreaExhausted => "vm_map: kentry area exhausted",
            Fatal::NoPhysicalPageForKentryCache => "vm_map: no physical page for kentry cache",
            Fatal::NoPageForKentryTable => "vm_map: unable to allocate page for kentry table",
            Fatal::KentryMappingSetupFailed => "vm_map: kentry mapping setup failed",
            Fatal::InitialKernelMappingFailed => "vm_map: can't map initial kernel mapping",
            Fatal::CantCreateMapEntry => "vm_map: can't create map entry",
            Fatal::PhysicalMappingFailed => "vm_map: unable to create physical mapping",
            Fatal::KernelGrowNoPage => "pmap: no page available to grow kernel space",
        }
    }
}
