//! The byte encoding: every input decodes within bounds, degenerate and
//! unknown-version inputs too, bytes round-trip, the swarm mask holds, and
//! `arbitrary` decodes the same programs.

use super::*;

#[test]
fn decoding_never_panics_and_stays_within_bounds() {
    let mut op_count = 0;
    for (bytes, program) in random_programs(0x5eed_0001) {
        program
            .check_bounds()
            .unwrap_or_else(|error| panic!("{error} for {bytes:02x?}"));
        assert!(program.ops.len() <= MAX_OPS);
        assert!(program.fault_plan.failing_phys_allocs.len() <= MAX_PLANNED_FAILURES);
        assert!(program.fault_plan.failing_cache_allocs.len() <= MAX_PLANNED_FAILURES);
        op_count += program.ops.len();
    }
    assert!(
        op_count > PROGRAM_COUNT * 5,
        "only {op_count} operations decoded"
    );
}

#[test]
fn degenerate_inputs_decode() {
    assert_eq!(Program::decode(&[]), Program::new());
    assert_eq!(Program::decode(&[]).machine, MachinePreset::Normal);
    for byte in [0x00, 0x0f, 0x7f, 0x80, 0xff] {
        for length in [1, 2, 5, 64, 1000] {
            let program = Program::decode(&vec![byte; length]);
            assert!(program.check_bounds().is_ok(), "{byte:#x} x {length}");
        }
    }
    let long = Program::decode(&[0x01; 10_000]);
    assert_eq!(
        long.ops.len(),
        MAX_OPS,
        "a long input is cut at MAX_OPS operations"
    );
}

#[test]
fn unknown_versions_decode_with_the_current_layout() {
    let mut rng = Random::new(0x5eed_0002);
    for _ in 0..100 {
        let mut bytes = rng.bytes(200);
        bytes.insert(0, CURRENT_VERSION);
        let current = Program::decode(&bytes);
        for version in [0, 2, 0x7f, 0xff] {
            bytes[0] = version;
            assert_eq!(Program::decode(&bytes), current);
        }
    }
}

#[test]
fn bytes_round_trip_through_decode_and_encode() {
    for (bytes, program) in random_programs(0x5eed_0003) {
        let encoded = program.encode();
        assert_eq!(
            Program::decode(&encoded),
            program,
            "input {bytes:02x?}, encoded {encoded:02x?}"
        );
        assert_eq!(encoded[0], CURRENT_VERSION);
    }
}

#[test]
fn the_swarm_mask_excludes_disabled_kinds() {
    let mut rng = Random::new(0x5eed_0007);
    for bits in 1..=KindMask::ALL.bits() {
        let mask = KindMask::from_bits(bits).unwrap();
        let mut seen = 0u8;
        for _ in 0..20 {
            let mut bytes = rng.bytes(300);
            bytes.splice(0..0, [CURRENT_VERSION, 0, 0x80 | bits, 0]);
            let program = Program::decode(&bytes);
            assert_eq!(program.swarm, mask);
            for op in &program.ops {
                assert!(mask.contains(op.kind()), "{op} with mask {bits:#b}");
                seen |= op.kind().bit();
            }
        }
        assert_eq!(seen, bits, "every enabled kind appears for mask {bits:#b}");
    }
}

#[test]
fn half_of_all_inputs_enable_every_kind() {
    let mut rng = Random::new(0x5eed_0008);
    let all = (0..PROGRAM_COUNT)
        .filter(|_| {
            let bytes: Vec<u8> = (0..40).map(|_| rng.next() as u8).collect();
            Program::decode(&bytes).swarm == KindMask::ALL
        })
        .count();
    assert!(
        (PROGRAM_COUNT * 9 / 20..PROGRAM_COUNT * 11 / 20).contains(&all),
        "{all} of {PROGRAM_COUNT}"
    );
}

#[test]
fn the_arbitrary_impl_decodes_the_same_programs() {
    use arbitrary::{Arbitrary, Unstructured};
    for (bytes, program) in random_programs(0x5eed_000a).take(200) {
        let taken = Program::arbitrary_take_rest(Unstructured::new(&bytes)).unwrap();
        assert_eq!(taken, program);
        let mut unstructured = Unstructured::new(&bytes);
        let nested = Program::arbitrary(&mut unstructured).unwrap();
        assert!(nested.check_bounds().is_ok());
    }
}
