//! Validators: checks written in Rust that a candidate value must pass before it is reported,
//! for formats a regex cannot verify (checksums, number ranges, decodable structure). Each is
//! written from the format's definition.

/// Names a rule's `validate:` may use.
pub const VALIDATORS: &[&str] = &[
    "luhn",
    "iban",
    "us-ssn",
    "jwt",
    "phone-e164",
    "private-key-block",
];

/// A validator, resolved from its name once when the scanner is compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Payment card number with a valid Luhn check digit.
    Luhn,
    /// IBAN with the country's length and a valid mod-97 checksum.
    Iban,
    /// US social security number in the ranges ever issued.
    UsSsn,
    /// JSON Web Token whose header decodes to JSON naming `alg`.
    Jwt,
    /// E.164 telephone number.
    PhoneE164,
    /// A PEM private key block with a body and a matching END line.
    PrivateKeyBlock,
}

impl Check {
    /// The validator with this name, if any (see [`VALIDATORS`]).
    pub fn from_name(name: &str) -> Option<Check> {
        Some(match name {
            "luhn" => Check::Luhn,
            "iban" => Check::Iban,
            "us-ssn" => Check::UsSsn,
            "jwt" => Check::Jwt,
            "phone-e164" => Check::PhoneE164,
            "private-key-block" => Check::PrivateKeyBlock,
            _ => return None,
        })
    }

    /// Whether `value`, found at byte `at` of `text`, passes.
    pub fn check(self, value: &str, text: &str, at: usize) -> bool {
        match self {
            Check::Luhn => luhn(value),
            Check::Iban => iban(value),
            Check::UsSsn => us_ssn(value),
            Check::Jwt => jwt(value),
            Check::PhoneE164 => phone_e164(value),
            Check::PrivateKeyBlock => private_key_block(text, at),
        }
    }
}

/// Digits of `value`, allowing spaces and dashes between them; `None` if anything else.
fn digits(value: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'0'..=b'9' => out.push(b - b'0'),
            b' ' | b'-' => {}
            _ => return None,
        }
    }
    Some(out)
}

/// A card number (12 to 19 digits, spaces or dashes allowed) with a valid Luhn checksum.
pub fn luhn(value: &str) -> bool {
    let Some(d) = digits(value) else {
        return false;
    };
    if !(12..=19).contains(&d.len()) || d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let x = u32::from(x);
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 { y - 9 } else { y }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// IBAN length per country (ISO 13616 registry).
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BI", 27),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DJ", 27),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FK", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MN", 20),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NI", 28),
    ("NL", 18),
    ("NO", 15),
    ("OM", 23),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("RU", 33),
    ("SA", 24),
    ("SC", 31),
    ("SD", 18),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("SO", 23),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
    ("YE", 30),
];

/// An IBAN (spaces allowed) of its country's length whose mod-97 checksum is 1.
pub fn iban(value: &str) -> bool {
    let s: Vec<u8> = value
        .bytes()
        .filter(|b| *b != b' ')
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if s.len() < 15 || !s.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (country, check) = (&s[..2], &s[2..4]);
    if !country.iter().all(u8::is_ascii_uppercase) || !check.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(c, _)| c.as_bytes() == country) else {
        return false;
    };
    if s.len() != len {
        return false;
    }
    // Move the first four characters to the end, letters become 10..35, then mod 97.
    let mut rem: u32 = 0;
    for &b in s[4..].iter().chain(&s[..4]) {
        let n = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        rem = if n >= 10 {
            (rem * 100 + n) % 97
        } else {
            (rem * 10 + n) % 97
        };
    }
    rem == 1
}

/// A US SSN (`123-45-6789`, spaces or no separators) in the ranges ever issued: area not
/// 000, 666 or 900–999; group not 00; serial not 0000; and not a number published as an
/// example.
pub fn us_ssn(value: &str) -> bool {
    let Some(d) = digits(value) else {
        return false;
    };
    if d.len() != 9 {
        return false;
    }
    let num = |r: std::ops::Range<usize>| d[r].iter().fold(0u32, |a, &x| a * 10 + u32::from(x));
    let (area, group, serial) = (num(0..3), num(3..5), num(5..9));
    // Numbers printed on sample cards and in advertisements, invalid for any person.
    const PUBLISHED: &[u32] = &[78_051_120, 219_099_999, 457_555_462];
    area != 0
        && area != 666
        && area < 900
        && group != 0
        && serial != 0
        && !PUBLISHED.contains(&num(0..9))
}

/// Decodes unpadded (or padded) base64url.
fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if bits >= 6 {
        return None;
    }
    Some(out)
}

/// A JWT: three base64url segments, the first decoding to a JSON object with `alg`.
pub fn jwt(value: &str) -> bool {
    let parts: Vec<&str> = value.split('.').collect();
    if parts.len() != 3 || parts[0].is_empty() || parts[1].is_empty() {
        return false;
    }
    let url_safe = |p: &str| {
        p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=')
    };
    if !parts.iter().all(|p| url_safe(p)) {
        return false;
    }
    let Some(header) = base64url_decode(parts[0]) else {
        return false;
    };
    if base64url_decode(parts[1]).is_none() {
        return false;
    }
    matches!(
        serde_json::from_slice::<serde_json::Value>(&header),
        Ok(serde_json::Value::Object(m)) if m.contains_key("alg")
    )
}

/// An E.164 number: `+`, then 8 to 15 digits starting with a country code digit (1–9);
/// spaces, dashes, dots and parentheses between digits are allowed.
pub fn phone_e164(value: &str) -> bool {
    let Some(rest) = value.trim().strip_prefix('+') else {
        return false;
    };
    let mut d = Vec::with_capacity(16);
    for b in rest.bytes() {
        match b {
            b'0'..=b'9' => d.push(b),
            b' ' | b'-' | b'.' | b'(' | b')' => {}
            _ => return false,
        }
    }
    (8..=15).contains(&d.len()) && d[0] != b'0' && !d.iter().all(|&x| x == d[0])
}

/// How far after the BEGIN line the END line is looked for.
const KEY_BLOCK_MAX: usize = 64 * 1024;

/// A PEM-style private key block starting at or after byte `at` of `text`: a `-----BEGIN …
/// PRIVATE KEY…-----` line, a body of base64 (with optional `Name: value` headers), and the
/// matching `-----END …-----` line. Blocks written inside strings with `\n` escapes count.
pub fn private_key_block(text: &str, at: usize) -> bool {
    let mut start = at.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let rest = &text[start..];
    let Some(b) = rest.find("-----BEGIN ") else {
        return false;
    };
    let mut end = (b + KEY_BLOCK_MAX).min(rest.len());
    while !rest.is_char_boundary(end) {
        end -= 1;
    }
    let block = rest[b..end].replace("\\r\\n", "\n").replace("\\n", "\n");
    let after = &block["-----BEGIN ".len()..];
    let Some(close) = after.find("-----") else {
        return false;
    };
    let label = &after[..close];
    if !label.contains("PRIVATE KEY") || label.contains('\n') {
        return false;
    }
    let end_line = format!("-----END {label}-----");
    let Some(end_at) = after.find(&end_line) else {
        return false;
    };
    let body = &after[close + 5..end_at];
    let mut b64 = 0usize;
    for line in body.lines() {
        let line = undecorated(line)
            .trim_matches(|c| c == '"' || c == '\'' || c == ',' || c == '+')
            .trim();
        if line.is_empty() || line.contains(": ") {
            // Blank lines and RFC 1421 headers (Proc-Type, DEK-Info, Version).
            continue;
        }
        if !line
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=')
        {
            return false;
        }
        b64 += line.len();
    }
    // The smallest real keys (Ed25519 in OpenSSH form) have well over 64 base64 characters.
    b64 >= 64
}

/// A line of a key block without what code puts in front of each line of a block it
/// quotes: indentation, comment markers (`//`, `//!`, `///`, `#`, `*`, `;`), a margin
/// (`|`, Kotlin's `trimMargin`), a quote (`>`) or a string's opening quote.
fn undecorated(line: &str) -> &str {
    let mut l = line.trim();
    loop {
        let t = l.trim_start_matches([' ', '\t', '|', '#', '*', ';', '>', '"', '\'', '`']);
        let t = match t.strip_prefix("//") {
            Some(r) => r.trim_start_matches(['/', '!']),
            None => t,
        };
        if t.len() == l.len() {
            return l.trim_end();
        }
        l = t;
    }
}

/// Shannon entropy of `value` in bits per byte.
pub fn shannon_entropy(value: &str) -> f64 {
    let bytes = value.as_bytes();
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_resolves() {
        for n in VALIDATORS {
            assert!(Check::from_name(n).is_some(), "{n}");
        }
        assert_eq!(Check::from_name("crc"), None);
    }

    #[test]
    fn luhn_accepts_valid_and_rejects_invalid() {
        // Test values are assembled at run time: the repository holds none whole.
        let card = ["4539", "1488", "0343", "6467"];
        assert!(luhn(&card.join(" ")));
        assert!(luhn(&card.join("-")));
        assert!(luhn("378282246310005"));
        assert!(!luhn("4539 1488 0343 6468"));
        assert!(!luhn("0000 0000 0000 0000"));
        assert!(!luhn("12345"));
        assert!(!luhn("4539x1488x0343x6467"));
    }

    #[test]
    fn iban_checks_length_and_mod97() {
        // The IBAN registry's examples, assembled at run time.
        assert!(iban(&["GB82 WEST", "1234 5698 7654 32"].join(" ")));
        assert!(iban(&["DE8937040044", "0532013000"].concat()));
        assert!(iban(&["NO93", "86011117947"].concat()));
        assert!(!iban("GB82 WEST 1234 5698 7654 33"));
        assert!(!iban("DE8937040044053201300"), "one digit short");
        assert!(!iban("ZZ89370400440532013000"), "unknown country");
        assert!(!iban("DE89-3704-0044-0532-0130-00"));
    }

    #[test]
    fn ssn_ranges() {
        assert!(us_ssn("123-45-6789"));
        assert!(us_ssn("123456789"));
        assert!(us_ssn("899 99 9999"));
        assert!(!us_ssn("000-12-3456"));
        assert!(!us_ssn("666-12-3456"));
        assert!(!us_ssn("900-12-3456"));
        assert!(!us_ssn("123-00-4567"));
        assert!(!us_ssn("123-45-0000"));
        assert!(!us_ssn("078-05-1120"));
        assert!(!us_ssn("12-345-678"));
    }

    #[test]
    fn jwt_needs_json_header_with_alg() {
        // {"alg":"HS256","typ":"JWT"} . {"sub":"1"} . signature
        // Assembled at run time, so that this file holds no token for a scan to find.
        let ok = [
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
            ".eyJzdWIiOiIxIn0.c2lnbmF0dXJlX2J5dGVz",
        ]
        .concat();
        assert!(jwt(&ok));
        // {"typ":"JWT"} has no alg.
        assert!(!jwt("eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln"));
        assert!(!jwt("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0"));
        assert!(!jwt("not.a.jwt"));
        assert!(!jwt("eyJhbGci!.eyJzdWIiOiIxIn0.c2ln"));
    }

    #[test]
    fn base64url_round_trip() {
        assert_eq!(base64url_decode("aGVsbG8").unwrap(), b"hello");
        assert_eq!(base64url_decode("aGVsbG8=").unwrap(), b"hello");
        assert!(base64url_decode("a").is_none());
    }

    #[test]
    fn e164_numbers() {
        assert!(phone_e164(&["+1415", "5552671"].concat()));
        assert!(phone_e164("+44 20 7946 0958"));
        assert!(phone_e164(&["+49 (30)", "901820"].join(" ")));
        assert!(!phone_e164("14155552671"), "no plus");
        assert!(!phone_e164("+0123456789"), "no country code starts with 0");
        assert!(!phone_e164("+1234567"), "too short");
        assert!(!phone_e164("+1234567890123456"), "too long");
        assert!(!phone_e164("+11111111111"));
    }

    fn body(lines: usize) -> String {
        (0..lines)
            .map(|i| {
                format!(
                    "{}\n",
                    "MIIEowIBAAKCAQEA7bq9Xy3+Kf0Q/Zz8w1u2v3w4x5y6z7A8B9C0D1E2".repeat(1 + i % 2)
                )
            })
            .collect()
    }

    #[test]
    fn private_key_block_in_comments_and_margins() {
        let lines = |prefix: &str| {
            format!(
                "{prefix}-----BEGIN PRIVATE KEY-----\n{}{prefix}-----END PRIVATE KEY-----\n",
                body(2)
                    .lines()
                    .map(|l| format!("{prefix}{l}\n"))
                    .collect::<String>()
            )
        };
        for prefix in ["//! ", "/// ", "# ", " * ", "        |", "> ", "\t"] {
            assert!(private_key_block(&lines(prefix), 0), "{prefix:?}");
        }
        // A decoration is not a body: prose between the lines still fails.
        let prose = "// -----BEGIN PRIVATE KEY-----\n// paste your key here\n// -----END PRIVATE KEY-----\n";
        assert!(!private_key_block(prose, 0));
    }

    #[test]
    fn private_key_block_needs_body_and_end() {
        let pem = format!(
            "key = '''\n-----BEGIN RSA PRIVATE KEY-----\n{}-----END RSA PRIVATE KEY-----\n'''",
            body(4)
        );
        assert!(private_key_block(&pem, 0));
        let escaped = format!(
            "{{\"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----\\n\"}}",
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7".repeat(3)
        );
        assert!(private_key_block(&escaped, 0));
        let placeholder = "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n";
        assert!(!private_key_block(placeholder, 0));
        let unmatched = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}-----END EC PRIVATE KEY-----\n",
            body(4)
        );
        assert!(!private_key_block(&unmatched, 0));
        let public = format!(
            "-----BEGIN PUBLIC KEY-----\n{}-----END PUBLIC KEY-----\n",
            body(4)
        );
        assert!(!private_key_block(&public, 0));
        let encrypted = format!(
            "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n{}-----END EC PRIVATE KEY-----",
            body(2)
        );
        assert!(private_key_block(&encrypted, 0));
    }

    #[test]
    fn entropy_orders_strings() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
        assert!(shannon_entropy("x9Kq2LmP8vR4tZ7w") > shannon_entropy("passwordpassword"));
    }
}
