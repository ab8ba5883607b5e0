//! Tests of the program language, by concern: `codec_tests.rs` (decoding
//! arbitrary bytes, the byte round trip, the swarm mask), `text_tests.rs`
//! (the text round trip, defaults, parse errors), `resolve_tests.rs`
//! (selector resolution and the validity of resolved operations). This file
//! holds their shared pseudo-random programs. Failures are assertion
//! messages naming the input.

mod codec_tests;
mod resolve_tests;
mod text_tests;

use super::*;

/// `VM_MAP_FIXED`, as the C's `int`.
pub(super) const FLAG_FIXED: i32 = vm_rs::map_flags::VM_MAP_FIXED as i32;
/// `VM_MAP_NOMERGE`, as the C's `int`.
pub(super) const FLAG_NOMERGE: i32 = vm_rs::map_flags::VM_MAP_NOMERGE as i32;

/// The tests' pseudo-random source: fastrand's generator with a fixed seed,
/// so that every run tests the same inputs.
struct Random(fastrand::Rng);

impl Random {
    fn new(seed: u64) -> Random {
        Random(fastrand::Rng::with_seed(seed))
    }

    fn next(&mut self) -> u64 {
        self.0.u64(..)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    /// A byte string of random length up to `max_length`; some strings are
    /// biased towards small bytes, as a fuzzer's often are.
    fn bytes(&mut self, max_length: u64) -> Vec<u8> {
        let length = self.below(max_length + 1) as usize;
        let small = self.below(4) == 0;
        (0..length)
            .map(|_| {
                let byte = self.next() as u8;
                if small {
                    byte & 0x0f
                } else {
                    byte
                }
            })
            .collect()
    }
}

const PROGRAM_COUNT: usize = 3000;

fn random_programs(seed: u64) -> impl Iterator<Item = (Vec<u8>, Program)> {
    let mut rng = Random::new(seed);
    (0..PROGRAM_COUNT).map(move |_| {
        let bytes = rng.bytes(400);
        let program = Program::decode(&bytes);
        (bytes, program)
    })
}
