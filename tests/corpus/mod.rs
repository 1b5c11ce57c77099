//! A deterministic, labeled corpus for measuring the scanner's accuracy.
//!
//! Every value is random and built at run time in the *documented format* of its vendor
//! (prefix, length, alphabet, checksum) — never a real credential, and never copied from
//! the rules in `policies/default.yaml`: this file and the rules are both written from the
//! format definitions, independently. Values are planted in realistic files of many kinds
//! (.env, YAML, JSON, Python, JavaScript, Go, Dockerfile, Terraform, properties, INI, shell,
//! notebooks, AI-assistant instruction files, chat histories, CSV exports) with a label
//! `(path, line, category)`, between filler lines and hard negatives (UUIDs, git SHAs,
//! digests, base64 blobs, integrity hashes, placeholders, vendor example keys, test cards,
//! Luhn-invalid numbers, bad IBAN checksums, invalid SSNs, version strings, timestamps,
//! random ids, order numbers, wrong-length or wrong-alphabet near misses).

#![allow(dead_code)]

use std::collections::BTreeMap;

/// splitmix64: small, fast, and the same sequence on every platform.
/// The state is a `Cell` so that draws can nest (`r.string(HEX, r.range(8, 12))`).
pub struct Rng(std::cell::Cell<u64>);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(std::cell::Cell::new(seed))
    }
    pub fn next_u64(&self) -> u64 {
        self.0.set(self.0.get().wrapping_add(0x9E37_79B9_7F4A_7C15));
        let mut z = self.0.get();
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n`.
    pub fn below(&self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// A number in `lo..=hi`.
    pub fn range(&self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    pub fn chance(&self, percent: usize) -> bool {
        self.below(100) < percent
    }
    pub fn pick<T: Copy>(&self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
    /// `n` characters drawn from `alphabet`.
    pub fn string(&self, alphabet: &str, n: usize) -> String {
        let a = alphabet.as_bytes();
        (0..n).map(|_| a[self.below(a.len())] as char).collect()
    }
}

pub const DIGITS: &str = "0123456789";
pub const HEX: &str = "0123456789abcdef";
pub const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
pub const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
pub const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub const UPPER_ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub const LETTERS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const BASE32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub const B64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// What people put in generated passwords (no quotes, `$`, `#`, `;`, spaces or `\`).
pub const PASSWORD: &str =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!@%^&*-_=+.~";

/// `secret` or `pii`.
pub type Category = &'static str;

/// How a planted value is written into a file.
#[derive(Clone, Debug)]
pub enum Form {
    /// `name = value` in the file's own syntax.
    Assign { name: String, value: String },
    /// The value alone in prose, a comment or a string (self-identifying formats only).
    Bare(String),
    /// Several lines written as they are (private keys, key files); the label is on the
    /// line at `label_at`.
    Block { lines: Vec<String>, label_at: usize },
}

/// A value to plant: a positive (`category` set) or a hard negative (`None`).
#[derive(Clone, Debug)]
pub struct Item {
    /// The format (for positives) or the kind of decoy (for negatives).
    pub kind: &'static str,
    pub category: Option<Category>,
    pub form: Form,
}

impl Item {
    fn pos(kind: &'static str, category: Category, form: Form) -> Item {
        Item {
            kind,
            category: Some(category),
            form,
        }
    }
    fn neg(kind: &'static str, form: Form) -> Item {
        Item {
            kind,
            category: None,
            form,
        }
    }
}

fn assign(name: impl AsRef<str>, value: impl Into<String>) -> Form {
    Form::Assign {
        name: name.as_ref().to_string(),
        value: value.into(),
    }
}

/// One planted value's place in the corpus.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Label {
    pub path: String,
    pub line: u64,
    pub category: Category,
    pub kind: &'static str,
}

/// A generated file.
pub struct File {
    pub path: String,
    pub text: String,
}

/// Files with the positions of every planted value, and the count of planted negatives.
pub struct Corpus {
    pub files: Vec<File>,
    pub labels: Vec<Label>,
    pub negatives: BTreeMap<&'static str, usize>,
}

// ---------------------------------------------------------------------------------------
// Values in each vendor's documented format.
// ---------------------------------------------------------------------------------------

fn uuid(r: &Rng) -> String {
    format!(
        "{}-{}-4{}-{}{}-{}",
        r.string(HEX, 8),
        r.string(HEX, 4),
        r.string(HEX, 3),
        r.pick(&["8", "9", "a", "b"]),
        r.string(HEX, 3),
        r.string(HEX, 12)
    )
}

fn b64_encode(bytes: &[u8], url: bool) -> String {
    let alphabet = if url { B64URL } else { B64 }.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..4 {
            if i < chars {
                out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else if !url {
                out.push('=');
            }
        }
    }
    out
}

pub fn luhn_complete(r: &Rng, prefix: &str, len: usize) -> String {
    let mut d: Vec<u32> = prefix.bytes().map(|b| u32::from(b - b'0')).collect();
    while d.len() < len - 1 {
        d.push(r.below(10) as u32);
    }
    let mut sum = 0;
    for (i, &x) in d.iter().rev().enumerate() {
        let v = if i % 2 == 0 { x * 2 } else { x };
        sum += if v > 9 { v - 9 } else { v };
    }
    d.push((10 - sum % 10) % 10);
    d.iter().map(|x| char::from(b'0' + *x as u8)).collect()
}

pub fn luhn_ok(s: &str) -> bool {
    let d: Vec<u32> = s
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| u32::from(b - b'0'))
        .collect();
    let mut sum = 0;
    for (i, &x) in d.iter().rev().enumerate() {
        let v = if i % 2 == 1 { x * 2 } else { x };
        sum += if v > 9 { v - 9 } else { v };
    }
    sum % 10 == 0
}

/// Groups digits for display: `groups` gives the sizes, `sep` the separator.
fn group(s: &str, groups: &[usize], sep: &str) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    for g in groups {
        out.push(&s[i..i + g]);
        i += g;
    }
    out.join(sep)
}

const TEST_CARDS: &[&str] = &[
    "4111111111111111",
    "4242424242424242",
    "4012888888881881",
    "5555555555554444",
    "5105105105105100",
    "378282246310005",
    "371449635398431",
    "6011111111111117",
    "6011000990139424",
];

/// A Luhn-valid Visa, Mastercard, Amex or Discover number, formatted as people write them.
fn card(r: &Rng) -> String {
    loop {
        let (num, amex) = match r.below(4) {
            0 => (luhn_complete(r, "4", 16), false),
            1 => {
                let p = if r.chance(70) {
                    format!("5{}", r.range(1, 5))
                } else {
                    format!("{}", r.range(2221, 2720))
                };
                (luhn_complete(r, &p, 16), false)
            }
            2 => (luhn_complete(r, r.pick(&["34", "37"]), 15), true),
            _ => (
                luhn_complete(r, r.pick(&["6011", "65", "644", "649"]), 16),
                false,
            ),
        };
        if TEST_CARDS.contains(&num.as_str()) {
            continue;
        }
        let sep = r.pick(&["", " ", "-", " "]);
        let groups: &[usize] = if amex { &[4, 6, 5] } else { &[4, 4, 4, 4] };
        return if sep.is_empty() {
            num
        } else {
            group(&num, groups, sep)
        };
    }
}

/// (country, BBAN shape): `n` digit, `a` upper letter.
const IBAN_SHAPES: &[(&str, &str)] = &[
    ("DE", "nnnnnnnnnnnnnnnnnn"),
    ("GB", "aaaannnnnnnnnnnnnn"),
    ("FR", "nnnnnnnnnnnnnnnnnnnnnnn"),
    ("ES", "nnnnnnnnnnnnnnnnnnnn"),
    ("NL", "aaaannnnnnnnnn"),
    ("IT", "annnnnnnnnnnnnnnnnnnnnn"),
    ("BE", "nnnnnnnnnnnn"),
    ("AT", "nnnnnnnnnnnnnnnn"),
    ("CH", "nnnnnnnnnnnnnnnnn"),
    ("IE", "aaaannnnnnnnnnnnnn"),
    ("PL", "nnnnnnnnnnnnnnnnnnnnnnnn"),
];

fn mod97(s: &str) -> u32 {
    let mut rem = 0u32;
    for b in s.bytes() {
        if b.is_ascii_digit() {
            rem = (rem * 10 + u32::from(b - b'0')) % 97;
        } else {
            rem = (rem * 100 + u32::from(b - b'A') + 10) % 97;
        }
    }
    rem
}

/// A checksum-valid IBAN; `valid = false` gives the same shape with wrong check digits.
pub fn iban(r: &Rng, valid: bool) -> String {
    let (cc, shape) = r.pick(IBAN_SHAPES);
    let bban: String = shape
        .chars()
        .map(|c| {
            if c == 'n' {
                r.string(DIGITS, 1)
            } else {
                r.string(UPPER, 1)
            }
        })
        .collect();
    let check = 98 - mod97(&format!("{bban}{cc}00"));
    let check = if valid {
        check
    } else {
        (check + 1 + r.below(90) as u32) % 97 + 2
    };
    let s = format!("{cc}{check:02}{bban}");
    if r.chance(50) {
        s.as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        s
    }
}

fn ssn(r: &Rng) -> (u32, u32, u32) {
    loop {
        let area = r.range(1, 899) as u32;
        if area == 666 {
            continue;
        }
        let n = (area, r.range(1, 99) as u32, r.range(1, 9999) as u32);
        if [(78, 5, 1120), (123, 45, 6789), (219, 9, 9999)].contains(&n) {
            continue;
        }
        return n;
    }
}

const FIRST: &[&str] = &[
    "james", "maria", "wei", "fatima", "olga", "liam", "sofia", "noah", "amara", "kenji", "lucas",
    "elena", "omar", "chloe", "ravi", "ingrid", "mateo", "aisha", "jonas", "priya", "tomasz",
    "yuki", "david", "leila", "samuel", "nora", "hugo", "zoe", "diego", "hannah",
];
const LAST: &[&str] = &[
    "smith",
    "garcia",
    "chen",
    "khan",
    "ivanova",
    "murphy",
    "rossi",
    "nguyen",
    "okafor",
    "tanaka",
    "silva",
    "muller",
    "haddad",
    "dubois",
    "patel",
    "larsen",
    "fernandez",
    "ali",
    "schmidt",
    "sharma",
    "nowak",
    "sato",
    "cohen",
    "rahimi",
    "baker",
    "berg",
    "martin",
    "wright",
    "lopez",
    "fischer",
];
const MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "proton.me",
    "icloud.com",
    "fastmail.com",
    "hotmail.co.uk",
    "gmx.de",
    "acme-corp.io",
    "globex.co.uk",
    "initech.com",
    "hooli.xyz",
    "umbrella-health.org",
    "wayne-enterprises.net",
    "orange.fr",
    "web.de",
];

fn email(r: &Rng) -> String {
    let (f, l) = (r.pick(FIRST), r.pick(LAST));
    let local = match r.below(5) {
        0 => format!("{f}.{l}"),
        1 => format!("{}{l}", &f[..1]),
        2 => format!("{f}_{l}{}", r.range(1, 99)),
        3 => format!("{f}{}", r.range(1970, 2005)),
        _ => format!("{f}.{l}+{}", r.pick(&["work", "shop", "news"])),
    };
    format!("{local}@{}", r.pick(MAIL_DOMAINS))
}

fn person(r: &Rng) -> String {
    let cap = |s: &str| s[..1].to_uppercase() + &s[1..];
    format!("{} {}", cap(r.pick(FIRST)), cap(r.pick(LAST)))
}

/// A North American number: area and exchange codes start 2-9.
fn nanp(r: &Rng) -> (String, String, String) {
    (
        format!("{}{}{}", r.range(2, 9), r.range(0, 8), r.below(10)),
        format!("{}{}", r.range(2, 9), r.string(DIGITS, 2)),
        r.string(DIGITS, 4),
    )
}

/// A phone number in E.164 or a written international form.
fn phone_international(r: &Rng) -> String {
    match r.below(6) {
        0 => {
            let (a, b, c) = nanp(r);
            format!("+1{a}{b}{c}")
        }
        1 => {
            let (a, b, c) = nanp(r);
            format!("+1 {a} {b} {c}")
        }
        2 => format!(
            "+44 {} {} {}",
            r.range(20, 29),
            r.string(DIGITS, 4),
            r.string(DIGITS, 4)
        ),
        3 => format!("+49 {} {}", r.range(151, 179), r.string(DIGITS, 8)),
        4 => format!(
            "+33 {} {} {} {} {}",
            r.range(1, 7),
            r.string(DIGITS, 2),
            r.string(DIGITS, 2),
            r.string(DIGITS, 2),
            r.string(DIGITS, 2)
        ),
        _ => format!(
            "+{}{}",
            r.pick(&["61", "91", "81", "34", "39"]),
            r.string(DIGITS, 9)
        ),
    }
}

/// A phone number in a national form (needs a label next to it to be told from a number).
fn phone_national(r: &Rng) -> String {
    let (a, b, c) = nanp(r);
    match r.below(5) {
        0 => format!("({a}) {b}-{c}"),
        1 => format!("{a}-{b}-{c}"),
        2 => format!("{a}.{b}.{c}"),
        3 => format!(
            "0{} {} {}",
            r.range(20, 29),
            r.string(DIGITS, 4),
            r.string(DIGITS, 4)
        ),
        _ => format!(
            "0{} {} {} {} {}",
            r.range(1, 7),
            r.string(DIGITS, 2),
            r.string(DIGITS, 2),
            r.string(DIGITS, 2),
            r.string(DIGITS, 2)
        ),
    }
}

fn pem_body(r: &Rng, bytes: usize) -> Vec<String> {
    let raw: Vec<u8> = (0..bytes).map(|_| r.below(256) as u8).collect();
    let s = b64_encode(&raw, false);
    s.as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect()
}

/// A private key block of a random kind, with a random body of a plausible size.
fn private_key(r: &Rng) -> Vec<String> {
    let (label, bytes) = r.pick(&[
        ("RSA PRIVATE KEY", 1190),
        ("PRIVATE KEY", 1218),
        ("EC PRIVATE KEY", 121),
        ("OPENSSH PRIVATE KEY", 399),
        ("ENCRYPTED PRIVATE KEY", 1298),
        ("DSA PRIVATE KEY", 444),
        ("PGP PRIVATE KEY BLOCK", 700),
    ]);
    let mut lines = vec![format!("-----BEGIN {label}-----")];
    if label.starts_with("PGP") {
        lines.push("Version: GnuPG v2".into());
        lines.push(String::new());
    }
    lines.extend(pem_body(r, bytes));
    if label.starts_with("PGP") {
        lines.push(format!("={}", r.string(B64, 4)));
    }
    lines.push(format!("-----END {label}-----"));
    lines
}

fn jwt(r: &Rng) -> String {
    let alg = r.pick(&["HS256", "RS256", "ES256", "HS512"]);
    let header = format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#);
    let payload = format!(
        r#"{{"sub":"{}","name":"{}","iat":{},"exp":{},"scope":"{}"}}"#,
        r.range(1000, 999_999),
        person(r),
        r.range(1_600_000_000, 1_760_000_000),
        r.range(1_760_000_000, 1_900_000_000),
        r.pick(&["read", "read write", "admin"])
    );
    let sig_len = if alg == "HS512" || alg == "RS256" {
        if alg == "RS256" { 256 } else { 64 }
    } else {
        32
    };
    let sig: Vec<u8> = (0..sig_len).map(|_| r.below(256) as u8).collect();
    format!(
        "{}.{}.{}",
        b64_encode(header.as_bytes(), true),
        b64_encode(payload.as_bytes(), true),
        b64_encode(&sig, true)
    )
}

fn discord_bot_token(r: &Rng) -> String {
    let id = format!("{}{}", r.range(1, 9), r.string(DIGITS, r.range(16, 18)));
    format!(
        "{}.{}.{}",
        b64_encode(id.as_bytes(), true),
        r.string(B64URL, 6),
        r.string(B64URL, 38)
    )
}

const HOSTS: &[&str] = &[
    "db.internal.acme-corp.io",
    "10.0.3.17",
    "prod-db.cluster-c9x2.eu-west-1.rds.amazonaws.com",
    "mongo-0.mongo.svc.cluster.local",
    "cache.prod.globex.net",
    "rabbit.initech.com",
];

/// A positive value of the secret format `kind`, with the name people give it.
fn secret(r: &Rng, kind: &'static str) -> Item {
    let s = "secret";
    let a = |name: &str, v: String| assign(name, v);
    let form = match kind {
        "aws-access-key-id" => a(
            "AWS_ACCESS_KEY_ID",
            format!("{}{}", r.pick(&["AKIA", "ASIA"]), r.string(BASE32, 16)),
        ),
        "aws-secret-access-key" => a("AWS_SECRET_ACCESS_KEY", r.string(B64, 40)),
        "gcp-api-key" => a(
            r.pick(&["GOOGLE_API_KEY", "MAPS_API_KEY", "FIREBASE_API_KEY"]),
            format!("AIza{}", r.string(B64URL, 35)),
        ),
        "github-classic" => a(
            r.pick(&["GITHUB_TOKEN", "GH_TOKEN", "GITHUB_PAT"]),
            format!(
                "{}{}",
                r.pick(&["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]),
                r.string(ALNUM, 36)
            ),
        ),
        "github-fine-grained" => a(
            "GITHUB_TOKEN",
            format!("github_pat_{}_{}", r.string(ALNUM, 22), r.string(ALNUM, 59)),
        ),
        "gitlab" => {
            let (p, body) = match r.below(4) {
                0 | 1 => ("glpat-", r.string(B64URL, 20)),
                2 => ("glrt-", r.string(B64URL, 20)),
                _ => ("gldt-", r.string(B64URL, 20)),
            };
            a(
                r.pick(&["GITLAB_TOKEN", "CI_JOB_TOKEN_OVERRIDE", "GITLAB_PAT"]),
                format!("{p}{body}"),
            )
        }
        "gitlab-trigger" => a(
            "GITLAB_TRIGGER_TOKEN",
            format!("glptt-{}", r.string(HEX, 40)),
        ),
        "slack-token" => {
            let v = match r.below(3) {
                0 => format!(
                    "xoxb-{}-{}-{}",
                    r.string(DIGITS, 12),
                    r.string(DIGITS, 13),
                    r.string(ALNUM, 24)
                ),
                1 => format!(
                    "xoxp-{}-{}-{}-{}",
                    r.string(DIGITS, 12),
                    r.string(DIGITS, 12),
                    r.string(DIGITS, 13),
                    r.string(HEX, 32)
                ),
                _ => format!(
                    "xapp-1-A{}-{}-{}",
                    r.string(UPPER_ALNUM, 10),
                    r.string(DIGITS, 13),
                    r.string(HEX, 64)
                ),
            };
            a(
                r.pick(&["SLACK_BOT_TOKEN", "SLACK_TOKEN", "SLACK_APP_TOKEN"]),
                v,
            )
        }
        "slack-webhook" => a(
            "SLACK_WEBHOOK_URL",
            format!(
                "https://hooks.slack.com/services/T{}/B{}/{}",
                r.string(UPPER_ALNUM, 10),
                r.string(UPPER_ALNUM, 10),
                r.string(ALNUM, 24)
            ),
        ),
        "stripe" => a(
            r.pick(&["STRIPE_SECRET_KEY", "STRIPE_API_KEY"]),
            format!(
                "{}_{}_{}",
                r.pick(&["sk", "sk", "rk"]),
                r.pick(&["live", "live", "test"]),
                r.string(ALNUM, r.pick(&[24, 99]))
            ),
        ),
        "openai" => {
            let v = if r.chance(70) {
                format!(
                    "sk-proj-{}T3BlbkFJ{}",
                    r.string(B64URL, 74),
                    r.string(B64URL, 74)
                )
            } else {
                format!("sk-{}T3BlbkFJ{}", r.string(ALNUM, 20), r.string(ALNUM, 20))
            };
            a("OPENAI_API_KEY", v)
        }
        "anthropic" => a(
            "ANTHROPIC_API_KEY",
            format!(
                "sk-ant-{}-{}AA",
                r.pick(&["api03", "api03", "admin01"]),
                r.string(B64URL, 93)
            ),
        ),
        "npm" => a("NPM_TOKEN", format!("npm_{}", r.string(ALNUM, 36))),
        "pypi" => a(
            "PYPI_TOKEN",
            format!("pypi-AgEIcHlwaS5vcmc{}", r.string(B64URL, r.range(70, 160))),
        ),
        "sendgrid" => a(
            "SENDGRID_API_KEY",
            format!("SG.{}.{}", r.string(B64URL, 22), r.string(B64URL, 43)),
        ),
        "twilio-api-key" => a("TWILIO_API_KEY", format!("SK{}", r.string(HEX, 32))),
        "twilio-auth-token" => a("TWILIO_AUTH_TOKEN", r.string(HEX, 32)),
        "azure-storage" => a(
            "AZURE_STORAGE_CONNECTION_STRING",
            format!(
                "DefaultEndpointsProtocol=https;AccountName={}{};AccountKey={}==;EndpointSuffix=core.windows.net",
                r.pick(&["prodlogs", "assets", "backup"]),
                r.string(DIGITS, 3),
                r.string(B64, 86)
            ),
        ),
        "azure-servicebus" => a(
            "SERVICEBUS_CONNECTION",
            format!(
                "Endpoint=sb://{}.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={}=",
                r.pick(&["orders", "events", "billing"]),
                r.string(B64, 43)
            ),
        ),
        "jwt" => a(
            r.pick(&["ACCESS_TOKEN", "AUTH_TOKEN", "id_token", "SESSION_JWT"]),
            jwt(r),
        ),
        "database-url" => {
            let scheme = r.pick(&[
                "postgres",
                "postgresql",
                "mysql",
                "mongodb+srv",
                "mongodb",
                "redis",
                "amqp",
                "rediss",
            ]);
            let user = r.pick(&[
                "app",
                "svc_orders",
                "admin",
                "reporting",
                "celery",
                "default",
            ]);
            let pw = r.string(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~!*",
                r.range(12, 24),
            );
            a(
                r.pick(&[
                    "DATABASE_URL",
                    "MONGO_URI",
                    "REDIS_URL",
                    "BROKER_URL",
                    "SQLALCHEMY_DATABASE_URI",
                ]),
                format!(
                    "{scheme}://{user}:{pw}@{}/{}",
                    r.pick(HOSTS),
                    r.pick(&["app", "orders", "0", "prod"])
                ),
            )
        }
        "heroku" => a("HEROKU_API_KEY", uuid(r)),
        "mailgun" => a("MAILGUN_API_KEY", format!("key-{}", r.string(HEX, 32))),
        "shopify" => a(
            "SHOPIFY_ACCESS_TOKEN",
            format!(
                "{}{}",
                r.pick(&["shpat_", "shpca_", "shppa_", "shpss_"]),
                r.string(HEX, 32)
            ),
        ),
        "discord-bot" => a("DISCORD_BOT_TOKEN", discord_bot_token(r)),
        "discord-webhook" => a(
            "DISCORD_WEBHOOK_URL",
            format!(
                "https://discord.com/api/webhooks/{}/{}",
                r.string(DIGITS, 18),
                r.string(B64URL, 68)
            ),
        ),
        "vault" => a(
            "VAULT_TOKEN",
            format!("hvs.{}", r.string(B64URL, r.range(90, 100))),
        ),
        "digitalocean" => a(
            "DIGITALOCEAN_TOKEN",
            format!(
                "{}_v1_{}",
                r.pick(&["dop", "doo", "dor"]),
                r.string(HEX, 64)
            ),
        ),
        "atlassian" => a(
            "JIRA_API_TOKEN",
            format!(
                "ATATT3{}={}",
                r.string(B64URL, 177),
                r.string(&HEX.to_uppercase(), 8)
            ),
        ),
        "square" => a(
            "SQUARE_ACCESS_TOKEN",
            if r.chance(60) {
                format!("EAAA{}", r.string(B64URL, 60))
            } else {
                format!("sq0atp-{}", r.string(B64URL, 22))
            },
        ),
        "databricks" => a("DATABRICKS_TOKEN", format!("dapi{}", r.string(HEX, 32))),
        "huggingface" => a(
            r.pick(&["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"]),
            format!("hf_{}", r.string(LETTERS, 34)),
        ),
        "datadog" => {
            if r.chance(50) {
                a("DD_API_KEY", r.string(HEX, 32))
            } else {
                a("DATADOG_APP_KEY", r.string(HEX, 40))
            }
        }
        "newrelic" => match r.below(3) {
            0 => a(
                "NEW_RELIC_API_KEY",
                format!("NRAK-{}", r.string(UPPER_ALNUM, 27)),
            ),
            1 => a(
                "NEW_RELIC_INSERT_KEY",
                format!("NRII-{}", r.string(B64URL, 32)),
            ),
            _ => a(
                "NEW_RELIC_LICENSE_KEY",
                format!("{}NRAL", r.string(HEX, 36)),
            ),
        },
        "sentry" => {
            if r.chance(50) {
                a(
                    "SENTRY_DSN",
                    format!(
                        "https://{}:{}@o{}.ingest.sentry.io/{}",
                        r.string(HEX, 32),
                        r.string(HEX, 32),
                        r.string(DIGITS, 6),
                        r.string(DIGITS, 7)
                    ),
                )
            } else {
                a("SENTRY_AUTH_TOKEN", format!("sntryu_{}", r.string(HEX, 64)))
            }
        }
        "telegram" => a(
            "TELEGRAM_BOT_TOKEN",
            format!("{}:AA{}", r.string(DIGITS, 10), r.string(B64URL, 33)),
        ),
        "postman" => a(
            "POSTMAN_API_KEY",
            format!("PMAK-{}-{}", r.string(HEX, 24), r.string(HEX, 34)),
        ),
        "doppler" => a(
            "DOPPLER_TOKEN",
            format!(
                "dp.{}.{}",
                r.pick(&["pt", "st.prd", "st.dev", "sa"]),
                r.string(ALNUM, 43)
            ),
        ),
        "linear" => a("LINEAR_API_KEY", format!("lin_api_{}", r.string(ALNUM, 40))),
        "cloudflare" => a("CLOUDFLARE_API_TOKEN", r.string(B64URL, 40)),
        "google-oauth" => {
            if r.chance(50) {
                a(
                    "GOOGLE_CLIENT_SECRET",
                    format!("GOCSPX-{}", r.string(B64URL, 28)),
                )
            } else {
                a(
                    "GOOGLE_ACCESS_TOKEN",
                    format!("ya29.{}", r.string(B64URL, r.range(100, 200))),
                )
            }
        }
        "mailchimp" => a(
            "MAILCHIMP_API_KEY",
            format!("{}-us{}", r.string(HEX, 32), r.range(1, 21)),
        ),
        "azure-sas" => a(
            "AZURE_BLOB_SAS_URL",
            format!(
                "https://{}.blob.core.windows.net/{}?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2026-12-31T00:00:00Z&spr=https&sig={}%3D",
                r.pick(&["prodlogs", "assets"]),
                r.pick(&["exports", "backups"]),
                r.string(ALNUM, 43)
            ),
        ),
        "generic-secret" => {
            let name = r.pick(&[
                "SECRET_KEY",
                "API_KEY",
                "CLIENT_SECRET",
                "APP_SECRET",
                "JWT_SECRET",
                "ENCRYPTION_KEY",
                "AUTH_TOKEN",
                "ACCESS_TOKEN",
                "SESSION_SECRET",
                "WEBHOOK_SECRET",
                "SIGNING_KEY",
                "PRIVATE_API_KEY",
                "MASTER_KEY",
                "SERVICE_TOKEN",
                "REFRESH_TOKEN",
                "PARTNER_API_KEY",
            ]);
            let v = match r.below(5) {
                0 => r.string(HEX, 32),
                1 => r.string(HEX, 64),
                2 => r.string(ALNUM, r.range(24, 48)),
                3 => b64_encode(
                    &(0..32).map(|_| r.below(256) as u8).collect::<Vec<_>>(),
                    false,
                ),
                _ => r.string("abcdefghijklmnopqrstuvwxyz0123456789!@%^&*(-_=+)", 50),
            };
            a(name, v)
        }
        "generic-password" => a(
            r.pick(&[
                "DB_PASSWORD",
                "PASSWORD",
                "ADMIN_PASSWORD",
                "SMTP_PASSWORD",
                "REDIS_PASSWORD",
                "MYSQL_ROOT_PASSWORD",
                "POSTGRES_PASSWORD",
                "KEYSTORE_PASS",
                "LDAP_BIND_PASSWORD",
            ]),
            r.string(PASSWORD, r.range(10, 24)),
        ),
        "private-key" => Form::Block {
            lines: private_key(r),
            label_at: 0,
        },
        other => panic!("unknown secret kind {other}"),
    };
    Item::pos(kind, s, form)
}

/// Every secret format the corpus plants.
pub const SECRET_KINDS: &[&str] = &[
    "aws-access-key-id",
    "aws-secret-access-key",
    "gcp-api-key",
    "github-classic",
    "github-fine-grained",
    "gitlab",
    "gitlab-trigger",
    "slack-token",
    "slack-webhook",
    "stripe",
    "openai",
    "anthropic",
    "npm",
    "pypi",
    "sendgrid",
    "twilio-api-key",
    "twilio-auth-token",
    "azure-storage",
    "azure-servicebus",
    "jwt",
    "database-url",
    "heroku",
    "mailgun",
    "shopify",
    "discord-bot",
    "discord-webhook",
    "vault",
    "digitalocean",
    "atlassian",
    "square",
    "databricks",
    "huggingface",
    "datadog",
    "newrelic",
    "sentry",
    "telegram",
    "postman",
    "doppler",
    "linear",
    "cloudflare",
    "google-oauth",
    "mailchimp",
    "azure-sas",
    "generic-secret",
    "generic-password",
    "private-key",
];

/// Formats that identify themselves, so they may appear alone in prose or a comment.
const SELF_EVIDENT: &[&str] = &[
    "aws-access-key-id",
    "gcp-api-key",
    "github-classic",
    "github-fine-grained",
    "gitlab",
    "slack-token",
    "slack-webhook",
    "stripe",
    "openai",
    "anthropic",
    "npm",
    "sendgrid",
    "jwt",
    "database-url",
    "shopify",
    "discord-webhook",
    "digitalocean",
    "databricks",
    "huggingface",
    "postman",
    "linear",
];

/// Every personal-data format the corpus plants.
pub const PII_KINDS: &[&str] = &["email", "card", "iban", "ssn", "phone"];

fn pii(r: &Rng, kind: &'static str) -> Item {
    let form = match kind {
        "email" => assign(
            r.pick(&["email", "contact_email", "customer_email", "billing_email"]),
            email(r),
        ),
        "card" => assign(
            r.pick(&["card_number", "cc", "pan", "credit_card"]),
            card(r),
        ),
        "iban" => assign(
            r.pick(&["iban", "bank_account", "payout_iban"]),
            iban(r, true),
        ),
        "ssn" => {
            let (x, y, z) = ssn(r);
            if r.chance(70) {
                assign(
                    r.pick(&["ssn", "customer_ssn", "tax_id"]),
                    format!("{x:03}-{y:02}-{z:04}"),
                )
            } else {
                assign(
                    r.pick(&["ssn", "social_security_number"]),
                    format!("{x:03}{y:02}{z:04}"),
                )
            }
        }
        "phone" => {
            if r.chance(60) {
                assign(
                    r.pick(&["phone", "mobile", "contact_phone", "tel"]),
                    phone_international(r),
                )
            } else {
                assign(
                    r.pick(&["phone", "mobile", "phone_number", "cell"]),
                    phone_national(r),
                )
            }
        }
        other => panic!("unknown pii kind {other}"),
    };
    Item::pos(kind, "pii", form)
}

// ---------------------------------------------------------------------------------------
// Hard negatives.
// ---------------------------------------------------------------------------------------

/// A value that must not be reported, in the form it usually takes.
fn negative(r: &Rng) -> Item {
    let kinds = [
        "uuid",
        "git-sha",
        "sha256",
        "base64-blob",
        "integrity",
        "placeholder",
        "env-reference",
        "template",
        "aws-example",
        "test-card",
        "luhn-invalid",
        "bad-iban",
        "invalid-ssn",
        "version",
        "timestamp",
        "hex-id",
        "order-number",
        "near-miss",
        "example-email",
        "publishable-key",
        "public-key",
        "password-hash",
        "low-entropy",
    ];
    let kind = r.pick(&kinds);
    let form = match kind {
        "uuid" => assign(
            r.pick(&[
                "request_id",
                "tenant_id",
                "uuid",
                "correlation_id",
                "client_id",
            ]),
            uuid(r),
        ),
        "git-sha" => assign(
            r.pick(&["commit", "rev", "sha", "base_ref", "git_sha"]),
            r.string(HEX, 40),
        ),
        "sha256" => {
            if r.chance(50) {
                assign(r.pick(&["checksum", "sha256", "digest"]), r.string(HEX, 64))
            } else {
                Form::Bare(format!("ghcr.io/acme/api@sha256:{}", r.string(HEX, 64)))
            }
        }
        "base64-blob" => assign(
            r.pick(&["icon", "thumbnail", "favicon"]),
            format!("data:image/png;base64,iVBORw0KGgo{}", r.string(B64, 120)),
        ),
        "integrity" => assign("integrity", format!("sha512-{}==", r.string(B64, 86))),
        "placeholder" => {
            let (n, v) = r.pick(&[
                ("API_KEY", "your_api_key_here"),
                ("OPENAI_API_KEY", "sk-your-key-here"),
                ("DB_PASSWORD", "changeme"),
                ("SECRET_KEY", "<your-secret-key>"),
                ("GITHUB_TOKEN", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
                ("STRIPE_SECRET_KEY", "sk_live_XXXXXXXXXXXXXXXXXXXXXXXX"),
                ("PASSWORD", "********"),
                ("CLIENT_SECRET", "REPLACE_ME"),
                ("AUTH_TOKEN", "insert_token_here"),
                (
                    "DATABASE_URL",
                    "postgres://user:password@localhost:5432/app",
                ),
                ("REDIS_URL", "redis://:changeme@localhost:6379/0"),
                (
                    "SLACK_WEBHOOK_URL",
                    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
                ),
            ]);
            assign(n, v)
        }
        "env-reference" => {
            let (n, v) = r.pick(&[
                ("GITHUB_TOKEN", "${GITHUB_TOKEN}"),
                ("api_key", "os.environ[\"OPENAI_API_KEY\"]"),
                ("apiKey", "process.env.STRIPE_SECRET_KEY"),
                ("password", "os.getenv(\"DB_PASSWORD\")"),
                ("DB_PASSWORD", "$POSTGRES_PASSWORD"),
                ("token", "System.getenv(\"API_TOKEN\")"),
                ("DATABASE_URL", "postgres://app:${DB_PASSWORD}@db:5432/app"),
            ]);
            assign(n, v)
        }
        "template" => assign(
            r.pick(&["token", "NPM_TOKEN", "password", "client_secret"]),
            r.pick(&[
                "{{ secrets.NPM_TOKEN }}",
                "{{ .Values.auth.password }}",
                "{{ vault_db_password }}",
                "<%= ENV['SECRET'] %>",
            ]),
        ),
        "aws-example" => {
            if r.chance(50) {
                assign("AWS_ACCESS_KEY_ID", format!("AKIA{}", "IOSFODNN7EXAMPLE"))
            } else {
                assign(
                    "AWS_SECRET_ACCESS_KEY",
                    format!("wJalrXUtnFEMI/K7MDENG/bPxRfiCY{}", "EXAMPLEKEY"),
                )
            }
        }
        "test-card" => {
            let c = r.pick(TEST_CARDS);
            let v = if c.len() == 16 && r.chance(50) {
                group(c, &[4, 4, 4, 4], " ")
            } else {
                c.to_string()
            };
            assign(r.pick(&["card_number", "test_card"]), v)
        }
        "luhn-invalid" => {
            let mut c = luhn_complete(r, r.pick(&["4", "51", "37", "6011"]), 16);
            let last = (c.pop().unwrap() as u8 - b'0' + 1 + r.below(8) as u8) % 10;
            c.push(char::from(b'0' + last));
            assert!(!luhn_ok(&c));
            assign(
                r.pick(&["card_number", "reference", "account_ref"]),
                group(&c, &[4, 4, 4, 4], " "),
            )
        }
        "bad-iban" => assign("iban", iban(r, false)),
        "invalid-ssn" => assign(
            "ssn",
            format!(
                "{}-{:02}-{:04}",
                r.pick(&["000", "666", "900", "987"]),
                r.range(1, 99),
                r.range(1, 9999)
            ),
        ),
        "version" => assign(
            r.pick(&["version", "image_tag", "chart_version"]),
            format!(
                "{}.{}.{}{}",
                r.range(0, 20),
                r.range(0, 40),
                r.range(0, 200),
                r.pick(&["", "-beta.1", "-rc.2", "+build.20240115"])
            ),
        ),
        "timestamp" => {
            if r.chance(50) {
                assign(
                    r.pick(&["created_at", "updated_at"]),
                    format!(
                        "2024-{:02}-{:02}T{:02}:{:02}:{:02}+01:00",
                        r.range(1, 12),
                        r.range(1, 28),
                        r.range(0, 23),
                        r.range(0, 59),
                        r.range(0, 59)
                    ),
                )
            } else {
                assign(
                    r.pick(&["timestamp", "expires"]),
                    format!("{}", r.range(1_600_000_000, 1_800_000_000)),
                )
            }
        }
        "hex-id" => assign(
            r.pick(&["trace_id", "span_id", "build_id", "object_id", "etag"]),
            r.string(HEX, r.pick(&[16, 24, 32])),
        ),
        "order-number" => assign(
            r.pick(&["order_number", "invoice_no", "tracking_number", "sku"]),
            {
                let (a, b, c) = nanp(r);
                match r.below(3) {
                    0 => format!("{a}{b}{c}"),
                    1 => format!("ORD-{}-{}", r.range(2019, 2025), r.string(DIGITS, 6)),
                    _ => format!("1Z{}{}", r.string(UPPER_ALNUM, 6), r.string(DIGITS, 10)),
                }
            },
        ),
        "near-miss" => Form::Bare(match r.below(9) {
            0 => format!("ghp_{}", r.string(ALNUM, 35)),
            1 => format!("AKIA{}", r.string("abcdefghijklmnopqrstuvwxyz", 16)),
            2 => format!("AIza{}", r.string(ALNUM, 30)),
            3 => format!("npm_{}", r.string(ALNUM, 30)),
            4 => format!("xoxb-{}", r.string(DIGITS, 6)),
            5 => format!("glpat-{}", r.string(ALNUM, 12)),
            6 => format!("SG.{}.{}", r.string(ALNUM, 10), r.string(ALNUM, 10)),
            7 => format!("sk-ant-api03-{}", r.string(ALNUM, 20)),
            _ => format!("dapi{}", r.string(ALNUM, 12)),
        }),
        "example-email" => Form::Bare(
            r.pick(&[
                "noreply@github.com",
                "49699333+dependabot[bot]@users.noreply.github.com",
                "jane.doe@example.com",
                "owner@corp.example",
                "logo@2x.png",
                "git@github.com:acme/api.git",
                "support@initech.com",
                "security@acme-corp.io",
                "no-reply@accounts.google.com",
                "user@localhost",
            ])
            .to_string(),
        ),
        "publishable-key" => assign(
            "STRIPE_PUBLISHABLE_KEY",
            format!("pk_live_{}", r.string(ALNUM, 24)),
        ),
        "public-key" => Form::Bare(format!(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{} deploy@ci",
            r.string(B64, 43)
        )),
        "password-hash" => assign("password_hash", format!("$2b$12${}", r.string(B64, 53))),
        _ => assign(
            r.pick(&["api_key", "password", "token"]),
            r.pick(&["aaaaaaaaaaaaaaaaaaaa", "12345678", "test", "none", "true"]),
        ),
    };
    Item::neg(kind, form)
}

// ---------------------------------------------------------------------------------------
// Files.
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Syntax {
    Env,
    Shell,
    Yaml,
    Json,
    Python,
    JavaScript,
    Go,
    Dockerfile,
    Terraform,
    Properties,
    Ini,
    Notebook,
    Markdown,
}

fn lower_snake(name: &str) -> String {
    name.to_lowercase()
}

fn camel(name: &str) -> String {
    let mut out = String::new();
    for (i, part) in name.to_lowercase().split('_').enumerate() {
        if i == 0 {
            out.push_str(part);
        } else if !part.is_empty() {
            out.push_str(&(part[..1].to_uppercase() + &part[1..]));
        }
    }
    out
}

fn pascal(name: &str) -> String {
    let c = camel(name);
    c[..1].to_uppercase() + &c[1..]
}

/// Writes `name = value` the way the syntax writes it.
fn render_assign(r: &Rng, syn: Syntax, name: &str, value: &str) -> String {
    let upper = name.to_uppercase();
    match syn {
        Syntax::Env => {
            if r.chance(70) {
                format!("{upper}={value}")
            } else {
                format!("{upper}=\"{value}\"")
            }
        }
        Syntax::Shell => {
            if r.chance(60) {
                format!("export {upper}=\"{value}\"")
            } else {
                format!("{upper}='{value}'")
            }
        }
        Syntax::Yaml => {
            if r.chance(50) {
                format!("  {}: {value}", lower_snake(name))
            } else {
                format!("  {}: \"{value}\"", lower_snake(name))
            }
        }
        Syntax::Json => format!(
            "    \"{}\": \"{value}\",",
            if r.chance(50) { camel(name) } else { upper }
        ),
        Syntax::Python => match r.below(3) {
            0 => format!("{upper} = \"{value}\""),
            1 => format!("    {}='{value}',", lower_snake(name)),
            _ => format!("settings[\"{}\"] = \"{value}\"", lower_snake(name)),
        },
        Syntax::JavaScript => {
            if r.chance(50) {
                format!("const {} = '{value}';", camel(name))
            } else {
                format!("  {}: \"{value}\",", camel(name))
            }
        }
        Syntax::Go => {
            if r.chance(50) {
                format!("\t{} := \"{value}\"", camel(name))
            } else {
                format!("\t{}: \"{value}\",", pascal(name))
            }
        }
        Syntax::Dockerfile => match r.below(3) {
            0 => format!("ENV {upper}={value}"),
            1 => format!("ARG {upper}={value}"),
            _ => format!("ENV {upper} {value}"),
        },
        Syntax::Terraform => format!("  {} = \"{value}\"", lower_snake(name)),
        Syntax::Properties => format!("{}={value}", lower_snake(name).replace('_', ".")),
        Syntax::Ini => format!("{} = {value}", lower_snake(name)),
        Syntax::Notebook => format!("    \"{upper} = \\\"{value}\\\"\\n\","),
        Syntax::Markdown => match r.below(4) {
            0 => format!("- `{upper}`: `{value}`"),
            1 => format!("{upper}={value}"),
            2 => format!("Use {}: {value}", lower_snake(name).replace('_', " ")),
            _ => format!("    {upper}={value}"),
        },
    }
}

fn render_bare(r: &Rng, syn: Syntax, value: &str) -> String {
    match syn {
        Syntax::Markdown => match r.below(3) {
            0 => format!("here is the value I used: {value}"),
            1 => format!("> {value}"),
            _ => format!("It failed with `{value}` so I retried."),
        },
        Syntax::Python
        | Syntax::Shell
        | Syntax::Yaml
        | Syntax::Env
        | Syntax::Dockerfile
        | Syntax::Terraform
        | Syntax::Properties
        | Syntax::Ini => format!("# see {value}"),
        Syntax::JavaScript | Syntax::Go => format!("// see {value}"),
        Syntax::Json => format!("    \"note\": \"{value}\","),
        Syntax::Notebook => format!("    \"# see {value}\\n\","),
    }
}

/// Lines a file of this syntax is mostly made of.
fn filler(syn: Syntax) -> &'static [&'static str] {
    match syn {
        Syntax::Env => &[
            "NODE_ENV=production",
            "PORT=8080",
            "LOG_LEVEL=info",
            "# local overrides",
            "FEATURE_FLAGS=checkout,search",
            "TZ=UTC",
            "WORKERS=4",
        ],
        Syntax::Shell => &[
            "#!/usr/bin/env bash",
            "set -euo pipefail",
            "cd \"$(dirname \"$0\")/..\"",
            "echo \"deploying $SERVICE\"",
            "kubectl apply -f k8s/",
            "docker build -t app:latest .",
            "# retry on failure",
            "sleep 5",
        ],
        Syntax::Yaml => &[
            "service:",
            "  replicas: 3",
            "  image: ghcr.io/acme/api:1.14.2",
            "logging:",
            "  level: info",
            "# production settings",
            "  timeout_seconds: 30",
            "database:",
            "  pool_size: 10",
        ],
        Syntax::Json => &[
            "{",
            "  \"name\": \"orders-service\",",
            "  \"port\": 8080,",
            "  \"features\": [\"search\", \"export\"],",
            "  \"retries\": 3,",
            "}",
        ],
        Syntax::Python => &[
            "import os",
            "import logging",
            "from dataclasses import dataclass",
            "",
            "logger = logging.getLogger(__name__)",
            "def handler(event, context):",
            "    return {\"statusCode\": 200}",
            "# TODO: move to settings",
            "TIMEOUT = 30",
        ],
        Syntax::JavaScript => &[
            "'use strict';",
            "import express from 'express';",
            "const app = express();",
            "app.use(express.json());",
            "// routes",
            "module.exports = { app };",
            "const PORT = process.env.PORT || 3000;",
        ],
        Syntax::Go => &[
            "package main",
            "",
            "import (",
            "\t\"fmt\"",
            "\t\"net/http\"",
            ")",
            "func main() {",
            "\thttp.ListenAndServe(\":8080\", nil)",
            "}",
            "// config",
        ],
        Syntax::Dockerfile => &[
            "FROM python:3.12-slim",
            "WORKDIR /app",
            "COPY requirements.txt .",
            "RUN pip install --no-cache-dir -r requirements.txt",
            "COPY . .",
            "EXPOSE 8000",
            "CMD [\"gunicorn\", \"app:app\"]",
        ],
        Syntax::Terraform => &[
            "provider \"aws\" {",
            "  region = \"eu-west-1\"",
            "}",
            "resource \"aws_s3_bucket\" \"logs\" {",
            "  bucket = \"acme-logs\"",
            "}",
            "variable \"environment\" {",
            "  default = \"prod\"",
        ],
        Syntax::Properties => &[
            "server.port=8080",
            "spring.application.name=orders",
            "logging.level.root=INFO",
            "# datasource",
            "spring.jpa.hibernate.ddl-auto=validate",
            "management.endpoints.web.exposure.include=health",
        ],
        Syntax::Ini => &[
            "[default]",
            "region = eu-west-1",
            "output = json",
            "[server]",
            "host = 0.0.0.0",
            "; comments",
            "workers = 4",
        ],
        Syntax::Notebook => &[
            "{",
            " \"cells\": [",
            "  {",
            "   \"cell_type\": \"code\",",
            "   \"source\": [",
            "    \"import pandas as pd\\n\",",
            "    \"df = pd.read_csv(\\\"data.csv\\\")\\n\",",
            "   ]",
            "  }",
        ],
        Syntax::Markdown => &[
            "# Project notes",
            "",
            "Run the tests before pushing.",
            "```bash",
            "```",
            "- Keep answers short.",
            "The API lives in `src/api/`.",
            "## Conventions",
            "Use snake_case in Python.",
        ],
    }
}

/// The kinds of files the corpus holds: path pattern, syntax, and whether it may hold
/// personal data.
const FILE_KINDS: &[(&str, Syntax, bool)] = &[
    (".env", Syntax::Env, false),
    ("services/{n}/.env.production", Syntax::Env, false),
    ("config/{n}.yaml", Syntax::Yaml, true),
    ("deploy/{n}/values.yml", Syntax::Yaml, false),
    ("docker-compose.{n}.yml", Syntax::Yaml, false),
    ("config/settings.{n}.json", Syntax::Json, true),
    (".mcp.json", Syntax::Json, false),
    (".vscode/mcp.{n}.json", Syntax::Json, false),
    ("app/{n}.py", Syntax::Python, true),
    ("scripts/{n}.py", Syntax::Python, true),
    ("src/{n}.js", Syntax::JavaScript, true),
    ("web/{n}.ts", Syntax::JavaScript, false),
    ("cmd/{n}/main.go", Syntax::Go, false),
    ("Dockerfile.{n}", Syntax::Dockerfile, false),
    ("infra/{n}.tf", Syntax::Terraform, false),
    (
        "src/main/resources/application-{n}.properties",
        Syntax::Properties,
        false,
    ),
    ("conf/{n}.ini", Syntax::Ini, false),
    ("scripts/deploy-{n}.sh", Syntax::Shell, false),
    ("notebooks/{n}.ipynb", Syntax::Notebook, true),
    ("CLAUDE.md", Syntax::Markdown, true),
    ("AGENTS.md", Syntax::Markdown, true),
    (".cursorrules", Syntax::Markdown, false),
    (".github/copilot-instructions.md", Syntax::Markdown, false),
    (".aider.chat.history.{n}.md", Syntax::Markdown, true),
    ("prompts/{n}.md", Syntax::Markdown, true),
    ("docs/{n}.md", Syntax::Markdown, true),
];

fn write_item(r: &Rng, syn: Syntax, item: &Item, lines: &mut Vec<String>) -> usize {
    let at = lines.len();
    match &item.form {
        Form::Assign { name, value } => {
            let l = render_assign(r, syn, name, value);
            lines.push(l);
            at
        }
        Form::Bare(v) => {
            let l = render_bare(r, syn, v);
            lines.push(l);
            at
        }
        Form::Block {
            lines: block,
            label_at,
        } => match syn {
            Syntax::Yaml => {
                lines.push("  private_key: |".into());
                let at = lines.len() + label_at;
                lines.extend(block.iter().map(|l| format!("    {l}")));
                at
            }
            Syntax::Json
            | Syntax::Notebook
            | Syntax::JavaScript
            | Syntax::Go
            | Syntax::Terraform => {
                lines.push(format!(
                    "    \"private_key\": \"{}\\n\",",
                    block.join("\\n")
                ));
                at
            }
            Syntax::Python => {
                lines.push("PRIVATE_KEY = \"\"\"".into());
                let at = lines.len() + label_at;
                lines.extend(block.iter().cloned());
                lines.push("\"\"\"".into());
                at
            }
            Syntax::Env | Syntax::Shell | Syntax::Dockerfile | Syntax::Properties | Syntax::Ini => {
                lines.push(format!("PRIVATE_KEY=\"{}\"", block.join("\\n")));
                at
            }
            Syntax::Markdown => {
                lines.push("```".into());
                let at = lines.len() + label_at;
                lines.extend(block.iter().cloned());
                lines.push("```".into());
                at
            }
        },
    }
}

fn build_file(
    r: &Rng,
    path: &str,
    syn: Syntax,
    items: &[Item],
    labels: &mut Vec<Label>,
    negatives: &mut BTreeMap<&'static str, usize>,
) -> File {
    let fill = filler(syn);
    let mut lines: Vec<String> = Vec::new();
    for _ in 0..r.range(2, 5) {
        lines.push(r.pick(fill).to_string());
    }
    for item in items {
        for _ in 0..r.range(0, 3) {
            lines.push(r.pick(fill).to_string());
        }
        let at = write_item(r, syn, item, &mut lines);
        match item.category {
            Some(c) => labels.push(Label {
                path: path.to_string(),
                line: at as u64 + 1,
                category: c,
                kind: item.kind,
            }),
            None => *negatives.entry(item.kind).or_default() += 1,
        }
    }
    for _ in 0..r.range(1, 3) {
        lines.push(r.pick(fill).to_string());
    }
    File {
        path: path.to_string(),
        text: lines.join("\n") + "\n",
    }
}

/// A CSV export of customer records: every data row holds personal data.
fn build_csv(r: &Rng, path: &str, labels: &mut Vec<Label>) -> File {
    let mut lines = vec!["id,name,email,phone,card_number,iban,ssn,signup_date".to_string()];
    for id in 0..r.range(5, 15) {
        let mut fields = vec![format!("{}", 1000 + id), person(r)];
        fields.push(if r.chance(80) {
            email(r)
        } else {
            String::new()
        });
        fields.push(if r.chance(60) {
            phone_international(r)
        } else {
            String::new()
        });
        fields.push(if r.chance(30) { card(r) } else { String::new() });
        fields.push(if r.chance(25) {
            iban(r, true)
        } else {
            String::new()
        });
        fields.push(if r.chance(25) {
            let (x, y, z) = ssn(r);
            format!("{x:03}-{y:02}-{z:04}")
        } else {
            String::new()
        });
        fields.push(format!("2024-{:02}-{:02}", r.range(1, 12), r.range(1, 28)));
        if fields[2..7].iter().all(String::is_empty) {
            fields[2] = email(r);
        }
        labels.push(Label {
            path: path.to_string(),
            line: lines.len() as u64 + 1,
            category: "pii",
            kind: "csv-row",
        });
        lines.push(fields.join(","));
    }
    File {
        path: path.to_string(),
        text: lines.join("\n") + "\n",
    }
}

/// A CSV of orders with no personal data: ids, SKUs, amounts, timestamps.
fn build_orders_csv(r: &Rng, path: &str, negatives: &mut BTreeMap<&'static str, usize>) -> File {
    let mut lines = vec!["order_id,sku,quantity,amount,currency,created_at,tracking".to_string()];
    for _ in 0..r.range(5, 15) {
        let (a, b, c) = nanp(r);
        lines.push(format!(
            "{a}{b}{c},SKU-{},{},{}.{:02},EUR,{},1Z{}{}",
            r.string(UPPER_ALNUM, 6),
            r.range(1, 9),
            r.range(1, 999),
            r.below(100),
            r.range(1_600_000_000, 1_800_000_000),
            r.string(UPPER_ALNUM, 6),
            r.string(DIGITS, 10)
        ));
        *negatives.entry("order-row").or_default() += 1;
    }
    File {
        path: path.to_string(),
        text: lines.join("\n") + "\n",
    }
}

/// A service-account key file as Google Cloud writes it.
fn build_service_account(r: &Rng, path: &str, labels: &mut Vec<Label>) -> File {
    let key = pem_body(r, 1218).join("\\n");
    let project = format!(
        "{}-{}",
        r.pick(&["orders", "analytics", "ml"]),
        r.range(100_000, 999_999)
    );
    let lines = [
        "{".to_string(),
        "  \"type\": \"service_account\",".to_string(),
        format!("  \"project_id\": \"{project}\","),
        format!("  \"private_key_id\": \"{}\",", r.string(HEX, 40)),
        format!(
            "  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{key}\\n-----END PRIVATE KEY-----\\n\","
        ),
        format!("  \"client_email\": \"deployer@{project}.iam.gserviceaccount.com\","),
        format!("  \"client_id\": \"{}\",", r.string(DIGITS, 21)),
        "  \"auth_uri\": \"https://accounts.google.com/o/oauth2/auth\",".to_string(),
        "  \"token_uri\": \"https://oauth2.googleapis.com/token\"".to_string(),
        "}".to_string(),
    ];
    labels.push(Label {
        path: path.to_string(),
        line: 5,
        category: "secret",
        kind: "gcp-service-account",
    });
    File {
        path: path.to_string(),
        text: lines.join("\n") + "\n",
    }
}

/// A private key file on its own.
fn build_key_file(r: &Rng, path: &str, labels: &mut Vec<Label>) -> File {
    let block = private_key(r);
    labels.push(Label {
        path: path.to_string(),
        line: 1,
        category: "secret",
        kind: "private-key",
    });
    File {
        path: path.to_string(),
        text: block.join("\n") + "\n",
    }
}

/// A lockfile full of integrity hashes and resolved URLs (never reported).
fn build_lockfile(r: &Rng, path: &str, negatives: &mut BTreeMap<&'static str, usize>) -> File {
    let mut lines = vec![
        "{".to_string(),
        "  \"lockfileVersion\": 3,".to_string(),
        "  \"packages\": {".to_string(),
    ];
    for _ in 0..r.range(5, 20) {
        let name = r.string(LOWER, r.range(3, 10));
        lines.push(format!("    \"node_modules/{name}\": {{"));
        lines.push(format!(
            "      \"version\": \"{}.{}.{}\",",
            r.range(0, 9),
            r.range(0, 30),
            r.range(0, 30)
        ));
        lines.push(format!(
            "      \"resolved\": \"https://registry.npmjs.org/{name}/-/{name}-1.0.0.tgz\","
        ));
        lines.push(format!(
            "      \"integrity\": \"sha512-{}==\"",
            r.string(B64, 86)
        ));
        lines.push("    },".to_string());
        *negatives.entry("lockfile-entry").or_default() += 1;
    }
    lines.push("  }".to_string());
    lines.push("}".to_string());
    File {
        path: path.to_string(),
        text: lines.join("\n") + "\n",
    }
}

/// Builds the corpus: `files` ordinary files (plus key files, CSV exports, lockfiles and
/// service-account files in proportion), the same for the same `seed`.
pub fn generate(seed: u64, files: usize) -> Corpus {
    let r = Rng::new(seed);
    let mut out = Vec::new();
    let mut labels = Vec::new();
    let mut negatives = BTreeMap::new();
    let mut secret_turn = 0usize;
    let mut pii_turn = 0usize;
    for n in 0..files {
        let (pattern, syn, may_pii) = FILE_KINDS[n % FILE_KINDS.len()];
        let path = pattern.replace("{n}", &format!("f{n}"));
        let path = if pattern.contains("{n}") {
            path
        } else {
            format!("repo{n}/{path}")
        };
        let mut items = Vec::new();
        for _ in 0..r.range(1, 4) {
            let kind = SECRET_KINDS[secret_turn % SECRET_KINDS.len()];
            secret_turn += 1;
            let mut item = secret(&r, kind);
            // Self-identifying formats sometimes appear alone, as in a pasted chat message.
            if let Form::Assign { value, .. } = &item.form
                && SELF_EVIDENT.contains(&kind)
                && r.chance(25)
            {
                item.form = Form::Bare(value.clone());
            }
            items.push(item);
        }
        if may_pii {
            for _ in 0..r.range(1, 3) {
                let kind = PII_KINDS[pii_turn % PII_KINDS.len()];
                pii_turn += 1;
                items.push(pii(&r, kind));
            }
        }
        for _ in 0..r.range(2, 5) {
            items.push(negative(&r));
        }
        // Shuffle so positives and negatives interleave.
        for i in (1..items.len()).rev() {
            let j = r.below(i + 1);
            items.swap(i, j);
        }
        out.push(build_file(
            &r,
            &path,
            syn,
            &items,
            &mut labels,
            &mut negatives,
        ));
        match n % 10 {
            0 => out.push(build_key_file(
                &r,
                &format!(
                    "keys/f{n}/{}",
                    r.pick(&["id_rsa", "server.key", "deploy.pem", "signing.asc"])
                ),
                &mut labels,
            )),
            3 => out.push(build_csv(
                &r,
                &format!("exports/customers-f{n}.csv"),
                &mut labels,
            )),
            5 => out.push(build_service_account(
                &r,
                &format!("secrets/f{n}/sa-key.json"),
                &mut labels,
            )),
            7 => out.push(build_orders_csv(
                &r,
                &format!("exports/orders-f{n}.csv"),
                &mut negatives,
            )),
            9 => out.push(build_lockfile(
                &r,
                &format!("web/f{n}/package-lock.json"),
                &mut negatives,
            )),
            _ => {}
        }
    }
    labels.sort();
    Corpus {
        files: out,
        labels,
        negatives,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_their_definitions() {
        let r = Rng::new(7);
        for _ in 0..200 {
            let c = card(&r);
            assert!(luhn_ok(&c), "{c}");
            let i = iban(&r, true).replace(' ', "");
            let moved = format!("{}{}", &i[4..], &i[..4]);
            assert_eq!(mod97(&moved), 1, "{i}");
            let bad = iban(&r, false).replace(' ', "");
            assert_ne!(mod97(&format!("{}{}", &bad[4..], &bad[..4])), 1, "{bad}");
        }
    }

    #[test]
    fn same_seed_same_corpus() {
        let a = generate(1, 30);
        let b = generate(1, 30);
        assert_eq!(a.labels, b.labels);
        assert_eq!(a.files.len(), b.files.len());
        assert!(
            a.files
                .iter()
                .zip(&b.files)
                .all(|(x, y)| x.text == y.text && x.path == y.path)
        );
    }
}
