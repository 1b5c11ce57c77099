//! `tiercheck assess` asking its questions on a terminal. The test opens its own
//! pseudo-terminal, so it runs the same way in CI, where there is no terminal.
#![cfg(unix)]

mod common;

use std::process::Command;
use std::time::Duration;

use common::Fixture;
use expectrl::{Eof, Expect, Session};

const DOWN: &str = "\x1b[B";
const ENTER: &str = "\r";

fn spawn(f: &Fixture, args: &[&str]) -> expectrl::session::OsSession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tiercheck"));
    cmd.current_dir(f.path())
        .env("TIERCHECK_TODAY", common::TODAY)
        .env("TERM", "xterm-256color")
        // Wide enough that the lines these tests expect are not wrapped.
        .env("COLUMNS", "160")
        .env_remove("NO_COLOR")
        .env_remove("TIERCHECK_POLICY")
        .args(args);
    let mut s = Session::spawn(cmd).expect("spawn on a pty");
    s.set_expect_timeout(Some(Duration::from_secs(20)));
    s
}

fn exit_code(s: &expectrl::session::OsSession) -> i32 {
    match s.get_process().wait().expect("wait") {
        expectrl::process::unix::WaitStatus::Exited(_, code) => code,
        other => panic!("tiercheck did not exit normally: {other:?}"),
    }
}

#[test]
fn questionnaire_with_arrow_keys_prints_the_tier() {
    let f = Fixture::repo();
    let mut s = spawn(&f, &["--color", "never", "assess"]);
    s.expect("Who will use the output of this code?").unwrap();
    // The help text of each answer is shown beside its label.
    s.expect("Customers, partners or anyone outside the company")
        .unwrap();
    // Only me → Employees → People outside the company.
    s.send(DOWN).unwrap();
    s.send(DOWN).unwrap();
    s.send(ENTER).unwrap();
    s.expect("What data does it touch?").unwrap();
    s.send(ENTER).unwrap(); // No real data.
    s.expect(
        "Tier T3 External/Shared: audience 'external' → T3 (rule: shared outside the company)",
    )
    .unwrap();
    s.expect("FAIL at T3").unwrap();
    s.expect(Eof).unwrap();
    assert_eq!(exit_code(&s), 1);
}

#[test]
fn questionnaire_asks_only_what_the_flags_leave_open_and_writes_it() {
    let f = Fixture::repo();
    let mut s = spawn(
        &f,
        &["--color", "never", "assess", "--audience", "me", "--write"],
    );
    s.expect("What data does it touch?").unwrap();
    // No real data → Synthetic → Internal data.
    s.send(DOWN).unwrap();
    s.send(DOWN).unwrap();
    s.send(ENTER).unwrap();
    s.expect("Tier T2 Internal Tool: audience 'me', data 'internal' → T2")
        .unwrap();
    s.expect(Eof).unwrap();
    assert_eq!(exit_code(&s), 1);
    let text = f.read(".tier.yaml");
    assert!(text.contains("audience: me\n"), "{text}");
    assert!(text.contains("data: internal\n"), "{text}");
}

#[test]
fn escape_stops_the_questionnaire_with_exit_2() {
    let f = Fixture::repo();
    let mut s = spawn(&f, &["assess"]);
    s.expect("Who will use the output of this code?").unwrap();
    s.send("\x1b").unwrap();
    s.expect("questionnaire stopped").unwrap();
    s.expect(Eof).unwrap();
    assert_eq!(exit_code(&s), 2);
    assert!(!f.path().join(".tier.yaml").exists());
}

fn output_on_a_terminal(no_color: bool) -> String {
    let f = Fixture::new();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tiercheck"));
    cmd.current_dir(f.path())
        .env("TERM", "xterm-256color")
        .arg("matrix");
    if no_color {
        cmd.env("NO_COLOR", "1");
    } else {
        cmd.env_remove("NO_COLOR");
    }
    let mut s = Session::spawn(cmd).expect("spawn on a pty");
    s.set_expect_timeout(Some(Duration::from_secs(20)));
    let found = s.expect(Eof).unwrap();
    String::from_utf8_lossy(found.as_bytes()).into_owned()
}

#[test]
fn table_is_colored_on_a_terminal_unless_no_color() {
    let colored = output_on_a_terminal(false);
    assert!(colored.contains("\x1b[32m✓"), "{colored}");
    let plain = output_on_a_terminal(true);
    assert!(plain.contains("ownership"), "{plain}");
    assert!(!plain.contains('\x1b'), "{plain}");
}

#[test]
fn assess_on_a_terminal_ends_with_a_numbered_to_do_list() {
    let f = Fixture::new();
    let at = "@";
    f.write("demo.py", "print(open('people.csv').read())\n");
    f.write("people.csv", format!("email\nann.lee{at}gmail.com\n"));
    let mut s = spawn(
        &f,
        &[
            "--color",
            "never",
            "assess",
            "demo.py",
            "--audience",
            "external",
            "--data",
            "none",
        ],
    );
    s.expect("To do:").unwrap();
    s.expect(
        " 1. Give the answer the files show: `tiercheck assess demo.py --data personal --write`",
    )
    .unwrap();
    s.expect(" 2. ownership: Set `owner:` in demo.py.tier.yaml")
        .unwrap();
    s.expect("human-review: Read the code and what it produces, then run `tiercheck review demo.py --by <owner> --kind self`")
        .unwrap();
    s.expect(Eof).unwrap();
    assert_eq!(exit_code(&s), 1);
    // Piped, the report ends with the verdict: the list is for people at a terminal.
    let out = common::tiercheck()
        .current_dir(f.path())
        .args([
            "assess",
            "demo.py",
            "--audience",
            "external",
            "--data",
            "none",
        ])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("To do:"));
}

#[test]
fn a_long_scan_shows_a_spinner_on_a_terminal_but_not_in_ci() {
    let f = Fixture::repo();
    for i in 0..3000 {
        f.write(
            &format!("d{}/f{i}.txt", i % 30),
            format!("line {i}\n").repeat(50),
        );
    }
    let spawn_scan = |ci: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tiercheck"));
        cmd.current_dir(f.path())
            .env("TERM", "xterm-256color")
            .env("TIERCHECK_PROGRESS_AFTER_MS", "0")
            .env_remove("TIERCHECK_POLICY")
            .args(["--color", "never", "scan", "."]);
        match ci {
            Some(v) => cmd.env("CI", v),
            None => cmd.env_remove("CI"),
        };
        let mut s = Session::spawn(cmd).expect("spawn on a pty");
        s.set_expect_timeout(Some(Duration::from_secs(60)));
        s
    };
    let mut s = spawn_scan(None);
    s.expect("scanning .").unwrap();
    s.expect("3000 files").unwrap();
    s.expect(Eof).unwrap();
    let mut s = spawn_scan(Some("true"));
    let seen = s.expect("3000 files").unwrap();
    assert!(
        !String::from_utf8_lossy(seen.before()).contains("scanning ."),
        "no spinner in CI"
    );
    s.expect(Eof).unwrap();
}
