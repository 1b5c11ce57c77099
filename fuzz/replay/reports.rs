// The body of the `reports` fuzz target, shared with tests/fuzz_regressions.rs, which
// replays every input kept in regressions/reports/.
use tiercheck::checks::{Evidence, Status};
use tiercheck::evaluate::{ArtifactReport, PolicyFile, RequirementResult, TierDecision};
use tiercheck::policy::Level;
use tiercheck::report::{Format, ScanResult};
use tiercheck_scan::{Finding, ScanReport};

const STATUSES: [Status; 5] = [
    Status::Pass,
    Status::Skip,
    Status::Warn,
    Status::Error,
    Status::Fail,
];
const LEVELS: [Level; 3] = [Level::Required, Level::Recommended, Level::NotRequired];

/// One input, checked as the fuzz target checks it.
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\u{1f}').map(str::to_string);
    let mut next = || parts.next().unwrap_or_default();
    let pick = |i: usize| data.get(i).copied().unwrap_or(0) as usize;

    let finding = Finding {
        rule_id: next(),
        category: if pick(0) % 2 == 0 { "secret" } else { "pii" }.into(),
        path: next(),
        line: pick(1) as u64 + 1,
        column: pick(2) as u64 + 1,
        redacted: next(),
        fingerprint: next(),
        marked_allowed: pick(3) % 2 == 0,
        end_line: pick(1) as u64 + 1,
        end_column: pick(2) as u64 + 2,
    };
    let requirements: Vec<RequirementResult> = (0..1 + pick(4) % 3)
        .map(|i| {
            let evidence = vec![Evidence {
                check: next(),
                signal: next(),
                path: Some(next()).filter(|p| !p.is_empty()),
                line: Some(pick(5 + i) as u64),
                message: next(),
                mark: None,
            }];
            RequirementResult {
                id: next(),
                title: next(),
                level: LEVELS[pick(8 + i) % 3],
                status: STATUSES[pick(11 + i) % 5],
                evidence_status: vec![STATUSES[pick(14 + i) % 5]],
                evidence,
                remediation: Some(next()).filter(|r| !r.is_empty()),
                description: next(),
                fix: next(),
            }
        })
        .collect();
    let report = ArtifactReport {
        path: next(),
        manifest: Some(next()),
        folder: next(),
        ships_with: vec![next()].into_iter().filter(|s| !s.is_empty()).collect(),
        tier: next(),
        tier_name: next(),
        reason: next(),
        classification: TierDecision {
            tier: next(),
            reason: next(),
            declared: Some(next()),
            classified: Some(next()),
            under_classified: pick(17) % 2 == 0,
            data_under_classified: false,
            data: Vec::new(),
            audience: Vec::new(),
        },
        passed: pick(18) % 2 == 0,
        requirements,
        findings: vec![finding.clone()],
        rule_descriptions: Default::default(),
        error: Some(next()).filter(|e| e.len() % 2 == 1),
        policy: vec![PolicyFile {
            path: next(),
            sha256: next(),
        }],
        trust_repo: pick(19) % 2 == 0,
    };
    let scan = ScanReport {
        findings: vec![finding.clone()],
        skipped: vec![(next(), next())],
        errors: vec![(next(), next())],
        files_scanned: pick(20) as u64,
        bytes_scanned: pick(21) as u64,
    };
    let reports = [report];
    for format in [
        Format::Table,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Markdown,
        Format::Html,
    ] {
        for (i, out) in [
            render(format, |r, o| r.artifacts(&reports, o)),
            render(format, |r, o| {
                r.findings(
                    ScanResult {
                        report: &scan,
                        accepted: 0,
                        accepted_findings: vec![finding.clone()],
                        descriptions: Default::default(),
                        git: None,
                    },
                    o,
                )
            }),
        ]
        .into_iter()
        .enumerate()
        {
            let out = String::from_utf8(out).expect("reports are UTF-8");
            match format {
                Format::Json | Format::Sarif => {
                    serde_json::from_str::<serde_json::Value>(&out).unwrap_or_else(|e| {
                        panic!("{} output {i} is not JSON: {e}", format.name())
                    });
                }
                _ => {
                    if let Some(c) = out
                        .chars()
                        .find(|&c| c.is_control() && c != '\n' && c != '\t')
                    {
                        panic!("{} output {i} holds a raw {c:?}", format.name());
                    }
                }
            }
        }
    }
}

fn render(
    format: Format,
    f: impl Fn(&dyn tiercheck::report::Report, &mut dyn std::io::Write) -> std::io::Result<()>,
) -> Vec<u8> {
    let r = format.report(false);
    let mut out = Vec::new();
    f(r.as_ref(), &mut out).expect("writing to memory succeeds");
    out
}
