//! Rough cost of one C-side program: a reset (machine back to boot state and
//! `vm_map_setup`) followed by ten operations. Prints the mean time per
//! program; run with `cargo run --release -p c-reference --example timing`.

use std::time::Instant;

use c_reference::{CReference, MapHandle, Outcome};
use sim::{FaultPlan, MachineConfig};

const RW: i32 = 0x3 | (0x7 << 4) | (0x2 << 8);
const KERNEL_NULL: i32 = 0x7 | (0x7 << 4);

fn program(reference: &mut CReference) {
    let map = reference.create_map().ok().expect("a map");
    let object = reference.create_object().ok().expect("an object");
    let start = reference
        .enter(map, Some(object), 0, 0x10_0000, 0x8000, 0, RW)
        .ok()
        .expect("entered");
    for page in 0..3 {
        assert_eq!(
            reference.fault(map, start + page * 0x1000, 1),
            Outcome::Ok(())
        );
    }
    assert!(reference
        .remove(map, start + 0x2000, start + 0x3000)
        .is_ok());
    let kernel = reference.enter(MapHandle::KERNEL, None, 0, 0, 0x2000, 0, KERNEL_NULL);
    let kernel_start = kernel.ok().expect("kernel entry");
    assert!(reference
        .remove(MapHandle::KERNEL, kernel_start, kernel_start + 0x2000)
        .is_ok());
    assert!(reference.reap().is_ok());
}

fn main() {
    let config = MachineConfig::normal();
    let (mut reference, setup) = CReference::new(config.clone(), FaultPlan::default());
    assert_eq!(setup, Outcome::Ok(()));
    let programs = 20_000;
    let started = Instant::now();
    for _ in 0..programs {
        assert!(reference.reset(&config, FaultPlan::default()).is_ok());
        program(&mut reference);
    }
    let elapsed = started.elapsed();
    println!(
        "{programs} programs (set-up + 10 operations): {:.2} us each, {:.0} programs/s",
        elapsed.as_secs_f64() * 1e6 / programs as f64,
        programs as f64 / elapsed.as_secs_f64()
    );
}
