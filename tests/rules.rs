//! Every rule of the default policy, run through the real binary (`tiercheck scan --format
//! json`): one true positive it must report and one near miss (wrong length, wrong
//! alphabet, placeholder, example key, bad checksum, …) it must not. Values are built at
//! run time from random bodies so that this repository holds no secret-shaped literal.

mod common;

mod corpus;

use std::collections::{BTreeMap, BTreeSet};

use assert_cmd::Command;
use corpus::{
    ALNUM, B64, B64URL, BASE32, DIGITS, HEX, LETTERS, LOWER, PASSWORD, Rng, UPPER, UPPER_ALNUM,
};

/// One rule's pair of cases: `file` is the file name both are written to.
struct Case {
    rule: &'static str,
    file: &'static str,
    yes: String,
    no: String,
}

fn case(rule: &'static str, file: &'static str, yes: String, no: String) -> Case {
    Case {
        rule,
        file,
        yes,
        no,
    }
}

fn pem(r: &Rng, label: &str) -> String {
    let body: Vec<String> = (0..12).map(|_| r.string(B64, 64)).collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        body.join("\n")
    )
}

fn cases() -> Vec<Case> {
    cases_seeded(0x7e57)
}

/// Every rule's cases, with values drawn from the generator seeded with `seed`.
fn cases_seeded(seed: u64) -> Vec<Case> {
    let r = Rng::new(seed);
    let s = |alpha: &str, n: usize| r.string(alpha, n);
    let uuid = || {
        format!(
            "{}-{}-4{}-a{}-{}",
            s(HEX, 8),
            s(HEX, 4),
            s(HEX, 3),
            s(HEX, 3),
            s(HEX, 12)
        )
    };
    let visa = corpus::luhn_complete(&r, "4", 16);
    let bad_visa = {
        let mut v = corpus::luhn_complete(&r, "4", 16);
        let last = v.pop().unwrap() as u8 - b'0';
        v.push(char::from(b'0' + (last + 1) % 10));
        v
    };
    let jwt_header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"; // {"alg":"HS256","typ":"JWT"}
    let ssn = format!(
        "{}-{}-{}",
        r.range(100, 599),
        r.range(10, 99),
        r.range(1000, 9999)
    );
    vec![
        case("aws-access-key-id", ".env", format!("AWS_ACCESS_KEY_ID=AKIA{}", s(BASE32, 16)), format!("AWS_ACCESS_KEY_ID=AKIA{}", s("abcdefghijklmnopqrstuvwxyz", 16))),
        case("aws-secret-access-key", "credentials", format!("[default]\naws_secret_access_key = {}", s(B64, 40)), format!("[default]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCY{}", "EXAMPLEKEY")),
        case("aws-secret-access-key-near-id", "credentials.csv", format!("User name,Access key ID,Secret access key\nci,AKIA{},{}", s(BASE32, 16), s(B64, 40)), format!("object,etag\nlogo.png,{}", s(B64, 40))),
        case("gcp-api-key", "maps.js", format!("const key = 'AIza{}';", s(B64URL, 35)), format!("const key = 'AIza{}';", s(B64URL, 34))),
        case("gcp-service-account-key", "sa.json", format!("{{\"type\": \"service_account\",\n\"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----\\n\"}}", s(B64, 256)), "{\"type\": \"service_account\",\n\"private_key\": \"-----BEGIN PRIVATE KEY-----\\nREDACTED\\n-----END PRIVATE KEY-----\\n\"}".into()),
        case("azure-storage-account-key", "app.config", format!("DefaultEndpointsProtocol=https;AccountName=logs;AccountKey={}==;EndpointSuffix=core.windows.net", s(B64, 86)), format!("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={}{};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq", "2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")),
        case("azure-shared-access-key", "bus.env", format!("SB=Endpoint=sb://orders.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={}=", s(B64, 43)), format!("SB=Endpoint=sb://orders.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={}", s(B64, 20))),
        case("azure-ad-client-secret", "appsettings.json", format!("{{\"ClientSecret\": \"{}{}Q~{}\"}}", s(ALNUM, 3), s(DIGITS, 1), s(ALNUM, 34)), format!("{{\"Note\": \"{}Q~{}\"}}", s(LETTERS, 4), s(ALNUM, 12))),
        case("digitalocean-token", "do.env", format!("DO_TOKEN=dop_v1_{}", s(HEX, 64)), format!("DO_TOKEN=dop_v1_{}", s(HEX, 63))),
        case("heroku-api-key", "heroku.env", format!("HEROKU_API_KEY={}", uuid()), format!("HEROKU_APP_ID={}", uuid())),
        case("heroku-api-key-v2", "heroku2.env", format!("HEROKU_API_KEY=HRKU-{}", s(B64URL, 60)), format!("HEROKU_API_KEY=HRKU-{}", s(ALNUM, 20))),
        case("cloudflare-api-token", "cf.env", format!("CLOUDFLARE_API_TOKEN={}", s(B64URL, 40)), format!("CLOUDFLARE_ZONE_ID={}", s(HEX, 32))),
        case("cloudflare-global-api-key", "cfg.env", format!("CLOUDFLARE_API_KEY={}", s(HEX, 37)), format!("CLOUDFLARE_API_KEY={}", s(HEX, 36))),
        case("cloudflare-origin-ca-key", "origin.txt", format!("v1.0-{}-{}", s(HEX, 24), s(HEX, 146)), format!("v1.0-{}-{}", s(HEX, 24), s(HEX, 100))),
        case("github-pat-classic", "gh.sh", format!("export GH_TOKEN=ghp_{}", s(ALNUM, 36)), format!("echo ghp_{}", s(ALNUM, 35))),
        case("github-oauth-token", "gho.txt", format!("gho_{}", s(ALNUM, 36)), format!("gho_{}", s(ALNUM, 30))),
        case("github-user-to-server-token", "ghu.txt", format!("ghu_{}", s(ALNUM, 36)), format!("ghu_{}", s(ALNUM, 37))),
        case("github-server-to-server-token", "ghs.txt", format!("ghs_{}", s(ALNUM, 36)), format!("ghs_{}-{}", s(ALNUM, 20), s(ALNUM, 15))),
        case("github-refresh-token", "ghr.txt", format!("ghr_{}", s(ALNUM, 36)), format!("ghr_{}", s(ALNUM, 12))),
        case("github-fine-grained-pat", "pat.txt", format!("github_pat_{}_{}", s(ALNUM, 22), s(ALNUM, 59)), format!("github_pat_{}_{}", s(ALNUM, 22), s(ALNUM, 58))),
        case("gitlab-pat", ".gitlab-token", format!("glpat-{}", s(B64URL, 20)), format!("glpat-{}", s(ALNUM, 19))),
        case("gitlab-runner-token", "runner.toml", format!("token = \"glrt-{}\"", s(ALNUM, 20)), format!("token_prefix = \"glrt-{}\"", s(ALNUM, 6))),
        case("gitlab-deploy-token", "deploy.txt", format!("gldt-{}", s(ALNUM, 20)), format!("gldt-{}", s(ALNUM, 10))),
        case("gitlab-pipeline-trigger-token", "trigger.sh", format!("curl -F token=glptt-{} https://gitlab.acme-corp.io", s(HEX, 40)), format!("curl -F ref=glptt-{}", s(UPPER, 40))),
        case("gitlab-other-token", "feed.txt", format!("glft-{}", s(ALNUM, 20)), format!("glft-{}", s(ALNUM, 8))),
        case("npm-access-token", ".npmrc", format!("//registry.npmjs.org/:_authToken=npm_{}", s(ALNUM, 36)), format!("//registry.npmjs.org/:_authToken=npm_{}", s(ALNUM, 35))),
        case("pypi-upload-token", ".pypirc", format!("password = pypi-AgEIcHlwaS5vcmc{}", s(B64URL, 90)), format!("password = pypi-AgEIcHlwaS5vcmc{}", s(ALNUM, 20))),
        case("slack-bot-token", "slack.env", format!("SLACK_BOT_TOKEN=xoxb-{}-{}-{}", s(DIGITS, 12), s(DIGITS, 13), s(ALNUM, 24)), format!("SLACK_BOT_TOKEN=xoxb-{}", s(DIGITS, 12))),
        case("slack-user-token", "slacku.env", format!("SLACK_USER_TOKEN=xoxp-{}-{}-{}-{}", s(DIGITS, 12), s(DIGITS, 12), s(DIGITS, 13), s(HEX, 32)), format!("SLACK_USER_TOKEN=xoxp-{}-{}", s(DIGITS, 3), s(DIGITS, 3))),
        case("slack-app-token", "slacka.env", format!("SLACK_APP_TOKEN=xapp-1-A{}-{}-{}", s(UPPER_ALNUM, 10), s(DIGITS, 13), s(HEX, 64)), format!("SLACK_APP_TOKEN=xapp-1-{}", s(LETTERS, 6))),
        case("slack-other-token", "slacko.env", format!("SLACK_REFRESH=xoxe-1-{}", s(ALNUM, 140)), format!("SLACK_REFRESH=xoxe-1-{}", s(ALNUM, 8))),
        case("slack-webhook-url", "hook.py", format!("URL = \"https://hooks.slack.com/services/T{}/B{}/{}\"", s(UPPER_ALNUM, 10), s(UPPER_ALNUM, 10), s(ALNUM, 24)), "URL = \"https://hooks.slack.com/services/T0000/B0000/abc\"".into()),
        case("discord-bot-token", "bot.py", format!("bot.run(\"MTA{}.{}.{}\")", s(B64URL, 23), s(B64URL, 6), s(B64URL, 38)), format!("bot.run(\"MTA{}.{}.{}\")", s(B64URL, 5), s(B64URL, 3), s(B64URL, 10))),
        case("discord-webhook-url", "notify.sh", format!("curl https://discord.com/api/webhooks/{}/{}", s(DIGITS, 18), s(B64URL, 68)), format!("curl https://discord.com/api/webhooks/{}/{}", s(DIGITS, 18), s(B64URL, 20))),
        case("telegram-bot-token", "tg.env", format!("TELEGRAM_BOT_TOKEN={}:AA{}", s(DIGITS, 10), s(B64URL, 33)), format!("TELEGRAM_BOT_TOKEN={}:AA{}", s(DIGITS, 10), s(B64URL, 20))),
        case("atlassian-api-token", "jira.env", format!("JIRA_API_TOKEN=ATATT3{}={}", s(B64URL, 177), s("0123456789ABCDEF", 8)), format!("JIRA_API_TOKEN=ATATT3{}", s(ALNUM, 40))),
        case("linear-api-key", "linear.env", format!("LINEAR_API_KEY=lin_api_{}", s(ALNUM, 40)), format!("LINEAR_API_KEY=lin_api_{}", s(ALNUM, 39))),
        case("postman-api-key", "postman.env", format!("POSTMAN_API_KEY=PMAK-{}-{}", s(HEX, 24), s(HEX, 34)), format!("POSTMAN_API_KEY=PMAK-{}-{}", s(HEX, 24), s(HEX, 33))),
        case("stripe-secret-key", "stripe.env", format!("STRIPE_SECRET_KEY=sk_live_{}", s(ALNUM, 24)), format!("STRIPE_PUBLISHABLE_KEY=pk_live_{}", s(ALNUM, 24))),
        case("stripe-test-secret-key", "stripe-test.env", format!("STRIPE_SECRET_KEY=sk_test_{}", s(ALNUM, 24)), format!("STRIPE_PUBLISHABLE_KEY=pk_test_{}", s(ALNUM, 24))),
        case("square-access-token", "square.env", format!("SQUARE_ACCESS_TOKEN=EAAA{}", s(B64URL, 60)), format!("SQUARE_ACCESS_TOKEN=EAAA{}", s(ALNUM, 30))),
        case("square-oauth-secret", "square2.env", format!("SQUARE_SECRET=sq0csp-{}", s(B64URL, 43)), format!("SQUARE_SECRET=sq0csp-{}", s(ALNUM, 20))),
        case("shopify-access-token", "shop.env", format!("SHOPIFY_TOKEN=shpat_{}", s(HEX, 32)), format!("SHOPIFY_TOKEN=shpat_{}", s("ghijklmnopqrstuvwxyz", 32))),
        case("shopify-custom-app-token", "shop2.env", format!("SHOPIFY_TOKEN=shpca_{}", s(HEX, 32)), format!("SHOPIFY_TOKEN=shpca_{}", s(HEX, 31))),
        case("shopify-private-app-token", "shop3.env", format!("SHOPIFY_TOKEN=shppa_{}", s(HEX, 32)), format!("SHOPIFY_TOKEN=shppa_{}", s(HEX, 20))),
        case("shopify-shared-secret", "shop4.env", format!("SHOPIFY_SECRET=shpss_{}", s(HEX, 32)), format!("SHOPIFY_SECRET=shpss_{}", s("ghijklmnopqrstuvwxyz", 32))),
        case("sendgrid-api-key", "mail.env", format!("SENDGRID_API_KEY=SG.{}.{}", s(B64URL, 22), s(B64URL, 43)), format!("SENDGRID_API_KEY=SG.{}.{}", s(ALNUM, 22), s(ALNUM, 20))),
        case("twilio-api-key", "twilio.env", format!("TWILIO_API_KEY=SK{}", s(HEX, 32)), format!("TWILIO_API_KEY=SK{}", s("GHIJKLMNOPQRSTUVWXYZ", 32))),
        case("twilio-auth-token", "twilio2.env", format!("TWILIO_AUTH_TOKEN={}", s(HEX, 32)), format!("TWILIO_ACCOUNT_SID=AC{}", s(HEX, 32))),
        case("mailgun-api-key", "mailgun.env", format!("MAILGUN_API_KEY=key-{}", s(HEX, 32)), format!("CACHE=build-cache-key-{}", s(HEX, 32))),
        case("mailgun-private-key", "mailgun2.env", format!("MAILGUN_SIGNING_KEY={}-{}-{}", s(HEX, 32), s(HEX, 8), s(HEX, 8)), "MAILGUN_DOMAIN=mg.acme-corp.io".into()),
        case("openai-api-key", "openai.py", format!("client = OpenAI(api_key=\"sk-proj-{}T3BlbkFJ{}\")", s(B64URL, 74), s(B64URL, 74)), format!("client = OpenAI(api_key=\"sk-proj-{}\")", s(ALNUM, 12))),
        case("anthropic-api-key", "claude.py", format!("key = 'sk-ant-api03-{}AA'", s(B64URL, 93)), format!("key = 'sk-ant-api03-{}'", s(ALNUM, 12))),
        case("anthropic-admin-key", "admin.py", format!("key = 'sk-ant-admin01-{}AA'", s(B64URL, 93)), format!("key = 'sk-ant-admin01-{}'", s(ALNUM, 12))),
        case("huggingface-token", "hf.env", format!("HF_TOKEN=hf_{}", s(LETTERS, 34)), format!("HF_TOKEN=hf_{}", s(LETTERS, 20))),
        case("databricks-token", "dbx.env", format!("DATABRICKS_TOKEN=dapi{}", s(HEX, 32)), format!("DATABRICKS_TOKEN=dapi{}", s("ghijklmnopqrstuvwxyz", 32))),
        case("datadog-api-key", "dd.env", format!("DD_API_KEY={}", s(HEX, 32)), "DD_SITE=datadoghq.eu".into()),
        case("datadog-app-key", "dd2.env", format!("DD_APP_KEY={}", s(HEX, 40)), format!("DD_APP_KEY={}", s(HEX, 32))),
        case("newrelic-user-api-key", "nr.env", format!("NEW_RELIC_API_KEY=NRAK-{}", s(UPPER_ALNUM, 27)), format!("NEW_RELIC_API_KEY=NRAK-{}", s(UPPER_ALNUM, 12))),
        case("newrelic-insert-key", "nr2.env", format!("NEW_RELIC_INSERT_KEY=NRII-{}", s(B64URL, 32)), format!("NEW_RELIC_INSERT_KEY=NRII-{}", s(ALNUM, 10))),
        case("newrelic-license-key", "nr3.env", format!("NEW_RELIC_LICENSE_KEY={}NRAL", s(HEX, 36)), format!("NEW_RELIC_LICENSE_KEY={}NRAL", s(HEX, 30))),
        case("sentry-dsn-secret", "sentry.py", format!("sentry_sdk.init(\"https://{}:{}@o{}.ingest.sentry.io/{}\")", s(HEX, 32), s(HEX, 32), s(DIGITS, 6), s(DIGITS, 7)), format!("sentry_sdk.init(\"https://{}@o{}.ingest.sentry.io/{}\")", s(HEX, 32), s(DIGITS, 6), s(DIGITS, 7))),
        case("sentry-org-token", "sentryclirc", format!("token=sntrys_eyJ{}_{}", s(B64, 120), s(B64, 43)), format!("token=sntrys_{}", s(ALNUM, 20))),
        case("sentry-user-token", "sentry.env", format!("SENTRY_AUTH_TOKEN=sntryu_{}", s(HEX, 64)), format!("SENTRY_AUTH_TOKEN=sntryu_{}", s(HEX, 60))),
        case("doppler-token", "doppler.env", format!("DOPPLER_TOKEN=dp.st.prd.{}", s(ALNUM, 43)), format!("DOPPLER_TOKEN=dp.st.{}", s(ALNUM, 20))),
        case("vault-token", "vault.env", format!("VAULT_TOKEN=hvs.{}", s(B64URL, 95)), format!("VAULT_TOKEN=hvs.{}", s(ALNUM, 10))),
        case("vault-legacy-token", "vault2.env", format!("VAULT_TOKEN=s.{}", s(ALNUM, 24)), format!("x = s.{}", s(LETTERS, 24))),
        case("replicate-api-token", "replicate.env", format!("REPLICATE_API_TOKEN=r8_{}", s(ALNUM, 37)), format!("# Replicate tokens look like r8_{} in the dashboard", s(ALNUM, 36))),
        case("rubygems-api-key", "credentials", format!("---\n:rubygems_api_key: rubygems_{}", s(HEX, 48)), format!("# RubyGems keys look like rubygems_{}", s("ghijklmnopqrstuvwxyz", 48))),
        case("crates-io-api-token", "credentials.toml", format!("[registry]\ntoken = \"cio{}\"", s(ALNUM, 32)), format!("# crates.io tokens look like cio{}", s(ALNUM, 31))),
        case("docker-hub-pat", "docker-login.sh", format!("echo dckr_pat_{} | docker login -u ci --password-stdin", s(ALNUM, 27)), format!("# Docker tokens look like dckr_pat_{}", s(ALNUM, 12))),
        case("buildkite-token", "buildkite.env", format!("BUILDKITE_API_TOKEN=bkua_{}", s(HEX, 40)), format!("# Buildkite tokens look like bkua_{}", s(HEX, 20))),
        case("azure-devops-pat", "azure-pipelines.env", format!("AZURE_DEVOPS_EXT_PAT={}AZDO{}", s(ALNUM, 76), s(ALNUM, 4)), format!("# build {}AZDX{}", s(ALNUM, 76), s(ALNUM, 4))),
        case("sourcegraph-access-token", "src.env", format!("SRC_ACCESS_TOKEN=sgp_{}_{}", s(HEX, 16), s(HEX, 40)), format!("# Sourcegraph tokens look like sgp_local_{}", s(HEX, 39))),
        case("sourcegraph-service-token", "sg.env", format!("SOURCEGRAPH_LICENSE_TOKEN=slk_{}", s(HEX, 64)), format!("# license tokens look like slk_{}", s(HEX, 63))),
        case("cloudflare-scannable-token", "cf.env", format!("CLOUDFLARE_API_TOKEN=cfut_{}{}", s(ALNUM, 40), s(HEX, 8)), format!("# Cloudflare tokens look like cfut_{} plus a checksum", s(ALNUM, 40))),
        case("tailscale-key", "tailscale.sh", format!("tailscale up --authkey=tskey-auth-k{}CNTRL-{}", s(ALNUM, 10), s(ALNUM, 33)), format!("# Tailscale keys look like tskey-auth-{}-{}", s(ALNUM, 5), s(ALNUM, 10))),
        case("dynatrace-token", "dynatrace.env", format!("DT_API_TOKEN=dt0c01.{}.{}", s(UPPER_ALNUM, 24), s(UPPER_ALNUM, 64)), format!("# token id dt0c01.{} is the public portion only", s(UPPER_ALNUM, 24))),
        case("mapbox-secret-token", "mapbox.env", format!("MAPBOX_DOWNLOADS_TOKEN=sk.eyJ1{}.{}", s(ALNUM, 70), s(B64URL, 22)), format!("# the public token pk.eyJ1{}.{} may ship in the app", s(ALNUM, 70), s(ALNUM, 22))),
        case("supabase-secret-key", "supabase.env", format!("SUPABASE_SECRET_KEY=sb_secret_{}", s(ALNUM, 31)), format!("# the publishable key sb_publishable_{} is public", s(ALNUM, 31))),
        case("stripe-webhook-secret", "stripe-webhook.env", format!("STRIPE_WEBHOOK_SECRET=whsec_{}", s(ALNUM, 32)), format!("# Stripe signing secrets look like whsec_{}", s(ALNUM, 16))),
        case("age-secret-key", "key.txt", format!("# created: 2026-01-02T15:04:05Z\n# public key: age1{}\nAGE-SECRET-KEY-1{}", s("abcdefghijklmnopqrstuvwxyz0123456789", 58), s("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)), format!("# truncated AGE-SECRET-KEY-1{}", s("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 57))),
        case("ibm-cloud-api-key", "ibmcloud.env", format!("IBMCLOUD_API_KEY={}", s(B64URL, 44)), format!("IBMCLOUD_API_KEY={}", s(B64URL, 40))),
        case("alibaba-cloud-access-key-id", "aliyun.env", format!("ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5t{}", s(ALNUM, 18)), format!("ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI{}", s(ALNUM, 8))),
        case("alibaba-cloud-access-key-secret", "aliyun-secret.py", format!("client = AcsClient(access_key_id, access_key_secret=\"{}\", region_id=\"cn-hangzhou\")", s(ALNUM, 30)), format!("client = AcsClient(access_key_id, access_key_secret=\"{}\", region_id=\"cn-hangzhou\")", s(ALNUM, 24))),
        case("tencent-cloud-secret-id", "tencent.env", format!("TENCENTCLOUD_SECRET_ID=AKID{}", s(ALNUM, 32)), format!("TENCENTCLOUD_SECRET_ID=AKID{}", s(ALNUM, 20))),
        case("tencent-cloud-secret-key", "tencent-key.env", format!("TENCENTCLOUD_SECRET_KEY={}", s(ALNUM, 32)), format!("TENCENTCLOUD_REGION=ap-{}", s(LOWER, 8))),
        case("yandex-cloud-api-key", "yandex.env", format!("YC_API_KEY=AQVN{}", s(B64URL, 36)), format!("YC_API_KEY=AQVN{}", s(B64URL, 20))),
        case("yandex-cloud-iam-token", "yc-iam.sh", format!("curl -H \"Authorization: Bearer t1.{}.{}==\" https://resource-manager.api.cloud.yandex.net/resource-manager/v1/clouds", s(B64URL, 60), s(B64URL, 86)), format!("curl -H \"Authorization: Bearer t1.{}.{}\" https://resource-manager.api.cloud.yandex.net/resource-manager/v1/clouds", s(B64URL, 60), s(B64URL, 40))),
        case("yandex-oauth-token", "yc-oauth.env", format!("YC_TOKEN=y0_{}", s(B64URL, 55)), format!("YC_TOKEN=y7_{}", s(B64URL, 55))),
        case("linode-personal-access-token", "linode.env", format!("LINODE_TOKEN={}", s(HEX, 64)), format!("LINODE_TOKEN={}", s(HEX, 40))),
        case("scaleway-secret-key", "scaleway.env", format!("SCW_SECRET_KEY={}", uuid()), format!("SCW_DEFAULT_PROJECT_ID={}", uuid())),
        case("vultr-api-key", "vultr.env", format!("VULTR_API_KEY={}", s(UPPER_ALNUM, 36)), format!("VULTR_API_KEY={}", s("abcdefghijklmnopqrstuvwxyz0123456789", 36))),
        case("hetzner-cloud-token", "hetzner.tfvars", format!("hcloud_token = \"{}\"", s(ALNUM, 64)), format!("HCLOUD_TOKEN={}", s(ALNUM, 40))),
        case("ovh-application-secret", "ovh.env", format!("OVH_APPLICATION_SECRET={}", s(ALNUM, 32)), format!("OVH_APPLICATION_KEY={}", s(ALNUM, 16))),
        case("flyio-access-token", "flyio.yml", format!("      - run: flyctl deploy --remote-only\n        env:\n          FLY_API_TOKEN: \"FlyV1 fm2_{},fm2_{}\"", s(B64, 120), s(B64, 90)), format!("      - run: flyctl deploy --remote-only\n        env:\n          FLY_API_TOKEN: \"FlyV1 fm2_{}\"", s(B64, 20))),
        case("pulumi-access-token", "pulumi.env", format!("PULUMI_ACCESS_TOKEN=pul-{}", s(HEX, 40)), format!("PULUMI_ACCESS_TOKEN=pul-{}", s(HEX, 32))),
        case("terraform-cloud-api-token", "terraform-credentials.tfrc.json", format!("{{\n  \"credentials\": {{\n    \"app.terraform.io\": {{\n      \"token\": \"{}.atlasv1.{}\"\n    }}\n  }}\n}}", s(ALNUM, 14), s(B64URL, 67)), format!("{{\"credentials\": {{\"app.terraform.io\": {{\"token\": \"{}.atlasv1.{}\"}}}}}}", s(ALNUM, 14), s(B64URL, 20))),
        case("netlify-access-token", "netlify.env", format!("NETLIFY_AUTH_TOKEN=nfp_{}", s(ALNUM, 36)), format!("NETLIFY_AUTH_TOKEN=nfp_{}", s(ALNUM, 30))),
        case("vercel-token", "vercel.env", format!("VERCEL_TOKEN={}", s(ALNUM, 24)), format!("VERCEL_TOKEN={}", s(ALNUM, 30))),
        case("railway-token", "railway.env", format!("RAILWAY_TOKEN={}", uuid()), format!("RAILWAY_PROJECT_ID={}", uuid())),
        case("cloudinary-url", "cloudinary.env", format!("CLOUDINARY_URL=cloudinary://{}:{}@acme-media", s(DIGITS, 15), s(B64URL, 27)), format!("CLOUDINARY_URL=cloudinary://{}:<api_secret>@acme-media", s(DIGITS, 15))),
        case("fastly-api-token", "fastly.env", format!("FASTLY_API_TOKEN={}", s(B64URL, 32)), format!("FASTLY_SERVICE_ID={}", s(ALNUM, 22))),
        case("akamai-edgegrid-token", "akamai.edgerc", format!("[default]\nhost = akab-{}-{}.luna.akamaiapis.net\naccess_token = akab-{}-{}", s("abcdefghijklmnopqrstuvwxyz0123456789", 16), s("abcdefghijklmnopqrstuvwxyz0123456789", 16), s("abcdefghijklmnopqrstuvwxyz0123456789", 16), s("abcdefghijklmnopqrstuvwxyz0123456789", 16)), format!("[default]\nhost = akab-{}-{}.luna.akamaiapis.net", s("abcdefghijklmnopqrstuvwxyz0123456789", 16), s("abcdefghijklmnopqrstuvwxyz0123456789", 16))),
        case("akamai-edgegrid-client-secret", "akamai2.edgerc", format!("[default]\nclient_secret = {}=\nhost = akab-{}-{}.luna.akamaiapis.net\naccess_token = akab-{}-{}\nclient_token = akab-{}-{}", s(B64, 43), s("abcdefghijklmnopqrstuvwxyz0123456789", 16), s("abcdefghijklmnopqrstuvwxyz0123456789", 16), s("abcdefghijklmnopqrstuvwxyz0123456789", 16), s("abcdefghijklmnopqrstuvwxyz0123456789", 16), s("abcdefghijklmnopqrstuvwxyz0123456789", 16), s("abcdefghijklmnopqrstuvwxyz0123456789", 16)), format!("[oauth]\nclient_secret = {}=\ntoken_url = https://login.acme-corp.io/token", s(B64, 43))),
        case("kubernetes-bootstrap-token", "kubeadm-join.sh", format!("kubeadm join 10.0.0.10:6443 --token {}.{} --discovery-token-ca-cert-hash sha256:{}", s("abcdefghijklmnopqrstuvwxyz0123456789", 6), s("abcdefghijklmnopqrstuvwxyz0123456789", 16), s(HEX, 64)), format!("kubeadm join 10.0.0.10:6443 --token $JOIN_TOKEN --discovery-token-ca-cert-hash sha256:{}", s(HEX, 64))),
        case("okta-api-token", "okta.sh", format!("curl -H \"Authorization: SSWS 00{}\" https://acme.okta.com/api/v1/users", s(B64URL, 40)), format!("curl -H \"Authorization: SSWS 00{}\" https://acme.okta.com/api/v1/users", s(B64URL, 30))),
        case("auth0-client-secret", "auth0.env", format!("AUTH0_CLIENT_SECRET={}", s(B64URL, 64)), format!("AUTH0_CLIENT_ID={}", s(ALNUM, 32))),
        case("onepassword-service-account-token", "onepassword.env", format!("OP_SERVICE_ACCOUNT_TOKEN=ops_eyJ{}", s(B64, 600)), format!("OP_SERVICE_ACCOUNT_TOKEN=ops_eyJ{}", s(B64, 40))),
        case("onepassword-secret-key", "onepassword-kit.txt", format!("Secret Key: A3-{}-{}-{}-{}-{}-{}", s(UPPER_ALNUM, 6), s(UPPER_ALNUM, 6), s(UPPER_ALNUM, 5), s(UPPER_ALNUM, 5), s(UPPER_ALNUM, 5), s(UPPER_ALNUM, 5)), format!("Secret Key: A3-{}-{}-{}", s(UPPER_ALNUM, 6), s(UPPER_ALNUM, 6), s(UPPER_ALNUM, 5))),
        case("infisical-service-token", "infisical.env", format!("INFISICAL_TOKEN=st.{}.{}.{}", uuid(), s(HEX, 32), s(HEX, 32)), format!("INFISICAL_TOKEN=st.{}.{}", uuid(), s(HEX, 32))),
        case("ory-api-key", "ory.env", format!("ORY_API_KEY=ory_pat_{}", s(ALNUM, 32)), format!("ORY_API_KEY=ory_pat_{}", s(ALNUM, 10))),
        case("keycloak-client-secret", "keycloak-application.properties", format!("spring.security.oauth2.client.registration.keycloak.client-secret={}", s(ALNUM, 32)), format!("spring.security.oauth2.client.registration.keycloak.client-secret={}", s(ALNUM, 20))),
        case("doppler-service-account-identity-token", "doppler-said.env", format!("DOPPLER_TOKEN=dp.said.{}", s(ALNUM, 43)), format!("DOPPLER_TOKEN=dp.said.{}", s(ALNUM, 20))),
        case("groq-api-key", "groq.env", format!("GROQ_API_KEY=gsk_{}", s(ALNUM, 52)), format!("GROQ_API_KEY=gsk_{}", s(ALNUM, 51))),
        case("perplexity-api-key", "perplexity.py", format!("client = OpenAI(api_key=\"pplx-{}\", base_url=\"https://api.perplexity.ai\")", s(ALNUM, 48)), format!("client = OpenAI(api_key=\"pplx-{}\", base_url=\"https://api.perplexity.ai\")", s(ALNUM, 40))),
        case("xai-api-key", "xai.env", format!("XAI_API_KEY=xai-{}", s(ALNUM, 80)), format!("XAI_API_KEY=xai-{}", s(ALNUM, 40))),
        case("openrouter-api-key", "openrouter.sh", format!("curl https://openrouter.ai/api/v1/models -H \"Authorization: Bearer sk-or-v1-{}\"", s(HEX, 64)), format!("OPENROUTER_API_KEY=sk-or-v1-{}", s("ghijklmnopqrstuvwxyz", 64))),
        case("together-api-key", "together.env", format!("TOGETHER_API_KEY=tgp_v1_{}", s(B64URL, 43)), format!("TOGETHER_API_KEY=tgp_v1_{}", s(ALNUM, 20))),
        case("together-api-key-legacy", "together-legacy.env", format!("TOGETHER_API_KEY={}", s(HEX, 64)), format!("TOGETHER_MODEL_ID={}", s(HEX, 64))),
        case("mistral-api-key", "mistral.env", format!("MISTRAL_API_KEY={}", s(ALNUM, 32)), format!("MISTRAL_API_KEY={}", s(ALNUM, 31))),
        case("cohere-api-key", "cohere.env", format!("CO_API_KEY={}", s(ALNUM, 40)), format!("CO_API_KEY={}", s(ALNUM, 32))),
        case("deepseek-api-key", "deepseek.env", format!("DEEPSEEK_API_KEY=sk-{}", s(HEX, 32)), format!("OPENAI_API_KEY=sk-{}", s(HEX, 32))),
        case("cerebras-api-key", "cerebras.env", format!("CEREBRAS_API_KEY=csk-{}", s("abcdefghijklmnopqrstuvwxyz0123456789", 48)), format!("CEREBRAS_API_KEY=csk-{}", s("abcdefghijklmnopqrstuvwxyz0123456789", 47))),
        case("nvidia-api-key", "nvidia.env", format!("NVIDIA_API_KEY=nvapi-{}", s(B64URL, 64)), format!("NVIDIA_API_KEY=nvapi-{}", s(B64URL, 40))),
        case("stability-api-key", "stability.env", format!("STABILITY_API_KEY=sk-{}", s(ALNUM, 48)), format!("STABILITY_API_KEY=sk-{}", s(ALNUM, 40))),
        case("elevenlabs-api-key", "elevenlabs.sh", format!("curl https://api.elevenlabs.io/v1/voices -H \"xi-api-key: sk_{}\"", s(HEX, 48)), format!("ELEVENLABS_API_KEY=sk_{}", s(HEX, 40))),
        case("deepgram-api-key", "deepgram.env", format!("DEEPGRAM_API_KEY={}", s(HEX, 40)), format!("DEEPGRAM_PROJECT_ID={}", uuid())),
        case("assemblyai-api-key", "assemblyai.py", format!("ASSEMBLYAI_API_KEY = \"{}\"", s(HEX, 32)), format!("ASSEMBLYAI_API_KEY = \"{}\"", s(HEX, 31))),
        case("azure-openai-api-key", "azure-openai.env", format!("AZURE_OPENAI_API_KEY={}", s(HEX, 32)), format!("AZURE_OPENAI_DEPLOYMENT_ID={}", s(HEX, 32))),
        case("exa-api-key", "exa.env", format!("EXA_API_KEY={}", uuid()), format!("EXA_SEARCH_ID={}", uuid())),
        case("modal-token-secret", "modal.toml", format!("[default]\ntoken_id = \"ak-{}\"\ntoken_secret = \"as-{}\"", s(ALNUM, 22), s(ALNUM, 22)), format!("[default]\ntoken_id = \"ak-{}\"\ntoken_secret = \"as-{}\"", s(ALNUM, 22), s(ALNUM, 10))),
        case("langsmith-api-key", "langsmith.env", format!("LANGSMITH_API_KEY=lsv2_pt_{}_{}", s(HEX, 32), s(HEX, 10)), format!("LANGSMITH_API_KEY=lsv2_pt_{}", s(HEX, 32))),
        case("langfuse-secret-key", "langfuse.env", format!("LANGFUSE_SECRET_KEY=sk-lf-{}", uuid()), format!("LANGFUSE_PUBLIC_KEY=pk-lf-{}", uuid())),
        case("wandb-api-key", "wandb.env", format!("WANDB_API_KEY={}", s(HEX, 40)), format!("WANDB_RUN_ID={}", s(HEX, 40))),
        case("wandb-api-key-v1", "wandb-v1.sh", format!("export WANDB_API_KEY=\"wandb_v1_{}_{}\"", s(ALNUM, 27), s(ALNUM, 49)), format!("export WANDB_API_KEY=\"wandb_v1_{}\"", s(ALNUM, 27))),
        case("helicone-api-key", "helicone.ts", format!("headers: {{ \"Helicone-Auth\": \"Bearer sk-helicone-{}-{}-{}-{}\" }}", s("abcdefghijklmnopqrstuvwxyz234567", 7), s("abcdefghijklmnopqrstuvwxyz234567", 7), s("abcdefghijklmnopqrstuvwxyz234567", 7), s("abcdefghijklmnopqrstuvwxyz234567", 7)), format!("headers: {{ \"Helicone-Auth\": \"Bearer pk-helicone-{}-{}-{}-{}\" }}", s("abcdefghijklmnopqrstuvwxyz234567", 7), s("abcdefghijklmnopqrstuvwxyz234567", 7), s("abcdefghijklmnopqrstuvwxyz234567", 7), s("abcdefghijklmnopqrstuvwxyz234567", 7))),
        case("clarifai-pat", "clarifai.env", format!("CLARIFAI_PAT={}", s(HEX, 32)), format!("CLARIFAI_USER_ID={}", s(HEX, 32))),
        case("pinecone-api-key", "pinecone.env", format!("PINECONE_API_KEY=pcsk_{}_{}", s(ALNUM, 6), s(ALNUM, 63)), format!("PINECONE_API_KEY=pcsk_{}_{}", s(ALNUM, 6), s(ALNUM, 30))),
        case("voyage-api-key", "voyage.py", format!("vo = voyageai.Client(api_key=\"pa-{}\")", s(B64URL, 43)), format!("vo = voyageai.Client(api_key=\"pa-{}\")", s(B64URL, 20))),
        case("jina-api-key", "jina.env", format!("JINA_API_KEY=jina_{}{}", s(HEX, 32), s(ALNUM, 28)), format!("JINA_API_KEY=jina_{}", s(HEX, 32))),
        case("tavily-api-key", "tavily.py", format!("client = TavilyClient(api_key=\"tvly-dev-{}-{}\")", s(ALNUM, 6), s(ALNUM, 42)), "client = TavilyClient(api_key=\"tvly-YOUR_API_KEY\")".into()),
        case("firecrawl-api-key", "firecrawl.py", format!("app = FirecrawlApp(api_key=\"fc-{}\")", s(HEX, 32)), "app = FirecrawlApp(api_key=\"fc-YOUR-API-KEY\")".into()),
        case("llamacloud-api-key", "llamacloud.env", format!("LLAMA_CLOUD_API_KEY=llx-{}", s(ALNUM, 48)), format!("LLAMA_CLOUD_API_KEY=llx-{}", s(ALNUM, 40))),
        case("e2b-api-key", "e2b.env", format!("E2B_API_KEY=e2b_{}", s(HEX, 40)), format!("E2B_API_KEY=e2b_{}", s(HEX, 32))),
        case("browserbase-api-key", "browserbase.env", format!("BROWSERBASE_API_KEY=bb_live_{}", s(B64URL, 27)), format!("BROWSERBASE_API_KEY=bb_live_{}", s(ALNUM, 20))),
        case("bitbucket-app-password", "bitbucket.env", format!("BITBUCKET_APP_PASSWORD=ATBB{}", s(ALNUM, 32)), format!("BITBUCKET_APP_PASSWORD=ATBB{}", s(ALNUM, 31))),
        case("bitbucket-access-token", "bitbucket-clone.sh", format!("git clone https://x-token-auth:ATCTT3xFfGN0{}={}@bitbucket.org/acme/infra.git", s(B64URL, 171), s("0123456789ABCDEF", 8)), format!("# repository access tokens look like ATCTT3xFfGN0{}", s(ALNUM, 40))),
        case("gitea-access-token", "gitea.env", format!("GITEA_TOKEN={}", s(HEX, 40)), format!("GITEA_TOKEN={}", s(HEX, 39))),
        case("gitpod-access-token", "gitpod.env", format!("GITPOD_TOKEN=gitpod_pat_{}.{}", s(B64URL, 43), s(ALNUM, 40)), format!("GITPOD_TOKEN=gitpod_pat_example.{}", s(ALNUM, 20))),
        case("circleci-api-token", "circleci.sh", format!("curl -H \"Circle-Token: CCIPAT_{}_{}\" https://circleci.com/api/v2/me", s("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", 22), s(HEX, 40)), format!("curl -H \"Circle-Token: CCIPAT_{}_{}\" https://circleci.com/api/v2/me", s("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", 22), s(HEX, 39))),
        case("circleci-legacy-token", "circle.env", format!("CIRCLECI_TOKEN={}", s(HEX, 40)), format!("CIRCLE_SHA1={}", s(HEX, 40))),
        case("jenkins-api-token", "jenkins.env", format!("JENKINS_API_TOKEN=11{}", s(HEX, 32)), format!("JENKINS_API_TOKEN=11{}", s(HEX, 31))),
        case("codecov-upload-token", "codecov.env", format!("CODECOV_TOKEN={}", uuid()), format!("CODECOV_REPO_ID={}", uuid())),
        case("sonarqube-token", "sonar-project.properties", format!("sonar.token=sqp_{}", s(HEX, 40)), format!("sonar.token=sqp_{}", s(HEX, 39))),
        case("snyk-api-token", "snyk.env", format!("SNYK_TOKEN={}", uuid()), format!("SNYK_ORG_ID={}", uuid())),
        case("harness-personal-access-token", "harness.env", format!("HARNESS_PLATFORM_API_KEY=pat.{}.{}.{}", s(B64URL, 22), s(HEX, 24), s(ALNUM, 20)), format!("HARNESS_PLATFORM_API_KEY=pat.{}.{}", s(B64URL, 22), s(HEX, 24))),
        case("harness-service-account-token", "harness-sat.env", format!("HARNESS_API_KEY=sat.{}.{}.{}", s(B64URL, 22), s(HEX, 24), s(ALNUM, 20)), format!("HARNESS_API_KEY=sat.{}.{}.{}", s(B64URL, 22), s(HEX, 24), s(ALNUM, 12))),
        case("octopus-deploy-api-key", "octopus.ps1", format!("$apiKey = \"API-{}\"", s(UPPER_ALNUM, 26)), format!("$apiKey = \"API-{}\"", s(UPPER_ALNUM, 25))),
        case("prefect-api-key", "prefect.env", format!("PREFECT_API_KEY=pnu_{}", s(ALNUM, 36)), format!("PREFECT_API_KEY=pnu_{}", s(ALNUM, 35))),
        case("jfrog-api-key", "artifactory.sh", format!("curl -H \"X-JFrog-Art-Api: AKCp{}\" https://acme.jfrog.io/artifactory/api/system/ping", s(ALNUM, 69)), format!("curl -H \"X-JFrog-Art-Api: AKCp{}\" https://acme.jfrog.io/artifactory/api/system/ping", s(ALNUM, 68))),
        case("jfrog-reference-token", "jfrog.env", format!("JFROG_ACCESS_TOKEN=cmVmdGtuOjAxOj{}", s(ALNUM, 50)), format!("JFROG_ACCESS_TOKEN=cmVmdGtuOjAxOj{}", s(ALNUM, 40))),
        case("nuget-api-key", "nuget-push.sh", format!("dotnet nuget push app.nupkg --api-key oy2{} --source https://api.nuget.org/v3/index.json", s("abcdefghijklmnopqrstuvwxyz0123456789", 43)), format!("dotnet nuget push app.nupkg --api-key oy2{} --source https://api.nuget.org/v3/index.json", s("abcdefghijklmnopqrstuvwxyz0123456789", 42))),
        case("grafana-service-account-token", "grafana.env", format!("GRAFANA_TOKEN=glsa_{}_{}", s(ALNUM, 32), s(HEX, 8)), format!("GRAFANA_TOKEN=glsa_{}", s(ALNUM, 32))),
        case("grafana-cloud-token", "alloy.env", format!("GRAFANA_CLOUD_TOKEN=glc_eyJ{}=", s(B64, 120)), format!("GRAFANA_CLOUD_TOKEN=glc_eyJ{}", s(ALNUM, 20))),
        case("readme-api-key", "readme.env", format!("README_API_KEY=rdme_{}", s("abcdefghijklmnopqrstuvwxyz0123456789", 70)), format!("README_API_KEY=rdme_{}", s("abcdefghijklmnopqrstuvwxyz0123456789", 69))),
        case("launchdarkly-key", "launchdarkly.env", format!("LAUNCHDARKLY_SDK_KEY=sdk-{}", uuid()), format!("LAUNCHDARKLY_MOBILE_KEY=mob-{}", uuid())),
        case("contentful-personal-access-token", "contentful.env", format!("CONTENTFUL_MANAGEMENT_TOKEN=CFPAT-{}", s(B64URL, 43)), format!("CONTENTFUL_MANAGEMENT_TOKEN=CFPAT-{}", s(ALNUM, 30))),
        case("figma-personal-access-token", "figma.env", format!("FIGMA_ACCESS_TOKEN=figd_{}", s(B64URL, 40)), "FIGMA_ACCESS_TOKEN=figd_your_token_here".into()),
        case("frameio-developer-token", "frameio_export.py", format!("client = FrameioClient(\"fio-u-{}\")", s(B64URL, 64)), format!("client = FrameioClient(\"fio-u-{}\")", s(B64URL, 40))),
        case("notion-integration-token", "notion.env", format!("NOTION_TOKEN=ntn_{}{}", s(DIGITS, 11), s(ALNUM, 35)), format!("NOTION_TOKEN=ntn_{}{}", s(DIGITS, 11), s(ALNUM, 34))),
        case("notion-legacy-token", "notion-legacy.env", format!("NOTION_API_KEY=secret_{}", s(ALNUM, 43)), format!("NOTION_API_KEY=secret_{}", s(ALNUM, 42))),
        case("airtable-personal-access-token", "airtable.env", format!("AIRTABLE_API_KEY=pat{}.{}", s(ALNUM, 14), s(HEX, 64)), format!("AIRTABLE_API_KEY=pat{}.{}", s(ALNUM, 14), s(HEX, 63))),
        case("clickup-api-token", "clickup.env", format!("CLICKUP_API_TOKEN=pk_{}_{}", s(DIGITS, 8), s(UPPER_ALNUM, 32)), format!("CLICKUP_API_TOKEN=pk_{}_{}", s(DIGITS, 8), s(UPPER_ALNUM, 31))),
        case("trello-api-token", "trello.env", format!("TRELLO_TOKEN=ATTA{}", s(HEX, 72)), format!("TRELLO_API_KEY={}", s(HEX, 32))),
        case("zendesk-api-token", "zendesk.env", format!("ZENDESK_API_TOKEN={}", s(ALNUM, 40)), format!("ZENDESK_API_TOKEN={}", s(ALNUM, 39))),
        case("hubspot-private-app-token", "hubspot.env", format!("HUBSPOT_ACCESS_TOKEN=pat-eu1-{}", uuid()), format!("# HubSpot developer portal id pat-xx9-{}", uuid())),
        case("typeform-personal-access-token", "typeform.env", format!("TYPEFORM_TOKEN=tfp_{}_{}", s(B64URL, 44), s(ALNUM, 14)), format!("TYPEFORM_TOKEN=tfp_{}", s(ALNUM, 30))),
        case("dropbox-access-token", "dropbox_sync.py", format!("DROPBOX_ACCESS_TOKEN = \"sl.{}\"", s(B64URL, 140)), format!("DROPBOX_APP_KEY = \"{}\"", s("abcdefghijklmnopqrstuvwxyz0123456789", 15))),
        case("shippo-live-token", "shippo.env", format!("SHIPPO_API_KEY=shippo_live_{}", s(HEX, 40)), format!("SHIPPO_API_KEY=shippo_test_{}", s(HEX, 40))),
        case("braintree-access-token", "braintree.py", format!("gateway = braintree.BraintreeGateway(access_token=\"access_token$production${}${}\")", s("abcdefghijklmnopqrstuvwxyz0123456789", 16), s(HEX, 32)), format!("gateway = braintree.BraintreeGateway(access_token=\"access_token$production${}${}\")", s("abcdefghijklmnopqrstuvwxyz0123456789", 16), s(HEX, 31))),
        case("adyen-api-key", "adyen.env", format!("ADYEN_API_KEY=AQE{}==-{}=-{}", s(B64, 73), s(B64, 43), s(ALNUM, 12)), format!("ADYEN_CLIENT_KEY=test_{}", s(UPPER_ALNUM, 32))),
        case("razorpay-key-secret", "razorpay.sh", format!("curl -u rzp_live_{}:{} https://api.razorpay.com/v1/payments", s(ALNUM, 14), s(ALNUM, 24)), format!("RAZORPAY_KEY_ID=rzp_live_{}", s(ALNUM, 14))),
        case("paystack-secret-key", "paystack.env", format!("PAYSTACK_SECRET_KEY=sk_live_{}", s(HEX, 40)), format!("PAYSTACK_PUBLIC_KEY=pk_live_{}", s(HEX, 40))),
        case("flutterwave-secret-key", "flutterwave.env", format!("FLW_SECRET_KEY=FLWSECK_TEST-{}-X", s(HEX, 32)), format!("FLW_PUBLIC_KEY=FLWPUBK_TEST-{}-X", s(HEX, 32))),
        case("mollie-api-key", "mollie.env", format!("MOLLIE_API_KEY=live_{}", s(ALNUM, 30)), format!("MOLLIE_API_KEY=live_{}", s(ALNUM, 29))),
        case("checkout-com-secret-key", "checkout.env", format!("CKO_SECRET_KEY=sk_{}", uuid()), format!("CKO_PUBLIC_KEY=pk_{}", uuid())),
        case("gocardless-access-token", "gocardless.env", format!("GOCARDLESS_ACCESS_TOKEN=live_{}", s(B64URL, 40)), format!("GOCARDLESS_ACCESS_TOKEN=live_{}", s(B64URL, 20))),
        case("plaid-secret", "plaid.env", format!("PLAID_SECRET={}", s(HEX, 30)), format!("PLAID_CLIENT_ID={}", s(HEX, 24))),
        case("plaid-access-token", "plaid.py", format!("access_token = \"access-production-{}\"", uuid()), format!("public_token = \"public-production-{}\"", uuid())),
        case("wise-api-token", "wise.env", format!("WISE_API_TOKEN={}", uuid()), format!("WISE_PROFILE_ID={}", s(DIGITS, 8))),
        case("paddle-api-key", "paddle.env", format!("PADDLE_API_KEY=pdl_live_apikey_{}_{}_{}", s("abcdefghijklmnopqrstuvwxyz0123456789", 26), s(ALNUM, 22), s(ALNUM, 3)), format!("PADDLE_CLIENT_TOKEN=live_{}", s("abcdefghijklmnopqrstuvwxyz0123456789", 27))),
        case("vonage-api-secret", "vonage.env", format!("VONAGE_API_SECRET={}", s(ALNUM, 16)), format!("VONAGE_API_KEY={}", s(HEX, 8))),
        case("messagebird-access-key", "messagebird.env", format!("MESSAGEBIRD_ACCESS_KEY={}", s(ALNUM, 25)), format!("MESSAGEBIRD_ACCESS_KEY={}", s(ALNUM, 24))),
        case("telnyx-api-key", "telnyx.env", format!("TELNYX_API_KEY=KEY01{}_{}", s("0123456789ABCDEF", 30), s(ALNUM, 22)), format!("TELNYX_API_KEY=KEY01{}", s("0123456789ABCDEF", 30))),
        case("plivo-auth-token", "plivo.env", format!("PLIVO_AUTH_TOKEN={}", s(ALNUM, 40)), format!("PLIVO_AUTH_ID=MA{}", s(UPPER_ALNUM, 18))),
        case("pusher-app-secret", "pusher.env", format!("PUSHER_APP_SECRET={}", s(HEX, 20)), format!("PUSHER_APP_KEY={}", s(HEX, 20))),
        case("ably-api-key", "ably.env", format!("ABLY_API_KEY={}.{}:{}", s(B64URL, 6), s(B64URL, 6), s(B64URL, 43)), format!("ABLY_KEY_NAME={}.{}", s(B64URL, 6), s(B64URL, 6))),
        case("stream-api-secret", "stream.env", format!("STREAM_API_SECRET={}", s("abcdefghijklmnopqrstuvwxyz0123456789", 64)), format!("STREAM_API_KEY={}", s("abcdefghijklmnopqrstuvwxyz0123456789", 12))),
        case("twitch-api-secret", "twitch.env", format!("TWITCH_CLIENT_SECRET={}", s("abcdefghijklmnopqrstuvwxyz0123456789", 30)), format!("TWITCH_CLIENT_ID={}", s("abcdefghijklmnopqrstuvwxyz0123456789", 30))),
        case("microsoft-teams-webhook-url", "teams.env", format!("TEAMS_WEBHOOK=https://acmecorp.webhook.office.com/webhookb2/{}@{}/IncomingWebhook/{}/{}", uuid(), uuid(), s(HEX, 32), uuid()), "TEAMS_WEBHOOK=https://acmecorp.webhook.office.com/webhookb2/<group>@<tenant>/IncomingWebhook/<id>/<owner>".into()),
        case("mattermost-access-token", "mattermost.env", format!("MATTERMOST_TOKEN={}", s("abcdefghijklmnopqrstuvwxyz0123456789", 26)), format!("MATTERMOST_TEAM_ID={}", s("abcdefghijklmnopqrstuvwxyz0123456789", 26))),
        case("zulip-api-key", "zulip.env", format!("ZULIP_API_KEY={}", s(ALNUM, 32)), format!("ZULIP_API_KEY={}", s(ALNUM, 31))),
        case("line-channel-secret", "line.env", format!("LINE_CHANNEL_SECRET={}", s(HEX, 32)), format!("LINE_CHANNEL_ID={}", s(DIGITS, 10))),
        case("facebook-access-token", "facebook.env", format!("FB_PAGE_ACCESS_TOKEN=EAA{}", s(ALNUM, 180)), format!("FB_PAGE_ACCESS_TOKEN=EAA{}", s(ALNUM, 50))),
        case("facebook-app-secret", "facebook-app.env", format!("FACEBOOK_APP_SECRET={}", s(HEX, 32)), format!("FACEBOOK_APP_ID={}", s(DIGITS, 15))),
        case("twitter-bearer-token", "twitter.env", format!("TWITTER_BEARER_TOKEN=AAAAAAAAAAAAAAAAAAAAA{}AAAAAAA{}%2B{}%3D{}", s(ALNUM, 10), s(ALNUM, 20), s(ALNUM, 20), s(ALNUM, 50)), format!("TWITTER_BEARER_TOKEN=AAAAAAAAAAAAAAAAAAAAA{}", s(ALNUM, 30))),
        case("twitter-api-secret", "twitter-secret.env", format!("TWITTER_API_SECRET={}", s(ALNUM, 50)), format!("TWITTER_API_KEY={}", s(ALNUM, 25))),
        case("mailjet-secret-key", "mailjet.env", format!("MJ_APIKEY_PRIVATE={}", s(HEX, 32)), format!("MJ_APIKEY_PUBLIC={}", s(HEX, 32))),
        case("postmark-token", "postmark.sh", format!("curl -H \"X-Postmark-Server-Token: {}\" https://api.postmarkapp.com/email", uuid()), "POSTMARK_SERVER_TOKEN=POSTMARK_API_TEST".into()),
        case("sparkpost-api-key", "sparkpost.env", format!("SPARKPOST_API_KEY={}", s(HEX, 40)), format!("SPARKPOST_API_KEY={}", s(HEX, 32))),
        case("mandrill-api-key", "mandrill.env", format!("MANDRILL_API_KEY=md-{}", s(B64URL, 22)), format!("MANDRILL_API_KEY=md-{}", s(B64URL, 16))),
        case("brevo-api-key", "brevo.env", format!("BREVO_API_KEY=xkeysib-{}-{}", s(HEX, 64), s(ALNUM, 16)), format!("BREVO_API_KEY=xkeysib-{}", s(HEX, 64))),
        case("brevo-smtp-key", "brevo-smtp.env", format!("SMTP_PASSWORD=xsmtpsib-{}-{}", s(HEX, 64), s(ALNUM, 16)), format!("SMTP_PASSWORD=xsmtpsib-{}-{}", s(HEX, 63), s(ALNUM, 16))),
        case("resend-api-key", "resend.js", format!("const resend = new Resend('re_{}_{}');", s(ALNUM, 8), s(ALNUM, 24)), format!("RESEND_REFUND_ID=re_{}", s(ALNUM, 24))),
        case("mailersend-api-token", "mailersend.env", format!("MAILERSEND_API_KEY=mlsn.{}", s(HEX, 64)), format!("MAILERSEND_API_KEY=mlsn.{}", s(HEX, 40))),
        case("customerio-api-key", "customerio.env", format!("CUSTOMERIO_API_KEY={}", s(HEX, 20)), format!("CUSTOMERIO_SITE_ID={}", s(HEX, 20))),
        case("honeycomb-ingest-key", "honeycomb.env", format!("OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-team=hcaik_{}", s("abcdefghijklmnopqrstuvwxyz0123456789", 58)), format!("HONEYCOMB_INGEST_KEY_ID=hcaik_{}", s("abcdefghijklmnopqrstuvwxyz0123456789", 26))),
        case("honeycomb-management-key", "honeycomb-mgmt.sh", format!("curl -H \"Authorization: Bearer hcxmk_{}:{}\" https://api.honeycomb.io/2/teams/acme/environments", s("abcdefghijklmnopqrstuvwxyz0123456789", 26), s("abcdefghijklmnopqrstuvwxyz0123456789", 32)), format!("HONEYCOMB_MANAGEMENT_KEY_ID=hcxmk_{}", s("abcdefghijklmnopqrstuvwxyz0123456789", 26))),
        case("honeycomb-api-key", "honeycomb-classic.env", format!("HONEYCOMB_API_KEY={}", s(ALNUM, 22)), "HONEYCOMB_DATASET=frontend-prod".into()),
        case("splunk-hec-token", "splunk.sh", format!("curl -k https://splunk.acme-corp.io:8088/services/collector -H \"Authorization: Splunk {}\" -d @event.json", uuid()), "SPLUNK_HEC_URL=https://splunk.acme-corp.io:8088/services/collector".into()),
        case("sumologic-access-key", "sumologic.env", format!("SUMO_ACCESS_KEY={}", s(ALNUM, 64)), format!("SUMO_ACCESS_ID=su{}", s(ALNUM, 12))),
        case("logzio-token", "logzio.env", format!("LOGZIO_SHIPPING_TOKEN={}", s(LETTERS, 32)), format!("LOGZIO_SHIPPING_TOKEN={}", s(LETTERS, 24))),
        case("loggly-customer-token", "loggly.sh", format!("curl -H \"content-type:text/plain\" -d \"hello\" https://logs-01.loggly.com/inputs/{}/tag/http/", uuid()), "curl -d \"hello\" https://logs-01.loggly.com/inputs/TOKEN/tag/http/".into()),
        case("pagerduty-api-key", "pagerduty.env", format!("PAGERDUTY_API_TOKEN=u+{}", s(B64URL, 18)), format!("PAGERDUTY_API_TOKEN=u+{}", s(B64URL, 10))),
        case("pagerduty-routing-key", "pagerduty-events.env", format!("PAGERDUTY_ROUTING_KEY={}", s(HEX, 32)), format!("PAGERDUTY_SERVICE_ID=P{}", s(UPPER_ALNUM, 6))),
        case("opsgenie-api-key", "opsgenie.sh", format!("curl -X POST https://api.opsgenie.com/v2/alerts -H \"Authorization: GenieKey {}\"", uuid()), "OPSGENIE_API_URL=https://api.eu.opsgenie.com".into()),
        case("rollbar-access-token", "rollbar.env", format!("ROLLBAR_ACCESS_TOKEN={}", s(HEX, 32)), format!("ROLLBAR_CLIENT_TOKEN={}", s(HEX, 32))),
        case("bugsnag-api-key", "bugsnag.env", format!("BUGSNAG_API_KEY={}", s(HEX, 32)), format!("BUGSNAG_API_KEY={}", s(HEX, 31))),
        case("elastic-api-key", "elastic.env", format!("ELASTIC_API_KEY={}==", s(B64, 58)), format!("ELASTIC_API_KEY_ID={}", s(B64URL, 20))),
        case("axiom-token", "axiom.env", format!("AXIOM_TOKEN=xaat-{}", uuid()), format!("AXIOM_TOKEN=xaat-{}", s(HEX, 8))),
        case("posthog-personal-api-key", "posthog.env", format!("POSTHOG_PERSONAL_API_KEY=phx_{}", s(ALNUM, 47)), format!("NEXT_PUBLIC_POSTHOG_KEY=phc_{}", s(ALNUM, 43))),
        case("segment-write-key", "segment.env", format!("SEGMENT_WRITE_KEY={}", s(ALNUM, 32)), format!("SEGMENT_WRITE_KEY={}", s(ALNUM, 20))),
        case("mixpanel-api-secret", "mixpanel.env", format!("MIXPANEL_API_SECRET={}", s(HEX, 32)), format!("MIXPANEL_TOKEN={}", s(HEX, 32))),
        case("amplitude-secret-key", "amplitude.env", format!("AMPLITUDE_SECRET_KEY={}", s(HEX, 32)), format!("AMPLITUDE_API_KEY={}", s(HEX, 32))),
        case("algolia-admin-key", "algolia.env", format!("ALGOLIA_ADMIN_API_KEY={}", s(HEX, 32)), format!("ALGOLIA_SEARCH_API_KEY={}", s(HEX, 32))),
        case("planetscale-password", "planetscale.env", format!("DATABASE_URL=mysql://{}:pscale_pw_{}@aws.connect.psdb.cloud/shop?sslaccept=strict", s("abcdefghijklmnopqrstuvwxyz0123456789", 20), s(ALNUM, 43)), format!("DATABASE_PASSWORD=pscale_pw_{}", s(ALNUM, 30))),
        case("planetscale-service-token", "pscale-token.sh", format!("docker run -e PLANETSCALE_SERVICE_TOKEN_ID={} -e PLANETSCALE_SERVICE_TOKEN=pscale_tkn_{} planetscale/pscale", s("abcdefghijklmnopqrstuvwxyz0123456789", 12), s(B64URL, 43)), format!("PLANETSCALE_SERVICE_TOKEN=pscale_tkn_{}", s(B64URL, 42))),
        case("supabase-access-token", "supabase-pat.env", format!("SUPABASE_ACCESS_TOKEN=sbp_{}", s(HEX, 40)), format!("SUPABASE_ACCESS_TOKEN=sbp_{}", s(HEX, 39))),
        case("neon-api-key", "neon.env", format!("NEON_API_KEY=napi_{}", s("abcdefghijklmnopqrstuvwxyz0123456789", 64)), format!("NEON_API_KEY=napi_{}", s("abcdefghijklmnopqrstuvwxyz0123456789", 40))),
        case("mongodb-atlas-service-account-secret", "atlas-sa.env", format!("ATLAS_CLIENT_ID=mdb_sa_id_{}\nATLAS_CLIENT_SECRET=mdb_sa_sk_{}", s(HEX, 24), s(B64URL, 40)), format!("ATLAS_CLIENT_ID=mdb_sa_id_{}", s(HEX, 24))),
        case("mongodb-atlas-api-private-key", "atlas-api.env", format!("MONGODB_ATLAS_PUBLIC_KEY={}\nMONGODB_ATLAS_PRIVATE_KEY={}", s("abcdefghijklmnopqrstuvwxyz", 8), uuid()), format!("ATLASSIAN_PRIVATE_KEY={}\nMONGODB_ATLAS_ORG_ID={}", uuid(), uuid())),
        case("cockroachdb-cloud-api-key", "cockroach.tf", format!("provider \"cockroach\" {{\n  apikey = \"CCDB1_{}_{}\"\n}}", s(ALNUM, 22), s(ALNUM, 40)), format!("COCKROACH_API_KEY_ID=CCDB1_{}", s(ALNUM, 22))),
        case("xata-api-key", "xata.env", format!("XATA_API_KEY=xau_{}", s(ALNUM, 33)), format!("XATA_API_KEY=xau_{}", s(ALNUM, 20))),
        case("confluent-cloud-api-secret", "confluent.env", format!("CONFLUENT_CLOUD_API_KEY={}\nCONFLUENT_CLOUD_API_SECRET=cflt{}", s(UPPER_ALNUM, 16), s(B64, 60)), format!("CONFLUENT_CLOUD_API_KEY={}\nCONFLUENT_CLOUD_API_SECRET={}", s(UPPER_ALNUM, 16), s(B64, 40))),
        case("convex-deploy-key", "convex.sh", format!("export CONVEX_DEPLOY_KEY=\"prod:happy-otter-123|eyJ2MiI6{}=\"", s(B64, 47)), "CONVEX_DEPLOYMENT=prod:happy-otter-123".into()),
        case("clickhouse-cloud-api-secret", "clickhouse.env", format!("CLICKHOUSE_KEY_ID={}\nCLICKHOUSE_KEY_SECRET=4b1d{}", s(ALNUM, 20), s(ALNUM, 38)), format!("CLICKHOUSE_KEY_ID={}\nCLICKHOUSE_KEY_SECRET={}", s(ALNUM, 20), s(ALNUM, 42))),
        case("elastic-cloud-api-key", "elastic.env", format!("EC_API_KEY=essu_{}AAAAA{}=", s(B64, 80), s(B64, 6)), format!("EC_API_KEY=essu_{}", s(B64, 92))),
        case("duffel-access-token", "duffel.sh", format!("curl -H \"Authorization: Bearer duffel_live_{}\" https://api.duffel.com/air/offer_requests", s(B64URL, 43)), format!("DUFFEL_ACCESS_TOKEN=duffel_test_{}", s(ALNUM, 12))),
        case("adobe-client-secret", "adobe.py", format!("os.environ[\"PDF_SERVICES_CLIENT_SECRET\"] = \"p8e-{}\"", s(B64URL, 32)), format!("headers = {{\"p8e-client-version\": \"{}\"}}", s(DIGITS, 3))),
        case("openweather-api-key", "openweather.js", format!("fetch(`https://api.openweathermap.org/data/2.5/weather?q=Oslo&appid={}`)", s(HEX, 32)), format!("OPENWEATHER_API_KEY={}", s(HEX, 31))),
        case("etherscan-api-key", "hardhat.config.js", format!("const ETHERSCAN_API_KEY = \"{}\";", s(UPPER_ALNUM, 34)), format!("const ETHERSCAN_API_KEY = \"{}\";", s(UPPER_ALNUM, 32))),
        case("infura-api-key", "infura.js", format!("const provider = new JsonRpcProvider(\"https://mainnet.infura.io/v3/{}\");", s(HEX, 32)), "const provider = new JsonRpcProvider(\"https://mainnet.infura.io/v3/${INFURA_API_KEY}\");".into()),
        case("alchemy-api-key", "alchemy.env", format!("RPC_URL=https://eth-mainnet.g.alchemy.com/v2/{}", s(B64URL, 32)), format!("ALCHEMY_API_KEY={}", s(B64URL, 24))),
        case("coinmarketcap-api-key", "cmc.py", format!("headers = {{\"X-CMC_PRO_API_KEY\": \"{}\"}}", uuid()), format!("COINMARKETCAP_LISTING_ID={}", uuid())),
        case("alphavantage-api-key", "alphavantage.env", format!("ALPHA_VANTAGE_API_KEY={}", s(UPPER_ALNUM, 16)), format!("ALPHA_VANTAGE_API_KEY={}", s(UPPER_ALNUM, 12))),
        case("finnhub-api-key", "finnhub.env", format!("FINNHUB_API_KEY={}", s("abcdefghijklmnopqrstuvwxyz0123456789", 20)), format!("FINNHUB_API_KEY={}", s(UPPER_ALNUM, 20))),
        case("polygon-io-api-key", "polygon.env", format!("POLYGON_API_KEY={}", s(ALNUM, 32)), format!("POLYGONSCAN_API_KEY={}", s(UPPER_ALNUM, 34))),
        case("nasa-api-key", "nasa.py", format!("requests.get(\"https://api.nasa.gov/planetary/apod?api_key={}\")", s(ALNUM, 40)), "requests.get(\"https://api.nasa.gov/planetary/apod?api_key=DEMO_KEY\")".into()),
        case("tomtom-api-key", "tomtom.env", format!("TOMTOM_API_KEY={}", s(ALNUM, 32)), format!("TOMTOM_API_KEY={}", s(ALNUM, 28))),
        case("mapquest-api-key", "mapquest.yaml", format!("geocoder:\n  mapquest_api_key: \"{}\"", s(ALNUM, 32)), format!("geocoder:\n  mapquest_api_key: \"{}\"", s(ALNUM, 16))),
        case("here-api-key", "here.env", format!("HERE_API_KEY={}", s(B64URL, 43)), format!("HERE_APP_ID={}", s(B64URL, 20))),
        case("docusign-client-secret", "docusign.env", format!("DOCUSIGN_INTEGRATION_KEY={}\nDOCUSIGN_CLIENT_SECRET={}", uuid(), uuid()), format!("DOCUSIGN_INTEGRATION_KEY={}\nDOCUSIGN_USER_ID={}", uuid(), uuid())),
        case("pipedrive-api-token", "pipedrive.env", format!("PIPEDRIVE_API_TOKEN={}", s(HEX, 40)), format!("PIPEDRIVE_COMPANY_DOMAIN={}", s("abcdefghijklmnopqrstuvwxyz", 10))),
        case("freshdesk-api-key", "freshdesk.env", format!("FRESHDESK_API_KEY={}", s(ALNUM, 20)), format!("FRESHDESK_API_KEY={}", s(ALNUM, 24))),
        case("eventbrite-token", "eventbrite.env", format!("EVENTBRITE_PRIVATE_TOKEN={}", s(UPPER_ALNUM, 20)), format!("EVENTBRITE_ORGANIZATION_ID={}", s(DIGITS, 12))),
        case("yelp-api-key", "yelp.env", format!("YELP_API_KEY={}", s(B64URL, 128)), format!("YELP_CLIENT_ID={}", s(B64URL, 22))),
        case("mux-token-secret", "mux.env", format!("MUX_TOKEN_ID={}\nMUX_TOKEN_SECRET={}", uuid(), s(B64, 75)), format!("MUX_TOKEN_ID={}\nMUX_TOKEN_SECRET=your-mux-token-secret", uuid())),
        case("vimeo-access-token", "vimeo.env", format!("VIMEO_ACCESS_TOKEN={}", s(HEX, 32)), format!("VIMEO_CLIENT_ID={}", s(HEX, 40))),
        case("fivetran-api-secret", "fivetran.env", format!("FIVETRAN_API_KEY={}\nFIVETRAN_API_SECRET={}", s(ALNUM, 16), s(ALNUM, 32)), format!("FIVETRAN_API_KEY={}\nFIVETRAN_API_SECRET={}", s(ALNUM, 16), s(ALNUM, 16))),
        case("socket-api-token", "socket.env", format!("SOCKET_SECURITY_API_TOKEN=sktsec_{}_api", s(B64URL, 44)), format!("SOCKET_SECURITY_API_TOKEN=sktsec_{}_api", s(B64URL, 12))),
        case("deno-deploy-token", "deno-deploy.sh", format!("export DENO_DEPLOY_TOKEN=ddp_{}", s(ALNUM, 36)), format!("export DENO_DEPLOY_TOKEN=ddp_{}", s(ALNUM, 30))),
        case("semgrep-app-token", "semgrep.env", format!("SEMGREP_APP_TOKEN={}", s(HEX, 64)), format!("SEMGREP_APP_TOKEN={}", s(HEX, 40))),
        case("saucelabs-access-key", "saucelabs.sh", format!("export SAUCE_ACCESS_KEY={}", uuid()), format!("export SAUCE_TUNNEL_ID={}", uuid())),
        case("cypress-record-key", "cypress-ci.yml", format!("      - run: npx cypress run --record --key {} --parallel", uuid()), format!("      - run: npx cypress run --record --ci-build-id {} --parallel", uuid())),
        case("percy-token", "percy.env", format!("PERCY_TOKEN=web_{}", s(HEX, 64)), format!("PERCY_TOKEN=web_{}", s(HEX, 40))),
        case("codacy-project-token", "codacy.sh", format!("cat coverage/lcov.info | CODACY_PROJECT_TOKEN={} npx codacy-coverage", s(HEX, 32)), format!("cat coverage/lcov.info | CODACY_PROJECT_TOKEN={} npx codacy-coverage", s(HEX, 24))),
        case("rancher-api-token", "rancher.sh", format!("rancher login https://rancher.acme.dev --token token-{}:{}", s("bcdfghjklmnpqrstvwxz2456789", 5), s("bcdfghjklmnpqrstvwxz2456789", 54)), format!("rancher login https://rancher.acme.dev --token token-{}:{}", s("bcdfghjklmnpqrstvwxz2456789", 5), s("bcdfghjklmnpqrstvwxz2456789", 40))),
        case("portainer-access-token", "portainer.sh", format!("curl -H \"X-API-Key: ptr_{}=\" https://portainer.acme.dev/api/endpoints", s(B64, 43)), format!("curl -H \"X-API-Key: ptr_{}\" https://portainer.acme.dev/api/endpoints", s(B64, 30))),
        case("consul-acl-token", "consul.env", format!("CONSUL_HTTP_TOKEN={}", uuid()), format!("CONSUL_TOKEN_ACCESSOR={}", uuid())),
        case("nomad-acl-token", "nomad.env", format!("NOMAD_TOKEN={}", uuid()), format!("NOMAD_TOKEN_ACCESSOR={}", uuid())),
        case("tinybird-token", "tinybird.env", format!("TB_TOKEN=p.eyJ1IjogI{}.{}", s(B64URL, 120), s(B64URL, 43)), format!("TB_TOKEN=p.eyJ1IjogI{}", s(B64URL, 120))),
        case("configcat-sdk-key", "configcat.env", format!("CONFIGCAT_SDK_KEY=configcat-sdk-1/{}/{}", s(B64URL, 22), s(B64URL, 22)), format!("CONFIGCAT_SDK_KEY=configcat-sdk-1/{}/{}", s(B64URL, 22), s(B64URL, 12))),
        case("flagsmith-server-key", "flagsmith.env", format!("FLAGSMITH_ENVIRONMENT_KEY=ser.{}", s("23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", 22)), format!("FLAGSMITH_ENVIRONMENT_KEY={}", s("23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", 22))),
        case("unleash-api-token", "unleash.env", format!("UNLEASH_API_TOKEN=default:production.{}", s(HEX, 56)), "UNLEASH_API_TOKEN=default:development.unleash-insecure-api-token".into()),
        case("statsig-server-secret-key", "statsig.env", format!("STATSIG_SERVER_SECRET_KEY=secret-{}", s(ALNUM, 43)), format!("STATSIG_CLIENT_KEY=client-{}", s(ALNUM, 43))),
        case("healthchecks-api-key", "healthchecks.env", format!("HEALTHCHECKS_API_KEY={}", s(B64URL, 32)), format!("HEALTHCHECKS_PING_KEY={}", s(B64URL, 22))),
        case("checkly-api-key", "checkly.env", format!("CHECKLY_API_KEY=cu_{}", s(HEX, 32)), format!("CHECKLY_API_KEY=cu_{}", s(HEX, 24))),
        case("clerk-secret-key", "clerk.env", format!("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY=pk_test_{}\nCLERK_SECRET_KEY=sk_live_{}", s(B64URL, 20), s(ALNUM, 42)), format!("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY=pk_live_{}", s(ALNUM, 42))),
        case("magic-secret-key", "magic-admin.js", format!("const magic = new Magic('sk_live_{}');", s("0123456789ABCDEF", 16)), format!("const magic = new Magic('pk_live_{}');", s("0123456789ABCDEF", 16))),
        case("xendit-secret-key", "xendit.php", format!("$apiKey = \"xnd_development_{}==\";", s(B64, 60)), format!("$publicKey = \"xnd_public_development_{}==\";", s(B64, 60))),
        case("midtrans-server-key", "midtrans.env", format!("MIDTRANS_SERVER_KEY=SB-Mid-server-{}", s(B64URL, 24)), format!("MIDTRANS_CLIENT_KEY=SB-Mid-client-{}", s(B64URL, 24))),
        case("mercadopago-access-token", "mercadopago.env", format!("MERCADOPAGO_ACCESS_TOKEN=APP_USR-{}-{}-{}-{}", s(DIGITS, 16), s(DIGITS, 6), s(HEX, 32), s(DIGITS, 10)), format!("MERCADOPAGO_PUBLIC_KEY=APP_USR-{}", uuid())),
        case("omise-secret-key", "omise.php", format!("define('OMISE_SECRET_KEY', 'skey_test_{}{}');", s(DIGITS, 1), s("abcdefghijklmnopqrstuvwxyz0123456789", 18)), format!("define('OMISE_PUBLIC_KEY', 'pkey_test_{}{}');", s(DIGITS, 1), s("abcdefghijklmnopqrstuvwxyz0123456789", 18))),
        case("recurly-api-key", "recurly.env", format!("RECURLY_API_KEY={}", s(HEX, 32)), format!("RECURLY_PUBLIC_KEY=ewr1-{}", s(ALNUM, 22))),
        case("chargebee-api-key", "chargebee.env", format!("CHARGEBEE_SITE=acme-test\nCHARGEBEE_API_KEY=test_{}", s(ALNUM, 34)), format!("CHARGEBEE_PUBLISHABLE_KEY=test_{}", s(ALNUM, 34))),
        case("authorizenet-transaction-key", "authorizenet.env", format!("AUTHORIZE_NET_API_LOGIN_ID={}\nAUTHORIZE_NET_TRANSACTION_KEY={}", s(ALNUM, 10), s(ALNUM, 16)), format!("AUTHORIZE_NET_TRANSACTION_KEY={}", s(ALNUM, 12))),
        case("woocommerce-consumer-secret", "woocommerce.env", format!("WOOCOMMERCE_CONSUMER_KEY=ck_{}\nWOOCOMMERCE_CONSUMER_SECRET=cs_{}", s(HEX, 40), s(HEX, 40)), format!("WOOCOMMERCE_CONSUMER_SECRET=cs_{}", s(HEX, 39))),
        case("cal-com-api-key", "calcom.sh", format!("curl https://api.cal.com/v2/bookings -H \"Authorization: Bearer cal_live_{}\"", s(HEX, 32)), format!("curl https://api.cal.com/v2/bookings -H \"Authorization: Bearer cal_live_{}\"", s("ghijklmnopqrstuvwxyz", 32))),
        case("klaviyo-private-api-key", "klaviyo.env", format!("KLAVIYO_PUBLIC_KEY={}\nKLAVIYO_PRIVATE_API_KEY=pk_{}", s(ALNUM, 6), s(HEX, 34)), format!("KLAVIYO_PRIVATE_API_KEY=pk_{}", s(HEX, 32))),
        case("activecampaign-api-key", "activecampaign.env", format!("ACTIVECAMPAIGN_URL=https://acme.api-us1.com\nACTIVECAMPAIGN_API_KEY={}", s(HEX, 72)), format!("ACTIVECAMPAIGN_API_KEY={}", s(HEX, 64))),
        case("mailtrap-api-token", "mailtrap.env", format!("MAILTRAP_API_TOKEN={}", s(HEX, 32)), format!("MAILTRAP_INBOX_ID={}", s(DIGITS, 7))),
        case("zoho-oauth-token", "zoho.py", format!("headers = {{'Authorization': 'Zoho-oauthtoken 1000.{}.{}'}}", s(HEX, 32), s(HEX, 32)), format!("ZOHO_CLIENT_ID = '1000.{}'", s(UPPER_ALNUM, 30))),
        case("close-api-key", "close.env", format!("CLOSE_API_KEY=api_{}.{}", s(ALNUM, 22), s(ALNUM, 22)), format!("CLOSE_API_KEY=api_{}", s(ALNUM, 22))),
        case("pinterest-access-token", "pinterest.sh", format!("curl https://api.pinterest.com/v5/pins -H \"Authorization: Bearer pina_{}\"", s(BASE32, 96)), format!("export PINTEREST_TOKEN=pina_{}", s(BASE32, 40))),
        case("instagram-access-token", "instagram.js", format!("fetch('https://graph.instagram.com/me/media?fields=id,media_url&access_token=IGQVJ{}')", s(B64URL, 180)), format!("fetch('https://graph.instagram.com/me/media?fields=id,media_url&access_token=IGQVJ{}')", s(B64URL, 40))),
        case("linkedin-client-secret", "linkedin.env", format!("LINKEDIN_CLIENT_ID={}\nLINKEDIN_CLIENT_SECRET=WPL_AP1.{}.{}==", s("abcdefghijklmnopqrstuvwxyz0123456789", 14), s(ALNUM, 16), s(ALNUM, 6)), format!("LINKEDIN_CLIENT_SECRET=WPL_AP1.{}.{}==", s(ALNUM, 10), s(ALNUM, 6))),
        case("spotify-client-secret", "spotify.env", format!("SPOTIFY_CLIENT_ID={}\nSPOTIFY_CLIENT_SECRET={}", s(HEX, 32), s(HEX, 32)), format!("SPOTIFY_CLIENT_ID={}", s(HEX, 32))),
        case("reddit-client-secret", "reddit.env", format!("REDDIT_CLIENT_ID={}\nREDDIT_CLIENT_SECRET={}", s(B64URL, 14), s(B64URL, 27)), format!("REDDIT_CLIENT_ID={}", s(B64URL, 22))),
        case("workos-api-key", "workos.env", format!("WORKOS_CLIENT_ID=client_{}\nWORKOS_API_KEY=sk_test_{}", s(UPPER_ALNUM, 26), s(ALNUM, 80)), format!("WORKOS_CLIENT_ID=client_{}", s(UPPER_ALNUM, 26))),
        case("duo-secret-key", "duo.env", format!("DUO_INTEGRATION_KEY=DI{}\nDUO_SECRET_KEY={}\nDUO_API_HOSTNAME=api-{}.duosecurity.com", s(UPPER_ALNUM, 18), s(ALNUM, 40), s(HEX, 8)), format!("DUO_INTEGRATION_KEY=DI{}", s(UPPER_ALNUM, 18))),
        case("bitwarden-access-token", "bws.sh", format!("export BWS_ACCESS_TOKEN=0.{}.{}:{}==", uuid(), s(ALNUM, 30), s(B64, 22)), format!("export BWS_PROJECT_ID={}", uuid())),
        case("jumpcloud-api-key", "jumpcloud.env", format!("JUMPCLOUD_API_KEY={}", s(HEX, 40)), format!("JUMPCLOUD_ORG_ID={}", s(HEX, 24))),
        case("ghost-admin-api-key", "ghost.env", format!("GHOST_API_URL=https://blog.acme-corp.io\nGHOST_ADMIN_API_KEY={}:{}", s(HEX, 24), s(HEX, 64)), format!("GHOST_CONTENT_API_KEY={}", s(HEX, 26))),
        case("agora-app-certificate", "agora.env", format!("AGORA_APP_ID={}\nAGORA_APP_CERTIFICATE={}", s(HEX, 32), s(HEX, 32)), format!("AGORA_APP_ID={}", s(HEX, 32))),
        case("livekit-api-secret", "livekit.env", format!("LIVEKIT_API_KEY=API{}\nLIVEKIT_API_SECRET={}", s(ALNUM, 12), s(ALNUM, 43)), format!("LIVEKIT_API_KEY=API{}", s(ALNUM, 12))),
        case("daily-api-key", "daily.env", format!("DAILY_API_KEY={}", s(HEX, 64)), "DAILY_DOMAIN=acme.daily.co".into()),
        case("sendbird-api-token", "sendbird.env", format!("SENDBIRD_APP_ID={}\nSENDBIRD_API_TOKEN={}", uuid(), s(HEX, 40)), format!("SENDBIRD_APP_ID={}", uuid())),
        case("box-client-secret", "box.env", format!("BOX_CLIENT_ID={}\nBOX_CLIENT_SECRET={}", s("abcdefghijklmnopqrstuvwxyz0123456789", 32), s(ALNUM, 32)), format!("DROPBOX_CLIENT_SECRET={}", s(ALNUM, 32))),
        case("meilisearch-api-key", "meilisearch.env", format!("MEILISEARCH_HOST=https://ms-{}.meilisearch.io\nMEILISEARCH_API_KEY={}", s(HEX, 12), s(HEX, 64)), format!("MEILISEARCH_INDEX_UID={}", s(HEX, 64))),
        case("ipinfo-token", "ipinfo.env", format!("IPINFO_TOKEN={}", s(HEX, 14)), format!("IPINFO_TOKEN={}", s(HEX, 12))),
        case("env-list-secret", "deployment.yaml", format!("      containers:\n        - name: app\n          env:\n            - name: APP_CLIENT_SECRET\n              value: \"{}\"\n", s(ALNUM, 32)), "          env:\n            - name: APP_CLIENT_SECRET\n              valueFrom:\n                secretKeyRef:\n                  name: app-secrets\n".into()),
        case("cli-credential-flag", "deploy.sh", format!("#!/bin/sh\ncurl -s -u deploy:{} https://ci.internal.example/api/deploy\n", s(ALNUM, 20)), "#!/bin/sh\ncurl -s -u deploy:$DEPLOY_PASSWORD https://ci.internal.example/api/deploy\n".into()),
        case("secret-in-prose", "chat-2026-11-20.log", format!("[10:02] dana: the vpn password is {}7q, please fix it\n", s(ALNUM, 10)), "[10:02] dana: my password is expired, can you reset it?\n".into()),
        case("private-key", "id_rsa", pem(&r, "RSA PRIVATE KEY"), "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n".into()),
        case("jwt", "token.txt", format!("Authorization token {jwt_header}.eyJ{}.{}", s(B64URL, 60), s(B64URL, 43)), "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjM0NTYifQ.".into()),
        case("database-url-password", "db.env", format!("DATABASE_URL=postgres://app:{}@db.internal:5432/app", s(ALNUM, 16)), "DATABASE_URL=postgres://user:password@localhost:5432/app".into()),
        case("url-credentials", "remote.sh", format!("git clone https://deploy:{}@git.acme-corp.io/ops/infra.git", s(ALNUM, 20)), "git clone https://user:password@git.acme-corp.io/ops/infra.git".into()),
        case("authorization-header", "call.sh", format!("curl -H \"Authorization: Bearer {}\" https://api.acme-corp.io", s(ALNUM, 40)), "curl -H \"Authorization: Bearer $API_TOKEN\" https://api.acme-corp.io".into()),
        case("url-password-parameter", "jdbc.txt", format!("jdbc:mysql://db:3306/app?user=app&password={}&useSSL=true", s(ALNUM, 14)), "jdbc:mysql://db:3306/app?user=app&password=${DB_PASSWORD}".into()),
        case("npmrc-auth-token", ".npmrc", format!("//registry.npmjs.org/:_authToken={}", uuid()), "//registry.npmjs.org/:_authToken=${NPM_TOKEN}".into()),
        case("netrc-password", ".netrc", format!("machine api.acme-corp.io login deploy password {}", s(ALNUM, 20)), "machine api.acme-corp.io login deploy password $TOKEN".into()),
        case("docker-config-auth", "config.json", format!("{{\"auths\": {{\"ghcr.io\": {{\"auth\": \"{}\"}}}}}}", s(B64, 32)), "{\"auths\": {\"ghcr.io\": {\"auth\": \"\"}}}".into()),
        case("gcp-oauth-client-secret", "client.json", format!("{{\"client_secret\": \"GOCSPX-{}\"}}", s(B64URL, 28)), format!("{{\"client_secret\": \"GOCSPX-{}\"}}", s(ALNUM, 12))),
        case("gcp-oauth-access-token", "gcloud.log", format!("access token ya29.{}", s(B64URL, 120)), format!("access token ya29.{}", s(ALNUM, 10))),
        case("azure-sas-token", "blob.txt", format!("https://logs.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2026-01-01&sig={}%3D", s(ALNUM, 43)), "https://logs.blob.core.windows.net/c?sv=2022-11-02&ss=b&sig=<signature>".into()),
        case("mailchimp-api-key", "mc.env", format!("MC_KEY={}-us{}", s(HEX, 32), r.range(1, 21)), format!("MC_KEY={}-us{}", s(HEX, 31), r.range(1, 21))),
        case("secret-handed-over", "support-chat-2026-11-21.log", format!("[14:02] sam: staging is down again\n[14:03] kim: use password {}7x for the staging db\n", s(ALNUM, 10)), "[14:03] kim: use password authentication for the staging db\n".into()),
        case("credentials-in-prose", "handover.md", format!("The old box is still up; creds are deploy / {}4q if you need them.\n", s(ALNUM, 11)), "The old box is still up; creds are in the vault / ask the on-call engineer.\n".into()),
        case("json-name-value-secret", "task-definition.json", format!("{{\n  \"environment\": [\n    {{\"name\": \"LOG_LEVEL\", \"value\": \"info\"}},\n    {{\n      \"name\": \"DB_PASSWORD\",\n      \"value\": \"{}\"\n    }}\n  ]\n}}", s(ALNUM, 20)), "{\n  \"secrets\": [\n    {\"name\": \"DB_PASSWORD\", \"valueFrom\": \"arn:aws:ssm:eu-west-1:123456789012:parameter/db\"}\n  ]\n}".into()),
        case("jdbc-oracle-password", "ingest.py", format!("ORACLE = \"jdbc:oracle:thin:finance_ro/{}@//ora-fin.corp.acme-corp.io:1521/FINPRD\"", s(ALNUM, 18)), "ORACLE = \"jdbc:oracle:thin:scott/tiger@//localhost:1521/XE\"".into()),
        case("aspnet-machine-key", "Web.config", format!("<system.web>\n  <machineKey validationKey=\"{}\" decryptionKey=\"{}\" validation=\"HMACSHA256\" />\n</system.web>", s("0123456789ABCDEF", 128), s("0123456789ABCDEF", 64)), "<system.web>\n  <machineKey validationKey=\"AutoGenerate,IsolateApps\" decryptionKey=\"AutoGenerate,IsolateApps\" />\n</system.web>".into()),
        case("cli-credential-flag", "release.sh", format!("docker login -u ci-bot -p {}7Q registry.acme-corp.io", s(ALNUM, 18)), "docker login -u ci-bot --password-stdin registry.acme-corp.io < token.txt".into()),
        case("cohere-api-key", "rag.py", format!("import cohere\nco = cohere.Client(\"{}\")", s(ALNUM, 40)), "import cohere\nco = cohere.Client(os.environ[\"CO_API_KEY\"])".into()),
        case("connection-string-password", "appsettings.Redis.json", format!("{{\"Redis\": \"cache.acme-corp.io:6380,password={}=,ssl=True,abortConnect=False\"}}", s(B64, 43)), "{\"Redis\": \"cache.acme-corp.io:6380,password={0},ssl=True\"}".into()),
        case("secret-handed-over", "escalations.json", format!("{{\"text\": \"here's the token for the zendesk bot: {}\"}}", s(ALNUM, 40)), "{\"text\": \"here's the token for the zendesk bot: in the vault\"}".into()),
        case("cloudflare-global-api-key", "cloudflare.md", format!("curl -H 'X-Auth-Email: ops@acme-corp.io' -H 'X-Auth-Key: {}' https://api.cloudflare.com/client/v4/zones", s(HEX, 37)), format!("curl -H 'X-Auth-Key: {}' https://api.cloudflare.com/client/v4/zones", s(HEX, 32))),
        case("generic-secret-unquoted", "airflow.env", format!("AIRFLOW__CORE__FERNET_KEY={}=", s(B64URL, 43)), "AIRFLOW__CORE__FERNET_KEY=${FERNET_KEY}".into()),
        case("generic-password-quoted", "sync_ldap.py", format!("BIND_PW = \"{}\"", s(PASSWORD, 18)), "BIND_PW = os.environ[\"BIND_PW\"]".into()),
        case("connection-string-password", "Db.cs", format!("var cs = \"Server=tcp:db.acme-corp.io;Database=orders;User ID=app;Password={};Encrypt=true\";", s(ALNUM, 18)), "var cs = \"Server=tcp:db;Database=orders;User ID=app;Password={0};\";".into()),
        case("xml-secret-element", "settings.xml", format!("<settings>\n  <server>\n    <id>nexus</id>\n    <password>{}</password>\n  </server>\n</settings>", s(ALNUM, 18)), "<settings>\n  <server>\n    <password>${env.NEXUS_PASSWORD}</password>\n  </server>\n</settings>".into()),
        case("xml-secret-attribute", "App.config", format!("<appSettings>\n  <add key=\"PartnerClientSecret\" value=\"{}\" />\n</appSettings>", s(ALNUM, 32)), "<appSettings>\n  <add key=\"PartnerClientSecret\" value=\"$(PartnerClientSecret)\" />\n</appSettings>".into()),
        case("hcl-variable-default", "variables.tf", format!("variable \"db_password\" {{\n  type      = string\n  sensitive = true\n  default   = \"{}\"\n}}", s(ALNUM, 20)), "variable \"db_password\" {\n  type      = string\n  sensitive = true\n}\n\nvariable \"region\" {\n  default = \"eu-west-1\"\n}".into()),
        case("generic-secret-quoted", "settings.py", format!("CLIENT_SECRET = \"{}\"", s(ALNUM, 32)), "CLIENT_SECRET = \"your-client-secret-here\"".into()),
        case("generic-secret-unquoted", "app.env", format!("PARTNER_API_KEY={}", s(ALNUM, 32)), "PARTNER_API_KEY=${PARTNER_API_KEY}".into()),
        case("generic-password-quoted", "db.py", format!("password = \"{}\"", s(PASSWORD, 16)), "password = \"changeme\"".into()),
        case("generic-password-unquoted", "db.properties", format!("spring.datasource.password={}", s(ALNUM, 16)), "spring.datasource.password=${DB_PASSWORD}".into()),
        case("email-address", "CLAUDE.md", format!("Escalate to maria.rossi@{}.com when stuck.", "gmail"), "Commits come from noreply@github.com and 49699333+dependabot[bot]@users.noreply.github.com.".into()), // tiercheck:allow
        case("payment-card", "customers.csv", format!("id,card\n1,{}", visa), format!("id,card\n1,4111 1111 1111 1111\n2,{bad_visa}")),
        case("iban", "payouts.csv", format!("name,iban\nMaria,{}", corpus::iban(&r, true)), format!("name,iban\nMaria,{}", corpus::iban(&r, false))),
        case("us-ssn", "employees.csv", format!("name,ssn\nMaria,{ssn}"), "name,ssn\nMaria,000-12-3456".into()),
        case("us-ssn-labeled", "record.yaml", format!("ssn: \"{}\"", ssn.replace('-', "")), "ssn: \"666123456\"".into()),
        case("phone-number-international", "contact.md", format!("Call the customer on +1415{}{}.", r.range(200, 999), s(DIGITS, 4)), "Build 1.2.3+45 shipped.".into()),
        case("phone-number-national", "contact.yaml", format!("phone: (415) {}-{}", r.range(200, 999), s(DIGITS, 4)), format!("order_number: 415{}{}", r.range(200, 999), s(DIGITS, 4))),
        case("phone-number-nanp", "notes.txt", format!("Maria (415) {}-{} prefers mornings", r.range(200, 999), s(DIGITS, 4)), format!("ratio (415)/{}", s(DIGITS, 7))),
    ]
}

#[test]
fn every_rule_reports_its_true_positive_and_ignores_its_near_miss() {
    let cases = cases();
    let policy = tiercheck::policy::load_default().expect("default policy");
    let ids: BTreeSet<&str> = policy.rules.iter().map(|r| r.id.value.as_str()).collect();
    let covered: BTreeSet<&str> = cases.iter().map(|c| c.rule).collect();
    let missing: Vec<&&str> = ids.difference(&covered).collect();
    assert!(missing.is_empty(), "rules without a test case: {missing:?}");

    let dir = tempfile::tempdir().unwrap();
    for c in &cases {
        for (kind, text) in [("yes", &c.yes), ("no", &c.no)] {
            let p = dir.path().join(kind).join(c.rule).join(c.file);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, format!("{text}\n")).unwrap();
        }
    }
    let out = Command::cargo_bin("tiercheck")
        .unwrap()
        .current_dir(dir.path())
        .env_remove("TIERCHECK_POLICY")
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = common::flat(
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{e}: {stdout} {}", String::from_utf8_lossy(&out.stderr))),
    );
    assert_eq!(out.status.code(), Some(1), "findings exit 1");

    // path → rule ids found there; (path, line, column) → rule ids found there
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut at: BTreeMap<(String, u64, u64), BTreeSet<String>> = BTreeMap::new();
    for f in v["findings"].as_array().unwrap() {
        let path = f["path"].as_str().unwrap().to_string();
        let rule = f["rule_id"].as_str().unwrap().to_string();
        found.entry(path.clone()).or_default().insert(rule.clone());
        at.entry((
            path,
            f["line"].as_u64().unwrap(),
            f["column"].as_u64().unwrap(),
        ))
        .or_default()
        .insert(rule);
    }
    let mut problems = Vec::new();
    for c in &cases {
        let yes = found.get(&format!("yes/{}/{}", c.rule, c.file));
        if !yes.is_some_and(|s| s.contains(c.rule)) {
            problems.push(format!(
                "{}: true positive not reported (found {yes:?})",
                c.rule
            ));
        }
        // One secret, one finding: no other rule reports the same value.
        let path = format!("yes/{}/{}", c.rule, c.file);
        for ((p, line, col), rules) in &at {
            if *p == path && rules.contains(c.rule) && rules.len() > 1 {
                problems.push(format!(
                    "{}: the value at {line}:{col} is also reported by {rules:?}",
                    c.rule
                ));
            }
        }
        let no = found.get(&format!("no/{}/{}", c.rule, c.file));
        if no.is_some_and(|s| s.contains(c.rule)) {
            problems.push(format!("{}: near miss reported", c.rule));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // Redaction: no value is printed in full.
    for c in &cases {
        for word in c
            .yes
            .split(|ch: char| ch.is_whitespace() || "\"'=,;()".contains(ch))
        {
            if word.len() >= 20 {
                assert!(!stdout.contains(word), "{}: value printed in full", c.rule);
            }
        }
    }
}

/// Each rule's cases again with eight other seeds (other random values of the same
/// formats, which the entropy gates and exact lengths must all accept): every true positive
/// is found, no near miss is reported. `TIERCHECK_CASES_OUT=DIR` writes the files there
/// (for benches/recall_vs.sh, which runs other scanners on them) and keeps them.
#[test]
fn every_rule_holds_across_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::env::var_os("TIERCHECK_CASES_OUT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    let seeds: Vec<u64> = (1..=8).map(|i| 0x5eed_0000 + i).collect();
    for &seed in &seeds {
        for c in cases_seeded(seed) {
            for (kind, text) in [("yes", &c.yes), ("no", &c.no)] {
                let p = root
                    .join(format!("seed-{seed:x}"))
                    .join(kind)
                    .join(c.rule)
                    .join(c.file);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(&p, format!("{text}\n")).unwrap();
            }
        }
    }
    let out = Command::cargo_bin("tiercheck")
        .unwrap()
        .current_dir(&root)
        .env_remove("TIERCHECK_POLICY")
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = common::flat(serde_json::from_slice(&out.stdout).unwrap());
    let mut found: BTreeSet<(String, String)> = BTreeSet::new();
    for f in v["findings"].as_array().unwrap() {
        found.insert((
            f["path"].as_str().unwrap().to_string(),
            f["rule_id"].as_str().unwrap().to_string(),
        ));
    }
    let mut problems = Vec::new();
    for &seed in &seeds {
        for c in cases_seeded(seed) {
            let at = |kind: &str| {
                (
                    format!("seed-{seed:x}/{kind}/{}/{}", c.rule, c.file),
                    c.rule.to_string(),
                )
            };
            if !found.contains(&at("yes")) {
                problems.push(format!(
                    "{} (seed {seed:x}): true positive not reported",
                    c.rule
                ));
            }
            if found.contains(&at("no")) {
                problems.push(format!("{} (seed {seed:x}): near miss reported", c.rule));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
