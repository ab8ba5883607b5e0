//! Usage advice for a mapping (`vm/vm_adv.h`).
//!
//! Conversion from any integer is total: values X15 does not name are kept
//! in [`Advice::Other`], so raw -> typed -> raw never loses bits.

/// X15's `VM_ADV_*` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Advice {
    /// `VM_ADV_NORMAL` (0, `VM_ADV_DEFAULT`): no particular pattern.
    #[default]
    Normal,
    /// `VM_ADV_RANDOM` (1): random accesses.
    Random,
    /// `VM_ADV_SEQUENTIAL` (2): sequential accesses.
    Sequential,
    /// `VM_ADV_WILLNEED` (3): the pages will be needed soon.
    WillNeed,
    /// `VM_ADV_DONTNEED` (4): the pages will not be needed soon.
    DontNeed,
    /// Any other raw value (never 0 to 4 when built by `from_raw`).
    Other(u32),
}

impl Advice {
    /// `VM_ADV_DEFAULT`.
    pub const DEFAULT: Advice = Advice::Normal;

    /// The advice for a raw C value.
    pub const fn from_raw(raw: u32) -> Advice {
        match raw {
            0 => Advice::Normal,
            1 => Advice::Random,
            2 => Advice::Sequential,
            3 => Advice::WillNeed,
            4 => Advice::DontNeed,
            other => Advice::Other(other),
        }
    }

    /// The raw C value.
    pub const fn raw(self) -> u32 {
        match self {
            Advice::Normal => 0,
            Advice::Random => 1,
            Advice::Sequential => 2,
            Advice::WillNeed => 3,
            Advice::DontNeed => 4,
            Advice::Other(other) => other,
        }
    }
}
