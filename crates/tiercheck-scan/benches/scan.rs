//! Engine throughput with the rules of tiercheck's built-in policy
//! (`policies/default.yaml` at the repository root): `cargo bench -p tiercheck-scan`.
//! The whole binary against other scanners and ripgrep is `benches/scan_vs.sh` at the root.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tiercheck_scan::{RuleSet, ScanOptions, Scanner};

/// The built-in policy's `rules` and `allowlist`, read as the engine's own types (the
/// policy's other sections are not the engine's business and are passed over).
fn default_rules() -> RuleSet {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies/default.yaml");
    let text = std::fs::read_to_string(path).expect("policies/default.yaml");
    serde_saphyr::from_str(&text).expect("the policy's rules read as a rule set")
}

/// Source-like text: code, config and prose lines, a few keyword decoys, no real secrets.
fn corpus(bytes: usize) -> String {
    const LINES: &[&str] = &[
        "fn parse(input: &str) -> Result<Config, Error> {",
        "    let token = std::env::var(\"API_TOKEN\").unwrap_or_default();",
        "    for (i, line) in input.lines().enumerate() {",
        "        if line.starts_with('#') { continue; }",
        "def handler(event, context):",
        "    password = os.environ[\"DB_PASSWORD\"]",
        "    return {\"statusCode\": 200, \"body\": json.dumps(result)}",
        "  \"version\": \"1.4.2\", \"integrity\": \"sha512-2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\",",
        "secret_key: ${SECRET_KEY}",
        "Contact the maintainers on the issue tracker before sending a pull request.",
        "SELECT id, name FROM users WHERE created_at > now() - interval '1 day';",
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "    // See https://example.com/docs/api-keys for how to create a key.",
        "}",
    ];
    let mut s = String::with_capacity(bytes + 200);
    let mut i = 0usize;
    while s.len() < bytes {
        s.push_str(LINES[i % LINES.len()]);
        s.push('\n');
        i = i.wrapping_mul(31).wrapping_add(7) % 1_000_003;
    }
    s
}

fn bench(c: &mut Criterion) {
    let rules = default_rules();
    let scanner = Scanner::new(&rules).expect("rules compile");
    let opts = ScanOptions::default();
    let text = corpus(4 * 1024 * 1024);
    let mut g = c.benchmark_group("scan_bytes");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(20);
    g.bench_function("source-like 4 MiB", |b| {
        b.iter(|| black_box(scanner.scan_bytes("src/lib.rs", black_box(text.as_bytes()), &opts)))
    });
    let one_line = text.replace('\n', " ");
    g.bench_function("single line 4 MiB", |b| {
        b.iter(|| {
            black_box(scanner.scan_bytes("app.min.js", black_box(one_line.as_bytes()), &opts))
        })
    });
    g.finish();
    c.bench_function("compile rules", |b| {
        b.iter(|| black_box(Scanner::new(&rules).expect("rules compile")))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
