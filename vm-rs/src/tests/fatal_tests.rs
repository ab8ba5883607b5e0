//! The C's panics as fatal outcomes, and `vm_map_fault`'s paths.

extern crate std;

use std::vec;

use super::fake_env::{Event, FakeEnv, KERNEL_START};
use super::*;
use crate::{Error, Fatal};

#[test]
fn fatal_messages_are_the_seeds() {
    for fatal in Fatal::ALL {
        let message = fatal.message();
        let quoted = std::format!("\"{message}\"");
        let in_seed = SEED.contains(&quoted);
        // The pmap's own panic lives in the pmap, not in vm_map.c.
        assert_eq!(in_seed, fatal != Fatal::KernelGrowNoPage, "{message}");
    }
}

#[test]
fn setup_panics_become_fatal_outcomes() {
    let cases: [(&str, Prepare, Fatal); 4] = [
        (
            "the boot space starts below the kernel map",
            |env| env.boot.0 = KERNEL_START - 0x1000,
            Fatal::InitialKernelMappingFailed,
        ),
        (
            "no room for the kentry area",
            |env| env.kernel_bounds.1 = KERNEL_START + 0x80_0000,
            Fatal::KentryMappingSetupFailed,
        ),
        (
            "no page for the third table page",
            |env| env.phys_budget = Some(2),
            Fatal::NoPageForKentryTable,
        ),
        (
            "no page to grow the kernel tables",
            |env| {
                env.klimit = KERNEL_START + 0x20_0000;
                env.kgrow_fails = true;
            },
            Fatal::KernelGrowNoPage,
        ),
    ];
    for (name, prepare, expect) in cases {
        let result = setup_prepared(prepare);
        assert_eq!(result, Err(Failure::Fatal(expect)), "{name}");
    }
}

/// An operation on a set-up port with one user map (events forgotten).
type Operation = fn(&mut Vm, &mut FakeEnv, MapId) -> Result<(), Failure>;

#[test]
fn operation_panics_become_fatal_outcomes_and_kill_the_port() {
    let kernel_entry: Operation = |vm, env, _| {
        let flags = MapFlags::from_raw(0x73);
        vm.enter(env, MapId::KERNEL, None, 0, 0, 0x1000, 0, flags)
            .map(|_| ())
    };
    let cases: [(&str, Prepare, Operation, Fatal); 5] = [
        (
            "no page for a kentry slab",
            |env| env.phys_budget = Some(0),
            |vm, env, _| {
                // Slab 0 holds 50 objects, one used by the map object's
                // kernel entry; non-merging kernel entries use up the rest.
                for index in 0..50 {
                    let flags = MapFlags::from_raw(if index % 2 == 0 { 0x73 } else { 0x77 });
                    vm.enter(env, MapId::KERNEL, None, 0, 0, 0x1000, 0, flags)?;
                }
                Ok(())
            },
            Fatal::NoPhysicalPageForKentryCache,
        ),
        (
            "the kentry cache fails",
            |env| {
                env.failing_takes.insert(0);
            },
            kernel_entry,
            Fatal::CantCreateMapEntry,
        ),
        (
            "the user entry cache fails",
            |env| {
                env.failing_takes.insert(1);
            },
            |vm, env, map| enter(vm, env, map, OBJECT, 0, 0x1000, false).map(|_| ()),
            Fatal::CantCreateMapEntry,
        ),
        (
            "pmap_enter fails in a fault",
            |env| env.pmap_enter_fails = true,
            |vm, env, map| {
                enter(vm, env, map, OBJECT, 0, 0x1000, false)?;
                vm.fault(env, map, 0, Protection::READ)
            },
            Fatal::PhysicalMappingFailed,
        ),
        (
            "no page to grow the kernel tables",
            |env| env.kgrow_fails = true,
            |vm, env, _| {
                let flags = MapFlags::from_raw(0x73);
                vm.enter(env, MapId::KERNEL, None, 0, 0, 0x400_0000, 0, flags)
                    .map(|_| ())
            },
            Fatal::KernelGrowNoPage,
        ),
    ];
    for (name, prepare, operation, expect) in cases {
        let (mut vm, mut env, map) = boot_user();
        prepare(&mut env);
        assert_eq!(
            operation(&mut vm, &mut env, map),
            Err(Failure::Fatal(expect)),
            "{name}"
        );
        assert!(vm.is_dead(), "{name}");
        env.take_events();
        assert_eq!(vm.info(&mut env, map), Err(Failure::Dead), "{name}");
        assert!(env.events.is_empty(), "{name}");
        // The state at the point of failure stays readable.
        assert!(vm.map_state(map).is_some(), "{name}");
    }
}

#[test]
fn faults_miss_then_hit_the_object_cache() {
    let (mut vm, mut env, map) = boot_user_with_entry(0x10000, 0x4000, 0x2000);
    vm.fault(&mut env, map, 0x5123, Protection::WRITE).unwrap();
    // Frames 1-4 hold the table, 5 the first kentry slab (the fake's
    // populate takes no frames).
    let page = 6 * 4096;
    let pmap = vm.map_internals(map).unwrap().pmap.0;
    assert_eq!(
        env.events,
        vec![
            Event::ObjectGet(7, 0x11000),
            Event::Console("vm_map: fault: cache miss\n".into()),
            Event::PagerGet(7, 0x11000),
            Event::PmapEnter(pmap, 0x5000, page, 3),
            Event::Update(pmap, 0x5000, 0x6000),
        ]
    );
    env.take_events();
    vm.fault(&mut env, map, 0x5fff, Protection::READ).unwrap();
    assert_eq!(
        env.events,
        vec![
            Event::ObjectGet(7, 0x11000),
            Event::Console("vm_map: fault: cache hit\n".into()),
            Event::PmapEnter(pmap, 0x5000, page, 3),
            Event::Update(pmap, 0x5000, 0x6000),
        ]
    );
}

#[test]
fn faults_report_the_seeds_errors() {
    let execute = Protection::EXECUTE;
    let cases: [(&str, u64, Protection, bool, Error); 5] = [
        (
            "below every entry",
            0x1000,
            Protection::READ,
            false,
            Error::Fault,
        ),
        (
            "above every entry",
            0x9000,
            Protection::READ,
            false,
            Error::Fault,
        ),
        (
            "an access the entry forbids",
            0x4000,
            execute,
            false,
            Error::Acces,
        ),
        (
            "bits X15 never defined",
            0x4000,
            Protection::from_raw(0x100),
            false,
            Error::Acces,
        ),
        (
            "the pager fails",
            0x4000,
            Protection::READ,
            true,
            Error::NoMem,
        ),
    ];
    for (name, addr, access, pager_fails, expect) in cases {
        let (mut vm, mut env, map) = boot_user();
        enter(&mut vm, &mut env, map, OBJECT, 0x4000, 0x2000, true).unwrap();
        env.pager_fails = pager_fails;
        env.take_events();
        let result = vm.fault(&mut env, map, addr, access);
        assert_eq!(result, Err(Failure::Error(expect)), "{name}");
        assert!(!vm.is_dead(), "{name}");
        let entered = env
            .events
            .iter()
            .any(|event| matches!(event, Event::PmapEnter(..)));
        assert!(!entered, "{name}");
    }
}

#[test]
fn a_forbidden_access_to_a_null_mapping_is_an_error_first() {
    // The protection check comes before the null-object assertion.
    let (mut vm, mut env, map) = boot_user();
    enter(&mut vm, &mut env, map, None, 0x4000, 0x1000, true).unwrap();
    let result = vm.fault(&mut env, map, 0x4000, Protection::EXECUTE);
    assert_eq!(result, Err(Failure::Error(Error::Acces)));
}
