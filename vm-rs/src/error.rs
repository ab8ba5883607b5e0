//! X15's error codes (`kern/error.h`) as a typed error.

/// An X15 error code; `code()` gives the C value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Error {
    /// `ERROR_NOMEM` (1): no room in the map or no memory.
    NoMem,
    /// `ERROR_AGAIN` (2).
    Again,
    /// `ERROR_INVAL` (3): an invalid argument.
    Inval,
    /// `ERROR_BUSY` (4).
    Busy,
    /// `ERROR_FAULT` (5): no mapping at the faulting address.
    Fault,
    /// `ERROR_ACCES` (6): the mapping forbids the access.
    Acces,
}

impl Error {
    /// The C value of this error code.
    pub const fn code(self) -> i32 {
        match self {
            Error::NoMem => 1,
            Error::Again => 2,
            Error::Inval => 3,
            Error::Busy => 4,
            Error::Fault => 5,
            Error::Acces => 6,
        }
    }

    /// The C name of this error code (`ERROR_NOMEM`, ...), for reports.
    pub const fn name(self) -> &'static str {
        match self {
            Error::NoMem => "ERROR_NOMEM",
            Error::Again => "ERROR_AGAIN",
            Error::Inval => "ERROR_INVAL",
            Error::Busy => "ERROR_BUSY",
            Error::Fault => "ERROR_FAULT",
            Error::Acces => "ERROR_ACCES",
        }
    }

    /// The error for a C value, or `None` for 0 and unknown values.
    pub const fn from_code(code: i32) -> Option<Error> {
        match code {
            1 => Some(Error::NoMem),
            2 => Some(Error::Again),
            3 => Some(Error::Inval),
            4 => Some(Error::Busy),
            5 => Some(Error::Fault),
            6 => Some(Error::Acces),
            _ => None,
        }
    }
}
