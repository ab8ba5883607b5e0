//! The port's loop budget (`vm_rs::Vm::set_loop_budget`): an operation
//! whose search, remove or printout takes more loop steps than the budget
//! fails with `Failure::OverBudget` and kills the port, which the harness
//! reports as `hang:Rust` with the side named; within the budget nothing
//! changes.

use harness::mismatch::{Mismatch, SideName, Signature};
use harness::observe::Outcome;
use harness::oracle;
use sim::{Machine, MachineConfig};
use vm_rs::{CBugs, Failure, MapId, Vm};

#[test]
fn an_operation_past_the_budget_fails_and_kills_the_port() {
    // The kernel map's printout visits every entry (the boot and kentry
    // entries at least).
    let cases = [
        (Some(1), Err(Failure::OverBudget)),
        (Some(1 << 16), Ok(())),
        (None, Ok(())),
    ];
    for (budget, expected) in cases {
        let mut machine = Machine::new(MachineConfig::normal());
        let mut vm = Vm::setup_with(&mut machine, CBugs::BUG_FOR_BUG).unwrap();
        vm.set_loop_budget(budget);
        assert_eq!(
            vm.info(&mut machine, MapId::KERNEL),
            expected,
            "budget {budget:?}"
        );
        let after = vm.info(&mut machine, MapId::KERNEL);
        match expected {
            Err(_) => assert_eq!(after, Err(Failure::Dead), "budget {budget:?}"),
            Ok(()) => assert_eq!(
                after,
                Ok(()),
                "budget {budget:?}: steps count per operation"
            ),
        }
    }
}

#[test]
fn a_side_that_does_not_finish_is_named_by_the_signature() {
    let done = Outcome::Ok(None);
    let cases = [
        (
            done.clone(),
            Outcome::Unfinished,
            Some(Signature::Hang(SideName::Rust)),
        ),
        (
            Outcome::Unfinished,
            done.clone(),
            Some(Signature::Hang(SideName::C)),
        ),
        (
            Outcome::Unfinished,
            Outcome::Unfinished,
            Some(Signature::Hang(SideName::C)),
        ),
        (done.clone(), done, None),
    ];
    for (c, rust, expected) in cases {
        let mismatch: Option<Mismatch> = oracle::compare_outcomes(&c, &rust);
        assert_eq!(
            mismatch.map(|m| m.signature()),
            expected,
            "C {c}, Rust {rust}"
        );
    }
}
