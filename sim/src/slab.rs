//! The kmem slab model: X15's slab-size rule and the bookkeeping of each
//! cache's slabs and objects.
//!
//! Slab memory itself is not simulated (the port has no memory there): a
//! slab is an address, and its objects sit at `slab_va + i * buf_size` for
//! `i < buffers_per_slab`; the slab header is not stored. Misuse (freeing a
//! non-object) is reported as `false`/`None` and becomes a violation in the
//! machine.

use vm_rs::env::SlabBackEnd;

use crate::PAGE_SIZE;

/// `KMEM_CACHE_NOOFFSLAB`: the slab header lives inside the slab.
pub(crate) const KMEM_CACHE_NOOFFSLAB: u32 = 0x2;
/// `sizeof(struct kmem_slab)` in X15 on x86_64.
const SLAB_HEADER_BYTES: usize = 40;
/// X15's `KMEM_ALIGN_MIN`; also the size of a free-list link, the smallest object.
const MIN_ALIGN_BYTES: usize = 8;
/// X15's `KMEM_MIN_BUFS_PER_SLAB`.
const MIN_BUFFERS_PER_SLAB: usize = 8;
/// X15's `KMEM_SLAB_SIZE_THRESHOLD`.
const SLAB_SIZE_THRESHOLD_BYTES: usize = 8 * PAGE_SIZE as usize;

/// How a cache's slabs are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SlabGeometry {
    /// Distance between objects in bytes.
    pub(crate) buf_size_bytes: usize,
    /// What `kmem_cache_slab_size` returns.
    pub(crate) slab_size_bytes: usize,
    /// Objects per slab.
    pub(crate) buffers_per_slab: usize,
}

/// `P2ROUND(x, a)` for a power-of-two `a`, saturating instead of wrapping
/// (sizes here never come near the top).
fn round_up(x: usize, a: usize) -> usize {
    x.saturating_add(a - 1) & !(a - 1)
}

/// X15's `kmem_cache_compute_sizes`: try slab sizes for 1, 2, ... buffers and
/// keep the one that wastes least (ties to the larger slab), stopping once a
/// slab holds enough buffers or grows too large.
pub(crate) fn slab_geometry(obj_size_bytes: usize, align_bytes: usize, flags: u32) -> SlabGeometry {
    let align_bytes = align_bytes.max(MIN_ALIGN_BYTES).next_power_of_two();
    let buf_size_bytes = round_up(obj_size_bytes.max(MIN_ALIGN_BYTES), align_bytes);
    let header_inside =
        flags & KMEM_CACHE_NOOFFSLAB != 0 || obj_size_bytes < PAGE_SIZE as usize / 8;
    let page_bytes = PAGE_SIZE as usize;
    let (mut best_size, mut best_embedded, mut best_waste) = (0, false, usize::MAX);
    let mut i = 0usize;
    loop {
        i += 1;
        let slab_size_bytes = round_up(i.saturating_mul(buf_size_bytes), page_bytes);
        let room = slab_size_bytes - if header_inside { SLAB_HEADER_BYTES } else { 0 };
        let buffers = room / buf_size_bytes;
        let mut waste = room % buf_size_bytes;
        i = i.max(buffers);
        // An off-slab header still goes into the slab when the waste has room.
        let embedded = header_inside || waste >= SLAB_HEADER_BYTES;
        if !header_inside && embedded {
            waste -= SLAB_HEADER_BYTES;
        }
        if waste <= best_waste {
            (best_size, best_embedded, best_waste) = (slab_size_bytes, embedded, waste);
        }
        if buffers >= MIN_BUFFERS_PER_SLAB || slab_size_bytes >= SLAB_SIZE_THRESHOLD_BYTES {
            break;
        }
    }
    let room = best_size - if best_embedded { SLAB_HEADER_BYTES } else { 0 };
    SlabGeometry {
        buf_size_bytes,
        slab_size_bytes: best_size,
        buffers_per_slab: room / buf_size_bytes,
    }
}

/// One slab of a cache.
#[derive(Debug)]
pub(crate) struct Slab {
    /// Its kernel virtual address.
    pub(crate) va: u64,
    /// Free object indices; the next one handed out is last.
    free: Vec<u32>,
    /// Whether each object is handed out.
    allocated: Vec<bool>,
}

impl Slab {
    /// Feeds `state` the slab's place and its free objects in the order
    /// they will be handed out (which are in use follows from them).
    pub(crate) fn hash_future<H: core::hash::Hasher>(&self, state: &mut H) {
        use core::hash::Hash;
        self.va.hash(state);
        self.free.hash(state);
    }

    /// Objects currently handed out.
    pub(crate) fn in_use(&self) -> usize {
        self.allocated.len() - self.free.len()
    }
}

/// One cache: its geometry, back end and slabs (sorted by address).
#[derive(Debug)]
pub(crate) struct Cache {
    /// How its slabs are laid out.
    pub(crate) geometry: SlabGeometry,
    /// Where its slabs come from.
    pub(crate) back_end: SlabBackEnd,
    /// Its slabs, in address order.
    pub(crate) slabs: Vec<Slab>,
    /// Whether the last kmem call for this cache was a grow, so that the
    /// next take is the retry of the same allocation.
    pub(crate) just_grown: bool,
}

impl Cache {
    /// An empty cache.
    pub(crate) fn new(geometry: SlabGeometry, back_end: SlabBackEnd) -> Self {
        Cache {
            geometry,
            back_end,
            slabs: Vec::new(),
            just_grown: false,
        }
    }

    /// Hands out an object: from the lowest partially used slab, else the
    /// lowest empty one; `None` when every slab is full.
    pub(crate) fn take(&mut self) -> Option<u64> {
        let full = self.geometry.buffers_per_slab;
        let slab = match self
            .slabs
            .iter()
            .position(|slab| slab.in_use() > 0 && slab.in_use() < full)
        {
            Some(index) => index,
            None => self
                .slabs
                .iter()
                .position(|slab| slab.in_use() == 0 && full > 0)?,
        };
        let slab = &mut self.slabs[slab];
        let object = slab.free.pop()?;
        slab.allocated[object as usize] = true;
        Some(slab.va + u64::from(object) * self.geometry.buf_size_bytes as u64)
    }

    /// Whether `[va, va + slab size)` overlaps one of this cache's slabs.
    pub(crate) fn overlaps(&self, va: u64, size_bytes: u64) -> bool {
        let own = self.geometry.slab_size_bytes as u64;
        self.slabs
            .iter()
            .any(|slab| slab.va < va.saturating_add(size_bytes) && va < slab.va + own)
    }

    /// Adds an empty slab at `va` whose objects are handed out lowest first.
    pub(crate) fn grow(&mut self, va: u64) {
        let buffers = self.geometry.buffers_per_slab as u32;
        let slab = Slab {
            va,
            free: (0..buffers).rev().collect(),
            allocated: vec![false; buffers as usize],
        };
        let position = self.slabs.partition_point(|other| other.va < va);
        self.slabs.insert(position, slab);
    }

    /// Takes an object back; `false` when `va` is not a handed-out object.
    pub(crate) fn free(&mut self, va: u64) -> bool {
        let position = self.slabs.partition_point(|slab| slab.va <= va);
        let Some(slab) = position.checked_sub(1).map(|index| &mut self.slabs[index]) else {
            return false;
        };
        let offset = va - slab.va;
        let buf_size = self.geometry.buf_size_bytes as u64;
        let object = offset / buf_size;
        if offset % buf_size != 0
            || object >= slab.allocated.len() as u64
            || !slab.allocated[object as usize]
        {
            return false;
        }
        slab.allocated[object as usize] = false;
        slab.free.push(object as u32);
        true
    }

    /// Detaches the lowest empty slab and returns its address.
    pub(crate) fn detach_empty(&mut self) -> Option<u64> {
        let index = self.slabs.iter().position(|slab| slab.in_use() == 0)?;
        Some(self.slabs.remove(index).va)
    }
}
