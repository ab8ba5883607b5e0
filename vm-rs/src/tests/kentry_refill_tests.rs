//! Filling a [`KentryState`] from a side's raw descriptors: a refill of a
//! state that already holds a table decodes only what changed, and must
//! read exactly as a fresh fill of the same descriptors, each descriptor
//! decoded against the table's place and size ([`KentrySlot::decode`]).
//! Rewriting a state from decoded slots gives the raw values a side would
//! hold.

extern crate std;

use std::vec;
use std::vec::Vec;

use crate::kentry::VM_MAP_KENTRY_ALLOCATED;
use crate::state::{KentryLink, KentrySlot, KentryState};

use super::{OTHER_STATE_TABLE as OTHER_TABLE, STATE_TABLE as TABLE};
/// The kentry slab size of the test tables.
const SLAB_SIZE: u64 = 4096;

/// A table as a side holds it: its place, its free list's head and its
/// descriptors' raw values.
#[derive(Debug, Clone)]
struct RawTable {
    table_va: u64,
    head: u64,
    descriptors: Vec<u64>,
}

impl RawTable {
    /// `count` descriptors at `table_va` as set-up leaves them: each free
    /// slab links to the next, the last ends the list, the head is the
    /// first.
    fn fresh(table_va: u64, count: usize) -> RawTable {
        let descriptors = (1..=count as u64)
            .map(|next| {
                if next == count as u64 {
                    0
                } else {
                    table_va + 8 * next
                }
            })
            .collect();
        RawTable {
            table_va,
            head: table_va,
            descriptors,
        }
    }

    /// This table with slab `index` allocated.
    fn allocated(mut self, index: usize) -> RawTable {
        self.descriptors[index] = VM_MAP_KENTRY_ALLOCATED;
        self
    }

    /// This table with its head at descriptor `index`.
    fn head_at(mut self, index: u64) -> RawTable {
        self.head = self.table_va + 8 * index;
        self
    }

    /// Fills `state` with this table.
    fn fill(&self, state: &mut KentryState) {
        state.fill_from_descriptors(self.table_va, SLAB_SIZE, self.head, &self.descriptors);
    }

    /// A state filled with this table alone.
    fn state(&self) -> KentryState {
        let mut state = KentryState::default();
        self.fill(&mut state);
        state
    }

    /// Each descriptor decoded on its own.
    fn decoded_slots(&self) -> Vec<KentrySlot> {
        let count = self.descriptors.len();
        self.descriptors
            .iter()
            .map(|&raw| KentrySlot::decode(raw, self.table_va, count))
            .collect()
    }

    /// The head decoded on its own.
    fn decoded_head(&self) -> KentryLink {
        KentryLink::decode(self.head, self.table_va, self.descriptors.len())
    }
}

/// Asserts that `state` reads as `table`, decoded descriptor by descriptor.
fn assert_reads_as(state: &KentryState, table: &RawTable, name: &str) {
    assert_eq!(state.table_va, table.table_va, "{name}");
    assert_eq!(state.slab_size_bytes, SLAB_SIZE, "{name}");
    assert_eq!(state.slots(), &table.decoded_slots()[..], "{name}");
    assert_eq!(state.free_head(), table.decoded_head(), "{name}");
}

/// Tables of 130 descriptors: more than two chunks of the 64 a refill
/// compares at once.
const COUNT: usize = 130;

/// A table before and after a step, as a refill sees them.
fn refills() -> [(&'static str, RawTable, RawTable); 7] {
    let before = RawTable::fresh(TABLE, COUNT);
    [
        ("nothing changed", before.clone(), before.clone()),
        (
            "a slab of the first chunk allocated",
            before.clone(),
            before.clone().allocated(3).head_at(4),
        ),
        (
            "a slab of the second chunk allocated",
            before.clone(),
            before.clone().allocated(69),
        ),
        (
            "a slab of the third chunk allocated",
            before.clone(),
            before.clone().allocated(129),
        ),
        (
            "the same place, more descriptors",
            before.clone(),
            RawTable::fresh(TABLE, COUNT + 70),
        ),
        (
            "the same place, fewer descriptors",
            before.clone(),
            RawTable::fresh(TABLE, 10),
        ),
        (
            "another place, the same raw values",
            before.clone(),
            RawTable {
                table_va: OTHER_TABLE,
                ..before.clone()
            },
        ),
    ]
}

#[test]
fn a_fresh_fill_decodes_every_descriptor() {
    let table = RawTable::fresh(TABLE, COUNT).allocated(0).head_at(1);
    let state = table.state();
    assert_reads_as(&state, &table, "fresh");
    assert_eq!(state.slots()[0], KentrySlot::Allocated);
    assert_eq!(state.slots()[1], KentrySlot::Free(KentryLink::Slab(2)));
    assert_eq!(state.slots()[COUNT - 1], KentrySlot::Free(KentryLink::End));
    assert_eq!(state.free_head(), KentryLink::Slab(1));
}

#[test]
fn a_refill_reads_as_a_fresh_fill_of_the_new_table() {
    for (name, before, after) in refills() {
        let mut state = before.state();
        after.fill(&mut state);
        assert_reads_as(&state, &after, name);
        assert_eq!(state, after.state(), "{name}");
    }
}

#[test]
fn a_refill_after_a_rewrite_reads_the_side_again() {
    // A rewritten state is refilled from the side's own table at the next
    // step; whatever the rewrite changed is read again.
    let table = RawTable::fresh(TABLE, COUNT);
    let mut state = table.state();
    let mut slots = state.slots().to_vec();
    slots[100] = KentrySlot::Allocated;
    state.rewrite(KentryLink::Slab(7), &slots);
    table.fill(&mut state);
    assert_reads_as(&state, &table, "refilled");
}

#[test]
fn a_rewrite_holds_the_raw_values_a_side_would_hold() {
    let table = RawTable::fresh(TABLE, 4);
    let mut state = table.state();
    let slots = [
        KentrySlot::Free(KentryLink::Slab(3)),
        KentrySlot::Allocated,
        KentrySlot::Free(KentryLink::End),
        KentrySlot::Free(KentryLink::Outside(0x1234)),
    ];
    state.rewrite(KentryLink::Slab(2), &slots);
    assert_eq!(state.slots(), &slots[..]);
    assert_eq!(state.free_head(), KentryLink::Slab(2));
    let by_hand = RawTable {
        table_va: TABLE,
        head: TABLE + 16,
        descriptors: std::vec![TABLE + 24, VM_MAP_KENTRY_ALLOCATED, 0, 0x1234],
    };
    assert_eq!(state, by_hand.state());
}

/// Between fuzzer inputs the harness empties its kentry states keeping
/// their buffers: a cleared state equals the default one (so the next fill
/// decodes every descriptor, as a fresh state's would) and holds buffers of
/// exactly the capacities asked, whatever it held before, the same buffers
/// when they already had them.
#[test]
fn a_state_cleared_to_capacity_is_the_default_one_with_exact_buffers() {
    let capacities = |state: &KentryState| state.buffers().map(|(capacity, _)| capacity);
    for count in [2, 8, 64] {
        let mut state = RawTable::fresh(TABLE, count)
            .allocated(1)
            .head_at(0)
            .state();
        state.entry_storage.push(crate::EntryStorage::KentryStatic);
        state.clear_to_capacity(8, 4);
        assert_eq!(state, KentryState::default(), "{count} descriptors");
        assert_eq!(capacities(&state), [8, 8, 4], "{count} descriptors");
        let buffers = state.buffers();
        state.clear_to_capacity(8, 4);
        assert_eq!(state.buffers(), buffers, "{count} descriptors, kept");
        let table = RawTable::fresh(TABLE, count).allocated(0);
        table.fill(&mut state);
        assert_eq!(state, table.state(), "{count} descriptors, filled again");
        assert_eq!(state.slots(), &table.decoded_slots()[..]);
    }
}

/// The loop fuzzing builds compare descriptor chunks with says what `==`
/// says, for runs equal, different in one word anywhere, different in two
/// words by the same bit (which differences combined by exclusive or
/// would cancel), or of different lengths.
#[test]
fn the_loop_comparison_of_words_agrees_with_slice_equality() {
    let base: Vec<u64> = (0..64u64)
        .map(|word| word.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .collect();
    let mut cases: Vec<(Vec<u64>, Vec<u64>)> = vec![
        (Vec::new(), Vec::new()),
        (base.clone(), base.clone()),
        (base.clone(), base[..63].to_vec()),
        (Vec::new(), vec![0]),
    ];
    for place in [0, 1, 31, 63] {
        for bit in [0, 17, 63] {
            let mut changed = base.clone();
            changed[place] ^= 1 << bit;
            cases.push((base.clone(), changed.clone()));
            changed[(place + 5) % 64] ^= 1 << bit;
            cases.push((base.clone(), changed));
        }
    }
    for (old, new) in &cases {
        assert_eq!(
            crate::state::same_words_by_loop(old, new),
            old == new,
            "{} and {} words",
            old.len(),
            new.len()
        );
    }
}
