//! `vm_map_setup` and `vm_map_create`: the exact call sequences and the
//! resulting kernel map.

extern crate std;

use std::vec;

use super::fake_env::{Event, FakeEnv, BOOT_SIZE, KERNEL_SIZE, KERNEL_START};
use super::*;
use crate::entry::EntryStorage;
use crate::env::{PmapId, SlabBackEnd, SlabTake};
use crate::map::VM_MAP_NO_FIND_CACHE;
use crate::{Caches, EntryState, Error};

#[test]
fn setup_makes_the_seeds_calls_in_order() {
    let mut env = FakeEnv::new();
    let vm = Vm::setup(&mut env).expect("setup");
    let limit = KERNEL_START + 0x200_0000;
    let mut expected = vec![
        Event::BootSpace,
        // vm_map_insert of the boot entry checks the kernel's page tables.
        Event::Klimit(limit),
        Event::CacheInit("vm_map_kentry".into(), 80, 0, 3, SlabBackEnd::Kentry),
        Event::SlabSize(0),
        Event::Klimit(limit),
    ];
    for page in 0..4u64 {
        expected.push(Event::PhysAlloc(Some((page + 1) * 4096)));
        expected.push(Event::Kenter(TABLE_VA + page * 4096, (page + 1) * 4096, 3));
    }
    expected.extend([
        Event::Update(0, TABLE_VA, TABLE_VA + 0x4000),
        Event::CacheInit("vm_map_entry".into(), 80, 0, 0, SlabBackEnd::Default),
        Event::CacheInit("vm_map".into(), 112, 0, 0, SlabBackEnd::Default),
    ]);
    assert_eq!(env.events, expected);
    assert_eq!(
        vm.caches(),
        Caches {
            kentry: crate::env::CacheId(0),
            entry: crate::env::CacheId(1),
            map: crate::env::CacheId(2),
        }
    );
}

#[test]
fn setup_builds_the_kernel_map_and_the_kentry_free_list() {
    let (vm, _env) = boot();
    let state = vm.map_state(MapId::KERNEL).expect("kernel map");
    let static_entry = |start, end| EntryState {
        start,
        end,
        object: None,
        offset: 0,
        flags: STATIC_FLAGS,
    };
    let expected = vec![
        static_entry(KERNEL_START, KENTRY_START),
        static_entry(KENTRY_START, KENTRY_END),
    ];
    assert_eq!(state.entries, expected);
    assert_eq!(state.list, expected);
    assert_eq!(
        vm.map_internals(MapId::KERNEL).unwrap().entry_storage,
        [EntryStorage::KernelBootStatic, EntryStorage::KentryStatic]
    );
    assert_eq!(
        (state.start, state.end),
        (KERNEL_START, KERNEL_START + KERNEL_SIZE)
    );
    assert_eq!(state.size, BOOT_SIZE + VM_MAP_KENTRY_SIZE + 0x4000);
    assert_eq!(state.nr_entries, 2);
    // The kentry placement searched from the map start (threshold reset to
    // 0, never raised since the boot entry left no space before it).
    assert_eq!(state.find_cache, KENTRY_END);
    assert_eq!(state.find_cache_threshold, 0);
    let kentry = vm.kentry_state();
    assert_eq!(kentry.table_va, TABLE_VA);
    assert_eq!(kentry.free_list(), (0..2048).collect::<Vec<u32>>());
    assert_eq!(kentry.allocated().count(), 0);
    assert!(!kentry.free_list_is_corrupt());
}

#[test]
fn setup_grows_the_kernel_tables_past_the_limit() {
    let mut env = FakeEnv::new();
    env.klimit = KERNEL_START + 0x20_0000;
    Vm::setup(&mut env).expect("setup");
    let grows: Vec<&Event> = env
        .events
        .iter()
        .filter(|event| matches!(event, Event::Kgrow(_) | Event::Klimit(_)))
        .collect();
    assert_eq!(
        grows,
        vec![
            &Event::Klimit(KERNEL_START + 0x20_0000),
            &Event::Kgrow(KENTRY_START),
            &Event::Klimit(KENTRY_START + 0x20_0000),
            &Event::Kgrow(KENTRY_END),
        ]
    );
}

#[test]
fn create_map_takes_a_map_object_through_the_default_back_end() {
    let (mut vm, mut env) = boot();
    let map = vm.create_map(&mut env).expect("create_map");
    assert_eq!(map, MapId(1));
    let need = |back_end| SlabTake::NeedSlab {
        slab_size_bytes: 4096,
        back_end,
    };
    let expected = vec![
        Event::Take(2, need(SlabBackEnd::Default)),
        // vm_kmem_alloc: a null mapping after the kentry area; its entry
        // needs the first kentry slab, slab 0 at the area's start.
        Event::Take(0, need(SlabBackEnd::Kentry)),
        Event::PhysAlloc(Some(5 * 4096)),
        Event::Kenter(KENTRY_START, 5 * 4096, 3),
        Event::Update(0, KENTRY_START, KENTRY_START + 4096),
        Event::Grow(0, KENTRY_START),
        Event::Take(0, SlabTake::Object(KENTRY_START)),
        Event::Klimit(KERNEL_START + 0x200_0000),
        Event::Populate(KENTRY_END, 4096),
        Event::Grow(2, KENTRY_END),
        Event::Take(2, SlabTake::Object(KENTRY_END)),
        Event::PmapCreate,
    ];
    assert_eq!(env.events, expected);
    let state = vm.map_state(map).expect("user map");
    assert_eq!((state.start, state.end), (0, 0x8000_0000_0000));
    let internals = vm.map_internals(map).expect("user map");
    assert_eq!(internals.pmap, PmapId(1));
    assert_eq!(internals.address, Some(KENTRY_END));
    assert_eq!(state.find_cache_threshold, VM_MAP_NO_FIND_CACHE);
    assert_eq!(vm.kentry_state().allocated().collect::<Vec<_>>(), vec![0]);
    assert_eq!(vm.kentry_state().free_list().first(), Some(&1));
    let kernel = vm.map_state(MapId::KERNEL).expect("kernel");
    assert_eq!(
        vm.map_internals(MapId::KERNEL).unwrap().entry_storage[2],
        EntryStorage::CacheObject(KENTRY_START)
    );
    assert_eq!(kernel.find_cache, KENTRY_END + 4096);
}

/// Boots, lets `fail` arrange a failure in the environment, and checks
/// that creating a map then reports `ERROR_NOMEM`; the port and its
/// environment are left for the test's own checks.
fn create_map_out_of_memory(fail: impl FnOnce(&mut FakeEnv)) -> (Vm, FakeEnv) {
    let (mut vm, mut env) = boot();
    fail(&mut env);
    assert_eq!(vm.create_map(&mut env), Err(Failure::Error(Error::NoMem)));
    (vm, env)
}

#[test]
fn create_map_frees_the_object_when_the_pmap_fails() {
    let (mut vm, mut env) = create_map_out_of_memory(|env| env.pmap_create_fails = true);
    let tail = &env.events[env.events.len() - 2..];
    assert_eq!(tail, &[Event::PmapCreate, Event::Free(2, KENTRY_END)]);
    assert_eq!(vm.map_count(), 1);
    // The port lives on: the next map gets the same object and id 1.
    env.pmap_create_fails = false;
    assert_eq!(vm.create_map(&mut env), Ok(MapId(1)));
    assert_eq!(
        vm.map_internals(MapId(1)).unwrap().address,
        Some(KENTRY_END)
    );
}

#[test]
fn create_map_reports_nomem_when_the_cache_fails() {
    let (vm, env) = create_map_out_of_memory(|env| {
        env.failing_takes.insert(2);
    });
    assert_eq!(env.events, vec![Event::Take(2, SlabTake::Failed)]);
    assert!(!vm.is_dead());
}

#[test]
fn create_map_reports_nomem_when_the_default_back_end_cannot_populate() {
    let (vm, env) = create_map_out_of_memory(|env| env.populate_fails = true);
    // vm_kmem_alloc removes its range again: the new kernel entry goes back
    // to the kentry cache.
    let tail = &env.events[env.events.len() - 2..];
    assert_eq!(
        tail,
        &[
            Event::Populate(KENTRY_END, 4096),
            Event::Free(0, KENTRY_START)
        ]
    );
    assert_eq!(ranges(&vm, MapId::KERNEL).len(), 2);
    assert_eq!(
        vm.map_state(MapId::KERNEL).unwrap().find_cache_threshold,
        VM_MAP_NO_FIND_CACHE
    );
}

#[test]
fn operations_on_a_missing_map_fail_without_killing() {
    // After set-up only the kernel map (0) exists: 1 is one past the last.
    let (mut vm, mut env) = boot();
    for missing in [MapId(1), MapId(5), MapId(u32::MAX)] {
        assert_eq!(
            vm.remove(&mut env, missing, 0, 4096),
            Err(Failure::NoSuchMap(missing))
        );
        assert_eq!(vm.map_state(missing), None);
        assert_eq!(vm.map_internals(missing), None);
        assert!(env.events.is_empty());
        assert!(!vm.is_dead());
    }
}
