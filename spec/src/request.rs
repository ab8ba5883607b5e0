//! What the harness feeds the model: the operations a side was asked to do
//! (or was seen doing), the side's answers, and the kernel's boot layout.
//!
//! These are plain data; judging them is [`crate::Model`]'s work.

use alloc::vec::Vec;
use core::fmt;

use crate::mapping::Mapping;
use crate::x15::{ERROR_ACCES, ERROR_AGAIN, ERROR_BUSY, ERROR_FAULT, ERROR_INVAL, ERROR_NOMEM};

/// Which map: 0 is the kernel map, then user maps in creation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MapIndex(pub u32);

impl MapIndex {
    /// The kernel map.
    pub const KERNEL: MapIndex = MapIndex(0);

    /// Whether this is the kernel map.
    pub fn is_kernel(self) -> bool {
        self == MapIndex::KERNEL
    }
}

/// The kernel map as it is at boot: its bounds and its static entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelLayout {
    /// The first address of the kernel map.
    pub start: u64,
    /// The address just past the kernel map.
    pub end: u64,
    /// The static entries (the boot entry and the kentry area), which stay
    /// mapped as given for the kernel's whole life.
    pub fixed: Vec<Mapping>,
}

/// One operation on the map interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// `vm_map_create`: a new user map.
    CreateMap,
    /// `vm_map_enter(map, object, offset, &start, size, align, flags)`.
    Enter {
        /// The map.
        map: MapIndex,
        /// The object, or `None` for a null mapping.
        object: Option<u32>,
        /// The object offset of the first page.
        offset: u64,
        /// The fixed start, the hint, or 0 for no hint.
        start: u64,
        /// The size in bytes.
        size: u64,
        /// 0 or the power-of-two alignment of the start.
        align: u64,
        /// `VM_MAP_FLAGS(prot, maxprot, inherit, advice, mapflags)`.
        flags: u32,
    },
    /// `vm_map_remove(map, start, end)`.
    Remove {
        /// The map.
        map: MapIndex,
        /// The first address to unmap.
        start: u64,
        /// The address just past the range.
        end: u64,
    },
    /// `vm_map_fault(map, addr, access)`.
    Fault {
        /// The map.
        map: MapIndex,
        /// The faulting address (truncated to its page).
        addr: u64,
        /// The access (`VM_PROT_*` bits).
        access: u32,
    },
    /// Observed: `vm_kmem_alloc` made `[start, start + size)` a mapped,
    /// present kernel range.
    KernelAllocate {
        /// The first address of the allocation.
        start: u64,
        /// The size in bytes (page-rounded).
        size: u64,
    },
    /// Observed: `vm_kmem_free` released the allocation at `start`.
    KernelRelease {
        /// The first address of the allocation.
        start: u64,
        /// The size in bytes (page-rounded).
        size: u64,
    },
}

impl Request {
    /// The map the request operates on; `None` for [`Request::CreateMap`].
    pub fn map(&self) -> Option<MapIndex> {
        match *self {
            Request::CreateMap => None,
            Request::Enter { map, .. }
            | Request::Remove { map, .. }
            | Request::Fault { map, .. } => Some(map),
            Request::KernelAllocate { .. } | Request::KernelRelease { .. } => {
                Some(MapIndex::KERNEL)
            }
        }
    }
}

/// A side's answer to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Success without a value.
    Done,
    /// `vm_map_enter` succeeded at `start`.
    Entered {
        /// The start the side chose (or was told).
        start: u64,
    },
    /// An X15 error code.
    Error(i32),
    /// The side rejected the request as breaking a precondition (the C
    /// fails an assertion, the port returns a precondition error).
    Refused,
    /// The kernel stopped (a panic on resource exhaustion).
    Stopped,
}

impl Answer {
    /// Whether the answer reports success.
    pub fn is_success(&self) -> bool {
        matches!(self, Answer::Done | Answer::Entered { .. })
    }
}

/// The name of an X15 error code, or its number when it has none.
pub(crate) struct ErrorText(pub i32);

impl fmt::Display for ErrorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            ERROR_NOMEM => "ERROR_NOMEM",
            ERROR_AGAIN => "ERROR_AGAIN",
            ERROR_INVAL => "ERROR_INVAL",
            ERROR_BUSY => "ERROR_BUSY",
            ERROR_FAULT => "ERROR_FAULT",
            ERROR_ACCES => "ERROR_ACCES",
            other => return write!(f, "error {other}"),
        };
        f.write_str(name)
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Answer::Done => f.write_str("done"),
            Answer::Entered { start } => write!(f, "entered at {start:#x}"),
            Answer::Error(code) => write!(f, "{}", ErrorText(code)),
            Answer::Refused => f.write_str("refused"),
            Answer::Stopped => f.write_str("stopped"),
        }
    }
}
