//! `vm_map_info`: a map's entries as console text, with the C's `printk`
//! calls reproduced one for one (same number of calls, same text). Cannot
//! fail.

use core::fmt::Write;

use crate::env::Environment;
use crate::failure::Failure;
use crate::vm::{Vm, KERNEL_MAP};

impl Vm {
    /// `vm_map_info`: a header, one line per entry in list order, the total.
    pub(crate) fn print_info<E: Environment>(
        &mut self,
        env: &mut E,
        map: usize,
    ) -> Result<(), Failure> {
        let name = if map == KERNEL_MAP {
            "kernel map"
        } else {
            "map"
        };
        let target = &self.maps[map];
        let (start, end, size) = (target.start, target.end, target.size);
        let mut cursor = target.first();
        let mut text = core::mem::take(&mut self.text);
        text.clear();
        // Writing into a String cannot fail.
        let _ = write!(
            text,
            "vm_map: {name}: {start:016x}-{end:016x}\n\
             vm_map:      start             end          size     offset   flags    type\n"
        );
        env.console(&text);
        while let Some(slot) = cursor {
            if let Err(failure) = self.count_loop_step() {
                self.text = text;
                return Err(failure);
            }
            let entry = &self.arena[slot];
            let kind = if entry.object.is_none() {
                "null"
            } else {
                "object"
            };
            text.clear();
            let _ = writeln!(
                text,
                "vm_map: {:016x} {:016x} {:8}k {:08x} {:08x} {}",
                entry.start,
                entry.end,
                entry.end.wrapping_sub(entry.start) >> 10,
                entry.offset,
                entry.flags,
                kind
            );
            env.console(&text);
            cursor = entry.next;
        }
        text.clear();
        let _ = writeln!(text, "vm_map: total: {}k", size >> 10);
        env.console(&text);
        self.text = text;
        Ok(())
    }
}
