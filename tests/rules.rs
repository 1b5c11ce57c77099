//! Every rule of the default policy, run through the real binary (`tiercheck scan --format
//! json`): one true positive it must report and one near miss (wrong length, wrong
//! alphabet, placeholder, example key, bad checksum, …) it must not. Values are built at
//! run time from random bodies so that this repository holds no secret-shaped literal.

mod common;

mod corpus;

use std::collections::{BTreeMap, BTreeSet};

use assert_cmd::Command;
use corpus::{ALNUM, B64, B64URL, BASE32, DIGITS, HEX, LETTERS, PASSWORD, Rng, UPPER, UPPER_ALNUM};

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
    let r = Rng::new(0x7e57);
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
        case("azure-storage-account-key", "app.config", format!("DefaultEndpointsProtocol=https;AccountName=logs;AccountKey={}==;EndpointSuffix=core.windows.net", s(B64, 86)), format!("DefaultEndpointsProtocol=https;AccountName=logs;AccountKey={};EndpointSuffix=core.windows.net", s(B64, 60))),
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
        case("connection-string-password", "Db.cs", format!("var cs = \"Server=tcp:db.acme-corp.io;Database=orders;User ID=app;Password={};Encrypt=true\";", s(ALNUM, 18)), "var cs = \"Server=tcp:db;Database=orders;User ID=app;Password={0};\";".into()),
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

    // path → rule ids found there
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in v["findings"].as_array().unwrap() {
        found
            .entry(f["path"].as_str().unwrap().to_string())
            .or_default()
            .insert(f["rule_id"].as_str().unwrap().to_string());
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
