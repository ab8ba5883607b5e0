//! The kentry free list as the reports read it from a [`KentryState`]: the
//! slabs from the head along each free descriptor's link, stopping at the
//! end of the list, at a link that leaves the table, at an allocated slab
//! or after as many steps as there are slabs (a cycle); the list is corrupt
//! exactly when it does not end with NULL. Also the allocated slabs, in
//! index order.

extern crate std;

use std::vec::Vec;

use crate::state::{KentryLink, KentrySlot, KentryState};

/// Where the test tables start.
const TABLE: u64 = 0x2000_0080_0000;

/// A free slab linking to slab `next`.
const fn to(next: u32) -> KentrySlot {
    KentrySlot::Free(KentryLink::Slab(next))
}

/// A free slab ending the list.
const END: KentrySlot = KentrySlot::Free(KentryLink::End);
/// An allocated slab.
const USED: KentrySlot = KentrySlot::Allocated;

/// A state holding a table of `slots` at [`TABLE`] with its head at `head`.
fn table(head: KentryLink, slots: &[KentrySlot]) -> KentryState {
    let mut state = KentryState::default();
    let descriptors: Vec<u64> = slots.iter().map(|slot| slot.encode(TABLE)).collect();
    state.fill_from_descriptors(TABLE, 4096, head.encode(TABLE), &descriptors);
    state
}

/// A table, its free list in order and whether that list is corrupt.
type Row = (
    &'static str,
    KentryLink,
    &'static [KentrySlot],
    &'static [u32],
    bool,
);

const ROWS: [Row; 9] = [
    ("an empty list", KentryLink::End, &[USED, USED], &[], false),
    (
        "the set-up order",
        KentryLink::Slab(0),
        &[to(1), to(2), END],
        &[0, 1, 2],
        false,
    ),
    (
        "reaped slabs first",
        KentryLink::Slab(2),
        &[to(3), USED, to(0), END],
        &[2, 0, 3],
        false,
    ),
    (
        "a single free slab",
        KentryLink::Slab(1),
        &[USED, END, USED],
        &[1],
        false,
    ),
    (
        "a head outside the table",
        KentryLink::Outside(0x1000),
        &[END, END],
        &[],
        true,
    ),
    (
        "a link that leaves the table",
        KentryLink::Slab(1),
        &[END, KentrySlot::Free(KentryLink::Outside(TABLE + 3)), END],
        &[1],
        true,
    ),
    (
        "a link to an allocated slab",
        KentryLink::Slab(0),
        &[to(2), END, USED],
        &[0, 2],
        true,
    ),
    (
        "a cycle of two",
        KentryLink::Slab(0),
        &[to(1), to(0)],
        &[0, 1],
        true,
    ),
    (
        "a slab linking to itself",
        KentryLink::Slab(1),
        &[END, to(1), END],
        &[1, 1, 1],
        true,
    ),
];

#[test]
fn the_free_list_follows_the_links_from_the_head() {
    for (name, head, slots, order, _) in ROWS {
        assert_eq!(table(head, slots).free_list(), order, "{name}");
    }
}

#[test]
fn the_free_list_is_corrupt_exactly_when_it_does_not_end_with_null() {
    for (name, head, slots, _, corrupt) in ROWS {
        let state = table(head, slots);
        assert_eq!(state.free_list_is_corrupt(), corrupt, "{name}");
    }
}

#[test]
fn the_allocated_slabs_are_those_holding_the_marker_in_index_order() {
    let state = table(KentryLink::Slab(1), &[USED, to(3), USED, END, USED]);
    assert_eq!(state.allocated().collect::<Vec<_>>(), [0, 2, 4]);
    let none = table(KentryLink::Slab(0), &[to(1), END]);
    assert_eq!(none.allocated().count(), 0);
}
