//! Shared builders for the spec's tests: a kernel layout, requests and
//! expected mappings written compactly.

#![allow(dead_code)]

use std::collections::BTreeSet;

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

/// An enter into `map`: the object, then the offset, start, size and
/// alignment (in `vm_map_enter`'s order), then the flags word.
pub fn enter_in(map: MapIndex, object: Option<u32>, placement: [u64; 4], flags: u32) -> Request {
    Request::Enter {
        map,
        object,
        flags,
        offset: placement[0],
        start: placement[1],
        size: placement[2],
        align: placement[3],
    }
}

/// A fixed enter into the user map.
pub fn fixed(object: Option<u32>, offset: u64, start: u64, size: u64, prot: u8) -> Request {
    let flags = flags_of(attributes(object, prot), MAP_FIXED);
    enter_in(USER, object, [offset, start, size, 0], flags)
}

/// A non-fixed enter of object 1 into the user map.
pub fn anywhere(hint: u64, size: u64, align: u64) -> Request {
    let flags = flags_of(attributes(Some(1), 3), 0);
    enter_in(USER, Some(1), [0, hint, size, align], flags)
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

/// The names of the values of `all` that `named` lacks, in `all`'s order:
/// what a table of cases leaves untested.
pub fn names_missing<T: Ord>(
    all: &[T],
    named: &BTreeSet<T>,
    name: fn(&T) -> &'static str,
) -> Vec<&'static str> {
    all.iter()
        .filter(|value| !named.contains(value))
        .map(name)
        .collect()
}

/// The kernel map's static entries as a side would show them.
pub fn static_entries() -> Vec<Mapping> {
    layout().fixed
}
