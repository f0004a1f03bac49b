//! Proptest-driven mutations of the seeds: bit flips, truncation, splices,
//! inserted and random bytes.

use super::*;

/// One edit to an input, positions taken modulo its length.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(Index, u8),
    SetByte(Index, u8),
    /// A boundary number written big-endian (sizes, lengths, counts).
    SetWord(Index, u32),
    Truncate(Index),
    Insert(Index, Vec<u8>),
    Remove(Index, usize),
    /// A slice of another seed put in at a position.
    Splice {
        at: Index,
        donor: Index,
        from: Index,
        len: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let word = prop_oneof![
        Just(0u32),
        Just(1),
        Just(0x7f),
        Just(0xff),
        Just(0xffff),
        Just(0x7fff_ffff),
        Just(u32::MAX),
        Just(100_000),
        any::<u32>(),
    ];
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, v)| Mutation::SetByte(i, v)),
        (any::<Index>(), word).prop_map(|(i, w)| Mutation::SetWord(i, w)),
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<Index>(), 1usize..64).prop_map(|(i, n)| Mutation::Remove(i, n)),
        (any::<Index>(), any::<Index>(), any::<Index>(), 1usize..256).prop_map(
            |(at, donor, from, len)| Mutation::Splice {
                at,
                donor,
                from,
                len
            }
        ),
    ]
}

/// A position in `0..=len`.
fn pos(i: &Index, len: usize) -> usize {
    i.index(len + 1)
}

fn apply(input: &mut Vec<u8>, m: &Mutation, seeds: &[(String, Vec<u8>)]) {
    let len = input.len();
    match m {
        Mutation::FlipBit(i, bit) if len > 0 => input[i.index(len)] ^= 1 << bit,
        Mutation::SetByte(i, v) if len > 0 => input[i.index(len)] = *v,
        Mutation::SetWord(i, w) => {
            let at = pos(i, len.saturating_sub(4));
            let end = (at + 4).min(len);
            input.splice(at..end, w.to_be_bytes());
        }
        Mutation::Truncate(i) => input.truncate(pos(i, len)),
        Mutation::Insert(i, bytes) => {
            let at = pos(i, len);
            input.splice(at..at, bytes.iter().copied());
        }
        Mutation::Remove(i, n) => {
            let at = pos(i, len);
            input.drain(at..(at + n).min(len));
        }
        Mutation::Splice {
            at,
            donor,
            from,
            len: n,
        } => {
            let donor = &seeds[donor.index(seeds.len())].1;
            let start = pos(from, donor.len());
            let piece = &donor[start..(start + n).min(donor.len())];
            let at = pos(at, len);
            input.splice(at..at, piece.iter().copied());
        }
        _ => {}
    }
}

/// A seed with a few mutations applied, or (one time in ten) random bytes.
fn mutated_input(seeds: &[(String, Vec<u8>)]) -> impl Strategy<Value = Vec<u8>> + '_ {
    let edited =
        (any::<Index>(), prop::collection::vec(mutation(), 1..6)).prop_map(move |(pick, edits)| {
            let mut input = seeds[pick.index(seeds.len())].1.clone();
            for m in &edits {
                apply(&mut input, m, seeds);
            }
            input
        });
    prop_oneof![
        9 => edited,
        1 => prop::collection::vec(any::<u8>(), 0..512),
    ]
}

fn mutations_pass(target: &Target) {
    let seeds = seeds(target);
    let config = Config {
        cases: target.cases,
        // A failure is minimised and printed; keep it as a `regress-*`
        // seed rather than in a proptest-regressions file.
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let outcome = runner.run(&mutated_input(&seeds), |input| {
        run(target.body, &input).map_err(TestCaseError::fail)
    });
    if let Err(e) = outcome {
        panic!("{}: {e}", target.name);
    }
}

#[test]
fn mutated_gateway_replies_pass() {
    mutations_pass(&GATEWAY_REPLY);
}

#[test]
fn mutated_conversation_files_pass() {
    mutations_pass(&CONVERSATION_FILE);
}

#[test]
fn mutated_reference_images_pass() {
    mutations_pass(&REFERENCE_IMAGE);
}

#[test]
fn the_harness_catches_a_panicking_body() {
    fn broken(input: &[u8]) {
        assert!(input.len() < 3, "an invariant broke");
    }
    let target = Target {
        name: "gateway_reply",
        body: broken,
        cases: 50,
    };
    let caught = catch_unwind(AssertUnwindSafe(|| mutations_pass(&target)));
    assert!(caught.is_err(), "a panicking body passed");
    assert_eq!(run(broken, b"abcd").unwrap_err(), "an invariant broke");
}
