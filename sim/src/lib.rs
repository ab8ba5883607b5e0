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
//! # The model's policies
//!
//! - **Physical allocation order.** Frame 0 is never handed out. A
//!   `phys_alloc(0)` returns the most recently freed frame if any frame has
//!   been freed since reset (a LIFO stack), otherwise the lowest frame never
//!   handed out since reset (a watermark). Orders other than 0 always return
//!   `None`.
//! - **Boot state.** [`Machine::reset`] allocates the kernel pmap's root
//!   (frame 1) and grows the kernel tables over `[KERNEL_START,
//!   initial_klimit)` exactly as `pmap_kgrow` does; these allocations are not
//!   counted by the fault plan and the trace is cleared after them.
//! - **User pmaps** get a zeroed root of their own and do NOT copy the
//!   kernel's top-level entries: the simulated kernel range lies in the lower
//!   half, so sharing its entries would alias user space.
//! - **Trace.** Composite services (`pmap_kgrow`, `pmap_enter`,
//!   `pmap_create`, `kmem_populate`, `kmem_depopulate`, `pager_get`) record
//!   one event for themselves, followed by the events of their inner calls.
//!   `kernel_map_bounds` is not recorded (it stands for C constants, not a
//!   call, and takes `&self`).
//! - **Fault plan.** Every `phys_alloc` after reset counts, including those
//!   made inside composite services. A `kmem_cache_take` counts as a new
//!   slab allocation unless the previous kmem call for the same cache was a
//!   `kmem_cache_grow` (then it is the retry after a new slab, never failed).
//! - **Slabs.** A take prefers the partially used slab with the lowest
//!   address, then the empty slab with the lowest address, else asks for a
//!   slab. Free objects of a slab are LIFO, initially lowest address first.
//!   Reap detaches empty slabs by cache id, then slab address.
//! - **Reset** costs time proportional to what was touched: frame state up to
//!   the watermark, the page-table slots written, and cleared vectors. It
//!   also brings the machine's growing buffers back to a fixed capacity
//!   ([`reset_buffer`]), so that how a program's buffers grow (which a
//!   coverage-guided fuzzer sees as code paths) never depends on the
//!   programs before it.
//!
//! # Presets
//!
//! | preset | frames | kernel map | boot space | initial klimit |
//! |---|---|---|---|---|
//! | `normal` | 1024 (4 MiB) | 32 MiB | 1 MiB | `KERNEL_START` + 2 MiB |
//! | `tiny` | 40 | 8 MiB + 400 KiB | 64 KiB | `KERNEL_START` + 2 MiB |
//! | `scarce` | 24 | 32 MiB | 64 KiB | `KERNEL_START` + 2 MiB |
//!
//! In `tiny` the kernel map holds the boot space, the kentry area (8 MiB +
//! 16 KiB) and only 320 KiB more, so the default slab back end can exhaust
//! it; 40 frames leave about twenty pages after setup, so physical
//! exhaustion comes within a handful of faults or map creations.

mod event;
mod frames;
mod machine;
mod paging;
mod slab;

pub use event::{Event, EventKind, Violation, ViolationKind};
pub use machine::{Machine, SlabInfo};
pub use paging::{TableEntry, PTE_ADDRESS_MASK};
/// Empties `buffer` and gives it exactly `capacity` (when it had more, or
/// at least that when it had less): what [`Machine::reset`] does to the
/// machine's vectors. Growth past `capacity` during a program then takes
/// the same allocations whatever ran before; `capacity` is chosen to cover
/// typical programs, so that a reset rarely reallocates. The harness
/// does the same to its own buffers between fuzzer inputs.
pub fn reset_buffer<T>(buffer: &mut Vec<T>, capacity: usize) {
    buffer.clear();
    buffer.shrink_to(capacity);
    buffer.reserve_exact(capacity);
}

pub use vm_rs::env::{
    CacheId, CacheSpec, EmptySlab, ObjectId, PhysAddr, PmapId, SlabBackEnd, SlabTake,
};

/// The size of a page and of a frame, in bytes: the port's `PAGE_SIZE`,
/// stated once for every crate but the specification.
pub use vm_rs::PAGE_SIZE;

/// The kernel map's first address on every configuration. It is a host
/// address the C instance maps for real (the seed writes its kentry table
/// there): fixed, outside ASan's shadow and allocator ranges, not
/// ASLR-dependent.
pub const KERNEL_START: u64 = 0x2000_0000_0000;

/// The largest `kernel_size_bytes` of any preset: the C instance reserves
/// this much host memory at [`KERNEL_START`] once.
pub const MAX_KERNEL_SIZE_BYTES: u64 = 32 << 20;

/// The granule of `pmap_kgrow`: one level-1 table covers 2 MiB.
const KGROW_GRANULE_BYTES: u64 = 2 << 20;

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

impl MachineConfig {
    /// A total order of configurations (frames, then the kernel map's
    /// size, then the boot space's), for keeping machines sorted.
    pub fn order_key(&self) -> (u32, u64, u64) {
        (self.frames, self.kernel_size_bytes, self.boot_size_bytes)
    }

    /// The everyday machine: 1024 frames, a 32 MiB kernel map, 1 MiB boot space.
    pub fn normal() -> Self {
        MachineConfig {
            frames: 1024,
            kernel_size_bytes: MAX_KERNEL_SIZE_BYTES,
            boot_size_bytes: 1 << 20,
        }
    }

    /// The exhaustion machine: 40 frames and a kernel map only 320 KiB larger
    /// than the boot space plus the kentry area.
    pub fn tiny() -> Self {
        let boot_size_bytes = 64 << 10;
        let kentry_area_bytes = (8 << 20) + (16 << 10);
        MachineConfig {
            frames: 40,
            kernel_size_bytes: boot_size_bytes + kentry_area_bytes + (64 << 10) + (256 << 10),
            boot_size_bytes,
        }
    }

    /// The scarce machine: the normal kernel map and 64 KiB of boot space,
    /// but only 24 frames, so that kentry slabs, entry-cache slabs and page
    /// tables run out of physical pages while the kernel map still has room.
    pub fn scarce() -> Self {
        MachineConfig {
            frames: 24,
            kernel_size_bytes: MAX_KERNEL_SIZE_BYTES,
            boot_size_bytes: 64 << 10,
        }
    }

    /// `VM_MAX_KERNEL_ADDRESS`: the kernel map's end.
    pub fn kernel_end(&self) -> u64 {
        KERNEL_START + self.kernel_size_bytes
    }

    /// `vm_kmem_boot_space`: `(KERNEL_START, KERNEL_START + boot_size_bytes)`.
    pub fn boot_space(&self) -> (u64, u64) {
        (KERNEL_START, KERNEL_START + self.boot_size_bytes)
    }

    /// The kernel page-table limit at boot: the first 2 MiB boundary strictly
    /// above the boot space's end.
    pub fn initial_klimit(&self) -> u64 {
        kgrow_limit(self.boot_space().1)
    }
}

/// The first 2 MiB boundary strictly above `end` (X15's `P2END`), wrapping
/// to 0 past the top of the address space.
pub(crate) fn kgrow_limit(end: u64) -> u64 {
    (!end & KGROW_GRANULE_BYTES.wrapping_neg()).wrapping_neg()
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

#[cfg(test)]
mod tests;
