//! The tier advisor: `Stats::suggest_tiers` and `TierAdvice`.

mod common;

use bytepool::tiers::PowerOfTwo;
use bytepool::{BytePool, PoolStats, Stats, TierAdvice};
use proptest::prelude::*;

#[test]
fn smoke() {
    // Three exact clusters and three tiers: the clusters themselves, nothing wasted.
    let mut lengths = Vec::new();
    for _ in 0..50 {
        lengths.extend([64, 1500, 9000]);
    }
    let advice = TierAdvice::from_lengths(&lengths, 3);
    assert_eq!(advice.sizes(), [64, 1500, 9000]);
    assert_eq!(advice.waste_bytes(), 0);
    assert_eq!(advice.waste_fraction(), 0.0);
    assert_eq!(advice.requests(), 150);
    assert_eq!(advice.requested_bytes(), 50 * (64 + 1500 + 9000));
    assert_eq!(advice.current_sizes(), None);
    assert!(!advice.is_empty());
    let debug = format!("{advice:?}");
    assert!(debug.contains("sizes: [64, 1500, 9000]"), "{debug}");
}

#[test]
fn one_tier_is_the_largest_length() {
    let lengths = [10, 20, 30, 1000];
    let advice = TierAdvice::from_lengths(&lengths, 1);
    assert_eq!(advice.sizes(), [1000]);
    assert_eq!(advice.waste_bytes(), 990 + 980 + 970);
}

#[test]
fn two_tiers_split_where_it_saves_most() {
    // Many small requests and one large: the small ones get their own tier.
    let mut lengths = vec![100; 10];
    lengths.push(101);
    lengths.push(10_000);
    let advice = TierAdvice::from_lengths(&lengths, 2);
    assert_eq!(advice.sizes(), [101, 10_000]);
    assert_eq!(advice.waste_bytes(), 10);
    // A cluster that outweighs: 1000 × 50 and 999 × 1 share the tier 1000.
    let mut lengths = vec![1000; 50];
    lengths.extend([999, 5, 6]);
    let advice = TierAdvice::from_lengths(&lengths, 2);
    assert_eq!(advice.sizes(), [6, 1000]);
    assert_eq!(advice.waste_bytes(), 1 + 1);
}

#[test]
fn more_tiers_than_lengths_gives_every_length() {
    let advice = TierAdvice::from_lengths(&[7, 3, 7, 5], 10);
    assert_eq!(advice.sizes(), [3, 5, 7]);
    assert_eq!(advice.waste_bytes(), 0);
    assert_eq!(advice.max_tiers(), 10);
}

#[test]
fn input_order_and_zeros_do_not_matter() {
    let a = TierAdvice::from_lengths(&[5, 0, 300, 17, 0, 17, 64], 2);
    let b = TierAdvice::from_lengths(&[64, 17, 17, 300, 5], 2);
    assert_eq!(a, b);
    assert_eq!(a.requests(), 5);
    assert_eq!(a.sizes(), [64, 300]);
}

#[test]
fn empty_lengths_give_an_empty_advice() {
    for lengths in [&[][..], &[0, 0, 0][..]] {
        let advice = TierAdvice::from_lengths(lengths, 4);
        assert!(advice.is_empty());
        assert_eq!(advice.sizes(), [] as [usize; 0]);
        assert_eq!((advice.requests(), advice.requested_bytes()), (0, 0));
        assert_eq!((advice.waste_bytes(), advice.waste_fraction()), (0, 0.0));
        assert_eq!(
            advice.to_string(),
            "// bytepool: no requests recorded, so there are no tiers to suggest for \
             `SuggestedTiers`.\n"
        );
    }
    let stats = BytePool::<PowerOfTwo>::new().stats();
    let advice = stats.suggest_tiers(4);
    assert!(advice.is_empty());
    assert_eq!(advice.current_waste_bytes(), Some(0));
    assert_eq!(advice.current_waste_fraction(), Some(0.0));
    assert!(advice.to_string().contains("no recent requests recorded"));
}

#[test]
fn zero_tiers_give_an_empty_advice() {
    let advice = TierAdvice::from_lengths(&[10, 20], 0).with_current(&[16, 32]);
    assert!(advice.is_empty());
    assert_eq!(advice.waste_bytes(), 0);
    assert_eq!(advice.requests(), 2);
    assert_eq!(advice.current_waste_bytes(), Some(6 + 12));
    assert_eq!(
        advice.to_string(),
        "// bytepool: a budget of 0 tiers, so there are no tiers to suggest for \
         `SuggestedTiers` (2 requests).\n"
    );
}

#[test]
fn display_is_a_define_tiers_invocation() {
    let advice = TierAdvice::from_lengths(&[100, 100, 1000, 4096], 3)
        .with_current(&[128, 1024])
        .with_name("HttpTiers");
    // Current: 2 × 28 + 24, and 4096 is above 1024 (exact); requested 5296 bytes.
    assert_eq!(advice.current_waste_bytes(), Some(80));
    assert_eq!(
        advice.to_string(),
        "bytepool::define_tiers! {\n    \
         /// Suggested from 4 requests: waste 0.0% (was 1.5% with the current tiers).\n    \
         pub HttpTiers = [100, 1000, 4KiB];\n\
         }\n"
    );
    let advice = TierAdvice::from_lengths(&[1 << 20, 3 << 30, 1500, 1501], 4).align(16);
    assert_eq!(
        advice.to_string(),
        "bytepool::define_tiers! {\n    \
         /// Suggested from 4 requests, sizes multiples of 16: waste 0.0%.\n    \
         pub SuggestedTiers = [1504, 1MiB, 3GiB];\n\
         }\n"
    );
}

#[test]
fn suggested_invocation_compiles() {
    // What the example above prints, pasted.
    bytepool::define_tiers! {
        /// Suggested from 4 requests: waste 0.0% (was 1.5% with the current tiers).
        pub HttpTiers = [100, 1000, 4KiB];
    }
    assert_eq!(HttpTiers::pool().get(900).capacity(), 1000);
}

#[test]
fn suggest_tiers_uses_the_recent_lengths_and_current_tiers() {
    let pool = BytePool::<PowerOfTwo>::new();
    let lengths = [200, 200, 200, 700, 700, 1500, 1500, 1500, 40_000, 0];
    for len in lengths {
        drop(pool.get(len));
    }
    let stats = pool.stats();
    assert_eq!(stats.recent_lengths.len(), 9); // `get(0)` records nothing
    let advice = stats.suggest_tiers(3).with_name("Relay");
    assert_eq!(advice.sizes(), [700, 1500, 40_000]);
    assert_eq!(advice.waste_bytes(), 3 * 500);
    let pow2 = 3 * (256 - 200) + 2 * (1024 - 700) + 3 * (2048 - 1500) + (65536 - 40_000);
    assert_eq!(advice.current_waste_bytes(), Some(pow2));
    assert_eq!(
        advice.current_sizes().map(<[usize]>::len),
        Some(PowerOfTwo::pool().tier_sizes().len())
    );
    let text = advice.to_string();
    assert!(text.contains("Suggested from 9 recent requests"), "{text}");
    assert!(text.contains("pub Relay = [700, 1500, 40000];"), "{text}");
}

#[test]
fn requests_above_the_current_tiers_waste_nothing() {
    let mut stats = Stats::default();
    stats.recent_lengths = vec![10, 5000];
    let advice = stats.suggest_tiers(2);
    assert_eq!(advice.current_sizes(), None); // no tiers in the snapshot: nothing to compare
    let advice = advice.with_current(&[16]);
    assert_eq!(advice.current_waste_bytes(), Some(6));
    assert_eq!(advice.waste_with(&[]), 0);
    assert_eq!(advice.waste_with(&[8]), 0);
    assert_eq!(advice.waste_with(&[5000, 16]), 6);
}

#[test]
fn align_optimises_among_multiples_rather_than_rounding() {
    let lengths = [1, 30, 35, 58];
    let advice = TierAdvice::from_lengths(&lengths, 2);
    assert_eq!(advice.sizes(), [35, 58]);
    // Rounding that answer up to multiples of 16 gives [48, 64], which wastes 84 bytes...
    assert_eq!(advice.waste_with(&[48, 64]), 47 + 18 + 13 + 6);
    // ...but [32, 64] wastes 68.
    let aligned = advice.clone().align(16);
    assert_eq!(aligned.sizes(), [32, 64]);
    assert_eq!(aligned.waste_bytes(), 31 + 2 + 29 + 6);
    assert_eq!(aligned.alignment(), 16);
    // 0 and 1 mean no rounding, and the name survives.
    let renamed = advice.clone().with_name("X").align(0);
    assert_eq!((renamed.sizes(), renamed.name()), (advice.sizes(), "X"));
    assert_eq!(renamed.alignment(), 1);
}

#[test]
fn many_distinct_lengths_stay_fast() {
    let mut rng = common::Rng(0x5eed);
    let lengths: Vec<usize> = (0..common::scaled(50_000))
        .map(|_| 1 + rng.below(4000) as usize)
        .collect();
    let started = std::time::Instant::now();
    let advice = TierAdvice::from_lengths(&lengths, 16);
    assert!(advice.sizes().len() <= 16);
    assert_eq!(advice.sizes().last(), lengths.iter().max());
    // Far better than 16 evenly spaced tiers, which are one candidate among many.
    let even: Vec<usize> = (1..=16).map(|i| i * 4000 / 16).collect();
    assert!(advice.waste_bytes() <= advice.waste_with(&even));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

/// The least waste over every tier list drawn from `candidates` that contains `top` and has at
/// most `k` sizes, by enumerating the combinations.
fn brute_force(lengths: &[usize], candidates: &[usize], top: usize, k: usize) -> u128 {
    fn waste(lengths: &[usize], sizes: &[usize]) -> u128 {
        lengths
            .iter()
            .map(|&l| (sizes.iter().copied().find(|&s| s >= l).unwrap() - l) as u128)
            .sum()
    }
    /// Extends `chosen` (ascending, below `top`) by up to `left` more of `others[from..]`.
    fn search(
        lengths: &[usize],
        others: &[usize],
        top: usize,
        chosen: &mut Vec<usize>,
        from: usize,
        left: usize,
        best: &mut u128,
    ) {
        chosen.push(top);
        *best = (*best).min(waste(lengths, chosen));
        chosen.pop();
        if left == 0 {
            return;
        }
        for i in from..others.len() {
            chosen.push(others[i]);
            search(lengths, others, top, chosen, i + 1, left - 1, best);
            chosen.pop();
        }
    }
    let lengths: Vec<usize> = lengths.iter().copied().filter(|&l| l > 0).collect();
    if lengths.is_empty() || k == 0 {
        return 0;
    }
    let others: Vec<usize> = candidates.iter().copied().filter(|&c| c < top).collect();
    let mut best = u128::MAX;
    search(&lengths, &others, top, &mut Vec::new(), 0, k - 1, &mut best);
    best
}

fn check_valid(advice: &TierAdvice, lengths: &[usize], k: usize) {
    let sizes = advice.sizes();
    assert!(sizes.len() <= k);
    assert!(sizes.windows(2).all(|w| w[0] < w[1]), "{sizes:?}");
    if let Some(&max) = lengths.iter().max().filter(|&&m| m > 0 && k > 0) {
        assert!(*sizes.last().unwrap() >= max);
    }
    assert_eq!(advice.waste_with(sizes), advice.waste_bytes());
}

/// 256 cases, 4 under Miri. Miri's isolation forbids the file system, so failures are not
/// persisted there (`proptest-regressions/` otherwise, proptest's default).
fn config() -> ProptestConfig {
    let mut config = ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 256 });
    if cfg!(miri) {
        config.failure_persistence = None;
    }
    config
}

proptest! {
    #![proptest_config(config())]

    /// Optimal among every subset of the distinct lengths (the only sizes worth considering).
    #[test]
    fn optimal_among_subsets_of_the_lengths(
        lengths in prop::collection::vec(0usize..300, 0..14),
        k in 0usize..6,
    ) {
        let advice = TierAdvice::from_lengths(&lengths, k);
        check_valid(&advice, &lengths, k);
        let mut distinct: Vec<usize> = lengths.iter().copied().filter(|&l| l > 0).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let top = distinct.last().copied().unwrap_or(0);
        prop_assert_eq!(advice.waste_bytes(), brute_force(&lengths, &distinct, top, k));
        for &size in advice.sizes() {
            prop_assert!(distinct.contains(&size));
        }
    }

    /// Optimal among every list of arbitrary sizes, not only requested lengths.
    #[test]
    fn optimal_among_all_sizes(
        lengths in prop::collection::vec(1usize..20, 1..10),
        k in 1usize..4,
    ) {
        let advice = TierAdvice::from_lengths(&lengths, k);
        let top = *lengths.iter().max().unwrap();
        let every: Vec<usize> = (1..=top).collect();
        prop_assert_eq!(advice.waste_bytes(), brute_force(&lengths, &every, top, k));
    }

    /// Aligned: optimal among every list of multiples of the alignment.
    #[test]
    fn aligned_is_optimal_among_multiples(
        lengths in prop::collection::vec(0usize..160, 0..12),
        k in 0usize..4,
        align in prop::sample::select(vec![2usize, 8, 16, 24]),
    ) {
        let advice = TierAdvice::from_lengths(&lengths, k).align(align);
        check_valid(&advice, &lengths, k);
        for &size in advice.sizes() {
            prop_assert_eq!(size % align, 0);
        }
        let max = lengths.iter().copied().max().unwrap_or(0);
        let top = max.div_ceil(align) * align;
        let multiples: Vec<usize> = (1..=top / align).map(|i| i * align).collect();
        prop_assert_eq!(advice.waste_bytes(), brute_force(&lengths, &multiples, top, k));
    }

    /// A larger budget never wastes more.
    #[test]
    fn waste_does_not_grow_with_the_budget(
        lengths in prop::collection::vec(0usize..100_000, 0..64),
        k in 1usize..10,
    ) {
        let fewer = TierAdvice::from_lengths(&lengths, k);
        let more = TierAdvice::from_lengths(&lengths, k + 1);
        prop_assert!(more.waste_bytes() <= fewer.waste_bytes());
    }
}
