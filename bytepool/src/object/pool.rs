//! [`Pool<T>`]: typed pools, process-wide (a `#[derive(Pooled)]` type's) or instance, their
//! configuration ([`PoolBuilder`]), and an instance pool's operations.

use std::cell::RefCell;
use std::fmt;
use std::mem;

use super::global::{release_global_never, Fns, GlobalFns};
use super::handle::{Entry, Obj, ObjHome, PoolBox};
use super::{Reset, DEFAULT_CAPACITY, DEFAULT_THREAD_CACHE, MAX_THREAD_CACHE};
use crate::cache::{Core, Local, Shelf, SlotCache, SlotShelf, Tier};
use crate::raw::{Access, Emplace, Owner, Reclaim, Slot, Ticket};
use crate::stats::{Counters, Event, Stats};
use crate::PoolStats;

type Resetter<T> = Box<dyn Fn(&mut T) + Send + Sync>;

/// A process-wide pool's release of a returned object: reset it and keep it.
pub(crate) type Release<T> = fn(&ObjShared<T>, Box<Slot<Obj<T>>>);

/// An instance typed pool's life: the pool owns it, each handle holds a ticket, and each
/// thread that uses it has a slot with its counter block and its cache.
pub(crate) type ObjOwner<T> = Owner<ObjShared<T>, Counters, SlotCache<Entry<T>>>;
pub(crate) type ObjTicket<T> = Ticket<ObjShared<T>, Counters, SlotCache<Entry<T>>>;

/// Counted events of a typed pool that do not move an object in or out of a tier.
#[derive(Clone, Copy)]
pub(crate) enum ObjEvent {
    Detach,
    DropReturned,
    ForeignPut,
}

/// The state of a typed pool that its handles reach.
pub(crate) struct ObjShared<T: 'static> {
    pub(crate) core: Core<Entry<T>>,
    factory: Emplace<T>,
    pub(crate) reset: Resetter<T>,
    /// A process-wide pool's release (reset the object, keep it), which a handle's drop calls
    /// directly. An instance pool's handles return through their ticket and never call it.
    pub(crate) release_global: Release<T>,
    /// A process-wide pool's functions, which need `T: Pooled`; `None` for an instance pool.
    global: Option<&'static GlobalFns<T>>,
}

// As for byte pools: the pool's own state is consistent after a panic, including one in the
// user's reset (see `PoolBox`'s drop). Objects of a type that is not unwind-safe still make the
// handles that expose them not unwind-safe.
impl<T> std::panic::RefUnwindSafe for ObjShared<T> {}

impl<T: 'static> ObjShared<T> {
    /// Counts `event` in a process-wide pool (instance pools count through a ticket).
    pub(crate) fn count_global(&self, event: ObjEvent) {
        if let Some(global) = self.global {
            (global.count)(event);
        }
    }

    /// A thread's slot in an instance pool: its counter block and an empty cache.
    fn new_slot(&self) -> (Counters, SlotCache<Entry<T>>) {
        let counters = Counters::new(1);
        let cache = SlotCache::new(&self.core, &counters);
        (counters, cache)
    }
}

impl<T> Reclaim<Counters, SlotCache<Entry<T>>> for ObjShared<T> {
    type Garbage = Vec<Entry<T>>;

    /// At the owner's drop: every idle object, from the shared queue and every thread's cache.
    fn reclaim(
        &self,
        slots: &mut dyn Iterator<Item = (&Counters, &SlotCache<Entry<T>>)>,
    ) -> Vec<Entry<T>> {
        let mut garbage = Vec::new();
        for (counters, cache) in slots {
            cache.drain_into(counters, &mut garbage);
        }
        self.core.drain_into(&mut garbage);
        garbage
    }

    fn retire_slot(&self, counters: &Counters, cache: &SlotCache<Entry<T>>) -> Vec<Entry<T>> {
        let mut garbage = Vec::new();
        cache.retire_into(&self.core, counters, &mut garbage);
        garbage
    }

    fn own_tickets(&self, counters: &Counters, cache: &SlotCache<Entry<T>>) -> isize {
        cache.own_tickets(counters)
    }
}

/// A bounded pool of `T` objects, reset when they come back.
///
/// The typed counterpart of [`BytePool`](crate::BytePool): [`get`](Self::get) hands out a
/// [`PoolBox`], whose drop resets the object and returns it (or drops it when the pool already
/// holds `capacity` idle objects). Statistics are the same [`Stats`] as a byte pool's, with one
/// tier whose `size` is `size_of::<T>()`.
///
/// A panic inside the reset function leaves the pool consistent: that object is dropped (once),
/// not returned, and counted in [`Stats::discarded`]; the panic continues.
///
/// Pools made here are instance pools. Like the process-wide pool of a `#[derive(Pooled)]` type
/// ([`Pooled::take`]), they keep a small cache per thread in front of the shared queue, so a
/// get and a return on one thread touch no memory another thread writes; and their handles
/// hold no reference count. When the pool is dropped, every idle object is dropped at once
/// (the ones other threads cache included); objects still out keep working, and are dropped
/// where their handles are.
///
/// # Examples
/// ```
/// use bytepool::{Pool, PoolStats};
///
/// let pool = Pool::with(|| Vec::<u32>::with_capacity(64), |v| v.clear());
/// let mut v = pool.get();
/// v.push(7);
/// drop(v);
/// let v = pool.get();
/// assert!(v.is_empty() && v.capacity() >= 64);
/// assert_eq!(pool.stats().tiers[0].hits, 1);
/// ```
pub struct Pool<T: 'static> {
    kind: Kind<T>,
}

/// A process-wide pool's state, or an instance pool's life.
enum Kind<T: 'static> {
    /// A `#[derive(Pooled)]` type's pool, in a static for the life of the process.
    Global(Box<ObjShared<T>>),
    Instance(ObjOwner<T>),
}

impl<T: Reset + Default + 'static> Pool<T> {
    /// An instance pool of `T::default()` objects, reset with [`Reset`], keeping up to
    /// [`DEFAULT_CAPACITY`] idle.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::Pool::<String>::new();
    /// pool.get().push_str("scratch");
    /// assert!(pool.get().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::with(T::default, T::reset)
    }
}

impl<T: Reset + Default + 'static> Default for Pool<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: 'static> Pool<T> {
    /// An instance pool of objects made by `factory` and cleaned by `reset` (the Go
    /// `sync.Pool`-style constructor), keeping up to [`DEFAULT_CAPACITY`] idle.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::Pool::with(|| [0u8; 32], |a| a.fill(0));
    /// assert_eq!(*pool.get(), [0; 32]);
    /// ```
    #[must_use]
    pub fn with(
        factory: impl Fn() -> T + Send + Sync + 'static,
        reset: impl Fn(&mut T) + Send + Sync + 'static,
    ) -> Self {
        Self::with_capacity(DEFAULT_CAPACITY, factory, reset)
    }

    /// Like [`with`](Self::with), keeping at most `capacity` idle objects (`0` keeps none).
    ///
    /// # Examples
    /// ```
    /// use bytepool::{Pool, PoolStats};
    /// let pool = Pool::with_capacity(1, String::new, String::clear);
    /// let (a, b) = (pool.get(), pool.get());
    /// drop((a, b));
    /// assert_eq!(pool.stats().tiers[0].idle, 1);
    /// assert_eq!(pool.stats().discarded, 1);
    /// ```
    #[must_use]
    pub fn with_capacity(
        capacity: usize,
        factory: impl Fn() -> T + Send + Sync + 'static,
        reset: impl Fn(&mut T) + Send + Sync + 'static,
    ) -> Self {
        Self::builder(factory, reset).capacity(capacity).build()
    }

    /// Starts configuring an instance pool of objects made by `factory` and cleaned by
    /// `reset`.
    ///
    /// # Examples
    /// ```
    /// use bytepool::{Pool, PoolStats};
    /// let pool = Pool::builder(String::new, String::clear)
    ///     .capacity(64)
    ///     .thread_cache(0)
    ///     .build();
    /// drop(pool.get());
    /// assert_eq!(pool.stats().tiers[0].idle, 1);
    /// ```
    pub fn builder(
        factory: impl Fn() -> T + Send + Sync + 'static,
        reset: impl Fn(&mut T) + Send + Sync + 'static,
    ) -> PoolBuilder<T> {
        PoolBuilder {
            capacity: DEFAULT_CAPACITY,
            thread_cache: DEFAULT_THREAD_CACHE,
            factory: Emplace::new(factory),
            reset: Box::new(reset),
        }
    }

    /// A process-wide pool of `T`, with `T`'s functions.
    pub(crate) fn global(capacity: usize, thread_cache: usize) -> Self
    where
        T: super::Pooled,
    {
        let tier = Tier::global(mem::size_of::<T>(), capacity, thread_cache);
        Pool {
            kind: Kind::Global(Box::new(ObjShared {
                core: Core::new(Box::new([tier]), None, false),
                factory: Emplace::new(T::__new),
                reset: Box::new(T::reset),
                release_global: Fns::<T>::RELEASE,
                global: Some(&Fns::<T>::GLOBAL),
            })),
        }
    }

    /// The state of `T`'s process-wide pool, this pool.
    pub(crate) fn global_shared(&self) -> &ObjShared<T> {
        match &self.kind {
            Kind::Global(shared) => shared,
            Kind::Instance(_) => unreachable!("`Pooled::pool` is a process-wide pool"),
        }
    }

    fn shared(&self) -> &ObjShared<T> {
        match &self.kind {
            Kind::Global(shared) => shared,
            Kind::Instance(owner) => owner.shared(),
        }
    }

    /// The functions of a process-wide pool.
    fn global_fns(shared: &ObjShared<T>) -> &'static GlobalFns<T> {
        match shared.global {
            Some(global) => global,
            None => unreachable!("a process-wide pool has its functions"),
        }
    }

    /// An object from the pool: an idle one, reset when it came back, or a new one.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::Pool::<Vec<u8>>::new();
    /// let mut v = pool.get();
    /// v.extend_from_slice(b"abc");
    /// assert_eq!(v.len(), 3);
    /// ```
    #[inline]
    pub fn get(&self) -> PoolBox<T> {
        match &self.kind {
            Kind::Global(shared) => {
                let global = Self::global_fns(shared);
                PoolBox::handed_out((global.get)(), ObjHome::Global((global.home)()))
            }
            Kind::Instance(owner) => get_instance(owner),
        }
    }

    /// Resets `value` and keeps it idle (dropped if the pool is full). Counted in
    /// [`Stats::foreign_puts`].
    ///
    /// # Examples
    /// ```
    /// use bytepool::{Pool, PoolStats};
    /// let pool = Pool::<Vec<u8>>::new();
    /// pool.put(Vec::with_capacity(10));
    /// assert_eq!(pool.stats().tiers[0].idle, 1);
    /// assert!(pool.get().capacity() >= 10);
    /// ```
    pub fn put(&self, mut value: T) {
        (self.shared().reset)(&mut value);
        let entry = Entry(Slot::new_homed(None, || value));
        match &self.kind {
            Kind::Global(shared) => {
                let global = Self::global_fns(shared);
                (global.count)(ObjEvent::ForeignPut);
                (global.put)(entry, false);
            }
            Kind::Instance(owner) => with_owner(owner, |local| {
                count_in(local, ObjEvent::ForeignPut);
                local.put_tier(0, entry, false, true);
            }),
        }
    }

    /// Drops every idle object of the shared pool and of the calling thread's cache; returns
    /// how many bytes of `T` (`size_of::<T>()` each) that freed.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::Pool::<u64>::new();
    /// drop(pool.get());
    /// assert_eq!(pool.trim(), 8);
    /// ```
    pub fn trim(&self) -> usize {
        let cached = match &self.kind {
            Kind::Global(shared) => (Self::global_fns(shared).trim_cache)(),
            Kind::Instance(owner) => with_owner(owner, |local| local.trim_cache()),
        };
        cached + self.shared().core.trim()
    }
}

impl<T: 'static> PoolStats for Pool<T> {
    fn stats(&self) -> Stats {
        let slots: Vec<_> = match &self.kind {
            Kind::Global(_) => Vec::new(),
            Kind::Instance(owner) => owner.publics().collect(),
        };
        let core = &self.shared().core;
        core.registry.snapshot(&[mem::size_of::<T>()], None, &slots)
    }
}

impl<T: 'static> fmt::Debug for Pool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("type", &std::any::type_name::<T>())
            .field("global", &matches!(self.kind, Kind::Global(_)))
            .finish_non_exhaustive()
    }
}

/// Configures an instance [`Pool`]; made by [`Pool::builder`].
#[must_use = "a builder does nothing until `build` is called"]
pub struct PoolBuilder<T: 'static> {
    capacity: usize,
    thread_cache: usize,
    factory: Emplace<T>,
    reset: Resetter<T>,
}

impl<T: 'static> PoolBuilder<T> {
    /// Keeps at most `n` idle objects in all: half of them (rounded down) may sit in the
    /// threads' caches, each thread claiming up to its [`thread_cache`](Self::thread_cache)
    /// limit on its first use of the pool while that half lasts, and the rest in the shared
    /// queue. `0` keeps none. Default: [`DEFAULT_CAPACITY`].
    ///
    /// # Examples
    /// ```
    /// use bytepool::{Pool, PoolStats};
    /// let pool = Pool::builder(|| 0u64, |n| *n = 0).capacity(1).build();
    /// let (a, b) = (pool.get(), pool.get());
    /// drop((a, b));
    /// assert_eq!(pool.stats().tiers[0].idle, 1);
    /// ```
    pub fn capacity(mut self, n: usize) -> Self {
        self.capacity = n;
        self
    }

    /// Keeps up to `n` idle objects in each thread's cache (at most [`MAX_THREAD_CACHE`]), in
    /// front of the shared queue; `0` turns the caches off. Default:
    /// [`DEFAULT_THREAD_CACHE`].
    ///
    /// # Examples
    /// ```
    /// use bytepool::{Pool, PoolStats};
    /// let pool = Pool::builder(Vec::<u8>::new, Vec::clear).thread_cache(4).build();
    /// drop(pool.get());
    /// assert_eq!(pool.stats().tiers[0].idle, 1);
    /// ```
    pub fn thread_cache(mut self, n: usize) -> Self {
        self.thread_cache = n.min(MAX_THREAD_CACHE);
        self
    }

    /// Builds the pool.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::Pool::builder(String::new, String::clear).build();
    /// assert!(pool.get().is_empty());
    /// ```
    #[must_use]
    pub fn build(self) -> Pool<T> {
        let tier = Tier::instance(mem::size_of::<T>(), self.capacity, self.thread_cache);
        let shared = ObjShared {
            core: Core::new(Box::new([tier]), None, false),
            factory: self.factory,
            reset: self.reset,
            release_global: release_global_never::<T>,
            global: None,
        };
        Pool {
            kind: Kind::Instance(Owner::new(shared, ObjShared::new_slot)),
        }
    }
}

impl<T: 'static> fmt::Debug for PoolBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("capacity", &self.capacity)
            .field("thread_cache", &self.thread_cache)
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------------------------
// The operations, on any cache

/// An idle object, or a new one in the slot `make` builds.
pub(crate) fn get_in<T, M: Shelf<Entry<T>>>(
    local: &mut Local<'_, Entry<T>, M>,
    make: impl FnOnce() -> Box<Slot<Obj<T>>>,
) -> Entry<T> {
    let made = local.get_tier(0, true, |_| Ok(Entry(make())));
    match made {
        Ok(entry) => entry,
        Err(err) => unreachable!("object factories do not fail: {err}"),
    }
}

pub(crate) fn count_in<T, M: Shelf<Entry<T>>>(local: &mut Local<'_, Entry<T>, M>, event: ObjEvent) {
    match event {
        ObjEvent::Detach => local.detach(true),
        ObjEvent::DropReturned => local.drop_returned(0, true),
        ObjEvent::ForeignPut => local.count(Event::ForeignPut, true),
    }
}

// ---------------------------------------------------------------------------------------------
// An instance pool's

/// Runs `f` in the calling thread's slot of the instance pool `owner` (in the shared context
/// while the thread exits).
fn with_owner<T, R>(
    owner: &ObjOwner<T>,
    f: impl FnOnce(&mut Local<'_, Entry<T>, SlotShelf<'_, Entry<T>>>) -> R,
) -> R {
    let core = &owner.shared().core;
    match owner.here() {
        Some(here) => f(&mut here.private().local(core, here.public())),
        None => f(&mut Local::uncached(core)),
    }
}

/// An object of an instance pool: from the calling thread's magazine, or the general path.
#[inline]
fn get_instance<T>(owner: &ObjOwner<T>) -> PoolBox<T> {
    if let Some(here) = owner.here() {
        if let Some(entry) = here.private().pop_ticketed(0, here.public(), 0, true) {
            return PoolBox::handed_out(entry, ObjHome::Instance(here.private_ticket()));
        }
    }
    get_instance_slow(owner)
}

#[cold]
#[inline(never)]
fn get_instance_slow<T>(owner: &ObjOwner<T>) -> PoolBox<T> {
    let shared = owner.shared();
    let entry = with_owner(owner, |local| {
        get_in(local, || Slot::new_from(None, &shared.factory))
    });
    PoolBox::handed_out(entry, ObjHome::Instance(owner.ticket()))
}

/// Returns a reset object to the instance pool of `ticket`, giving the ticket back: into this
/// thread's magazine when it can (nothing there runs user code), else by the general path.
#[inline]
pub(crate) fn put_instance<T>(ticket: ObjTicket<T>, entry: Entry<T>) {
    let kept = ticket.try_redeem_here(entry, |entry, _, counters, cache| {
        cache.push_ticketed(0, entry, counters, true)
    });
    if let Err((ticket, entry)) = kept {
        put_instance_slow(ticket, entry);
    }
}

/// [`put_instance`] off its hot path. Objects the pool lets go meanwhile (a full cache's spill
/// that the shared queue cannot keep, or all of them once the pool is gone) are dropped after
/// the ticket's window: their drops are user code.
#[cold]
#[inline(never)]
fn put_instance_slow<T>(ticket: ObjTicket<T>, entry: Entry<T>) {
    let dropped = ticket.redeem(|shared, access| match access {
        Access::Here(counters, cache) => {
            let bin = RefCell::new(Vec::new());
            cache
                .local(&shared.core, counters)
                .dropping_into(&bin)
                .put_tier(0, entry, true, true);
            bin.into_inner()
        }
        Access::Elsewhere => {
            let bin = RefCell::new(Vec::new());
            <Local<'_, _>>::uncached(&shared.core)
                .dropping_into(&bin)
                .put_tier(0, entry, true, true);
            bin.into_inner()
        }
        Access::Gone => vec![entry],
    });
    drop(dropped);
}

/// Counts `event` in the instance pool of `ticket`, giving the ticket back.
pub(crate) fn count_instance<T>(ticket: ObjTicket<T>, event: ObjEvent) {
    ticket.redeem(|shared, access| count_at(shared, access, event));
}

/// Counts `event` in the instance pool of `ticket`, which the caller keeps.
pub(crate) fn count_through<T>(ticket: &ObjTicket<T>, event: ObjEvent) {
    ticket.visit(|shared, access| count_at(shared, access, event));
}

fn count_at<T>(
    shared: &ObjShared<T>,
    access: Access<'_, Counters, SlotCache<Entry<T>>>,
    event: ObjEvent,
) {
    match access {
        Access::Here(counters, cache) => count_in(&mut cache.local(&shared.core, counters), event),
        Access::Elsewhere => count_in(&mut <Local<'_, _>>::uncached(&shared.core), event),
        Access::Gone => {}
    }
}
