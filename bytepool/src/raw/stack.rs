//! [`Stack`]: a bounded stack of boxed blocks, each kept as one pointer ([`Kept`], [`Thin`]),
//! whose length is a plain word in the stack ([`Inline`]) or shares a counter block's word with
//! the counts of its pops and pushes ([`Counted`], [`Beside`], [`LenWord`]): a thread's
//! magazine of idle blocks.

use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;

use super::Slot;
use crate::stats::{Beside, Inline, LenWord, Length, Packing};
use crate::sync::{const_unless_loom, Cell};

/// A block that a [`Stack`] keeps as one pointer: a thread cache's byte block or object slot.
pub(crate) trait Kept: Sized {
    /// The box the block is, which the stack takes apart.
    type Boxed: Thin;

    fn into_boxed(self) -> Self::Boxed;

    fn from_boxed(boxed: Self::Boxed) -> Self;
}

/// A box whose pointer alone, with the length a [`Stack`] knows, gives the box back.
pub(crate) trait Thin: Sized {
    /// Whether [`from_raw`](Self::from_raw) with `size` rebuilds this box: a slice of that
    /// length, or any sized box.
    fn fits(&self, size: usize) -> bool;

    fn into_raw(self) -> NonNull<u8>;

    /// # Safety
    /// `raw` comes from [`into_raw`](Self::into_raw) of a box that [`fits`](Self::fits)
    /// `size`, and nothing else owns it.
    unsafe fn from_raw(raw: NonNull<u8>, size: usize) -> Self;
}

/// A box is kept as itself.
impl<T: Thin> Kept for T {
    type Boxed = Self;

    #[inline(always)]
    fn into_boxed(self) -> Self {
        self
    }

    #[inline(always)]
    fn from_boxed(boxed: Self) -> Self {
        boxed
    }
}

impl Thin for Box<[u8]> {
    #[inline(always)]
    fn fits(&self, size: usize) -> bool {
        self.len() == size
    }

    #[inline(always)]
    fn into_raw(self) -> NonNull<u8> {
        NonNull::from(Box::leak(self)).cast()
    }

    #[inline(always)]
    unsafe fn from_raw(raw: NonNull<u8>, size: usize) -> Self {
        let slice = NonNull::slice_from_raw_parts(raw, size);
        // SAFETY: the caller passes the pointer of a leaked `Box<[u8]>` of length `size`, which
        // it owns: this rebuilds that very box.
        unsafe { Box::from_raw(slice.as_ptr()) }
    }
}

impl<P> Thin for Box<Slot<P>> {
    #[inline(always)]
    fn fits(&self, _size: usize) -> bool {
        true
    }

    #[inline(always)]
    fn into_raw(self) -> NonNull<u8> {
        NonNull::from(Box::leak(self)).cast()
    }

    #[inline(always)]
    unsafe fn from_raw(raw: NonNull<u8>, _size: usize) -> Self {
        // SAFETY: the caller passes the pointer of a leaked `Box<Slot<P>>`, which it owns.
        unsafe { Box::from_raw(raw.cast::<Slot<P>>().as_ptr()) }
    }
}

/// A bounded stack of `N` blocks (a power of two) that has no destructor, so a thread-local
/// holding it needs no destructor either and every access skips the "destroyed yet?" check
/// that `thread_local!` makes for values with one. Blocks left in it are leaked: its owner
/// empties it (a thread cache's [`Keeper`] does, at thread exit).
///
/// A slot holds one pointer: a byte block's length is the stack's `size` (a tier's size), so
/// a push and a pop move one word, and a slot's address is a scaled index. A block of another
/// length is refused, like a push onto a full stack.
///
/// `slots[..len]` hold blocks, `len` being the length bits of the stack's word (`L`); `len <=
/// limit <= N` always. A push above `limit` is refused, so a `limit` of 0 makes the stack full
/// and empty at once. A [`Counted`] stack's word is a [`LenWord`] it has claimed, whose length
/// bits nothing else changes, while open ([`open`](Self::open)); otherwise the shared,
/// always-empty `UNBOUND`, with a limit of 0.
pub(crate) struct Stack<B, const N: usize, L: Packing = Inline> {
    len: L::Home,
    limit: Cell<usize>,
    /// The length of every byte block held (unused for sized boxes); changes only while empty.
    size: Cell<usize>,
    slots: [Cell<NonNull<u8>>; N],
    /// Owns the blocks in `slots[..len]`; `!Sync`, like the cells.
    _owns: PhantomData<B>,
}

impl<B, const N: usize, L: Packing> Stack<B, N, L> {
    const INDEX_MASK: usize = {
        assert!(N.is_power_of_two());
        assert!(N as u64 <= L::LEN_MASK, "the length fits in its bits");
        N - 1
    };

    const_unless_loom! {
        pub(crate) fn new() -> Self {
            Stack {
                #[cfg(not(loom))]
                len: L::HOME,
                #[cfg(loom)]
                len: L::home(),
                limit: Cell::new(0),
                size: Cell::new(0),
                #[cfg(not(loom))]
                slots: [const { Cell::new(NonNull::dangling()) }; N],
                #[cfg(loom)]
                slots: std::array::from_fn(|_| Cell::new(NonNull::dangling())),
                _owns: PhantomData,
            }
        }
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit.get()
    }

    /// Refuses every further push (a limit of 0); the blocks held stay until popped.
    pub(crate) fn close(&self) {
        self.limit.set(0);
    }

    fn len_at(&self, word: impl Word) -> usize {
        // At most `N` (the invariant), so the cast is lossless.
        (word.load() & L::LEN_MASK) as usize
    }

    /// Whether the counts should be taken out at this slow-path event: see [`LenWord`].
    fn counts_full_at(&self, word: impl Word) -> bool {
        word.load() & L::SETTLE != 0
    }
}

impl<B, const N: usize, L: Length> Stack<B, N, L> {
    /// The stack's own word.
    #[inline(always)]
    fn own(&self) -> Own<'_, L> {
        Own(&self.len)
    }

    pub(crate) fn len(&self) -> usize {
        self.len_at(self.own())
    }

    /// Lets the empty stack keep up to `limit` blocks (at most `N`) of `size` bytes, its length
    /// in `word` (for a [`Counted`] stack, which claims it; an [`Inline`] one ignores it).
    ///
    /// # Panics
    /// If the stack holds blocks, or `word` is claimed by another stack or not empty.
    pub(crate) fn open(&self, word: &'static LenWord, limit: usize, size: usize) {
        assert!(self.len() == 0, "a stack opens empty");
        L::bind(&self.len, word);
        self.size.set(size);
        self.limit.set(limit.min(N));
    }

    /// Closes the stack and, for a [`Counted`] one, lets go of its word: blocks still held are
    /// leaked, so the owner empties the stack first.
    pub(crate) fn shut(&self) {
        self.close();
        L::unbind(&self.len);
    }

    /// Whether the counts should be taken out at this slow-path event: see [`LenWord`].
    pub(crate) fn counts_full(&self) -> bool {
        self.counts_full_at(self.own())
    }
}

impl<B, const N: usize> Stack<B, N, Inline> {
    /// Sets how many blocks the stack keeps (at most `N`). Blocks above a lowered limit stay
    /// until popped; only pushes are refused. (The thread's free list of `Buffer` slots, which
    /// loom does not model.)
    #[cfg(not(loom))]
    pub(crate) fn set_limit(&self, limit: usize) {
        self.limit.set(limit.min(N));
    }

    /// Sets the length of the byte blocks the stack keeps (a tier's size); stacks of sized
    /// boxes ignore it.
    ///
    /// # Panics
    /// If the stack holds blocks (of the old length).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn set_size(&self, size: usize) {
        assert!(
            self.len() == 0,
            "a stack's block size changes only while it is empty"
        );
        self.size.set(size);
    }
}

impl<B: Kept, const N: usize, L: Length> Stack<B, N, L> {
    /// The newest block, if any.
    #[inline(always)]
    pub(crate) fn pop(&self) -> Option<B> {
        self.pop_at(self.own(), UNCOUNTED_POP)
            .map(|(block, _)| block)
    }

    /// The newest block, if any, counted as a pop in a [`Counted`] stack's word, and whether
    /// the counts should be taken out now ([`LenWord`]).
    #[inline(always)]
    pub(crate) fn pop_counted(&self) -> Option<(B, bool)> {
        self.pop_at(self.own(), L::POP)
    }

    /// Keeps `block`, or hands it back when `limit` blocks are held or its length is not the
    /// stack's block size.
    #[inline(always)]
    pub(crate) fn push(&self, block: B) -> Result<(), B> {
        self.push_at(self.own(), block, UNCOUNTED_PUSH)
    }

    /// [`push`](Self::push), counted as a push in a [`Counted`] stack's word.
    #[inline(always)]
    pub(crate) fn push_counted(&self, block: B) -> Result<(), B> {
        self.push_at(self.own(), block, L::PUSH)
    }

    /// Fills the stack toward half its limit from `source`, leaving room for the one block
    /// the caller takes for itself, so that one visit to a shared queue serves the next few
    /// pops. A block the stack refuses (only a re-entrant push can have filled it) goes to
    /// `refused`, and the refill stops.
    pub(crate) fn refill_half(&self, source: impl FnMut() -> Option<B>, refused: impl FnOnce(B)) {
        self.refill_half_at(self.own(), source, refused);
    }

    /// Takes up to half its limit of blocks off the stack, newest first, into `sink`. Each
    /// block leaves the stack before `sink` sees it, so a re-entrant operation from `sink`
    /// finds the stack consistent.
    pub(crate) fn spill_half(&self, sink: impl FnMut(B)) {
        self.spill_half_at(self.own(), sink);
    }

    /// Takes out the blocks held now, newest first, uncounted, into `sink`. At most the blocks
    /// held now: a `sink` that pushes back could otherwise keep the loop going for ever.
    pub(crate) fn take_all(&self, sink: impl FnMut(B)) {
        self.take_all_at(self.own(), sink);
    }
}

/// The operations of a stack whose length `word` its owner keeps beside it ([`Beside`]): the
/// word must be the same one for every operation on the stack, and no other stack's. Each is
/// its counterpart above, on `word`.
impl<B: Kept, const N: usize> Stack<B, N, Beside> {
    /// Lets the empty stack keep up to `limit` blocks (at most `N`) of `size` bytes.
    ///
    /// # Panics
    /// If the stack holds blocks, by `word`.
    pub(crate) fn open_beside(&self, word: &LenWord, limit: usize, size: usize) {
        assert!(self.len_in(word) == 0, "a stack opens empty");
        self.size.set(size);
        self.limit.set(limit.min(N));
    }

    pub(crate) fn len_in(&self, word: &LenWord) -> usize {
        self.len_at(word)
    }

    pub(crate) fn counts_full_in(&self, word: &LenWord) -> bool {
        self.counts_full_at(word)
    }

    /// [`pop`](Stack::pop), or [`pop_counted`](Stack::pop_counted) when `counted`.
    #[inline(always)]
    pub(crate) fn pop_in(&self, word: &LenWord, counted: bool) -> Option<(B, bool)> {
        let add = if counted { Beside::POP } else { UNCOUNTED_POP };
        self.pop_at(word, add)
    }

    /// [`push`](Stack::push), or [`push_counted`](Stack::push_counted) when `counted`.
    #[inline(always)]
    pub(crate) fn push_in(&self, word: &LenWord, block: B, counted: bool) -> Result<(), B> {
        let add = if counted {
            Beside::PUSH
        } else {
            UNCOUNTED_PUSH
        };
        self.push_at(word, block, add)
    }

    pub(crate) fn refill_half_in(
        &self,
        word: &LenWord,
        source: impl FnMut() -> Option<B>,
        refused: impl FnOnce(B),
    ) {
        self.refill_half_at(word, source, refused);
    }

    pub(crate) fn spill_half_in(&self, word: &LenWord, sink: impl FnMut(B)) {
        self.spill_half_at(word, sink);
    }

    pub(crate) fn take_all_in(&self, word: &LenWord, sink: impl FnMut(B)) {
        self.take_all_at(word, sink);
    }
}

/// What an uncounted pop and push add to a word: its length's -1 (wrapping) and +1.
const UNCOUNTED_POP: u64 = u64::MAX;
const UNCOUNTED_PUSH: u64 = 1;

/// The operations on any word, which the two kinds of stack above share.
impl<B: Kept, const N: usize, L: Packing> Stack<B, N, L> {
    /// Pops, adding `add` (the length's -1, wrapping, plus any count) to `word`; says whether
    /// the word then has a [`FULL`](Packing::FULL) bit.
    #[inline(always)]
    fn pop_at(&self, word: impl Word, add: u64) -> Option<(B, bool)> {
        let now = word.load();
        let top = ((now & L::LEN_MASK) as usize).checked_sub(1)?;
        let now = now.wrapping_add(add);
        word.store(now);
        // The stack is `!Sync` (its cells) and never lends references into its slots. `top <
        // len <= N`: `slots[top]` holds the pointer of a box that `push` took apart when its
        // size was `size` (which changes only while the stack is empty).
        let raw = self.slots[top & Self::INDEX_MASK].get();
        // SAFETY: `raw` is that box's, with its length; lowering `len` made it ours.
        let boxed = unsafe { B::Boxed::from_raw(raw, self.size.get()) };
        Some((B::from_boxed(boxed), now & L::FULL != 0))
    }

    /// Pushes, adding `add` (the length's +1, plus any count) to `word`.
    #[inline(always)]
    fn push_at(&self, word: impl Word, block: B, add: u64) -> Result<(), B> {
        let now = word.load();
        let len = (now & L::LEN_MASK) as usize;
        let boxed = block.into_boxed();
        if len >= self.limit.get() || !boxed.fits(self.size.get()) {
            return Err(B::from_boxed(boxed));
        }
        // `len < limit <= N`: the slot above the top, which holds nothing.
        self.slots[len & Self::INDEX_MASK].set(boxed.into_raw());
        word.store(now.wrapping_add(add));
        Ok(())
    }

    fn refill_half_at(
        &self,
        word: impl Word,
        mut source: impl FnMut() -> Option<B>,
        refused: impl FnOnce(B),
    ) {
        while self.len_at(word) + 1 < self.limit().div_ceil(2) {
            let Some(block) = source() else { return };
            if let Err(block) = self.push_at(word, block, UNCOUNTED_PUSH) {
                return refused(block);
            }
        }
    }

    fn spill_half_at(&self, word: impl Word, sink: impl FnMut(B)) {
        self.take_at(word, self.limit().div_ceil(2), sink);
    }

    fn take_all_at(&self, word: impl Word, sink: impl FnMut(B)) {
        self.take_at(word, self.len_at(word), sink);
    }

    /// Pops up to `n` blocks, uncounted, into `sink`.
    fn take_at(&self, word: impl Word, n: usize, sink: impl FnMut(B)) {
        (0..n)
            .map_while(|_| self.pop_at(word, UNCOUNTED_POP).map(|(block, _)| block))
            .for_each(sink);
    }
}

/// Where one operation finds a stack's length word: in the stack ([`Own`], for a [`Length`])
/// or beside it (a `&LenWord`, for [`Beside`]).
trait Word: Copy {
    fn load(self) -> u64;
    fn store(self, word: u64);
}

/// A [`Length`] stack's own word.
struct Own<'a, L: Length>(&'a L::Home);

impl<L: Length> Clone for Own<'_, L> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L: Length> Copy for Own<'_, L> {}

impl<L: Length> Word for Own<'_, L> {
    #[inline(always)]
    fn load(self) -> u64 {
        L::load(self.0)
    }

    #[inline(always)]
    fn store(self, word: u64) {
        L::store(self.0, word);
    }
}

impl Word for &LenWord {
    #[inline(always)]
    fn load(self) -> u64 {
        // Only the owner of the stack beside it stores to the word.
        self.load_own()
    }

    #[inline(always)]
    fn store(self, word: u64) {
        self.store_own(word);
    }
}

// SAFETY: a stack owns the blocks in `slots[..len]` (as `B`s taken apart) and its cells, which
// nothing else refers to; moving it to another thread moves them, which `B: Send` allows. A
// counted stack's word is a `&'static LenWord`, which is `Sync`.
unsafe impl<B: Send, const N: usize, L: Packing + Send> Send for Stack<B, N, L> where L::Home: Send {}

impl<B, const N: usize, L: Length> fmt::Debug for Stack<B, N, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stack")
            .field("len", &self.len())
            .field("limit", &self.limit())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::stats::Counted;

    fn block(len: usize, first: u8) -> Box<[u8]> {
        let mut block = vec![0; len].into_boxed_slice();
        block[0] = first;
        block
    }

    #[test]
    fn a_stack_gives_back_byte_blocks_whole_and_refuses_other_lengths() {
        let stack = Stack::<Box<[u8]>, 4>::new();
        stack.set_size(128);
        stack.set_limit(2);
        let refused = stack.push(block(64, 7)).unwrap_err();
        assert_eq!((refused.len(), refused[0]), (64, 7));
        stack.push(block(128, 1)).unwrap();
        stack.push(block(128, 2)).unwrap();
        let full = stack.push(block(128, 3)).unwrap_err();
        assert_eq!(full[0], 3);
        let popped: Vec<(usize, u8)> = std::iter::from_fn(|| stack.pop())
            .map(|b| (b.len(), b[0]))
            .collect();
        assert_eq!(popped, [(128, 2), (128, 1)]);
    }

    #[test]
    fn a_stack_exchanges_half_its_limit_in_a_batch() {
        let stack = Stack::<Box<[u8]>, 8>::new();
        stack.set_size(128);
        stack.set_limit(8);
        let mut source = (10..20).map(|first| block(128, first));
        // Half of 8, less the block the caller takes for itself.
        stack.refill_half(|| source.next(), |_| panic!("nothing to refuse"));
        assert_eq!(stack.len(), 3);
        while stack.push(block(128, 0)).is_ok() {}
        let mut spilled = Vec::new();
        stack.spill_half(|b| spilled.push((b.len(), b[0])));
        assert_eq!((spilled.len(), stack.len()), (4, 4));
        assert_eq!(spilled[0], (128, 0), "newest first");
        // A block the stack refuses goes back and ends the refill.
        stack.spill_half(drop);
        let mut source = [block(64, 1), block(128, 2)].into_iter();
        let mut refused = None;
        stack.refill_half(|| source.next(), |b| refused = Some((b.len(), b[0])));
        assert_eq!((refused, stack.len()), (Some((64, 1)), 0));
        assert_eq!(source.next().map(|b| b[0]), Some(2));
    }

    #[test]
    fn a_counted_stack_keeps_its_length_and_counts_in_its_word() {
        static WORD: LenWord = LenWord::new();
        let (word, stack) = (&WORD, Stack::<Box<[u8]>, 4, Counted>::new());
        assert!(stack.push_counted(block(128, 1)).is_err(), "not open: full");
        assert!(stack.pop_counted().is_none(), "not open: empty");
        stack.open(word, 4, 128);
        stack.push_counted(block(128, 1)).unwrap();
        stack.push(block(128, 2)).unwrap(); // a refill: not counted
        assert!(stack.push_counted(block(64, 3)).is_err(), "wrong length");
        let popped = stack.pop_counted().map(|(b, full)| (b[0], full));
        assert_eq!(popped, Some((2, false)));
        assert_eq!(stack.len(), 1);
        assert_eq!(word.counts(), (1, 1), "one counted pop, one counted push");
        // Taking the counts out leaves the length (and the claim).
        assert_eq!(word.take_counts(), (1, 1));
        assert_eq!((word.counts(), stack.len()), ((0, 0), 1));
        assert_eq!(stack.pop().map(|b| b[0]), Some(1)); // a spill: not counted
        assert_eq!(word.counts(), (0, 0));
        stack.shut();
        assert!(stack.push_counted(block(128, 4)).is_err(), "shut: full");
        // The word is free again, for this stack or another.
        Stack::<Box<[u8]>, 4, Counted>::new().open(word, 4, 128);
    }

    #[test]
    fn a_counted_stack_asks_for_its_counts_to_be_taken_before_they_wrap() {
        // A pop that sets the sign bit says so.
        const NEAR: u64 = LenWord::NEAR_FULL - 1;
        static WORD: LenWord = LenWord::with_counts(NEAR);
        let stack = Stack::<Box<[u8]>, 4, Counted>::new();
        stack.open(&WORD, 1, 128);
        let round_trip = || {
            stack.push_counted(block(128, 0)).unwrap();
            stack.pop_counted().map(|(_, full)| full)
        };
        assert_eq!(round_trip(), Some(false));
        assert_eq!(round_trip(), Some(true), "pops reached the sign bit");
        assert_eq!(WORD.take_counts(), (NEAR + 2, NEAR + 2));
        assert_eq!(round_trip(), Some(false));
        // A slow-path event asks once either count passes a quarter of the pops' range.
        const QUARTER: u64 = 1 << (LenWord::POP_BITS - 2);
        static SLOW: LenWord = LenWord::with_counts(QUARTER - 1);
        let stack = Stack::<Box<[u8]>, 4, Counted>::new();
        stack.open(&SLOW, 1, 128);
        assert!(!stack.counts_full());
        stack.push_counted(block(128, 0)).unwrap();
        assert!(stack.counts_full(), "pushes at a quarter");
        assert_eq!(SLOW.take_counts(), (QUARTER - 1, QUARTER));
        assert!(!stack.counts_full() && stack.len() == 1);
        assert!(stack.pop().is_some());
    }

    #[test]
    fn a_length_word_opens_for_one_stack_at_a_time() {
        static WORD: LenWord = LenWord::new();
        let (word, first) = (&WORD, Stack::<Box<[u8]>, 4, Counted>::new());
        first.open(word, 4, 128);
        first.push(block(128, 1)).unwrap();
        let second = Stack::<Box<[u8]>, 4, Counted>::new();
        let refused =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| second.open(word, 4, 128)));
        assert_eq!(
            refused.unwrap_err().downcast_ref::<&str>(),
            Some(&"a length word opens for one empty stack at a time")
        );
        assert!(second.pop().is_none(), "the refused stack stays unbound");
        assert_eq!(first.pop().map(|b| b[0]), Some(1));
    }

    #[test]
    fn a_stack_of_sized_boxes_ignores_the_block_size() {
        let stack = Stack::<Box<Slot<u32>>, 4>::new();
        stack.set_size(128);
        stack.set_limit(4);
        stack.push(Slot::new(5)).unwrap();
        assert_eq!(stack.pop().map(|slot| slot.value), Some(5));
    }

    #[test]
    fn a_stacks_block_size_cannot_change_under_its_blocks() {
        let stack = Stack::<Box<[u8]>, 4>::new();
        stack.set_size(128);
        stack.set_limit(1);
        stack.push(block(128, 1)).unwrap();
        let refused =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| stack.set_size(256)));
        let refused = refused.unwrap_err();
        assert_eq!(
            refused.downcast_ref::<&str>(),
            Some(&"a stack's block size changes only while it is empty")
        );
        assert_eq!(stack.pop().map(|b| (b.len(), b[0])), Some((128, 1)));
    }
}
