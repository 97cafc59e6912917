// A handle moved into a thread belongs to that thread.
use bytepool::tiers::Stream;

fn main() {
    let buf = Stream::pool().get(4);
    let worker = std::thread::spawn(move || buf.len());
    println!("{}", buf.len());
    worker.join().unwrap();
}
