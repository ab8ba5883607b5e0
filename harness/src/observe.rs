//! How an operation ended, in one vocabulary for both sides: [`Outcome`].
//! (The state the oracles compare is `vm_rs::state`'s, which both sides
//! produce directly.)
//!
//! Each side translates its own native result into an `Outcome` in one
//! place (the C's outcomes in `side::c`, the port's `Result` in
//! `side::rust`), so that comparison is plain equality. Translations never
//! fail: anything a side cannot express is carried as text.

use std::fmt;

/// How one operation ended, normalised so that equal means equivalent.
///
/// A failed C assertion and the port's matching precondition error both
/// become [`Outcome::Precondition`] with the C's expression text: the port's
/// assertion table (`vm_rs::PRECONDITIONS`) is the only source of this
/// equivalence.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Success; `Some(address)` for an enter (the chosen start).
    Ok(Option<u64>),
    /// An X15 error code.
    Error(i32),
    /// `assertion failed: <expression>`; the instance is dead afterwards.
    Precondition(String),
    /// `panic(<message>)`; the instance is dead afterwards.
    Fatal(String),
    /// Behaviour the port declares undefined in the C (never the C's own
    /// outcome); the text says which.
    Undefined(String),
    /// An earlier operation killed this instance; nothing ran.
    Dead,
    /// Fixed mode: the C showed a registered bug earlier and was retired;
    /// nothing ran on it (the port goes on alone).
    Retired,
    /// The operation's loops took more steps than the harness's budget
    /// ([`crate::side::LOOP_STEP_BUDGET`]): the side would not have
    /// finished. The instance is dead afterwards.
    Unfinished,
}

impl Outcome {
    /// Whether the instance is dead after this outcome: it lives on only
    /// after a success or an X15 error code, the two ways the C returns.
    pub fn is_terminal(&self) -> bool {
        !matches!(self, Outcome::Ok(_) | Outcome::Error(_))
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok(None) => write!(f, "ok"),
            Outcome::Ok(Some(address)) => write!(f, "ok start={address:#x}"),
            Outcome::Error(code) => write!(f, "error {code} ({})", error_name(*code)),
            Outcome::Precondition(expression) => write!(f, "assertion failed: {expression}"),
            Outcome::Fatal(message) => write!(f, "panic: {message}"),
            Outcome::Undefined(what) => write!(f, "undefined in C: {what}"),
            Outcome::Dead => write!(f, "dead (an earlier operation panicked)"),
            Outcome::Retired => write!(
                f,
                "retired (it showed a registered bug; the fixed port goes on)"
            ),
            Outcome::Unfinished => write!(
                f,
                "did not finish (over the budget of {} loop steps)",
                crate::side::LOOP_STEP_BUDGET
            ),
        }
    }
}

/// The name of an X15 error code, for reports (`unknown` for a value X15
/// does not define).
pub fn error_name(code: i32) -> &'static str {
    vm_rs::Error::from_code(code).map_or("unknown", vm_rs::Error::name)
}
