//! `vm_map_remove` with its clipping, including the seed's relinking of a
//! map's first entry at the tail of the list by `vm_map_clip_end`.

extern crate std;

use std::vec;

use super::fake_env::{Event, KERNEL_START};
use super::*;
use crate::entry::{EntryStorage, KERNEL_BOOT_ENTRY_ADDRESS};
use crate::env::SlabTake;
use crate::map::VM_MAP_NO_FIND_CACHE;
use crate::{EntryState, MapState};

/// The first object of the user entry cache's slab.
const SLAB: u64 = KENTRY_END + 0x1000;

#[test]
fn removing_the_middle_clips_one_entry_into_three() {
    let (mut vm, mut env, map) = boot_user_with_entry(0x10000, 0x1000, 0x3000);
    vm.remove(&mut env, map, 0x2000, 0x3000).unwrap();
    // clip_start's new object takes the lower part, clip_end's the upper
    // part; the original object held the middle and is freed.
    assert_eq!(
        env.events,
        vec![
            Event::Take(1, SlabTake::Object(SLAB + 80)),
            Event::Take(1, SlabTake::Object(SLAB + 160)),
            Event::Free(1, SLAB),
        ]
    );
    let entry = |start, end, offset| EntryState {
        start,
        end,
        object: OBJECT,
        offset,
        flags: 0x273,
    };
    let state = vm.map_state(map).unwrap();
    let expected = vec![
        entry(0x1000, 0x2000, 0x10000),
        entry(0x3000, 0x4000, 0x12000),
    ];
    assert_eq!(state.entries, expected);
    assert_eq!(state.list, expected);
    assert_eq!(
        vm.map_internals(map).unwrap().entry_storage,
        [
            EntryStorage::CacheObject(SLAB + 80),
            EntryStorage::CacheObject(SLAB + 160)
        ]
    );
    assert_eq!((state.size, state.nr_entries), (0x2000, 2));
    assert_eq!(state.find_cache_threshold, VM_MAP_NO_FIND_CACHE);
}

#[test]
fn a_remove_starting_in_a_gap_spans_several_entries() {
    let (mut vm, mut env, map) = boot_user();
    for (start, size) in [
        (0x1000, 0x1000),
        (0x3000, 0x1000),
        (0x5000, 0x2000),
        (0x8000, 0x1000),
    ] {
        enter(&mut vm, &mut env, map, OBJECT, start, size, true).unwrap();
    }
    env.take_events();
    vm.remove(&mut env, map, 0x2000, 0x6000).unwrap();
    assert_eq!(
        env.events,
        vec![
            Event::Free(1, SLAB + 80),
            Event::Take(1, SlabTake::Object(SLAB + 80)),
            Event::Free(1, SLAB + 160),
        ]
    );
    let expected = vec![(0x1000, 0x2000), (0x6000, 0x7000), (0x8000, 0x9000)];
    assert_eq!(ranges(&vm, map), expected);
    assert_eq!(list_ranges(&vm, map), expected);
    let state = vm.map_state(map).unwrap();
    assert_eq!((state.size, state.nr_entries), (0x3000, 3));
    assert_eq!(state.entries[1].offset, 0x1000);
}

/// Two entries, the first clipped at its start: vm_map_clip_end relinks
/// the rest of the map's first entry at the tail of the list.
fn boot_with_first_entry_relinked() -> (Vm, FakeEnv, MapId) {
    let (mut vm, mut env, map) = boot_user();
    enter(&mut vm, &mut env, map, OBJECT, 0x1000, 0x2000, true).unwrap();
    enter(&mut vm, &mut env, map, OBJECT, 0x5000, 0x1000, true).unwrap();
    vm.remove(&mut env, map, 0x1000, 0x2000).unwrap();
    (vm, env, map)
}

#[test]
fn clipping_the_end_of_the_first_entry_relinks_it_at_the_tail() {
    let (mut vm, mut env, map) = boot_with_first_entry_relinked();
    // vm_map_clip_end links an entry without predecessor at the tail.
    assert_eq!(ranges(&vm, map), vec![(0x2000, 0x3000), (0x5000, 0x6000)]);
    assert_eq!(
        list_ranges(&vm, map),
        vec![(0x5000, 0x6000), (0x2000, 0x3000)]
    );
    // A remove of the upper entry then follows the list into the lower one.
    vm.remove(&mut env, map, 0x5000, 0x6000).unwrap();
    assert!(ranges(&vm, map).is_empty());
    assert_eq!(vm.map_state(map).unwrap().size, 0);
}

#[test]
fn the_misordered_list_misleads_the_search() {
    let (mut vm, mut env, map) = boot_with_first_entry_relinked();
    // List: [0x5000, 0x6000), [0x2000, 0x3000). A search from 0 finds the
    // tree's nearest entry [0x2000, 0x3000), which is last in the list: the
    // walk then sees no more entries and overlaps [0x5000, 0x6000).
    let start = enter(&mut vm, &mut env, map, OBJECT, 0, 0x4000, false);
    assert_eq!(start, Ok(0x3000));
    assert_eq!(
        ranges(&vm, map),
        vec![(0x2000, 0x3000), (0x3000, 0x7000), (0x5000, 0x6000)]
    );
}

/// Enters one entry of `OBJECT` (start, size and whether fixed, as
/// [`enter`] takes them) in a fresh user map, then removes `[start, end)`:
/// the map's state afterwards and the events the remove made.
fn remove_after_enter(entry: (u64, u64, bool), removed: (u64, u64)) -> (MapState, Vec<Event>) {
    let (mut vm, mut env, map) = boot_user();
    let (start, size, fixed) = entry;
    enter(&mut vm, &mut env, map, OBJECT, start, size, fixed).unwrap();
    env.take_events();
    vm.remove(&mut env, map, removed.0, removed.1).unwrap();
    (vm.map_state(map).unwrap(), env.take_events())
}

#[test]
fn an_unaligned_end_leaves_an_unaligned_entry() {
    let (state, _) = remove_after_enter((0x1000, 0x2000, true), (0x1000, 0x1800));
    assert_eq!(
        (state.entries[0].start, state.entries[0].end),
        (0x1800, 0x3000)
    );
    assert_eq!(state.entries[0].offset, 0x800);
    assert_eq!(state.size, 0x1800);
}

#[test]
fn a_remove_above_every_entry_keeps_the_find_cache() {
    let (state, events) = remove_after_enter((0, 0x1000, false), (0x4000, 0x5000));
    assert!(events.is_empty());
    assert_eq!((state.find_cache, state.find_cache_threshold), (0x1000, 0));
}

#[test]
fn a_remove_of_a_gap_below_an_entry_resets_the_find_cache() {
    let (state, _) = remove_after_enter((0x4000, 0x1000, false), (0x1000, 0x2000));
    assert_eq!(state.nr_entries, 1);
    assert_eq!(state.find_cache_threshold, VM_MAP_NO_FIND_CACHE);
}

#[test]
fn removing_the_boot_entry_frees_the_static_to_the_kentry_cache() {
    let (mut vm, mut env) = boot();
    vm.remove(&mut env, MapId::KERNEL, KERNEL_START, KERNEL_START + 0x1000)
        .unwrap();
    // clip_end: the static keeps the lower part and is destroyed; a kentry
    // object (the first slab's first) takes the rest of the boot space.
    let frees: Vec<&Event> = env
        .events
        .iter()
        .filter(|event| matches!(event, Event::Free(..)))
        .collect();
    assert_eq!(frees, vec![&Event::Free(0, KERNEL_BOOT_ENTRY_ADDRESS)]);
    let state = vm.map_state(MapId::KERNEL).unwrap();
    assert_eq!(state.entries[0].start, KERNEL_START + 0x1000);
    assert_eq!(
        vm.map_internals(MapId::KERNEL).unwrap().entry_storage[0],
        EntryStorage::CacheObject(KENTRY_START)
    );
    // The boot entry was the list's first: its upper part went to the tail.
    assert_eq!(
        state.list.last().map(|entry| entry.start),
        Some(KERNEL_START + 0x1000)
    );
}
