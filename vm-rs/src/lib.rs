//! A Rust port of X15's virtual-memory map (`vm/vm_map.c`) and its kentry
//! allocator.
//!
//! The port knows nothing about fuzzing, C or the simulator: everything it
//! needs from the rest of the kernel comes through [`env::Environment`].
#![no_std]

extern crate alloc;

pub mod env;
pub mod error;

pub use error::Error;
