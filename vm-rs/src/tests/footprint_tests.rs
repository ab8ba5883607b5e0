//! The port's write tracking ([`crate::footprint`]): a read given the
//! last read's footprint keeps the beginning that nothing wrote since, and
//! reads the same as a whole read. Each case makes a user map of five
//! one-page entries (pages 1, 3, 5, 7, 9, objects apart so that nothing
//! merges), reads it with a footprint, does something, and reads again.

extern crate std;

use super::*;
use crate::{MapRewrite, MapState, ReadFootprint};

/// Pages of the five entries of every case's map.
const PAGES: [u64; 5] = [1, 3, 5, 7, 9];

/// What a case does between the two reads.
type Action = fn(&mut Vm, &mut FakeEnv, MapId);

/// (what, action, entries kept by the second read)
type Case = (&'static str, Action, usize);

/// Enters one page at `page` of its own object, fixed.
fn enter_page(vm: &mut Vm, env: &mut FakeEnv, map: MapId, page: u64) {
    let object = Some(ObjectId(100 + page as u32));
    enter(vm, env, map, object, page * 0x1000, 0x1000, true).expect("enter");
}

/// Removes the page at `page`.
fn remove_page(vm: &mut Vm, env: &mut FakeEnv, map: MapId, page: u64) {
    vm.remove(env, map, page * 0x1000, (page + 1) * 0x1000)
        .expect("remove");
}

const CASES: &[Case] = &[
    ("nothing", |_, _, _| {}, 5),
    (
        "a failed enter over an entry",
        |vm, env, map| {
            let taken = enter(vm, env, map, OBJECT, 0x3000, 0x1000, true);
            assert!(taken.is_err());
        },
        5,
    ),
    (
        "an enter past the last entry (which links it)",
        |vm, env, map| enter_page(vm, env, map, 11),
        4,
    ),
    (
        "an enter between the second and third",
        |vm, env, map| enter_page(vm, env, map, 4),
        1,
    ),
    (
        "a remove of the first",
        |vm, env, map| remove_page(vm, env, map, 1),
        0,
    ),
    (
        "a remove of the third",
        |vm, env, map| remove_page(vm, env, map, 5),
        1,
    ),
    (
        "a remove of the last",
        |vm, env, map| remove_page(vm, env, map, 9),
        3,
    ),
    (
        "an enter in another map",
        |vm, env, _| {
            let other = vm.create_map(env).expect("create_map");
            enter_page(vm, env, other, 1);
        },
        5,
    ),
];

/// The case's map, read once with `footprint` into `state`; whether the
/// read found its list to be its entries.
fn first_read(state: &mut MapState, footprint: &mut ReadFootprint) -> (Vm, FakeEnv, MapId, bool) {
    let (mut vm, mut env, map) = boot_user();
    for page in PAGES {
        enter_page(&mut vm, &mut env, map, page);
    }
    let list_is_entries = read(&vm, map, state, footprint, false);
    assert!(list_is_entries);
    (vm, env, map, list_is_entries)
}

/// Reads `map` over `state` with `footprint`; whether its list is its
/// entries.
fn read(
    vm: &Vm,
    map: MapId,
    state: &mut MapState,
    footprint: &mut ReadFootprint,
    list_was_entries: bool,
) -> bool {
    let mut displaced = MapState::default();
    let rewrite =
        MapRewrite::new(state, &mut displaced, list_was_entries).with_footprint(footprint);
    vm.map_state_rewrite(map, rewrite).list_is_entries
}

#[test]
fn a_read_keeps_what_nothing_wrote_and_reads_the_same_as_a_whole_read() {
    for &(what, action, kept) in CASES {
        let (mut state, mut footprint) = (MapState::default(), ReadFootprint::default());
        let (mut vm, mut env, map, list_is_entries) = first_read(&mut state, &mut footprint);
        action(&mut vm, &mut env, map);
        assert_eq!(
            vm.unwritten_prefix(map.0 as usize, &footprint),
            kept,
            "{what}: kept"
        );
        read(&vm, map, &mut state, &mut footprint, list_is_entries);
        assert_eq!(Some(&state), vm.map_state(map).as_ref(), "{what}: read");
    }
}

#[test]
fn a_footprint_keeps_nothing_of_another_map_or_instance() {
    let (mut state, mut footprint) = (MapState::default(), ReadFootprint::default());
    let (vm, mut env, map, _) = first_read(&mut state, &mut footprint);
    assert_eq!(vm.unwritten_prefix(map.0 as usize, &footprint), PAGES.len());
    assert_eq!(vm.unwritten_prefix(0, &footprint), 0, "the kernel map");
    let mut clone = vm.clone();
    assert_eq!(
        clone.unwritten_prefix(map.0 as usize, &footprint),
        0,
        "a clone"
    );
    // The clone's own footprint does not stand for the original either,
    // whose clock reads the same.
    read(&clone, map, &mut state, &mut footprint, true);
    remove_page(&mut clone, &mut env, map, 9);
    assert_eq!(
        vm.unwritten_prefix(map.0 as usize, &footprint),
        0,
        "the original"
    );
    footprint.forget();
    assert_eq!(
        clone.unwritten_prefix(map.0 as usize, &footprint),
        0,
        "forgotten"
    );
}

#[test]
fn a_read_over_a_state_without_the_list_promise_keeps_nothing() {
    let (mut state, mut footprint) = (MapState::default(), ReadFootprint::default());
    let (vm, _env, map, _) = first_read(&mut state, &mut footprint);
    // The footprint would keep everything, but the caller does not promise
    // that the state's list is its entries: nothing is kept, the read is
    // whole, and it leaves the footprint it found.
    let mut displaced = MapState::default();
    let rewrite = MapRewrite::new(&mut state, &mut displaced, false).with_footprint(&mut footprint);
    let difference = vm.map_state_rewrite(map, rewrite);
    assert!(!difference.differs);
    assert_eq!(vm.unwritten_prefix(map.0 as usize, &footprint), PAGES.len());
}

#[test]
fn a_read_whose_list_and_tree_part_leaves_no_footprint() {
    let (mut vm, mut env, map) = boot_user();
    enter(&mut vm, &mut env, map, OBJECT, 0x1000, 0x2000, true).expect("enter");
    enter_page(&mut vm, &mut env, map, 5);
    // The C's clip_end relinks a map's first entry at the list's tail
    // (`clip-end-relinks-first-entry-at-tail`), which the bug-for-bug
    // port does too: the list is no longer the tree order.
    remove_page(&mut vm, &mut env, map, 1);
    assert_ne!(ranges(&vm, map), list_ranges(&vm, map));
    let (mut state, mut footprint) = (MapState::default(), ReadFootprint::default());
    assert!(!read(&vm, map, &mut state, &mut footprint, false));
    assert_eq!(vm.unwritten_prefix(map.0 as usize, &footprint), 0);
    assert_eq!(Some(&state), vm.map_state(map).as_ref());
}

/// Between fuzzer inputs the harness forgets its footprints keeping their
/// buffers: a footprint forgotten so keeps nothing, and its buffer has
/// exactly the capacity asked, whatever the read it stood for met.
#[test]
fn a_footprint_forgotten_keeping_its_buffer_keeps_nothing() {
    let (mut state, mut footprint) = (MapState::default(), ReadFootprint::default());
    let (vm, _env, map, _) = first_read(&mut state, &mut footprint);
    assert_eq!(vm.unwritten_prefix(map.0 as usize, &footprint), PAGES.len());
    for capacity in [1, 64] {
        footprint.forget_keeping(capacity);
        assert_eq!(vm.unwritten_prefix(map.0 as usize, &footprint), 0);
        assert_eq!(
            (footprint.slots.len(), footprint.slots.capacity()),
            (0, capacity)
        );
    }
}
