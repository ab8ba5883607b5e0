//! The list-step budget of our `kern/list.h` (instrumentation of the
//! header, not of the seed): an operation whose `list_next` calls go past
//! the budget panics through the entry layer with the budget's message and
//! leaves the instance dead; below the budget, or with none, nothing
//! changes.

use c_reference::{CReference, MapHandle, Outcome, LIST_BUDGET_MESSAGE};
use sim::{FaultPlan, MachineConfig};

#[test]
fn a_walk_past_the_budget_panics_and_one_within_it_runs() {
    let (mut reference, setup) = CReference::new(MachineConfig::normal(), FaultPlan::default());
    assert_eq!(setup, Outcome::Ok(()));
    // The kernel map's printout walks its entries (the boot and kentry
    // entries at least): two list steps or more.
    let cases = [
        (Some(1), Outcome::Panicked(LIST_BUDGET_MESSAGE.to_string())),
        (Some(1 << 16), Outcome::Ok(())),
        (None, Outcome::Ok(())),
    ];
    for (budget, expected) in cases {
        reference.set_list_step_budget(budget);
        assert_eq!(
            reference.reset(&MachineConfig::normal(), FaultPlan::default()),
            Outcome::Ok(()),
            "set-up under budget {budget:?}"
        );
        assert_eq!(reference.info(MapHandle(0)), expected, "budget {budget:?}");
    }
    reference.set_list_step_budget(Some(1));
    reference.reset(&MachineConfig::normal(), FaultPlan::default());
    reference.info(MapHandle(0));
    assert!(matches!(reference.info(MapHandle(0)), Outcome::Refused(_)));
    reference.set_list_step_budget(None);
}
