//! The C original as a [`Side`]: the process's one [`CReference`].
//!
//! The C's panics become [`Outcome::Precondition`] (failed assertions) or
//! [`Outcome::Fatal`]; refusals of the entry layer after a panic become
//! [`Outcome::Dead`]. Holding a `CSide` holds the process's C instance.

use super::Side;
use crate::observe::{EntryView, KentryView, MapView, Outcome};
use crate::program::{MapRef, ResolvedOp};
use c_reference::{CReference, EntrySnapshot, KentryTable, MapHandle, MapSnapshot, Refusal};
use sim::{FaultPlan, Machine, MachineConfig, ObjectId};
use std::cell::RefCell;

/// The C instance, created on first set-up and reset afterwards.
#[derive(Default)]
pub struct CSide {
    reference: Option<CReference>,
    objects: u32,
    /// A reused snapshot buffer (snapshots are read through `&self`).
    snapshot: RefCell<MapSnapshot>,
    /// A reused buffer for the kentry table.
    kentry_table: RefCell<KentryTable>,
}

impl CSide {
    /// A side that takes the process's C instance at its first set-up.
    pub fn new() -> CSide {
        CSide::default()
    }

    fn reference(&self) -> &CReference {
        self.reference.as_ref().expect("CSide used before setup")
    }
}

/// The shared outcome of a C outcome.
pub fn outcome_of<T>(
    outcome: c_reference::Outcome<T>,
    value: impl FnOnce(T) -> Option<u64>,
) -> Outcome {
    match outcome {
        c_reference::Outcome::Ok(result) => Outcome::Ok(value(result)),
        c_reference::Outcome::Error(code) => Outcome::Error(code),
        c_reference::Outcome::Panicked(message) => Outcome::from_c_panic(&message),
        c_reference::Outcome::Refused(Refusal::Dead | Refusal::NotSetUp) => Outcome::Dead,
        c_reference::Outcome::Refused(refusal) => {
            Outcome::Undefined(format!("C entry layer refused: {refusal:?}"))
        }
    }
}

fn entry_view(entry: &EntrySnapshot) -> EntryView {
    EntryView {
        start: entry.start,
        end: entry.end,
        object: entry.object.map(|object| object.0),
        offset: entry.offset,
        flags: entry.flags as u32,
    }
}

impl Side for CSide {
    fn name(&self) -> &'static str {
        "C"
    }

    fn setup(&mut self, config: &MachineConfig, plan: FaultPlan) -> Outcome {
        self.objects = 0;
        let outcome = match self.reference.as_mut() {
            Some(reference) => reference.reset(config, plan),
            None => {
                let (reference, outcome) = CReference::new(config.clone(), plan);
                self.reference = Some(reference);
                outcome
            }
        };
        outcome_of(outcome, |()| None)
    }

    fn apply(&mut self, op: &ResolvedOp) -> Outcome {
        let Some(reference) = self.reference.as_mut() else {
            return Outcome::Dead;
        };
        match *op {
            ResolvedOp::CreateMap => outcome_of(reference.create_map(), |_| None),
            ResolvedOp::CreateObject => {
                let outcome = reference.create_object();
                if outcome.is_ok() {
                    self.objects += 1;
                }
                outcome_of(outcome, |_| None)
            }
            ResolvedOp::Enter {
                map,
                object,
                offset,
                start,
                size,
                align,
                flags,
            } => outcome_of(
                reference.enter(
                    MapHandle(map.0),
                    object.map(ObjectId),
                    offset,
                    start,
                    size,
                    align,
                    flags,
                ),
                Some,
            ),
            ResolvedOp::Remove { map, start, end } => {
                outcome_of(reference.remove(MapHandle(map.0), start, end), |()| None)
            }
            ResolvedOp::Fault { map, addr, access } => {
                outcome_of(reference.fault(MapHandle(map.0), addr, access), |()| None)
            }
            ResolvedOp::Reap => outcome_of(reference.reap(), |()| None),
            ResolvedOp::Info { map } => outcome_of(reference.info(MapHandle(map.0)), |()| None),
            ResolvedOp::Skip { .. } => Outcome::Ok(None),
        }
    }

    fn machine(&self) -> &Machine {
        self.reference().machine()
    }

    fn user_map_count(&self) -> u32 {
        self.reference
            .as_ref()
            .map_or(0, |reference| reference.map_count().saturating_sub(1))
    }

    fn object_count(&self) -> u32 {
        self.objects
    }

    fn fill_map(&self, map: MapRef, out: &mut MapView) -> bool {
        out.clear();
        let mut snapshot = self.snapshot.borrow_mut();
        if !self
            .reference()
            .snapshot_into(MapHandle(map.0), &mut snapshot)
        {
            return false;
        }
        out.start = snapshot.start;
        out.end = snapshot.end;
        out.size = snapshot.size_bytes;
        out.nr_entries = snapshot.nr_entries;
        out.find_cache = snapshot.find_cache;
        out.find_cache_threshold = snapshot.find_cache_threshold;
        out.entries.extend(snapshot.tree.iter().map(entry_view));
        out.list.extend(snapshot.list.iter().map(entry_view));
        true
    }

    fn kentry(&self) -> KentryView {
        let table = self.reference().kentry_table().unwrap_or_default();
        KentryView {
            free_list: table.free_list(),
            allocated: table.allocated().collect(),
        }
    }

    fn kentry_allocated_count(&self) -> usize {
        let mut table = self.kentry_table.borrow_mut();
        if !self.reference().kentry_table_into(&mut table) {
            return 0;
        }
        table.allocated().count()
    }
}
