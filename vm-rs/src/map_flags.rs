//! The packed mapping flags of `vm_map_enter` (`VM_MAP_FLAGS(prot, maxprot,
//! inherit, advice, mapflags)` of `vm/vm_map.h`) as a typed value.
//!
//! Every 32-bit pattern converts to [`MapFlags`] and back unchanged, because
//! the fuzzer passes arbitrary ones and the C stores
//! `flags & VM_MAP_ENTRY_MASK` in entries. Conversions cannot fail.

use crate::advice::Advice;
use crate::inheritance::Inheritance;
use crate::protection::Protection;

/// `VM_MAP_NOMERGE`: also kept in entries; forbids merging.
pub const VM_MAP_NOMERGE: u32 = 0x10000;
/// `VM_MAP_FIXED`: the start is not a hint; never kept in entries.
pub const VM_MAP_FIXED: u32 = 0x20000;
/// `VM_MAP_ENTRY_MASK`: the bits of the packed flags an entry keeps.
pub const VM_MAP_ENTRY_MASK: u32 = VM_MAP_NOMERGE | 0xffff;

/// `VM_MAP_FLAGS(VM_PROT_ALL, VM_PROT_ALL, VM_INHERIT_NONE, VM_ADV_DEFAULT,
/// 0)`: the flags of the seed's kernel mappings (0x77).
pub(crate) const KERNEL_MAPPING_FLAGS: u32 = MapFlags::new(
    Protection::ALL,
    Protection::ALL,
    Inheritance::None,
    Advice::Normal,
)
.to_raw();

/// The bits below the ones X15 defines (the four nibbles and two flags).
const KNOWN_BITS: u32 = 0x3ffff;

/// X15's packed mapping flags, field by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MapFlags {
    /// `VM_MAP_PROT(f)`: bits 0-3, the current protection.
    pub protection: Protection,
    /// `VM_MAP_MAXPROT(f)`: bits 4-7, the maximum protection.
    pub max_protection: Protection,
    /// `VM_MAP_INHERIT(f)`: bits 8-11.
    pub inheritance: Inheritance,
    /// `VM_MAP_ADVICE(f)`: bits 12-15.
    pub advice: Advice,
    /// `VM_MAP_NOMERGE` (bit 16).
    pub no_merge: bool,
    /// `VM_MAP_FIXED` (bit 17).
    pub fixed: bool,
    /// Bits 18-31, which X15 does not define, kept in place (other bits are 0).
    pub other_bits: u32,
}

impl MapFlags {
    /// `VM_MAP_FLAGS(prot, maxprot, inherit, advice, 0)`.
    pub const fn new(
        protection: Protection,
        max_protection: Protection,
        inheritance: Inheritance,
        advice: Advice,
    ) -> MapFlags {
        MapFlags {
            protection,
            max_protection,
            inheritance,
            advice,
            no_merge: false,
            fixed: false,
            other_bits: 0,
        }
    }

    /// The flags for a raw C value.
    pub const fn from_raw(raw: u32) -> MapFlags {
        MapFlags {
            protection: Protection::from_raw(raw & 0xf),
            max_protection: Protection::from_raw((raw & 0xf0) >> 4),
            inheritance: Inheritance::from_raw((raw & 0xf00) >> 8),
            advice: Advice::from_raw((raw & 0xf000) >> 12),
            no_merge: raw & VM_MAP_NOMERGE != 0,
            fixed: raw & VM_MAP_FIXED != 0,
            other_bits: raw & !KNOWN_BITS,
        }
    }

    /// The raw C value. Each field is cut to its own bits, as the C macros
    /// would see it.
    pub const fn to_raw(self) -> u32 {
        let mut raw = (self.protection.raw() & 0xf)
            | (self.max_protection.raw() & 0xf) << 4
            | (self.inheritance.raw() & 0xf) << 8
            | (self.advice.raw() & 0xf) << 12
            | (self.other_bits & !KNOWN_BITS);
        if self.no_merge {
            raw |= VM_MAP_NOMERGE;
        }
        if self.fixed {
            raw |= VM_MAP_FIXED;
        }
        raw
    }

    /// The flags for the C's `int`.
    pub const fn from_i32(raw: i32) -> MapFlags {
        MapFlags::from_raw(raw as u32)
    }

    /// The C's `int`.
    pub const fn to_i32(self) -> i32 {
        self.to_raw() as i32
    }

    /// These flags with `VM_MAP_NOMERGE` set.
    pub const fn with_no_merge(mut self) -> MapFlags {
        self.no_merge = true;
        self
    }

    /// These flags with `VM_MAP_FIXED` set.
    pub const fn with_fixed(mut self) -> MapFlags {
        self.fixed = true;
        self
    }
}

impl From<u32> for MapFlags {
    fn from(raw: u32) -> MapFlags {
        MapFlags::from_raw(raw)
    }
}

impl From<MapFlags> for u32 {
    fn from(flags: MapFlags) -> u32 {
        flags.to_raw()
    }
}
