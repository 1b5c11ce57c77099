//! `--format html`: one self-contained page (no script, no external asset), its text escaped
//! and secrets redacted; rendered in headless Chromium (Debian's `chromium`) to check the
//! DOM a person sees and to take a screenshot, skipped with the reason where Chromium is
//! absent.

mod common;

use std::path::{Path, PathBuf};

use common::Fixture;

fn token() -> String {
    format!("ghp_{}", "Zq8Xw2Lm4Np6Rt1Vb3Kc5Hd7Jf9Gs0Ya2Ue4")
}

fn fixture() -> Fixture {
    let f = Fixture::repo();
    let at = "@";
    f.write(
        ".tier.yaml",
        "version: 1\nname: \"<b>export</b>\"\naudience: employees\ndata: personal\nowner: jane@corp.example\n",
    );
    f.write(
        "export.py",
        format!(
            "TOKEN = \"{}\"\nprint(open('people.csv').read())\n",
            token()
        ),
    );
    f.write("people.csv", format!("email\nann.lee{at}gmail.com\n"));
    f.write("<img src=x onerror=alert(1)>.txt", "hello\n");
    f
}

fn html(f: &Fixture) -> String {
    let out = f
        .cmd()
        .args(["verify", ".", "--format", "html"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_page_is_self_contained_escaped_and_redacted() {
    let f = fixture();
    let page = html(&f);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.contains(&token()), "a secret in the page");
    for outside in ["<script", " src=", "href=\"http", "@import", "url("] {
        assert!(!page.contains(outside), "{outside} in the page");
    }
    assert!(
        page.contains("default-src 'none'"),
        "a CSP that forbids everything else"
    );
    assert!(page.contains("FAIL at T2 Internal Tool"), "{page}");
    assert!(page.contains("Data in the files"));
    assert!(
        page.contains("<td><code>people.csv:2</code></td>"),
        "{page}"
    );
    assert!(!page.contains("<img"), "file names are escaped");
    // The matrix too.
    let out = f
        .cmd()
        .args(["matrix", "--format", "html"])
        .output()
        .unwrap();
    let m = String::from_utf8(out.stdout).unwrap();
    assert!(m.contains("<table class=\"matrix\">") && m.contains("not required"));
}

/// The headless Chromium of Debian's `chromium` package, if installed.
fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        })
}

fn run_chromium(bin: &Path, args: &[&str], home: &Path) -> std::process::Output {
    std::process::Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-extensions",
        ])
        .args(args)
        .env("HOME", home)
        .output()
        .unwrap()
}

#[test]
fn chromium_renders_the_page_a_person_sees() {
    let Some(bin) = chromium() else {
        eprintln!("skipped: Chromium is not installed (Debian: apt-get install chromium)");
        return;
    };
    let f = fixture();
    let file = f.path().join("report.html");
    std::fs::write(&file, html(&f)).unwrap();
    let url = format!("file://{}", file.display());
    let home = tempfile::tempdir().unwrap();
    let out = run_chromium(&bin, &["--dump-dom", &url], home.path());
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("FAIL at T2 Internal Tool"),
        "{dom}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One row per requirement of the policy, with its status in words.
    let rows = dom.matches("<tr class=").count();
    assert_eq!(rows, 10, "{dom}");
    assert!(dom.contains("not required"));
    assert!(!dom.contains(&token()));
    let shot = f.path().join("report.png");
    let out = run_chromium(
        &bin,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,1600",
            &url,
        ],
        home.path(),
    );
    let png = std::fs::read(&shot).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    assert!(png.len() > 10_000, "the screenshot shows something");
}
