//! `define_tiers!` end to end: the generated `SIZES`, `STATS` and straight-line `class_of`
//! against the reference `SIZES.iter().position(|&s| len <= s)`.

use bytepool::Tiers;
use proptest::prelude::*;

bytepool::define_tiers! {
    /// MTU-shaped tiers: not powers of two, so `class_of` is a branchless search.
    pub Irregular = [64, 256, 1500, 9000];

    /// Irregular lists of 3, 5, 8 and 17 tiers: a padded search (3, 5, 17) and a full one (8).
    pub Three = [100, 200, 300];
    pub Five = [10, 20, 30, 40, 50];
    pub Eight = [64, 256, 576, 1500, 4KiB, 9000, 16KiB, 64KiB];
    pub Seventeen = [3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61];

    /// The 15 powers of two from 128 B to 2 MiB: `class_of` uses `leading_zeros`.
    pub PowersOfTwo = [128, 256, 512, 1KiB, 2KiB, 4KiB, 8KiB, 16KiB, 32KiB, 64KiB, 128KiB,
                       256KiB, 512KiB, 1MiB, 2MiB];

    /// Powers of two starting at 2^0, where nothing is subtracted from the log.
    pub FromOne = [1, 2, 4, 8, 16];

    /// Two tiers that are consecutive powers of two: the shortest bit-arithmetic case.
    pub TwoPowers = [4KiB, 8KiB];

    /// One tier.
    pub Single = [4096];

    /// The smallest possible list.
    pub One = [1];

    /// Sizes far above any real allocation, near the top of the accepted range.
    pub Huge = [1, 1_099_511_627_776, 9_223_372_036_854_775_807];

    /// Powers of two up to 2^62, the largest that fits in `isize`.
    pub HugePowers = [1_152_921_504_606_846_976, 2_305_843_009_213_693_952,
                      4_611_686_018_427_387_904usize];

    /// Suffixes, `_` separators and a trailing comma.
    #[tiers(stats = false)]
    pub(crate) Suffixed = [1_000, 1KiB, 1_500usize, 64KiB, 1MiB, 1GiB,];
}

/// The reference semantics of `class_of`.
fn reference<T: Tiers>(len: usize) -> Option<usize> {
    T::SIZES.iter().position(|&size| len <= size)
}

/// `len` values at and around every boundary, plus the extremes.
fn edges<T: Tiers>() -> Vec<usize> {
    let mut lens = vec![0, 1, 2, usize::MAX - 1, usize::MAX, isize::MAX as usize + 1];
    for &size in T::SIZES {
        lens.extend([size - 1, size, size.saturating_add(1)]);
    }
    lens
}

fn check_edges<T: Tiers>() {
    for len in edges::<T>() {
        assert_eq!(
            T::class_of(len),
            reference::<T>(len),
            "class_of({len}) with SIZES = {:?}",
            T::SIZES
        );
    }
}

#[test]
fn smoke() {
    assert_eq!(Irregular::SIZES, [64, 256, 1500, 9000]);
    assert_eq!(Irregular::class_of(0), Some(0));
    assert_eq!(Irregular::class_of(64), Some(0));
    assert_eq!(Irregular::class_of(65), Some(1));
    assert_eq!(Irregular::class_of(1500), Some(2));
    assert_eq!(Irregular::class_of(9000), Some(3));
    assert_eq!(Irregular::class_of(9001), None);
}

#[test]
fn sizes_are_the_declared_list() {
    assert_eq!(
        PowersOfTwo::SIZES,
        (7..=21).map(|shift| 1usize << shift).collect::<Vec<_>>()
    );
    assert_eq!(FromOne::SIZES, [1, 2, 4, 8, 16]);
    assert_eq!(TwoPowers::SIZES, [4096, 8192]);
    assert_eq!(Single::SIZES, [4096]);
    assert_eq!(One::SIZES, [1]);
    assert_eq!(Huge::SIZES, [1, 1 << 40, isize::MAX as usize]);
    assert_eq!(HugePowers::SIZES, [1 << 60, 1 << 61, 1 << 62]);
    assert_eq!(
        Suffixed::SIZES,
        [1000, 1024, 1500, 64 << 10, 1 << 20, 1 << 30]
    );
}

#[test]
fn stats_attribute() {
    let stats = [
        Suffixed::STATS,
        Irregular::STATS,
        PowersOfTwo::STATS,
        One::STATS,
    ];
    assert_eq!(stats, [false, true, true, true]);
}

#[test]
fn generated_struct_derives() {
    // Copy, Clone, Debug, Default, PartialEq, Eq and Hash, all usable.
    let tiers = Irregular;
    let copy = tiers;
    assert_eq!(tiers.clone(), copy);
    fn default<T: Default>() -> T {
        T::default()
    }
    assert_eq!(default::<Irregular>(), Irregular);
    assert_eq!(format!("{tiers:?}"), "Irregular");
    let set: std::collections::HashSet<Irregular> = [Irregular, Irregular].into();
    assert_eq!(set.len(), 1);
}

#[test]
fn edges_irregular() {
    check_edges::<Irregular>();
}

#[test]
fn edges_powers_of_two() {
    check_edges::<PowersOfTwo>();
    check_edges::<FromOne>();
    check_edges::<TwoPowers>();
    check_edges::<HugePowers>();
}

#[test]
fn edges_single_and_one() {
    check_edges::<Single>();
    check_edges::<One>();
    assert_eq!(One::class_of(0), Some(0));
    assert_eq!(One::class_of(1), Some(0));
    assert_eq!(One::class_of(2), None);
}

#[test]
fn edges_huge() {
    check_edges::<Huge>();
    assert_eq!(Huge::class_of(2), Some(1));
    assert_eq!(Huge::class_of(1 << 40), Some(1));
    assert_eq!(Huge::class_of((1 << 40) + 1), Some(2));
    assert_eq!(Huge::class_of(isize::MAX as usize), Some(2));
    assert_eq!(Huge::class_of(usize::MAX), None);
}

#[test]
fn edges_suffixed() {
    check_edges::<Suffixed>();
}

#[test]
fn edges_of_the_padded_searches() {
    check_edges::<Three>();
    check_edges::<Five>();
    check_edges::<Eight>();
    check_edges::<Seventeen>();
}

#[test]
fn every_len_of_the_irregular_lists() {
    let max = if cfg!(miri) { 100 } else { 70_000 };
    for len in 0..=max {
        assert_eq!(
            Seventeen::class_of(len),
            reference::<Seventeen>(len),
            "{len}"
        );
        assert_eq!(Eight::class_of(len), reference::<Eight>(len), "{len}");
    }
}

#[test]
fn every_len_up_to_the_largest_power_of_two() {
    let max = if cfg!(miri) { 4 << 10 } else { 2 << 20 };
    for len in 0..=max + 1 {
        assert_eq!(
            PowersOfTwo::class_of(len),
            reference::<PowersOfTwo>(len),
            "{len}"
        );
    }
}

/// Lengths spread over the whole range: half uniform in `0..=max + 2`, half any `usize`
/// weighted towards small bit lengths.
fn len_near(max: usize) -> impl Strategy<Value = usize> {
    prop_oneof![
        0..=max.saturating_add(2),
        (0..usize::BITS).prop_flat_map(|bits| 0..=(usize::MAX >> bits)),
    ]
}

/// Proptest's default 256 cases, 16 under Miri. Miri's isolation forbids the file system, so
/// failures are not persisted there (`proptest-regressions/` otherwise, proptest's default).
fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if cfg!(miri) {
        config.cases = 16;
        config.failure_persistence = None;
    }
    config
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn class_of_matches_reference_irregular(len in len_near(9000)) {
        prop_assert_eq!(Irregular::class_of(len), reference::<Irregular>(len));
        prop_assert_eq!(Three::class_of(len), reference::<Three>(len));
        prop_assert_eq!(Five::class_of(len), reference::<Five>(len));
        prop_assert_eq!(Eight::class_of(len), reference::<Eight>(len));
        prop_assert_eq!(Seventeen::class_of(len), reference::<Seventeen>(len));
    }

    #[test]
    fn class_of_matches_reference_powers_of_two(len in len_near(2 << 20)) {
        prop_assert_eq!(PowersOfTwo::class_of(len), reference::<PowersOfTwo>(len));
        prop_assert_eq!(FromOne::class_of(len), reference::<FromOne>(len));
        prop_assert_eq!(TwoPowers::class_of(len), reference::<TwoPowers>(len));
    }

    #[test]
    fn class_of_matches_reference_huge(len in any::<usize>()) {
        prop_assert_eq!(Huge::class_of(len), reference::<Huge>(len));
        prop_assert_eq!(HugePowers::class_of(len), reference::<HugePowers>(len));
        prop_assert_eq!(Single::class_of(len), reference::<Single>(len));
        prop_assert_eq!(One::class_of(len), reference::<One>(len));
    }

    #[test]
    fn class_of_matches_reference_suffixed(len in len_near(1 << 30)) {
        prop_assert_eq!(Suffixed::class_of(len), reference::<Suffixed>(len));
    }

    /// The answer is the smallest tier that holds `len`.
    #[test]
    fn class_of_is_the_smallest_fit(len in len_near(2 << 20)) {
        match PowersOfTwo::class_of(len) {
            Some(index) => {
                prop_assert!(len <= PowersOfTwo::SIZES[index]);
                prop_assert!(index == 0 || len > PowersOfTwo::SIZES[index - 1]);
            }
            None => prop_assert!(len > 2 << 20),
        }
    }
}
