//! What one operation of the C instance did, as a Rust value.

use std::ffi::CStr;

use bindings::{cref_outcome, cref_outcome_kind, cref_refusal};

/// The result of an operation on the C instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T> {
    /// vm_map.c returned success, with the operation's value.
    Ok(T),
    /// vm_map.c returned this X15 error code (`ERROR_NOMEM` 1, ...).
    Error(i32),
    /// vm_map.c panicked or an assertion failed, with the panic message
    /// exactly as the C formatted it (`assertion failed: <expression>` for
    /// assertions). The instance is dead until the next set-up.
    Panicked(String),
    /// The entry layer did not run vm_map.c; see [`Refusal`].
    Refused(Refusal),
}

/// Why the entry layer refused an operation without running vm_map.c.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// An earlier operation panicked: the instance is dead.
    Dead,
    /// The set-up did not complete.
    NotSetUp,
    /// The map table is full (`CREF_MAX_USER_MAPS` user maps).
    TooManyMaps,
    /// The object table is full (`CREF_MAX_OBJECTS` objects).
    TooManyObjects,
    /// No map has this handle.
    UnknownMap,
    /// No object has this id.
    UnknownObject,
}

impl<T> Outcome<T> {
    /// Whether the operation succeeded.
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok(_))
    }

    /// The success value, if any.
    pub fn ok(self) -> Option<T> {
        match self {
            Outcome::Ok(value) => Some(value),
            _ => None,
        }
    }

    /// The same outcome with the success value transformed.
    pub fn map<U>(self, transform: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Outcome::Ok(value) => Outcome::Ok(transform(value)),
            Outcome::Error(code) => Outcome::Error(code),
            Outcome::Panicked(message) => Outcome::Panicked(message),
            Outcome::Refused(refusal) => Outcome::Refused(refusal),
        }
    }
}

impl Refusal {
    fn from_c(refusal: cref_refusal::Type) -> Refusal {
        match refusal {
            cref_refusal::CREF_REFUSAL_DEAD => Refusal::Dead,
            cref_refusal::CREF_REFUSAL_TOO_MANY_MAPS => Refusal::TooManyMaps,
            cref_refusal::CREF_REFUSAL_TOO_MANY_OBJECTS => Refusal::TooManyObjects,
            cref_refusal::CREF_REFUSAL_UNKNOWN_MAP => Refusal::UnknownMap,
            cref_refusal::CREF_REFUSAL_UNKNOWN_OBJECT => Refusal::UnknownObject,
            _ => Refusal::NotSetUp,
        }
    }
}

/// Converts the C outcome; `value` turns the C's value into `T`, and
/// `host_failure` (the machine's own panic, if one ended the operation) is
/// appended to the panic message.
pub(crate) fn from_c<T>(
    raw: &cref_outcome,
    value: impl FnOnce(u64) -> T,
    host_failure: Option<String>,
) -> Outcome<T> {
    match raw.kind {
        cref_outcome_kind::CREF_OUTCOME_OK => Outcome::Ok(value(raw.value)),
        cref_outcome_kind::CREF_OUTCOME_ERROR => Outcome::Error(raw.error),
        cref_outcome_kind::CREF_OUTCOME_PANICKED => {
            let mut message = message_text(&raw.message);
            if let Some(failure) = host_failure {
                message.push_str(": ");
                message.push_str(&failure);
            }
            Outcome::Panicked(message)
        }
        cref_outcome_kind::CREF_OUTCOME_REFUSED => Outcome::Refused(Refusal::from_c(raw.refusal)),
        other => Outcome::Panicked(format!("cref: unknown outcome kind {other}")),
    }
}

fn message_text(message: &[std::ffi::c_char]) -> String {
    // SAFETY: c_char and u8 have the same size and alignment, and the slice
    // is borrowed for the duration of this function only.
    let bytes = unsafe { std::slice::from_raw_parts(message.as_ptr().cast::<u8>(), message.len()) };
    match CStr::from_bytes_until_nul(bytes) {
        Ok(text) => text.to_string_lossy().into_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}
