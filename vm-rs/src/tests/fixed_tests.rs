//! The fixed port: [`CBugs`] itself, and for every registered bug of the C
//! a scenario whose observation differs between the C's behaviour and the
//! fix. Each scenario runs four ways: with every switch on (the C), every
//! switch off (the fixed port), the fixed port with that one switch on
//! (which must show the C's behaviour again) and the C with that one
//! switch off (which must show the fix): each switch alone decides.

extern crate std;

use std::format;
use std::string::String;
use std::vec;
use std::vec::Vec;

use super::fake_env::{Event, FakeEnv, KERNEL_START};
use super::*;
use crate::{
    CBugs, Error, Precondition, FIXED_PORT_PRECONDITIONS, FIXED_PORT_PREFIX, PRECONDITIONS,
};

/// A scenario: what a port with these switches shows, as one line.
type Scenario = fn(CBugs) -> String;

/// A registered bug, its scenario, and the scenario's line for the fixed
/// port and for the C.
struct Row {
    id: &'static str,
    scenario: Scenario,
    fixed: &'static str,
    c: &'static str,
}

/// A set-up port with one user map, with these switches.
fn boot_user_with(bugs: CBugs) -> (Vm, FakeEnv, MapId) {
    let (mut vm, mut env) = boot_with_bugs(FakeEnv::new(), bugs);
    let map = vm.create_map(&mut env).expect("create_map");
    env.take_events();
    (vm, env, map)
}

/// An alignment above the whole user address space (2^48).
const HUGE_ALIGN: u64 = 1 << 48;

/// The map's only entry is at 0 and the alignment rounds the search's next
/// candidate (0x1000) past the map's end: there is no aligned room.
fn align_past_end(bugs: CBugs) -> String {
    let (mut vm, mut env, map) = boot_user_with(bugs);
    enter(&mut vm, &mut env, map, OBJECT, 0, 0x1000, true).unwrap();
    let result = vm.enter(&mut env, map, OBJECT, 0, 0, 0x1000, HUGE_ALIGN, rw());
    format!("{result:x?} {:x?}", ranges(&vm, map))
}

/// Removes the upper half of the map's first entry, so that clip_end
/// relinks that entry; shows the list order.
fn clip_first_entry(bugs: CBugs) -> String {
    let (mut vm, mut env, map) = boot_user_with(bugs);
    enter(&mut vm, &mut env, map, OBJECT, 0x1000, 0x2000, true).unwrap();
    enter(&mut vm, &mut env, map, OBJECT, 0x5000, 0x1000, true).unwrap();
    vm.remove(&mut env, map, 0x1000, 0x2000).unwrap();
    format!("{:x?}", list_ranges(&vm, map))
}

/// A remove whose end is inside a page.
fn unaligned_end(bugs: CBugs) -> String {
    let (mut vm, mut env, map) = boot_user_with(bugs);
    enter(&mut vm, &mut env, map, OBJECT, 0x1000, 0x2000, true).unwrap();
    let result = vm.remove(&mut env, map, 0x1000, 0x1800);
    format!("{result:?}")
}

/// A free hint that is not a multiple of the alignment.
fn unaligned_hint(bugs: CBugs) -> String {
    let (mut vm, mut env, map) = boot_user_with(bugs);
    let result = vm.enter(&mut env, map, OBJECT, 0, 0x3000, 0x1000, 0x2000, rw());
    format!("{result:x?}")
}

/// Two faulted pages apart, then a remove over both: the page-table calls
/// of the remove.
fn faulted_then_removed(bugs: CBugs) -> String {
    let (mut vm, mut env, map) = boot_user_with(bugs);
    enter(&mut vm, &mut env, map, OBJECT, 0x10000, 0x3000, true).unwrap();
    for addr in [0x10000, 0x12000] {
        vm.fault(&mut env, map, addr, Protection::READ).unwrap();
    }
    env.take_events();
    vm.remove(&mut env, map, 0x10000, 0x13000).unwrap();
    let pmap_calls: Vec<Event> = env
        .take_events()
        .into_iter()
        .filter(|event| matches!(event, Event::PmapRemove(..) | Event::Update(..)))
        .collect();
    format!("{pmap_calls:x?}")
}

/// A fault that asks for no access.
fn access_none(bugs: CBugs) -> String {
    let (mut vm, mut env, map) = boot_user_with(bugs);
    enter(&mut vm, &mut env, map, OBJECT, 0x10000, 0x1000, true).unwrap();
    let result = vm.fault(&mut env, map, 0x10000, Protection::NONE);
    format!("{result:?}")
}

/// An enter with inheritance 3, which X15 does not define.
fn undefined_inheritance(bugs: CBugs) -> String {
    let (mut vm, mut env, map) = boot_user_with(bugs);
    let flags = MapFlags::from_raw(0x373);
    let result = vm.enter(&mut env, map, OBJECT, 0, 0, 0x1000, 0, flags);
    format!("{result:x?}")
}

/// A kernel-map remove of the boot space's first page.
fn kernel_boot_page(bugs: CBugs) -> String {
    let (mut vm, mut env) = boot_with_bugs(FakeEnv::new(), bugs);
    let result = vm.remove(&mut env, MapId::KERNEL, KERNEL_START, KERNEL_START + 0x1000);
    format!("{result:?}")
}

const ROWS: &[Row] = &[
    Row {
        id: "find-avail-align-past-end",
        scenario: align_past_end,
        fixed: "Err(Error(NoMem)) [(0, 1000)]",
        c: "Ok(1000000000000) [(0, 1000), (1000000000000, 1000000001000)]",
    },
    Row {
        id: "clip-end-relinks-first-entry-at-tail",
        scenario: clip_first_entry,
        fixed: "[(2000, 3000), (5000, 6000)]",
        c: "[(5000, 6000), (2000, 3000)]",
    },
    Row {
        id: "remove-unaligned-end",
        scenario: unaligned_end,
        fixed: "Err(Precondition(RemoveEndAligned))",
        c: "Ok(())",
    },
    Row {
        id: "enter-hint-ignores-alignment",
        scenario: unaligned_hint,
        fixed: "Ok(0)",
        c: "Ok(3000)",
    },
    Row {
        id: "remove-leaves-pages-present",
        scenario: faulted_then_removed,
        fixed: "[PmapRemove(1, 10000, 11000), Update(1, 10000, 11000), \
                PmapRemove(1, 12000, 13000), Update(1, 12000, 13000)]",
        c: "[]",
    },
    Row {
        id: "fault-access-none",
        scenario: access_none,
        fixed: "Err(Precondition(FaultAccessValid))",
        c: "Ok(())",
    },
    Row {
        id: "enter-accepts-undefined-attributes",
        scenario: undefined_inheritance,
        fixed: "Err(Precondition(RequestInheritanceDefined))",
        c: "Ok(0)",
    },
    Row {
        id: "remove-takes-kernel-memory",
        scenario: kernel_boot_page,
        fixed: "Err(Precondition(RemoveKernelOwned))",
        c: "Ok(())",
    },
];

#[test]
fn every_switch_alone_decides_its_bug() {
    let mut wrong = Vec::new();
    for row in ROWS {
        let mut check = |preset: &str, bugs: Option<CBugs>, expected: &str| {
            let seen = bugs.map(row.scenario);
            if seen.as_deref() != Some(expected) {
                wrong.push(format!(
                    "{} with {preset}: expected {expected}, saw {seen:?}",
                    row.id
                ));
            }
        };
        check("FIXED", Some(CBugs::FIXED), row.fixed);
        check("BUG_FOR_BUG", Some(CBugs::BUG_FOR_BUG), row.c);
        check("FIXED + its switch", CBugs::FIXED.with(row.id, true), row.c);
        check(
            "BUG_FOR_BUG - its switch",
            CBugs::BUG_FOR_BUG.with(row.id, false),
            row.fixed,
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_switch_has_a_scenario() {
    let tested: Vec<&str> = ROWS.iter().map(|row| row.id).collect();
    assert_eq!(tested, CBugs::ids().collect::<Vec<_>>());
}

#[test]
fn the_presets_set_every_switch_and_ids_name_them() {
    let ids: Vec<&str> = CBugs::ids().collect();
    assert_eq!(ids.len(), 8);
    for id in &ids {
        assert_eq!(CBugs::BUG_FOR_BUG.get(id), Some(true), "{id}");
        assert_eq!(CBugs::FIXED.get(id), Some(false), "{id}");
        let alone = CBugs::FIXED.with(id, true).expect("a known id");
        let others_on = ids.iter().filter(|other| alone.get(other) == Some(true));
        assert_eq!(others_on.count(), 1, "{id} sets only itself");
    }
    assert_eq!(CBugs::default(), CBugs::FIXED);
    let mut bugs = CBugs::FIXED;
    assert!(!bugs.set("no-such-bug", true));
    assert_eq!(bugs, CBugs::FIXED);
    assert_eq!(CBugs::FIXED.get("no-such-bug"), None);
    assert_eq!(CBugs::FIXED.with("no-such-bug", true), None);
}

#[test]
fn every_switch_is_named_after_its_field() {
    // The ids are the fields' names in kebab case: the Debug form lists
    // the fields in declaration order.
    let debug = format!("{:?}", CBugs::FIXED);
    let fields: Vec<String> = debug
        .split(['{', ',', '}'])
        .filter_map(|part| part.split(':').next())
        .map(|name| name.trim().replace('_', "-"))
        .filter(|name| !name.is_empty() && name != "CBugs")
        .collect();
    assert_eq!(fields, CBugs::ids().collect::<Vec<_>>());
}

#[test]
fn the_fixed_ports_preconditions_are_apart_from_the_cs() {
    let seed_assertions: Vec<String> = PRECONDITIONS
        .iter()
        .map(|(_, text)| String::from(*text))
        .collect();
    for (precondition, text) in FIXED_PORT_PRECONDITIONS {
        assert!(text.starts_with(FIXED_PORT_PREFIX), "{precondition:?}");
        assert!(!SEED.contains(&text[FIXED_PORT_PREFIX.len()..]), "{text}");
        assert!(!seed_assertions.iter().any(|c| c == text), "{text}");
        assert_eq!(precondition.expression(), *text);
        assert!(!precondition.is_c_assertion(), "{precondition:?}");
    }
    for (precondition, _) in PRECONDITIONS {
        assert!(precondition.is_c_assertion(), "{precondition:?}");
    }
}

/// A fixed port with one user map whose object mapping
/// `[0x10000, 0x14000)` has faulted pages at `faulted`, events forgotten.
fn fixed_with_faulted_pages(faulted: &[u64]) -> (Vm, FakeEnv, MapId) {
    let (mut vm, mut env, map) = boot_user_with(CBugs::FIXED);
    enter(&mut vm, &mut env, map, OBJECT, 0x10000, 0x4000, true).unwrap();
    for &addr in faulted {
        vm.fault(&mut env, map, addr, Protection::READ).unwrap();
    }
    env.take_events();
    (vm, env, map)
}

/// A range of addresses, `(start, end)`.
type Range = (u64, u64);

/// The `pmap_remove` calls among `events`.
fn pmap_removes(events: &[Event]) -> Vec<Range> {
    events
        .iter()
        .filter_map(|event| match *event {
            Event::PmapRemove(_, start, end) => Some((start, end)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_fixed_remove_takes_out_only_the_faulted_pages_of_its_range_once() {
    // Removes in order, each with the runs it must take out.
    let removes: [(Range, Vec<Range>); 3] = [
        ((0x11000, 0x12000), vec![(0x11000, 0x12000)]),
        ((0x13000, 0x14000), vec![]),
        (
            (0x10000, 0x13000),
            vec![(0x10000, 0x11000), (0x12000, 0x13000)],
        ),
    ];
    let (mut vm, mut env, map) = fixed_with_faulted_pages(&[0x10000, 0x11000, 0x12000, 0x11000]);
    for ((start, end), expected) in removes {
        vm.remove(&mut env, map, start, end).unwrap();
        let events = env.take_events();
        assert_eq!(pmap_removes(&events), expected, "[{start:#x}, {end:#x})");
    }
}

#[test]
fn a_fixed_remove_without_faulted_pages_makes_the_cs_calls() {
    let run = |bugs| {
        let (mut vm, mut env, map) = boot_user_with(bugs);
        enter(&mut vm, &mut env, map, OBJECT, 0x10000, 0x3000, true).unwrap();
        vm.remove(&mut env, map, 0x11000, 0x12000).unwrap();
        env.take_events()
    };
    assert_eq!(run(CBugs::FIXED), run(CBugs::BUG_FOR_BUG));
}

/// An operation on a set-up port with one user map.
type Operation = fn(&mut Vm, &mut FakeEnv, MapId) -> Result<(), Failure>;

/// What a fixed port refuses (or not) that the C would not; each case is
/// on a set-up port with one user map, whose kernel map holds the map
/// cache's slab at `KENTRY_END` (a live kernel allocation).
const FIXED_REFUSALS: &[(&str, Operation, Result<(), Failure>)] = &[
    (
        "an advice above DONTNEED",
        |vm, env, map| {
            let flags = MapFlags::from_raw(0x5073);
            vm.enter(env, map, OBJECT, 0, 0, 0x1000, 0, flags)
                .map(|_| ())
        },
        Err(Failure::Precondition(Precondition::RequestAdviceDefined)),
    ),
    (
        "the largest inheritance and advice X15 defines (copy, don't need)",
        |vm, env, map| {
            let flags = MapFlags::from_raw(0x4273);
            vm.enter(env, map, OBJECT, 0, 0, 0x1000, 0, flags)
                .map(|_| ())
        },
        Ok(()),
    ),
    (
        "an access above execute fails the C's own protection check",
        |vm, env, map| {
            enter(vm, env, map, OBJECT, 0x10000, 0x1000, true)?;
            vm.fault(env, map, 0x10000, Protection::from_raw(0x9))
        },
        Err(Failure::Error(Error::Acces)),
    ),
    (
        "an access of none where the C would map the page",
        |vm, env, map| {
            enter(vm, env, map, OBJECT, 0x10000, 0x1000, true)?;
            vm.fault(env, map, 0x10000, Protection::from_raw(0))
        },
        Err(Failure::Precondition(Precondition::FaultAccessValid)),
    ),
    (
        "an access of none on an unmapped page is the C's ERROR_FAULT",
        |vm, env, map| vm.fault(env, map, 0x10000, Protection::from_raw(0)),
        Err(Failure::Error(Error::Fault)),
    ),
    (
        "undefined attributes where the C finds no room are the C's ERROR_NOMEM",
        |vm, env, map| {
            let flags = MapFlags::from_raw(0x5073 | crate::map_flags::VM_MAP_FIXED);
            enter(vm, env, map, OBJECT, 0x10000, 0x1000, true)?;
            vm.enter(env, map, OBJECT, 0, 0x10000, 0x1000, 0, flags)
                .map(|_| ())
        },
        Err(Failure::Error(Error::NoMem)),
    ),
    (
        "an unaligned start is still the C's assertion",
        |vm, env, map| vm.remove(env, map, 0x800, 0x1800),
        Err(Failure::Precondition(Precondition::LookupAddrAligned)),
    ),
    (
        "a kernel remove over the kentry area's last page",
        |vm, env, _| vm.remove(env, MapId::KERNEL, KENTRY_END - 0x1000, KENTRY_END),
        Err(Failure::Precondition(Precondition::RemoveKernelOwned)),
    ),
    (
        "a kernel remove over the map cache's slab",
        |vm, env, _| vm.remove(env, MapId::KERNEL, KENTRY_END, KENTRY_END + 0x1000),
        Err(Failure::Precondition(Precondition::RemoveKernelOwned)),
    ),
    (
        "a kernel remove of the caller's own mapping",
        |vm, env, _| {
            let flags = MapFlags::from_raw(KERNEL_FLAGS);
            let start = vm.enter(env, MapId::KERNEL, None, 0, 0, 0x2000, 0, flags)?;
            vm.remove(env, MapId::KERNEL, start, start + 0x2000)
        },
        Ok(()),
    ),
    (
        "the allocator's own free of an emptied slab",
        |vm, env, map| {
            // The user map's first entry takes a slab of the entry cache
            // from the kernel allocator; its remove empties it.
            enter(vm, env, map, OBJECT, 0x10000, 0x1000, true)?;
            vm.remove(env, map, 0x10000, 0x11000)?;
            vm.reap(env)
        },
        Ok(()),
    ),
];

#[test]
fn the_fixed_port_refuses_exactly_what_the_c_accepts_by_mistake() {
    for (name, operation, expected) in FIXED_REFUSALS {
        let (mut vm, mut env, map) = boot_user_with(CBugs::FIXED);
        assert_eq!(operation(&mut vm, &mut env, map), *expected, "{name}");
    }
}

#[test]
fn the_allocators_free_forgets_the_range() {
    // After the reap gave the entry cache's slab back, a caller may map
    // and remove that range like any other.
    let (mut vm, mut env, map) = boot_user_with(CBugs::FIXED);
    enter(&mut vm, &mut env, map, OBJECT, 0x10000, 0x1000, true).unwrap();
    vm.remove(&mut env, map, 0x10000, 0x11000).unwrap();
    vm.reap(&mut env).unwrap();
    let freed = env
        .take_events()
        .into_iter()
        .find_map(|event| match event {
            Event::Depopulate(va, size) => Some((va, va + size as u64)),
            _ => None,
        })
        .expect("the reap freed a slab");
    let flags = MapFlags::from_raw(KERNEL_FLAGS).with_fixed();
    let size = freed.1 - freed.0;
    let entered = vm.enter(&mut env, MapId::KERNEL, None, 0, freed.0, size, 0, flags);
    assert_eq!(entered, Ok(freed.0));
    assert_eq!(vm.remove(&mut env, MapId::KERNEL, freed.0, freed.1), Ok(()));
}

/// A fixed port's non-fixed enter of one page into a user map holding one
/// page at 0: the hint, the alignment, and the start it must choose. The
/// search tries a free hint first (vm_map_find_avail through
/// vm_map_find_fixed) when it is a multiple of the alignment, and
/// otherwise takes the first aligned room from the map's start.
const FIXED_SEARCHES: [(&str, u64, u64, u64); 4] = [
    ("a free hint, no alignment", 0x5000, 0, 0x5000),
    ("a free hint on the alignment", 0x20000, 0x10000, 0x20000),
    ("a free hint off the alignment", 0x5000, 0x10000, 0x10000),
    ("no hint: rounded up past the entry", 0, 0x10000, 0x10000),
];

#[test]
fn the_fixed_ports_search_takes_an_aligned_hint_or_the_first_aligned_room() {
    for (name, hint, align, expected) in FIXED_SEARCHES {
        let (mut vm, mut env, map) = boot_user_with(CBugs::FIXED);
        enter(&mut vm, &mut env, map, OBJECT, 0, 0x1000, true).unwrap();
        let result = vm.enter(&mut env, map, OBJECT, 0, hint, 0x1000, align, rw());
        assert_eq!(result, Ok(expected), "{name}");
    }
}

#[test]
fn a_kernel_remove_just_below_the_boot_space_is_the_callers() {
    // Half-open ranges that only touch do not meet: a boot space starting
    // above the kernel map's start leaves room below it, which a caller may
    // map and remove.
    let mut env = FakeEnv::new();
    let boot_start = KERNEL_START + 0x10000;
    env.boot = (boot_start, boot_start + BOOT_SIZE);
    let (mut vm, mut env) = boot_with_bugs(env, CBugs::FIXED);
    let flags = MapFlags::from_raw(KERNEL_FLAGS).with_fixed();
    let below = (KERNEL_START, boot_start);
    let size = below.1 - below.0;
    let entered = vm.enter(&mut env, MapId::KERNEL, None, 0, below.0, size, 0, flags);
    assert_eq!(entered, Ok(below.0));
    assert_eq!(vm.remove(&mut env, MapId::KERNEL, below.0, below.1), Ok(()));
}
