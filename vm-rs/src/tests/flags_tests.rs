//! Typed flags convert to and from X15's packed integers without loss.

extern crate std;

use std::vec::Vec;

use super::*;
use crate::map_flags::{VM_MAP_ENTRY_MASK, VM_MAP_FIXED, VM_MAP_NOMERGE};

/// Bit patterns: edges, every single bit, and a deterministic spread.
fn patterns() -> Vec<u32> {
    let mut values = std::vec![
        0,
        u32::MAX,
        i32::MIN as u32,
        i32::MAX as u32,
        0x3ffff,
        0x40000
    ];
    values.extend((0..32).map(|bit| 1u32 << bit));
    values.extend((0..32).map(|bit| !(1u32 << bit)));
    // A fixed seed: the same sequence on every run.
    let mut random = fastrand::Rng::with_seed(0x9e37_79b9);
    values.extend((0..4096).map(|_| random.u32(..)));
    values
}

#[test]
fn every_pattern_round_trips_through_map_flags() {
    for raw in patterns() {
        let flags = MapFlags::from_raw(raw);
        assert_eq!(flags.to_raw(), raw, "{raw:#x}");
        assert_eq!(MapFlags::from_i32(raw as i32).to_i32(), raw as i32);
        assert_eq!(u32::from(MapFlags::from(raw)), raw);
        assert_eq!(flags.protection.raw(), raw & 0xf);
        assert_eq!(flags.max_protection.raw(), (raw & 0xf0) >> 4);
        assert_eq!(flags.inheritance.raw(), (raw & 0xf00) >> 8);
        assert_eq!(flags.advice.raw(), (raw & 0xf000) >> 12);
        assert_eq!(flags.no_merge, raw & VM_MAP_NOMERGE != 0);
        assert_eq!(flags.fixed, raw & VM_MAP_FIXED != 0);
        assert_eq!(flags.other_bits, raw & !0x3ffff);
    }
}

#[test]
fn every_pattern_round_trips_through_the_field_types() {
    for raw in patterns() {
        assert_eq!(Protection::from_raw(raw).raw(), raw);
        assert_eq!(Protection::from(raw as i32).raw(), raw);
        assert_eq!(Inheritance::from_raw(raw).raw(), raw);
        assert_eq!(Advice::from_raw(raw).raw(), raw);
    }
}

#[test]
fn named_values_are_x15s() {
    let names = [
        (Inheritance::from_raw(0), Inheritance::None),
        (Inheritance::from_raw(1), Inheritance::Share),
        (Inheritance::from_raw(2), Inheritance::Copy),
        (Inheritance::from_raw(3), Inheritance::Other(3)),
    ];
    for (converted, named) in names {
        assert_eq!(converted, named);
    }
    let advice = [
        Advice::Normal,
        Advice::Random,
        Advice::Sequential,
        Advice::WillNeed,
        Advice::DontNeed,
        Advice::Other(5),
    ];
    for (raw, named) in advice.into_iter().enumerate() {
        assert_eq!(Advice::from_raw(raw as u32), named);
    }
    assert_eq!(Inheritance::DEFAULT, Inheritance::Copy);
    assert_eq!(Advice::DEFAULT, Advice::Normal);
    assert_eq!(
        Protection::READ.union(Protection::WRITE),
        Protection::DEFAULT
    );
    assert!(Protection::ALL.contains(Protection::EXECUTE));
    let kernel = MapFlags::new(
        Protection::ALL,
        Protection::ALL,
        Inheritance::None,
        Advice::Normal,
    );
    assert_eq!(kernel.with_no_merge().with_fixed().to_raw(), 0x30077);
    assert_eq!(rw().to_raw(), 0x273);
}

#[test]
fn fields_wider_than_their_nibble_are_cut() {
    let mut flags = MapFlags::from_raw(0);
    flags.protection = Protection::from_raw(0x13);
    flags.advice = Advice::Other(0x25);
    assert_eq!(flags.to_raw(), 0x5003);
}

#[test]
fn entries_keep_the_packed_flags_under_the_entry_mask() {
    let (mut vm, mut env, map) = boot_user();
    // Bits 16-19 are 0xe: FIXED set, NOMERGE clear; every nibble is used.
    let raw = 0xabce_ff73;
    let result = vm.enter(
        &mut env,
        map,
        OBJECT,
        0,
        0x1000,
        0x1000,
        0,
        MapFlags::from_raw(raw),
    );
    assert_eq!(result, Ok(0x1000));
    let state = vm.map_state(map).unwrap();
    assert_eq!(state.entries[0].flags, raw & VM_MAP_ENTRY_MASK);
    assert_eq!(state.entries[0].flags, 0xff73);
}
