//! Simulated physical memory holding real x86_64 page tables, and walks over
//! them.
//!
//! Only page tables live in simulated memory: every frame has room for one
//! [`PageTable`] (allocated once), and the slots written since the last
//! reset are remembered so that reset clears only those. Nothing here fails:
//! walks report a missing table as [`Walk::Missing`], and callers decide
//! whether that is an error, a violation or a reason to allocate.

use vm_rs::env::PhysAddr;
use x86_64::structures::paging::page_table::PageTableLevel;
use x86_64::structures::paging::{PageTable, PageTableFlags, PageTableIndex};
use x86_64::{PhysAddr as X86PhysAddr, VirtAddr};

/// Present.
pub(crate) const PTE_PRESENT: u64 = 0x1;
/// Writable.
pub(crate) const PTE_WRITE: u64 = 0x2;
/// User accessible.
pub(crate) const PTE_USER: u64 = 0x4;
/// Global.
pub(crate) const PTE_GLOBAL: u64 = 0x100;
/// The physical address bits of an entry.
pub const PTE_ADDRESS_MASK: u64 = 0x000f_ffff_ffff_f000;
/// The end of the lower canonical half: every simulated virtual address lies
/// below it.
pub(crate) const CANONICAL_LOWER_END: u64 = 1 << 47;

/// One present page-table entry, as the page-table oracle compares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableEntry {
    /// The level of the table holding the entry: 4 (root) down to 1 (leaves).
    pub level: u8,
    /// The first virtual address the entry covers.
    pub va: u64,
    /// The entry's raw 64-bit value.
    pub raw: u64,
}

impl TableEntry {
    /// Whether the entry maps a page (it sits in a level-1 table).
    pub const fn is_leaf(&self) -> bool {
        self.level == 1
    }

    /// The physical address the entry points to: a page for a leaf, the
    /// next table otherwise.
    pub const fn frame(&self) -> PhysAddr {
        PhysAddr(self.raw & PTE_ADDRESS_MASK)
    }

    /// Whether the entry allows writes.
    pub const fn is_writable(&self) -> bool {
        self.raw & PTE_WRITE != 0
    }
}

/// Where a walk for one virtual address ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Walk {
    /// Every intermediate table exists; this is the leaf slot.
    Leaf {
        /// The level-1 table's frame.
        table: u32,
        /// The slot in it.
        index: usize,
    },
    /// The entry at this level (4, 3 or 2) has no table below it.
    Missing {
        /// The level of the table whose entry is absent.
        level: u8,
    },
}

/// The bytes of address space one entry of a `level` table covers.
pub(crate) const fn entry_span_bytes(level: u8) -> u64 {
    1u64 << (12 + 9 * (level as u32 - 1))
}

/// The x86_64 crate's name for a level 1..=4.
fn table_level(level: u8) -> PageTableLevel {
    match level {
        4 => PageTableLevel::Four,
        3 => PageTableLevel::Three,
        2 => PageTableLevel::Two,
        _ => PageTableLevel::One,
    }
}

/// The slot of `va` in a table of `level`.
pub(crate) fn slot(va: u64, level: u8) -> usize {
    let index: PageTableIndex = VirtAddr::new_truncate(va).page_table_index(table_level(level));
    usize::from(index)
}

/// A well-mixed 64-bit hash of one present entry; the digest of a pmap is
/// the wrapping sum of these, so it can be kept up to date entry by entry.
pub(crate) fn entry_hash(level: u8, va: u64, raw: u64) -> u64 {
    let mut x = va ^ (u64::from(level) << 56) ^ raw.rotate_left(29);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x = x ^ (x >> 31);
    x.wrapping_add(raw.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// Page-table frames of simulated physical memory.
///
/// Invariant: every frame that does not currently hold a page table is all
/// zero. Tables are never freed between resets (the machine refuses to free
/// a table frame), and reset clears every slot written since the previous
/// one, so a frame taken for a new table needs no zeroing.
pub(crate) struct PageTableMemory {
    /// One table per frame, allocated once.
    tables: Vec<PageTable>,
    /// Every (frame, slot) written since the last reset, duplicates allowed.
    written_slots: Vec<(u32, u16)>,
}

impl PageTableMemory {
    /// Zeroed memory of `frames` frames.
    pub(crate) fn new(frames: u32) -> Self {
        PageTableMemory {
            tables: (0..frames).map(|_| PageTable::new()).collect(),
            written_slots: Vec::new(),
        }
    }

    /// Clears every slot written since the last reset: time proportional to
    /// the writes, not to the size of memory.
    pub(crate) fn reset(&mut self) {
        for &(frame, index) in &self.written_slots {
            self.tables[frame as usize][usize::from(index)].set_unused();
        }
        crate::reset_buffer(&mut self.written_slots, 1024);
    }

    /// The raw value of slot `index` of the table in `frame`.
    pub(crate) fn read(&self, frame: u32, index: usize) -> u64 {
        let entry = &self.tables[frame as usize][index];
        entry.addr().as_u64() | entry.flags().bits()
    }

    /// Writes slot `index` of the table in `frame`. `raw` must have an
    /// in-range, page-aligned address (callers check addresses they did
    /// not produce themselves).
    pub(crate) fn write(&mut self, frame: u32, index: usize, raw: u64) {
        self.written_slots.push((frame, index as u16));
        let entry = &mut self.tables[frame as usize][index];
        if raw == 0 {
            entry.set_unused();
        } else {
            let address = X86PhysAddr::new(raw & PTE_ADDRESS_MASK);
            entry.set_addr(
                address,
                PageTableFlags::from_bits_truncate(raw & !PTE_ADDRESS_MASK),
            );
        }
    }

    /// The table frame a present intermediate entry points at, if it is
    /// inside memory.
    pub(crate) fn child(&self, raw: u64) -> Option<u32> {
        if raw & PTE_PRESENT == 0 {
            return None;
        }
        let frame = (raw & PTE_ADDRESS_MASK) >> 12;
        (frame < self.tables.len() as u64).then_some(frame as u32)
    }

    /// The frame of the `level` table on the path to `va`, if it exists.
    pub(crate) fn table_at(&self, root: u32, va: u64, level: u8) -> Option<u32> {
        let mut table = root;
        for current in (level + 1..=4).rev() {
            table = self.child(self.read(table, slot(va, current)))?;
        }
        Some(table)
    }

    /// Walks from `root` towards the leaf slot of `va`.
    pub(crate) fn walk(&self, root: u32, va: u64) -> Walk {
        let mut table = root;
        for level in (2..=4).rev() {
            match self.child(self.read(table, slot(va, level))) {
                Some(next) => table = next,
                None => return Walk::Missing { level },
            }
        }
        Walk::Leaf {
            table,
            index: slot(va, 1),
        }
    }

    /// Calls `visit` for every present entry under the `level` table in
    /// `frame` (which covers addresses from `base_va`), depth first, in
    /// address order.
    pub(crate) fn visit(
        &self,
        frame: u32,
        level: u8,
        base_va: u64,
        visit: &mut impl FnMut(TableEntry),
    ) {
        for index in 0..512 {
            let raw = self.read(frame, index);
            if raw & PTE_PRESENT == 0 {
                continue;
            }
            let va = base_va + index as u64 * entry_span_bytes(level);
            visit(TableEntry { level, va, raw });
            if level > 1 {
                if let Some(child) = self.child(raw) {
                    self.visit(child, level - 1, va, visit);
                }
            }
        }
    }
}
