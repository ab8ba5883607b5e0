//! Reading a map again over its last read, in place: [`MapRewrite`] takes
//! a fresh walk's entries one at a time and compares each with the last
//! read's entry at the same place, writing nothing while they agree. Where
//! the two reads first part, it moves the last read's rest aside and
//! writes the fresh read's from there on, and it says where that was
//! ([`ReadDifference`]).
//!
//! Both sides walk their list and tree once per read through it (the port
//! in `Vm::map_state_rewrite`, c-reference in its snapshot), so that a map
//! that did not change costs the harness a walk and no copy, and one that
//! changed near its end a copy of what came after the change. Nothing here
//! fails: two reads simply agree or do not.

use alloc::vec::Vec;

use crate::footprint::ReadFootprint;
use crate::state::{EntryState, MapState};

/// How a fresh read of a map differs from the read it was written over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadDifference {
    /// Whether anything differs: a scalar, an entry or the list. When
    /// something does, the map state written over holds the fresh read
    /// and the one beside it ("displaced") the last read's scalars and,
    /// from where each sequence first differs, its entries and list.
    pub differs: bool,
    /// The first position at which the entries differ (a length counts):
    /// the length of their longest common beginning; `None` when they are
    /// the same.
    pub entries_from: Option<usize>,
    /// Like `entries_from`, for the entry list.
    pub list_from: Option<usize>,
    /// Whether the walk found the list to be the entries themselves (the
    /// same entries in the same order, ending together), so that the
    /// fresh read's `list == entries`.
    pub list_is_entries: bool,
}

/// One sequence of a read (the entries or the list) as it is written.
#[derive(Debug, Default)]
struct Progress {
    /// How many entries the walk gave.
    read: usize,
    /// Where the walk first gave an entry that the last read does not have
    /// at that place; from there on, every entry is written.
    first_difference: Option<usize>,
}

impl Progress {
    #[inline]
    fn push(
        &mut self,
        sequence: &mut Vec<EntryState>,
        displaced: &mut Vec<EntryState>,
        entry: EntryState,
    ) {
        if self.first_difference.is_none() {
            if sequence
                .get(self.read)
                .is_some_and(|was| was.same_as(&entry))
            {
                self.read += 1;
                return;
            }
            self.part(sequence, displaced);
        }
        sequence.push(entry);
        self.read += 1;
    }

    /// The reads part here: the last read's rest moves to `displaced`.
    #[cold]
    fn part(&mut self, sequence: &mut Vec<EntryState>, displaced: &mut Vec<EntryState>) {
        displaced.clear();
        displaced.extend_from_slice(&sequence[self.read..]);
        sequence.truncate(self.read);
        self.first_difference = Some(self.read);
    }

    /// Where the reads part, a shorter fresh read parting where it ends.
    fn finish(
        &mut self,
        sequence: &mut Vec<EntryState>,
        displaced: &mut Vec<EntryState>,
    ) -> Option<usize> {
        if self.first_difference.is_none() && self.read != sequence.len() {
            self.part(sequence, displaced);
        }
        self.first_difference
    }
}

/// A fresh read of one map being written over its last read, in place:
/// the side sets the scalars ([`MapRewrite::scalars_mut`]), then gives the
/// entries its walk meets, in order, and [`MapRewrite::finish`] says how
/// the two reads differ.
#[derive(Debug)]
pub struct MapRewrite<'a> {
    state: &'a mut MapState,
    displaced: &'a mut MapState,
    entries: Progress,
    list: Progress,
    /// Whether the last read's list is its entries and the walk has given
    /// only entries both walks met, all the same as the last read's: then
    /// one comparison answers for the entries and the list.
    in_step: bool,
    /// What the last read went through, for a side that tracks its writes
    /// (the port; [`MapRewrite::with_footprint`]).
    footprint: Option<&'a mut ReadFootprint>,
}

impl<'a> MapRewrite<'a> {
    /// Starts a read over `state`, the map's last read; `displaced` gets
    /// what the fresh read replaces (its scalars now, its entries and list
    /// from where they first differ). `list_was_entries` says that the last
    /// read's list is its entries (`state.list == state.entries`; false
    /// when not known). A whole read is one over a cleared state.
    pub fn new(
        state: &'a mut MapState,
        displaced: &'a mut MapState,
        list_was_entries: bool,
    ) -> MapRewrite<'a> {
        displaced.clear();
        displaced.copy_scalars_from(state);
        MapRewrite {
            state,
            displaced,
            entries: Progress::default(),
            list: Progress::default(),
            in_step: list_was_entries,
            footprint: None,
        }
    }

    /// Gives the read the footprint of the last read of `state`, which a
    /// side that tracks its writes (the port) uses to keep what nothing
    /// wrote since, and records this read's in. The footprint must be the
    /// one the read that wrote `state` left (or a default or forgotten
    /// one, which keeps nothing): the caller keeps the two together.
    pub fn with_footprint(mut self, footprint: &'a mut ReadFootprint) -> MapRewrite<'a> {
        self.footprint = Some(footprint);
        self
    }

    /// The footprint given with [`MapRewrite::with_footprint`], for the
    /// side's walk to use and update.
    pub(crate) fn take_footprint(&mut self) -> Option<&'a mut ReadFootprint> {
        self.footprint.take()
    }

    /// The last read's entries, for a walk that compares its first entries
    /// with them itself before giving anything ([`MapRewrite::keep`]):
    /// all of them when the last read's list is its entries and nothing
    /// was given yet, else none.
    pub fn last_entries_in_step(&self) -> &[EntryState] {
        // In step, the list has given as many as the entries (`both` and
        // `keep` give to both; anything else ends the step).
        let untouched = self.entries.read == 0;
        match self.in_step && untouched {
            true => &self.state.entries,
            false => &[],
        }
    }

    /// Keeps the last read's first `count` entries and list entries as
    /// they are, as though the walk had given them: the side knows that
    /// its walk would give them again, each met by both the list and the
    /// tree walk at once (it compared them with
    /// [`MapRewrite::last_entries_in_step`], or knows that nothing it
    /// would read for them changed). Keeps fewer when the last read has
    /// fewer or its list may not be its entries, and says how many it
    /// kept. Only before anything else is given.
    pub fn keep(&mut self, count: usize) -> usize {
        let kept = if self.in_step {
            count.min(self.state.entries.len())
        } else {
            0
        };
        debug_assert!(self.entries.read == 0 && self.list.read == 0);
        self.entries.read = kept;
        self.list.read = kept;
        kept
    }

    /// Writes a whole read `fresh` as a walk would have given it, for
    /// sides that read a map whole, and ends the read.
    pub fn replay(mut self, fresh: &MapState, list_is_entries: bool) -> ReadDifference {
        self.scalars_mut().copy_scalars_from(fresh);
        fresh
            .entries
            .iter()
            .for_each(|&entry| self.tree_only(entry));
        fresh.list.iter().for_each(|&entry| self.list_only(entry));
        self.finish(list_is_entries)
    }

    /// The map state being written, for the side to set its scalars (from
    /// `start` to `find_cache_threshold`); its entries and list are written
    /// through [`MapRewrite::both`], [`MapRewrite::tree_only`] and
    /// [`MapRewrite::list_only`].
    pub fn scalars_mut(&mut self) -> &mut MapState {
        self.state
    }

    /// An entry that both walks met at the same place: the next of the
    /// tree and of the list.
    #[inline]
    pub fn both(&mut self, entry: EntryState) {
        if self.in_step {
            let read = self.entries.read;
            if self
                .state
                .entries
                .get(read)
                .is_some_and(|was| was.same_as(&entry))
            {
                // The last read's list is its entries: the entry is also
                // the one its list has here.
                self.entries.read = read + 1;
                self.list.read = read + 1;
                return;
            }
        }
        self.tree_only(entry);
        self.list_only(entry);
    }

    /// The next entry of the tree alone.
    #[inline]
    pub fn tree_only(&mut self, entry: EntryState) {
        self.in_step = false;
        self.entries
            .push(&mut self.state.entries, &mut self.displaced.entries, entry);
    }

    /// The next entry of the list alone.
    #[inline]
    pub fn list_only(&mut self, entry: EntryState) {
        self.in_step = false;
        self.list
            .push(&mut self.state.list, &mut self.displaced.list, entry);
    }

    /// How many tree entries the walk gave so far.
    pub fn entries_read(&self) -> usize {
        self.entries.read
    }

    /// How many list entries the walk gave so far.
    pub fn list_read(&self) -> usize {
        self.list.read
    }

    /// Ends the read and says how it differs from the last; the walk found
    /// the list to be the entries when `list_is_entries`.
    pub fn finish(mut self, list_is_entries: bool) -> ReadDifference {
        let (state, displaced) = (self.state, self.displaced);
        let entries_from = self
            .entries
            .finish(&mut state.entries, &mut displaced.entries);
        let list_from = self.list.finish(&mut state.list, &mut displaced.list);
        ReadDifference {
            differs: entries_from.is_some()
                || list_from.is_some()
                || !state.same_scalars(displaced),
            entries_from,
            list_from,
            list_is_entries,
        }
    }
}
