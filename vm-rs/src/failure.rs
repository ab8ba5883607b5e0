//! How an operation of the port fails: an X15 error code (the C returned
//! it), a failed C assertion, a C panic, C undefined behaviour the port
//! cannot reproduce, or misuse of the port itself.

use crate::error::Error;
use crate::fatal::Fatal;
use crate::precondition::Precondition;
use crate::vm::MapId;

/// Why an operation did not succeed.
///
/// After a [`Failure::Precondition`], [`Failure::Fatal`] or
/// [`Failure::Undefined`] the [`crate::Vm`] is dead, as the C instance is
/// after a panic: every later operation returns [`Failure::Dead`] without
/// calling the environment, and the state getters show the state at the
/// point of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Failure {
    /// The C returned this error code; the port lives on.
    Error(Error),
    /// The C would have failed this assertion.
    Precondition(Precondition),
    /// The C would have panicked with this message.
    Fatal(Fatal),
    /// The C would have had undefined behaviour here.
    Undefined(Undefined),
    /// An earlier operation killed the port.
    Dead,
    /// The map id names no map (the C has no counterpart); the port lives on.
    NoSuchMap(MapId),
    /// The operation's loops (searches, walks of a map's entries) took more
    /// steps than the budget given to [`crate::Vm::set_loop_budget`]: a
    /// port that would loop forever stops here instead. The port is dead
    /// afterwards.
    OverBudget,
}

impl Failure {
    /// Whether this failure kills the port (the C instance would be dead).
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            Failure::Precondition(_)
                | Failure::Fatal(_)
                | Failure::Undefined(_)
                | Failure::OverBudget
        )
    }
}

/// Makes each listed cause convertible into the [`Failure`] variant that
/// carries it, so that `?` lifts it; a macro because each conversion is
/// an impl of its own.
macro_rules! failure_from {
    ($($cause:ident),+) => {
        $(impl From<$cause> for Failure {
            fn from(cause: $cause) -> Failure {
                Failure::$cause(cause)
            }
        })+
    };
}

failure_from!(Error, Precondition, Fatal, Undefined);

/// A point where the C's behaviour is undefined or depends on host memory,
/// so the port cannot reproduce it and stops instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Undefined {
    /// `vm_map_kentry_setup` divides by a slab size of 0.
    ZeroKentrySlabSize,
    /// The kentry code reads or writes a slab descriptor outside the table it
    /// set up (possible only after a remove moved the kentry entry's start),
    /// that is, host memory the port does not model; the address is given.
    KentryDescriptorOutsideTable(u64),
}
