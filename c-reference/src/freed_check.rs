//! The map walks' own check that a node they are about to read is not in
//! an object the C freed, in AddressSanitizer builds (`cref_asan`, which
//! `build.rs` sets for cargo-fuzz's ASan builds): the walks themselves are
//! compiled without ASan's check on every load, and instead look once at
//! each node's shadow before reading it.
//!
//! Why: the C services poison every object a cache takes back, so a C
//! list or tree that still links a freed entry would have the walk read
//! poisoned memory. Checking each node once reports exactly that, where
//! the walk meets it, with ASan's own report (`use-after-poison`, and the
//! walk's stack), at a fraction of the cost of a check on every load (a
//! third of the time of the C's map reads under ASan went to those).
//! Objects are poisoned and unpoisoned whole, so one granule of a node
//! says whether its entry is freed. Outside ASan builds the check is
//! nothing. A failed check does not return: ASan's report ends the run.

/// Reports `node` with ASan's report if ASan has poisoned the 8 bytes at
/// `node` (a freed C object).
#[cfg(cref_asan)]
#[inline(always)]
pub(crate) fn check_not_freed<T>(node: *const T) {
    /// x86_64 Linux's ASan shadow: byte `(address >> 3) + offset` describes
    /// the 8 bytes at `address` (0 when all are addressable);
    /// [`check_shadow_mapping`] checks it against the runtime's.
    const SHADOW_OFFSET: usize = 0x7fff_8000;
    let shadow = ((node as usize >> 3) + SHADOW_OFFSET) as *const i8;
    // SAFETY: in an ASan process, the shadow of every application address
    // is mapped and readable.
    if unsafe { shadow.read() } != 0 {
        report(node.cast());
    }
}

/// Nothing, outside ASan builds.
#[cfg(not(cref_asan))]
#[inline(always)]
pub(crate) fn check_not_freed<T>(_node: *const T) {}

#[cfg(cref_asan)]
unsafe extern "C" {
    fn __asan_report_load8(address: usize);
    fn __asan_get_shadow_mapping(scale: *mut usize, offset: *mut usize);
}

/// ASan's report of a load of 8 bytes at `address`; it does not return.
#[cfg(cref_asan)]
#[cold]
#[inline(never)]
fn report(address: *const u8) {
    // SAFETY: the runtime's report function takes any address.
    unsafe { __asan_report_load8(address as usize) };
}

/// Panics unless the ASan runtime's shadow mapping is the one
/// [`check_not_freed`] assumes (scale 3, x86_64 Linux's default offset);
/// called once per C instance.
#[cfg(cref_asan)]
pub(crate) fn check_shadow_mapping() {
    let (mut scale, mut offset) = (0, 0);
    // SAFETY: the runtime writes both through valid pointers.
    unsafe { __asan_get_shadow_mapping(&mut scale, &mut offset) };
    assert!(
        (scale, offset) == (3, 0x7fff_8000),
        "c-reference: ASan's shadow mapping is scale {scale}, offset {offset:#x}, not the \
         default the map walks' check assumes"
    );
}

/// Nothing to check outside ASan builds.
#[cfg(not(cref_asan))]
pub(crate) fn check_shadow_mapping() {}
