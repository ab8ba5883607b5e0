//! Merging of null mappings (`vm_map_try_merge*`), entry storage, and the
//! size and count bookkeeping of `vm_map_insert`.

extern crate std;

use std::vec;
use std::vec::Vec;

use super::fake_env::Event;
use super::*;
use crate::entry::EntryStorage;
use crate::env::{SlabBackEnd, SlabTake};

/// A FIXED null or object mapping into a user map.
struct Mapping {
    start: u64,
    size: u64,
    /// Raw packed flags (FIXED is added).
    flags: u32,
    object: bool,
}

const RW: u32 = 0x73;

const fn null(start: u64, size: u64) -> Mapping {
    Mapping {
        start,
        size,
        flags: RW,
        object: false,
    }
}

struct Case {
    name: &'static str,
    mappings: &'static [Mapping],
    ranges: &'static [(u64, u64)],
    /// Entries handed back to the entry cache by merges.
    frees: usize,
}

const CASES: &[Case] = &[
    Case {
        name: "merge on both sides destroys the second entry",
        mappings: &[
            null(0x1000, 0x1000),
            null(0x3000, 0x1000),
            null(0x2000, 0x1000),
        ],
        ranges: &[(0x1000, 0x4000)],
        frees: 1,
    },
    Case {
        name: "merge with the previous entry (no next entry)",
        mappings: &[null(0x1000, 0x1000), null(0x2000, 0x1000)],
        ranges: &[(0x1000, 0x3000)],
        frees: 0,
    },
    Case {
        name: "merge with the next entry (no previous entry)",
        mappings: &[null(0x3000, 0x1000), null(0x2000, 0x1000)],
        ranges: &[(0x2000, 0x4000)],
        frees: 0,
    },
    Case {
        name: "near merge falls back to the previous entry",
        mappings: &[
            null(0x1000, 0x1000),
            null(0x4000, 0x1000),
            null(0x2000, 0x1000),
        ],
        ranges: &[(0x1000, 0x3000), (0x4000, 0x5000)],
        frees: 0,
    },
    Case {
        name: "different protections do not merge",
        mappings: &[
            null(0x1000, 0x1000),
            Mapping {
                start: 0x2000,
                size: 0x1000,
                flags: 0x71,
                object: false,
            },
        ],
        ranges: &[(0x1000, 0x2000), (0x2000, 0x3000)],
        frees: 0,
    },
    Case {
        name: "bits outside the entry mask do not prevent a merge",
        mappings: &[
            null(0x1000, 0x1000),
            Mapping {
                start: 0x2000,
                size: 0x1000,
                flags: RW | 0x4000_0000,
                object: false,
            },
        ],
        ranges: &[(0x1000, 0x3000)],
        frees: 0,
    },
    Case {
        name: "object mappings never merge",
        mappings: &[
            Mapping {
                start: 0x1000,
                size: 0x1000,
                flags: RW,
                object: true,
            },
            null(0x2000, 0x1000),
        ],
        ranges: &[(0x1000, 0x2000), (0x2000, 0x3000)],
        frees: 0,
    },
];

#[test]
fn merges_follow_the_seeds_rules() {
    for case in CASES {
        let (mut vm, mut env, map) = boot_user();
        for mapping in case.mappings {
            let object = if mapping.object { OBJECT } else { None };
            let flags = MapFlags::from_raw(mapping.flags).with_fixed();
            let result = vm.enter(
                &mut env,
                map,
                object,
                0,
                mapping.start,
                mapping.size,
                0,
                flags,
            );
            assert_eq!(result, Ok(mapping.start), "{}", case.name);
        }
        assert_eq!(ranges(&vm, map), case.ranges.to_vec(), "{}", case.name);
        assert_eq!(list_ranges(&vm, map), case.ranges.to_vec(), "{}", case.name);
        let frees = env
            .events
            .iter()
            .filter(|event| matches!(event, Event::Free(1, _)))
            .count();
        assert_eq!(frees, case.frees, "{}", case.name);
        let state = vm.map_state(map).unwrap();
        let covered: u64 = case.ranges.iter().map(|(start, end)| end - start).sum();
        assert_eq!(state.size, covered, "{}", case.name);
        assert_eq!(
            state.nr_entries as usize,
            case.ranges.len(),
            "{}",
            case.name
        );
    }
}

#[test]
fn merge_with_the_next_entry_when_the_previous_is_not_adjacent() {
    let (mut vm, mut env, map) = boot_user();
    for (start, size) in [(0x1000, 0x1000), (0x4000, 0x1000), (0x3000, 0x1000)] {
        enter(&mut vm, &mut env, map, None, start, size, true).unwrap();
    }
    assert_eq!(ranges(&vm, map), vec![(0x1000, 0x2000), (0x3000, 0x5000)]);
}

#[test]
fn merge_on_both_sides_keeps_the_first_entrys_object() {
    let (mut vm, mut env, map) = boot_user();
    // The entry cache's first slab is the page after the map object's page.
    let slab = KENTRY_END + 0x1000;
    enter(&mut vm, &mut env, map, None, 0x1000, 0x1000, true).unwrap();
    enter(&mut vm, &mut env, map, None, 0x3000, 0x1000, true).unwrap();
    env.take_events();
    enter(&mut vm, &mut env, map, None, 0x2000, 0x1000, true).unwrap();
    // No new entry object, and the second one goes back to its cache.
    assert_eq!(env.events, vec![Event::Free(1, slab + 80)]);
    let state = vm.map_state(map).unwrap();
    assert_eq!(
        vm.map_internals(map).unwrap().entry_storage[0],
        EntryStorage::CacheObject(slab)
    );
    assert_eq!(state.entries[0].flags, 0x273); // rw(): prot 3, max 7, inherit copy.
}

#[test]
fn the_first_user_entry_grows_the_kernel_map_by_merging() {
    let (mut vm, mut env, map) = boot_user();
    enter(&mut vm, &mut env, map, OBJECT, 0, 0x1000, false).unwrap();
    let need = SlabTake::NeedSlab {
        slab_size_bytes: 4096,
        back_end: SlabBackEnd::Default,
    };
    // vm_kmem_alloc's null mapping merges with the map object's slab entry,
    // so the kernel map needs no new entry.
    let expected = vec![
        Event::Take(1, need),
        Event::Klimit(KERNEL_START + 0x200_0000),
        Event::Populate(KENTRY_END + 0x1000, 4096),
        Event::Grow(1, KENTRY_END + 0x1000),
        Event::Take(1, SlabTake::Object(KENTRY_END + 0x1000)),
    ];
    assert_eq!(env.events, expected);
    let kernel: Vec<(u64, u64)> = ranges(&vm, MapId::KERNEL);
    assert_eq!(kernel.last(), Some(&(KENTRY_END, KENTRY_END + 0x2000)));
}

#[test]
fn the_kernel_map_grows_its_page_tables_past_the_limit() {
    let (mut vm, mut env) = boot();
    let limit = KERNEL_START + 0x200_0000;
    let flags = MapFlags::from_raw(KERNEL_FLAGS);
    let size = limit - KENTRY_END + 0x1000;
    let start = vm.enter(&mut env, MapId::KERNEL, None, 0, 0, size, 0, flags);
    assert_eq!(start, Ok(KENTRY_END));
    let tail = &env.events[env.events.len() - 2..];
    assert_eq!(tail, &[Event::Klimit(limit), Event::Kgrow(limit + 0x1000)]);
    // The next entry merges; the limit is now above it: no growth.
    env.take_events();
    vm.enter(&mut env, MapId::KERNEL, None, 0, 0, 0x1000, 0, flags)
        .unwrap();
    assert_eq!(env.events, vec![Event::Klimit(limit + 0x20_0000)]);
}

#[test]
fn an_object_in_the_kernel_map_is_refused_first() {
    let (mut vm, mut env) = boot();
    // Even with otherwise invalid arguments, ERROR_INVAL comes first.
    let result = vm.enter(
        &mut env,
        MapId::KERNEL,
        OBJECT,
        1,
        3,
        0,
        5,
        MapFlags::from_raw(0xff),
    );
    assert_eq!(result, Err(Failure::Error(crate::Error::Inval)));
    assert!(env.events.is_empty());
    assert!(!vm.is_dead());
}
