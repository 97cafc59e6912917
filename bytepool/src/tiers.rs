//! Size classes: the [`Tiers`] trait that [`define_tiers!`](crate::define_tiers) implements,
//! and two presets defined with the macro itself.

use crate::buf::Vtable;
use crate::cache::ThreadCache;
use crate::stats::Length;
use crate::BytePool;

/// A list of size classes, fixed at compile time.
///
/// Implement it with [`define_tiers!`](crate::define_tiers), which validates the list while
/// compiling (nonzero, strictly ascending, allocatable) and generates [`class_of`](Self::class_of)
/// as straight-line code, together with the type's process-wide pool and its per-thread caches.
/// The hidden items are that generated machinery; a hand-written implementation cannot create
/// unsoundness (the pool checks what `class_of` answers) but gets no global pool.
///
/// # Examples
/// ```
/// use bytepool::Tiers;
///
/// bytepool::define_tiers! {
///     /// Size classes for a UDP proxy.
///     pub PacketTiers = [64, 256, 1500, 9000];
/// }
///
/// assert_eq!(PacketTiers::SIZES, [64, 256, 1500, 9000]);
/// assert_eq!(PacketTiers::class_of(0), Some(0));
/// assert_eq!(PacketTiers::class_of(65), Some(1));
/// assert_eq!(PacketTiers::class_of(1500), Some(2));
/// assert_eq!(PacketTiers::class_of(9001), None);
/// ```
pub trait Tiers: Sized + Send + Sync + 'static {
    /// The tier sizes in bytes, strictly ascending.
    const SIZES: &'static [usize];

    /// Whether the pools of these tiers keep statistics. `false` compiles every counter out
    /// (set it with `#[tiers(stats = false)]` in `define_tiers!`); snapshots then hold zeros.
    const STATS: bool = true;

    /// The index of the smallest tier that holds `len` bytes, or `None` above the largest.
    fn class_of(len: usize) -> Option<usize>;

    /// One vtable per tier, in order: `Vtable::tier::<Self, t>()` for each tier `t`. Checked
    /// when a pool is built: each vtable's tier and sizes must match (a vtable of another tier
    /// set with the same sizes would file blocks in that set's pool, harmlessly but wrongly).
    #[doc(hidden)]
    const __VTABLES: &'static [Vtable];

    #[doc(hidden)]
    fn __global() -> &'static BytePool<Self>;

    /// Where the thread caches keep their magazines' lengths: [`Counted`](crate::stats::Counted)
    /// (with the hits and puts) when `STATS`, [`Inline`](crate::stats::Inline) otherwise.
    #[doc(hidden)]
    type __Length: Length;

    #[doc(hidden)]
    fn __with_cache<R, F: FnOnce(&ThreadCache<Box<[u8]>, Self::__Length>) -> R>(f: F) -> Option<R>;
}

/// The largest tier size of `T`.
pub(crate) fn max_size<T: Tiers>() -> usize {
    T::SIZES.last().copied().unwrap_or(0)
}

/// Checks what `define_tiers!` already proved, for hand-written implementations.
pub(crate) fn validate<T: Tiers>() {
    assert!(!T::SIZES.is_empty(), "`Tiers::SIZES` must not be empty");
    assert!(
        T::SIZES.windows(2).all(|w| w[0] < w[1]) && T::SIZES[0] > 0,
        "`Tiers::SIZES` must be nonzero and strictly ascending, got {:?}",
        T::SIZES
    );
    assert!(
        T::SIZES.iter().all(|&s| s <= isize::MAX as usize),
        "`Tiers::SIZES` must not exceed `isize::MAX`"
    );
    assert!(
        T::__VTABLES.len() == T::SIZES.len()
            && T::__VTABLES
                .iter()
                .enumerate()
                .all(|(t, v)| v.tier == Some(t) && v.sizes == T::SIZES),
        "`Tiers::__VTABLES` must list `Vtable::tier::<Self, t>()` for each of the {} tiers, in order",
        T::SIZES.len()
    );
}

crate::define_tiers! {
    /// The 15 powers of two from 128 B to 2 MiB: a general-purpose preset.
    ///
    /// Lookup is bit arithmetic (`leading_zeros`), not a search.
    ///
    /// # Examples
    /// ```
    /// use bytepool::tiers::PowerOfTwo;
    ///
    /// let buf = PowerOfTwo::pool().get(1000);
    /// assert_eq!(buf.len(), 1000);
    /// assert_eq!(buf.capacity(), 1024);
    /// ```
    pub PowerOfTwo = [128, 256, 512, 1KiB, 2KiB, 4KiB, 8KiB, 16KiB, 32KiB, 64KiB, 128KiB, 256KiB,
                      512KiB, 1MiB, 2MiB];

    /// Stream-sized buffers: 1 KiB, 4 KiB, 16 KiB, 32 KiB, 64 KiB and 128 KiB, for socket reads,
    /// codecs and file I/O.
    ///
    /// # Examples
    /// ```
    /// use bytepool::tiers::Stream;
    ///
    /// let buf = Stream::pool().with_capacity(5000);
    /// assert_eq!((buf.len(), buf.capacity()), (0, 16384));
    /// ```
    pub Stream = [1024, 4096, 16384, 32768, 65536, 131072];
}
