//! A set of disjoint half-open address ranges, each carrying a value that
//! may advance along the range (an object offset), kept coalesced.
//!
//! Every operation costs O(log ranges) or O(ranges), never O(pages), so a
//! 2^47-byte user map is as cheap as a small one. Nothing here fails or
//! panics: callers pass ranges with `start < end` and clearing or setting
//! an empty range changes nothing.

use alloc::collections::BTreeMap;

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

/// Disjoint, coalesced ranges keyed by their start.
#[derive(Clone, Debug, Default)]
pub(crate) struct RangeMap<V> {
    ranges: BTreeMap<u64, (u64, V)>,
}

impl<V: Segment> RangeMap<V> {
    /// An empty set.
    pub fn new() -> RangeMap<V> {
        RangeMap {
            ranges: BTreeMap::new(),
        }
    }

    /// The number of (coalesced) ranges.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// All ranges in address order.
    pub fn iter(&self) -> impl Iterator<Item = Span<V>> + '_ {
        self.ranges
            .iter()
            .map(|(&start, &(end, value))| Span { start, end, value })
    }

    /// The ranges that end after `address`, in address order.
    pub fn iter_from(&self, address: u64) -> impl Iterator<Item = Span<V>> + '_ {
        let first = match self.ranges.range(..=address).next_back() {
            Some((&start, &(end, _))) if end > address => start,
            _ => address,
        };
        self.ranges
            .range(first..)
            .map(|(&start, &(end, value))| Span { start, end, value })
    }

    /// The range containing `address`, if any.
    pub fn containing(&self, address: u64) -> Option<Span<V>> {
        let (&start, &(end, value)) = self.ranges.range(..=address).next_back()?;
        (address < end).then_some(Span { start, end, value })
    }

    /// Whether some range overlaps `[start, end)`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        if start >= end {
            return false;
        }
        // The last range starting before `end` is the only candidate that
        // can reach back into `[start, end)`.
        match self.ranges.range(..end).next_back() {
            Some((_, &(last_end, _))) => last_end > start,
            None => false,
        }
    }

    /// Removes `[start, end)` from every range, splitting ranges that
    /// straddle its ends.
    pub fn clear(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        if let Some((&before, &(before_end, value))) = self.ranges.range(..start).next_back() {
            if before_end > start {
                self.ranges.insert(before, (start, value));
                if before_end > end {
                    let tail = value.advanced(end - before);
                    self.ranges.insert(end, (before_end, tail));
                }
            }
        }
        while let Some((&inside, &(inside_end, value))) = self.ranges.range(start..end).next() {
            self.ranges.remove(&inside);
            if inside_end > end {
                let tail = value.advanced(end - inside);
                self.ranges.insert(end, (inside_end, tail));
            }
        }
    }

    /// Makes `[start, end)` one range carrying `value` (replacing whatever
    /// was there) and merges it with continuous neighbours.
    pub fn set(&mut self, start: u64, end: u64, value: V) {
        if start >= end {
            return;
        }
        self.clear(start, end);
        let (mut start, mut value) = (start, value);
        if let Some((&before, &(before_end, before_value))) = self.ranges.range(..start).next_back()
        {
            if before_end == start && before_value.advanced(start - before) == value {
                self.ranges.remove(&before);
                (start, value) = (before, before_value);
            }
        }
        let mut end = end;
        if let Some(&(after_end, after_value)) = self.ranges.get(&end) {
            if value.advanced(end - start) == after_value {
                self.ranges.remove(&end);
                end = after_end;
            }
        }
        self.ranges.insert(start, (end, value));
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
