//! An executable specification of X15's virtual-memory map interface
//! (`vm/vm_map.h`) on x86_64.
//!
//! vm-diff compares X15's C `vm_map.c` with a Rust port, which can only
//! say "same as the C". This crate is a third side: a model of what the
//! interface *promises*, written from the interface's meaning rather than
//! from the C's code paths, so that it does not inherit the C's bugs.
//!
//! The harness keeps one [`Model`] per side. For every operation it calls
//! [`Model::step`] with the [`Request`] and the side's [`Answer`]; the
//! model checks the answer against the rules and applies it (adopting the
//! address a side chose where the placement is the implementation's). It
//! then feeds the side's observed state to [`Model::check_map`] (the
//! side's entries) and [`Model::check_page_table`] (its present leaves).
//! A broken promise comes back as a [`Broken`] naming a [`Rule`];
//! [`Model::classify`] names the precondition ([`Invalid`]) a request
//! breaks, if any.
//!
//! The model stores every map as coalesced ranges, so its cost is
//! O(ranges), never O(pages), and it compares descriptions independently
//! of how an implementation splits or merges its entries. No input makes it
//! panic.
//!
//! # Decisions
//!
//! Where X15's contract is silent, the model decides as a kernel needs:
//!
//! - **Presence implies read and execute.** x86_64 without NX cannot
//!   express write-only or execute-only pages: any present leaf allows
//!   read and execute, and only the RW bit is a right of its own. So a leaf
//!   on a page with protection none is wrong ([`Rule::PmapLeafNoAccess`]),
//!   and a leaf may be writable only with `VM_PROT_WRITE`
//!   ([`Rule::PmapLeafTooWide`]).
//! - **A faulted page has its mapping's protection.** A successful fault
//!   (and a kernel allocation) leaves a leaf that is writable when the
//!   protection has write ([`Rule::PmapLeafTooNarrow`]); otherwise every
//!   write would fault again.
//! - **Access 0 is not an access.** A fault needs a non-zero access within
//!   `VM_PROT_ALL` ([`Invalid::FaultAccessInvalid`]).
//! - **Null mappings never fault.** They are wired kernel memory with no
//!   object ([`Invalid::FaultNullMapping`]); faults never happen on the
//!   kernel map ([`Invalid::FaultKernelMap`]).
//! - **A fixed enter without room fails with `ERROR_NOMEM`**, the one
//!   code for "no room" ([`Rule::EnterFixedNoRoom`]); with room it must
//!   succeed, because X15 stops (panics) rather than fail when it cannot
//!   allocate a map entry ([`Rule::EnterFixedRoom`]).
//! - **A usable hint is used.** A non-fixed enter whose non-zero start
//!   names an aligned, unmapped range inside the map is placed exactly
//!   there ([`Rule::EnterHint`]); otherwise placement is the
//!   implementation's.
//! - **`ERROR_NOMEM` on a valid fault is resource exhaustion** (physical
//!   memory) and changes nothing ([`Rule::FaultAllowed`]).
//! - **A stop is always acceptable.** [`Answer::Stopped`] is X15 panicking
//!   on resource exhaustion; the model accepts it for any request and the
//!   harness ends the program.
//! - **Preconditions are refused, never served.** A request that breaks a
//!   precondition may be refused, fail with any error or stop, but not
//!   succeed ([`Rule::InvalidRequestRefused`]); a valid request may not be
//!   refused ([`Rule::ValidRequestAccepted`]).
//! - **A null mapping has no offset.** Entering one with a non-zero offset
//!   is invalid ([`Invalid::EnterOffsetWithoutObject`]), and null mappings
//!   are compared with their offsets ignored.
//! - **`VM_MAP_NOMERGE` is the kernel's.** X15 uses it for its own static
//!   entries; passing it to `vm_map_enter` is invalid
//!   ([`Invalid::EnterNoMerge`]).
//! - **The caller does not own kernel bookkeeping.** Removing a range of
//!   the kernel map that meets a static entry or a live kernel allocation is
//!   invalid ([`Invalid::RemoveKernelOwned`]).
//! - **Kernel allocations have `vm_kmem_alloc`'s attributes**: no object,
//!   all rights, not inherited, normal advice
//!   ([`KERNEL_ALLOCATION_ATTRIBUTES`]), and are present page by page.
//!   Allocations and releases are observations; a wrong one is a broken
//!   rule ([`Rule::KernelAllocation`], [`Rule::KernelRelease`]), not an
//!   invalid request.
//! - **A remove has no failure.** Removing a valid range answers done,
//!   mapped or not ([`Rule::RemoveDone`]).
//! - **Offsets wrap.** Object offsets advance with 64-bit wrapping
//!   arithmetic, like the C's unsigned arithmetic; both sides of every
//!   comparison are treated alike.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod attributes;
mod check_map;
mod classify;
mod enter;
mod fault;
mod invalid;
mod kernel;
mod mapping;
mod model;
mod page_table;
mod ranges;
mod request;
mod rule;
pub mod x15;

pub use attributes::{Attributes, EnterFlags, KERNEL_ALLOCATION_ATTRIBUTES};
pub use invalid::Invalid;
pub use mapping::{Coalesced, Malformed, Mapping};
pub use model::Model;
pub use page_table::Leaf;
pub use request::{Answer, KernelLayout, MapIndex, Request};
pub use rule::{Broken, Rule};
pub use x15::PAGE_SIZE;
