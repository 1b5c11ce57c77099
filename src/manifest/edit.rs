//! Targeted textual edits of `.tier.yaml` that keep the user's comments, order and other
//! fields (rewriting the file through serde would drop comments).

/// Sets a top-level `key: value` scalar: replaces the value on the existing line (keeping a
/// trailing comment), or appends the line when the key is absent.
pub fn set_top_level(text: &str, key: &str, value: &str) -> String {
    let prefix = format!("{key}:");
    let mut out = String::with_capacity(text.len() + key.len() + value.len() + 4);
    let mut done = false;
    for line in text.split_inclusive('\n') {
        if !done && line.starts_with(&prefix) {
            let rest = &line[prefix.len()..];
            let comment = rest.find(" #").map(|i| rest[i..].trim_end()).unwrap_or("");
            out.push_str(&prefix);
            out.push(' ');
            out.push_str(value);
            if !comment.is_empty() {
                out.push(' ');
                out.push_str(comment.trim_start());
            }
            out.push('\n');
            done = true;
        } else {
            out.push_str(line);
        }
    }
    if !done {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("{prefix} {value}\n"));
    }
    out
}

/// A YAML scalar for `s`: plain when that reads back as the same string, else double-quoted.
pub fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.@/+-".contains(c))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n" | "nan" | "inf"
        );
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("\"{}\"", s.replace('"', "'")))
    }
}

/// Splits a line into its content and a trailing ` # comment` (outside quotes).
fn split_comment(line: &str) -> (&str, &str) {
    let (mut single, mut double) = (false, false);
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' if !double => single = !single,
            b'"' if !single && (i == 0 || bytes[i - 1] != b'\\') => double = !double,
            b'#' if !single && !double && (i == 0 || bytes[i - 1].is_ascii_whitespace()) => {
                return (&line[..i], &line[i..]);
            }
            _ => {}
        }
    }
    (line, "")
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Appends an entry (`key`, already-rendered YAML scalar pairs, in order) to the top-level
/// `reviews:` list, keeping everything else byte for byte: a block list gets a new item in
/// its own indentation, `reviews: []` or an empty `reviews:` becomes a block list, a
/// one-line flow list gets a flow mapping, and a missing `reviews:` is added at the end.
pub fn append_review(text: &str, entry: &[(&str, String)]) -> Result<String, String> {
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let body = |l: &str| l.trim_end_matches(['\n', '\r']).to_string();
    let block = |dash: usize, key: usize| -> String {
        let mut out = String::new();
        for (i, (k, v)) in entry.iter().enumerate() {
            if i == 0 {
                out.push_str(&format!(
                    "{}- {}{k}: {v}{nl}",
                    " ".repeat(dash),
                    " ".repeat(key.saturating_sub(dash + 2))
                ));
            } else {
                out.push_str(&format!("{}{k}: {v}{nl}", " ".repeat(key)));
            }
        }
        out
    };
    let Some(at) = lines.iter().position(|l| {
        l.strip_prefix("reviews")
            .is_some_and(|r| r.trim_start_matches(' ').starts_with(':'))
    }) else {
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(nl);
        }
        out.push_str(&format!("reviews:{nl}"));
        out.push_str(&block(2, 4));
        return Ok(out);
    };
    let line = body(lines[at]);
    let after_colon = &line[line.find(':').map(|i| i + 1).unwrap_or(line.len())..];
    let (value, comment) = split_comment(after_colon);
    let value = value.trim();
    let head: String = lines[..at].concat();
    let tail: String = lines[at + 1..].concat();
    let keep_comment = if comment.is_empty() {
        String::new()
    } else {
        format!(" {}", comment.trim())
    };
    if value.is_empty() {
        // A block list (or nothing yet): its items are the following lines indented more than
        // the key, or at the key's column starting with `- `.
        let mut last_item = at;
        let mut dash = None;
        let mut key = None;
        for (i, l) in lines.iter().enumerate().skip(at + 1) {
            let b = body(l);
            let t = b.trim_start();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let ind = indent_of(&b);
            if ind == 0 && !t.starts_with("- ") && t != "-" {
                break;
            }
            if dash.is_none() && t.starts_with('-') {
                dash = Some(ind);
                let rest = t[1..].trim_start_matches(' ');
                key = Some(ind + (t.len() - rest.len()));
            }
            last_item = i;
        }
        let (dash, key) = match (dash, key) {
            (Some(d), Some(k)) => (d, k.max(d + 2)),
            _ => (2, 4),
        };
        let mut out: String = lines[..=last_item].concat();
        if !out.ends_with('\n') {
            out.push_str(nl);
        }
        out.push_str(&block(dash, key));
        out.push_str(&lines[last_item + 1..].concat());
        return Ok(out);
    }
    if value == "[]" || value == "~" || value == "null" {
        let mut out = head;
        out.push_str(&format!("reviews:{keep_comment}{nl}"));
        out.push_str(&block(2, 4));
        out.push_str(&tail);
        return Ok(out);
    }
    if value.starts_with('[') && value.ends_with(']') {
        let inner = &value[1..value.len() - 1];
        let item: Vec<String> = entry.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let sep = if inner.trim().is_empty() { "" } else { ", " };
        let mut out = head;
        out.push_str(&format!(
            "reviews: [{}{sep}{{{}}}]{keep_comment}{nl}",
            inner.trim_end(),
            item.join(", ")
        ));
        out.push_str(&tail);
        return Ok(out);
    }
    Err(format!(
        "`reviews:` on line {} is not a list tiercheck can append to; write it as a block list (`reviews:` followed by `- by: ...` items)",
        at + 1
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_in_place_and_keeps_comments() {
        let t = "# mine\nversion: 1\naudience: me   # for now\nowner: a\n";
        assert_eq!(
            set_top_level(t, "audience", "external"),
            "# mine\nversion: 1\naudience: external # for now\nowner: a\n"
        );
        assert_eq!(
            set_top_level("owner: a", "data", "none"),
            "owner: a\ndata: none\n"
        );
    }

    fn entry() -> Vec<(&'static str, String)> {
        vec![("by", "a@x.example".into()), ("kind", "self".into())]
    }

    #[test]
    fn review_block_created_at_end() {
        assert_eq!(
            append_review("owner: a # me", &entry()).unwrap(),
            "owner: a # me\nreviews:\n  - by: a@x.example\n    kind: self\n"
        );
    }

    #[test]
    fn review_appended_in_existing_indentation() {
        let t = "reviews:\n- by: b\n  kind: self # old\n# trailing note\nwaivers: []\n";
        assert_eq!(
            append_review(t, &entry()).unwrap(),
            "reviews:\n- by: b\n  kind: self # old\n- by: a@x.example\n  kind: self\n# trailing note\nwaivers: []\n"
        );
        let t = "reviews:   # who read it\n    -   by: b\n        kind: self\n\nowner: x\n";
        assert_eq!(
            append_review(t, &entry()).unwrap(),
            "reviews:   # who read it\n    -   by: b\n        kind: self\n    -   by: a@x.example\n        kind: self\n\nowner: x\n"
        );
    }

    #[test]
    fn empty_and_flow_lists() {
        assert_eq!(
            append_review("reviews: [] # none yet\r\nowner: a\r\n", &entry()).unwrap(),
            "reviews: # none yet\r\n  - by: a@x.example\r\n    kind: self\r\nowner: a\r\n"
        );
        assert_eq!(
            append_review("reviews: [{by: b, kind: self}]\n", &entry()).unwrap(),
            "reviews: [{by: b, kind: self}, {by: a@x.example, kind: self}]\n"
        );
        assert!(append_review("reviews: [\n  {by: b}]\n", &entry()).is_err());
        assert_eq!(
            append_review("reviews:\nowner: a\n", &entry()).unwrap(),
            "reviews:\n  - by: a@x.example\n    kind: self\nowner: a\n"
        );
    }

    #[test]
    fn scalars_that_would_change_meaning_are_quoted() {
        assert_eq!(scalar("jane@corp.example"), "jane@corp.example");
        assert_eq!(scalar("@jane"), "\"@jane\"");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("1234e5"), "\"1234e5\"");
        assert_eq!(scalar("Jane <j@x>"), "\"Jane <j@x>\"");
        assert_eq!(scalar("a: b # c"), "\"a: b # c\"");
    }

    #[test]
    fn every_shape_reads_back_with_one_more_review() {
        let full: Vec<(&str, String)> = vec![
            ("by", scalar("@jane")),
            ("kind", "self".into()),
            ("digest", format!("sha256:{}", "b".repeat(64))),
            ("date", "2026-11-20".into()),
            (
                "commit",
                "\"0123456789abcdef0123456789abcdef01234567\"".into(),
            ),
            (
                "note",
                serde_json::to_string("it's: fine # really").unwrap(),
            ),
        ];
        let old = format!(
            "- by: a\n  kind: self\n  digest: sha256:{}\n  date: 2026-01-01\n",
            "a".repeat(64)
        );
        let indented: String = old.lines().map(|l| format!("    {l}\n")).collect();
        let shapes = [
            String::new(),
            "owner: x".to_string(),
            "reviews:\n".to_string(),
            "reviews: []\nowner: x\n".to_string(),
            "reviews: ~ # later\n".to_string(),
            format!("reviews:\n{old}# end\nowner: x\n"),
            format!("owner: x\nreviews: # list\n\n{indented}\n    # between\n"),
            format!(
                "reviews:\n  - by: a\n    kind: self\n    digest: sha256:{}\n    date: 2026-01-01\n    note: |\n      line one\n      line two\nowner: x\n",
                "a".repeat(64)
            ),
            format!(
                "reviews: [{{by: a, kind: self, digest: \"sha256:{}\", date: 2026-01-01}}]\n",
                "a".repeat(64)
            ),
        ];
        for text in shapes {
            // `reviews:` with no value is null, which the manifest itself rejects.
            let before = crate::manifest::parse(&text, std::path::Path::new("m"))
                .map(|m| m.manifest.reviews.len())
                .unwrap_or(0);
            let edited = append_review(&text, &full).unwrap();
            let m = crate::manifest::parse(&edited, std::path::Path::new("m"))
                .unwrap_or_else(|e| panic!("{e}\n--- from\n{text}\n--- to\n{edited}"));
            assert_eq!(m.manifest.reviews.len(), before + 1, "{edited}");
            let r = m.manifest.reviews.last().unwrap();
            assert_eq!(r.by.value, "@jane");
            assert_eq!(r.note.as_deref(), Some("it's: fine # really"));
            // Every other line is kept, in order.
            let mut rest = edited.lines();
            for line in text.lines().filter(|l| !l.starts_with("reviews")) {
                assert!(rest.any(|l| l == line), "lost `{line}`:\n{edited}");
            }
        }
    }
}
