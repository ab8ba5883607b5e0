//! A state's identity: one 64-bit hash of everything that decides what the
//! two sides do next and everything the oracles compare, so that equal
//! states reached by different paths are explored once.
//!
//! Hashed, for each side: the number of user maps and objects, every map's
//! [`MapState`] (entries in address and list order, size, count, find
//! cache), the kentry allocator's table ([`vm_rs::KentryState`]) and the
//! machine's own state ([`sim::Machine::hash_future`]: frame order, page
//! tables, slabs with their free objects, object page caches); then the
//! kernel-map ranges the program entered (operand resolution depends on
//! them). Left out on purpose: the trace and the console, which only grow
//! and are compared step by step, never read back; the specification
//! model's state, which adopts each side's maps and is checked against
//! them after every step, so it follows from what is hashed. The hasher is
//! `DefaultHasher::new()` (SipHash with fixed keys), so identities are the
//! same in every run. Nothing here fails.

use std::hash::{DefaultHasher, Hash, Hasher};

use crate::program::MapRef;
use crate::runner::Runner;
use crate::side::Side;
use vm_rs::MapState;

/// The identity of the state both sides of `runner` are in now.
pub fn state_id<C: Side, R: Side>(runner: &Runner<C, R>, buffer: &mut MapState) -> u64 {
    let mut hasher = DefaultHasher::new();
    hash_side(&runner.c, &mut hasher, buffer);
    hash_side(&runner.rust, &mut hasher, buffer);
    runner.kernel_ranges_of_program().hash(&mut hasher);
    hasher.finish()
}

fn hash_side(side: &dyn Side, hasher: &mut DefaultHasher, buffer: &mut MapState) {
    let user_maps = side.user_map_count();
    (user_maps, side.object_count()).hash(hasher);
    for map in 0..=user_maps {
        let exists = side.fill_map(MapRef(map), buffer);
        exists.hash(hasher);
        buffer.hash(hasher);
    }
    side.kentry().hash(hasher);
    side.machine().hash_future(hasher);
}
