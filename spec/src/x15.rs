//! X15's constants on x86_64, as the map interface defines them.
//!
//! These are plain values: nothing here can fail. The names follow X15's own
//! (`ERROR_NOMEM`, `VM_PROT_WRITE`, ...) so that a reader can match them
//! against the C headers.
//!
//! They restate values the port (`vm_rs::PAGE_SIZE`, `vm_rs::Error`,
//! `vm_rs::MapFlags`) also states, and that is deliberate: the
//! specification depends on nothing of the project's, so that it cannot
//! inherit the port's or the C's view of the interface. This is the one
//! place where the project states X15's constants a second time.

/// `PAGE_SIZE` on x86_64, in bytes.
pub const PAGE_SIZE: u64 = 4096;

/// `ERROR_NOMEM`: no room in the map, or resources exhausted.
pub const ERROR_NOMEM: i32 = 1;
/// `ERROR_AGAIN`: try again.
pub const ERROR_AGAIN: i32 = 2;
/// `ERROR_INVAL`: invalid argument.
pub const ERROR_INVAL: i32 = 3;
/// `ERROR_BUSY`: resource busy.
pub const ERROR_BUSY: i32 = 4;
/// `ERROR_FAULT`: no mapping contains the faulting page.
pub const ERROR_FAULT: i32 = 5;
/// `ERROR_ACCES`: the mapping's protection forbids the access.
pub const ERROR_ACCES: i32 = 6;

/// `VM_PROT_NONE`: no access.
pub const PROT_NONE: u8 = 0;
/// `VM_PROT_READ`.
pub const PROT_READ: u8 = 1;
/// `VM_PROT_WRITE`.
pub const PROT_WRITE: u8 = 2;
/// `VM_PROT_EXECUTE`.
pub const PROT_EXECUTE: u8 = 4;
/// `VM_PROT_ALL`: read, write and execute.
pub const PROT_ALL: u8 = 7;

/// `VM_INHERIT_NONE`: the range is not inherited by a child map.
pub const INHERIT_NONE: u8 = 0;
/// `VM_INHERIT_SHARE`: the child shares the range.
pub const INHERIT_SHARE: u8 = 1;
/// `VM_INHERIT_COPY`: the child gets a copy of the range.
pub const INHERIT_COPY: u8 = 2;
/// The largest defined inheritance value.
pub const INHERIT_MAX: u8 = INHERIT_COPY;

/// `VM_ADV_NORMAL` (also `VM_ADV_DEFAULT`).
pub const ADVICE_NORMAL: u8 = 0;
/// `VM_ADV_RANDOM`.
pub const ADVICE_RANDOM: u8 = 1;
/// `VM_ADV_SEQUENTIAL`.
pub const ADVICE_SEQUENTIAL: u8 = 2;
/// `VM_ADV_WILLNEED`.
pub const ADVICE_WILLNEED: u8 = 3;
/// `VM_ADV_DONTNEED`.
pub const ADVICE_DONTNEED: u8 = 4;
/// The largest defined advice value.
pub const ADVICE_MAX: u8 = ADVICE_DONTNEED;

/// `VM_MAP_NOMERGE`: never merge the new entry with its neighbours.
pub const MAP_NOMERGE: u32 = 0x1_0000;
/// `VM_MAP_FIXED`: map exactly at the given start or fail.
pub const MAP_FIXED: u32 = 0x2_0000;
/// The flag bits that carry prot, maxprot, inheritance and advice (four
/// nibbles).
pub const MAP_ATTRIBUTE_BITS: u32 = 0xffff;

/// The start of every user map (`VM_MIN_ADDRESS`).
pub const USER_MAP_START: u64 = 0;
/// The end of every user map (`VM_MAX_ADDRESS`): the top of the lower
/// canonical half of the 48-bit address space.
pub const USER_MAP_END: u64 = 0x0000_8000_0000_0000;
