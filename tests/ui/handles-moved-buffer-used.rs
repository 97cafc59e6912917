// A handle moved into another (here, by `freeze`) cannot be used again.
use bytepool::tiers::Stream;

fn main() {
    let buf = Stream::pool().get(4);
    let shared = buf.freeze();
    println!("{} {}", buf.len(), shared.len());
}
