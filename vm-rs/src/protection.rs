//! Access rights (`vm/vm_prot.h`): X15's `VM_PROT_*` bits as a typed value.
//!
//! Any integer converts to a [`Protection`] and back unchanged, because the
//! C compares raw `int`s (a fault's `access` may carry bits X15 never
//! defined). Conversions cannot fail.

/// A set of `VM_PROT_*` bits, holding the raw C value unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Protection(u32);

impl Protection {
    /// `VM_PROT_NONE` (0): no access.
    pub const NONE: Protection = Protection(0);
    /// `VM_PROT_READ` (1): reading is allowed.
    pub const READ: Protection = Protection(1);
    /// `VM_PROT_WRITE` (2): writing is allowed.
    pub const WRITE: Protection = Protection(2);
    /// `VM_PROT_EXECUTE` (4): executing is allowed.
    pub const EXECUTE: Protection = Protection(4);
    /// `VM_PROT_DEFAULT` (3): read and write.
    pub const DEFAULT: Protection = Protection(3);
    /// `VM_PROT_ALL` (7): read, write and execute.
    pub const ALL: Protection = Protection(7);

    /// The protection for a raw C value; every value is kept as it is.
    pub const fn from_raw(raw: u32) -> Protection {
        Protection(raw)
    }

    /// The raw C value.
    pub const fn raw(self) -> u32 {
        self.0
    }

    /// Whether every bit of `other` is also set in `self`.
    pub const fn contains(self, other: Protection) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union of two sets of bits.
    pub const fn union(self, other: Protection) -> Protection {
        Protection(self.0 | other.0)
    }
}

impl From<u32> for Protection {
    fn from(raw: u32) -> Protection {
        Protection::from_raw(raw)
    }
}

impl From<i32> for Protection {
    fn from(raw: i32) -> Protection {
        Protection::from_raw(raw as u32)
    }
}

impl From<Protection> for u32 {
    fn from(protection: Protection) -> u32 {
        protection.raw()
    }
}
