//! The environment the port runs in: every X15 service that `vm_map.c` calls
//! outside itself, as one trait.
//!
//! Each method stands for exactly one service call of the C original (or, for
//! the slab caches, one step of it that both sides take in the same order), so
//! that a simulated machine implementing this trait records the same event
//! trace for the port as for the C. Methods report failure through their
//! return values; an implementation never panics on behalf of the port.

use crate::error::Error;

/// A physical address. Address 0 is never handed out and means "none".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhysAddr(pub u64);

/// A physical map (page-table root). `PmapId::KERNEL` is the kernel pmap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PmapId(pub u32);

impl PmapId {
    /// The kernel's physical map, which exists from boot.
    pub const KERNEL: PmapId = PmapId(0);
}

/// A slab cache, numbered in the order `kmem_cache_init` created it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CacheId(pub u32);

/// A memory object (X15's `struct vm_object`), numbered in creation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId(pub u32);

/// Which back end supplies a slab cache's slabs when it needs a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlabBackEnd {
    /// The caller's kentry allocator (`vm_map_kentry_alloc` / `_free`).
    Kentry,
    /// The default back end, `vm_kmem_alloc` / `vm_kmem_free`: a null
    /// mapping in the kernel map, populated by `kmem_populate`.
    Default,
}

/// A slab cache as `kmem_cache_init(cache, name, obj_size, align, NULL,
/// alloc, free, flags)` creates it: vm_map.c never passes a constructor, and
/// the slab functions come down to which back end supplies the slabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSpec<'a> {
    /// The cache's name.
    pub name: &'a str,
    /// Object size in bytes.
    pub obj_size_bytes: usize,
    /// Requested alignment in bytes (0: the default).
    pub align_bytes: usize,
    /// `KMEM_CACHE_*` flags.
    pub flags: u32,
    /// Who supplies the cache's slabs.
    pub back_end: SlabBackEnd,
}

impl<'a> CacheSpec<'a> {
    /// A cache of `obj_size_bytes` objects, the arguments in
    /// `kmem_cache_init`'s order.
    pub const fn new(
        name: &'a str,
        obj_size_bytes: usize,
        align_bytes: usize,
        flags: u32,
        back_end: SlabBackEnd,
    ) -> CacheSpec<'a> {
        CacheSpec {
            name,
            obj_size_bytes,
            align_bytes,
            flags,
            back_end,
        }
    }
}

/// The answer of a slab cache to a request for one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlabTake {
    /// A free object at this kernel virtual address.
    Object(u64),
    /// No free object: the caller must obtain a slab of this many bytes from
    /// the named back end and hand it over with `kmem_cache_grow`, then ask
    /// again; if the back end fails, the allocation returns NULL.
    NeedSlab {
        /// The cache's slab size in bytes (`kmem_cache_slab_size`).
        slab_size_bytes: usize,
        /// The back end the cache was created with, so that the kernel glue
        /// of both sides follows the machine's answer instead of deciding
        /// by itself which back end a cache has.
        back_end: SlabBackEnd,
    },
    /// The fault plan makes this allocation fail: `kmem_cache_alloc`
    /// returns NULL without calling the back end.
    Failed,
}

/// An empty slab handed back by a reap, to be returned to its back end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmptySlab {
    /// The cache the slab belonged to.
    pub cache: CacheId,
    /// The slab's kernel virtual address.
    pub va: u64,
    /// The slab's size in bytes.
    pub size_bytes: usize,
    /// The back end the slab goes back to (its cache's).
    pub back_end: SlabBackEnd,
}

/// A physical page could not be found for a page table (`pmap_kgrow`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoPageForPageTable;

/// Everything `vm_map.c` needs from the rest of the kernel.
///
/// The protection arguments are X15's packed `VM_PROT_*` bits (read 1,
/// write 2, execute 4).
pub trait Environment {
    /// `VM_MIN_KERNEL_ADDRESS` and `VM_MAX_KERNEL_ADDRESS` of this machine.
    fn kernel_map_bounds(&self) -> (u64, u64);
    /// `vm_kmem_boot_space`: the kernel range in use before the VM system.
    fn boot_space(&mut self) -> (u64, u64);

    /// `vm_phys_alloc(order)`: 2^order contiguous pages, or `None`.
    fn phys_alloc(&mut self, order: u32) -> Option<PhysAddr>;
    /// `vm_phys_free(page, order)`.
    fn phys_free(&mut self, pa: PhysAddr, order: u32);
    /// `vm_phys_lookup_page(pa)`: whether a page descriptor exists for `pa`
    /// (the descriptor is identified by its address).
    fn phys_lookup(&mut self, pa: PhysAddr) -> Option<PhysAddr>;

    /// `pmap_kenter(va, pa, prot)`: a kernel leaf mapping.
    fn pmap_kenter(&mut self, va: u64, pa: PhysAddr, prot: u32);
    /// `pmap_kremove(start, end)`: clear kernel leaves.
    fn pmap_kremove(&mut self, start: u64, end: u64);
    /// `pmap_kgrow(end)`: page tables for the kernel up to past `end`.
    fn pmap_kgrow(&mut self, end: u64) -> Result<(), NoPageForPageTable>;
    /// `pmap_klimit()`: the end of the kernel range page tables cover.
    fn pmap_klimit(&mut self) -> u64;
    /// `pmap_enter(pmap, va, pa, prot)`.
    fn pmap_enter(&mut self, pmap: PmapId, va: u64, pa: PhysAddr, prot: u32) -> Result<(), Error>;
    /// `pmap_extract(pmap, va)`: the physical address mapped at `va`, or 0.
    fn pmap_extract(&mut self, pmap: PmapId, va: u64) -> PhysAddr;
    /// `pmap_remove(pmap, start, end)`: clear the leaves of `[start, end)`
    /// in `pmap` (page tables stay). X15's interface has no such call and
    /// the C never makes it; only the fixed port's remove does
    /// ([`crate::CBugs::remove_leaves_pages_present`]).
    fn pmap_remove(&mut self, pmap: PmapId, start: u64, end: u64);
    /// `pmap_update(pmap, start, end)`: a TLB flush; only recorded.
    fn pmap_update(&mut self, pmap: PmapId, start: u64, end: u64);
    /// `pmap_create(&pmap)`.
    fn pmap_create(&mut self) -> Result<PmapId, Error>;

    /// `kmem_cache_init(cache, name, obj_size, align, NULL, alloc, free, flags)`.
    fn kmem_cache_init(&mut self, spec: CacheSpec<'_>) -> CacheId;
    /// `kmem_cache_slab_size(cache)`.
    fn kmem_cache_slab_size(&mut self, cache: CacheId) -> usize;
    /// One step of `kmem_cache_alloc(cache)`; see [`SlabTake`].
    fn kmem_cache_take(&mut self, cache: CacheId) -> SlabTake;
    /// Hands a new slab from the back end to `cache` (inside `kmem_cache_alloc`).
    fn kmem_cache_grow(&mut self, cache: CacheId, slab_va: u64);
    /// `kmem_cache_free(cache, obj)`.
    fn kmem_cache_free(&mut self, cache: CacheId, object_va: u64);
    /// One step of a reap: detaches the next empty slab, if any.
    fn kmem_reap_next(&mut self) -> Option<EmptySlab>;
    /// The page part of `vm_kmem_alloc`: a physical page and a read/write
    /// kernel mapping for each page of `[va, va + size)`, then `pmap_update`.
    /// On a missing page it undoes its own work and returns `false`; the
    /// caller then removes the range from the kernel map.
    fn kmem_populate(&mut self, va: u64, size_bytes: usize) -> bool;
    /// The page part of `vm_kmem_free`: frees the mapped pages of the range,
    /// `pmap_kremove`s and `pmap_update`s it. The caller then removes the
    /// range from the kernel map.
    fn kmem_depopulate(&mut self, va: u64, size_bytes: usize);

    /// `vm_object_get(object, offset)`: the cached page, or `None`.
    fn object_get(&mut self, object: ObjectId, offset: u64) -> Option<PhysAddr>;
    /// `object->pager->get(object, offset, &page)`.
    fn pager_get(&mut self, object: ObjectId, offset: u64) -> Result<PhysAddr, Error>;

    /// `printk`: text for the console.
    fn console(&mut self, text: &str);
}
