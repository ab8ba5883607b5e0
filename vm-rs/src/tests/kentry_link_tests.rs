//! How one kentry descriptor's raw value reads ([`KentryLink`],
//! [`KentrySlot`]): the seed's descriptor is one pointer
//! (`struct vm_map_kentry_slab { struct vm_map_kentry_slab *next; }`, eight
//! bytes), NULL at the end of the free list, the marker
//! `VM_MAP_KENTRY_ALLOCATED` while its slab is in use, and otherwise the
//! address of the next free descriptor in the table.

extern crate std;

use crate::state::{KentryLink, KentrySlot};

/// Where the test table starts; its descriptors are eight bytes apart.
const TABLE: u64 = 0x2000_0080_0000;
/// How many descriptors the test table holds.
const SLOTS: usize = 4;
/// `VM_MAP_KENTRY_ALLOCATED` as the seed spells it.
const ALLOCATED_IN_THE_SEED: &str = "((struct vm_map_kentry_slab *)0xa110c8edUL)";

/// Raw pointers and what they decode to against the test table.
const LINKS: [(&str, u64, KentryLink); 9] = [
    ("NULL", 0, KentryLink::End),
    ("the first descriptor", TABLE, KentryLink::Slab(0)),
    ("the second descriptor", TABLE + 8, KentryLink::Slab(1)),
    ("the last descriptor", TABLE + 24, KentryLink::Slab(3)),
    (
        "one descriptor past the table",
        TABLE + 32,
        KentryLink::Outside(TABLE + 32),
    ),
    (
        "between two descriptors",
        TABLE + 12,
        KentryLink::Outside(TABLE + 12),
    ),
    (
        "one byte into the first descriptor",
        TABLE + 1,
        KentryLink::Outside(TABLE + 1),
    ),
    (
        "one descriptor below the table",
        TABLE - 8,
        KentryLink::Outside(TABLE - 8),
    ),
    ("far below the table", 0x1000, KentryLink::Outside(0x1000)),
];

#[test]
fn each_raw_pointer_reads_as_its_link() {
    for (name, raw, link) in LINKS {
        assert_eq!(KentryLink::decode(raw, TABLE, SLOTS), link, "{name}");
    }
}

#[test]
fn each_link_writes_back_its_raw_pointer() {
    for (name, raw, link) in LINKS {
        assert_eq!(link.encode(TABLE), raw, "{name}");
    }
}

#[test]
fn null_ends_the_list_even_for_a_table_at_address_zero() {
    // A table at 0 would put its first descriptor at NULL; the seed's
    // free list still ends there.
    assert_eq!(KentryLink::decode(0, 0, SLOTS), KentryLink::End);
    assert_eq!(KentryLink::decode(8, 0, SLOTS), KentryLink::Slab(1));
}

#[test]
fn the_allocated_marker_is_the_seeds() {
    let define = std::format!("#define VM_MAP_KENTRY_ALLOCATED {ALLOCATED_IN_THE_SEED}");
    assert!(super::SEED.contains(&define));
    let marker = 0xa110_c8ed;
    assert_eq!(crate::kentry::VM_MAP_KENTRY_ALLOCATED, marker);
    assert_eq!(
        KentrySlot::decode(marker, TABLE, SLOTS),
        KentrySlot::Allocated
    );
    assert_eq!(KentrySlot::Allocated.encode(TABLE), marker);
}

#[test]
fn any_other_descriptor_is_a_free_slab_with_its_link() {
    for (name, raw, link) in LINKS {
        let slot = KentrySlot::Free(link);
        assert_eq!(KentrySlot::decode(raw, TABLE, SLOTS), slot, "{name}");
        assert_eq!(slot.encode(TABLE), raw, "{name}");
    }
}
