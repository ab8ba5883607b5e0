//! The shrinker: minimises a program on its own structure while a predicate
//! keeps holding (for `vm-diff shrink`, "still diverges with the same
//! signature").
//!
//! It repeats three passes until none of them changes anything: drop
//! operations (halves, quarters, ... down to single operations, from the
//! end, in the manner of delta debugging), simplify the configuration (the
//! normal machine, no planned failures, every operation kind enabled), and
//! simplify each operation one field at a time (selectors toward simpler
//! ones, raw numbers toward small and page-aligned ones, flags and
//! protections toward their defaults) or replace it with the simplest
//! operation of a lighter kind (which can make other operations droppable).
//! Every candidate is strictly simpler
//! by a fixed measure ([`program_cost`]), so the search ends; it uses no
//! randomness and no clock except to stop early, so with the budget left
//! unspent, or a budget in runs only ([`Budget::tests`], what tests use),
//! the result depends only on the input and the predicate.
//!
//! Failure reporting: [`shrink`] returns [`NotInteresting`] when the
//! predicate does not hold for the input; a search cut short by its
//! [`Budget`] is not a failure, [`ShrinkResult::cut_short`] says so.
//!
//! `search.rs` is the search and its budget, `candidates.rs` the simpler
//! variants it tries, `cost.rs` the measure that makes every step strictly
//! simpler.

mod candidates;
mod cost;
mod search;

pub use cost::{op_cost, program_cost};
pub use search::{neighbours, shrink, Budget, NotInteresting, ShrinkResult};
