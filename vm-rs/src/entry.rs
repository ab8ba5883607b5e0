//! Map entries (`struct vm_map_entry`) and where each one lives.
//!
//! The C names entries by address: the environment's slab caches hand out
//! and take back entry objects by virtual address, and two entries are
//! statics of `vm_map.c`. The port keeps entries in an arena of slots and
//! records each entry's address ([`EntryStorage`]) so that it frees the same
//! addresses as the C. Nothing here fails.

use crate::env::ObjectId;
use crate::footprint::WriteStamps;
use crate::state::EntryState;

/// The address `kmem_cache_free` receives when the C frees its static boot
/// entry `vm_map_kernel_entry` (a remove over it on the kernel map). The C
/// passes a host address there; the harness maps it to this value.
pub const KERNEL_BOOT_ENTRY_ADDRESS: u64 = 0x1;

/// Like [`KERNEL_BOOT_ENTRY_ADDRESS`], for the static `vm_map_kentry_entry`.
pub const KENTRY_ENTRY_ADDRESS: u64 = 0x2;

/// Where an entry lives in the C.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryStorage {
    /// The static `vm_map_kernel_entry` (the boot space of the kernel map).
    KernelBootStatic,
    /// The static `vm_map_kentry_entry` (the kentry area and its table).
    KentryStatic,
    /// An object of an entry slab cache at this kernel virtual address.
    CacheObject(u64),
}

impl EntryStorage {
    /// The address the C would pass to `kmem_cache_free` for this entry.
    pub const fn address(self) -> u64 {
        match self {
            EntryStorage::KernelBootStatic => KERNEL_BOOT_ENTRY_ADDRESS,
            EntryStorage::KentryStatic => KENTRY_ENTRY_ADDRESS,
            EntryStorage::CacheObject(va) => va,
        }
    }
}

/// The index of an entry in the port's arena (stands for an entry pointer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SlotId(pub(crate) u32);

/// The slot of the static boot entry.
pub(crate) const BOOT_SLOT: SlotId = SlotId(0);
/// The slot of the static kentry entry.
pub(crate) const KENTRY_SLOT: SlotId = SlotId(1);

/// An entry: its fields, and its neighbours in its map's entry list (the
/// C's `list_node`; `None` stands for the list head).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) object: Option<ObjectId>,
    pub(crate) offset: u64,
    pub(crate) flags: u32,
    pub(crate) storage: EntryStorage,
    pub(crate) prev: Option<SlotId>,
    pub(crate) next: Option<SlotId>,
}

impl Entry {
    /// A fresh entry with zeroed fields, as the C would fill it in.
    pub(crate) const fn blank(storage: EntryStorage) -> Entry {
        Entry {
            start: 0,
            end: 0,
            object: None,
            offset: 0,
            flags: 0,
            storage,
            prev: None,
            next: None,
        }
    }

    /// The fields the oracles compare.
    pub(crate) const fn state(&self) -> EntryState {
        EntryState {
            start: self.start,
            end: self.end,
            object: self.object,
            offset: self.offset,
            flags: self.flags,
        }
    }
}

/// The entries of all maps, the two statics in slots 0 and 1. Writing a
/// slot (`IndexMut`, the only way to) stamps it ([`crate::footprint`]).
#[derive(Debug, Clone)]
pub(crate) struct Arena {
    slots: alloc::vec::Vec<Entry>,
    free: alloc::vec::Vec<SlotId>,
    written: WriteStamps,
}

impl Arena {
    /// An arena holding only the two static entries.
    pub(crate) fn new() -> Arena {
        let mut arena = Arena {
            slots: alloc::vec::Vec::with_capacity(64),
            free: alloc::vec::Vec::new(),
            written: WriteStamps::default(),
        };
        arena.push(Entry::blank(EntryStorage::KernelBootStatic));
        arena.push(Entry::blank(EntryStorage::KentryStatic));
        arena
    }

    /// A slot for a new cache object at `va`.
    pub(crate) fn allocate(&mut self, va: u64) -> SlotId {
        let entry = Entry::blank(EntryStorage::CacheObject(va));
        match self.free.pop() {
            Some(slot) => {
                self[slot] = entry;
                slot
            }
            None => self.push(entry),
        }
    }

    /// A new slot at the end, holding `entry`.
    fn push(&mut self, entry: Entry) -> SlotId {
        self.written.stamp(self.slots.len());
        self.slots.push(entry);
        SlotId((self.slots.len() - 1) as u32)
    }

    /// When the slots were written.
    pub(crate) fn written(&self) -> &WriteStamps {
        &self.written
    }

    /// Gives a slot back; the static slots are kept, as the C's statics
    /// outlive any free.
    pub(crate) fn release(&mut self, slot: SlotId) {
        if slot != BOOT_SLOT && slot != KENTRY_SLOT {
            self.free.push(slot);
        }
    }
}

impl core::ops::Index<SlotId> for Arena {
    type Output = Entry;

    fn index(&self, slot: SlotId) -> &Entry {
        &self.slots[slot.0 as usize]
    }
}

impl core::ops::IndexMut<SlotId> for Arena {
    fn index_mut(&mut self, slot: SlotId) -> &mut Entry {
        self.written.stamp(slot.0 as usize);
        &mut self.slots[slot.0 as usize]
    }
}
