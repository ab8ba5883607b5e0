//! The loop budget ([`Vm::set_loop_budget`]): the steps of the loops only
//! the map's structure ends (a search's passes and the places it visits, a
//! remove's entries, a printout's) are counted per operation, and an
//! operation that needs more than the budget fails with
//! [`Failure::OverBudget`], which kills the port.

use super::*;

/// A non-fixed one-page enter after a first one at 0 takes two steps: the
/// search's first pass (`vm_map_find_avail`'s loop), from the find cache
/// the first enter left at 0x1000, and the one place that pass visits
/// (0x1000, with no entry above it). A fixed enter searches nothing. (The
/// first enter also took the entry cache's slab from the kernel map, whose
/// search would count too; the second finds an object in that slab.)
const SEARCH_STEPS: u64 = 2;

/// A user map with one page entered at 0 (no budget yet).
fn boot_with_one_page() -> (Vm, FakeEnv, MapId) {
    let (mut vm, mut env, map) = boot_user();
    assert_eq!(
        enter(&mut vm, &mut env, map, OBJECT, 0, 0x1000, false),
        Ok(0)
    );
    (vm, env, map)
}

/// A budget, whether the enter is fixed (at 0x5000), and what it gives.
const ROWS: [(Option<u64>, bool, Result<u64, Failure>); 5] = [
    (None, false, Ok(0x1000)),
    (Some(SEARCH_STEPS), false, Ok(0x1000)),
    (Some(SEARCH_STEPS - 1), false, Err(Failure::OverBudget)),
    (Some(0), false, Err(Failure::OverBudget)),
    (Some(0), true, Ok(0x5000)),
];

#[test]
fn an_operation_over_its_budget_fails_and_kills_the_port() {
    for (budget, fixed, expected) in ROWS {
        let (mut vm, mut env, map) = boot_with_one_page();
        vm.set_loop_budget(budget);
        let start = if fixed { 0x5000 } else { 0 };
        let result = enter(&mut vm, &mut env, map, OBJECT, start, 0x1000, fixed);
        assert_eq!(result, expected, "{budget:?}, fixed {fixed}");
        assert_eq!(vm.is_dead(), expected.is_err(), "{budget:?}, fixed {fixed}");
    }
}

#[test]
fn each_operation_counts_its_steps_from_zero() {
    // Every search below takes the same two steps, from the find cache the
    // one before it left at the end of its entry.
    let (mut vm, mut env, map) = boot_with_one_page();
    vm.set_loop_budget(Some(SEARCH_STEPS));
    for page in 1..5 {
        let result = enter(&mut vm, &mut env, map, OBJECT, 0, 0x1000, false);
        assert_eq!(result, Ok(page * 0x1000));
    }
}
