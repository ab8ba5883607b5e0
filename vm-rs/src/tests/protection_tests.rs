//! Access rights as sets of `VM_PROT_*` bits (`vm/vm_prot.h`): the named
//! values are the header's, a union holds every bit of either set, a set
//! contains another when it holds each of its bits, and every integer
//! converts to a [`Protection`] and back unchanged.

use super::*;

/// The header the named values come from, vendored with the seed.
const VM_PROT_H: &str = include_str!("../../../c-reference/x15/vm/vm_prot.h");

/// The three access bits: read, write, execute.
const BITS: [u32; 3] = [1, 2, 4];

/// Whether `bit` is one of `raw`'s bits.
fn has(raw: u32, bit: u32) -> bool {
    raw & bit == bit
}

#[test]
fn the_named_values_are_the_headers() {
    for define in [
        "#define VM_PROT_NONE    0",
        "#define VM_PROT_READ    1",
        "#define VM_PROT_WRITE   2",
        "#define VM_PROT_EXECUTE 4",
        "#define VM_PROT_DEFAULT (VM_PROT_READ | VM_PROT_WRITE)",
        "#define VM_PROT_ALL     (VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE)",
    ] {
        assert!(VM_PROT_H.contains(define), "{define}");
    }
    let named = [
        (Protection::NONE, 0),
        (Protection::READ, 1),
        (Protection::WRITE, 2),
        (Protection::EXECUTE, 4),
    ];
    for (protection, raw) in named {
        assert_eq!(protection.raw(), raw);
    }
    let read_write = Protection::READ.union(Protection::WRITE);
    assert_eq!(Protection::DEFAULT, read_write);
    assert_eq!(Protection::ALL, read_write.union(Protection::EXECUTE));
}

#[test]
fn a_union_holds_exactly_the_bits_of_either_set() {
    for left in 0..8 {
        for right in 0..8 {
            let union = Protection::from_raw(left).union(Protection::from_raw(right));
            for bit in BITS {
                let expected = has(left, bit) || has(right, bit);
                assert_eq!(
                    has(union.raw(), bit),
                    expected,
                    "{left} | {right}, bit {bit}"
                );
            }
            assert!(union.raw() < 8, "{left} | {right}");
        }
    }
}

#[test]
fn a_set_contains_another_when_it_holds_each_of_its_bits() {
    for holder in 0..8 {
        for wanted in 0..8 {
            let expected = BITS
                .iter()
                .all(|&bit| !has(wanted, bit) || has(holder, bit));
            let contains = Protection::from_raw(holder).contains(Protection::from_raw(wanted));
            assert_eq!(contains, expected, "{holder} contains {wanted}");
        }
    }
}

#[test]
fn every_integer_converts_to_a_protection_and_back() {
    for raw in [0, 1, 7, 8, 0x9, 0x8000_0000, u32::MAX] {
        assert_eq!(Protection::from(raw).raw(), raw);
        assert_eq!(u32::from(Protection::from_raw(raw)), raw);
        assert_eq!(Protection::from(raw as i32).raw(), raw);
    }
    assert_eq!(Protection::from(-1i32).raw(), u32::MAX);
}
