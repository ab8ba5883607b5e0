//! Inheritance of a mapping by a child task (`vm/vm_inherit.h`).
//!
//! Conversion from any integer is total: values X15 does not name are kept
//! in [`Inheritance::Other`], so raw -> typed -> raw never loses bits.

/// X15's `VM_INHERIT_*` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Inheritance {
    /// `VM_INHERIT_NONE` (0): the child does not get the mapping.
    None,
    /// `VM_INHERIT_SHARE` (1): the child shares the mapping.
    Share,
    /// `VM_INHERIT_COPY` (2, `VM_INHERIT_DEFAULT`): the child gets a copy.
    #[default]
    Copy,
    /// Any other raw value (never 0, 1 or 2 when built by `from_raw`).
    Other(u32),
}

impl Inheritance {
    /// `VM_INHERIT_DEFAULT`.
    pub const DEFAULT: Inheritance = Inheritance::Copy;

    /// The inheritance for a raw C value.
    pub const fn from_raw(raw: u32) -> Inheritance {
        match raw {
            0 => Inheritance::None,
            1 => Inheritance::Share,
            2 => Inheritance::Copy,
            other => Inheritance::Other(other),
        }
    }

    /// The raw C value.
    pub const fn raw(self) -> u32 {
        match self {
            Inheritance::None => 0,
            Inheritance::Share => 1,
            Inheritance::Copy => 2,
            Inheritance::Other(other) => other,
        }
    }
}
