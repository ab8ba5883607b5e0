//! The kentry allocator: the area of the kernel map from which the kernel
//! map's own entries come (`vm_map_kentry_*` of the seed).
//!
//! The area is one static kernel map entry covering `VM_MAP_KENTRY_SIZE`
//! bytes of slabs followed by a table of slab descriptors. A descriptor is
//! one pointer: the next free descriptor, NULL at the end of the free list,
//! or the marker `0xa110c8ed` while its slab is in use. The C computes
//! descriptor addresses from the static entry's *current* start, which a
//! remove on the kernel map can move; the port does the same arithmetic and
//! keeps the table's contents by address. Failures: the C's panics (area
//! exhausted, no physical page) and assertions, and
//! [`Undefined::KentryDescriptorOutsideTable`] when the C would touch memory
//! outside its table.

use alloc::vec::Vec;

use crate::arith::page_round;
use crate::entry::KENTRY_SLOT;
use crate::env::{CacheSpec, Environment, PhysAddr, PmapId, SlabBackEnd};
use crate::failure::{Failure, Undefined};
use crate::fatal::Fatal;
use crate::map_flags::{KERNEL_MAPPING_FLAGS, VM_MAP_NOMERGE};
use crate::precondition::Precondition;
use crate::protection::Protection;
use crate::search::Request;
use crate::state::KentryState;
use crate::vm::{Vm, KERNEL_MAP};
use crate::{ENTRY_SIZE_BYTES, PAGE_SIZE, VM_MAP_KENTRY_SIZE};

/// `VM_MAP_KENTRY_ALLOCATED`: the descriptor value of a slab in use.
pub const VM_MAP_KENTRY_ALLOCATED: u64 = 0xa110_c8ed;

/// `KMEM_CACHE_NOCPUPOOL`.
pub const KMEM_CACHE_NOCPUPOOL: u32 = 0x1;
/// `KMEM_CACHE_NOOFFSLAB`.
pub const KMEM_CACHE_NOOFFSLAB: u32 = 0x2;

/// `sizeof(struct vm_map_kentry_slab)`: one pointer.
const DESCRIPTOR_SIZE_BYTES: u64 = 8;

/// The descriptor table and the free list head (`vm_map_kentry_free_slabs`).
#[derive(Debug, Clone, Default)]
pub(crate) struct KentryTable {
    /// Where setup put the table (`kentry start + VM_MAP_KENTRY_SIZE` then).
    table_va: u64,
    /// The descriptors' contents: addresses, NULL or the marker.
    descriptors: Vec<u64>,
    /// The first free descriptor's address, 0 when the list is empty.
    head: u64,
    /// `vm_map_kentry_slab_size`.
    pub(crate) slab_size: u64,
}

impl KentryTable {
    /// The index of the descriptor at `addr`, if it is one of the table's.
    fn index(&self, addr: u64) -> Option<usize> {
        let offset = addr.wrapping_sub(self.table_va);
        if offset % DESCRIPTOR_SIZE_BYTES != 0 {
            return None;
        }
        let index = usize::try_from(offset / DESCRIPTOR_SIZE_BYTES).ok()?;
        (index < self.descriptors.len()).then_some(index)
    }

    /// Reads the descriptor at `addr`.
    fn read(&self, addr: u64) -> Result<u64, Undefined> {
        self.index(addr)
            .map(|index| self.descriptors[index])
            .ok_or(Undefined::KentryDescriptorOutsideTable(addr))
    }

    /// Writes the descriptor at `addr`.
    fn write(&mut self, addr: u64, value: u64) -> Result<(), Undefined> {
        let index = self
            .index(addr)
            .ok_or(Undefined::KentryDescriptorOutsideTable(addr))?;
        self.descriptors[index] = value;
        Ok(())
    }

    /// `vm_map_kentry_alloc_slab`: the address of a free descriptor, now
    /// marked allocated.
    fn alloc_slab(&mut self) -> Result<u64, Failure> {
        if self.head == 0 {
            return Err(Fatal::KentryAreaExhausted.into());
        }
        let slab = self.head;
        let next = self.read(slab)?;
        self.head = next;
        if next == VM_MAP_KENTRY_ALLOCATED {
            return Err(Precondition::KentrySlabFree.into());
        }
        self.write(slab, VM_MAP_KENTRY_ALLOCATED)?;
        Ok(slab)
    }

    /// `vm_map_kentry_free_slab`: the descriptor at `slab` back on the list.
    fn free_slab(&mut self, slab: u64) -> Result<(), Failure> {
        if self.read(slab)? != VM_MAP_KENTRY_ALLOCATED {
            return Err(Precondition::KentrySlabAllocated.into());
        }
        self.write(slab, self.head)?;
        self.head = slab;
        Ok(())
    }

    /// How many descriptors hold the allocated marker.
    pub(crate) fn allocated_count(&self) -> usize {
        self.descriptors
            .iter()
            .filter(|&&descriptor| descriptor == VM_MAP_KENTRY_ALLOCATED)
            .count()
    }

    /// Fills `out` with the table as the oracles see it.
    pub(crate) fn fill_state(&self, out: &mut KentryState) {
        out.fill_from_descriptors(self.table_va, self.slab_size, self.head, &self.descriptors);
    }
}

/// The offsets `0, PAGE_SIZE, ...` below `size` (the C's page loops).
fn page_offsets(size: u64) -> impl Iterator<Item = u64> {
    (0..size.div_ceil(PAGE_SIZE)).map(|page| page * PAGE_SIZE)
}

/// `VM_PROT_READ | VM_PROT_WRITE`, the protection of kentry pages.
const KENTRY_PAGE_PROT: u32 = Protection::READ.union(Protection::WRITE).raw();

impl Vm {
    /// The kentry entry's current start (`vm_map_kentry_entry.start`).
    fn kentry_start(&self) -> u64 {
        self.arena[KENTRY_SLOT].start
    }

    /// `vm_map_kentry_alloc`: a slab of the area, with physical pages.
    pub(crate) fn kentry_alloc<E: Environment>(
        &mut self,
        env: &mut E,
        slab_size: u64,
    ) -> Result<u64, Failure> {
        if slab_size != self.kentry.slab_size {
            return Err(Precondition::KentryAllocSlabSize.into());
        }
        // vm_map_kentry_alloc_va: the slab's index in the table, from the
        // pointer difference the C computes (signed, in descriptors).
        let start = self.kentry_start();
        let slabs = start.wrapping_add(VM_MAP_KENTRY_SIZE);
        let slab = self.kentry.alloc_slab()?;
        let index = ((slab.wrapping_sub(slabs) as i64) >> 3) as u64;
        let va = start.wrapping_add(index.wrapping_mul(slab_size));
        if va < start {
            return Err(Precondition::KentryAllocVaAboveStart.into());
        }
        if va.wrapping_add(slab_size) > start.wrapping_add(VM_MAP_KENTRY_SIZE) {
            return Err(Precondition::KentryAllocVaBelowEnd.into());
        }
        for offset in page_offsets(slab_size) {
            let Some(page) = env.phys_alloc(0) else {
                return Err(Fatal::NoPhysicalPageForKentryCache.into());
            };
            env.pmap_kenter(va.wrapping_add(offset), page, KENTRY_PAGE_PROT);
        }
        env.pmap_update(PmapId::KERNEL, va, va.wrapping_add(slab_size));
        Ok(va)
    }

    /// `vm_map_kentry_free`: a slab's pages back, its descriptor freed.
    pub(crate) fn kentry_free<E: Environment>(
        &mut self,
        env: &mut E,
        va: u64,
        slab_size: u64,
    ) -> Result<(), Failure> {
        let start = self.kentry_start();
        if va < start {
            return Err(Precondition::KentryFreeVaAboveStart.into());
        }
        if va.wrapping_add(slab_size) > start.wrapping_add(VM_MAP_KENTRY_SIZE) {
            return Err(Precondition::KentryFreeVaBelowEnd.into());
        }
        if slab_size != self.kentry.slab_size {
            return Err(Precondition::KentryFreeSlabSize.into());
        }
        for offset in page_offsets(slab_size) {
            let pa = env.pmap_extract(PmapId::KERNEL, va.wrapping_add(offset));
            if pa == PhysAddr(0) {
                return Err(Precondition::KentryFreePageMapped.into());
            }
            let Some(page) = env.phys_lookup(pa) else {
                return Err(Precondition::KentryFreePageKnown.into());
            };
            env.phys_free(page, 0);
        }
        env.pmap_kremove(va, va.wrapping_add(slab_size));
        env.pmap_update(PmapId::KERNEL, va, va.wrapping_add(slab_size));
        // vm_map_kentry_free_va: the descriptor from the slab's index. The
        // size is the setup's, which is not 0.
        let index = va.wrapping_sub(start).checked_div(slab_size).unwrap_or(0);
        let slabs = start.wrapping_add(VM_MAP_KENTRY_SIZE);
        let slab = slabs.wrapping_add(index.wrapping_mul(DESCRIPTOR_SIZE_BYTES));
        self.kentry.free_slab(slab)
    }

    /// `vm_map_kentry_setup`: the kentry cache, the area's entry, the table's
    /// pages, and a free list holding every slab in address order.
    pub(crate) fn kentry_setup<E: Environment>(&mut self, env: &mut E) -> Result<(), Failure> {
        self.caches.kentry = env.kmem_cache_init(CacheSpec::new(
            "vm_map_kentry",
            ENTRY_SIZE_BYTES,
            0,
            KMEM_CACHE_NOCPUPOOL | KMEM_CACHE_NOOFFSLAB,
            SlabBackEnd::Kentry,
        ));
        let slab_size = env.kmem_cache_slab_size(self.caches.kentry) as u64;
        self.kentry.slab_size = slab_size;
        let nr_slabs = VM_MAP_KENTRY_SIZE
            .checked_div(slab_size)
            .ok_or(Undefined::ZeroKentrySlabSize)?;
        if nr_slabs == 0 {
            return Err(Precondition::KentrySetupSlabs.into());
        }
        let table_size = page_round(nr_slabs.wrapping_mul(DESCRIPTOR_SIZE_BYTES));
        let nr_pages = table_size / PAGE_SIZE;
        let flags = KERNEL_MAPPING_FLAGS | VM_MAP_NOMERGE;
        let size = VM_MAP_KENTRY_SIZE.wrapping_add(table_size);
        let mut request = Request::new(None, 0, 0, size, 0, flags);
        match self.prepare(KERNEL_MAP, &mut request) {
            Ok(()) => {}
            Err(Failure::Error(_)) => return Err(Fatal::KentryMappingSetupFailed.into()),
            Err(failure) => return Err(failure),
        }
        self.insert(env, KERNEL_MAP, Some(KENTRY_SLOT), &request)?;
        let table_va = self.kentry_start().wrapping_add(VM_MAP_KENTRY_SIZE);
        for page_index in 0..nr_pages {
            let Some(page) = env.phys_alloc(0) else {
                return Err(Fatal::NoPageForKentryTable.into());
            };
            let va = table_va.wrapping_add(page_index * PAGE_SIZE);
            env.pmap_kenter(va, page, KENTRY_PAGE_PROT);
        }
        env.pmap_update(
            PmapId::KERNEL,
            table_va,
            table_va.wrapping_add(nr_pages * PAGE_SIZE),
        );
        self.kentry.table_va = table_va;
        self.kentry.descriptors = (1..=nr_slabs)
            .map(|next| {
                if next == nr_slabs {
                    0
                } else {
                    table_va.wrapping_add(next * DESCRIPTOR_SIZE_BYTES)
                }
            })
            .collect();
        self.kentry.head = table_va;
        Ok(())
    }
}
