//! The Rust port as a [`Side`]: a [`vm_rs::Vm`] on a [`sim::Machine`], run
//! through [`port_on_machine`], where the port's operations are compiled.
//!
//! The port's failures map onto [`Outcome`]: preconditions by the port's own
//! assertion table, fatal outcomes by their C message. The port reproduces
//! the C bug for bug ([`CBugs::BUG_FOR_BUG`]) or as each program's mode
//! chooses ([`Side::choose_port_bugs`]), unless the side is built with
//! switches of its own ([`RustSide::with_bugs`], which a program's mode does
//! not change: tests that pin a mutant keep it).

use super::Side;
use crate::observe::Outcome;
use crate::program::{MapRef, ResolvedOp};
use port_on_machine::PortOnMachine;
use sim::{FaultPlan, Machine, MachineConfig};
use vm_rs::{
    CBugs, Failure, KentryState, MapId, MapRewrite, MapState, Protection, ReadDifference, Vm,
};

/// The port and its machine.
pub struct RustSide {
    /// Where the port's operations are compiled (see that crate's docs).
    port: PortOnMachine,
    /// The bugs of the C the port reproduces, from set-up on.
    bugs: CBugs,
    /// Whether `bugs` was given at construction (programs do not change it).
    pinned: bool,
}

impl RustSide {
    /// A side on a machine of the given configuration (not yet set up),
    /// whose port reproduces the C bug for bug.
    pub fn new(config: &MachineConfig) -> RustSide {
        RustSide {
            pinned: false,
            ..RustSide::with_bugs(config, CBugs::BUG_FOR_BUG)
        }
    }

    /// A side whose port reproduces the bugs of the C that `bugs` switches
    /// on ([`CBugs::FIXED`]: none).
    pub fn with_bugs(config: &MachineConfig, bugs: CBugs) -> RustSide {
        RustSide {
            port: PortOnMachine::new(config),
            bugs,
            pinned: true,
        }
    }

    /// The bugs of the C the port reproduces.
    pub fn bugs(&self) -> CBugs {
        self.bugs
    }

    fn run(&mut self, op: &ResolvedOp) -> Result<Option<u64>, Failure> {
        let port = &mut self.port;
        match *op {
            ResolvedOp::CreateMap => port.create_map().map(|_| None),
            ResolvedOp::CreateObject => port.create_object().map(|_| None),
            ResolvedOp::Enter(request) => {
                let (object, offset, start, size, align) = super::enter_arguments(&request);
                let (map, flags) = (MapId(request.map.0), request.map_flags());
                port.enter(map, object, offset, start, size, align, flags)
                    .map(Some)
            }
            ResolvedOp::Remove { map, start, end } => {
                port.remove(MapId(map.0), start, end).map(|()| None)
            }
            ResolvedOp::Fault { map, addr, access } => port
                .fault(MapId(map.0), addr, Protection::from_raw(access as u32))
                .map(|()| None),
            ResolvedOp::Reap => port.reap().map(|()| None),
            ResolvedOp::Info { map } => port.info(MapId(map.0)).map(|()| None),
            ResolvedOp::Skip { .. } => Ok(None),
        }
    }
}

/// The one translation of a port result (with an enter's chosen start as
/// its value) into the shared [`Outcome`]: preconditions by the port's own
/// assertion table, fatal outcomes by their C message.
fn outcome_of(result: Result<Option<u64>, Failure>) -> Outcome {
    match result {
        Ok(address) => Outcome::Ok(address),
        Err(Failure::Error(error)) => Outcome::Error(error.code()),
        Err(Failure::Precondition(p)) => Outcome::Precondition(p.expression().to_string()),
        Err(Failure::Fatal(fatal)) => Outcome::Fatal(fatal.message().to_string()),
        Err(Failure::Undefined(what)) => Outcome::Undefined(format!("{what:?}")),
        Err(Failure::Dead) => Outcome::Dead,
        Err(Failure::OverBudget) => Outcome::Unfinished,
        // The harness only names maps that exist on the C side; a missing
        // one here is itself a difference, shown as the port's words.
        Err(Failure::NoSuchMap(map)) => Outcome::Undefined(format!("no map {}", map.0)),
    }
}

impl Side for RustSide {
    fn choose_port_bugs(&mut self, bugs: CBugs) {
        if !self.pinned {
            self.bugs = bugs;
        }
    }

    fn setup(&mut self, config: &MachineConfig, plan: FaultPlan) -> Outcome {
        let budget = Some(super::LOOP_STEP_BUDGET);
        match self.port.setup(config, plan, self.bugs, budget) {
            Ok(()) => Outcome::Ok(None),
            Err(failure) => outcome_of(Err(failure)),
        }
    }

    fn apply(&mut self, op: &ResolvedOp) -> Outcome {
        let result = self.run(op);
        outcome_of(result)
    }

    fn machine(&self) -> &Machine {
        self.port.machine()
    }

    fn map_count(&self) -> u32 {
        self.port.vm().map_or(0, Vm::map_count)
    }

    fn fill_map(&self, map: MapRef, out: &mut MapState) -> bool {
        out.clear();
        self.port
            .vm()
            .is_some_and(|vm| vm.map_state_into(MapId(map.0), out))
    }

    fn rewrite_map(&self, map: MapRef, rewrite: MapRewrite<'_>) -> ReadDifference {
        match self.port.vm() {
            Some(vm) => vm.map_state_rewrite(MapId(map.0), rewrite),
            None => rewrite.replay(&MapState::default(), false),
        }
    }

    fn kentry(&self) -> KentryState {
        self.port.vm().map(Vm::kentry_state).unwrap_or_default()
    }

    fn fill_kentry(&self, out: &mut KentryState) -> bool {
        match self.port.vm() {
            Some(vm) => {
                vm.kentry_state_into(out);
                true
            }
            None => {
                *out = KentryState::default();
                false
            }
        }
    }

    fn kentry_allocated_count(&self) -> usize {
        self.port.vm().map_or(0, Vm::kentry_allocated_count)
    }
}
