//! The tier advisor: the size classes that would have wasted the fewest bytes on a set of
//! request lengths, found by an exact dynamic program, and printed as a `define_tiers!`
//! invocation (the algorithm: [`optimal`]).

use std::fmt;

use crate::stats::{whole_binary_unit, Stats};

mod optimal;

use optimal::optimal_sizes;

/// The name [`TierAdvice`] prints unless [`with_name`](TierAdvice::with_name) sets another.
const DEFAULT_NAME: &str = "SuggestedTiers";

/// Size classes suggested for a set of request lengths, with the waste they would have had.
///
/// Made by [`Stats::suggest_tiers`] (from a pool's recent request lengths, compared with the
/// pool's tiers) or [`TierAdvice::from_lengths`] (from any lengths). The sizes are optimal, not
/// heuristic: no list of at most `max_tiers` sizes that fits every request wastes fewer bytes
/// on these lengths (see the module notes for the algorithm; `O(k·d·log d)` for `k` tiers and
/// `d` distinct lengths). Zero lengths are ignored: `get(0)` allocates nothing.
///
/// "Waste" is `Σ (tier size − requested length)` over the requests: the bytes allocated and
/// never asked for. With a tier list whose largest size is below a request, that request is
/// allocated exactly (as [`BytePool::get`](crate::BytePool::get) does) and wastes nothing, but
/// it is not pooled either; suggested tiers always cover every request.
///
/// `Display` prints a ready-to-paste [`define_tiers!`](crate::define_tiers) invocation (sizes
/// that are whole KiB, MiB or GiB use those suffixes), or a `//` comment when there is nothing
/// to suggest.
///
/// # Examples
/// ```
/// use bytepool::TierAdvice;
///
/// let lengths = [60, 64, 64, 500, 512, 1400, 1500, 9000];
/// let advice = TierAdvice::from_lengths(&lengths, 4).with_current(&[128, 1024, 2048, 16384]);
/// assert_eq!(advice.sizes(), [64, 512, 1500, 9000]);
/// assert_eq!(advice.waste_bytes(), 4 + 12 + 100);
/// assert!(advice.waste_fraction() < advice.current_waste_fraction().unwrap());
/// print!("{}", advice.with_name("PacketTiers"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TierAdvice {
    /// The distinct nonzero lengths, ascending, with how often each was requested.
    histogram: Vec<(usize, u64)>,
    max_tiers: usize,
    /// Sizes are multiples of this (1: no rounding).
    align: usize,
    sizes: Vec<usize>,
    requests: u64,
    requested_bytes: u128,
    waste_bytes: u128,
    /// The tier list compared against, and its waste.
    current: Option<(Vec<usize>, u128)>,
    name: String,
    /// Whether the lengths are a pool's recent requests (only changes the printed comment).
    recent: bool,
}

impl TierAdvice {
    /// The at most `max_tiers` sizes that waste the fewest bytes on `lengths`.
    ///
    /// The largest size is the largest length, so every request fits. Zero lengths are ignored.
    /// With no nonzero length, or `max_tiers == 0`, the advice is empty: no sizes, zero waste,
    /// and `Display` prints a comment saying why instead of an invocation. When `max_tiers` is
    /// at least the number of distinct lengths, the sizes are those lengths and the waste is 0.
    ///
    /// Time `O(k·d·log d)` and memory `O(k·d)` for `k = min(max_tiers, d)` and `d` distinct
    /// lengths, after an `O(n log n)` sort of the `n` lengths.
    ///
    /// # Examples
    /// ```
    /// use bytepool::TierAdvice;
    ///
    /// let lengths = [100, 100, 100, 200, 200, 4000];
    /// assert_eq!(TierAdvice::from_lengths(&lengths, 1).sizes(), [4000]);
    /// assert_eq!(TierAdvice::from_lengths(&lengths, 2).sizes(), [200, 4000]);
    /// let exact = TierAdvice::from_lengths(&lengths, 3);
    /// assert_eq!((exact.sizes(), exact.waste_bytes()), (&[100, 200, 4000][..], 0));
    /// assert!(TierAdvice::from_lengths(&[], 3).is_empty());
    /// ```
    pub fn from_lengths(lengths: &[usize], max_tiers: usize) -> Self {
        let mut sorted: Vec<usize> = lengths.iter().copied().filter(|&l| l > 0).collect();
        sorted.sort_unstable();
        let mut histogram: Vec<(usize, u64)> = Vec::new();
        for len in sorted {
            match histogram.last_mut() {
                Some((last, count)) if *last == len => *count += 1,
                _ => histogram.push((len, 1)),
            }
        }
        let requests = histogram.iter().map(|&(_, c)| c).sum();
        let requested_bytes = histogram.iter().map(|&(v, c)| v as u128 * c as u128).sum();
        let mut advice = TierAdvice {
            histogram,
            max_tiers,
            align: 1,
            sizes: Vec::new(),
            requests,
            requested_bytes,
            waste_bytes: 0,
            current: None,
            name: DEFAULT_NAME.to_owned(),
            recent: false,
        };
        advice.solve();
        advice
    }

    /// Recomputes the advice with sizes that are multiples of `n` (0 and 1: no rounding).
    ///
    /// Allocators hand out memory in steps (often 8 or 16 bytes), so a tier of 1500 bytes
    /// really occupies 1504 or 1512; rounding the tiers to such steps states that cost instead
    /// of hiding it. The result is optimal among lists of multiples of `n`, which is not the
    /// same as rounding the unaligned answer: the search runs again on the lengths rounded up
    /// to multiples of `n`, and the waste is still measured against the requested lengths.
    /// Lengths whose rounding would overflow `usize` are left as they are.
    ///
    /// # Examples
    /// ```
    /// use bytepool::TierAdvice;
    ///
    /// let advice = TierAdvice::from_lengths(&[60, 64, 500, 1500], 3).align(16);
    /// assert_eq!(advice.sizes(), [64, 512, 1504]);
    /// assert_eq!(advice.waste_bytes(), 4 + 0 + 12 + 4);
    /// assert_eq!(advice.alignment(), 16);
    /// ```
    #[must_use = "`align` returns the recomputed advice"]
    pub fn align(mut self, n: usize) -> Self {
        self.align = n.max(1);
        self.solve();
        self
    }

    /// Also reports the waste of the tier list `sizes` on the same lengths, for comparison.
    ///
    /// Requests above the largest of `sizes` count as zero waste, since the pool allocates
    /// them exactly (unpooled). [`Stats::suggest_tiers`] does this with the pool's own tiers.
    /// Zeros are ignored and the list need not be sorted.
    ///
    /// # Examples
    /// ```
    /// use bytepool::TierAdvice;
    ///
    /// let advice = TierAdvice::from_lengths(&[100, 1000, 5000], 2).with_current(&[128, 1024]);
    /// assert_eq!(advice.current_sizes(), Some(&[128, 1024][..]));
    /// assert_eq!(advice.current_waste_bytes(), Some(28 + 24)); // 5000 is above: exact
    /// assert_eq!(advice.waste_bytes(), 900 + 0 + 0); // [1000, 5000]
    /// ```
    #[must_use = "`with_current` returns the updated advice"]
    pub fn with_current(mut self, sizes: &[usize]) -> Self {
        let mut sizes: Vec<usize> = sizes.iter().copied().filter(|&s| s > 0).collect();
        sizes.sort_unstable();
        sizes.dedup();
        let waste = self.waste_with(&sizes);
        self.current = Some((sizes, waste));
        self
    }

    /// Sets the type name the `Display` output declares (default `SuggestedTiers`).
    ///
    /// The name is printed as given, so it should be a Rust identifier.
    ///
    /// # Examples
    /// ```
    /// let advice = bytepool::TierAdvice::from_lengths(&[10, 20], 2).with_name("Frames");
    /// assert_eq!(advice.name(), "Frames");
    /// assert!(advice.to_string().contains("pub Frames = [10, 20];"));
    /// ```
    #[must_use = "`with_name` returns the renamed advice"]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The suggested sizes, ascending; empty when there is nothing to suggest.
    ///
    /// # Examples
    /// ```
    /// let advice = bytepool::TierAdvice::from_lengths(&[3, 1, 2], 2);
    /// assert_eq!(advice.sizes(), [1, 3]);
    /// ```
    #[must_use]
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// Whether nothing is suggested (no nonzero lengths, or `max_tiers == 0`).
    ///
    /// # Examples
    /// ```
    /// use bytepool::TierAdvice;
    /// assert!(TierAdvice::from_lengths(&[0, 0], 4).is_empty());
    /// assert!(TierAdvice::from_lengths(&[10], 0).is_empty());
    /// assert!(!TierAdvice::from_lengths(&[10], 1).is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sizes.is_empty()
    }

    /// The tier budget the advice was computed for.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(bytepool::TierAdvice::from_lengths(&[1], 5).max_tiers(), 5);
    /// ```
    #[must_use]
    pub fn max_tiers(&self) -> usize {
        self.max_tiers
    }

    /// The step the sizes are multiples of (1 unless [`align`](Self::align) set one).
    ///
    /// # Examples
    /// ```
    /// assert_eq!(bytepool::TierAdvice::from_lengths(&[1], 1).alignment(), 1);
    /// ```
    #[must_use]
    pub fn alignment(&self) -> usize {
        self.align
    }

    /// The number of (nonzero) requests the advice is based on.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(bytepool::TierAdvice::from_lengths(&[0, 5, 5], 1).requests(), 2);
    /// ```
    #[must_use]
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// The sum of the requested lengths.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(bytepool::TierAdvice::from_lengths(&[5, 7], 1).requested_bytes(), 12);
    /// ```
    #[must_use]
    pub fn requested_bytes(&self) -> u128 {
        self.requested_bytes
    }

    /// The bytes the suggested sizes waste on these requests: `Σ (tier − length)`.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(bytepool::TierAdvice::from_lengths(&[5, 7], 1).waste_bytes(), 2);
    /// ```
    #[must_use]
    pub fn waste_bytes(&self) -> u128 {
        self.waste_bytes
    }

    /// [`waste_bytes`](Self::waste_bytes) as a fraction of
    /// [`requested_bytes`](Self::requested_bytes) (0 when nothing was requested).
    ///
    /// # Examples
    /// ```
    /// let advice = bytepool::TierAdvice::from_lengths(&[50, 100], 1);
    /// assert_eq!(advice.waste_fraction(), 50.0 / 150.0);
    /// ```
    #[must_use]
    pub fn waste_fraction(&self) -> f64 {
        self.fraction(self.waste_bytes)
    }

    /// The tier list compared against ([`with_current`](Self::with_current), or the pool's
    /// tiers for [`Stats::suggest_tiers`]), sorted.
    ///
    /// # Examples
    /// ```
    /// use bytepool::TierAdvice;
    /// assert_eq!(TierAdvice::from_lengths(&[1], 1).current_sizes(), None);
    /// let advice = TierAdvice::from_lengths(&[1], 1).with_current(&[8, 4]);
    /// assert_eq!(advice.current_sizes(), Some(&[4, 8][..]));
    /// ```
    #[must_use]
    pub fn current_sizes(&self) -> Option<&[usize]> {
        self.current.as_ref().map(|(sizes, _)| &sizes[..])
    }

    /// The bytes the compared tier list wastes on these requests (requests above its largest
    /// size count as zero: they are allocated exactly).
    ///
    /// # Examples
    /// ```
    /// let advice = bytepool::TierAdvice::from_lengths(&[3, 9], 1).with_current(&[4]);
    /// assert_eq!(advice.current_waste_bytes(), Some(1));
    /// ```
    #[must_use]
    pub fn current_waste_bytes(&self) -> Option<u128> {
        self.current.as_ref().map(|&(_, waste)| waste)
    }

    /// [`current_waste_bytes`](Self::current_waste_bytes) as a fraction of the requested
    /// bytes.
    ///
    /// # Examples
    /// ```
    /// let advice = bytepool::TierAdvice::from_lengths(&[3, 9], 1).with_current(&[4]);
    /// assert_eq!(advice.current_waste_fraction(), Some(1.0 / 12.0));
    /// ```
    #[must_use]
    pub fn current_waste_fraction(&self) -> Option<f64> {
        self.current_waste_bytes().map(|waste| self.fraction(waste))
    }

    /// The type name the `Display` output declares.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(bytepool::TierAdvice::from_lengths(&[1], 1).name(), "SuggestedTiers");
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The bytes the tier list `sizes` (ascending or not) would waste on these requests;
    /// requests above its largest size count as zero (they are allocated exactly).
    ///
    /// # Examples
    /// ```
    /// let advice = bytepool::TierAdvice::from_lengths(&[100, 200, 300], 2);
    /// assert_eq!(advice.waste_with(&[256]), 156 + 56); // 300 is above: exact
    /// assert_eq!(advice.waste_with(advice.sizes()), advice.waste_bytes());
    /// ```
    #[must_use]
    pub fn waste_with(&self, sizes: &[usize]) -> u128 {
        let mut sorted = sizes.to_vec();
        sorted.sort_unstable();
        self.histogram
            .iter()
            .map(|&(len, count)| {
                let at = sorted.partition_point(|&size| size < len);
                sorted
                    .get(at)
                    .map_or(0, |&size| (size - len) as u128 * count as u128)
            })
            .sum()
    }

    fn fraction(&self, waste: u128) -> f64 {
        if self.requested_bytes == 0 {
            0.0
        } else {
            waste as f64 / self.requested_bytes as f64
        }
    }

    /// Computes `sizes` and `waste_bytes` from the histogram, budget and alignment.
    fn solve(&mut self) {
        let align = self.align;
        let mut candidates: Vec<(usize, u64)> = Vec::with_capacity(self.histogram.len());
        for &(len, count) in &self.histogram {
            let rounded = round_up(len, align);
            match candidates.last_mut() {
                Some((last, c)) if *last == rounded => *c += count,
                _ => candidates.push((rounded, count)),
            }
        }
        self.sizes = optimal_sizes(&candidates, self.max_tiers);
        self.waste_bytes = self.waste_with(&self.sizes);
    }
}

/// Everything but the histogram of lengths, which can be long.
impl fmt::Debug for TierAdvice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TierAdvice")
            .field("name", &self.name)
            .field("sizes", &self.sizes)
            .field("max_tiers", &self.max_tiers)
            .field("align", &self.align)
            .field("requests", &self.requests)
            .field("requested_bytes", &self.requested_bytes)
            .field("waste_bytes", &self.waste_bytes)
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for TierAdvice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = if self.recent {
            "recent requests"
        } else {
            "requests"
        };
        if self.requests == 0 {
            return writeln!(
                f,
                "// bytepool: no {source} recorded, so there are no tiers to suggest for `{}`.",
                self.name
            );
        }
        if self.sizes.is_empty() {
            return writeln!(
                f,
                "// bytepool: a budget of 0 tiers, so there are no tiers to suggest for `{}` \
                 ({} {source}).",
                self.name, self.requests
            );
        }
        writeln!(f, "bytepool::define_tiers! {{")?;
        write!(f, "    /// Suggested from {} {source}", self.requests)?;
        if self.align > 1 {
            write!(f, ", sizes multiples of {}", self.align)?;
        }
        write!(f, ": waste {:.1}%", self.waste_fraction() * 100.0)?;
        if let Some(current) = self.current_waste_fraction() {
            write!(f, " (was {:.1}% with the current tiers)", current * 100.0)?;
        }
        writeln!(f, ".")?;
        write!(f, "    pub {} = [", self.name)?;
        for (i, &size) in self.sizes.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write_size(f, size)?;
        }
        writeln!(f, "];")?;
        writeln!(f, "}}")
    }
}

/// Writes `size` as `define_tiers!` accepts it, with a binary suffix when it is whole.
fn write_size(f: &mut fmt::Formatter<'_>, size: usize) -> fmt::Result {
    match whole_binary_unit(size) {
        Some((count, unit)) => write!(f, "{count}{unit}"),
        None => write!(f, "{size}"),
    }
}

/// `len` rounded up to a multiple of `align` (unchanged if that overflows).
fn round_up(len: usize, align: usize) -> usize {
    len.div_ceil(align).checked_mul(align).unwrap_or(len)
}

impl Stats {
    /// The at most `max_tiers` tier sizes that would have wasted the fewest bytes on the
    /// pool's [`recent_lengths`](Stats::recent_lengths), compared with its current tiers.
    ///
    /// The same as [`TierAdvice::from_lengths`]`(&self.recent_lengths, max_tiers)` followed by
    /// [`with_current`](TierAdvice::with_current) with the sizes of `self.tiers`; see those
    /// for the rules (zero lengths are ignored, `max_tiers == 0` or no recent lengths give an
    /// empty advice). Print the result for a `define_tiers!` invocation to paste. The recent
    /// lengths are the last 256 requests per thread by default: give the pool a larger
    /// shared ring ([`Builder::recent_lengths`](crate::Builder::recent_lengths)) for advice
    /// from a longer window.
    ///
    /// # Examples
    /// ```
    /// use bytepool::{tiers::PowerOfTwo, BytePool, PoolStats};
    ///
    /// let pool = BytePool::<PowerOfTwo>::new();
    /// for len in [40, 40, 600, 600, 1500, 1500] {
    ///     drop(pool.get(len));
    /// }
    /// let advice = pool.stats().suggest_tiers(3);
    /// assert_eq!(advice.sizes(), [40, 600, 1500]);
    /// assert_eq!(advice.waste_bytes(), 0);
    /// // PowerOfTwo: 128 - 40, 1024 - 600 and 2048 - 1500, twice each.
    /// assert_eq!(advice.current_waste_bytes(), Some(2 * (88 + 424 + 548)));
    /// print!("{advice}");
    /// ```
    #[must_use]
    pub fn suggest_tiers(&self, max_tiers: usize) -> TierAdvice {
        let mut advice = TierAdvice::from_lengths(&self.recent_lengths, max_tiers);
        if !self.tiers.is_empty() {
            let current: Vec<usize> = self.tiers.iter().map(|t| t.size).collect();
            advice = advice.with_current(&current);
        }
        advice.recent = true;
        advice
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_up_saturates_to_the_length() {
        assert_eq!(round_up(1, 16), 16);
        assert_eq!(round_up(16, 16), 16);
        assert_eq!(round_up(17, 1), 17);
        assert_eq!(round_up(usize::MAX, 16), usize::MAX);
    }
}
