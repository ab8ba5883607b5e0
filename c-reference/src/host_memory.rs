//! The host memory behind the kernel map.
//!
//! vm_map.c dereferences kernel addresses itself (its kentry slab table, and
//! the slab objects it allocates), so the simulated kernel map's addresses
//! must be real, writable memory of this process. This module reserves
//! `[KERNEL_START, KERNEL_START + MAX_KERNEL_SIZE_BYTES)` once per process
//! at that fixed address, without committing memory up front. Failure (the
//! range is already in use) is reported as a [`HostMemoryError`].

use std::fmt;
use std::sync::OnceLock;

use sim::{KERNEL_START, MAX_KERNEL_SIZE_BYTES};

/// The reservation could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostMemoryError {
    /// What mmap answered.
    pub reason: String,
}

impl fmt::Display for HostMemoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot reserve the kernel map's host memory [{:#x}, {:#x}): {}",
            KERNEL_START,
            KERNEL_START + MAX_KERNEL_SIZE_BYTES,
            self.reason
        )
    }
}

impl std::error::Error for HostMemoryError {}

static RESERVATION: OnceLock<Result<(), HostMemoryError>> = OnceLock::new();

/// Reserves the kernel map's host memory if this process has not yet done
/// so, and reports whether it is there.
pub fn ensure_reserved() -> Result<(), HostMemoryError> {
    RESERVATION.get_or_init(reserve).clone()
}

/// Whether `[start, start + length)` lies inside the reservation.
pub(crate) fn contains(start: u64, length: u64) -> bool {
    start >= KERNEL_START
        && start
            .checked_add(length)
            .is_some_and(|end| end <= KERNEL_START + MAX_KERNEL_SIZE_BYTES)
}

fn reserve() -> Result<(), HostMemoryError> {
    let length = MAX_KERNEL_SIZE_BYTES as usize;
    let wanted = KERNEL_START as *mut libc::c_void;
    // SAFETY: a private anonymous mapping at a fixed address that must not
    // replace anything (MAP_FIXED_NOREPLACE), so no existing memory of the
    // process is touched; the result is checked below.
    let mapped = unsafe {
        libc::mmap(
            wanted,
            length,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE
                | libc::MAP_ANONYMOUS
                | libc::MAP_NORESERVE
                | libc::MAP_FIXED_NOREPLACE,
            -1,
            0,
        )
    };
    if mapped == libc::MAP_FAILED {
        let error = std::io::Error::last_os_error();
        let reason = if error.raw_os_error() == Some(libc::EEXIST) {
            "the address range is already in use in this process".to_owned()
        } else {
            error.to_string()
        };
        return Err(HostMemoryError { reason });
    }
    if mapped != wanted {
        // Kernels before 4.17 ignore MAP_FIXED_NOREPLACE and may place the
        // mapping elsewhere: give it back and report.
        // SAFETY: unmapping exactly the mapping just made.
        unsafe { libc::munmap(mapped, length) };
        return Err(HostMemoryError {
            reason: format!(
                "the kernel placed it at {mapped:p} (MAP_FIXED_NOREPLACE unsupported?)"
            ),
        });
    }
    Ok(())
}
