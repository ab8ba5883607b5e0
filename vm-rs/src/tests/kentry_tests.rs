//! The kentry allocator: slabs filling and being reaped, exhaustion, and
//! the seed's arithmetic when a remove moved the kentry entry's start.

extern crate std;

use std::vec;
use std::vec::Vec;

use super::fake_env::{Event, FakeEnv};
use super::*;
use crate::env::{CacheId, EmptySlab, SlabBackEnd, SlabTake};
use crate::{Fatal, Precondition, Undefined};

/// Enters `count` one-page null mappings into the kernel map, alternating
/// two protections so that none merges: each needs a kentry object.
fn kernel_entries(vm: &mut Vm, env: &mut FakeEnv, first: u64, count: u64) {
    for index in first..first + count {
        let flags = if index % 2 == 0 { 0x77 } else { 0x73 };
        let result = vm.enter(
            env,
            MapId::KERNEL,
            None,
            0,
            0,
            0x1000,
            0,
            MapFlags::from_raw(flags),
        );
        assert_eq!(
            result,
            Ok(KENTRY_END + index * 0x1000),
            "kernel entry {index}"
        );
    }
}

#[test]
fn a_full_slab_takes_the_next_one_and_both_are_reaped() {
    let (mut vm, mut env) = boot();
    kernel_entries(&mut vm, &mut env, 0, 50);
    assert_eq!(vm.kentry_state().allocated().collect::<Vec<_>>(), vec![0]);
    env.take_events();
    kernel_entries(&mut vm, &mut env, 50, 1);
    let slab1 = KENTRY_START + 0x1000;
    let need = SlabTake::NeedSlab {
        slab_size_bytes: 4096,
        back_end: SlabBackEnd::Kentry,
    };
    // The 51st object needs slab 1, placed by its index in the table.
    assert_eq!(
        env.events[..6],
        [
            Event::Take(0, need),
            Event::PhysAlloc(Some(6 * 4096)),
            Event::Kenter(slab1, 6 * 4096, 3),
            Event::Update(0, slab1, slab1 + 0x1000),
            Event::Grow(0, slab1),
            Event::Take(0, SlabTake::Object(slab1)),
        ]
    );
    let state = vm.kentry_state();
    assert_eq!(state.allocated().collect::<Vec<_>>(), vec![0, 1]);
    assert_eq!(state.free_list().len(), 2046);
    assert_eq!(state.free_list()[0], 2);
    assert_eq!((env.slab_count(0), env.objects_in_use(0)), (2, 51));

    vm.remove(
        &mut env,
        MapId::KERNEL,
        KENTRY_END,
        KENTRY_END + 51 * 0x1000,
    )
    .unwrap();
    assert_eq!(env.objects_in_use(0), 0);
    env.take_events();
    vm.reap(&mut env).unwrap();
    let mut expected = Vec::new();
    for (slab, frame) in [(KENTRY_START, 5u64), (slab1, 6)] {
        expected.extend([
            Event::ReapNext(Some(EmptySlab {
                cache: CacheId(0),
                va: slab,
                size_bytes: 4096,
                back_end: SlabBackEnd::Kentry,
            })),
            Event::Extract(slab),
            Event::PhysLookup(frame * 4096),
            Event::PhysFree(frame * 4096),
            Event::Kremove(slab, slab + 0x1000),
            Event::Update(0, slab, slab + 0x1000),
        ]);
    }
    expected.push(Event::ReapNext(None));
    assert_eq!(env.events, expected);
    let state = vm.kentry_state();
    assert_eq!(state.allocated().count(), 0);
    assert_eq!(state.free_list()[..3], [1, 0, 2]);
    assert_eq!(state.free_list().len(), 2048);
}

#[test]
fn the_kentry_area_runs_out() {
    // Two slabs of 4 MiB, one object each: the third kernel entry finds
    // the free list empty.
    let mut env = FakeEnv::new();
    env.slab_size = 0x40_0000;
    env.capacity = Some(1);
    let (mut vm, mut env) = boot_with(env);
    assert_eq!(vm.kentry_state().free_list(), vec![0, 1]);
    let table = KENTRY_START + VM_MAP_KENTRY_SIZE;
    let kentry_end = table + 0x1000;
    let flags = |index: u64| MapFlags::from_raw(if index % 2 == 0 { 0x77 } else { 0x73 });
    for index in 0..2u64 {
        let result = vm.enter(&mut env, MapId::KERNEL, None, 0, 0, 0x1000, 0, flags(index));
        assert_eq!(result, Ok(kentry_end + index * 0x1000));
    }
    assert!(env
        .events
        .contains(&Event::Grow(0, KENTRY_START + 0x40_0000)));
    let result = vm.enter(&mut env, MapId::KERNEL, None, 0, 0, 0x1000, 0, flags(2));
    assert_eq!(result, Err(Failure::Fatal(Fatal::KentryAreaExhausted)));
    assert!(vm.is_dead());
    env.take_events();
    assert_eq!(vm.reap(&mut env), Err(Failure::Dead));
    assert!(env.events.is_empty());
}

/// Removes one page inside the kentry area: the static entry is clipped,
/// its start moves up by `offset`, and it is freed to the kentry cache.
fn move_kentry_start(vm: &mut Vm, env: &mut FakeEnv, offset: u64) {
    let start = KENTRY_START + offset;
    vm.remove(env, MapId::KERNEL, start, start + 0x1000)
        .unwrap();
    assert!(env
        .events
        .contains(&Event::Free(0, crate::entry::KENTRY_ENTRY_ADDRESS)));
}

#[test]
fn a_moved_kentry_start_misplaces_the_next_slab() {
    let mut env = FakeEnv::new();
    env.capacity = Some(2);
    let (mut vm, mut env) = boot_with(env);
    move_kentry_start(&mut vm, &mut env, 0x1000);
    // Slab 1's descriptor is now 511 descriptors below the moved table:
    // the C computes a slab below the (moved) area start and asserts.
    let result = vm.enter(
        &mut env,
        MapId::KERNEL,
        None,
        0,
        0,
        0x1000,
        0,
        MapFlags::from_raw(0x73),
    );
    assert_eq!(
        result,
        Err(Failure::Precondition(Precondition::KentryAllocVaAboveStart))
    );
}

#[test]
fn a_moved_kentry_start_frees_a_descriptor_outside_the_table() {
    let mut env = FakeEnv::new();
    env.capacity = Some(2);
    let (mut vm, mut env) = boot_with(env);
    // Slabs 0 to 3 hold eight kernel entries; the clips of the move take
    // both objects of slab 4 (the first while the start has not moved yet).
    kernel_entries(&mut vm, &mut env, 0, 8);
    move_kentry_start(&mut vm, &mut env, 4 * 0x1000);
    let moved = KENTRY_START + 4 * 0x1000;
    vm.remove(&mut env, MapId::KERNEL, KENTRY_START, moved)
        .unwrap();
    vm.remove(&mut env, MapId::KERNEL, moved + 0x1000, KENTRY_END)
        .unwrap();
    // Slab 4 is empty; its descriptor is computed from the moved table.
    let result = vm.reap(&mut env);
    let descriptor = TABLE_VA + 4 * 0x1000;
    assert_eq!(
        result,
        Err(Failure::Undefined(Undefined::KentryDescriptorOutsideTable(
            descriptor
        )))
    );
    assert!(vm.is_dead());
}

#[test]
fn a_slab_of_two_pages_maps_and_frees_both() {
    // vm_map_kentry_alloc enters every page of the slab, at va + i *
    // PAGE_SIZE, read/write; vm_map_kentry_free looks each one up and
    // frees it, then removes the whole slab's range.
    let mut env = FakeEnv::new();
    env.slab_size = 0x2000;
    let (mut vm, mut env) = boot_with(env);
    let kentry_end = TABLE_VA + 0x2000;
    let result = vm.enter(
        &mut env,
        MapId::KERNEL,
        None,
        0,
        0,
        0x1000,
        0,
        MapFlags::from_raw(0x77),
    );
    assert_eq!(result, Ok(kentry_end));
    let entered: Vec<(u64, u32)> = env
        .take_events()
        .iter()
        .filter_map(|event| match *event {
            Event::Kenter(va, _, prot) => Some((va, prot)),
            _ => None,
        })
        .collect();
    assert_eq!(entered, [(KENTRY_START, 3), (KENTRY_START + 0x1000, 3)]);
    vm.remove(&mut env, MapId::KERNEL, kentry_end, kentry_end + 0x1000)
        .unwrap();
    env.take_events();
    vm.reap(&mut env).unwrap();
    let freed: Vec<&Event> = env
        .events
        .iter()
        .filter(|event| matches!(event, Event::Extract(_) | Event::Kremove(..)))
        .collect();
    assert_eq!(
        freed,
        [
            &Event::Extract(KENTRY_START),
            &Event::Extract(KENTRY_START + 0x1000),
            &Event::Kremove(KENTRY_START, KENTRY_START + 0x2000),
        ]
    );
    assert_eq!(vm.kentry_state().allocated().count(), 0);
}

#[test]
fn the_kentry_entrys_start_outlives_its_remove() {
    // The C's vm_map_kentry_entry is a static: a remove over the whole
    // kentry area frees it into the kentry cache (the bug
    // remove-takes-kernel-memory) but the struct and its start stay, and
    // vm_map_kentry_alloc keeps placing slabs from there. The entries made
    // afterwards live elsewhere.
    let mut env = FakeEnv::new();
    env.capacity = Some(1);
    let (mut vm, mut env) = boot_with(env);
    vm.remove(&mut env, MapId::KERNEL, KENTRY_START, KENTRY_END)
        .unwrap();
    let elsewhere = KENTRY_END + 0x10_0000;
    for (index, flags) in [(0, 0x20077), (2, 0x20073)] {
        let start = elsewhere + index * 0x1000;
        let result = vm.enter(
            &mut env,
            MapId::KERNEL,
            None,
            0,
            start,
            0x1000,
            0,
            MapFlags::from_raw(flags),
        );
        assert_eq!(result, Ok(start));
    }
    let grown: Vec<u64> = env
        .events
        .iter()
        .filter_map(|event| match *event {
            Event::Grow(0, slab) => Some(slab),
            _ => None,
        })
        .collect();
    assert_eq!(grown, [KENTRY_START, KENTRY_START + 0x1000]);
}

/// A slab a reap hands over.
fn reaped(va: u64, size_bytes: usize) -> EmptySlab {
    EmptySlab {
        cache: CacheId(0),
        va,
        size_bytes,
        back_end: SlabBackEnd::Kentry,
    }
}

#[test]
fn kentry_frees_check_their_slab_in_the_seeds_order() {
    let unmapped = KENTRY_START + 5 * 0x1000;
    let last_slab = TABLE_VA - 0x1000;
    let cases: [(&str, EmptySlab, bool, bool, Precondition); 7] = [
        (
            "below the area",
            reaped(KENTRY_START - 0x1000, 4096),
            false,
            false,
            Precondition::KentryFreeVaAboveStart,
        ),
        (
            "past the area",
            reaped(TABLE_VA, 4096),
            false,
            false,
            Precondition::KentryFreeVaBelowEnd,
        ),
        (
            "the last slab, which ends where the area does",
            reaped(last_slab, 4096),
            false,
            false,
            Precondition::KentryFreePageMapped,
        ),
        (
            "another size",
            reaped(KENTRY_START, 8192),
            false,
            false,
            Precondition::KentryFreeSlabSize,
        ),
        (
            "an unmapped slab",
            reaped(unmapped, 4096),
            false,
            false,
            Precondition::KentryFreePageMapped,
        ),
        (
            "no page descriptor",
            reaped(unmapped, 4096),
            true,
            true,
            Precondition::KentryFreePageKnown,
        ),
        (
            "a free slab",
            reaped(unmapped, 4096),
            true,
            false,
            Precondition::KentrySlabAllocated,
        ),
    ];
    for (name, slab, map_page, lookup_fails, expect) in cases {
        let (mut vm, mut env) = boot();
        if map_page {
            env.kernel_pages.insert(slab.va, 0x9000);
        }
        env.lookup_fails = lookup_fails;
        env.injected_reaps.push(slab);
        assert_eq!(
            vm.reap(&mut env),
            Err(Failure::Precondition(expect)),
            "{name}"
        );
        assert!(vm.is_dead(), "{name}");
    }
}
