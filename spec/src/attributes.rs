//! The attributes every mapped page carries, and how `vm_map_enter`'s flags
//! word encodes them.
//!
//! Decoding never fails: every nibble is kept as it was passed, and
//! [`crate::Invalid`] (through [`crate::Model::classify`]) is what says
//! whether a value is defined.

use core::fmt;

use crate::x15::{
    ADVICE_NORMAL, INHERIT_NONE, MAP_ATTRIBUTE_BITS, MAP_FIXED, MAP_NOMERGE, PROT_ALL,
    PROT_EXECUTE, PROT_READ, PROT_WRITE,
};

/// The attributes of one mapped page, apart from its object offset.
///
/// `VM_MAP_NOMERGE` and `VM_MAP_FIXED` are not attributes: they only say how
/// a range is entered, not what the range is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Attributes {
    /// The object the page is backed by; `None` is a null mapping (wired
    /// kernel memory with no object).
    pub object: Option<u32>,
    /// The current protection (`VM_PROT_*` bits).
    pub prot: u8,
    /// The maximum protection (`VM_PROT_*` bits).
    pub maxprot: u8,
    /// The inheritance (`VM_INHERIT_*`).
    pub inherit: u8,
    /// The advice (`VM_ADV_*`).
    pub advice: u8,
}

/// The attributes of the ranges `vm_kmem_alloc` enters in the kernel map:
/// no object, all rights, not inherited, default advice.
pub const KERNEL_ALLOCATION_ATTRIBUTES: Attributes = Attributes {
    object: None,
    prot: PROT_ALL,
    maxprot: PROT_ALL,
    inherit: INHERIT_NONE,
    advice: ADVICE_NORMAL,
};

/// `vm_map_enter`'s flags word taken apart, every field as passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnterFlags {
    /// Bits 0..4: the protection.
    pub prot: u8,
    /// Bits 4..8: the maximum protection.
    pub maxprot: u8,
    /// Bits 8..12: the inheritance.
    pub inherit: u8,
    /// Bits 12..16: the advice.
    pub advice: u8,
    /// Whether `VM_MAP_NOMERGE` is set.
    pub nomerge: bool,
    /// Whether `VM_MAP_FIXED` is set.
    pub fixed: bool,
    /// The bits that are neither attributes nor a known map flag.
    pub unknown_bits: u32,
}

impl EnterFlags {
    /// Takes a flags word apart.
    pub fn decode(flags: u32) -> EnterFlags {
        let nibble = |shift: u32| ((flags >> shift) & 0xf) as u8;
        EnterFlags {
            prot: nibble(0),
            maxprot: nibble(4),
            inherit: nibble(8),
            advice: nibble(12),
            nomerge: flags & MAP_NOMERGE != 0,
            fixed: flags & MAP_FIXED != 0,
            unknown_bits: flags & !(MAP_ATTRIBUTE_BITS | MAP_NOMERGE | MAP_FIXED),
        }
    }

    /// The page attributes an enter with these flags gives `object`.
    pub fn attributes(&self, object: Option<u32>) -> Attributes {
        Attributes {
            object,
            prot: self.prot,
            maxprot: self.maxprot,
            inherit: self.inherit,
            advice: self.advice,
        }
    }
}

/// The attributes the crate's unit tests map `object` with: read-write,
/// every access allowed, shared with a child, normal advice.
#[cfg(test)]
pub(crate) fn test_attributes(object: Option<u32>) -> Attributes {
    Attributes {
        object,
        prot: 3,
        maxprot: 7,
        inherit: 1,
        advice: 0,
    }
}

/// Writes a protection as `rwx` letters, or as a number when it has bits
/// beyond the three defined ones.
pub(crate) struct ProtectionText(pub u8);

impl fmt::Display for ProtectionText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prot = self.0;
        if prot > PROT_ALL {
            return write!(f, "{prot:#x}");
        }
        let letter = |bit: u8, c: char| if prot & bit != 0 { c } else { '-' };
        write!(
            f,
            "{}{}{}",
            letter(PROT_READ, 'r'),
            letter(PROT_WRITE, 'w'),
            letter(PROT_EXECUTE, 'x')
        )
    }
}

impl fmt::Display for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.object {
            Some(id) => write!(f, "object {id}")?,
            None => f.write_str("null")?,
        }
        write!(
            f,
            " prot {} maxprot {} inherit {} advice {}",
            ProtectionText(self.prot),
            ProtectionText(self.maxprot),
            self.inherit,
            self.advice
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn decode_takes_every_field_apart() {
        let flags = 0x3 | 0x7 << 4 | 0x2 << 8 | 0x4 << 12 | MAP_FIXED | 0x8000_0000;
        let decoded = EnterFlags::decode(flags);
        assert_eq!(
            decoded,
            EnterFlags {
                prot: 3,
                maxprot: 7,
                inherit: 2,
                advice: 4,
                nomerge: false,
                fixed: true,
                unknown_bits: 0x8000_0000,
            }
        );
    }

    #[test]
    fn attributes_print_on_one_line() {
        let text = Attributes {
            object: Some(2),
            prot: 3,
            maxprot: 0xf,
            inherit: 1,
            advice: 0,
        }
        .to_string();
        assert_eq!(text, "object 2 prot rw- maxprot 0xf inherit 1 advice 0");
        assert_eq!(
            KERNEL_ALLOCATION_ATTRIBUTES.to_string(),
            "null prot rwx maxprot rwx inherit 0 advice 0"
        );
    }
}
