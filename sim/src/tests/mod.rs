//! Unit tests of the simulated machine: each checks one documented policy
//! against values worked out by hand from X15's rules, one file a concern
//! (frames, page tables, slabs, events, the machine as a whole); this file
//! holds their shared helpers. Failures are assertion messages.

mod event_tests;
mod frames_tests;
mod machine_tests;
mod paging_tests;
mod pmap_remove_tests;
mod slab_tests;

use vm_rs::env::{Environment, NoPageForPageTable};
use vm_rs::Error;

use crate::paging::entry_hash;
use crate::slab::{slab_geometry, SlabGeometry};
use crate::*;

const MIB: u64 = 1 << 20;

const GIB: u64 = 1 << 30;

/// Kernel intermediate entries: RW | P.
const KERNEL_TABLE_FLAGS: u64 = 0x3;

/// User intermediate entries: RW | P | US.
const USER_TABLE_FLAGS: u64 = 0x7;

fn normal() -> Machine {
    Machine::new(MachineConfig::normal())
}

fn with_plan(config: MachineConfig, plan: FaultPlan) -> Machine {
    let mut machine = Machine::new(config);
    machine.reset(plan);
    machine
}

/// A fault plan that fails these physical and slab allocations (each
/// counted from 1).
fn failing(phys: &[u32], cache: &[u32]) -> FaultPlan {
    FaultPlan {
        failing_phys_allocs: phys.to_vec(),
        failing_cache_allocs: cache.to_vec(),
    }
}

fn pa(frame: u64) -> PhysAddr {
    PhysAddr(frame * PAGE_SIZE)
}

/// A page-table entry in one line, so that expected tables read as rows.
fn table_entry(level: u8, va: u64, raw: u64) -> TableEntry {
    TableEntry { level, va, raw }
}

/// Takes frames until none is left and returns how many were handed out.
fn exhaust(machine: &mut Machine) -> usize {
    let mut count = 0;
    while machine.phys_alloc(0).is_some() {
        count += 1;
    }
    count
}

/// The digest recomputed from the full entry list.
fn digest_by_walk(machine: &Machine, pmap: PmapId) -> u64 {
    machine
        .page_table_entries(pmap)
        .iter()
        .fold(0u64, |sum, e| {
            sum.wrapping_add(entry_hash(e.level, e.va, e.raw))
        })
}

fn kinds(machine: &Machine) -> Vec<ViolationKind> {
    machine
        .violations()
        .iter()
        .map(|v| v.kind.clone())
        .collect()
}
