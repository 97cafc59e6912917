// The handles of `Send + Sync` contents are `Send + Sync + 'static`, so they move into threads,
// tasks and `'static` containers.
use bytepool::{Buffer, BufferMut, PoolArc, PoolBox};

fn assert_send_sync_static<T: Send + Sync + 'static>() {}

fn main() {
    assert_send_sync_static::<BufferMut>();
    assert_send_sync_static::<Buffer>();
    assert_send_sync_static::<PoolBox<Vec<u8>>>();
    assert_send_sync_static::<PoolArc<String>>();

    let buf = bytepool::tiers::Stream::pool().get(3).freeze();
    let other = buf.clone();
    std::thread::spawn(move || assert_eq!(other.len(), 3))
        .join()
        .unwrap();
    drop(buf);
}
