//! Judging `vm_map_fault` on a user map.
//!
//! The request has passed [`crate::Model::classify`]: the map is a user
//! map, the access is a real one and the page is not in a null mapping. A
//! broken promise is returned as `Err(Broken)`.

use crate::attributes::ProtectionText;
use crate::model::Model;
use crate::request::{Answer, MapIndex};
use crate::rule::{Broken, Rule};
use crate::x15::{ERROR_ACCES, ERROR_FAULT, ERROR_NOMEM, PAGE_SIZE};

impl Model {
    /// Judges and applies a valid fault that was answered neither
    /// `Refused` nor `Stopped`. A successful fault makes its page one that
    /// must be present.
    pub(crate) fn step_fault(
        &mut self,
        map: MapIndex,
        addr: u64,
        access: u32,
        answer: &Answer,
    ) -> Result<(), Broken> {
        let Some(state) = self.map_mut(map) else {
            return Ok(());
        };
        let page = addr & !(PAGE_SIZE - 1);
        let Some(span) = state.pages.containing(page) else {
            return match answer {
                Answer::Error(ERROR_FAULT) => Ok(()),
                other => {
                    let expected = format_args!("ERROR_FAULT (page {page:#x} is unmapped)");
                    Err(Broken::new(Rule::FaultUnmapped, expected, other))
                }
            };
        };
        let prot = u32::from(span.value.attributes.prot);
        if access & prot != access {
            return match answer {
                Answer::Error(ERROR_ACCES) => Ok(()),
                other => {
                    let expected = format_args!(
                        "ERROR_ACCES (access {} on page {page:#x} with prot {})",
                        access_text(access),
                        ProtectionText(span.value.attributes.prot)
                    );
                    Err(Broken::new(Rule::FaultDenied, expected, other))
                }
            };
        }
        match answer {
            Answer::Done => {
                // The page end cannot wrap: the page is mapped inside a
                // user map, far below the top of the address space.
                if let Some(end) = page.checked_add(PAGE_SIZE) {
                    state.present.set(page, end, ());
                }
                Ok(())
            }
            Answer::Error(ERROR_NOMEM) => Ok(()),
            other => {
                let expected = format_args!(
                    "done or ERROR_NOMEM (page {page:#x} allows access {})",
                    access_text(access)
                );
                Err(Broken::new(Rule::FaultAllowed, expected, other))
            }
        }
    }
}

/// An access (known to be within `VM_PROT_ALL`) as `rwx` letters.
fn access_text(access: u32) -> ProtectionText {
    ProtectionText(u8::try_from(access).unwrap_or(u8::MAX))
}
