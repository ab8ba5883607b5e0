//! Comparing two [`KentryState`]s, as the kentry oracle compares the C's
//! allocator with the port's: equal exactly when the table's place, the
//! slab size, the free list's head, every slot and where each kernel-map
//! entry lives agree; equal states hash alike. Heads and slots of tables
//! in the same place compare by their raw values; of tables in different
//! places (after a remove moved the C's table), by what they decode to.

extern crate std;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::vec::Vec;

use crate::entry::EntryStorage;
use crate::kentry::VM_MAP_KENTRY_ALLOCATED;
use crate::state::KentryState;

use super::{OTHER_STATE_TABLE as OTHER_TABLE, STATE_TABLE as TABLE};

/// The parts of a kentry state, as a side gives them.
#[derive(Debug, Clone)]
struct Parts {
    table_va: u64,
    slab_size: u64,
    head: u64,
    descriptors: Vec<u64>,
    entry_storage: Vec<EntryStorage>,
}

impl Parts {
    /// Four slabs at `table_va`: slab 0 allocated, the free list 1, 2, 3;
    /// the kernel map's boot and kentry entries and one in slab 0.
    fn at(table_va: u64) -> Parts {
        Parts {
            table_va,
            slab_size: 4096,
            head: table_va + 8,
            descriptors: std::vec![VM_MAP_KENTRY_ALLOCATED, table_va + 16, table_va + 24, 0],
            entry_storage: std::vec![
                EntryStorage::KernelBootStatic,
                EntryStorage::KentryStatic,
                EntryStorage::CacheObject(0x2000_0040_0000),
            ],
        }
    }

    fn state(&self) -> KentryState {
        let mut state = KentryState::default();
        state.fill_from_descriptors(self.table_va, self.slab_size, self.head, &self.descriptors);
        state.entry_storage = self.entry_storage.clone();
        state
    }
}

/// The state's hash under the standard library's fixed-key hasher.
fn hash_of(state: &KentryState) -> u64 {
    let mut hasher = DefaultHasher::new();
    state.hash(&mut hasher);
    hasher.finish()
}

/// States that differ from [`Parts::at`]`(TABLE)` in one part each.
fn one_part_changed() -> [(&'static str, Parts); 6] {
    let base = Parts::at(TABLE);
    [
        (
            "the table's place",
            Parts {
                table_va: OTHER_TABLE,
                ..base.clone()
            },
        ),
        (
            "the slab size",
            Parts {
                slab_size: 8192,
                ..base.clone()
            },
        ),
        (
            "the head",
            Parts {
                head: TABLE + 16,
                ..base.clone()
            },
        ),
        (
            "a descriptor",
            Parts {
                descriptors: std::vec![VM_MAP_KENTRY_ALLOCATED, TABLE + 24, TABLE + 24, 0],
                ..base.clone()
            },
        ),
        (
            "one slab more",
            Parts {
                descriptors: std::vec![VM_MAP_KENTRY_ALLOCATED, TABLE + 16, TABLE + 24, 0, 0],
                ..base.clone()
            },
        ),
        (
            "where an entry lives",
            Parts {
                entry_storage: std::vec![
                    EntryStorage::KernelBootStatic,
                    EntryStorage::KentryStatic
                ],
                ..base.clone()
            },
        ),
    ]
}

#[test]
fn states_of_the_same_parts_are_equal_and_hash_alike() {
    let (first, second) = (Parts::at(TABLE).state(), Parts::at(TABLE).state());
    assert_eq!(first, second);
    assert_eq!(hash_of(&first), hash_of(&second));
}

#[test]
fn states_that_differ_in_one_part_are_unequal_and_hash_apart() {
    let base = Parts::at(TABLE).state();
    for (name, parts) in one_part_changed() {
        let changed = parts.state();
        assert_ne!(base, changed, "{name}");
        assert_ne!(hash_of(&base), hash_of(&changed), "{name}");
    }
}

#[test]
fn tables_in_the_same_place_compare_by_raw_value() {
    let base = Parts::at(TABLE).state();
    assert!(base.same_free_head(&Parts::at(TABLE).state()));
    assert!(base.same_slots(&Parts::at(TABLE).state()));
    for (name, parts) in &one_part_changed()[2..5] {
        let changed = parts.state();
        let heads_alike = parts.head == Parts::at(TABLE).head;
        let slots_alike = parts.descriptors == Parts::at(TABLE).descriptors;
        assert_eq!(base.same_free_head(&changed), heads_alike, "{name}");
        assert_eq!(base.same_slots(&changed), slots_alike, "{name}");
    }
}

#[test]
fn tables_in_different_places_compare_by_what_they_decode_to() {
    // The same free list, slab 1 first, in two places: the raw pointers
    // differ, the slabs they name do not.
    let here = Parts::at(TABLE).state();
    let there = Parts::at(OTHER_TABLE).state();
    assert!(here.same_free_head(&there));
    assert!(here.same_slots(&there));
    // The same raw values in two places name different slabs.
    let same_raw_there = Parts {
        table_va: OTHER_TABLE,
        ..Parts::at(TABLE)
    }
    .state();
    assert!(!here.same_free_head(&same_raw_there));
    assert!(!here.same_slots(&same_raw_there));
}

#[test]
fn a_head_past_a_shorter_table_differs_from_the_same_pointer_into_a_longer_one() {
    // One place, one raw head: slab 3 of a four-slab table, but outside a
    // three-slab one.
    let four = Parts::at(TABLE);
    let three = Parts {
        head: TABLE + 24,
        descriptors: std::vec![VM_MAP_KENTRY_ALLOCATED, TABLE + 16, 0],
        ..four.clone()
    };
    let four = Parts {
        head: TABLE + 24,
        ..four
    };
    assert!(!four.state().same_free_head(&three.state()));
    assert!(!three.state().same_free_head(&four.state()));
}
