//! Temporary exploration: runs pseudo-random programs and prints the first findings.
use harness::program::Program;
use harness::runner::{Runner, Verdict};
use harness::side::{c::CSide, rust::RustSide};
use sim::MachineConfig;

fn main() {
    let count: u64 = std::env::args().nth(1).map_or(2000, |s| s.parse().unwrap());
    let mut runner = Runner::new(CSide::new(), RustSide::new(&MachineConfig::normal()));
    let mut state = 0x9e3779b97f4a7c15u64;
    let mut shown = 0;
    let mut sigs = std::collections::BTreeMap::<String, u32>::new();
    for _ in 0..count {
        let len = 32 + (state % 400) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let program = Program::decode(&bytes);
        match runner.run(&program) {
            Verdict::Divergence(d) => {
                *sigs
                    .entry(format!(
                        "{} {:?}",
                        d.mismatch.signature(),
                        d.op.map(|o| o.kind())
                    ))
                    .or_default() += 1;
                if d.mismatch.signature().contains("entry-inside") && shown < 2 {
                    shown += 1;
                    println!("=== divergence at op {:?}: {:?}\nprogram:\n{}\nop {:?}\nC {:?}\nR {:?}\n{:#?}", d.op_index, d.mismatch.signature(), d.program, d.op, d.c_outcome, d.rust_outcome, d.mismatch);
                }
            }
            _ => {}
        }
    }
    println!("{:?}\n{:#?}", runner.stats, sigs);
}
