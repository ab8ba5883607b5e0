//! Shared builders for the spec's tests: a kernel layout, requests and
//! expected mappings written compactly.

#![allow(dead_code)]

use spec::x15::{MAP_FIXED, USER_MAP_END};
use spec::{Answer, Attributes, KernelLayout, Leaf, MapIndex, Mapping, Model, Request};

pub const PAGE: u64 = 0x1000;
pub const USER_END: u64 = USER_MAP_END;
pub const KERNEL_START: u64 = 0xffff_8000_0000_0000;
pub const KERNEL_END: u64 = 0xffff_ff80_0000_0000;
pub const BOOT_END: u64 = KERNEL_START + 0x100_0000;
pub const KENTRY_END: u64 = BOOT_END + 0x80_0000;
pub const USER: MapIndex = MapIndex(1);
pub const KERNEL: MapIndex = MapIndex::KERNEL;

/// The attributes of the static kernel entries in these tests.
pub fn static_attributes() -> Attributes {
    Attributes {
        object: None,
        prot: 7,
        maxprot: 7,
        inherit: 0,
        advice: 0,
    }
}

/// A kernel map with a boot entry and a kentry area.
pub fn layout() -> KernelLayout {
    KernelLayout {
        start: KERNEL_START,
        end: KERNEL_END,
        fixed: vec![
            mapping(KERNEL_START, BOOT_END, 0, static_attributes()),
            mapping(BOOT_END, KENTRY_END, 0, static_attributes()),
        ],
    }
}

/// A model with the kernel map and one empty user map.
pub fn model() -> Model {
    let mut model = Model::new(layout());
    model
        .step(&Request::CreateMap, &Answer::Done)
        .expect("create");
    model
}

pub fn mapping(start: u64, end: u64, offset: u64, attributes: Attributes) -> Mapping {
    Mapping {
        start,
        end,
        offset,
        attributes,
    }
}

/// Attributes with the given object and prot, maxprot all, inherit copy,
/// advice normal.
pub fn attributes(object: Option<u32>, prot: u8) -> Attributes {
    Attributes {
        object,
        prot,
        maxprot: 7,
        inherit: 2,
        advice: 0,
    }
}

/// The flags word of `attributes` plus `map_flags`.
pub fn flags_of(attributes: Attributes, map_flags: u32) -> u32 {
    u32::from(attributes.prot)
        | u32::from(attributes.maxprot) << 4
        | u32::from(attributes.inherit) << 8
        | u32::from(attributes.advice) << 12
        | map_flags
}

/// A fixed enter into the user map.
pub fn fixed(object: Option<u32>, offset: u64, start: u64, size: u64, prot: u8) -> Request {
    Request::Enter {
        map: USER,
        object,
        offset,
        start,
        size,
        align: 0,
        flags: flags_of(attributes(object, prot), MAP_FIXED),
    }
}

/// A non-fixed enter of object 1 into the user map.
pub fn anywhere(hint: u64, size: u64, align: u64) -> Request {
    Request::Enter {
        map: USER,
        object: Some(1),
        offset: 0,
        start: hint,
        size,
        align,
        flags: flags_of(attributes(Some(1), 3), 0),
    }
}

pub fn entered(start: u64) -> Answer {
    Answer::Entered { start }
}

pub fn remove(start: u64, end: u64) -> Request {
    Request::Remove {
        map: USER,
        start,
        end,
    }
}

pub fn fault(addr: u64, access: u32) -> Request {
    Request::Fault {
        map: USER,
        addr,
        access,
    }
}

pub fn leaf(va: u64, writable: bool) -> Leaf {
    Leaf { va, writable }
}

/// The kernel map's static entries as a side would show them.
pub fn static_entries() -> Vec<Mapping> {
    layout().fixed
}
