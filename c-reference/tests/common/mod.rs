//! Helpers shared by the c-reference tests: X15 constants and flag packing.

#![allow(dead_code)]

use c_reference::{CReference, MapHandle, Outcome};
use sim::{FaultPlan, MachineConfig, KERNEL_START};
use vm_rs::{EntryState, MapState};

pub const PAGE: u64 = 4096;
pub const KENTRY_AREA_BYTES: u64 = 0x80_0000;
pub const KENTRY_TABLE_BYTES: u64 = 4 * PAGE;

pub const PROT_READ: i32 = 1;
pub const PROT_WRITE: i32 = 2;
pub const PROT_ALL: i32 = 7;
pub const INHERIT_NONE: i32 = 0;
pub const INHERIT_COPY: i32 = 2;
pub const NOMERGE: i32 = 0x10000;
pub const FIXED: i32 = 0x20000;

pub const ERROR_NOMEM: i32 = 1;
pub const ERROR_INVAL: i32 = 3;
pub const ERROR_FAULT: i32 = 5;
pub const ERROR_ACCES: i32 = 6;

/// `VM_MAP_FLAGS(prot, maxprot, inherit, VM_ADV_NORMAL, mapflags)`.
pub const fn flags(prot: i32, maxprot: i32, inherit: i32, mapflags: i32) -> i32 {
    prot | (maxprot << 4) | (inherit << 8) | mapflags
}

/// The flags of the kernel's own null mappings (vm_kmem, the kentry area
/// without NOMERGE).
pub const KERNEL_NULL: i32 = flags(PROT_ALL, PROT_ALL, INHERIT_NONE, 0);
/// Read/write user mapping.
pub const USER_RW: i32 = flags(PROT_READ | PROT_WRITE, PROT_ALL, INHERIT_COPY, 0);
/// Read-only user mapping.
pub const USER_RO: i32 = flags(PROT_READ, PROT_ALL, INHERIT_COPY, 0);

/// A kernel address `offset` bytes into the kernel map.
pub const fn kva(offset: u64) -> u64 {
    KERNEL_START + offset
}

/// A fresh instance on `config` whose set-up must succeed.
pub fn set_up(config: MachineConfig) -> CReference {
    let (reference, setup) = CReference::new(config, FaultPlan::default());
    assert_eq!(setup, Outcome::Ok(()), "set-up");
    reference
}

pub fn snapshot(reference: &CReference, map: MapHandle) -> MapState {
    reference.map_state(map).expect("the map exists")
}

/// (start, end, flags) of every entry, in list order.
pub fn layout(snapshot: &MapState) -> Vec<(u64, u64, i32)> {
    snapshot
        .list
        .iter()
        .map(|entry| (entry.start, entry.end, entry.flags as i32))
        .collect()
}

/// The structural invariants of a map: list and tree agree, entries are
/// sorted, disjoint, non-empty and inside the map, and the scalars agree
/// with them.
pub fn check_consistent(snapshot: &MapState) {
    assert_eq!(
        snapshot.list, snapshot.entries,
        "list order and tree order differ"
    );
    assert_eq!(
        snapshot.list.len(),
        snapshot.nr_entries as usize,
        "nr_entries"
    );
    let mapped: u64 = snapshot.list.iter().map(|e| e.end - e.start).sum();
    assert_eq!(mapped, snapshot.size, "size");
    let mut previous_end = snapshot.start;
    for EntryState { start, end, .. } in &snapshot.list {
        assert!(
            previous_end <= *start && start < end,
            "entries out of order: {snapshot:#x?}"
        );
        previous_end = *end;
    }
    assert!(previous_end <= snapshot.end, "entry past the map's end");
}
