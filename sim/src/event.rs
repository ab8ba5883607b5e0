//! What the machine records: one [`Event`] per service call (the trace both
//! sides must agree on) and one [`Violation`] per misuse of the machine.
//!
//! Nothing here fails; both types only describe what happened. Their
//! `Display` forms are single deterministic lines with addresses in hex, so
//! that reports read the same on every run and every host.

use core::fmt;

use vm_rs::env::{
    CacheId, EmptySlab, NoPageForPageTable, ObjectId, PhysAddr, PmapId, SlabBackEnd, SlabTake,
};
use vm_rs::Error;

/// One call into the machine, with its arguments and its result.
///
/// Composite services (`pmap_kgrow`, `pmap_enter`, `pmap_create`,
/// `kmem_populate`, `kmem_depopulate`, `pager_get`) record one event for the
/// call itself, followed by the events of the calls they make internally
/// (their `phys_alloc`, `pmap_kenter`, ...), so that the C and Rust sides
/// produce the same trace whichever layer makes the inner calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `vm_kmem_boot_space`.
    BootSpace {
        /// First address of the boot space.
        start: u64,
        /// End (exclusive) of the boot space.
        end: u64,
    },
    /// `vm_phys_alloc(order)`.
    PhysAlloc {
        /// log2 of the number of pages asked for.
        order: u32,
        /// The first frame's address, or `None` (NULL).
        result: Option<PhysAddr>,
    },
    /// `vm_phys_free(page, order)`.
    PhysFree {
        /// The freed page's physical address.
        pa: PhysAddr,
        /// log2 of the number of pages.
        order: u32,
    },
    /// `vm_phys_lookup_page(pa)`.
    PhysLookup {
        /// The address looked up.
        pa: PhysAddr,
        /// The frame holding it, or `None` when it is not memory.
        result: Option<PhysAddr>,
    },
    /// `pmap_kenter(va, pa, prot)`.
    PmapKenter {
        /// Kernel virtual address.
        va: u64,
        /// Physical address mapped there.
        pa: PhysAddr,
        /// `VM_PROT_*` bits.
        prot: u32,
    },
    /// `pmap_kremove(start, end)`.
    PmapKremove {
        /// First address.
        start: u64,
        /// End (exclusive).
        end: u64,
    },
    /// `pmap_kgrow(end)`.
    PmapKgrow {
        /// The address the kernel tables must cover.
        end: u64,
        /// Whether every table could be allocated.
        result: Result<(), NoPageForPageTable>,
    },
    /// `pmap_klimit()`.
    PmapKlimit {
        /// The current limit.
        result: u64,
    },
    /// `pmap_enter(pmap, va, pa, prot)`.
    PmapEnter {
        /// The physical map.
        pmap: PmapId,
        /// Virtual address.
        va: u64,
        /// Physical address.
        pa: PhysAddr,
        /// `VM_PROT_*` bits.
        prot: u32,
        /// Success or `ERROR_NOMEM`.
        result: Result<(), Error>,
    },
    /// `pmap_extract(pmap, va)`.
    PmapExtract {
        /// The physical map.
        pmap: PmapId,
        /// Virtual address.
        va: u64,
        /// The mapped physical address, or 0.
        result: PhysAddr,
    },
    /// `pmap_remove(pmap, start, end)`: only the fixed port calls it (X15's
    /// interface has no such call).
    PmapRemove {
        /// The physical map.
        pmap: PmapId,
        /// First address.
        start: u64,
        /// End (exclusive).
        end: u64,
    },
    /// `pmap_update(pmap, start, end)`.
    PmapUpdate {
        /// The physical map.
        pmap: PmapId,
        /// First address.
        start: u64,
        /// End (exclusive).
        end: u64,
    },
    /// `pmap_create(&pmap)`.
    PmapCreate {
        /// The new pmap or the error.
        result: Result<PmapId, Error>,
    },
    /// `kmem_cache_init(...)`.
    KmemCacheInit {
        /// The cache's name.
        name: String,
        /// Object size in bytes.
        obj_size_bytes: usize,
        /// Requested alignment in bytes.
        align_bytes: usize,
        /// `KMEM_CACHE_*` flags.
        flags: u32,
        /// Where its slabs come from.
        back_end: SlabBackEnd,
        /// The id given to the cache.
        result: CacheId,
    },
    /// `kmem_cache_slab_size(cache)`.
    KmemCacheSlabSize {
        /// The cache.
        cache: CacheId,
        /// Its slab size in bytes.
        result: usize,
    },
    /// One step of `kmem_cache_alloc(cache)`.
    KmemCacheTake {
        /// The cache.
        cache: CacheId,
        /// What the cache answered.
        result: SlabTake,
    },
    /// A new slab handed to a cache.
    KmemCacheGrow {
        /// The cache.
        cache: CacheId,
        /// The slab's kernel virtual address.
        slab_va: u64,
    },
    /// `kmem_cache_free(cache, obj)`.
    KmemCacheFree {
        /// The cache.
        cache: CacheId,
        /// The object's kernel virtual address.
        object_va: u64,
    },
    /// One step of a reap.
    KmemReapNext {
        /// The detached empty slab, if any.
        result: Option<EmptySlab>,
    },
    /// The page part of `vm_kmem_alloc`.
    KmemPopulate {
        /// First address.
        va: u64,
        /// Size in bytes.
        size_bytes: usize,
        /// Whether every page was found.
        result: bool,
    },
    /// The page part of `vm_kmem_free`.
    KmemDepopulate {
        /// First address.
        va: u64,
        /// Size in bytes.
        size_bytes: usize,
    },
    /// A new anonymous object (a harness operation).
    ObjectCreate {
        /// The id given to the object.
        result: ObjectId,
    },
    /// `vm_object_get(object, offset)`.
    ObjectGet {
        /// The object.
        object: ObjectId,
        /// Offset in bytes.
        offset: u64,
        /// The cached page, if any.
        result: Option<PhysAddr>,
    },
    /// `object->pager->get(object, offset, &page)`.
    PagerGet {
        /// The object.
        object: ObjectId,
        /// Offset in bytes.
        offset: u64,
        /// The new page or the error.
        result: Result<PhysAddr, Error>,
    },
    /// `printk` text.
    Console {
        /// The text, as printed.
        text: String,
    },
}

/// Which service an [`Event`] records, without its arguments and result.
///
/// Its [`EventKind::name`] is the service's name as the event's `Display`
/// form begins (`phys_alloc`); the names are stable, since divergence
/// signatures (`trace:phys_alloc`) carry them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// [`Event::BootSpace`].
    BootSpace,
    /// [`Event::PhysAlloc`].
    PhysAlloc,
    /// [`Event::PhysFree`].
    PhysFree,
    /// [`Event::PhysLookup`].
    PhysLookup,
    /// [`Event::PmapKenter`].
    PmapKenter,
    /// [`Event::PmapKremove`].
    PmapKremove,
    /// [`Event::PmapKgrow`].
    PmapKgrow,
    /// [`Event::PmapKlimit`].
    PmapKlimit,
    /// [`Event::PmapEnter`].
    PmapEnter,
    /// [`Event::PmapExtract`].
    PmapExtract,
    /// [`Event::PmapRemove`].
    PmapRemove,
    /// [`Event::PmapUpdate`].
    PmapUpdate,
    /// [`Event::PmapCreate`].
    PmapCreate,
    /// [`Event::KmemCacheInit`].
    KmemCacheInit,
    /// [`Event::KmemCacheSlabSize`].
    KmemCacheSlabSize,
    /// [`Event::KmemCacheTake`].
    KmemCacheTake,
    /// [`Event::KmemCacheGrow`].
    KmemCacheGrow,
    /// [`Event::KmemCacheFree`].
    KmemCacheFree,
    /// [`Event::KmemReapNext`].
    KmemReapNext,
    /// [`Event::KmemPopulate`].
    KmemPopulate,
    /// [`Event::KmemDepopulate`].
    KmemDepopulate,
    /// [`Event::ObjectCreate`].
    ObjectCreate,
    /// [`Event::ObjectGet`].
    ObjectGet,
    /// [`Event::PagerGet`].
    PagerGet,
    /// [`Event::Console`].
    Console,
}

impl EventKind {
    /// Every kind, in the order of [`Event`]'s variants.
    pub const ALL: [EventKind; 25] = [
        EventKind::BootSpace,
        EventKind::PhysAlloc,
        EventKind::PhysFree,
        EventKind::PhysLookup,
        EventKind::PmapKenter,
        EventKind::PmapKremove,
        EventKind::PmapKgrow,
        EventKind::PmapKlimit,
        EventKind::PmapEnter,
        EventKind::PmapExtract,
        EventKind::PmapRemove,
        EventKind::PmapUpdate,
        EventKind::PmapCreate,
        EventKind::KmemCacheInit,
        EventKind::KmemCacheSlabSize,
        EventKind::KmemCacheTake,
        EventKind::KmemCacheGrow,
        EventKind::KmemCacheFree,
        EventKind::KmemReapNext,
        EventKind::KmemPopulate,
        EventKind::KmemDepopulate,
        EventKind::ObjectCreate,
        EventKind::ObjectGet,
        EventKind::PagerGet,
        EventKind::Console,
    ];

    /// The service's name (`phys_alloc`, `kmem_cache_free`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            EventKind::BootSpace => "boot_space",
            EventKind::PhysAlloc => "phys_alloc",
            EventKind::PhysFree => "phys_free",
            EventKind::PhysLookup => "phys_lookup",
            EventKind::PmapKenter => "pmap_kenter",
            EventKind::PmapKremove => "pmap_kremove",
            EventKind::PmapKgrow => "pmap_kgrow",
            EventKind::PmapKlimit => "pmap_klimit",
            EventKind::PmapEnter => "pmap_enter",
            EventKind::PmapExtract => "pmap_extract",
            EventKind::PmapRemove => "pmap_remove",
            EventKind::PmapUpdate => "pmap_update",
            EventKind::PmapCreate => "pmap_create",
            EventKind::KmemCacheInit => "kmem_cache_init",
            EventKind::KmemCacheSlabSize => "kmem_cache_slab_size",
            EventKind::KmemCacheTake => "kmem_cache_take",
            EventKind::KmemCacheGrow => "kmem_cache_grow",
            EventKind::KmemCacheFree => "kmem_cache_free",
            EventKind::KmemReapNext => "kmem_reap_next",
            EventKind::KmemPopulate => "kmem_populate",
            EventKind::KmemDepopulate => "kmem_depopulate",
            EventKind::ObjectCreate => "object_create",
            EventKind::ObjectGet => "object_get",
            EventKind::PagerGet => "pager_get",
            EventKind::Console => "console",
        }
    }

    /// The kind with this [`EventKind::name`], if any.
    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Event {
    /// Which service this event records.
    pub const fn kind(&self) -> EventKind {
        match self {
            Event::BootSpace { .. } => EventKind::BootSpace,
            Event::PhysAlloc { .. } => EventKind::PhysAlloc,
            Event::PhysFree { .. } => EventKind::PhysFree,
            Event::PhysLookup { .. } => EventKind::PhysLookup,
            Event::PmapKenter { .. } => EventKind::PmapKenter,
            Event::PmapKremove { .. } => EventKind::PmapKremove,
            Event::PmapKgrow { .. } => EventKind::PmapKgrow,
            Event::PmapKlimit { .. } => EventKind::PmapKlimit,
            Event::PmapEnter { .. } => EventKind::PmapEnter,
            Event::PmapExtract { .. } => EventKind::PmapExtract,
            Event::PmapRemove { .. } => EventKind::PmapRemove,
            Event::PmapUpdate { .. } => EventKind::PmapUpdate,
            Event::PmapCreate { .. } => EventKind::PmapCreate,
            Event::KmemCacheInit { .. } => EventKind::KmemCacheInit,
            Event::KmemCacheSlabSize { .. } => EventKind::KmemCacheSlabSize,
            Event::KmemCacheTake { .. } => EventKind::KmemCacheTake,
            Event::KmemCacheGrow { .. } => EventKind::KmemCacheGrow,
            Event::KmemCacheFree { .. } => EventKind::KmemCacheFree,
            Event::KmemReapNext { .. } => EventKind::KmemReapNext,
            Event::KmemPopulate { .. } => EventKind::KmemPopulate,
            Event::KmemDepopulate { .. } => EventKind::KmemDepopulate,
            Event::ObjectCreate { .. } => EventKind::ObjectCreate,
            Event::ObjectGet { .. } => EventKind::ObjectGet,
            Event::PagerGet { .. } => EventKind::PagerGet,
            Event::Console { .. } => EventKind::Console,
        }
    }
}

/// Writes an optional physical address as hex or `NULL`.
struct OptionalAddress(Option<PhysAddr>);

impl fmt::Display for OptionalAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(pa) => write!(f, "{:#x}", pa.0),
            None => f.write_str("NULL"),
        }
    }
}

/// Writes a slab-take answer. The back end a slab is asked of is left out
/// (here and in a reaped slab): the cache's `kmem_cache_init` event names it
/// already, and it never differs from that.
struct TakeAnswer(SlabTake);

impl fmt::Display for TakeAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            SlabTake::Object(va) => write!(f, "object {va:#x}"),
            SlabTake::NeedSlab {
                slab_size_bytes, ..
            } => {
                write!(f, "need slab of {slab_size_bytes:#x} bytes")
            }
            SlabTake::Failed => f.write_str("failed (fault plan)"),
        }
    }
}

/// Writes an X15 error result as `0` or `ERROR_...`.
struct ErrorResult(Result<(), Error>);

impl fmt::Display for ErrorResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Ok(()) => f.write_str("0"),
            Err(error) => write!(f, "{}", error.name()),
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind().name())?;
        match self {
            Event::BootSpace { start, end } => write!(f, "() -> {start:#x}-{end:#x}"),
            Event::PhysAlloc { order, result } => {
                write!(f, "(order={order}) -> {}", OptionalAddress(*result))
            }
            Event::PhysFree { pa, order } => write!(f, "({:#x}, order={order})", pa.0),
            Event::PhysLookup { pa, result } => {
                write!(f, "({:#x}) -> {}", pa.0, OptionalAddress(*result))
            }
            Event::PmapKenter { va, pa, prot } => {
                write!(f, "({va:#x}, {:#x}, prot={prot:#x})", pa.0)
            }
            Event::PmapKremove { start, end } => write!(f, "({start:#x}, {end:#x})"),
            Event::PmapKgrow { end, result } => match result {
                Ok(()) => write!(f, "({end:#x}) -> ok"),
                Err(_) => write!(f, "({end:#x}) -> no page for page table"),
            },
            Event::PmapKlimit { result } => write!(f, "() -> {result:#x}"),
            Event::PmapEnter { pmap, va, pa, prot, result } => write!(
                f,
                "(pmap={}, {va:#x}, {:#x}, prot={prot:#x}) -> {}",
                pmap.0,
                pa.0,
                ErrorResult(*result)
            ),
            Event::PmapExtract { pmap, va, result } => {
                write!(f, "(pmap={}, {va:#x}) -> {:#x}", pmap.0, result.0)
            }
            Event::PmapRemove { pmap, start, end } | Event::PmapUpdate { pmap, start, end } => {
                write!(f, "(pmap={}, {start:#x}, {end:#x})", pmap.0)
            }
            Event::PmapCreate { result } => match result {
                Ok(pmap) => write!(f, "() -> pmap={}", pmap.0),
                Err(error) => write!(f, "() -> {}", error.name()),
            },
            Event::KmemCacheInit { name, obj_size_bytes, align_bytes, flags, back_end, result } => write!(
                f,
                "({name:?}, size={obj_size_bytes}, align={align_bytes}, flags={flags:#x}, {back_end:?}) -> cache={}",
                result.0
            ),
            Event::KmemCacheSlabSize { cache, result } => {
                write!(f, "(cache={}) -> {result:#x}", cache.0)
            }
            Event::KmemCacheTake { cache, result } => {
                write!(f, "(cache={}) -> {}", cache.0, TakeAnswer(*result))
            }
            Event::KmemCacheGrow { cache, slab_va } => {
                write!(f, "(cache={}, {slab_va:#x})", cache.0)
            }
            Event::KmemCacheFree { cache, object_va } => {
                write!(f, "(cache={}, {object_va:#x})", cache.0)
            }
            Event::KmemReapNext { result } => match result {
                Some(slab) => write!(
                    f,
                    "() -> cache={} {:#x} size={:#x}",
                    slab.cache.0, slab.va, slab.size_bytes
                ),
                None => f.write_str("() -> none"),
            },
            Event::KmemPopulate { va, size_bytes, result } => {
                write!(f, "({va:#x}, {size_bytes:#x}) -> {result}")
            }
            Event::KmemDepopulate { va, size_bytes } => {
                write!(f, "({va:#x}, {size_bytes:#x})")
            }
            Event::ObjectCreate { result } => write!(f, "() -> object={}", result.0),
            Event::ObjectGet { object, offset, result } => write!(
                f,
                "(object={}, {offset:#x}) -> {}",
                object.0,
                OptionalAddress(*result)
            ),
            Event::PagerGet { object, offset, result } => match result {
                Ok(pa) => write!(f, "(object={}, {offset:#x}) -> {:#x}", object.0, pa.0),
                Err(error) => write!(
                    f,
                    "(object={}, {offset:#x}) -> {}",
                    object.0,
                    error.name()
                ),
            },
            Event::Console { text } => write!(f, "({text:?})"),
        }
    }
}

/// A misuse of the machine by one of the sides. The machine never panics on
/// misuse; it records one of these and carries on as documented per kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Index in the trace of the event during which the misuse happened.
    pub event_index: usize,
    /// What was wrong.
    pub kind: ViolationKind,
}

/// The kinds of misuse the machine recognises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViolationKind {
    /// `phys_free` of a frame that is not allocated.
    FreeOfFreeFrame {
        /// The address freed.
        pa: PhysAddr,
    },
    /// `phys_free` of an address that is not a frame (unaligned, frame 0, or
    /// past the end of memory).
    FreeOfNonFrame {
        /// The address freed.
        pa: PhysAddr,
    },
    /// `phys_free` of a frame that holds a page table (the frame stays in use).
    FreeOfPageTable {
        /// The address freed.
        pa: PhysAddr,
    },
    /// `phys_free` with an order the machine never hands out.
    FreeWithUnsupportedOrder {
        /// The address freed.
        pa: PhysAddr,
        /// The order given.
        order: u32,
    },
    /// `pmap_kenter` where an intermediate table is missing (no mapping made).
    KenterWithoutTable {
        /// The virtual address.
        va: u64,
    },
    /// A virtual address outside the lower canonical half (no effect).
    NonCanonicalAddress {
        /// The virtual address.
        va: u64,
    },
    /// An address that must be page aligned is not (no effect).
    MisalignedAddress {
        /// The address.
        addr: u64,
    },
    /// A pmap id the machine never created.
    UnknownPmap {
        /// The id.
        pmap: PmapId,
    },
    /// A cache id the machine never created.
    UnknownCache {
        /// The id.
        cache: CacheId,
    },
    /// An object id the machine never created.
    UnknownObject {
        /// The id.
        object: ObjectId,
    },
    /// `kmem_cache_free` of an address that is not an allocated object of
    /// that cache.
    CacheFreeOfNonObject {
        /// The cache.
        cache: CacheId,
        /// The address freed.
        va: u64,
    },
    /// `kmem_cache_grow` with a slab that is misaligned or overlaps a slab
    /// of any cache (the slab is not added).
    BadSlab {
        /// The cache.
        cache: CacheId,
        /// The slab address given.
        va: u64,
    },
    /// `pager_get` at an offset whose page is already cached (the new page
    /// replaces it; the old one stays allocated).
    PagerGetOfCachedPage {
        /// The object.
        object: ObjectId,
        /// The offset.
        offset: u64,
    },
    /// `pmap_kgrow` past the lower canonical half (nothing grows).
    KgrowOutOfRange {
        /// The end asked for.
        end: u64,
    },
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViolationKind::FreeOfFreeFrame { pa } => write!(f, "free of a free frame {:#x}", pa.0),
            ViolationKind::FreeOfNonFrame { pa } => write!(f, "free of a non-frame {:#x}", pa.0),
            ViolationKind::FreeOfPageTable { pa } => {
                write!(f, "free of a frame holding a page table {:#x}", pa.0)
            }
            ViolationKind::FreeWithUnsupportedOrder { pa, order } => {
                write!(f, "free of {:#x} with unsupported order {order}", pa.0)
            }
            ViolationKind::KenterWithoutTable { va } => {
                write!(f, "pmap_kenter at {va:#x} without page tables")
            }
            ViolationKind::NonCanonicalAddress { va } => {
                write!(f, "address {va:#x} outside the lower canonical half")
            }
            ViolationKind::MisalignedAddress { addr } => write!(f, "misaligned address {addr:#x}"),
            ViolationKind::UnknownPmap { pmap } => write!(f, "unknown pmap {}", pmap.0),
            ViolationKind::UnknownCache { cache } => write!(f, "unknown cache {}", cache.0),
            ViolationKind::UnknownObject { object } => write!(f, "unknown object {}", object.0),
            ViolationKind::CacheFreeOfNonObject { cache, va } => {
                write!(
                    f,
                    "cache {} free of {va:#x}, not an allocated object",
                    cache.0
                )
            }
            ViolationKind::BadSlab { cache, va } => {
                write!(
                    f,
                    "cache {} grown with a misaligned or overlapping slab {va:#x}",
                    cache.0
                )
            }
            ViolationKind::PagerGetOfCachedPage { object, offset } => {
                write!(
                    f,
                    "pager_get of object {} at cached offset {offset:#x}",
                    object.0
                )
            }
            ViolationKind::KgrowOutOfRange { end } => {
                write!(f, "pmap_kgrow({end:#x}) out of range")
            }
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at event {}: {}", self.event_index, self.kind)
    }
}
