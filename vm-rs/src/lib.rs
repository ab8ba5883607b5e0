//! A Rust port of X15's virtual-memory map (`vm/vm_map.c`) and its kentry
//! allocator.
//!
//! The port knows nothing about fuzzing, C or the simulator: everything it
//! needs from the rest of the kernel comes through [`env::Environment`], and
//! it calls the environment exactly where and as the C does. [`Vm`] is the
//! whole state; its operations return a [`Failure`] where the C returns an
//! error code, fails an assertion ([`Precondition`], listed with the C's
//! expression text in [`PRECONDITIONS`]) or panics ([`Fatal`]). A Rust panic
//! in the port is a bug.
//!
//! The port reproduces each registered bug of the C behind a switch of
//! [`CBugs`]: [`CBugs::BUG_FOR_BUG`] is the C exactly (what the harness
//! compares), [`CBugs::FIXED`] (the default, [`Vm::setup`]) the port a
//! kernel would ship; [`Vm::setup_with`] chooses.
//!
//! The port assumes a 64-bit target, as the C (`unsigned long`, `size_t`)
//! does on x86_64.
#![no_std]

extern crate alloc;

pub mod advice;
mod arith;
mod c_bugs;
pub mod entry;
pub mod env;
pub mod error;
mod failure;
mod fatal;
mod fault;
mod footprint;
mod glue;
mod info;
pub mod inheritance;
mod insert;
pub mod kentry;
pub mod map;
pub mod map_flags;
mod precondition;
pub mod protection;
mod remove;
pub mod rewrite;
mod search;
pub mod state;
mod vm;

#[cfg(test)]
mod tests;

pub use advice::Advice;
pub use c_bugs::CBugs;
pub use entry::EntryStorage;
pub use error::Error;
pub use failure::{Failure, Undefined};
pub use fatal::Fatal;
pub use footprint::ReadFootprint;
pub use inheritance::Inheritance;
pub use map::MapInternals;
pub use map_flags::MapFlags;
pub use precondition::{Precondition, FIXED_PORT_PRECONDITIONS, FIXED_PORT_PREFIX, PRECONDITIONS};
pub use protection::Protection;
pub use rewrite::{MapRewrite, ReadDifference};
pub use state::{EntryState, KentryLink, KentrySlot, KentryState, MapState};
pub use vm::{Caches, MapId, Vm};

/// `PAGE_SIZE` on x86_64.
pub const PAGE_SIZE: u64 = 4096;
/// `VM_MAP_KENTRY_SIZE`: the bytes of slabs in the kentry area (8 MiB).
pub const VM_MAP_KENTRY_SIZE: u64 = 0x80_0000;
/// `VM_MIN_ADDRESS`: the start of every user map.
pub const VM_MIN_ADDRESS: u64 = 0;
/// `VM_MAX_ADDRESS`: the end of every user map.
pub const VM_MAX_ADDRESS: u64 = 0x0000_8000_0000_0000;
/// `sizeof(struct vm_map_entry)` on x86_64.
pub const ENTRY_SIZE_BYTES: usize = 80;
/// `sizeof(struct vm_map)` in the project's C headers.
pub const MAP_SIZE_BYTES: usize = 112;
