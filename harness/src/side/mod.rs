//! The two sides the runner drives in lockstep, behind one trait: the C
//! original ([`c::CSide`]) and the Rust port ([`rust::RustSide`]), each on
//! its own [`sim::Machine`].
//!
//! A side describes its state in the observed-state vocabulary of
//! `vm_rs::state` ([`MapState`], [`KentryState`]), which both the port and
//! c-reference produce directly, and translates its native results into
//! [`Outcome`] in one place (each side's `outcome_of`). It never panics on a
//! bad operation (the C's panics and the port's failures are outcomes).

pub mod c;
pub mod rust;

use crate::observe::Outcome;
use crate::program::{EnterRequest, MapRef, ResolvedOp};
use sim::{FaultPlan, Machine, MachineConfig, ObjectId};
use vm_rs::{CBugs, KentryState, MapRewrite, MapState, ReadDifference};

/// The most loop steps one operation may take on either side before it
/// ends as [`Outcome::Unfinished`]: entries visited by a search (and its
/// retries), a remove or a printout on the port (`vm_rs::Vm::set_loop_budget`),
/// `list_next` calls on the C (our `kern/list.h`, see
/// `c_reference::CReference::set_list_step_budget`). A legitimate operation
/// takes at most a few thousand (a map holds at most about three entries
/// per operation run, and a search visits each at most twice), so the
/// budget is about twenty times that, and a loop that never ends is
/// reported within microseconds instead of hanging the fuzzer.
pub const LOOP_STEP_BUDGET: u64 = 1 << 16;

/// An enter's arguments between the map and the flags, in `vm_map_enter`'s
/// order, as both sides take them: the object (as the machine names it),
/// the offset, the start, the size and the alignment.
fn enter_arguments(request: &EnterRequest) -> (Option<ObjectId>, u64, u64, u64, u64) {
    let object = request.object.map(ObjectId);
    (
        object,
        request.offset,
        request.start,
        request.size,
        request.align,
    )
}

/// One implementation of vm_map on its own simulated machine.
pub trait Side {
    /// Boots a fresh instance: resets the machine with `plan` and runs
    /// `vm_map_setup`.
    fn setup(&mut self, config: &MachineConfig, plan: FaultPlan) -> Outcome;
    /// Runs one resolved operation.
    fn apply(&mut self, op: &ResolvedOp) -> Outcome;
    /// The machine this side runs on.
    fn machine(&self) -> &Machine;
    /// How many maps exist, the kernel map included; 0 before a set-up
    /// completes.
    fn map_count(&self) -> u32;
    /// How many user maps exist: every map but the kernel's, which is the
    /// first.
    fn user_map_count(&self) -> u32 {
        self.map_count().saturating_sub(1)
    }
    /// How many objects exist: the machine's, since every object a side
    /// creates is created there.
    fn object_count(&self) -> u32 {
        self.machine().object_count()
    }
    /// Fills `out` with the map's state; false when the map does not exist.
    fn fill_map(&self, map: MapRef, out: &mut MapState) -> bool;
    /// Reads the map again through `rewrite` (over the map's last read,
    /// or the default state for a map not read before) and says how the
    /// two differ ([`MapRewrite`]). An unknown map reads as the default
    /// state. Both sides compare as they walk, write only from where the
    /// reads part, and see for free whether the list is the entries; they
    /// override this whole read, which claims nothing about the list.
    fn rewrite_map(&self, map: MapRef, rewrite: MapRewrite<'_>) -> ReadDifference {
        rewrite_with_whole_read(self, map, rewrite, false)
    }
    /// The kentry allocator's table.
    fn kentry(&self) -> KentryState;
    /// Chooses the port's switches for the next set-up (a program's mode).
    /// Only a side that runs the port has any; the C ignores it.
    fn choose_port_bugs(&mut self, _bugs: CBugs) {}
    /// Fills `out` with [`Side::kentry`], reusing its vectors; false (and
    /// `out` the default) when the side has no kentry table to read (its
    /// set-up did not complete). Sides override it with something that
    /// allocates less.
    fn fill_kentry(&self, out: &mut KentryState) -> bool {
        *out = self.kentry();
        !out.slots().is_empty()
    }
    /// How many kentry slab descriptors are marked allocated; sides
    /// override it with something cheaper than building [`Side::kentry`].
    fn kentry_allocated_count(&self) -> usize {
        self.kentry().allocated().count()
    }
}

/// [`Side::rewrite_map`] for a side that reads a map whole
/// ([`Side::fill_map`]): the whole read replayed through `rewrite`,
/// claiming that its list is its entries when `sees_lists` and they are
/// equal.
pub fn rewrite_with_whole_read<S: Side + ?Sized>(
    side: &S,
    map: MapRef,
    rewrite: MapRewrite<'_>,
    sees_lists: bool,
) -> ReadDifference {
    let mut fresh = MapState::default();
    side.fill_map(map, &mut fresh);
    let list_is_entries = sees_lists && fresh.list == fresh.entries;
    rewrite.replay(&fresh, list_is_entries)
}
