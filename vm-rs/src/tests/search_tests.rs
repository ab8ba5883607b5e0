//! The first-fit search of `vm_map_find_avail` / `vm_map_find_fixed`: gap
//! fills, hints, alignment, the find cache and threshold, the retry.

extern crate std;

use super::*;
use crate::map::VM_MAP_NO_FIND_CACHE;
use crate::{Error, VM_MAX_ADDRESS};

/// One `vm_map_enter` of an object mapping into a user map.
struct Enter {
    start: u64,
    size: u64,
    align: u64,
    fixed: bool,
    expect: Result<u64, Error>,
}

/// Shorthand for a FIXED enter that succeeds.
const fn fixed(start: u64, size: u64) -> Enter {
    Enter {
        start,
        size,
        align: 0,
        fixed: true,
        expect: Ok(start),
    }
}

/// Shorthand for a non-fixed enter (hint `start`).
const fn find(start: u64, size: u64, align: u64, expect: Result<u64, Error>) -> Enter {
    Enter {
        start,
        size,
        align,
        fixed: false,
        expect,
    }
}

/// A sequence of enters and the find cache and threshold at the end.
struct Case {
    name: &'static str,
    enters: &'static [Enter],
    find_cache: u64,
    threshold: u64,
}

const TOP: u64 = VM_MAX_ADDRESS;

const CASES: &[Case] = &[
    Case {
        name: "a request exactly fills the gap between two entries",
        enters: &[
            fixed(0, 0x1000),
            fixed(0x2000, 0x1000),
            find(0, 0x1000, 0, Ok(0x1000)),
        ],
        find_cache: 0x2000,
        threshold: 0,
    },
    Case {
        name: "a hint inside an entry falls back to the first fit",
        enters: &[fixed(0x1000, 0x2000), find(0x2000, 0x1000, 0, Ok(0))],
        find_cache: 0x1000,
        threshold: 0,
    },
    Case {
        name: "a hint too close to the next entry falls back too",
        enters: &[fixed(0x3000, 0x1000), find(0x2000, 0x2000, 0, Ok(0))],
        find_cache: 0x2000,
        threshold: 0,
    },
    Case {
        name: "a hint that fits is taken and leaves the find cache alone",
        enters: &[fixed(0x1000, 0x1000), find(0x5000, 0x1000, 0, Ok(0x5000))],
        find_cache: 0,
        threshold: VM_MAP_NO_FIND_CACHE,
    },
    Case {
        name: "alignment skips a gap large enough without it",
        enters: &[
            fixed(0, 0x1000),
            fixed(0x3000, 0x1000),
            find(0, 0x2000, 0x4000, Ok(0x4000)),
        ],
        find_cache: 0x6000,
        threshold: 0,
    },
    Case {
        name: "without alignment the same gap is taken",
        enters: &[
            fixed(0, 0x1000),
            fixed(0x3000, 0x1000),
            find(0, 0x2000, 0, Ok(0x1000)),
        ],
        find_cache: 0x3000,
        threshold: 0,
    },
    Case {
        name: "the threshold records the largest gap passed",
        enters: &[
            fixed(0, 0x1000),
            fixed(0x2000, 0x1000),
            find(0, 0x2000, 0, Ok(0x3000)),
        ],
        find_cache: 0x5000,
        threshold: 0x1000,
    },
    Case {
        name: "a size not above the threshold searches from the map start",
        enters: &[
            fixed(0, 0x1000),
            fixed(0x2000, 0x1000),
            find(0, 0x2000, 0, Ok(0x3000)),
            find(0, 0x1000, 0, Ok(0x1000)),
        ],
        find_cache: 0x2000,
        threshold: 0,
    },
    Case {
        name: "a size above the threshold searches from the find cache",
        enters: &[
            fixed(0, 0x1000),
            fixed(0x2000, 0x1000),
            find(0, 0x2000, 0, Ok(0x3000)),
            find(0, 0x1000, 0, Ok(0x1000)),
            find(0, 0x2000, 0, Ok(0x5000)),
        ],
        find_cache: 0x7000,
        threshold: 0,
    },
    Case {
        name: "the search retries from the map start",
        enters: &[
            fixed(0, 0x1000),
            fixed(0x3000, 0x1000),
            // The aligned start leaves only 0x1000 of the gap: threshold 0x1000.
            find(0, 0x4000, 0x2000, Ok(0x4000)),
            fixed(0x8000, TOP - 0x8000),
            find(0, 0x2000, 0, Ok(0x1000)),
        ],
        find_cache: 0x3000,
        threshold: 0,
    },
    Case {
        name: "a full map fails after the retry and resets the find cache",
        enters: &[
            find(0, TOP - 0x2000, 0, Ok(0)),
            fixed(TOP - 0x1000, 0x1000),
            find(0, 0x2000, 0, Err(Error::NoMem)),
        ],
        find_cache: 0,
        threshold: VM_MAP_NO_FIND_CACHE,
    },
    Case {
        name: "a fixed request over an entry fails and resets the find cache",
        enters: &[
            find(0, 0x2000, 0, Ok(0)),
            Enter {
                start: 0x1000,
                size: 0x1000,
                align: 0,
                fixed: true,
                expect: Err(Error::NoMem),
            },
        ],
        find_cache: 0,
        threshold: VM_MAP_NO_FIND_CACHE,
    },
    Case {
        name: "a fixed request past the map end fails",
        enters: &[Enter {
            start: TOP - 0x1000,
            size: 0x2000,
            align: 0,
            fixed: true,
            expect: Err(Error::NoMem),
        }],
        find_cache: 0,
        threshold: VM_MAP_NO_FIND_CACHE,
    },
    Case {
        name: "a fixed request exactly filling a gap succeeds",
        enters: &[
            fixed(0, 0x1000),
            fixed(0x2000, 0x1000),
            fixed(0x1000, 0x1000),
        ],
        find_cache: 0,
        threshold: VM_MAP_NO_FIND_CACHE,
    },
    Case {
        // The seed's alignment rounding can carry the start past the map
        // end, where `map->end - start` wraps to a huge value.
        name: "alignment past the map end places the entry outside the map",
        enters: &[fixed(0, 0x1000), find(0, 0x1000, 1 << 48, Ok(1 << 48))],
        find_cache: (1 << 48) + 0x1000,
        threshold: 0,
    },
];

#[test]
fn searches_choose_the_seeds_addresses() {
    for case in CASES {
        let (mut vm, mut env, map) = boot_user();
        for (index, step) in case.enters.iter().enumerate() {
            let flags = if step.fixed { rw().with_fixed() } else { rw() };
            let result = vm.enter(
                &mut env, map, OBJECT, 0, step.start, step.size, step.align, flags,
            );
            let expect = step.expect.map_err(Failure::Error);
            assert_eq!(result, expect, "{}: enter {index}", case.name);
        }
        let state = vm.map_state(map).expect("map");
        assert_eq!(
            state.find_cache, case.find_cache,
            "{}: find cache",
            case.name
        );
        assert_eq!(
            state.find_cache_threshold, case.threshold,
            "{}: threshold",
            case.name
        );
        let placed = case
            .enters
            .iter()
            .filter(|step| step.expect.is_ok())
            .count();
        assert_eq!(state.nr_entries as usize, placed, "{}: entries", case.name);
    }
}

#[test]
fn an_entry_outside_the_map_makes_the_next_search_assert() {
    let (mut vm, mut env, map) = boot_user();
    enter(&mut vm, &mut env, map, OBJECT, 0, 0x1000, true).unwrap();
    let flags = rw();
    let far = vm.enter(&mut env, map, OBJECT, 0, 0, 0x1000, 1 << 48, flags);
    assert_eq!(far, Ok(1 << 48));
    // Next search starts at the find cache, beyond the map end.
    let next = vm.enter(&mut env, map, OBJECT, 0, 0, 0x1000, 0, flags);
    assert_eq!(
        next,
        Err(Failure::Precondition(
            crate::Precondition::FindStartWithinMap
        ))
    );
}

#[test]
fn alignment_past_the_kernel_map_end_is_accepted() {
    // The search starts at the kernel map's find cache (the kentry end);
    // an alignment of 2^63 rounds it up to 2^63, far past the map end, and
    // the wrapping `map->end - start` accepts it. The pmap grows for it.
    let (mut vm, mut env) = boot();
    let flags = MapFlags::from_raw(KERNEL_FLAGS);
    let result = vm.enter(&mut env, MapId::KERNEL, None, 0, 0, 0x1000, 1 << 63, flags);
    assert_eq!(result, Ok(1 << 63));
    assert!(env
        .events
        .contains(&fake_env::Event::Kgrow((1 << 63) + 0x1000)));
}
