//! The kernel glue of ARCHITECTURE.md, step for step as the C services do
//! it: `kmem_cache_alloc` (asking the cache, feeding it slabs from its back
//! end), the default back end `vm_kmem_alloc` / `vm_kmem_free`, and the
//! harness's reap. Failures are those of the vm_map operations they call.
//!
//! The glue also keeps the kernel allocator's live ranges
//! (`Vm::kernel_allocations`), which the fixed port's remove refuses to take
//! ([`crate::CBugs::remove_takes_kernel_memory`]); keeping them makes no
//! call into the environment.

use crate::arith::page_round;
use crate::env::{CacheId, Environment, SlabBackEnd, SlabTake};
use crate::failure::Failure;
use crate::map_flags::KERNEL_MAPPING_FLAGS;
use crate::search::Request;
use crate::vm::{Vm, KERNEL_MAP};

impl Vm {
    /// `kmem_cache_alloc(cache)`: an object address, or `None` for NULL.
    pub(crate) fn kmem_cache_alloc<E: Environment>(
        &mut self,
        env: &mut E,
        cache: CacheId,
    ) -> Result<Option<u64>, Failure> {
        loop {
            match env.kmem_cache_take(cache) {
                SlabTake::Object(va) => return Ok(Some(va)),
                SlabTake::Failed => return Ok(None),
                SlabTake::NeedSlab {
                    slab_size_bytes,
                    back_end,
                } => {
                    let va = self.back_end_alloc(env, back_end, slab_size_bytes as u64)?;
                    if va == 0 {
                        return Ok(None);
                    }
                    env.kmem_cache_grow(cache, va);
                }
            }
        }
    }

    /// A new slab from the back end the machine named: vm_map.c's own
    /// kentry allocator or the default `vm_kmem_alloc`; 0 when it fails.
    fn back_end_alloc<E: Environment>(
        &mut self,
        env: &mut E,
        back_end: SlabBackEnd,
        size: u64,
    ) -> Result<u64, Failure> {
        match back_end {
            SlabBackEnd::Kentry => self.kentry_alloc(env, size),
            SlabBackEnd::Default => self.kmem_alloc(env, size),
        }
    }

    /// `vm_kmem_alloc(size)`: a populated null mapping in the kernel map, or
    /// 0 when there is no room or no memory.
    fn kmem_alloc<E: Environment>(&mut self, env: &mut E, size: u64) -> Result<u64, Failure> {
        let size = page_round(size);
        let request = Request::new(None, 0, 0, size, 0, KERNEL_MAPPING_FLAGS);
        let va = match self.enter_request(env, KERNEL_MAP, request) {
            Ok(va) => va,
            Err(Failure::Error(_)) => return Ok(0),
            Err(failure) => return Err(failure),
        };
        if !env.kmem_populate(va, size as usize) {
            self.remove_range(env, KERNEL_MAP, va, va.wrapping_add(size))?;
            return Ok(0);
        }
        self.kernel_allocations.insert(va, va.wrapping_add(size));
        Ok(va)
    }

    /// `vm_kmem_free(va, size)`: the pages back, the range out of the map.
    fn kmem_free<E: Environment>(
        &mut self,
        env: &mut E,
        va: u64,
        size: u64,
    ) -> Result<(), Failure> {
        let size = page_round(size);
        // Forgotten first: the allocator gives the range back, so its own
        // remove is not a caller taking kernel memory.
        self.kernel_allocations.remove(&va);
        env.kmem_depopulate(va, size as usize);
        self.remove_range(env, KERNEL_MAP, va, va.wrapping_add(size))
    }

    /// The reap: every empty slab back to the back end the machine names.
    pub(crate) fn reap_slabs<E: Environment>(&mut self, env: &mut E) -> Result<(), Failure> {
        while let Some(slab) = env.kmem_reap_next() {
            let size = slab.size_bytes as u64;
            match slab.back_end {
                SlabBackEnd::Kentry => self.kentry_free(env, slab.va, size)?,
                SlabBackEnd::Default => self.kmem_free(env, slab.va, size)?,
            }
        }
        Ok(())
    }
}
