//! Page faults on user maps (`vm_map_fault`, `vm_map_fault_lookup`).
//!
//! Returns the C's error codes (`ERROR_FAULT` with no mapping, `ERROR_ACCES`
//! when the entry's protection forbids the access, the pager's error), the
//! preconditions of the C's assertions, or the C's panic when `pmap_enter`
//! fails. The fixed port also refuses an access of none
//! ([`crate::CBugs::fault_access_none`]), and remembers the pages it
//! enters so that its remove can take them out again.

use crate::arith::page_trunc;
use crate::env::Environment;
use crate::error::Error;
use crate::failure::Failure;
use crate::fatal::Fatal;
use crate::map_flags::MapFlags;
use crate::precondition::Precondition;
use crate::protection::Protection;
use crate::vm::{Vm, KERNEL_MAP};
use crate::PAGE_SIZE;

impl Vm {
    /// `vm_map_fault`.
    pub(crate) fn fault_at<E: Environment>(
        &mut self,
        env: &mut E,
        map: usize,
        addr: u64,
        access: Protection,
    ) -> Result<(), Failure> {
        if map == KERNEL_MAP {
            return Err(Precondition::FaultNotKernelMap.into());
        }
        // The C's check `(access & prot) != access` lets an access of none
        // through; the fixed port refuses any access that is not a real one.
        let real_access = access.raw() != 0 && Protection::ALL.contains(access);
        if !real_access && !self.bugs.fault_access_none {
            return Err(Precondition::FaultAccessValid.into());
        }
        let addr = page_trunc(addr);
        let slot = match self.lookup_nearest(map, addr)? {
            Some(slot) if addr >= self.arena[slot].start => slot,
            _ => return Err(Error::Fault.into()),
        };
        let entry = self.arena[slot];
        let prot = MapFlags::from_raw(entry.flags).protection;
        if !prot.contains(access) {
            return Err(Error::Acces.into());
        }
        // Null mappings are reserved for the kernel and always wired.
        let Some(object) = entry.object else {
            return Err(Precondition::FaultObjectNotNull.into());
        };
        let offset = entry.offset.wrapping_add(addr.wrapping_sub(entry.start));
        let page = match env.object_get(object, offset) {
            Some(page) => {
                env.console("vm_map: fault: cache hit\n");
                page
            }
            None => {
                env.console("vm_map: fault: cache miss\n");
                env.pager_get(object, offset)?
            }
        };
        let pmap = self.maps[map].pmap;
        if env.pmap_enter(pmap, addr, page, prot.raw()).is_err() {
            return Err(Fatal::PhysicalMappingFailed.into());
        }
        self.maps[map].record_entered_page(addr);
        env.pmap_update(pmap, addr, addr.wrapping_add(PAGE_SIZE));
        Ok(())
    }
}
