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
}
