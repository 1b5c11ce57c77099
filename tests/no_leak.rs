//! A property over the real binary: wherever a token sits in what tiercheck reads (a file's
//! content, a file's name, a manifest field, a commit message), no output format of `verify`
//! or `scan`, and nothing on stderr, prints it in full.

mod common;

use common::git;

use proptest::prelude::*;

const FORMATS: [&str; 6] = ["table", "json", "sarif", "junit", "markdown", "html"];

/// A GitHub classic token (`ghp_` and 36 letters or digits) from `seed`, assembled at run
/// time so this file holds none.
fn token(seed: u32) -> String {
    let abc = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let body: String = (0..36u32)
        .map(|i| abc[((i * 7 + seed * 13 + (i * i) % 5) % 62) as usize] as char)
        .collect();
    format!("ghp_{body}")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn no_format_prints_a_planted_token_in_full(
        seed in 0u32..10_000,
        before in "[ -~]{0,24}",
        sep in "[ :=\"'/(]",
        after in "[ -~&&[^A-Za-z0-9_]][ -~]{0,24}",
        place in 0usize..4,
    ) {
        let t = token(seed);
        let f = common::Fixture::new();
        let root = f.path();
        let planted = format!("{before}{sep}{t}{after}");
        let (mut name, mut field, mut message) =
            ("notes.txt".to_string(), "demo".to_string(), "init".to_string());
        match place {
            0 => {}
            1 => name = format!("{t}.txt"),
            2 => field = t.clone(),
            _ => message = format!("add {t}"),
        }
        f.write(&name, format!("{planted}\n"));
        f.write(
            ".tier.yaml",
            format!(
                "version: 1\nname: {}\naudience: public\ndata: none\nowner: jane@corp.example\n",
                serde_json::to_string(&field).unwrap()
            ),
        );
        git(&root, &["init", "-q", "-b", "main"]);
        git(&root, &["add", "-A"]);
        git(&root, &["commit", "-q", "-m", &message]);
        for format in FORMATS {
            for cmd in [&["verify"][..], &["scan", "."][..], &["scan", "--history", "."][..]] {
                let out = f.cmd().args(cmd).args(["--format", format]).output().unwrap();
                let text = format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                prop_assert!(
                    matches!(out.status.code(), Some(0..=2)),
                    "{cmd:?} {format}: {:?}\n{text}", out.status
                );
                if cmd == ["scan", "."] {
                    // The token is found (so the property is not met by missing it).
                    prop_assert_eq!(out.status.code(), Some(1), "{}", text);
                }
                prop_assert!(
                    !text.contains(&t[6..]),
                    "{cmd:?} {format} printed the token (place {place}):\n{text}"
                );
            }
        }
    }
}
