//! Unit tests against a recording fake environment ([`fake_env::FakeEnv`]).
//! Expected values come from reading the seed step by step; the comments
//! say which C lines decide them.

extern crate std;

use std::vec::Vec;

use crate::env::ObjectId;
use crate::{
    Advice, CBugs, EntryState, Failure, Inheritance, MapFlags, MapId, Protection, Vm,
    VM_MAP_KENTRY_SIZE,
};
use fake_env::{FakeEnv, BOOT_SIZE, KERNEL_START};

mod error_tests;
mod fake_env;
mod fatal_tests;
mod fixed_tests;
mod flags_tests;
mod footprint_tests;
mod info_tests;
mod kentry_compare_tests;
mod kentry_free_list_tests;
mod kentry_link_tests;
mod kentry_refill_tests;
mod kentry_tests;
mod loop_budget_tests;
mod map_state_tests;
mod map_tests;
mod precondition_tests;
mod protection_tests;
mod remove_tests;
mod rewrite_tests;
mod search_tests;
mod setup_tests;

/// The seed, vendored byte for byte by c-reference.
pub(crate) const SEED: &str = include_str!("../../../c-reference/x15/vm/vm_map.c");

/// Where setup puts the kentry area: right after the boot space.
pub(crate) const KENTRY_START: u64 = KERNEL_START + BOOT_SIZE;
/// The kentry slab table.
pub(crate) const TABLE_VA: u64 = KENTRY_START + VM_MAP_KENTRY_SIZE;
/// The end of the kentry entry (four table pages).
pub(crate) const KENTRY_END: u64 = TABLE_VA + 0x4000;
/// Where the kentry-state tests' tables start (any place will do: a state
/// records its table's).
pub(crate) const STATE_TABLE: u64 = 0x2000_0080_0000;
/// Another place for such a table.
pub(crate) const OTHER_STATE_TABLE: u64 = 0x2000_0100_0000;
/// The flags the seed packs for kernel null mappings.
pub(crate) const KERNEL_FLAGS: u32 = 0x77;
/// The flags of the two static kernel entries (`0x77 | VM_MAP_NOMERGE`).
pub(crate) const STATIC_FLAGS: u32 = 0x10077;

/// A set-up port that reproduces the C bug for bug, and its environment,
/// the setup's events forgotten. (The tests that expect the C's exact
/// behaviour use it; the fixed port has its own tests.)
pub(crate) fn boot() -> (Vm, FakeEnv) {
    boot_with(FakeEnv::new())
}

/// Like [`boot`] on a given environment.
pub(crate) fn boot_with(env: FakeEnv) -> (Vm, FakeEnv) {
    boot_with_bugs(env, CBugs::BUG_FOR_BUG)
}

/// Like [`boot`] on a given environment, reproducing the bugs `bugs`
/// switches on.
pub(crate) fn boot_with_bugs(mut env: FakeEnv, bugs: CBugs) -> (Vm, FakeEnv) {
    let vm = Vm::setup_with(&mut env, bugs).expect("setup");
    env.take_events();
    (vm, env)
}

/// A set-up port with one user map, all events forgotten.
pub(crate) fn boot_user() -> (Vm, FakeEnv, MapId) {
    let (mut vm, mut env) = boot();
    let map = vm.create_map(&mut env).expect("create_map");
    env.take_events();
    (vm, env, map)
}

/// Prepares the fake environment before the code under test runs.
pub(crate) type Prepare = fn(&mut FakeEnv);

/// `Vm::setup` on a fake machine that `prepare` changed first.
pub(crate) fn setup_prepared(prepare: Prepare) -> Result<(), Failure> {
    let mut env = FakeEnv::new();
    prepare(&mut env);
    Vm::setup(&mut env).map(|_| ())
}

/// A user map with one fixed read/write entry of object 1 at `start`,
/// `offset` into the object, and no events recorded yet.
pub(crate) fn boot_user_with_entry(offset: u64, start: u64, size: u64) -> (Vm, FakeEnv, MapId) {
    let (mut vm, mut env, map) = boot_user();
    let flags = rw().with_fixed();
    vm.enter(&mut env, map, OBJECT, offset, start, size, 0, flags)
        .unwrap();
    env.take_events();
    (vm, env, map)
}

/// Read/write within read/write/execute, inheritance copy, normal advice.
pub(crate) fn rw() -> MapFlags {
    MapFlags::new(
        Protection::DEFAULT,
        Protection::ALL,
        Inheritance::Copy,
        Advice::Normal,
    )
}

/// One object for user mappings.
pub(crate) const OBJECT: Option<ObjectId> = Some(ObjectId(7));

/// Enters a mapping, FIXED at `start` when `fixed`, else with `start` as hint.
pub(crate) fn enter(
    vm: &mut Vm,
    env: &mut FakeEnv,
    map: MapId,
    object: Option<ObjectId>,
    start: u64,
    size: u64,
    fixed: bool,
) -> Result<u64, Failure> {
    let flags = if fixed { rw().with_fixed() } else { rw() };
    vm.enter(env, map, object, 0, start, size, 0, flags)
}

/// The `(start, end)` of a map's entries in address order.
pub(crate) fn ranges(vm: &Vm, map: MapId) -> Vec<(u64, u64)> {
    starts_and_ends(&vm.map_state(map).expect("map").entries)
}

/// The `(start, end)` of a map's entries in list order.
pub(crate) fn list_ranges(vm: &Vm, map: MapId) -> Vec<(u64, u64)> {
    starts_and_ends(&vm.map_state(map).expect("map").list)
}

fn starts_and_ends(entries: &[EntryState]) -> Vec<(u64, u64)> {
    entries
        .iter()
        .map(|entry| (entry.start, entry.end))
        .collect()
}
