// A non-generic struct gets inherent `take()` and `pool()`: no `use bytepool::Pooled` needed,
// and with the trait in scope the inherent methods are still the ones called, without
// ambiguity. The trait's methods stay reachable through the trait.
mod without_use {
    #[derive(bytepool::Pooled, Default)]
    pub struct LogEntry {
        pub message: Vec<u8>,
    }

    pub fn round_trip() {
        let mut entry = LogEntry::take();
        entry.message.extend_from_slice(b"GET /");
        drop(entry);
        assert!(LogEntry::take().message.is_empty());
        let _: &'static bytepool::Pool<LogEntry> = LogEntry::pool();
    }
}

mod with_use {
    use bytepool::Pooled;

    #[derive(Pooled, Default)]
    pub(crate) struct Conn {
        pub(crate) buffer: Vec<u8>,
    }

    fn generic<T: Pooled>() -> bytepool::PoolBox<T> {
        T::take()
    }

    pub fn round_trip() {
        drop(Conn::take());
        drop(<Conn as Pooled>::take());
        drop(generic::<Conn>());
        assert!(std::ptr::eq(Conn::pool(), <Conn as Pooled>::pool()));
    }
}

fn main() {
    without_use::round_trip();
    with_use::round_trip();
}
