//! Write tracking for the port's map reads: when each map and each entry
//! slot was last written ([`WriteStamps`], kept by [`Maps`] and the entry
//! arena), and what a map's last read went through ([`ReadFootprint`]),
//! so that the next read keeps, without walking it, the beginning of the
//! last read that nothing has written since.
//!
//! It is sound by construction. The only ways to change a map or an entry
//! slot are `IndexMut` on [`Maps`] and on the arena (their vectors are
//! private, and neither hands out another mutable path), and both stamp
//! what they hand out before handing it out. A stamp can only be too new
//! (a mutable borrow that changed nothing), which makes a read walk more
//! than it needs to, never less. A footprint names the port instance it
//! was taken of ([`Identity`], fresh for every instance and every clone),
//! so one taken of another instance, or of nothing, keeps nothing. Nothing
//! here fails.

use core::cell::Cell;
use core::sync::atomic::{AtomicU64, Ordering};

use alloc::vec::Vec;

use crate::map::Map;

/// When each item of a vector (a map, an entry slot) was last written: the
/// clock's reading at the time. The clock moves on at every read that
/// records a footprint ([`WriteStamps::tick`]), so "written after the read
/// that read the clock at `epoch`" is `stamp > epoch`.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteStamps {
    stamps: Vec<u64>,
    clock: Cell<u64>,
}

impl WriteStamps {
    /// Stamps item `index` (a new item when it is one past the last).
    #[inline]
    pub(crate) fn stamp(&mut self, index: usize) {
        let now = self.clock.get();
        match self.stamps.get_mut(index) {
            Some(stamp) => *stamp = now,
            None => self.stamps.push(now),
        }
    }

    /// Whether item `index` may have been written since the read that took
    /// `epoch` (an unknown item may have).
    #[inline]
    pub(crate) fn written_since(&self, index: usize, epoch: u64) -> bool {
        self.stamps.get(index).is_none_or(|&stamp| stamp > epoch)
    }

    /// The clock's reading for a read, which moves the clock on: writes
    /// from now on are after that read.
    pub(crate) fn tick(&self) -> u64 {
        let epoch = self.clock.get();
        self.clock.set(epoch + 1);
        epoch
    }
}

/// Which port instance a footprint was taken of: a number no other
/// instance has had in this process, a clone included (a clone's clock
/// runs apart from the original's).
#[derive(Debug)]
pub(crate) struct Identity(u64);

/// The next identity to hand out.
static NEXT_IDENTITY: AtomicU64 = AtomicU64::new(0);

impl Identity {
    /// A number never handed out before in this process.
    pub(crate) fn fresh() -> Identity {
        Identity(NEXT_IDENTITY.fetch_add(1, Ordering::Relaxed))
    }
}

impl Clone for Identity {
    fn clone(&self) -> Identity {
        Identity::fresh()
    }
}

/// The port's maps, the kernel map first; writing one stamps it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Maps {
    maps: Vec<Map>,
    written: WriteStamps,
}

impl Maps {
    /// How many maps there are.
    pub(crate) fn len(&self) -> usize {
        self.maps.len()
    }

    /// Adds a map at the end.
    pub(crate) fn push(&mut self, map: Map) {
        self.written.stamp(self.maps.len());
        self.maps.push(map);
    }

    /// When the maps were written.
    pub(crate) fn written(&self) -> &WriteStamps {
        &self.written
    }
}

impl core::ops::Index<usize> for Maps {
    type Output = Map;

    fn index(&self, index: usize) -> &Map {
        &self.maps[index]
    }
}

impl core::ops::IndexMut<usize> for Maps {
    fn index_mut(&mut self, index: usize) -> &mut Map {
        self.written.stamp(index);
        &mut self.maps[index]
    }
}

/// What a map's last read went through: the port instance and map it was
/// taken of, the clocks' readings, and the entry slots it met in order
/// (the list's and the tree's, which were the same: a read whose list
/// and tree part leaves no footprint). The harness keeps one beside each
/// map state it reads and hands both to the next read together; it never
/// looks inside.
#[derive(Debug, Clone, Default)]
pub struct ReadFootprint {
    /// The instance and map, `None` when the footprint stands for nothing.
    pub(crate) of: Option<(u64, usize)>,
    /// The maps' clock at the read.
    pub(crate) maps_epoch: u64,
    /// The arena's clock at the read.
    pub(crate) slots_epoch: u64,
    /// The slots the read met, in list (and tree) order.
    pub(crate) slots: Vec<u32>,
}

impl ReadFootprint {
    /// Whether this footprint stands for a read of map `map` of the port
    /// instance `identity`.
    pub(crate) fn is_of(&self, identity: &Identity, map: usize) -> bool {
        self.of == Some((identity.0, map))
    }

    /// Starts recording a read of map `map` of `identity` that keeps its
    /// first `kept` slots.
    pub(crate) fn begin(&mut self, identity: &Identity, map: usize, kept: usize) {
        self.slots.truncate(kept);
        self.of = Some((identity.0, map));
    }

    /// Makes it stand for nothing: the next read walks the whole map.
    pub fn forget(&mut self) {
        self.of = None;
        self.slots.clear();
    }

    /// [`ReadFootprint::forget`], also giving its buffer exactly room for
    /// `slots` slots (the harness's fuzz entry keeps footprints from input
    /// to input this way, so that an input's reads allocate the same
    /// whatever ran before it).
    pub fn forget_keeping(&mut self, slots: usize) {
        self.forget();
        crate::state::exact_capacity(&mut self.slots, slots);
    }
}
