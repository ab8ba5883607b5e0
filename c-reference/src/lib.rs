//! The C reference: X15's `vm/vm_map.c`, compiled exactly as written (the
//! seed, `x15/vm/vm_map.c`), with X15 headers and thin kernel services
//! written here, running on a [`sim::Machine`], behind a safe Rust API.
//!
//! - `x15/` holds the headers the seed includes, written from the documented
//!   X15 semantics, and the red-black tree; `csrc/` the services (each
//!   forwarding to one [`vm_rs::env::Environment`] call of the machine, via
//!   the `extern "C"` functions of this crate) and the entry layer.
//! - Panics and failed assertions inside vm_map.c jump back (through C
//!   frames only) to the entry layer and come back as
//!   [`Outcome::Panicked`] with the C's message (`assertion failed:
//!   <expression>` for assertions); the instance is then dead and refuses
//!   every operation ([`Refusal::Dead`]) until [`CReference::reset`].
//! - vm_map.c has global state, so there is one C instance per process,
//!   behind a lock: a [`CReference`] holds it for its whole life.
//! - The kernel map lives at [`sim::KERNEL_START`] in real host memory,
//!   reserved once per process ([`host_memory`]), because the seed
//!   dereferences kernel addresses.
//!
//! Maps are named by [`MapHandle`]s (0 is the kernel map, then user maps in
//! creation order) and objects by the machine's [`sim::ObjectId`]s.

mod freed_check;
pub mod host_memory;
mod outcome;
mod reference;
mod services;
mod snapshot;

pub use outcome::{Outcome, Refusal};
pub use reference::{CReference, MapHandle};

/// Table bounds of the entry layer: user maps per set-up.
pub const MAX_USER_MAPS: u32 = bindings::CREF_MAX_USER_MAPS;
/// Table bounds of the entry layer: objects per set-up.
pub const MAX_OBJECTS: u32 = bindings::CREF_MAX_OBJECTS;

/// The panic message of an operation whose list walks went past the budget
/// set with [`CReference::set_list_step_budget`].
pub const LIST_BUDGET_MESSAGE: &str = "cref: a list walk took more steps than its budget";

#[cfg(test)]
mod tests {
    #[test]
    fn the_list_budget_message_is_the_headers() {
        let header = bindings::CREF_LIST_BUDGET_MESSAGE;
        assert_eq!(
            &header[..header.len() - 1],
            super::LIST_BUDGET_MESSAGE.as_bytes()
        );
    }
}
