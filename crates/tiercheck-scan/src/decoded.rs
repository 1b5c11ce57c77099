//! Values a file holds encoded: the `data:` of a Kubernetes `Secret` is base64, so a secret
//! there matches no rule as written. Each such value is decoded and scanned as the line
//! `KEY=value` would be (so that both vendor formats and secret-like names count), and each
//! finding is reported at the encoded value's place in the file.

use base64::Engine as _;

/// The largest encoded value decoded.
const MAX_ENCODED: usize = 64 * 1024;

/// One encoded value of a Kubernetes Secret's `data:`: its key, its text, and where it is
/// (1-based line, 1-based column in characters, byte length).
pub(crate) struct Encoded<'t> {
    pub key: &'t str,
    pub value: &'t str,
    pub line: u64,
    pub column: u64,
    /// Byte offset of the value in the text.
    pub offset: usize,
}

/// Whether the text declares a Kubernetes `Secret` object.
fn is_k8s_secret(text: &str) -> bool {
    // Two substring searches pass over nearly every file at memchr speed.
    if !text.contains("Secret") || !text.contains("kind:") {
        return false;
    }
    text.lines().any(|l| {
        let t = l.trim();
        t == "kind: Secret" || t == "kind: \"Secret\"" || t == "kind: 'Secret'"
    })
}

/// The base64 values under each `data:` of a Kubernetes Secret in `text` (several objects
/// in one file, separated by `---`, included).
pub(crate) fn k8s_secret_data(text: &str) -> Vec<Encoded<'_>> {
    if !is_k8s_secret(text) {
        return Vec::new();
    }
    let mut out = Vec::new();
    // The indentation of the `data:` line whose block we are in.
    let mut block: Option<usize> = None;
    let mut line_start = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let start = line_start;
        line_start += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if let Some(d) = block {
            if indent <= d {
                block = None;
            } else if let Some((key, rest)) = t.split_once(':') {
                let v = rest.trim().trim_matches(|c| c == '"' || c == '\'');
                let key = key.trim().trim_matches(|c| c == '"' || c == '\'');
                if !v.is_empty()
                    && v.len() <= MAX_ENCODED
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
                {
                    // The value's byte offset in the line, then its column in characters.
                    let at = line.find(v).unwrap_or(indent);
                    let column = line[..at].chars().count() as u64 + 1;
                    out.push(Encoded {
                        key,
                        value: v,
                        line: i as u64 + 1,
                        column,
                        offset: start + at,
                    });
                }
                continue;
            }
        }
        if t == "data:" {
            block = Some(indent);
        }
    }
    out
}

/// The decoded text of a base64 value, when it is text (not binary, valid UTF-8).
pub(crate) fn decode(value: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(value))
        .ok()?;
    if crate::content::is_binary(&bytes) {
        return None;
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_data_of_a_secret_and_nothing_else() {
        let text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\ndata:\n  DB_PASSWORD: c3VwZXJzZWNyZXQ=\n  # a comment\n  \"API_TOKEN\": 'dG9rZW4='\nstringData:\n  plain: text\n";
        let found = k8s_secret_data(text);
        let got: Vec<(&str, &str, u64, u64)> = found
            .iter()
            .map(|e| (e.key, e.value, e.line, e.column))
            .collect();
        assert_eq!(
            got,
            vec![
                ("DB_PASSWORD", "c3VwZXJzZWNyZXQ=", 7, 16),
                ("API_TOKEN", "dG9rZW4=", 9, 17)
            ]
        );
        assert_eq!(decode("c3VwZXJzZWNyZXQ=").as_deref(), Some("supersecret"));
        assert!(k8s_secret_data("kind: ConfigMap\ndata:\n  a: c3VwZXI=\n").is_empty());
        assert_eq!(decode("AAEC"), None, "binary is not text");
    }
}
