//! The map vocabulary the oracles compare: [`MapState`] cleared for reuse,
//! an entry as a report prints it, and a map whose entry list holds an
//! entry its tree lacks (after the link's tree assertion failed), read in
//! full as the C's list walk would.

extern crate std;

use std::format;
use std::vec;

use super::*;
use crate::{MapState, Precondition};

/// An entry of object 0 at `[0x1000, 0x2000)`, offset 0, read/write flags.
const ENTRY: EntryState = EntryState {
    start: 0x1000,
    end: 0x2000,
    object: Some(ObjectId(0)),
    offset: 0,
    flags: 0x273,
};

#[test]
fn an_entry_prints_as_one_fixed_width_line() {
    // The format the type's documentation gives, byte for byte.
    assert_eq!(
        format!("{ENTRY}"),
        "0x000000001000-0x000000002000 obj0+0x0 0x00273"
    );
    let null = EntryState {
        start: 0x7fff_ffff_f000,
        end: 0x8000_0000_0000,
        object: None,
        offset: 0,
        flags: 0x10077,
    };
    assert_eq!(
        format!("{null}"),
        "0x7ffffffff000-0x800000000000 null 0x10077"
    );
}

#[test]
fn an_entrys_backing_is_its_object_and_offset() {
    let backed = EntryState {
        object: Some(ObjectId(12)),
        offset: 0x2000,
        ..ENTRY
    };
    assert_eq!(format!("{}", backed.backing()), "obj12+0x2000");
    let null = EntryState {
        object: None,
        ..backed
    };
    assert_eq!(format!("{}", null.backing()), "null");
}

#[test]
fn a_cleared_map_state_is_the_default_with_its_buffers_kept() {
    let mut state = MapState {
        start: 0x1000,
        end: 0x9000,
        size: 0x1000,
        nr_entries: 1,
        find_cache: 0x2000,
        find_cache_threshold: 0x3000,
        entries: vec![ENTRY],
        list: vec![ENTRY],
    };
    let capacities = (state.entries.capacity(), state.list.capacity());
    state.clear();
    assert_eq!(state, MapState::default());
    assert_eq!(
        (state.entries.capacity(), state.list.capacity()),
        capacities
    );
}

#[test]
fn an_entry_the_tree_refused_is_still_on_the_list() {
    // The seed's own example (precondition_tests): the upper part of the
    // first entry goes to the list's tail, the search walks off the list
    // after it and picks 0x3000, inside [0x3000, 0x4000). vm_map_link has
    // already put the new entry on the list when rbtree_insert asserts.
    let (mut vm, mut env, map) = boot_user();
    for (start, size) in [(0x1000, 0x2000), (0x3000, 0x1000), (0x8000, 0x1000)] {
        enter(&mut vm, &mut env, map, OBJECT, start, size, true).unwrap();
    }
    vm.remove(&mut env, map, 0x1000, 0x2000).unwrap();
    let result = enter(&mut vm, &mut env, map, OBJECT, 0, 0x3000, false);
    assert_eq!(
        result,
        Err(Failure::Precondition(Precondition::TreeInsertUnequal))
    );
    let tree = [(0x2000, 0x3000), (0x3000, 0x4000), (0x8000, 0x9000)];
    assert_eq!(ranges(&vm, map), tree);
    assert_eq!(
        list_ranges(&vm, map),
        [
            (0x3000, 0x4000),
            (0x8000, 0x9000),
            (0x2000, 0x3000),
            (0x3000, 0x6000)
        ]
    );
    assert_eq!(vm.map_state(map).unwrap().nr_entries, 3);
    // That list is not the entries: the read must say so, or the harness
    // would skip comparing it.
    let mut state = MapState::default();
    assert_eq!(vm.map_state_and_list_into(map, &mut state), Some(false));
    assert_ne!(state.list, state.entries);
}

#[test]
fn a_map_whose_list_follows_its_tree_says_its_list_is_its_entries() {
    // The claim lets the harness skip comparing the list; it must be made
    // for every map in order, or the shortcut never applies.
    let (mut vm, mut env, map) = boot_user();
    for start in [0x1000, 0x3000, 0x5000] {
        enter(&mut vm, &mut env, map, OBJECT, start, 0x1000, true).unwrap();
    }
    let mut state = MapState::default();
    assert_eq!(vm.map_state_and_list_into(map, &mut state), Some(true));
    assert_eq!(state.entries.len(), 3);
    assert_eq!(state.list, state.entries);
}
