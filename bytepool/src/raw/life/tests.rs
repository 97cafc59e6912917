//! The life on its own, with a stand-in for a pool's state.

use std::cell::Cell;
use std::sync::atomic::AtomicUsize as StdAtomicUsize;
use std::sync::Arc;

use super::*;

/// Shared state that counts its drops.
struct Shared(Arc<StdAtomicUsize>);

impl Drop for Shared {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

thread_local! {
    /// What the last owner's drop saw of each slot: its counter and its private cell.
    static RECLAIMED: Cell<Vec<(usize, usize)>> = const { Cell::new(Vec::new()) };
}

impl Reclaim<StdAtomicUsize, Cell<usize>> for Shared {
    type Garbage = ();

    fn reclaim(&self, slots: &mut dyn Iterator<Item = (&StdAtomicUsize, &Cell<usize>)>) {
        let seen = slots
            .map(|(public, private)| (public.load(Ordering::Relaxed), private.get()))
            .collect();
        RECLAIMED.with(|r| r.set(seen));
    }

    fn retire_slot(&self, public: &StdAtomicUsize, _: &Cell<usize>) {
        public.fetch_add(100, Ordering::Relaxed);
    }

    fn own_tickets(&self, _: &StdAtomicUsize, _: &Cell<usize>) -> isize {
        0
    }
}

type TestOwner = Owner<Shared, StdAtomicUsize, Cell<usize>>;

fn owner() -> (TestOwner, Arc<StdAtomicUsize>) {
    let dropped = Arc::new(StdAtomicUsize::new(0));
    let owner = Owner::new(Shared(Arc::clone(&dropped)), |_| {
        (StdAtomicUsize::new(0), Cell::new(0))
    });
    (owner, dropped)
}

fn access_name<P, Q>(access: &Access<'_, P, Q>) -> &'static str {
    match access {
        Access::Here(..) => "here",
        Access::Elsewhere => "elsewhere",
        Access::Gone => "gone",
    }
}

#[test]
fn a_pool_with_no_ticket_out_is_freed_when_its_owner_goes() {
    let (owner, dropped) = owner();
    let here = owner.here().unwrap();
    here.public().fetch_add(1, Ordering::Relaxed);
    here.private().set(7);
    let ticket = owner.ticket();
    assert_eq!(ticket.redeem(|_, access| access_name(&access)), "here");
    drop(owner);
    assert_eq!(RECLAIMED.with(Cell::take), [(1, 7)]);
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}

#[test]
fn tickets_outliving_their_owner_free_the_pool_with_the_last_of_them() {
    let (owner, dropped) = owner();
    let tickets: Vec<_> = (0..3).map(|_| owner.ticket()).collect();
    drop(owner);
    assert_eq!(dropped.load(Ordering::SeqCst), 0);
    let mut tickets = tickets.into_iter();
    let first = tickets.next().unwrap();
    assert_eq!(first.visit(|_, access| access_name(&access)), "gone");
    drop(first);
    let second = tickets.next().unwrap();
    assert_eq!(second.redeem(|_, access| access_name(&access)), "gone");
    assert_eq!(dropped.load(Ordering::SeqCst), 0);
    drop(tickets);
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}

#[test]
fn a_ticket_given_back_on_another_thread_counts_there() {
    let (owner, dropped) = owner();
    let ticket = owner.ticket();
    let name = std::thread::spawn(move || ticket.redeem(|_, access| access_name(&access)))
        .join()
        .unwrap();
    assert_eq!(name, "here", "the other thread made its own slot");
    drop(owner);
    assert_eq!(RECLAIMED.with(Cell::take).len(), 2);
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        1,
        "counts sum to zero across slots"
    );
}

#[test]
fn ten_thousand_pools_made_and_dropped_leave_nothing() {
    let dropped = Arc::new(StdAtomicUsize::new(0));
    let pools = if cfg!(miri) { 100 } else { 10_000 };
    for _ in 0..pools {
        let owner: TestOwner = Owner::new(Shared(Arc::clone(&dropped)), |_| {
            (StdAtomicUsize::new(0), Cell::new(0))
        });
        let _ = owner.here();
        drop(owner.ticket());
    }
    assert_eq!(dropped.load(Ordering::SeqCst), pools);
}

#[test]
fn thread_indices_land_in_buckets_of_doubling_size() {
    assert_eq!(locate(0), (0, 0));
    assert_eq!(locate(1), (1, 0));
    assert_eq!(locate(2), (1, 1));
    assert_eq!(locate(3), (2, 0));
    assert_eq!(locate(6), (2, 3));
    assert_eq!(locate(7), (3, 0));
    assert_eq!(
        locate(usize::MAX - 2),
        (BUCKETS - 1, (1 << (BUCKETS - 1)) - 2)
    );
}
