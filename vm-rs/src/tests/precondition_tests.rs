//! Every reachable C assertion as a precondition, in the C's order, and the
//! precondition table checked against the seed's own assertion texts.

extern crate std;

use std::collections::BTreeSet;
use std::string::String;
use std::vec::Vec;

use super::fake_env::{FakeEnv, KERNEL_START};
use super::*;
use crate::{Error, Precondition, PRECONDITIONS, VM_MAX_ADDRESS};

use super::SEED;

/// The project's red-black tree, whose insertion macro the seed inlines.
const RBTREE_H: &str = include_str!("../../../c-reference/x15/kern/rbtree.h");

/// Seed assertions the port cannot reach, with the reason.
const UNREACHABLE: &[(&str, &str)] = &[
    ("!error", "vm_map_insert always returns 0"),
    ("nr_pages > 0", "follows from nr_slabs > 0"),
    ("vm_page_aligned(VM_MAP_KENTRY_SIZE)", "a constant"),
    (
        "addr < entry->end",
        "the nearest entry always ends above addr",
    ),
    ("entry != NULL", "callers pass entries"),
    ("first != NULL", "callers pass entries"),
    ("second != NULL", "callers pass entries"),
];

/// The argument of every `assert(...)` in the seed, stringified as the
/// preprocessor does (whitespace runs become one space).
fn seed_assertions() -> Vec<String> {
    let mut found = Vec::new();
    let bytes = SEED.as_bytes();
    let mut from = 0;
    while let Some(position) = SEED[from..].find("assert(") {
        let start = from + position;
        from = start + 1;
        let word_start =
            start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        if !word_start {
            continue;
        }
        let mut depth = 0;
        let mut end = start + "assert".len();
        for (offset, byte) in SEED[end..].bytes().enumerate() {
            depth += match byte {
                b'(' => 1,
                b')' => -1,
                _ => 0,
            };
            if depth == 0 {
                end += offset;
                break;
            }
        }
        let argument = &SEED[start + "assert(".len()..end];
        found.push(argument.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    found
}

#[test]
fn the_table_matches_the_seeds_assertions() {
    let seed: BTreeSet<String> = seed_assertions().into_iter().collect();
    assert!(seed.len() > 30, "found {} assertions", seed.len());
    let header_assertion = std::format!("assert({})", Precondition::TreeInsertUnequal.expression());
    assert!(RBTREE_H.contains(&header_assertion));
    for (precondition, text) in PRECONDITIONS {
        if *precondition == Precondition::TreeInsertUnequal {
            continue;
        }
        assert!(seed.contains(*text), "{precondition:?}: {text}");
        assert_eq!(precondition.expression(), *text);
    }
    let covered: BTreeSet<&str> = PRECONDITIONS
        .iter()
        .map(|(_, text)| *text)
        .chain(UNREACHABLE.iter().map(|(text, _)| *text))
        .collect();
    for text in &seed {
        assert!(
            covered.contains(text.as_str()),
            "seed assertion not covered: {text}"
        );
    }
}

/// An operation on a set-up port with one user map.
type Operation = fn(&mut Vm, &mut FakeEnv, MapId) -> Result<(), Failure>;

/// Enters into the user map with raw arguments.
fn user_enter(
    vm: &mut Vm,
    env: &mut FakeEnv,
    map: MapId,
    object: bool,
    (offset, start, size, align): (u64, u64, u64, u64),
    flags: u32,
) -> Result<(), Failure> {
    let object = if object { OBJECT } else { None };
    let flags = MapFlags::from_raw(flags);
    vm.enter(env, map, object, offset, start, size, align, flags)
        .map(|_| ())
}

const RW: u32 = 0x73;
const FIXED: u32 = 0x20000;
const NOMERGE: u32 = 0x10000;

const CASES: &[(&str, Operation, Precondition)] = &[
    (
        "an offset without an object",
        |vm, env, map| user_enter(vm, env, map, false, (0x1000, 0, 0x1000, 0), RW),
        Precondition::RequestOffsetWithoutObject,
    ),
    (
        "an unaligned offset",
        |vm, env, map| user_enter(vm, env, map, true, (0x800, 0, 0x1000, 0), RW),
        Precondition::RequestOffsetAligned,
    ),
    (
        "an unaligned start",
        |vm, env, map| user_enter(vm, env, map, true, (0, 0x800, 0x1000, 0), RW),
        Precondition::RequestStartAligned,
    ),
    (
        "a zero size",
        |vm, env, map| user_enter(vm, env, map, true, (0, 0, 0, 0), RW),
        Precondition::RequestSizeNonZero,
    ),
    (
        "an unaligned size",
        |vm, env, map| user_enter(vm, env, map, true, (0, 0, 0x800, 0), RW),
        Precondition::RequestSizeAligned,
    ),
    (
        "a range wrapping past the top",
        |vm, env, map| {
            user_enter(
                vm,
                env,
                map,
                true,
                (0, 0xffff_ffff_ffff_f000, 0x1000, 0),
                RW,
            )
        },
        Precondition::RequestNoWrap,
    ),
    (
        "an aligned start whose end wraps past the top (found by the fuzzer)",
        |vm, env, map| {
            user_enter(vm, env, map, true, (0, 0, 0x1000, 0), RW)?;
            user_enter(
                vm,
                env,
                map,
                true,
                (0, 0, 0xffff_4000_0000_0000, 1 << 48),
                RW,
            )
        },
        Precondition::LinkStartBelowEnd,
    ),
    (
        "an alignment below a page",
        |vm, env, map| user_enter(vm, env, map, true, (0, 0, 0x1000, 0x800), RW),
        Precondition::RequestAlignAtLeastPage,
    ),
    (
        "an alignment not a power of two",
        |vm, env, map| user_enter(vm, env, map, true, (0, 0, 0x1000, 0x3000), RW),
        Precondition::RequestAlignPowerOfTwo,
    ),
    (
        "a protection beyond the maximum",
        |vm, env, map| user_enter(vm, env, map, true, (0, 0, 0x1000, 0), 0x37),
        Precondition::RequestProtWithinMax,
    ),
    (
        "a fixed start off the alignment",
        |vm, env, map| user_enter(vm, env, map, true, (0, 0x1000, 0x1000, 0x2000), RW | FIXED),
        Precondition::RequestFixedStartAligned,
    ),
    (
        "the first failing check decides (offset before size)",
        |vm, env, map| user_enter(vm, env, map, false, (0x800, 0x800, 0, 3), 0x7f),
        Precondition::RequestOffsetWithoutObject,
    ),
    (
        "NOMERGE through vm_map_enter",
        |vm, env, map| user_enter(vm, env, map, false, (0, 0, 0x1000, 0), RW | NOMERGE),
        Precondition::MergeWithNoMerge,
    ),
    (
        "NOMERGE with an object too",
        |vm, env, map| user_enter(vm, env, map, true, (0, 0, 0x1000, 0), RW | NOMERGE),
        Precondition::MergeWithNoMerge,
    ),
    (
        "a remove with an unaligned start",
        |vm, env, map| vm.remove(env, map, 0x800, 0x2000),
        Precondition::LookupAddrAligned,
    ),
    (
        "a remove below the map",
        |vm, env, _| vm.remove(env, MapId::KERNEL, 0x1000, KERNEL_START + 0x1000),
        Precondition::RemoveStartInMap,
    ),
    (
        "a remove past the map",
        |vm, env, map| vm.remove(env, map, 0, VM_MAX_ADDRESS + 0x1000),
        Precondition::RemoveEndInMap,
    ),
    (
        "an empty remove",
        |vm, env, map| vm.remove(env, map, 0x2000, 0x2000),
        Precondition::RemoveNonEmpty,
    ),
    (
        "a reversed remove",
        |vm, env, map| vm.remove(env, map, 0x3000, 0x2000),
        Precondition::RemoveNonEmpty,
    ),
    (
        "a fault on the kernel map",
        |vm, env, _| vm.fault(env, MapId::KERNEL, KERNEL_START, Protection::READ),
        Precondition::FaultNotKernelMap,
    ),
    (
        "a permitted fault on a null mapping",
        |vm, env, map| {
            user_enter(vm, env, map, false, (0, 0x1000, 0x1000, 0), RW | FIXED)?;
            vm.fault(env, map, 0x1800, Protection::WRITE)
        },
        Precondition::FaultObjectNotNull,
    ),
    (
        "a search from a find cache past the map end",
        |vm, env, map| {
            user_enter(vm, env, map, true, (0, 0, 0x1000, 0), RW | FIXED)?;
            user_enter(vm, env, map, true, (0, 0, 0x1000, 1 << 48), RW)?;
            user_enter(vm, env, map, true, (0, 0, 0x1000, 0), RW)
        },
        Precondition::FindStartWithinMap,
    ),
    (
        "a search misled by the list lands on an entry's start",
        |vm, env, map| {
            for (start, size) in [(0x1000, 0x2000), (0x3000, 0x1000), (0x8000, 0x1000)] {
                user_enter(vm, env, map, true, (0, start, size, 0), RW | FIXED)?;
            }
            // The upper part [0x2000, 0x3000) goes to the list's tail, so
            // the walk ends after it and picks 0x3000, inside the next entry.
            vm.remove(env, map, 0x1000, 0x2000)?;
            user_enter(vm, env, map, true, (0, 0, 0x3000, 0), RW)
        },
        Precondition::TreeInsertUnequal,
    ),
];

#[test]
fn each_assertion_becomes_its_precondition_and_kills_the_port() {
    for (name, operation, expect) in CASES {
        let (mut vm, mut env, map) = boot_user();
        assert_eq!(
            operation(&mut vm, &mut env, map),
            Err(Failure::Precondition(*expect)),
            "{name}"
        );
        assert!(vm.is_dead(), "{name}");
        env.take_events();
        assert_eq!(vm.create_map(&mut env), Err(Failure::Dead), "{name}");
        assert!(env.events.is_empty(), "{name}");
    }
}

#[test]
fn a_kentry_slab_of_another_size_is_refused() {
    // Before any user map exists the kentry cache has no slab yet.
    let (mut vm, mut env) = boot();
    env.need_slab_size = Some(8192);
    let result = user_enter(
        &mut vm,
        &mut env,
        MapId::KERNEL,
        false,
        (0, 0, 0x1000, 0),
        RW,
    );
    assert_eq!(
        result,
        Err(Failure::Precondition(Precondition::KentryAllocSlabSize))
    );
}

#[test]
fn nomerge_with_no_room_is_an_error_not_a_precondition() {
    // The search fails before vm_map_try_merge asserts.
    let (mut vm, mut env, map) = boot_user();
    let result = user_enter(
        &mut vm,
        &mut env,
        map,
        false,
        (0, VM_MAX_ADDRESS, 0x1000, 0),
        RW | NOMERGE | FIXED,
    );
    assert_eq!(result, Err(Failure::Error(Error::NoMem)));
    assert!(!vm.is_dead());
}

#[test]
fn setup_assertions_become_preconditions() {
    let cases: [(&str, Prepare, Precondition); 3] = [
        (
            "unaligned kernel start",
            |env| env.kernel_bounds.0 += 0x800,
            Precondition::MapInitStartAligned,
        ),
        (
            "unaligned kernel end",
            |env| env.kernel_bounds.1 += 0x800,
            Precondition::MapInitEndAligned,
        ),
        (
            "a kentry slab larger than the area",
            |env| env.slab_size = 2 * VM_MAP_KENTRY_SIZE as usize,
            Precondition::KentrySetupSlabs,
        ),
    ];
    for (name, prepare, expect) in cases {
        let result = setup_prepared(prepare);
        assert_eq!(result, Err(Failure::Precondition(expect)), "{name}");
    }
}

#[test]
fn every_reachable_precondition_is_tested() {
    let mut tested: BTreeSet<String> = CASES
        .iter()
        .map(|(_, _, precondition)| std::format!("{precondition:?}"))
        .collect();
    // Tested in kentry_tests and in the other tests of this module.
    for other in [
        "KentryAllocSlabSize",
        "KentryAllocVaAboveStart",
        "KentryFreeVaAboveStart",
        "KentryFreeVaBelowEnd",
        "KentryFreeSlabSize",
        "KentryFreePageMapped",
        "KentryFreePageKnown",
        "KentrySlabAllocated",
        "MapInitStartAligned",
        "MapInitEndAligned",
        "KentrySetupSlabs",
    ] {
        tested.insert(other.into());
    }
    // Unreachable in the port: the C reaches them only through memory
    // outside the kentry table, where the port stops with Undefined.
    let untestable = ["KentrySlabFree", "KentryAllocVaBelowEnd"];
    for (precondition, _) in PRECONDITIONS {
        let name = std::format!("{precondition:?}");
        assert!(
            tested.contains(&name) || untestable.contains(&name.as_str()),
            "{name} has no test"
        );
    }
}
