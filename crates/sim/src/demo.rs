//! `iis-sweep demo`: the main job on a fresh machine. Generates a fleet (or reuses one), starts
//! the WinRM host simulator in-process on loopback addresses, sweeps it over real WinRM with
//! NTLM and message sealing, writes the reports, and compares the findings with the generator's
//! answer key.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::Serialize;

use crate::fleet::{AnswerKey, ANSWERS_FILE};
use crate::generate::{generate, GenerateOptions};
use crate::server::{serve, AuthMode, ServerConfig};
use iis_sweep::credentials::{CredentialRef, Credentials, PasswordSource};
use iis_sweep::finding::Finding;
use iis_sweep::report::{OutputOptions, Report};
use iis_sweep::rules::settings::RuleSettings;
use iis_sweep::target::{AuthMethod, Scheme, Target, TlsSettings};

use iis_sweep::commands::scan::{run_with_credentials, ScanOptions};
use iis_sweep::pipeline::{FailOn, Outcome};

/// The account the demo hosts accept; its password is random per run and never printed.
const DEMO_USER: &str = "demo-scanner";

/// Options of `demo`.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub hosts: usize,
    pub seed: u64,
    /// Serve this fleet directory instead of generating one.
    pub fleet: Option<PathBuf>,
    pub concurrency: usize,
    pub output: OutputOptions,
    pub fail_on: FailOn,
}

/// Rule precision and recall against the answer key.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Score {
    /// Per rule: (planted and found, found but not planted, planted but not found).
    pub per_rule: BTreeMap<String, (u32, u32, u32)>,
    pub true_positives: u32,
    pub false_positives: u32,
    pub false_negatives: u32,
}

impl Score {
    pub fn precision(&self) -> f64 {
        let d = self.true_positives + self.false_positives;
        if d == 0 {
            1.0
        } else {
            f64::from(self.true_positives) / f64::from(d)
        }
    }

    pub fn recall(&self) -> f64 {
        let d = self.true_positives + self.false_negatives;
        if d == 0 {
            1.0
        } else {
            f64::from(self.true_positives) / f64::from(d)
        }
    }
}

/// Compares findings with the answer key by (host, rule, site): a rule that fires on several
/// paths of one planted site counts once. Host-level answers (no site) match a finding of the
/// rule anywhere on the host, and host-level findings match any answer of the rule on the host.
/// Hosts that were not evaluated are left out.
pub fn score(key: &AnswerKey, report: &Report) -> Score {
    type Key = (String, String, Option<String>);
    let evaluated: BTreeSet<String> = report
        .hosts
        .iter()
        .filter(|h| h.status.evaluated())
        .map(|h| h.name.to_lowercase())
        .collect();
    let norm = |host: &str, rule: &str, site: Option<&str>| -> Key {
        (
            host.to_lowercase(),
            rule.to_string(),
            site.map(str::to_lowercase),
        )
    };
    let planted: BTreeSet<Key> = key
        .answers
        .iter()
        .filter(|a| evaluated.contains(&a.host.to_lowercase()))
        .map(|a| norm(&a.host, &a.rule, a.site.as_deref()))
        .collect();
    let found: BTreeSet<Key> = report
        .findings
        .iter()
        .map(|f: &Finding| norm(&f.host, &f.rule, f.site.as_deref()))
        .collect();
    let matches = |a: &Key, b: &Key| {
        a.0 == b.0 && a.1 == b.1 && (a.2.is_none() || b.2.is_none() || a.2 == b.2)
    };
    let mut s = Score::default();
    for p in &planted {
        let e = s.per_rule.entry(p.1.clone()).or_default();
        if found.iter().any(|f| matches(p, f)) {
            e.0 += 1;
            s.true_positives += 1;
        } else {
            e.2 += 1;
            s.false_negatives += 1;
        }
    }
    for f in &found {
        if !planted.iter().any(|p| matches(p, f)) {
            s.per_rule.entry(f.1.clone()).or_default().1 += 1;
            s.false_positives += 1;
        }
    }
    s
}

/// Runs the demo; returns the outcome, the report and the score.
pub async fn run(opts: &DemoOptions) -> anyhow::Result<(Outcome, Report, Option<Score>)> {
    let fleet_dir = match &opts.fleet {
        Some(d) => d.clone(),
        None => {
            let d = opts.output.out_dir.join("demo-fleet");
            if d.exists() {
                std::fs::remove_dir_all(&d).map_err(|e| anyhow::anyhow!("{}: {e}", d.display()))?;
            }
            let key = generate(
                &GenerateOptions {
                    hosts: opts.hosts,
                    seed: opts.seed,
                    faults: Vec::new(),
                    pretty: false,
                },
                &d,
            )?;
            tracing::info!(
                "generated {} hosts with {} planted problems in {}",
                key.hosts,
                key.answers.len(),
                d.display()
            );
            d
        }
    };
    let password = uuid::Uuid::new_v4().simple().to_string();
    let mut cfg = ServerConfig::new(&fleet_dir, DEMO_USER, password.clone());
    cfg.port = 0;
    cfg.auth = AuthMode::Ntlm;
    cfg.allow_unencrypted = false;
    let handle = serve(cfg).await?;
    let credential = CredentialRef {
        username: Some(DEMO_USER.into()),
        password_env: Some("IIS_SWEEP_DEMO_PASSWORD".into()),
        ..CredentialRef::default()
    };
    let targets: Vec<Target> = handle
        .hosts()
        .into_iter()
        .map(|(name, ip)| Target {
            name,
            address: ip.to_string(),
            port: handle.port(),
            scheme: Scheme::Http,
            auth: AuthMethod::Ntlm,
            tls: TlsSettings::default(),
            delivery: Default::default(),
            timeouts: Default::default(),
            credential: credential.clone(),
            groups: vec!["demo".into()],
            allow_unencrypted_basic: false,
        })
        .collect();
    let mut credentials = HashMap::new();
    credentials.insert(
        credential,
        Credentials {
            username: DEMO_USER.into(),
            password: SecretString::from(password),
            source: PasswordSource::Env("IIS_SWEEP_DEMO_PASSWORD".into()),
        },
    );
    let scan = ScanOptions {
        inventory: vec![fleet_dir.join(crate::fleet::FLEET_FILE)],
        limit: None,
        concurrency: opts.concurrency,
        host_timeout: Duration::from_secs(120),
        retries: 2,
        shard: None,
        save_snapshots: None,
        output: opts.output.clone(),
        settings: RuleSettings::default(),
        fail_on: opts.fail_on,
        baseline: None,
        progress: true,
        max_auth_failures: 2,
        max_output_mib: iis_sweep::collect::session::DEFAULT_MAX_OUTPUT_MIB as usize,
    };
    let result = run_with_credentials(targets, &credentials, &scan, "demo").await;
    handle.shutdown().await;
    let (outcome, report) = result?;
    let key: Option<AnswerKey> = std::fs::read(fleet_dir.join(ANSWERS_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let score = key.map(|k| score(&k, &report));
    Ok((outcome, report, score))
}

/// What the demo prints after the report summary: how long the sweep took and how the findings
/// compare with the answer key.
pub fn summary(hosts: usize, elapsed: Duration, score: Option<&Score>) -> String {
    let mut text = format!(
        "swept {hosts} simulated hosts over WinRM (NTLM, sealed) in {:.1} s\n",
        elapsed.as_secs_f64()
    );
    if let Some(s) = score {
        text.push_str(&format!(
            "against the generator's answer key: precision {:.3}, recall {:.3} ({} planted problems found, {} extra, {} missed)\n",
            s.precision(),
            s.recall(),
            s.true_positives,
            s.false_positives,
            s.false_negatives
        ));
    }
    text
}
