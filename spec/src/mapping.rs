//! One mapped range, and the canonical (coalesced) form in which ranges
//! are compared.
//!
//! Two descriptions of a map are the same when they map the same pages
//! with the same attributes and object offsets, however they split the
//! address space into entries. [`Coalesced`] turns any description into the
//! one with maximal ranges; it reports a malformed description (an empty,
//! unaligned, overlapping or out-of-order entry) as a [`Malformed`] item
//! instead of panicking.

use core::fmt;

use crate::attributes::Attributes;
use crate::x15::PAGE_SIZE;

/// One range of mapped pages with the same attributes and a continuous
/// object offset: an entry a side observed, or a range the model expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mapping {
    /// The first address of the range (page-aligned).
    pub start: u64,
    /// The address just past the range (page-aligned).
    pub end: u64,
    /// The object offset of the page at `start`; meaningless for a null
    /// mapping, where the model treats it as 0.
    pub offset: u64,
    /// The attributes of every page of the range.
    pub attributes: Attributes,
}

impl Mapping {
    /// The same range with a null mapping's offset normalised to 0.
    pub fn normalised(self) -> Mapping {
        if self.attributes.object.is_none() {
            Mapping { offset: 0, ..self }
        } else {
            self
        }
    }

    /// Whether `address` lies inside the range.
    pub fn contains(&self, address: u64) -> bool {
        self.start <= address && address < self.end
    }

    /// Whether `next` starts where this range ends and carries on with the
    /// same attributes and the next object offsets, so that the two are one
    /// range.
    pub fn continues_into(&self, next: &Mapping) -> bool {
        if self.end != next.start || self.attributes != next.attributes {
            return false;
        }
        // Offsets wrap like the C's unsigned arithmetic; both sides of a
        // comparison are treated alike, so wrapping is harmless.
        self.attributes.object.is_none()
            || self.offset.wrapping_add(self.end.wrapping_sub(self.start)) == next.offset
    }
}

impl fmt::Display for Mapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{:#x}, {:#x}) {} offset {:#x}",
            self.start, self.end, self.attributes, self.offset
        )
    }
}

/// An observed entry that cannot be part of a map description.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// The offending entry.
    pub entry: Mapping,
    /// Why it is malformed, as a short phrase.
    pub reason: &'static str,
}

/// The maximal ranges of a description given in address order.
pub struct Coalesced<I> {
    entries: I,
    pending: Option<Result<Mapping, Malformed>>,
    previous_end: Option<u64>,
    failed: bool,
}

impl<I: Iterator<Item = Mapping>> Coalesced<I> {
    /// Coalesces `entries`, which should be in address order.
    pub fn new(entries: I) -> Coalesced<I> {
        Coalesced {
            entries,
            pending: None,
            previous_end: None,
            failed: false,
        }
    }

    /// The malformed entry just after the last run returned, if the
    /// look-ahead has met one: a caller can report it before comparing that
    /// run, which a malformed neighbour may have cut short.
    pub fn malformed_ahead(&self) -> Option<Malformed> {
        match self.pending {
            Some(Err(malformed)) => Some(malformed),
            _ => None,
        }
    }

    /// The next entry, checked to be well formed and after the previous one.
    fn pull(&mut self) -> Option<Result<Mapping, Malformed>> {
        let entry = self.entries.next()?;
        let reason = if entry.start % PAGE_SIZE != 0 || entry.end % PAGE_SIZE != 0 {
            Some("is not page-aligned")
        } else if entry.start >= entry.end {
            Some("is empty")
        } else if self.previous_end.is_some_and(|end| entry.start < end) {
            Some("overlaps or precedes the previous entry")
        } else {
            None
        };
        self.previous_end = Some(entry.end);
        Some(match reason {
            Some(reason) => Err(Malformed { entry, reason }),
            None => Ok(entry.normalised()),
        })
    }
}

impl<I: Iterator<Item = Mapping>> Iterator for Coalesced<I> {
    type Item = Result<Mapping, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let mut run = match self.pending.take().or_else(|| self.pull())? {
            Ok(run) => run,
            Err(malformed) => {
                self.failed = true;
                return Some(Err(malformed));
            }
        };
        loop {
            match self.pull() {
                Some(Ok(next)) if run.continues_into(&next) => run.end = next.end,
                other => {
                    self.pending = other;
                    return Some(Ok(run));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attributes::test_attributes;
    use alloc::vec::Vec;

    fn mapping(start: u64, end: u64, object: Option<u32>, offset: u64) -> Mapping {
        Mapping {
            start,
            end,
            offset,
            attributes: test_attributes(object),
        }
    }

    fn coalesce(entries: &[Mapping]) -> Vec<Result<Mapping, Malformed>> {
        Coalesced::new(entries.iter().copied()).collect()
    }

    #[test]
    fn continuous_offsets_merge() {
        let split = [
            mapping(0x1000, 0x2000, Some(1), 0x5000),
            mapping(0x2000, 0x4000, Some(1), 0x6000),
        ];
        assert_eq!(
            coalesce(&split),
            [Ok(mapping(0x1000, 0x4000, Some(1), 0x5000))]
        );
    }

    #[test]
    fn discontinuous_offsets_or_gaps_stay_apart() {
        let jump = [
            mapping(0x1000, 0x2000, Some(1), 0x5000),
            mapping(0x2000, 0x3000, Some(1), 0x9000),
            mapping(0x4000, 0x5000, Some(1), 0xa000),
        ];
        assert_eq!(coalesce(&jump).len(), 3);
    }

    #[test]
    fn null_mappings_merge_whatever_their_offsets() {
        let null = [
            mapping(0x1000, 0x2000, None, 0x5000),
            mapping(0x2000, 0x3000, None, 0x1),
        ];
        assert_eq!(coalesce(&null), [Ok(mapping(0x1000, 0x3000, None, 0))]);
    }

    #[test]
    fn malformed_entries_are_reported_after_the_runs_before_them() {
        let table: [(&[Mapping], &str); 3] = [
            (&[mapping(0x1000, 0x1800, None, 0)], "is not page-aligned"),
            (&[mapping(0x2000, 0x2000, None, 0)], "is empty"),
            (
                &[
                    mapping(0x1000, 0x3000, None, 0),
                    mapping(0x2000, 0x4000, None, 0),
                ],
                "overlaps or precedes the previous entry",
            ),
        ];
        for (entries, reason) in table {
            let items = coalesce(entries);
            let last = items.last().copied();
            assert!(
                matches!(last, Some(Err(m)) if m.reason == reason),
                "{entries:?}: {items:?}"
            );
        }
    }
}
