//! A magazine's length word ([`LenWord`]): the length of a thread's stack of idle blocks,
//! packed with the counts of its hits and puts, so that the hot path counts with the store that
//! moves the length; and the ways a [`Stack`](crate::raw::Stack) reaches its word ([`Packing`],
//! [`Length`]: in itself, through a link, or beside it).

use std::fmt;

use crate::sync::{const_unless_loom, static_init, AtomicU64, Cell, Ordering, LOOM};

/// How a [`Stack`]'s length word is laid out: the length alone ([`Inline`]), or the length
/// and, above it, the counts of the stack's counted pops and pushes ([`Counted`], [`Beside`]),
/// so that a counted operation is still one load and one store. Not part of the public API
/// (named by the generated `Tiers` impls).
#[doc(hidden)]
pub trait Packing: 'static {
    /// What the stack holds: its word, the link to it, or nothing.
    #[doc(hidden)]
    type Home;
    /// The home of a stack that keeps nothing yet.
    #[cfg(not(loom))]
    #[doc(hidden)]
    const HOME: Self::Home;
    #[cfg(loom)]
    #[doc(hidden)]
    fn home() -> Self::Home;
    /// The word's length bits.
    #[doc(hidden)]
    const LEN_MASK: u64;
    /// Added to the word by a counted pop and a counted push.
    #[doc(hidden)]
    const POP: u64;
    #[doc(hidden)]
    const PUSH: u64;
    /// The bits that, set after a counted pop, ask for the counts to be taken out (the sign
    /// bit: free to test after the addition).
    #[doc(hidden)]
    const FULL: u64;
    /// The bits that, set, ask for the counts to be taken out at the next slow-path event.
    #[doc(hidden)]
    const SETTLE: u64;
}

/// Where a [`Stack`] that reaches its word by itself keeps its length: in itself
/// ([`Inline`]), or in a [`LenWord`] of a counter block that it points at ([`Counted`]).
#[doc(hidden)]
pub trait Length: Packing {
    #[doc(hidden)]
    fn load(home: &Self::Home) -> u64;
    #[doc(hidden)]
    fn store(home: &Self::Home, word: u64);
    /// Points `home` at `word`, which it claims (nothing for `Inline`).
    ///
    /// # Panics
    /// If another stack holds `word`, or `word`'s length is not 0.
    #[doc(hidden)]
    fn bind(home: &Self::Home, word: &'static LenWord);
    /// Lets go of the word (nothing for `Inline`).
    #[doc(hidden)]
    fn unbind(home: &Self::Home);
}

/// The length in the stack, a plain `usize` (counted operations count nothing).
#[doc(hidden)]
#[derive(Debug)]
pub enum Inline {}

/// The length in a [`LenWord`] of a counter block, with the counts of pops and pushes.
#[doc(hidden)]
#[derive(Debug)]
pub enum Counted {}

impl Packing for Inline {
    type Home = Cell<u64>;
    #[cfg(not(loom))]
    const HOME: Cell<u64> = Cell::new(0);
    #[cfg(loom)]
    fn home() -> Cell<u64> {
        Cell::new(0)
    }
    const LEN_MASK: u64 = u64::MAX;
    const POP: u64 = u64::MAX; // -1, wrapping
    const PUSH: u64 = 1;
    const FULL: u64 = 0;
    const SETTLE: u64 = 0;
}

impl Length for Inline {
    #[inline(always)]
    fn load(home: &Cell<u64>) -> u64 {
        home.get()
    }

    #[inline(always)]
    fn store(home: &Cell<u64>, word: u64) {
        home.set(word);
    }

    fn bind(_: &Cell<u64>, _: &'static LenWord) {}

    fn unbind(_: &Cell<u64>) {}
}

impl Packing for Counted {
    type Home = Cell<&'static LenWord>;
    #[cfg(not(loom))]
    const HOME: Cell<&'static LenWord> = Cell::new(&UNBOUND);
    #[cfg(loom)]
    fn home() -> Cell<&'static LenWord> {
        Cell::new(&UNBOUND)
    }
    const LEN_MASK: u64 = LenWord::LEN_MASK;
    const POP: u64 = (1 << LenWord::POPS_AT) - 1;
    const PUSH: u64 = (1 << LenWord::PUSHES_AT) + 1;
    const FULL: u64 = LenWord::FULL;
    const SETTLE: u64 = LenWord::SETTLE;
}

impl Length for Counted {
    #[inline(always)]
    fn load(home: &Cell<&'static LenWord>) -> u64 {
        // Only this thread stores to a bound word (`Stack::open`).
        home.get().load_own()
    }

    #[inline(always)]
    fn store(home: &Cell<&'static LenWord>, word: u64) {
        home.get().store_own(word);
    }

    fn bind(home: &Cell<&'static LenWord>, word: &'static LenWord) {
        Self::unbind(home);
        let was = word.0.fetch_or(LenWord::CLAIMED, Ordering::Relaxed);
        assert!(
            was & (LenWord::CLAIMED | LenWord::LEN_MASK) == 0,
            "a length word opens for one empty stack at a time"
        );
        home.set(word);
    }

    fn unbind(home: &Cell<&'static LenWord>) {
        let unbound: &'static LenWord = &UNBOUND;
        let word = home.replace(unbound);
        if !std::ptr::eq(word, unbound) {
            word.0.fetch_and(!LenWord::CLAIMED, Ordering::Relaxed);
        }
    }
}

/// The length in a [`LenWord`] that the stack's owner keeps beside it and passes to each
/// operation (the `_in` methods), packed with the counts as for [`Counted`]: an instance pool's
/// magazine, whose word is in the same slot's counter block, which a stack could only point at
/// with a lifetime it cannot name. Its home is unused.
#[doc(hidden)]
#[derive(Debug)]
pub(crate) enum Beside {}

impl Packing for Beside {
    type Home = ();
    #[cfg(not(loom))]
    const HOME: () = ();
    #[cfg(loom)]
    fn home() {}
    const LEN_MASK: u64 = Counted::LEN_MASK;
    const POP: u64 = Counted::POP;
    const PUSH: u64 = Counted::PUSH;
    const FULL: u64 = Counted::FULL;
    const SETTLE: u64 = Counted::SETTLE;
}

static_init! {
    /// The word of every [`Counted`] stack that keeps nothing: its length bits stay 0, because such
    /// a stack's limit is 0 (a push is refused before it stores) and a pop of length 0 stores
    /// nothing either. Private, so no stack can claim it.
    static UNBOUND: LenWord = LenWord::new();
}

/// A [`Counted`] stack's length (the low [`LEN_BITS`](Self::LEN_BITS)) and, above it, how many
/// counted pushes and pops it made since its counts were last taken: a thread cache's
/// magazine lives in a thread-local, and a snapshot on another thread reads its hits and puts
/// here, in a counter block, at no cost beyond the length update the stack makes anyway.
///
/// The pops are the top [`POP_BITS`](Self::POP_BITS) and the pushes the bits between. The owner
/// takes the counts out (see [`take_counts`](Self::take_counts)) when a pop sets the sign bit,
/// and at slow-path events once either count passes a quarter of its range
/// ([`SETTLE`](Self::SETTLE)). Every way blocks leave a stack uncounted (a spill, a trim) is
/// such an event, so between two of them pushes exceed pops by at most twice the stack's limit
/// and the pushes never wrap either: at most 2^26 + 2^27 + 64 < 2^28.
///
/// The stack's length has 7 bits; the eighth says that a stack holds the word
/// ([`Stack::open`]), which makes that stack the only writer of the length bits. Anyone else
/// only changes other bits, with atomic read-modify-writes.
#[doc(hidden)]
pub struct LenWord(AtomicU64);

impl LenWord {
    const LEN_BITS: u32 = 8;
    const CLAIMED: u64 = 1 << (Self::LEN_BITS - 1);
    /// Small under loom, so that the models take counts out.
    pub(crate) const POP_BITS: u32 = if LOOM { 2 } else { 28 };
    const LEN_MASK: u64 = Self::CLAIMED - 1;
    const PUSHES_AT: u32 = Self::LEN_BITS;
    const POPS_AT: u32 = 64 - Self::POP_BITS;
    const PUSH_MASK: u64 = (1 << (Self::POPS_AT - Self::PUSHES_AT)) - 1;
    const FULL: u64 = 1 << 63;
    /// Pops or pushes at or above a quarter of the pops' range (the pops' top two bits).
    const SETTLE: u64 = 0b11 << (Self::POPS_AT + Self::POP_BITS - 2)
        | (Self::PUSH_MASK & !((1 << (Self::POP_BITS - 2)) - 1)) << Self::PUSHES_AT;

    const_unless_loom! {
        pub(crate) fn new() -> Self {
            LenWord(AtomicU64::new(0))
        }
    }

    /// A word whose counts of pops and pushes are both `n`, as after a long run.
    #[cfg(all(test, not(loom)))]
    pub(crate) const fn with_counts(n: u64) -> Self {
        LenWord(AtomicU64::new(n << Self::PUSHES_AT | n << Self::POPS_AT))
    }

    /// Adds `n` to the count of pushes, as `n` counted pushes whose blocks then left the stack
    /// uncounted would.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn add_pushes(&self, n: u64) {
        self.0.fetch_add(n << Self::PUSHES_AT, Ordering::Relaxed);
    }

    /// The most pops that leave the sign bit clear.
    #[cfg(all(test, not(loom)))]
    pub(crate) const NEAR_FULL: u64 = (1 << (Self::POP_BITS - 1)) - 1;

    /// The word, read by the one thread that stores to it (its stack's owner).
    #[inline(always)]
    pub(crate) fn load_own(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Stores the word, by its stack's owner: `Release`, a plain store on x86, like the
    /// counters' (`stats::bump`), so that a snapshot that sees a later count sees this one.
    #[inline(always)]
    pub(crate) fn store_own(&self, word: u64) {
        self.0.store(word, Ordering::Release);
    }

    /// The counted pops and pushes since the counts were last taken.
    pub(crate) fn counts(&self) -> (u64, u64) {
        Self::decode(self.0.load(Ordering::Acquire))
    }

    /// Takes the counted pops and pushes out, leaving the length: one atomic RMW that changes
    /// no length bit, so any thread may call it.
    pub(crate) fn take_counts(&self) -> (u64, u64) {
        let keep = Self::LEN_MASK | Self::CLAIMED;
        Self::decode(self.0.fetch_and(keep, Ordering::AcqRel))
    }

    fn decode(word: u64) -> (u64, u64) {
        (
            word >> Self::POPS_AT,
            word >> Self::PUSHES_AT & Self::PUSH_MASK,
        )
    }
}

impl fmt::Debug for LenWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = self.0.load(Ordering::Relaxed);
        let (pops, pushes) = Self::decode(word);
        f.debug_struct("LenWord")
            .field("len", &(word & Self::LEN_MASK))
            .field("pops", &pops)
            .field("pushes", &pushes)
            .finish()
    }
}
