//! The simulated X15 machine that both the C original and the Rust port run
//! on: physical frames, page descriptors, real x86_64 page tables in simulated
//! memory, the kmem slab model, anonymous objects, the console, the event
//! trace and the lockstep fault plan.
//!
//! One implementation, one instance per side: the C reaches it through thin C
//! services, the port through [`vm_rs::env::Environment`], which [`Machine`]
//! implements. Misuse by a caller (freeing a free frame, a kernel mapping
//! without page tables, ...) never panics: it is recorded as a
//! [`Violation`] for the invariant oracle.
//!
//! API CONTRACT (skeleton: bodies are being written; signatures are fixed).

pub use vm_rs::env::{CacheId, EmptySlab, ObjectId, PhysAddr, PmapId, SlabBackEnd, SlabTake};

/// The size of a page and of a frame, in bytes.
pub const PAGE_SIZE: u64 = 4096;

/// The kernel map's first address on every configuration. It is a host
/// address the C instance maps for real (the seed writes its kentry table
/// there): fixed, outside ASan's shadow and allocator ranges, not
/// ASLR-dependent.
pub const KERNEL_START: u64 = 0x2000_0000_0000;

/// What a machine looks like; the presets are what programs choose from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineConfig {
    /// Number of physical frames, frame 0 included (it is never handed out).
    pub frames: u32,
    /// `VM_MAX_KERNEL_ADDRESS - VM_MIN_KERNEL_ADDRESS`, page aligned.
    pub kernel_size_bytes: u64,
    /// Size of the boot space `[KERNEL_START, KERNEL_START + boot)`.
    pub boot_size_bytes: u64,
}

/// The nth calls (1-based, counted from the last reset) that fail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// `vm_phys_alloc` calls that return NULL.
    pub failing_phys_allocs: Vec<u32>,
    /// `kmem_cache_alloc` calls that return NULL without calling a back end.
    pub failing_cache_allocs: Vec<u32>,
}

/// `#[repr(C)]` page descriptor that the C side sees as `struct vm_page`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct VmPage {
    /// The frame's physical address.
    pub phys_addr: u64,
}
