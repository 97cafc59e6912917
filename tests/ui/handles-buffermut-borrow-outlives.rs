// A borrow of a `BufferMut`'s bytes cannot outlive the buffer (which returns them to the pool).
use bytepool::tiers::Stream;

fn main() {
    let bytes: &[u8];
    {
        let buf = Stream::pool().get(4);
        bytes = &buf[..];
    }
    println!("{bytes:?}");
}
