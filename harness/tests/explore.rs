//! The explorer on small scopes, C against the port: exact counts per
//! depth, the same counts in two runs, a state's identity (equal for equal
//! states reached by different paths, different otherwise), the bounds on
//! states and transitions, and, with the canary (`cargo test -p harness
//! --features canary --test explore`), the planted bug found on a shortest
//! program. Without the canary the same scope is proven equivalent.

use harness::commands;
use harness::explore::{self, state, Alphabet, Bounds, End, Exploration, Scope};
use harness::program::{MachinePreset, Program};
use harness::runner::Verdict;
use vm_rs::MapState;

fn small_scope() -> Scope {
    Scope {
        machine: MachinePreset::Tiny,
        alphabet: Alphabet::small(),
    }
}

fn bounds(depth: usize) -> Bounds {
    Bounds {
        depth,
        max_states: u64::MAX,
        max_transitions: u64::MAX,
    }
}

fn explore_quietly(scope: &Scope, bounds: Bounds) -> Exploration {
    explore::explore(&mut commands::new_runner(), scope, bounds, &mut |_| {})
}

/// `(states, transitions)` of each depth.
fn counts(exploration: &Exploration) -> Vec<(u64, u64)> {
    exploration
        .depths
        .iter()
        .map(|depth| (depth.states, depth.transitions))
        .collect()
}

/// The small scope's distinct states and transitions per depth, as the
/// unmodified port and the C give them. A change here means the alphabet,
/// the state identity or the behaviour of a side changed.
#[cfg(not(feature = "canary"))]
const SMALL_SCOPE_COUNTS: &[(u64, u64)] = &[(1, 0), (8, 15), (39, 153), (201, 906)];

#[cfg(not(feature = "canary"))]
#[test]
fn the_small_scope_is_proven_with_the_same_counts_twice() {
    let depth = SMALL_SCOPE_COUNTS.len() - 1;
    let first = explore_quietly(&small_scope(), bounds(depth));
    assert!(
        matches!(first.end, End::Proven { depth: proven } if proven == depth),
        "{first}"
    );
    assert_eq!(counts(&first), SMALL_SCOPE_COUNTS, "{first}");
    let second = explore_quietly(&small_scope(), bounds(depth));
    assert_eq!(counts(&second), counts(&first));
    assert_eq!(second.to_string(), first.to_string());
}

#[cfg(not(feature = "canary"))]
#[test]
fn each_bound_stops_the_search_inside_a_depth_and_says_which() {
    let cases = [
        (
            Bounds {
                max_states: 10,
                ..bounds(3)
            },
            "states",
        ),
        (
            Bounds {
                max_transitions: 20,
                ..bounds(3)
            },
            "transitions",
        ),
    ];
    for (bounds, expected) in cases {
        let exploration = explore_quietly(&small_scope(), bounds);
        match exploration.end {
            End::Cut {
                complete_depth,
                bound,
            } => {
                assert_eq!(bound, expected);
                assert!(complete_depth < 3);
                assert!(exploration.states() <= bounds.max_states);
                assert!(exploration.transitions() <= bounds.max_transitions);
            }
            other => panic!("{expected}: not cut: {other:?}"),
        }
    }
}

/// Programs whose final states are equal (`true`) or not (`false`).
#[cfg(not(feature = "canary"))]
const SAME_STATE: &[(&str, &str, bool)] = &[
    // info prints and changes nothing else
    ("create-map\n", "create-map\ninfo map=1\n", true),
    // an enter and its remove leave the user map as it was, but the
    // entry cache keeps the slab it grew for the entry (a kernel-map
    // entry and its page)
    (
        "create-map\n",
        "create-map\nenter map=1 size=pages(1)\nremove map=1 start=entry-start(0) end=entry-end(0)\n",
        false,
    ),
    // two one-page enters merge into what one two-page enter makes
    (
        "create-map\nenter map=1 size=pages(2)\n",
        "create-map\nenter map=1 size=pages(1)\nenter map=1 size=pages(1)\n",
        true,
    ),
    ("create-map\n", "create-map\ncreate-map\n", false),
    (
        "create-map\nenter map=1 size=pages(1) prot=r\n",
        "create-map\nenter map=1 size=pages(1) prot=rw\n",
        false,
    ),
];

#[cfg(not(feature = "canary"))]
#[test]
fn a_state_s_identity_is_the_same_exactly_for_the_same_state() {
    let mut runner = commands::new_runner();
    let mut buffer = MapState::default();
    let mut id_after = |text: &str| {
        let program = Program {
            machine: MachinePreset::Tiny,
            ..Program::parse_text(text).unwrap()
        };
        assert!(matches!(runner.run(&program), Verdict::Equivalent));
        state::state_id(&runner, &mut buffer)
    };
    for &(first, second, same) in SAME_STATE {
        let (a, b) = (id_after(first), id_after(second));
        assert_eq!(a == b, same, "{first:?} against {second:?}");
        assert_eq!(id_after(first), a, "{first:?} twice");
    }
}

#[cfg(feature = "canary")]
#[test]
fn the_canary_is_found_on_a_shortest_program() {
    let exploration = explore_quietly(&small_scope(), bounds(3));
    let End::Finding(divergence) = &exploration.end else {
        panic!("the canary was not found:\n{exploration}");
    };
    assert_eq!(divergence.mismatch.signature().to_string(), "map:size");
    // Two operations: one entry to merge with, and the merging enter.
    assert_eq!(divergence.program.ops.len(), 2, "{}", divergence.program);
    assert_eq!(divergence.op_index, Some(1));
    assert_eq!(exploration.depths.len(), 3);
}
