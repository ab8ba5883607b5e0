//! A set of disjoint half-open address ranges, each carrying a value that
//! may advance along the range (an object offset), kept coalesced.
//!
//! The ranges are a vector sorted by address: lookups are binary searches,
//! and a change moves the ranges after it along the vector. Every
//! operation costs O(log ranges) or O(ranges), never O(pages), so a
//! 2^47-byte user map is as cheap as a small one. A sorted vector rather
//! than a tree because maps hold few ranges and the model runs at every
//! step of every fuzzed program, under AddressSanitizer: one contiguous
//! buffer, reused as the map changes and by [`Clone::clone_from`], costs
//! far fewer checked memory accesses and allocations than tree nodes.
//! Nothing here fails or panics: callers pass ranges with `start < end`
//! and clearing or setting an empty range changes nothing.

use alloc::vec::Vec;

use crate::attributes::Attributes;

/// A value attached to every byte of a range, described by its value at
/// the range's start.
pub(crate) trait Segment: Copy + PartialEq {
    /// The value `bytes` further into the same range.
    fn advanced(&self, bytes: u64) -> Self;
}

/// Plain membership: a range carries nothing.
impl Segment for () {
    fn advanced(&self, _bytes: u64) -> Self {}
}

/// What a mapped range carries: its attributes and its object offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Placement {
    /// The object offset at the range's start (0 for null mappings).
    pub offset: u64,
    /// The attributes of every page of the range.
    pub attributes: Attributes,
}

impl Segment for Placement {
    fn advanced(&self, bytes: u64) -> Self {
        // Null mappings have no offset; keeping it 0 makes two null
        // ranges with equal attributes continuous.
        let offset = if self.attributes.object.is_none() {
            0
        } else {
            self.offset.wrapping_add(bytes)
        };
        Placement { offset, ..*self }
    }
}

/// One range of a [`RangeMap`]: `[start, end)` with the value at `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span<V> {
    pub start: u64,
    pub end: u64,
    pub value: V,
}

/// Disjoint, coalesced ranges in address order.
#[derive(Debug, Default)]
pub(crate) struct RangeMap<V> {
    /// The ranges, sorted by start (and so by end: they are disjoint).
    spans: Vec<Span<V>>,
}

/// Cloning into an existing set reuses its buffer (the harness copies a
/// model into another when the sides it judges part).
impl<V: Copy> Clone for RangeMap<V> {
    fn clone(&self) -> Self {
        RangeMap {
            spans: self.spans.clone(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        self.spans.clone_from(&source.spans);
    }
}

impl<V: Segment> RangeMap<V> {
    /// An empty set.
    pub fn new() -> RangeMap<V> {
        RangeMap { spans: Vec::new() }
    }

    /// The number of (coalesced) ranges.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// All ranges in address order.
    pub fn iter(&self) -> impl Iterator<Item = Span<V>> + '_ {
        self.spans.iter().copied()
    }

    /// The ranges that end after `address`, in address order.
    pub fn iter_from(&self, address: u64) -> impl Iterator<Item = Span<V>> + '_ {
        self.spans[self.first_ending_after(address)..]
            .iter()
            .copied()
    }

    /// The range containing `address`, if any.
    pub fn containing(&self, address: u64) -> Option<Span<V>> {
        let span = *self.spans.get(self.first_ending_after(address))?;
        (span.start <= address).then_some(span)
    }

    /// Whether some range overlaps `[start, end)`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        if start >= end {
            return false;
        }
        // The first range that ends after `start` is the only candidate
        // that can reach into `[start, end)` from below or inside.
        self.spans
            .get(self.first_ending_after(start))
            .is_some_and(|span| span.start < end)
    }

    /// Removes `[start, end)` from every range, splitting ranges that
    /// straddle its ends.
    pub fn clear(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let first = self.first_ending_after(start);
        let past = first + self.spans[first..].partition_point(|span| span.start < end);
        if first == past {
            return;
        }
        // What is left of the first and last ranges met, outside the range.
        let (head, last) = (self.spans[first], self.spans[past - 1]);
        let head = (head.start < start).then_some(Span { end: start, ..head });
        let tail = (last.end > end).then(|| Span {
            start: end,
            end: last.end,
            value: last.value.advanced(end - last.start),
        });
        self.spans.splice(first..past, head.into_iter().chain(tail));
    }

    /// Makes `[start, end)` one range carrying `value` (replacing whatever
    /// was there) and merges it with continuous neighbours.
    pub fn set(&mut self, start: u64, end: u64, value: V) {
        if start >= end {
            return;
        }
        self.clear(start, end);
        // Nothing overlaps the range now: this is where it goes.
        let at = self.spans.partition_point(|span| span.start < start);
        let joins_before = at.checked_sub(1).is_some_and(|before| {
            let before = self.spans[before];
            before.end == start && before.value.advanced(start - before.start) == value
        });
        let (merged_start, merged_value) = if joins_before {
            (self.spans[at - 1].start, self.spans[at - 1].value)
        } else {
            (start, value)
        };
        let joins_after = self.spans.get(at).is_some_and(|after| {
            after.start == end && merged_value.advanced(end - merged_start) == after.value
        });
        match (joins_before, joins_after) {
            (true, true) => {
                self.spans[at - 1].end = self.spans[at].end;
                self.spans.remove(at);
            }
            (true, false) => self.spans[at - 1].end = end,
            (false, true) => {
                self.spans[at].start = start;
                self.spans[at].value = value;
            }
            (false, false) => self.spans.insert(at, Span { start, end, value }),
        }
    }

    /// Removes every range, keeping the buffer.
    pub fn clear_all(&mut self) {
        self.spans.clear();
    }

    /// Gives the buffer room for exactly `capacity` ranges (or for those
    /// it holds, when more), whatever it grew to before.
    pub fn release_buffer(&mut self, capacity: usize) {
        crate::model::trim(&mut self.spans, capacity);
    }

    /// The index of the first range that ends after `address` (the number
    /// of ranges when none does).
    fn first_ending_after(&self, address: u64) -> usize {
        self.spans.partition_point(|span| span.end <= address)
    }

    /// The lowest start of an `align`-aligned range of `size_bytes` that
    /// fits between the ranges inside `[low, high)`, if there is one.
    /// `align` must be a power of two.
    pub fn find_room(&self, low: u64, high: u64, size_bytes: u64, align: u64) -> Option<u64> {
        let mut cursor = low;
        for span in self.iter_from(low) {
            if span.start >= high {
                break;
            }
            if let Some(found) = fit_in_gap(cursor, span.start.min(high), size_bytes, align) {
                return Some(found);
            }
            cursor = cursor.max(span.end);
        }
        fit_in_gap(cursor, high, size_bytes, align)
    }
}

/// The lowest `align`-aligned start of a range of `size_bytes` inside
/// `[start, end)`, if one fits.
fn fit_in_gap(start: u64, end: u64, size_bytes: u64, align: u64) -> Option<u64> {
    if start >= end {
        return None;
    }
    let first = round_up(start, align)?;
    let last = first.checked_add(size_bytes)?;
    (last <= end).then_some(first)
}

/// `value` rounded up to a multiple of the power of two `align`, or `None`
/// when that does not fit in 64 bits.
pub(crate) fn round_up(value: u64, align: u64) -> Option<u64> {
    let mask = align.wrapping_sub(1);
    value.checked_add(mask).map(|sum| sum & !mask)
}

#[cfg(test)]
mod tests;
