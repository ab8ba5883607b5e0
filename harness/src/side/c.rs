//! The C original as a [`Side`]: the process's one [`CReference`].
//!
//! The C's panics become [`Outcome::Precondition`] (failed assertions) or
//! [`Outcome::Fatal`]; refusals of the entry layer after a panic become
//! [`Outcome::Dead`]. Holding a `CSide` holds the process's C instance.

use super::Side;
use crate::observe::Outcome;
use crate::program::{MapRef, ResolvedOp};
use c_reference::{CReference, MapHandle, Refusal};
use sim::{FaultPlan, Machine, MachineConfig};
use vm_rs::{KentryState, MapRewrite, MapState, ReadDifference};

/// The C instance, created on first set-up and reset afterwards.
#[derive(Default)]
pub struct CSide {
    reference: Option<CReference>,
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

/// The one translation of a C outcome (with an enter's chosen start as its
/// value) into the shared [`Outcome`]: failed assertions become
/// preconditions with the C's expression text, other panics fatal
/// outcomes, and refusals after a panic [`Outcome::Dead`].
fn outcome_of(outcome: c_reference::Outcome<Option<u64>>) -> Outcome {
    match outcome {
        c_reference::Outcome::Ok(address) => Outcome::Ok(address),
        c_reference::Outcome::Error(code) => Outcome::Error(code),
        c_reference::Outcome::Panicked(message) if message == c_reference::LIST_BUDGET_MESSAGE => {
            Outcome::Unfinished
        }
        c_reference::Outcome::Panicked(message) => {
            match message.strip_prefix("assertion failed: ") {
                Some(expression) => Outcome::Precondition(expression.to_string()),
                None => Outcome::Fatal(message),
            }
        }
        c_reference::Outcome::Refused(Refusal::Dead | Refusal::NotSetUp) => Outcome::Dead,
        c_reference::Outcome::Refused(refusal) => {
            Outcome::Undefined(format!("C entry layer refused: {refusal:?}"))
        }
    }
}

impl Side for CSide {
    fn setup(&mut self, config: &MachineConfig, plan: FaultPlan) -> Outcome {
        let outcome = match self.reference.as_mut() {
            Some(reference) => reference.reset(config, plan),
            None => {
                let (mut reference, outcome) = CReference::new(config.clone(), plan);
                // The budget holds across set-ups; a first set-up runs no
                // list walk that could reach it.
                reference.set_list_step_budget(Some(super::LOOP_STEP_BUDGET));
                self.reference = Some(reference);
                outcome
            }
        };
        outcome_of(outcome.map(|()| None))
    }

    fn apply(&mut self, op: &ResolvedOp) -> Outcome {
        let Some(reference) = self.reference.as_mut() else {
            return Outcome::Dead;
        };
        let outcome = match *op {
            ResolvedOp::CreateMap => reference.create_map().map(|_| None),
            ResolvedOp::CreateObject => reference.create_object().map(|_| None),
            ResolvedOp::Enter(request) => {
                let (object, offset, start, size, align) = super::enter_arguments(&request);
                let map = MapHandle(request.map.0);
                reference
                    .enter(map, object, offset, start, size, align, request.flags)
                    .map(Some)
            }
            ResolvedOp::Remove { map, start, end } => reference
                .remove(MapHandle(map.0), start, end)
                .map(|()| None),
            ResolvedOp::Fault { map, addr, access } => reference
                .fault(MapHandle(map.0), addr, access)
                .map(|()| None),
            ResolvedOp::Reap => reference.reap().map(|()| None),
            ResolvedOp::Info { map } => reference.info(MapHandle(map.0)).map(|()| None),
            ResolvedOp::Skip { .. } => c_reference::Outcome::Ok(None),
        };
        outcome_of(outcome)
    }

    fn machine(&self) -> &Machine {
        self.reference().machine()
    }

    fn map_count(&self) -> u32 {
        self.reference.as_ref().map_or(0, CReference::map_count)
    }

    fn fill_map(&self, map: MapRef, out: &mut MapState) -> bool {
        out.clear();
        self.reference().map_state_into(MapHandle(map.0), out)
    }

    fn rewrite_map(&self, map: MapRef, rewrite: MapRewrite<'_>) -> ReadDifference {
        self.reference()
            .map_state_rewrite(MapHandle(map.0), rewrite)
    }

    fn kentry(&self) -> KentryState {
        self.reference().kentry_state().unwrap_or_default()
    }

    fn fill_kentry(&self, out: &mut KentryState) -> bool {
        let read = self.reference().kentry_state_into(out);
        if !read {
            *out = KentryState::default();
        }
        read
    }

    fn kentry_allocated_count(&self) -> usize {
        self.reference().kentry_allocated_count().unwrap_or(0)
    }
}
