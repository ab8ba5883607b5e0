//! The model never panics, whatever it is fed: random requests with
//! boundary-heavy values, random answers and random observations. The same
//! random programs also show that a model reused through `Model::reset`
//! judges exactly like a fresh one.

mod common;

use common::*;
use spec::{Answer, Attributes, Broken, Leaf, MapIndex, Mapping, Model, Request};

/// A small deterministic generator (xorshift64*), so failures replay.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// An address or size: often small and page-aligned, sometimes at the
    /// edges of the address space or of the maps.
    fn value(&mut self) -> u64 {
        let edges = [
            0,
            PAGE,
            USER_END,
            USER_END - PAGE,
            KERNEL_START,
            KENTRY_END,
            KERNEL_END,
            u64::MAX,
            u64::MAX - PAGE + 1,
            1 << 63,
        ];
        match self.below(4) {
            0 => edges[self.below(edges.len() as u64) as usize],
            1 => self.next(),
            _ => self.below(64) * PAGE,
        }
    }

    fn map(&mut self) -> MapIndex {
        MapIndex(self.below(4) as u32)
    }

    fn request(&mut self) -> Request {
        match self.below(6) {
            0 => Request::CreateMap,
            1 => Request::Enter {
                map: self.map(),
                object: if self.below(2) == 0 {
                    None
                } else {
                    Some(self.below(3) as u32)
                },
                offset: if self.below(2) == 0 { 0 } else { self.value() },
                start: self.value(),
                size: self.value(),
                align: [0, PAGE, 0x10_000, 3, 1 << 63][self.below(5) as usize],
                flags: if self.below(2) == 0 {
                    0x273 | (self.below(4) as u32) << 16
                } else {
                    self.next() as u32
                },
            },
            2 => Request::Remove {
                map: self.map(),
                start: self.value(),
                end: self.value(),
            },
            3 => Request::Fault {
                map: self.map(),
                addr: self.value(),
                access: self.below(9) as u32,
            },
            4 => Request::KernelAllocate {
                start: self.value(),
                size: self.value(),
            },
            _ => Request::KernelRelease {
                start: self.value(),
                size: self.value(),
            },
        }
    }

    fn answer(&mut self) -> Answer {
        match self.below(5) {
            0 => Answer::Done,
            1 => Answer::Entered {
                start: self.value(),
            },
            2 => Answer::Error(self.below(8) as i32 - 1),
            3 => Answer::Refused,
            _ => Answer::Stopped,
        }
    }

    fn mappings(&mut self) -> Vec<Mapping> {
        (0..self.below(4))
            .map(|_| Mapping {
                start: self.value(),
                end: self.value(),
                offset: self.value(),
                attributes: Attributes {
                    object: Some(1),
                    prot: self.below(16) as u8,
                    maxprot: 7,
                    inherit: 0,
                    advice: 0,
                },
            })
            .collect()
    }

    fn leaves(&mut self) -> Vec<Leaf> {
        (0..self.below(4))
            .map(|_| Leaf {
                va: self.value(),
                writable: self.below(2) == 0,
            })
            .collect()
    }
}

/// Plays 200 fresh models 50 random steps each, drawn from `seed`, and
/// hands `check` each step's model (after the step), the generator, the
/// request, the answer and the model's verdict.
fn play_random(
    seed: u64,
    mut check: impl FnMut(&Model, &mut Random, &Request, &Answer, Result<(), Broken>),
) {
    let mut random = Random(seed);
    for _ in 0..200 {
        let mut model = model();
        for _ in 0..50 {
            let request = random.request();
            let answer = random.answer();
            let verdict = model.step(&request, &answer);
            check(&model, &mut random, &request, &answer, verdict);
        }
    }
}

#[test]
fn random_input_never_panics() {
    // Broken promises are expected here; only panics would fail.
    play_random(0x9e37_79b9_7f4a_7c15, |model, random, _, _, _| {
        let map = random.map();
        let _ = model.check_map(map, &random.mappings());
        let _ = model.check_page_table(map, &random.leaves());
        let _ = model.expected_mappings(map);
    });
}

#[test]
fn accepted_random_steps_keep_the_model_consistent() {
    // Replaying the model's own expectations as a side's observation must
    // always pass: whatever the model accepted, it describes coherently.
    play_random(
        0x1234_5678_9abc_def1,
        |model, _, request, answer, verdict| {
            if verdict.is_err() {
                return;
            }
            for index in 0..model.map_count() {
                let map = MapIndex(index);
                let expected = model.expected_mappings(map);
                assert_eq!(
                    model.check_map(map, &expected),
                    Ok(()),
                    "{request:?} {answer:?}"
                );
            }
        },
    );
}

/// A model reset (after its buffers were released or not) between random
/// programs gives every verdict and expectation a fresh model gives, for
/// the same steps and observations.
#[test]
fn a_reset_model_judges_like_a_fresh_one() {
    let mut random = Random(0x0dd_ba11_5eed_f00d);
    let mut reused = model();
    for program in 0..200 {
        reused.reset(&layout());
        if program % 3 == 0 {
            reused.release_buffers(2, 4);
            reused.reset(&layout());
        }
        // `model()` has one user map: create it in the reused one too.
        let create = reused.step(&Request::CreateMap, &Answer::Done);
        assert_eq!(create, Ok(()));
        let mut fresh = model();
        for _ in 0..50 {
            let (request, answer) = (random.request(), random.answer());
            let verdict = fresh.step(&request, &answer);
            assert_eq!(reused.step(&request, &answer), verdict);
            assert_eq!(reused.map_count(), fresh.map_count());
            let map = random.map();
            let (mappings, leaves) = (random.mappings(), random.leaves());
            assert_eq!(
                reused.check_map(map, &mappings),
                fresh.check_map(map, &mappings)
            );
            assert_eq!(
                reused.check_page_table(map, &leaves),
                fresh.check_page_table(map, &leaves)
            );
            for index in 0..fresh.map_count() {
                let map = MapIndex(index);
                assert_eq!(reused.expected_mappings(map), fresh.expected_mappings(map));
            }
            if verdict.is_err() {
                break;
            }
        }
    }
}

/// A model that mapped, faulted and allocated forgets all of it when reset:
/// its maps, the pages that must be present and the live allocations are
/// a fresh model's.
#[test]
fn a_reset_model_forgets_its_program() {
    let allocation = Request::KernelAllocate {
        start: KENTRY_END + 0x10_0000,
        size: PAGE,
    };
    let steps = [
        (Request::CreateMap, Answer::Done),
        (fixed(Some(1), 0, 0x10_000, 2 * PAGE, 3), entered(0x10_000)),
        (fault(0x10_000, 2), Answer::Done),
        (allocation, Answer::Done),
        (Request::CreateMap, Answer::Done),
    ];
    let mut reused = Model::new(layout());
    for (request, answer) in &steps {
        assert_eq!(reused.step(request, answer), Ok(()), "{request:?}");
    }
    for release in [false, true] {
        reused.reset(&layout());
        if release {
            reused.release_buffers(1, 1);
            reused.reset(&layout());
        }
        let fresh = Model::new(layout());
        assert_eq!(reused.map_count(), fresh.map_count());
        assert_eq!(
            reused.expected_mappings(KERNEL),
            fresh.expected_mappings(KERNEL)
        );
        assert_eq!(reused.check_page_table(KERNEL, &[]), Ok(()));
        let free = Request::KernelRelease {
            start: KENTRY_END + 0x10_0000,
            size: PAGE,
        };
        assert!(reused.clone().step(&free, &Answer::Done).is_err());
        // Its user maps come back empty, with nothing required present.
        let mut again = reused.clone();
        assert_eq!(again.step(&Request::CreateMap, &Answer::Done), Ok(()));
        assert_eq!(again.expected_mappings(USER), []);
        assert_eq!(again.check_page_table(USER, &[]), Ok(()));
        for (request, answer) in &steps {
            assert_eq!(reused.step(request, answer), Ok(()), "{request:?}");
        }
    }
}
