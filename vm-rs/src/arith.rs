//! X15's power-of-two and page macros (`P2ALIGNED`, `ISP2`, `P2ROUND`,
//! `vm_page_*`) on `unsigned long`, with the C's wrap-around arithmetic.
//!
//! The seed relies on these wrapping (a rounded-up address past the top of
//! the address space becomes 0), so every operation here is a wrapping one;
//! nothing in this module can fail or panic.

use crate::PAGE_SIZE;

/// `P2ALIGNED(x, a)`: whether `x & (a - 1)` is 0.
pub(crate) const fn p2_aligned(x: u64, align: u64) -> bool {
    x & align.wrapping_sub(1) == 0
}

/// `ISP2(x)`: `P2ALIGNED(x, x)`, which is also true for 0.
pub(crate) const fn is_p2(x: u64) -> bool {
    p2_aligned(x, x)
}

/// `P2ROUND(x, a)`: `-(-x & -a)`, rounding up and wrapping to 0 past the top.
pub(crate) const fn p2_round(x: u64, align: u64) -> u64 {
    (x.wrapping_neg() & align.wrapping_neg()).wrapping_neg()
}

/// `vm_page_aligned(x)`.
pub(crate) const fn page_aligned(x: u64) -> bool {
    p2_aligned(x, PAGE_SIZE)
}

/// `vm_page_round(x)`.
pub(crate) const fn page_round(x: u64) -> u64 {
    p2_round(x, PAGE_SIZE)
}

/// `vm_page_trunc(x)`: `P2ALIGN(x, PAGE_SIZE)`, that is `x & -PAGE_SIZE`.
pub(crate) const fn page_trunc(x: u64) -> u64 {
    x & PAGE_SIZE.wrapping_neg()
}
