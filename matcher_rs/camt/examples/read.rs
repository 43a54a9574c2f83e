//! Times the reader alone on a file, best of a few runs, in CPU and wall seconds (the machine
//! may be shared): `cargo run --release -p cashapp_camt --example read FILE [RUNS]`.
use cashapp_camt::{parse, Money};
use std::collections::HashMap;

/// CPU seconds this thread has run (Linux /proc/thread-self/schedstat, nanoseconds): the wall
/// clock on a loaded machine also counts the time other processes held the cores.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e9)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("a camt file");
    let runs: usize = args
        .next()
        .map_or(3, |r| r.parse().expect("a count of runs"));
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
    let (mut best_cpu, mut best_wall) = (f64::INFINITY, f64::INFINITY);
    let mut count = 0;
    for _ in 0..runs {
        let (cpu, wall) = (cpu_seconds(), std::time::Instant::now());
        let parsed = parse(&data, ns, "053", &money);
        let (cpu, wall) = (cpu_seconds() - cpu, wall.elapsed().as_secs_f64());
        match parsed {
            Ok(p) => count = p.entries.len(),
            Err(e) => panic!("{e:?}"),
        }
        best_cpu = best_cpu.min(cpu);
        best_wall = best_wall.min(wall);
    }
    println!(
        "{count} entries: {best_cpu:.3} s CPU ({:.0}/s), {best_wall:.3} s wall ({:.0}/s), best of {runs}",
        count as f64 / best_cpu,
        count as f64 / best_wall
    );
}
