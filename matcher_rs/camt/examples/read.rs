//! Times the reader alone on a file: `cargo run --release -p cashapp_camt --example read FILE`.
use cashapp_camt::{parse, Money};
use std::collections::HashMap;

fn main() {
    let path = std::env::args().nth(1).expect("a camt file");
    let data = std::fs::read(path).expect("readable");
    let exponents: HashMap<String, u32> =
        [("EUR", 2), ("USD", 2), ("CHF", 2), ("GBP", 2), ("JPY", 0)]
            .into_iter()
            .map(|(c, e)| (c.to_string(), e))
            .collect();
    let money = Money {
        exponents,
        max_minor: 1_000_000_000_000_000,
    };
    let ns = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08";
    let start = std::time::Instant::now();
    let parsed = parse(&data, ns, "053", &money);
    let seconds = start.elapsed().as_secs_f64();
    match parsed {
        Ok(p) => println!(
            "{} entries in {seconds:.3} s: {:.0}/s",
            p.entries.len(),
            p.entries.len() as f64 / seconds
        ),
        Err(e) => println!("{e:?}"),
    }
}
