// A borrow of a `Buffer`'s bytes cannot outlive that reference.
use bytepool::tiers::Stream;

fn main() {
    let bytes: &[u8];
    {
        let shared = Stream::pool().get(4).freeze();
        bytes = shared.as_slice();
    }
    println!("{bytes:?}");
}
