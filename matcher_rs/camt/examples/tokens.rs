//! Baseline: quick-xml's events alone over a file, to see what the reader adds.
use quick_xml::events::Event;
use quick_xml::NsReader;

fn main() {
    let data = std::fs::read(std::env::args().nth(1).expect("a file")).expect("readable");
    let start = std::time::Instant::now();
    let mut xml = NsReader::from_reader(&data[..]);
    xml.config_mut().expand_empty_elements = true;
    let mut n = 0u64;
    loop {
        match xml.read_resolved_event() {
            Ok((_, Event::Eof)) => break,
            Ok(_) => n += 1,
            Err(e) => panic!("{e}"),
        }
    }
    println!("{n} events in {:.3} s", start.elapsed().as_secs_f64());
    let start = std::time::Instant::now();
    let mut xml = quick_xml::Reader::from_reader(&data[..]);
    let mut n = 0u64;
    loop {
        match xml.read_event() {
            Ok(Event::Eof) => break,
            Ok(_) => n += 1,
            Err(e) => panic!("{e}"),
        }
    }
    println!(
        "{n} events in {:.3} s without namespaces",
        start.elapsed().as_secs_f64()
    );
}
