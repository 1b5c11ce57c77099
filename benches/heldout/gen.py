#!/usr/bin/env python3
"""Held-out corpus generator for a secret / personal-data scanner.

Usage: gen.py --out DIR --seed N

Writes ~12 small company repositories under DIR plus three metadata files
(exclude them from scanning):
  DIR/labels.jsonl     one object per planted value: path, line, category, kind
  DIR/negatives.jsonl  hard negatives (must NOT be reported): path, line, type
  DIR/neutral.jsonl    context values that are neither labels nor hard negatives
                       (names/postal addresses, non-secret identifiers such as
                       Twilio account SIDs, AWS account ids, Atlas public keys)
No metadata file contains any planted value.

Every token is fresh random data shaped after the vendor's publicly documented
format (prefix, length, alphabet, and for GitHub/npm the CRC32/base62 checksum
tail).  None is a real credential.

Labelling policy (borderline cases)
  * Labelled secret: any literal credential in a live (non-example, non-doc)
    location: config, code, CI, IaC, notebooks, chat logs, prompts, runbooks.
    Includes weak-but-real passwords ("kind": "weak-password") when the text
    shows they are in use (prod/staging config, "the staging password is ...").
  * Not labelled (hard negatives): placeholders, prefix+XXXX templates,
    vendor documentation examples (AKIAIOSFODNN7EXAMPLE, jwt.io sample token,
    4242... test cards), local-dev defaults (postgres/postgres, changeme,
    "password" in docker-compose for localhost), "password123" in docs that
    explain what not to do, env/secret references, encrypted blobs (sealed
    secrets, ansible-vault, Rails credentials.yml.enc), public keys and
    certificates, hashes/digests/UUIDs/git SHAs, Stripe publishable keys,
    Supabase anon JWTs (public by design), role addresses (noreply@, support@),
    example.com addresses, checksum-invalid cards/IBANs, invalid-range SSNs.
  * Base64 values in Kubernetes Secret `data:` are labelled (kind = the kind of
    the decoded value), except decoded non-secrets (usernames, ports) which are
    hard negatives.  Docker config.json `auth` (base64 user:pass) is labelled.
  * Sentry DSNs used by backend services are labelled (kind sentry-dsn).
  * Connection strings: the password is the labelled value (kinds
    *-url-password, jdbc-password, odbc-password, mssql-password,
    azure-storage-key for AccountKey, azure-sas-signature for sig=).
  * PEM private keys are labelled at their BEGIN line.  EC keys have their
    real (short) length; RSA/PKCS8/OpenSSH bodies are 20+ lines.
  * PII labels: person e-mails, phone numbers, Luhn-valid non-test cards,
    mod-97-valid IBANs, valid-range US SSNs.  Names and postal addresses are
    present but listed only in neutral.jsonl.
"""
import argparse, base64, csv, io, json, os, random, shutil, string, sys, unicodedata, zlib
from collections import Counter

UP, LO, DG = string.ascii_uppercase, string.ascii_lowercase, string.digits
AN = UP + LO + DG
HX = '0123456789abcdef'
URLS = AN + '-_'
B62 = DG + UP + LO
PEMK = {'rsa-private-key', 'ec-private-key', 'openssh-private-key', 'pkcs8-private-key',
        'public-key-pem', 'certificate', 'ansible-vault-ciphertext'}

FIRST = ("Olivia Liam Emma Noah Ava Mateo Sofia Lucas Amara Kenji Priya Arjun Fatima Omar Chloe Jonas Lena "
         "Mats Ingrid Tomás Lucía Zoë Hannah Wei Mei Hiroshi Yuki Aisha Kwame Nia Diego Valentina Sven Freya "
         "Rafael Camila Ethan Grace Oskar Elif Bjørn Siobhan Thabo Anjali Malik Rosa Pierre Inès Dmitri").split()
LAST = ("Smith Johnson Garcia Müller Schmidt Rossi Dubois Tanaka Kim Patel Singh Okafor Mensah Nguyen Silva "
        "Santos Kowalski Novak Jensen Larsen Andersson O'Brien Murphy Fischer Weber Moreau Leroy Costa Ferreira "
        "Haddad Cohen Ivanova Petrov Yilmaz Demir Lopez Hernandez Walker Brooks Hughes Achterberg Nakamura").split()
DOMAINS = ("gmail.com outlook.com yahoo.com hotmail.co.uk proton.me icloud.com gmx.de web.de orange.fr "
           "fastmail.com yahoo.co.jp comcast.net btinternet.com libero.it").split()
STREETS = "Maple Avenue|Oak Street|Kingsway|Hauptstraße|Rue de Rivoli|Calle Mayor|Elm Road|Harbour Lane|Birch Court|Station Road|Via Roma|Sunset Blvd".split('|')
CITIES = "Portland, OR 97205|Austin, TX 78701|London SW1A 2AA|10115 Berlin|75001 Paris|28013 Madrid|Toronto, ON M5V 2T6|Dublin D02 X285|1011 Amsterdam|Sydney NSW 2000".split('|')
NOUNS = "account invoice order customer payment ledger shipment report session cache queue event metric profile refund batch export schedule tenant region cluster pipeline record catalog coupon".split()
VERBS = "get create update delete sync load parse build validate fetch render process publish resolve compute merge archive".split()
STAT = "active pending closed archived failed queued".split()
TEST_CARDS = {'4242424242424242', '4111111111111111', '5555555555554444', '378282246310005',
              '6011111111111117', '4000056655665556', '5105105105105100', '371449635398431', '4012888888881881'}
PH = ['<your-token>', 'your_api_key_here', 'changeme', 'REPLACE_ME', '<redacted>', 'xxxx-xxxx-xxxx-xxxx',
      'TODO_set_in_vault', '********', '<insert key>', 'dummy-value', 'CHANGE_ME_IN_PROD']
PREF = {'github-pat': 'ghp_', 'stripe-secret-key': 'sk_live_', 'openai-api-key': 'sk-proj-', 'slack-bot-token': 'xoxb-',
        'anthropic-api-key': 'sk-ant-api03-', 'sendgrid-api-key': 'SG.', 'npm-token': 'npm_', 'gitlab-pat': 'glpat-',
        'huggingface-token': 'hf_', 'groq-api-key': 'gsk_', 'digitalocean-token': 'dop_v1_', 'databricks-token': 'dapi',
        'shopify-access-token': 'shpat_', 'pinecone-api-key': 'pcsk_', 'vault-token': 'hvs.', 'doppler-token': 'dp.st.prd.'}

ENVN = {
    'aws-access-key-id': 'AWS_ACCESS_KEY_ID', 'gcp-api-key': 'GOOGLE_API_KEY GCP_API_KEY GOOGLE_MAPS_API_KEY',
    'azure-storage-key': 'AZURE_STORAGE_KEY AZURE_STORAGE_ACCOUNT_KEY', 'github-pat': 'GITHUB_TOKEN GH_TOKEN GITHUB_PAT',
    'github-fine-grained-pat': 'GH_PAT RELEASE_TOKEN GITHUB_TOKEN', 'gitlab-pat': 'GITLAB_TOKEN GITLAB_API_TOKEN',
    'npm-token': 'NPM_TOKEN', 'pypi-token': 'PYPI_TOKEN TWINE_PASSWORD', 'slack-bot-token': 'SLACK_BOT_TOKEN',
    'slack-user-token': 'SLACK_USER_TOKEN', 'slack-webhook': 'SLACK_WEBHOOK_URL ALERTS_WEBHOOK',
    'stripe-secret-key': 'STRIPE_SECRET_KEY STRIPE_API_KEY', 'stripe-restricted-key': 'STRIPE_RESTRICTED_KEY',
    'stripe-webhook-secret': 'STRIPE_WEBHOOK_SECRET', 'twilio-auth-token': 'TWILIO_AUTH_TOKEN',
    'sendgrid-api-key': 'SENDGRID_API_KEY', 'mailgun-api-key': 'MAILGUN_API_KEY', 'openai-api-key': 'OPENAI_API_KEY',
    'anthropic-api-key': 'ANTHROPIC_API_KEY', 'huggingface-token': 'HF_TOKEN HUGGINGFACE_HUB_TOKEN',
    'datadog-api-key': 'DD_API_KEY DATADOG_API_KEY', 'datadog-app-key': 'DD_APP_KEY DATADOG_APP_KEY',
    'newrelic-license-key': 'NEW_RELIC_LICENSE_KEY', 'newrelic-user-key': 'NEW_RELIC_API_KEY', 'sentry-dsn': 'SENTRY_DSN',
    'sentry-auth-token': 'SENTRY_AUTH_TOKEN', 'shopify-access-token': 'SHOPIFY_ACCESS_TOKEN SHOPIFY_ADMIN_TOKEN',
    'shopify-shared-secret': 'SHOPIFY_API_SECRET', 'square-access-token': 'SQUARE_ACCESS_TOKEN',
    'square-oauth-secret': 'SQUARE_APPLICATION_SECRET', 'braintree-access-token': 'BRAINTREE_ACCESS_TOKEN',
    'paypal-client-secret': 'PAYPAL_CLIENT_SECRET', 'discord-bot-token': 'DISCORD_BOT_TOKEN DISCORD_TOKEN',
    'discord-webhook': 'DISCORD_WEBHOOK_URL', 'telegram-bot-token': 'TELEGRAM_BOT_TOKEN TG_BOT_TOKEN',
    'atlassian-api-token': 'JIRA_API_TOKEN CONFLUENCE_TOKEN ATLASSIAN_API_TOKEN',
    'digitalocean-token': 'DIGITALOCEAN_TOKEN DO_TOKEN', 'heroku-api-key': 'HEROKU_API_KEY',
    'cloudflare-api-token': 'CLOUDFLARE_API_TOKEN CF_API_TOKEN', 'vault-token': 'VAULT_TOKEN',
    'doppler-token': 'DOPPLER_TOKEN', 'okta-api-token': 'OKTA_API_TOKEN OKTA_CLIENT_TOKEN',
    'auth0-client-secret': 'AUTH0_CLIENT_SECRET', 'databricks-token': 'DATABRICKS_TOKEN',
    'supabase-access-token': 'SUPABASE_ACCESS_TOKEN', 'supabase-service-role-key': 'SUPABASE_SERVICE_ROLE_KEY',
    'planetscale-token': 'PLANETSCALE_SERVICE_TOKEN', 'planetscale-password': 'PLANETSCALE_DB_PASSWORD',
    'mongodb-atlas-private-key': 'MONGODB_ATLAS_PRIVATE_KEY ATLAS_PRIVATE_KEY',
    'confluent-api-secret': 'CONFLUENT_API_SECRET KAFKA_SASL_PASSWORD', 'pinecone-api-key': 'PINECONE_API_KEY',
    'groq-api-key': 'GROQ_API_KEY', 'mistral-api-key': 'MISTRAL_API_KEY', 'cohere-api-key': 'COHERE_API_KEY CO_API_KEY',
    'linear-api-key': 'LINEAR_API_KEY', 'postman-api-key': 'POSTMAN_API_KEY',
    'grafana-service-account-token': 'GRAFANA_TOKEN GRAFANA_SA_TOKEN', 'terraform-cloud-token': 'TFE_TOKEN TF_API_TOKEN',
    'notion-token': 'NOTION_TOKEN NOTION_API_KEY', 'gitlab-runner-token': 'RUNNER_TOKEN CI_RUNNER_TOKEN',
    'zendesk-api-token': 'ZENDESK_API_TOKEN', 'jwt': 'SERVICE_JWT INTERNAL_API_JWT',
    'generic-secret': 'APP_SECRET SESSION_SECRET JWT_SECRET NEXTAUTH_SECRET ENCRYPTION_KEY SIGNING_SECRET',
    'generic-password': 'DB_PASSWORD ADMIN_PASSWORD REDIS_PASSWORD SMTP_PASSWORD',
}
VENDOR = [k for k in ENVN if not k.startswith('generic')] + ['aws-secret-key']


def dq(x):
    return x.replace('`', '"')


def fold(x):
    return unicodedata.normalize('NFKD', x).encode('ascii', 'ignore').decode().replace("'", '')


class F:
    def __init__(s, g, path):
        s.g, s.path, s.lines, s.text, s.marks = g, path, [], None, []

    def a(s, *ls):
        for l in ls:
            s.lines.extend(l.split('\n'))
        return s

    def sec(s, kind, val=None):
        val = s.g.tok(kind) if val is None else val
        s.marks.append(('L', 'secret', kind, val))
        return val

    def pii(s, kind, val):
        s.marks.append(('L', 'pii', kind, val))
        return val

    def neg(s, typ, val):
        s.marks.append(('N', None, typ, val))
        return val

    def neu(s, typ, val):
        s.marks.append(('U', None, typ, val))
        return val

    def ph(s, val=None):
        val = val or s.g.r.choice(PH)
        return s.neg('placeholder', val)


class G:
    def __init__(s, seed):
        s.r = random.Random(seed)
        s.files, s.used, s.paths = [], set(), set()

    # ---------- primitives
    def rs(s, alph, n):
        return ''.join(s.r.choice(alph) for _ in range(n))

    def hx(s, n):
        return s.rs(HX, n)

    def dg(s, n):
        return str(s.r.randint(1, 9)) + s.rs(DG, n - 1)

    def rb(s, n):
        return bytes(s.r.getrandbits(8) for _ in range(n))

    def b64(s, n):
        return base64.b64encode(s.rb(n)).decode()

    def b64u(s, n):
        return base64.urlsafe_b64encode(s.rb(n)).decode().rstrip('=')

    def uuid(s):
        h = s.hx(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{s.r.choice('89ab')}{h[17:20]}-{h[20:]}"

    def ck(s, prefix):  # GitHub/npm style: 30 random base62 + 6-char base62 CRC32 checksum
        body = s.rs(AN, 30)
        c, e = zlib.crc32(body.encode()), ''
        while c:
            c, m = divmod(c, 62)
            e = B62[m] + e
        return prefix + body + e.rjust(6, '0')

    def pw(s, n=None):
        n = n or s.r.randint(18, 30)
        return s.r.choice(UP + LO) + s.rs(AN + '-_.!', n - 2) + s.r.choice(DG)

    def weak(s):
        w = s.r.choice(['Summer', 'Winter', 'Autumn', 'Welcome', 'Kangaroo', 'Falcon', 'Harbor', 'Acme-Prod', 'Lighthouse'])
        return f"{w}{s.r.choice(['20', ''])}{s.r.randint(19, 25)}{s.r.choice(['!', '.', '!!', ''])}{s.r.randint(1, 99)}"

    def jwt(s, payload=None):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(',', ':')).encode()).decode().rstrip('=')
        iat = s.r.randint(1690000000, 1730000000)
        p = payload or {"sub": s.uuid(), "iss": s.r.choice(["https://auth.internal", "billing-svc", "api-gateway"]),
                        "role": s.r.choice(["service", "admin", "ops"]), "iat": iat, "exp": iat + 31536000 * 5}
        return enc({"alg": s.r.choice(["HS256", "HS512"]), "typ": "JWT"}) + '.' + enc(p) + '.' + s.b64u(32)

    def pem(s, kind):
        if kind == 'rsa-private-key':
            hdr, body, w = 'RSA PRIVATE KEY', bytes.fromhex('308204a40201000282010100') + s.rb(1180), 64
        elif kind in ('pkcs8-private-key', 'gcp-service-account-key'):
            hdr, body, w = 'PRIVATE KEY', bytes.fromhex('308204be020100300d06092a864886f70d0101010500048204a8') + s.rb(1192), 64
        elif kind == 'ec-private-key':
            hdr, w = 'EC PRIVATE KEY', 64
            body = bytes.fromhex('30770201010420') + s.rb(32) + bytes.fromhex('a00a06082a8648ce3d030107a144034200') + b'\x04' + s.rb(64)
        else:
            hdr, w = 'OPENSSH PRIVATE KEY', 70
            body = b'openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x01\x97\x00\x00\x00\x07ssh-rsa' + s.rb(1750)
        b = base64.b64encode(body).decode()
        return [f'-----BEGIN {hdr}-----'] + [b[i:i + w] for i in range(0, len(b), w)] + [f'-----END {hdr}-----']

    def pub_pem(s, cert=False):
        if cert:
            b = base64.b64encode(bytes.fromhex('308203') + s.rb(900)).decode()
            hdr = 'CERTIFICATE'
        else:
            b = 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA' + s.b64(258)[:348] + 'IDAQAB'
            hdr = 'PUBLIC KEY'
        return [f'-----BEGIN {hdr}-----'] + [b[i:i + 64] for i in range(0, len(b), 64)] + [f'-----END {hdr}-----']

    def tok(s, k):
        r, rs, hx = s.r, s.rs, s.hx
        T = {
            'aws-access-key-id': lambda: r.choice(['AKIA', 'AKIA', 'ASIA']) + rs(UP + '234567', 16),
            'aws-secret-key': lambda: rs(AN + '+/', 40),
            'gcp-api-key': lambda: 'AIza' + rs(URLS, 35),
            'azure-storage-key': lambda: s.b64(64),
            'azure-sas-signature': lambda: s.b64(32).replace('+', '%2B').replace('/', '%2F').replace('=', '%3D'),
            'github-pat': lambda: s.ck(r.choice(['ghp_'] * 4 + ['gho_', 'ghs_', 'ghu_'])),
            'github-fine-grained-pat': lambda: 'github_pat_11' + rs(UP + DG, 20) + '_' + rs(AN, 59),
            'gitlab-pat': lambda: 'glpat-' + rs(URLS, 20),
            'gitlab-runner-token': lambda: 'glrt-' + rs(URLS, 20),
            'npm-token': lambda: s.ck('npm_'),
            'pypi-token': lambda: 'pypi-AgEIcHlwaS5vcmc' + rs(URLS, r.randint(140, 170)),
            'slack-bot-token': lambda: f"xoxb-{s.dg(12)}-{s.dg(13)}-{rs(AN, 24)}",
            'slack-user-token': lambda: f"xoxp-{s.dg(12)}-{s.dg(12)}-{s.dg(13)}-{hx(32)}",
            'slack-webhook': lambda: f"https://hooks.slack.com/services/T{rs(UP + DG, 10)}/B{rs(UP + DG, 10)}/{rs(AN, 24)}",
            'stripe-secret-key': lambda: 'sk_live_51' + rs(AN, 97),
            'stripe-restricted-key': lambda: 'rk_live_51' + rs(AN, 97),
            'stripe-webhook-secret': lambda: 'whsec_' + rs(AN, 32),
            'twilio-auth-token': lambda: hx(32),
            'sendgrid-api-key': lambda: 'SG.' + rs(URLS, 22) + '.' + rs(URLS, 43),
            'mailgun-api-key': lambda: r.choice(['key-' + hx(32), hx(32) + '-' + hx(8) + '-' + hx(8)]),
            'openai-api-key': lambda: r.choice(['sk-proj-', 'sk-proj-', 'sk-svcacct-']) + rs(URLS, 74) + 'T3BlbkFJ' + rs(URLS, 74),
            'anthropic-api-key': lambda: 'sk-ant-api03-' + rs(URLS, 93) + 'AA',
            'huggingface-token': lambda: 'hf_' + rs(UP + LO, 34),
            'datadog-api-key': lambda: hx(32), 'datadog-app-key': lambda: hx(40),
            'newrelic-license-key': lambda: hx(36) + 'NRAL', 'newrelic-user-key': lambda: 'NRAK-' + rs(UP + DG, 27),
            'sentry-dsn': lambda: f"https://{hx(32)}@o{s.dg(6)}.ingest.{r.choice(['', 'us.', 'de.'])}sentry.io/{s.dg(7)}",
            'sentry-auth-token': lambda: 'sntryu_' + hx(64),
            'shopify-access-token': lambda: 'shpat_' + hx(32), 'shopify-shared-secret': lambda: 'shpss_' + hx(32),
            'square-access-token': lambda: 'EAAA' + rs(URLS, 60), 'square-oauth-secret': lambda: 'sq0csp-' + rs(URLS, 43),
            'braintree-access-token': lambda: f"access_token$production${rs(LO + DG, 16)}${hx(32)}",
            'paypal-client-secret': lambda: 'E' + rs(URLS, 79),
            'discord-bot-token': lambda: base64.b64encode(s.dg(18).encode()).decode().rstrip('=') + '.' + rs(URLS, 6) + '.' + rs(URLS, 38),
            'discord-webhook': lambda: f"https://discord.com/api/webhooks/{s.dg(19)}/{rs(URLS, 68)}",
            'telegram-bot-token': lambda: f"{s.dg(10)}:AA{rs(URLS, 33)}",
            'atlassian-api-token': lambda: 'ATATT3xFfGF0' + rs(URLS, 170) + '=' + rs('0123456789ABCDEF', 8),
            'digitalocean-token': lambda: r.choice(['dop_v1_', 'doo_v1_']) + hx(64),
            'heroku-api-key': lambda: 'HRKU-AA' + rs(URLS, 58),
            'cloudflare-api-token': lambda: rs(URLS, 40),
            'vault-token': lambda: r.choice(['hvs.' + rs(AN, 24), 'hvs.CAESI' + rs(URLS, 80), 'hvb.AAAAAQ' + rs(URLS, 120)]),
            'doppler-token': lambda: r.choice(['dp.st.' + r.choice(['prd', 'stg', 'dev']) + '.' + rs(AN, 40), 'dp.pt.' + rs(AN, 43), 'dp.sa.' + rs(AN, 43)]),
            'okta-api-token': lambda: '00' + rs(URLS, 40),
            'auth0-client-secret': lambda: rs(URLS, 64),
            'databricks-token': lambda: 'dapi' + hx(32) + r.choice(['', '-2', '-3']),
            'supabase-access-token': lambda: 'sbp_' + hx(40),
            'supabase-service-role-key': lambda: s.jwt({"iss": "supabase", "ref": rs(LO, 20), "role": "service_role",
                                                        "iat": 1700000000 + r.randint(0, 9 ** 7), "exp": 2015000000 + r.randint(0, 9 ** 7)}),
            'planetscale-token': lambda: 'pscale_tkn_' + rs(URLS, 43), 'planetscale-password': lambda: 'pscale_pw_' + rs(URLS, 43),
            'mongodb-atlas-private-key': s.uuid,
            'confluent-api-secret': lambda: rs(AN + '+/', 64),
            'pinecone-api-key': lambda: 'pcsk_' + rs(AN, 6) + '_' + rs(AN, 63),
            'groq-api-key': lambda: 'gsk_' + rs(AN, 52),
            'mistral-api-key': lambda: rs(AN, 32), 'cohere-api-key': lambda: rs(AN, 40),
            'linear-api-key': lambda: 'lin_api_' + rs(AN, 40),
            'postman-api-key': lambda: 'PMAK-' + hx(24) + '-' + hx(34),
            'grafana-service-account-token': lambda: 'glsa_' + rs(AN, 32) + '_' + hx(8),
            'terraform-cloud-token': lambda: rs(AN, 14) + '.atlasv1.' + rs(AN, 67),
            'notion-token': lambda: r.choice(['ntn_' + s.dg(11) + rs(AN, 35), 'secret_' + rs(AN, 43)]),
            'zendesk-api-token': lambda: rs(AN, 40),
            'jwt': s.jwt,
            'generic-secret': lambda: r.choice([hx(64), s.b64(32), rs(AN, 48), s.b64u(48)]),
            'generic-password': s.pw, 'weak-password': s.weak,
            'django-secret-key': lambda: rs(LO + DG + '!@#%^&*(-_=+)', 50).replace("'", 'x'),
            'rails-secret-key-base': lambda: hx(128), 'rails-master-key': lambda: hx(32),
            'aspnet-machine-key': lambda: hx(128).upper(),
        }
        if k.endswith('password') and k not in T:
            return s.pw()
        return T[k]()

    # ---------- PII
    def person(s):
        while True:
            fn, ln = s.r.choice(FIRST), s.r.choice(LAST)
            a, b = fold(fn).lower(), fold(ln).lower()
            loc = s.r.choice([f"{a}.{b}", f"{a[0]}{b}", f"{a}{b}{s.r.randint(1, 99)}", f"{a}_{b}", f"{b}.{a}", f"{a}.{b}{s.r.randint(70, 99)}"])
            em = f"{loc}@{s.r.choice(DOMAINS)}"
            if em not in s.used:
                s.used.add(em)
                return dict(name=f"{fn} {ln}", first=fn, email=em, phone=s.phone(), addr=s.addr())

    def addr(s):
        return f"{s.r.randint(1, 999)} {s.r.choice(STREETS)}, {s.r.choice(CITIES)}"

    def phone(s):
        r = s.r
        while True:
            a, b, c = r.randint(201, 989), r.randint(200, 999), r.randint(0, 9999)
            if b == 555 or a % 100 == 11:
                continue
            t = r.randrange(11)
            p = [f"+1 ({a}) {b}-{c:04d}", f"{a}-{b}-{c:04d}", f"+1{a}{b}{c:04d}", f"({a}) {b}-{c:04d}",
                 f"+44 7{r.randint(400, 999)} {r.randint(100000, 999999)}", f"07{r.randint(400, 999)} {r.randint(100000, 999999)}",
                 f"+49 {r.choice(['30', '89', '40', '221'])} {r.randint(1000000, 99999999)}",
                 f"+33 6 {r.randint(10, 99)} {r.randint(10, 99)} {r.randint(10, 99)} {r.randint(10, 99)}",
                 f"+91 9{r.randint(1000, 9999)} {r.randint(10000, 99999)}",
                 f"+61 4{r.randint(10, 99)} {r.randint(100, 999)} {r.randint(100, 999)}",
                 f"+81 90-{r.randint(1000, 9999)}-{r.randint(1000, 9999)}"][t]
            if p not in s.used:
                s.used.add(p)
                return p

    @staticmethod
    def luhn_ok(n):
        t = 0
        for i, ch in enumerate(reversed(n)):
            d = int(ch)
            if i % 2:
                d = d * 2 - 9 if d > 4 else d * 2
            t += d
        return t % 10 == 0

    def card(s, valid=True):
        r = s.r
        while True:
            pre, ln = r.choice([('4', 16), ('4', 16), ('5' + str(r.randint(1, 5)), 16), (str(r.randint(2221, 2720)), 16),
                                (r.choice(['34', '37']), 15), ('6011', 16)])
            body = pre + s.rs(DG, ln - len(pre) - 1)
            for d in DG:
                if s.luhn_ok(body + d):
                    num = body + d
            if not valid:
                num = num[:-1] + str((int(num[-1]) + r.randint(1, 9)) % 10)
            if num in TEST_CARDS or num in s.used:
                continue
            s.used.add(num)
            if ln == 15:
                return r.choice([f"{num[:4]} {num[4:10]} {num[10:]}", num])
            g4 = [num[i:i + 4] for i in range(0, 16, 4)]
            return r.choice([' '.join(g4), '-'.join(g4), num])

    def iban(s, valid=True):
        r = s.r
        cc, bban = r.choice([('DE', lambda: s.rs(DG, 18)), ('GB', lambda: s.rs(UP, 4) + s.rs(DG, 14)), ('FR', lambda: s.rs(DG, 23)),
                             ('NL', lambda: s.rs(UP, 4) + s.rs(DG, 10)), ('ES', lambda: s.rs(DG, 20)), ('IE', lambda: s.rs(UP, 4) + s.rs(DG, 14)),
                             ('BE', lambda: s.rs(DG, 12)), ('IT', lambda: s.rs(UP, 1) + s.rs(DG, 22))])
        bban = bban()
        num = int(''.join(str(int(ch, 36)) for ch in bban + cc + '00'))
        chk = 98 - num % 97
        if not valid:
            chk = (chk + r.randint(1, 90)) % 97 or 1
            chk = 98 if chk == 98 - num % 97 else chk
        ib = f"{cc}{chk:02d}{bban}"
        s.used.add(ib)
        return r.choice([ib, ' '.join(ib[i:i + 4] for i in range(0, len(ib), 4))])

    def ssn(s, valid=True):
        r = s.r
        while True:
            if valid:
                a = r.choice([x for x in range(1, 900) if x != 666])
                v = f"{a:03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"
            else:
                a = r.choice([0, 666, r.randint(900, 999)])
                v = f"{a:03d}-{r.randint(1, 49):02d}-{r.randint(1, 9999):04d}"
            if v not in s.used:
                s.used.add(v)
                return v if r.random() < .8 or not valid else r.choice([v.replace('-', ' '), v])

    # ---------- planting helpers
    def q(s, v, style='any'):
        return s.r.choice([v, f'"{v}"', f"'{v}'"] if style == 'any' else [v, f'"{v}"'])

    def name(s, kind):
        return s.r.choice(ENVN[kind].split())

    def kv(s, f, kind, style, ind='', val=None):
        """Plant one credential as a key/value line in `style`; handles companion identifiers."""
        r, out = s.r, []
        nm = s.name(kind) if kind in ENVN else kind.upper().replace('-', '_')
        if kind == 'aws-access-key-id':
            out += s.kv(f, 'aws-access-key-id-only', style, ind)
            kind, nm = 'aws-secret-key', 'AWS_SECRET_ACCESS_KEY'
        elif kind == 'aws-access-key-id-only':
            kind, nm = 'aws-access-key-id', 'AWS_ACCESS_KEY_ID'
        elif kind == 'twilio-auth-token':
            out += s.raw_kv(style, ind, 'TWILIO_ACCOUNT_SID', f.neu('identifier', 'AC' + s.hx(32)))
        elif kind == 'confluent-api-secret':
            out += s.raw_kv(style, ind, 'CONFLUENT_API_KEY', f.neu('identifier', s.rs(UP + DG, 16)))
        elif kind == 'mongodb-atlas-private-key':
            out += s.raw_kv(style, ind, 'MONGODB_ATLAS_PUBLIC_KEY', f.neu('identifier', s.rs(LO, 8)))
        v = f.sec(kind, val)
        return out + s.raw_kv(style, ind, nm, v)

    def raw_kv(s, style, ind, nm, v):
        r = s.r
        if style == 'env':
            return [f"{r.choice(['', '', 'export '])}{nm}={s.q(v)}"]
        if style == 'yaml':
            return [f"{ind}{nm}: {s.q(v)}"]
        if style == 'k8s':
            return [f"{ind}- name: {nm}", f"{ind}  value: {s.q(v, 'dq')}"]
        if style == 'compose':
            return [f"{ind}- {nm}={v}"] if r.random() < .5 else [f"{ind}{nm}: {s.q(v, 'dq')}"]
        if style == 'docker':
            return [f"ENV {nm}={v}" if r.random() < .6 else f"ENV {nm} {v}"]
        if style == 'tf':
            return [f'{ind}{nm.lower()} = "{v}"']
        if style == 'json':
            return [f'{ind}"{nm}": "{v}",']
        if style == 'py':
            return [f'{ind}{nm} = "{v}"' if r.random() < .7 else f"{ind}{nm} = '{v}'"]
        if style == 'props':
            return [f"{nm.lower().replace('_', '.')}={v}"]
        if style == 'ini':
            return [f"{nm.lower()} {r.choice(['=', ' = '])} {v}".replace('  ', ' ')]
        if style == 'js':
            c = ''.join(w.capitalize() if i else w.lower() for i, w in enumerate(nm.split('_')))
            return [f"{ind}{c}: '{v}',"]
        raise ValueError(style)

    def phkv(s, f, kind, style, ind=''):
        """Placeholder / reference variant of kv (hard negative)."""
        r, nm = s.r, s.name(kind)
        t = r.randrange(5)
        if kind == 'aws-access-key-id':
            return s.raw_kv(style, ind, 'AWS_ACCESS_KEY_ID', f.neg('aws-example-key', 'AKIAIOSFODNN7EXAMPLE')) + \
                s.raw_kv(style, ind, 'AWS_SECRET_ACCESS_KEY', f.neg('aws-example-key', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'))
        if t == 0 and kind in PREF:
            v = f.neg('placeholder', PREF[kind] + r.choice(['X', 'x', '0']) * r.randint(16, 32))
        elif t == 1 and style in ('env', 'yaml', 'compose', 'docker'):
            v = f.neg('env-interpolation', '${' + nm + '}')
        else:
            v = f.ph(r.choice(PH + [f'<your-{kind.split("-")[0]}-key>', f'your_{kind.split("-")[0]}_key_here']))
        return s.raw_kv(style, ind, nm, v)

    def pick(s, n, pool=None, excl=()):
        return s.r.sample([k for k in (pool or VENDOR[:-1]) if k not in excl], n)

    def file(s, repo, path):
        path, n = f"{repo}/{path}", 1
        while path in s.paths:  # never let two generators write the same file
            n += 1
            stem, dot, ext = path.rpartition('.') if '.' in path.rsplit('/', 1)[-1] else (path, '', '')
            path = f"{stem.rsplit('_v', 1)[0] if n > 2 else stem}_v{n}{dot}{ext}"
        s.paths.add(path)
        f = F(s, path)
        s.files.append(f)
        return f

    # ---------- filler
    def code(s, f, lang, topic=None):
        r = s.r
        n = topic or r.choice(NOUNS)
        N = n.capitalize()
        vs = r.sample(VERBS, r.randint(3, 6))
        lim = r.choice([25, 50, 100, 250, 500])
        if lang == 'py':
            f.a(f'"""{N} helpers."""', 'from __future__ import annotations', '', 'import logging', 'from typing import Iterable', '',
                'log = logging.getLogger(__name__)', f'DEFAULT_{n.upper()}_LIMIT = {lim}', '')
            for v in vs:
                f.a(f'def {v}_{n}(items: Iterable[dict], limit: int = DEFAULT_{n.upper()}_LIMIT) -> list[dict]:',
                    f'    """{v.capitalize()} {n} records, skipping non-{r.choice(STAT)} rows."""', '    out = []',
                    '    for i, item in enumerate(items):', '        if i >= limit:', '            break',
                    f'        if item.get("status") == "{r.choice(STAT)}":', '            continue',
                    f'        out.append({{**item, "{v}_done": True}})', f'    log.debug("{v} %d {n} rows", len(out))', '    return out', '', '')
        elif lang == 'ts':
            f.a(f"import {{ logger }} from '../lib/logger';", '', f'export interface {N} {{', '  id: string;', f'  status: {" | ".join(repr(x) for x in STAT[:3])};', '  updatedAt: Date;', '}', '')
            for v in vs:
                f.a(f'export async function {v}{N}(items: {N}[], limit = {lim}): Promise<{N}[]> {{',
                    f"  const out = items.filter((x) => x.status !== '{r.choice(STAT[:3])}').slice(0, limit);",
                    f"  logger.debug(`{v} ${{out.length}} {n} items`);", '  return out;', '}', '')
        elif lang == 'java':
            pk = f.path.split('/java/')[-1].rsplit('/', 1)[0].replace('/', '.') if '/java/' in f.path else 'com.acme'
            f.a(f'package {pk};', '', 'import java.util.List;', 'import java.util.stream.Collectors;', 'import org.slf4j.Logger;',
                'import org.slf4j.LoggerFactory;', '', f'public class {N}{r.choice(["Service", "Handler", "Mapper", "Validator"])} {{',
                f'    private static final Logger log = LoggerFactory.getLogger({N}Service.class);', f'    private static final int LIMIT = {lim};', '')
            for v in vs:
                f.a(f'    public List<{N}> {v}(List<{N}> items) {{', f'        log.debug("{v} {{}} items", items.size());',
                    f'        return items.stream().filter(i -> !"{r.choice(STAT)}".equals(i.getStatus())).limit(LIMIT).collect(Collectors.toList());', '    }', '')
            f.a('}')
        elif lang == 'rb':
            f.a(f'class {N} < ApplicationRecord', f'  has_many :{r.choice(NOUNS)}s', f'  validates :name, presence: true', f'  scope :{r.choice(STAT)}, -> {{ where(status: "{r.choice(STAT)}") }}', '')
            for v in vs:
                f.a(f'  def {v}!', f'    update!(status: "{r.choice(STAT)}", {v}_at: Time.current)', f'    Rails.logger.info("{v} #{{id}}")', '  end', '')
            f.a('end')
        elif lang == 'cs':
            f.a('using System;', 'using System.Collections.Generic;', 'using System.Linq;', '', 'namespace Acme.Legacy.Core', '{',
                f'    public class {N}Repository', '    {', f'        private const int Limit = {lim};')
            for v in vs:
                f.a('', f'        public IEnumerable<{N}> {v.capitalize()}(IEnumerable<{N}> items)', '        {',
                    f'            return items.Where(x => x.Status != "{r.choice(STAT)}").Take(Limit);', '        }')
            f.a('    }', '}')
        elif lang == 'go':
            f.a(f'package {n}', '', 'import (', '\t"context"', '\t"log/slog"', ')', '', f'const defaultLimit = {lim}', '')
            for v in vs:
                f.a(f'func {v.capitalize()}(ctx context.Context, ids []string) ([]string, error) {{', f'\tslog.DebugContext(ctx, "{v}", "n", len(ids))',
                    '\tif len(ids) > defaultLimit {', '\t\tids = ids[:defaultLimit]', '\t}', '\treturn ids, nil', '}', '')
        elif lang == 'sql':
            f.a(f'-- {N} reporting view', f'CREATE OR REPLACE VIEW {n}_summary AS', f'SELECT date_trunc(\'day\', created_at) AS day, status, count(*) AS n',
                f'FROM {n}s', f"WHERE created_at > now() - interval '{r.randint(7, 90)} days'", 'GROUP BY 1, 2;', '')
        elif lang == 'md':
            f.a(f'# {N} {r.choice(["service", "notes", "design", "overview"])}', '')
            for _ in range(r.randint(3, 6)):
                f.a(f'## {r.choice(VERBS).capitalize()} {r.choice(NOUNS)}s', '',
                    f'The {n} {r.choice(["worker", "job", "API", "service"])} {r.choice(VERBS)}s {r.choice(NOUNS)}s every {r.randint(2, 30)} minutes '
                    f'and {r.choice(VERBS)}s the result to the {r.choice(NOUNS)} store. Items in state `{r.choice(STAT)}` are skipped.', '',
                    f'- Owner: team-{r.choice(NOUNS)}', f'- Dashboard: https://grafana.internal/d/{r.choice(NOUNS)}-{r.choice(NOUNS)}', '')
        return f

    def fill(s, repo, paths_langs):
        for p, l in paths_langs:
            s.code(s.file(repo, p), l)

    def many(s, repo, tmpl, lang, n):
        for x in s.r.sample(NOUNS, n):
            s.code(s.file(repo, tmpl.format(n=x, N=x.capitalize())), lang, x)

    def lockfile_npm(s, f, pkgs):
        d = {"name": f.path.split('/')[0], "lockfileVersion": 3, "requires": True, "packages": {}}
        for p in pkgs:
            v = f"{s.r.randint(1, 18)}.{s.r.randint(0, 20)}.{s.r.randint(0, 9)}"
            d["packages"][f"node_modules/{p}"] = {"version": v, "resolved": f"https://registry.npmjs.org/{p}/-/{p.split('/')[-1]}-{v}.tgz",
                                                  "integrity": f.neg('integrity-hash', 'sha512-' + s.b64(64)), "license": "MIT"}
        f.text = json.dumps(d, indent=2) + '\n'

    def data_uri(s, f):
        return f.neg('data-uri', 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA' + s.b64(s.r.randint(150, 400)))

    def sshpub(s, f, who):
        return f.neg('public-key-ssh', f"{s.r.choice(['ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQ', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI'])}{s.b64(48 if s.r.random() < .5 else 380).rstrip('=')} {who}")

    def pemlines(s, f, kind, neg=False):
        ls = s.pub_pem(kind == 'certificate') if neg else s.pem(kind)
        (f.neg if neg else f.sec)(kind, ls[1])
        return ls

    def bcrypt(s, f):
        return f.neg('bcrypt-hash', f"$2b$12${s.rs(AN + './', 53)}")


# ============================================================ repositories

def repo_payments(g):
    R, r = 'payments-api', g.r
    f = g.file(R, 'pom.xml')
    f.a('<?xml version="1.0" encoding="UTF-8"?>', '<project xmlns="http://maven.apache.org/POM/4.0.0">', '  <modelVersion>4.0.0</modelVersion>',
        '  <groupId>com.acme</groupId>', '  <artifactId>payments-api</artifactId>', f'  <version>{f.neg("version-string", "2.14.3-SNAPSHOT")}</version>',
        '  <parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId><version>3.2.5</version></parent>',
        '  <dependencies>', *[f'    <dependency><groupId>{a}</groupId><artifactId>{b}</artifactId></dependency>' for a, b in
                               [('org.springframework.boot', 'spring-boot-starter-web'), ('com.stripe', 'stripe-java'), ('org.postgresql', 'postgresql'), ('com.braintreepayments.gateway', 'braintree-java')]],
        '  </dependencies>', '</project>')
    f = g.file(R, 'src/main/resources/application.yml')
    pw = f.sec('postgres-url-password', g.pw())
    f.a('spring:', '  application:', '    name: payments-api', '  datasource:', f'    url: jdbc:postgresql://payments-db.prod.internal:5432/payments?user=payments_app&password={pw}&sslmode=require',
        '    hikari:', '      maximum-pool-size: 20', '  jpa:', '    open-in-view: false', '', 'stripe:',
        *g.raw_kv('yaml', '  ', 'secret-key', f.sec('stripe-secret-key')), *g.raw_kv('yaml', '  ', 'webhook-secret', f.sec('stripe-webhook-secret')),
        f'  publishable-key: {f.neg("stripe-publishable-key", "pk_live_51" + g.rs(AN, 97))}', 'braintree:', '  environment: production',
        *g.raw_kv('yaml', '  ', 'access-token', f.sec('braintree-access-token')), 'management:', '  endpoints:', '    web:', '      exposure:', '        include: health,info,prometheus',
        'sentry:', f'  dsn: {f.sec("sentry-dsn")}', '  traces-sample-rate: 0.1')
    f = g.file(R, 'src/main/resources/application-local.yml')
    f.a('spring:', '  datasource:', '    url: jdbc:postgresql://localhost:5432/payments', '    username: postgres', f'    {f.neg("local-default-password", "password: postgres")}',
        'stripe:', f'  secret-key: {f.neg("env-interpolation", "${STRIPE_SECRET_KEY:sk_test_placeholder}")}', f'  webhook-secret: {f.ph("changeme")}')
    f = g.file(R, 'src/main/resources/application-prod.properties')
    f.a('# prod overrides - managed by platform team', 'server.port=8080', 'spring.datasource.url=jdbc:mysql://ledger-mysql.prod.internal:3306/ledger?useSSL=true',
        'spring.datasource.username=ledger_rw', f'spring.datasource.password={f.sec("jdbc-password", g.pw())}',
        f'paypal.client-id={f.neu("identifier", "A" + g.rs(URLS, 79))}', *g.kv(f, 'paypal-client-secret', 'props'), 'paypal.mode=live',
        f'spring.datasource.hikari.password={f.neg("env-ref", "${LEDGER_DB_PASSWORD}")}', 'logging.level.root=INFO', *g.kv(f, 'newrelic-license-key', 'props'))
    base = 'src/main/java/com/acme/payments'
    g.many(R, base + '/service/{N}Service.java', 'java', 9)
    g.many(R, base + '/web/{N}Controller.java', 'java', 5)
    f = g.file(R, base + '/config/StripeConfig.java')
    f.a('package com.acme.payments.config;', '', 'import com.stripe.Stripe;', 'import org.springframework.context.annotation.Configuration;', '',
        '@Configuration', 'public class StripeConfig {', '    public StripeConfig() {',
        f'        Stripe.apiKey = {f.neg("env-ref", dq("System.getenv(`STRIPE_SECRET_KEY`)"))};', '    }', '}')
    f = g.file(R, 'src/test/java/com/acme/payments/CardValidatorTest.java')
    f.a('package com.acme.payments;', '', 'import static org.junit.jupiter.api.Assertions.*;', 'import org.junit.jupiter.api.Test;', '', 'class CardValidatorTest {')
    for c in ['4242424242424242', '5555555555554444', '378282246310005']:
        f.a('    @Test', f'    void accepts_{c[:4]}() {{ assertTrue(CardValidator.luhn("{f.neg("test-card", c)}")); }}')
    f.a('    @Test', f'    void rejects_bad_checksum() {{ assertFalse(CardValidator.luhn("{f.neg("luhn-invalid-number", g.card(False).replace(" ", "").replace("-", ""))}")); }}', '}')
    k8s_deploy(g, R, 'k8s/deployment.yaml', 'payments-api', ['sentry-dsn', 'datadog-api-key'])
    k8s_secret(g, R, 'k8s/secret.yaml', 'payments-api-secrets')
    f = g.file(R, 'Jenkinsfile')
    f.a('pipeline {', '  agent { label "docker" }', '  environment {', "    NEXUS_CREDS = credentials('nexus-deploy')", '  }', '  stages {',
        "    stage('Build') { steps { sh './mvnw -B verify' } }", "    stage('Publish') {", '      steps {',
        f"        sh 'curl -fsS -u deployer:{f.sec('basic-auth-password', g.pw())} --upload-file target/payments-api.jar https://nexus.acme.internal/repository/releases/'",
        "        withCredentials([string(credentialsId: 'sonar-token', variable: 'SONAR_TOKEN')]) {", '          sh "./mvnw sonar:sonar -Dsonar.login=$SONAR_TOKEN"', '        }',
        '      }', '    }', '  }', '}')
    gha(g, R, '.github/workflows/ci.yml', ['maven'])
    f = g.file(R, 'Dockerfile')
    f.a('FROM eclipse-temurin:21-jre', 'ARG BUILD_SHA', f'LABEL org.opencontainers.image.revision="{f.neg("git-sha", g.hx(40))}"', 'WORKDIR /app',
        'COPY target/payments-api.jar app.jar', *g.kv(f, 'newrelic-license-key', 'docker'), 'ENV JAVA_OPTS="-XX:MaxRAMPercentage=75"', 'EXPOSE 8080',
        'ENTRYPOINT ["sh", "-c", "java $JAVA_OPTS -jar app.jar"]')
    readme(g, R, ['stripe-secret-key', 'aws-access-key-id'])


def k8s_deploy(g, R, path, app, kinds, ph=False):
    r = g.r
    f = g.file(R, path)
    f.a('apiVersion: apps/v1', 'kind: Deployment', 'metadata:', f'  name: {app}', f'  labels: {{app: {app}, team: {r.choice(NOUNS)}}}', 'spec:',
        f'  replicas: {r.randint(2, 6)}', '  selector:', '    matchLabels:', f'      app: {app}', '  template:', '    metadata:', '      labels:',
        f'        app: {app}', '      annotations:', f'        checksum/config: {f.neg("sha256-digest", g.hx(64))}', '    spec:', '      containers:',
        f'        - name: {app}', f'          image: ghcr.io/acme/{app}@sha256:{f.neg("sha256-digest", g.hx(64))}', '          ports:', '            - containerPort: 8080',
        '          env:', '            - name: LOG_LEVEL', '              value: "info"', '            - name: DATABASE_PASSWORD', '              valueFrom:',
        '                secretKeyRef:', f'                  name: {f.neg("k8s-secret-ref", app + "-db")}', '                  key: password',
        '            - name: POD_IP', '              valueFrom:', '                fieldRef:', '                  fieldPath: status.podIP')
    for k in kinds:
        f.a(*(g.phkv(f, k, 'k8s', '            ') if ph else g.kv(f, k, 'k8s', '            ')))
    f.a('          resources:', '            requests: {cpu: 250m, memory: 512Mi}', '            limits: {memory: 1Gi}')
    return f


def k8s_secret(g, R, path, name, kinds=None):
    r = g.r
    f = g.file(R, path)
    b = lambda x: base64.b64encode(x.encode()).decode()
    f.a('apiVersion: v1', 'kind: Secret', 'metadata:', f'  name: {name}', f'  namespace: {r.choice(["prod", "payments", "default", "apps"])}', 'type: Opaque', 'data:')
    f.a(f'  username: {f.neg("b64-nonsecret", b(r.choice(["app_rw", "svc_" + r.choice(NOUNS), "readonly"])))}',
        f'  port: {f.neg("b64-nonsecret", b(str(r.choice([5432, 3306, 6379]))))}')
    f.a(f'  password: {f.sec("generic-password", b(g.pw()))}')
    for k in kinds or g.pick(2):
        v = g.tok(k) if k != 'aws-access-key-id' else g.tok(k)
        f.a(f'  {g.name(k).lower().replace("_", "-")}: {f.sec(k, b(v))}')
    if r.random() < .7:
        f.a('stringData:')
        for k in g.pick(r.randint(1, 3)):
            f.a(*g.kv(f, k, 'yaml', '  '))
    return f


def gha(g, R, path, kinds):
    r = g.r
    f = g.file(R, path)
    f.a('name: ci', 'on:', '  push:', '    branches: [main]', '  pull_request:', 'permissions:', '  contents: read', '  id-token: write', 'jobs:', '  build:',
        '    runs-on: ubuntu-latest', '    steps:', f'      - uses: actions/checkout@{f.neg("git-sha", g.hx(40))} # v4',
        f'      - uses: actions/setup-node@{f.neg("git-sha", g.hx(40))}', '      - run: make test', '      - name: publish', '        env:')
    for k in r.sample(['NPM_TOKEN', 'SLACK_WEBHOOK_URL', 'SONAR_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'DOCKERHUB_TOKEN'], 3):
        f.a(f'          {k}: {f.neg("ci-secret-ref", "${{ secrets." + k + " }}")}')
    f.a(f'          GITHUB_TOKEN: {f.neg("ci-secret-ref", "${{ github.token }}")}', '        run: make publish')
    if r.random() < .6:
        f.a('      - name: notify', '        if: failure()',
            f"        run: curl -X POST -H 'Content-type: application/json' --data '{{\"text\":\"build failed\"}}' {f.sec('slack-webhook')}")
    return f


def readme(g, R, kinds):
    r = g.r
    f = g.file(R, 'README.md')
    f.a(f'# {R}', '', f'Internal service owned by team {r.choice(NOUNS)}. See `docs/` for design notes.', '', '## Local setup', '', '```bash',
        'cp .env.example .env')
    for k in kinds:
        f.a(*g.phkv(f, k, 'env'))
    f.a('make dev', '```', '', 'Never commit real credentials. Weak examples such as', f'`{f.neg("doc-weak-password", "password123")}` or `{f.neg("doc-weak-password", "admin/admin")}` are rejected by the login service.',
        '', f'Questions: {f.neg("role-email", "platform-team" + "@acme-corp.com")} or #{R}.', '', f'Current release: v{f.neg("version-string", f"{r.randint(1, 9)}.{r.randint(0, 30)}.{r.randint(0, 9)}")}')
    return f


def repo_storefront(g):
    R, r = 'web-storefront', g.r
    f = g.file(R, 'package.json')
    f.text = json.dumps({"name": "web-storefront", "version": "4.8.1", "private": True, "scripts": {"dev": "next dev", "build": "next build", "test": "vitest"},
                         "dependencies": {"next": "14.2.3", "react": "18.3.1", "stripe": "^15.7.0", "@sendgrid/mail": "^8.1.3", "@shopify/shopify-api": "^10.0.0"}}, indent=2) + '\n'
    g.lockfile_npm(g.file(R, 'package-lock.json'), ['next', 'react', 'react-dom', 'stripe', '@sendgrid/mail', 'zod', 'clsx', 'swr', 'vitest', 'typescript', 'eslint', 'postcss'])
    f = g.file(R, '.env.production')
    f.a('# production values - DO NOT SHARE', 'NODE_ENV=production', 'NEXT_PUBLIC_SITE_URL=https://shop.acme-corp.com',
        f'NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY={f.neg("stripe-publishable-key", "pk_live_51" + g.rs(AN, 97))}',
        f'NEXT_PUBLIC_SUPABASE_ANON_KEY={f.neg("public-jwt-anon-key", g.jwt({"iss": "supabase", "ref": g.rs(LO, 20), "role": "anon", "iat": 1700000000, "exp": 2015000000}))}')
    ks = ['stripe-secret-key', 'sendgrid-api-key', 'shopify-access-token', 'supabase-service-role-key', 'generic-secret']
    for k in ks + g.pick(3, excl=ks):
        f.a(*g.kv(f, k, 'env'))
    f.a(f'DATABASE_URL=postgresql://shop:{f.sec("postgres-url-password", g.pw())}@shop-db.cluster-{g.rs(LO + DG, 12)}.eu-west-1.rds.amazonaws.com:5432/shop',
        f'REDIS_URL=rediss://default:{f.sec("redis-url-password", g.pw(32))}@cache.shop.internal:6380/0')
    f = g.file(R, '.env.example')
    f.a('NODE_ENV=development', f'DATABASE_URL=postgresql://postgres{f.neg("local-default-password", ":postgres@")}localhost:5432/shop')
    for k in ['stripe-secret-key', 'sendgrid-api-key', 'shopify-access-token', 'openai-api-key', 'github-pat']:
        f.a(*g.phkv(f, k, 'env'))
    f = g.file(R, '.npmrc')
    f.a('registry=https://registry.npmjs.org/', '@acme:registry=https://npm.pkg.github.com/',
        f'//npm.pkg.github.com/:_authToken={f.neg("env-interpolation", "${GITHUB_PACKAGES_TOKEN}")}', f'//registry.npmjs.org/:_authToken={f.sec("npm-token")}', 'save-exact=true')
    f = g.file(R, 'config/default.json')
    f.text = json.dumps({"server": {"port": 3000}, "stripe": {"secretKey": f.ph("sk_live_REPLACE_ME"), "apiVersion": "2024-04-10"},
                         "sendgrid": {"apiKey": f.ph('your_api_key_here'), "from": f.neg("role-email", "noreply@acme-corp.com")},
                         "featureFlags": {"newCheckout": True}, "requestId": f.neg("uuid", g.uuid())}, indent=2) + '\n'
    f = g.file(R, 'config/production.js')
    f.a('module.exports = {', '  server: { port: process.env.PORT || 8080 },', '  shopify: {', "    shop: 'acme-store.myshopify.com',",
        *g.kv(f, 'shopify-shared-secret', 'js', '    '), *g.kv(f, 'shopify-access-token', 'js', '    '), '  },', '  stripe: {',
        f"    secretKey: {f.neg('env-ref', 'process.env.STRIPE_SECRET_KEY')},", '  },', '  algolia: {', "    appId: 'H7XK2QJ9LM',", f"    searchKey: {f.neg('env-ref', 'process.env.ALGOLIA_SEARCH_KEY')},", '  },', '};')
    g.many(R, 'src/lib/{n}.ts', 'ts', 10)
    g.many(R, 'src/components/{N}List.tsx', 'ts', 6)
    f = g.file(R, 'src/styles/brand.css')
    f.a(':root { --brand: #1f6feb; --radius: 6px; }', f'.logo {{ background-image: url("{g.data_uri(f)}"); width: 120px; height: 32px; }}', '.btn { border-radius: var(--radius); }')
    f = g.file(R, 'cypress/fixtures/checkout.json')
    f.text = json.dumps({"cards": {"visa": f.neg("test-card", "4242 4242 4242 4242"), "declined": f.neg("test-card", "4000000000000002"),
                                   "amex": f.neg("test-card", "3782 822463 10005")}, "email": f.neg("example-email", "buyer@example.com"),
                         "orderNumber": f.neg("order-number", f"ORD-{r.randint(2023, 2025)}-{r.randint(100000, 999999)}")}, indent=2) + '\n'
    f = g.file(R, 'src/emails/sendgrid.ts')
    f.a("import sgMail from '@sendgrid/mail';", '', f"sgMail.setApiKey({f.neg('env-ref', 'process.env.SENDGRID_API_KEY!')});", '',
        'export async function sendReceipt(to: string, html: string) {', f"  await sgMail.send({{ to, from: '{f.neg('role-email', 'receipts' + '@acme-corp.com')}', subject: 'Your receipt', html }});", '}')
    gha(g, R, '.github/workflows/deploy.yml', [])
    f = g.file(R, 'next.config.js')
    f.a("/** @type {import('next').NextConfig} */", 'module.exports = {', '  reactStrictMode: true,', "  images: { domains: ['cdn.shopify.com'] },",
        '  env: {', f"    BUILD_ID: '{f.neg('git-sha', g.hx(40))}',", '  },', '};')
    readme(g, R, ['sendgrid-api-key'])


def repo_terraform(g):
    R, r = 'infra-terraform', g.r
    f = g.file(R, 'providers.tf')
    f.a('terraform {', '  required_version = ">= 1.6"', '  required_providers {', '    aws = { source = "hashicorp/aws", version = "~> 5.40" }',
        '    cloudflare = { source = "cloudflare/cloudflare", version = "~> 4.0" }', '    datadog = { source = "DataDog/datadog" }', '  }', '}', '',
        'provider "aws" {', '  region     = "eu-west-1"', f'  access_key = "{f.sec("aws-access-key-id")}"', f'  secret_key = "{f.sec("aws-secret-key")}"',
        '  # TODO move to SSO profile before audit', '}', '', 'provider "cloudflare" {', f'  api_token = var.cloudflare_api_token', '}', '',
        'provider "datadog" {', f'  api_key = "{f.sec("datadog-api-key")}"', f'  app_key = "{f.sec("datadog-app-key")}"', '}', '',
        'provider "github" {', '  owner = "acme-corp"', f'  token = "{f.sec("github-fine-grained-pat")}"', '}')
    f = g.file(R, 'variables.tf')
    for nm, d, sens in [('region', '"eu-west-1"', False), ('environment', '"prod"', False), ('db_password', None, True), ('cloudflare_api_token', '""', True),
                        ('vpc_cidr', '"10.40.0.0/16"', False), ('admin_password', None, True)]:
        if d is None:
            d = '"' + f.sec('generic-password' if nm == 'db_password' else 'weak-password') + '"'
        f.a(f'variable "{nm}" {{', f'  type        = string', f'  description = "{nm.replace("_", " ").capitalize()}"', f'  default     = {d}', *(['  sensitive   = true'] if sens else []), '}', '')
    f = g.file(R, 'backend.tf')
    f.a('terraform {', '  backend "azurerm" {', '    resource_group_name  = "tfstate-rg"', '    storage_account_name = "acmetfstate"', '    container_name       = "tfstate"',
        '    key                  = "prod.terraform.tfstate"', f'    access_key           = "{f.sec("azure-storage-key")}"', '  }', '}')
    f = g.file(R, 'envs/prod.tfvars')
    f.a('environment = "prod"', f'subscription_id = "{f.neg("uuid", g.uuid())}"', f'tenant_id       = "{f.neg("uuid", g.uuid())}"')
    for k in ['cloudflare-api-token', 'digitalocean-token', 'terraform-cloud-token', 'okta-api-token']:
        f.a(*g.kv(f, k, 'tf'))
    f.a(f'pg_conn_str = "postgres://tf_state:{f.sec("postgres-url-password", g.pw())}@tfstate-pg.internal/terraform_backend?sslmode=require"')
    f = g.file(R, 'envs/staging.tfvars')
    f.a('environment = "staging"', f'db_password = "{f.sec("weak-password")}"  # temp until vault migration', *g.kv(f, 'grafana-service-account-token', 'tf'))
    f = g.file(R, 'terraform.tfvars.example')
    for k in ['cloudflare-api-token', 'digitalocean-token', 'okta-api-token', 'aws-access-key-id']:
        f.a(*g.phkv(f, k, 'tf'))
    f = g.file(R, '.terraform.lock.hcl')
    f.a('# This file is maintained automatically by "terraform init".', '')
    for p in ['hashicorp/aws', 'cloudflare/cloudflare', 'datadog/datadog', 'hashicorp/random']:
        f.a(f'provider "registry.terraform.io/{p}" {{', f'  version = "{r.randint(1, 5)}.{r.randint(0, 60)}.{r.randint(0, 9)}"', '  hashes = [',
            f'    "h1:{f.neg("provider-hash", g.b64(32))}",', *[f'    "zh:{f.neg("sha256-digest", g.hx(64))}",' for _ in range(4)], '  ]', '}', '')
    for m in ['network', 'rds', 'eks', 'dns', 's3', 'iam']:
        f = g.file(R, f'modules/{m}/main.tf')
        f.a(f'resource "aws_{m}_thing" "this" {{', f'  name = "${{var.environment}}-{m}"', '  tags = local.tags', '}')
        if m == 'rds':
            f.a('', 'resource "aws_db_instance" "main" {', '  engine   = "postgres"', '  username = "dbadmin"', f'  password = {f.neg("var-ref", "var.db_password")}', '}')
        g.file(R, f'modules/{m}/variables.tf').a('variable "environment" { type = string }', f'variable "{m}_enabled" {{', '  type    = bool', '  default = true', '}')
        g.file(R, f'modules/{m}/outputs.tf').a(f'output "{m}_id" {{', f'  value = aws_{m}_thing.this.id', '}')
    f = g.file(R, 'README.md')
    f.a('# infra-terraform', '', 'Credentials come from AWS SSO. For the docs example pair see AWS docs:', '', '```', *g.phkv(f, 'aws-access-key-id', 'env'), '```')
    g.fill(R, [('docs/runbook.md', 'md'), ('docs/dns.md', 'md')])


def repo_k8s(g):
    R, r = 'platform-k8s', g.r
    f = g.file(R, 'base/kustomization.yaml')
    f.a('apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', 'resources:', '  - deployment-api.yaml', '  - deployment-worker.yaml', '  - configmap.yaml',
        'secretGenerator:', '  - name: api-env', '    literals:', f'      - DB_PASSWORD={f.sec("generic-password")}', f'      - {g.name("vault-token")}={f.sec("vault-token")}',
        '  - name: tls', '    files:', '      - tls.key', 'configMapGenerator:', '  - name: api-config', '    literals:', '      - FEATURE_FLAGS=checkout_v2,search_v3')
    k8s_deploy(g, R, 'base/deployment-api.yaml', 'api', ['okta-api-token', 'generic-secret'])
    k8s_deploy(g, R, 'base/deployment-worker.yaml', 'worker', ['openai-api-key', 'slack-bot-token'], ph=True)
    k8s_deploy(g, R, 'apps/search/deployment.yaml', 'search', ['pinecone-api-key', 'cohere-api-key'])
    k8s_deploy(g, R, 'apps/notifier/deployment.yaml', 'notifier', ['twilio-auth-token', 'telegram-bot-token', 'discord-webhook'])
    f = g.file(R, 'base/configmap.yaml')
    f.a('apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: api-config', 'data:', '  LOG_LEVEL: info', f'  TENANT_ID: "{f.neg("uuid", g.uuid())}"',
        f'  BUILD_SHA: "{f.neg("git-sha", g.hx(40))}"', '  DB_HOST: pg-primary.db.svc.cluster.local', f'  DB_PASSWORD_FILE: /var/run/secrets/db/password',
        f'  DEPLOYED_AT: "{f.neg("timestamp", "2024-11-0" + str(r.randint(1, 9)) + "T08:41:17Z")}"')
    f = g.file(R, 'base/tls.key')
    f.a(*g.pemlines(f, 'ec-private-key'))
    for env in ['prod', 'staging']:
        k8s_secret(g, R, f'overlays/{env}/secret-app.yaml', f'app-{env}')
        f = g.file(R, f'overlays/{env}/kustomization.yaml')
        f.a('resources:', '  - ../../base', '  - secret-app.yaml', 'patches:', '  - path: replicas.yaml', 'images:', '  - name: ghcr.io/acme/api', f'    digest: sha256:{f.neg("sha256-digest", g.hx(64))}')
        g.file(R, f'overlays/{env}/replicas.yaml').a('apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: api', 'spec:', f'  replicas: {r.randint(2, 9)}')
    f = g.file(R, 'overlays/prod/sealed-db.yaml')
    f.a('apiVersion: bitnami.com/v1alpha1', 'kind: SealedSecret', 'metadata:', '  name: db-creds', 'spec:', '  encryptedData:',
        *[f'    {k}: {f.neg("sealed-secret-ciphertext", "AgB" + g.b64(r.randint(300, 380)))}' for k in ['password', 'username']])
    f = g.file(R, 'overlays/prod/tls-secret.yaml')
    f.a('apiVersion: v1', 'kind: Secret', 'metadata:', '  name: ingress-tls', 'type: kubernetes.io/tls', 'stringData:', '  tls.crt: |',
        *['    ' + x for x in g.pemlines(f, 'certificate', neg=True)], '  tls.key: |', *['    ' + x for x in g.pemlines(f, 'pkcs8-private-key')])
    for ch in ['api', 'worker']:
        f = g.file(R, f'charts/{ch}/values.yaml')
        f.a(f'image:', f'  repository: ghcr.io/acme/{ch}', '  tag: ""', 'env:')
        for k in g.pick(2):
            f.a(*g.phkv(f, k, 'yaml', '  '))
        f.a('existingSecret: ""', 'ingress:', '  enabled: false')
        f = g.file(R, f'charts/{ch}/values-prod.yaml')
        f.a('replicaCount: 4', 'env:')
        for k in g.pick(3, excl=['sentry-dsn']) + ['sentry-dsn']:
            f.a(*g.kv(f, k, 'yaml', '  '))
        f.a('postgresql:', '  auth:', f'    password: {f.sec("generic-password")}', f'    postgresPassword: {f.sec("generic-password")}')
        f = g.file(R, f'charts/{ch}/templates/deployment.yaml')
        f.a('apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: {{ include "app.fullname" . }}', 'spec:', '  template:', '    spec:', '      containers:',
            '        - name: app', '          env:', '            {{- range $k, $v := .Values.env }}', '            - name: {{ $k }}',
            f'              value: {f.neg("template-ref", "{{ $v | quote }}")}', '            {{- end }}')
        g.file(R, f'charts/{ch}/Chart.yaml').a('apiVersion: v2', f'name: {ch}', f'version: 0.{r.randint(1, 40)}.0', f'appVersion: "{r.randint(1, 5)}.{r.randint(0, 9)}.0"')
    f = g.file(R, 'argocd/apps.yaml')
    f.a('apiVersion: argoproj.io/v1alpha1', 'kind: Application', 'metadata:', '  name: platform', 'spec:', '  source:', '    repoURL: https://github.com/acme-corp/platform-k8s',
        f'    targetRevision: {f.neg("git-sha", g.hx(40))}', '    path: overlays/prod', '  destination:', '    server: https://kubernetes.default.svc')
    f = g.file(R, 'argocd/repo-creds.yaml')
    f.a('apiVersion: v1', 'kind: Secret', 'metadata:', '  name: repo-creds', '  labels:', '    argocd.argoproj.io/secret-type: repo-creds', 'stringData:',
        '  url: https://github.com/acme-corp', '  username: argocd-bot', f'  password: {f.sec("github-pat")}')
    g.fill(R, [('docs/onboarding.md', 'md'), ('docs/secrets.md', 'md')])


def repo_data(g):
    R, r = 'data-pipelines', g.r
    f = g.file(R, 'requirements.txt')
    for p in ['apache-airflow==2.9.1', 'boto3==1.34.103', 'pandas==2.2.2', 'snowflake-connector-python==3.10.0', 'confluent-kafka==2.4.0', 'databricks-sdk==0.28.0']:
        f.a(f'{p} \\', f'    --hash=sha256:{f.neg("sha256-digest", g.hx(64))}')
    f = g.file(R, 'config/settings.ini')
    f.a('[warehouse]', 'account = acme-eu1', 'user = ETL_SERVICE', f'password = {f.sec("generic-password")}', 'role = TRANSFORMER', '',
        '[kafka]', 'bootstrap.servers = pkc-4r297.europe-west1.gcp.confluent.cloud:9092', 'security.protocol = SASL_SSL', 'sasl.mechanisms = PLAIN',
        f'sasl.username = {f.neu("identifier", g.rs(UP + DG, 16))}', f'sasl.password = {f.sec("confluent-api-secret")}', '',
        '[databricks]', 'host = https://adb-4412345678901234.5.azuredatabricks.net', f'token = {f.sec("databricks-token")}', '',
        '[local]', f'password = {f.ph("changeme")}')
    f = g.file(R, '.pypirc')
    f.a('[distutils]', 'index-servers =', '    pypi', '    internal', '', '[pypi]', 'username = __token__', f'password = {f.sec("pypi-token")}', '',
        '[internal]', 'repository = https://nexus.acme.internal/repository/pypi-internal/', 'username = data-ci', f'password = {f.sec("generic-password")}')
    f = g.file(R, '.databrickscfg')
    f.a('[DEFAULT]', 'host = https://adb-4412345678901234.5.azuredatabricks.net', f'token = {f.sec("databricks-token")}', '', '[staging]',
        'host = https://adb-99887766.2.azuredatabricks.net', f'token = {f.neg("env-interpolation", "${DATABRICKS_STAGING_TOKEN}")}')
    for d in ['orders_daily', 'customer_sync', 'refunds_hourly', 'crm_export']:
        f = g.file(R, f'dags/{d}.py')
        f.a('from datetime import datetime', 'from airflow import DAG', 'from airflow.models import Variable', 'from airflow.operators.python import PythonOperator', '',
            f'SNOWFLAKE_PW = {f.neg("env-ref", dq("Variable.get(`snowflake_password`)"))}' if d == 'orders_daily' else f'OWNER = "data-eng"', '',
            f'with DAG("{d}", start_date=datetime(2024, 1, 1), schedule="@{r.choice(["daily", "hourly"])}", catchup=False) as dag:',
            f'    PythonOperator(task_id="run", python_callable=lambda: None)')
        if d == 'crm_export':
            f.a('', '# TODO(priya): move to connections', f'HUBSPOT_CONN = "postgresql://crm_ro:{f.sec("postgres-url-password", g.pw())}@crm-replica.internal:5432/crm"')
    f = g.file(R, 'scripts/export_to_s3.py')
    f.a('import boto3', 'import pandas as pd', '', 's3 = boto3.client(', '    "s3",', '    region_name="eu-west-1",', f'    aws_access_key_id="{f.sec("aws-access-key-id")}",',
        f'    aws_secret_access_key="{f.sec("aws-secret-key")}",', ')', '', 'def upload(df: pd.DataFrame, key: str) -> None:',
        '    s3.put_object(Bucket="acme-data-exports", Key=key, Body=df.to_csv(index=False))')
    f = g.file(R, 'scripts/gcs_loader.py')
    f.a('import json', 'from google.oauth2 import service_account', '', 'SA_INFO = json.loads("""')
    f.a(json.dumps(gcp_sa(g, f, 'acme-analytics-prod', 'etl-loader'), indent=2), '""")', 'creds = service_account.Credentials.from_service_account_info(SA_INFO)', '',
        f'MAPS_KEY = "{f.sec("gcp-api-key")}"  # geocoding for store locator')
    f = g.file(R, 'scripts/kafka_consumer.py')
    f.a('from confluent_kafka import Consumer', 'import os', '', 'conf = {', "    'bootstrap.servers': os.environ['KAFKA_BOOTSTRAP'],",
        f"    'sasl.username': {f.neg('env-ref', dq('os.environ[`KAFKA_KEY`]'))},", f"    'sasl.password': {f.neg('env-ref', dq('os.getenv(`KAFKA_SECRET`)'))},",
        "    'group.id': 'orders-etl',", '}', 'c = Consumer(conf)')
    f = g.file(R, 'conf/airflow.env')
    f.a(f'AIRFLOW__CORE__FERNET_KEY={f.sec("generic-secret", g.b64u(32) + "=")}',
        f'AIRFLOW_CONN_WAREHOUSE=postgresql://airflow:{f.sec("postgres-url-password", g.pw())}@warehouse.internal:5432/dw',
        f'AIRFLOW_CONN_RABBIT=amqp://etl:{f.sec("amqp-url-password", g.pw())}@rabbit.internal:5672/%2F', *g.kv(f, 'mongodb-atlas-private-key', 'env'))
    f = g.file(R, 'sql/seed_customers.sql')
    f.a('-- anonymise before sharing!', 'INSERT INTO customers (id, full_name, email, phone, created_at) VALUES')
    rows = []
    for i in range(r.randint(8, 14)):
        p = g.person()
        rows.append(f"  ({1000 + i}, '{f.neu('person-name', p['name'].replace(chr(39), chr(39) * 2))}', '{f.pii('email', p['email'])}', '{f.pii('phone', p['phone'])}', '2024-0{r.randint(1, 9)}-1{r.randint(0, 9)}')")
    f.a(',\n'.join(rows) + ';', '', f"CREATE USER reporting WITH PASSWORD '{f.sec('generic-password')}';",
        f"INSERT INTO app_users (email, password_digest) VALUES ('{f.neg('example-email', 'admin@example.com')}', '{g.bcrypt(f)}');")
    g.many(R, 'etl/{n}_transform.py', 'py', 8)
    g.many(R, 'sql/views/{n}.sql', 'sql', 6)
    g.many(R, 'tests/test_{n}.py', 'py', 4)
    readme(g, R, ['databricks-token', 'aws-access-key-id'])


def gcp_sa(g, f, proj, acct):
    sa = {"type": "service_account", "project_id": proj, "private_key_id": f.neu("identifier", g.hx(40)),
          "private_key": '\n'.join(g.pem('gcp-service-account-key')) + '\n', "client_email": f.neg("service-account-email", f"{acct}@{proj}.iam.gserviceaccount.com"),
          "client_id": g.dg(21), "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": "https://oauth2.googleapis.com/token",
          "universe_domain": "googleapis.com"}
    f.sec('gcp-service-account-key', sa["private_key"].split('\n')[1])
    return sa


def keyfile(g, R, path, kind):
    f = g.file(R, path)
    f.a(*g.pemlines(f, kind))
    return f


def scaffold(g, R, lang):
    """Everyday repo furniture: ignore files, owners, ADRs, tests, tooling config."""
    r = g.r
    ign = {'py': ['__pycache__/', '*.pyc', '.venv/', '.pytest_cache/'], 'ts': ['node_modules/', '.next/', 'dist/'], 'java': ['target/', '*.class', '.idea/'],
           'rb': ['/log/*', '/tmp/*', '/storage/*'], 'cs': ['bin/', 'obj/', '*.user'], 'md': ['.terraform/', '*.tfstate*', '.DS_Store']}[lang]
    g.file(R, '.gitignore').a(*ign, '.env', '.env.*', '!.env.example', '*.pem', '.DS_Store')
    g.file(R, '.editorconfig').a('root = true', '', '[*]', 'indent_style = space', f'indent_size = {2 if lang in ("ts", "rb", "md") else 4}', 'end_of_line = lf', 'insert_final_newline = true')
    g.file(R, 'CODEOWNERS').a(f'* @acme-corp/{R}-maintainers', f'/docs/ @acme-corp/tech-writers', f'/.github/ @acme-corp/platform')
    g.file(R, 'LICENSE').a('Copyright (c) 2019-2024 Acme Corp. All rights reserved.', '', 'Proprietary and confidential. Unauthorized copying of this repository is prohibited.')
    f = g.file(R, '.pre-commit-config.yaml')
    f.a('repos:', '  - repo: https://github.com/pre-commit/pre-commit-hooks', f'    rev: {f.neg("git-sha", g.hx(40))}  # frozen: v4.6.0', '    hooks:',
        '      - id: trailing-whitespace', '      - id: detect-private-key', '  - repo: https://github.com/gitleaks/gitleaks', '    rev: v8.18.2', '    hooks:', '      - id: gitleaks')
    g.file(R, 'renovate.json').text = json.dumps({"$schema": "https://docs.renovatebot.com/renovate-schema.json", "extends": ["config:recommended"],
                                                 "schedule": ["before 6am on monday"], "labels": ["deps"]}, indent=2) + '\n'
    for i, t in enumerate(r.sample(['use-postgres', 'adopt-opentelemetry', 'split-billing', 'feature-flags', 'retire-soap-api', 'queue-backpressure'], 3)):
        f = g.file(R, f'docs/adr/{i + 1:04d}-{t}.md')
        f.a(f'# {i + 1}. {t.replace("-", " ").capitalize()}', '', f'Date: {f.neg("timestamp", f"202{r.randint(1, 4)}-{r.randint(1, 12):02d}-{r.randint(10, 28)}")}', '', '## Status', '', r.choice(['Accepted', 'Superseded', 'Proposed']), '', '## Context', '')
        g.code(f, 'md')
    ext = {'py': 'tests/test_{n}.py', 'ts': 'src/__tests__/{n}.test.ts', 'java': 'src/test/java/com/acme/{N}Test.java', 'rb': 'spec/{n}_spec.rb', 'cs': 'tests/{N}Tests.cs', 'md': 'tests/{n}_test.go'}[lang]
    g.many(R, ext, {'md': 'go'}.get(lang, lang), r.randint(3, 5))
    g.file(R, 'Makefile').a('.PHONY: test lint build', 'test:', f'\t{ {"py": "pytest -q", "ts": "npm test", "java": "./mvnw test", "rb": "bundle exec rspec", "cs": "dotnet test", "md": "terraform validate"}[lang] }', 'lint:', '\t@echo lint', 'build:', '\t@echo build')


def nb_cell(g, src, outputs=None, md=False):
    c = {"cell_type": "markdown" if md else "code", "id": g.hx(8), "metadata": {}, "source": [l + '\n' for l in src[:-1]] + src[-1:]}
    if not md:
        c.update(execution_count=g.r.randint(1, 40), outputs=outputs or [])
    return c


def write_nb(f, cells):
    f.text = json.dumps({"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                                                      "language_info": {"name": "python", "version": "3.11.7"}}, "nbformat": 4, "nbformat_minor": 5}, indent=1, ensure_ascii=False) + '\n'


def repo_ml(g):
    R, r = 'ml-notebooks', g.r
    vend = {'openai-api-key': ('from openai import OpenAI', 'client = OpenAI(api_key="{}")', 'resp = client.chat.completions.create(model="gpt-4o-mini", messages=msgs)'),
            'anthropic-api-key': ('import anthropic', 'client = anthropic.Anthropic(api_key="{}")', 'resp = client.messages.create(model="claude-3-5-sonnet-latest", max_tokens=512, messages=msgs)'),
            'huggingface-token': ('from huggingface_hub import login', 'login(token="{}")', 'model = AutoModel.from_pretrained("acme/intent-classifier")'),
            'groq-api-key': ('from groq import Groq', 'client = Groq(api_key="{}")', 'resp = client.chat.completions.create(model="llama3-70b-8192", messages=msgs)'),
            'mistral-api-key': ('from mistralai import Mistral', 'client = Mistral(api_key="{}")', 'resp = client.chat.complete(model="mistral-large-latest", messages=msgs)'),
            'cohere-api-key': ('import cohere', 'co = cohere.Client("{}")', 'emb = co.embed(texts=texts, model="embed-english-v3.0")'),
            'pinecone-api-key': ('from pinecone import Pinecone', 'pc = Pinecone(api_key="{}")', 'index = pc.Index("support-tickets")'),
            'stripe-restricted-key': ('import stripe', 'stripe.api_key = "{}"', 'charges = stripe.Charge.list(limit=100)'),
            'slack-user-token': ('from slack_sdk import WebClient', 'slack = WebClient(token="{}")', 'hist = slack.conversations_history(channel="C04ABCDEF12")')}
    names = ['churn_analysis', 'ticket_clustering', 'rag_prototype', 'llm_eval', 'embedding_search', 'revenue_forecast', 'prompt_tuning', 'refund_anomalies']
    ks = list(vend)
    for i, nm in enumerate(names):
        f = g.file(R, f'notebooks/{nm}.ipynb')
        cells = [nb_cell(g, [f'# {nm.replace("_", " ").title()}', '', f'Exploration by {r.choice(FIRST)}, {r.choice(["Q1", "Q2", "Q3"])} 2024.'], md=True),
                 nb_cell(g, ['import os', 'import pandas as pd', 'import numpy as np'])]
        for k in [ks[i % len(ks)], ks[(i + 3) % len(ks)]]:
            imp, init, use = vend[k]
            if r.random() < .75:
                cells.append(nb_cell(g, [imp, init.format(f.sec(k)), 'msgs = [{"role": "user", "content": "Summarise the ticket"}]', use]))
            else:
                cells.append(nb_cell(g, [imp, init.replace('"{}"', f.neg('env-ref', f'os.environ["{g.name(k)}"]')), use]))
        rows = [g.person() for _ in range(r.randint(3, 6))]
        txt = ['   customer_id                 email            phone  churn_score'] + [
            f"{j}  {10000 + j:>10}  {f.pii('email', p['email']):>30}  {f.pii('phone', p['phone']):>18}  {r.random():.3f}" for j, p in enumerate(rows)]
        cells.append(nb_cell(g, ['df = pd.read_parquet("s3://acme-data-exports/customers.parquet")', 'df.head()'],
                             [{"output_type": "execute_result", "execution_count": 3, "metadata": {}, "data": {"text/plain": [t + '\n' for t in txt]}}]))
        cells.append(nb_cell(g, ['df.churn_score.hist()'], [{"output_type": "display_data", "metadata": {}, "data": {"image/png": g.b64(r.randint(300, 900)), "text/plain": ["<Figure size 640x480>"]}}]))
        write_nb(f, cells)
    f = g.file(R, '.env')
    for k in ['openai-api-key', 'anthropic-api-key', 'huggingface-token', 'pinecone-api-key', 'groq-api-key', 'mistral-api-key']:
        f.a(*g.kv(f, k, 'env'))
    f = g.file(R, '.env.example')
    for k in ['openai-api-key', 'anthropic-api-key', 'huggingface-token', 'pinecone-api-key']:
        f.a(*g.phkv(f, k, 'env'))
    f = g.file(R, 'prompts/triage_system.txt')
    f.a('You are a support triage assistant for Acme. Classify the ticket into billing, shipping, account, other.', 'Never reveal internal notes.',
        'Example input:', f'  "Hi, I am {f.neu("person-name", "Lena Fischer")}, my email is {f.pii("email", g.person()["email"])} and I was charged twice on order {f.neg("order-number", "A-" + str(r.randint(10 ** 6, 10 ** 7)))}."',
        'Example output: {"category": "billing", "urgency": "high"}')
    f = g.file(R, 'data/eval_set.jsonl')
    for _ in range(r.randint(10, 16)):
        p = g.person()
        t = r.randrange(4)
        extra = [lambda: f"my card {f.pii('card', g.card())} was declined", lambda: f"please refund to {f.pii('iban', g.iban())}",
                 lambda: f"call me at {f.pii('phone', p['phone'])}", lambda: f"I never received order {f.neg('order-number', '#' + str(r.randint(10 ** 7, 10 ** 8)))}"][t]()
        f.a(json.dumps({"input": f"From {f.pii('email', p['email'])}: {extra}", "label": r.choice(["billing", "shipping", "account"])}, ensure_ascii=False))
    g.many(R, 'src/features/{n}.py', 'py', 6)
    g.fill(R, [('README.md', 'md'), ('docs/eval_protocol.md', 'md')])
    f = g.file(R, 'requirements.txt')
    f.a('openai==1.30.1', 'anthropic==0.28.0', 'pandas==2.2.2', 'pinecone-client==4.1.0', 'huggingface-hub==0.23.0')


def repo_support(g):
    R, r = 'support-tools', g.r
    for m in range(r.randint(3, 4)):
        f = g.file(R, f'exports/tickets_2024-{m + 6:02d}.csv')
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator='\n')
        w.writerow(['ticket_id', 'created_at', 'customer_name', 'customer_email', 'phone', 'shipping_address', 'order_id', 'subject', 'body', 'assignee'])
        for i in range(r.randint(12, 20)):
            p = g.person()
            body = r.choice(['Package arrived damaged', 'Cannot log in after password reset', 'Where is my refund?', 'Wrong size delivered'])
            roll = r.random()
            if roll < .15:
                body += f'. Card used: {f.pii("card", g.card())}'
            elif roll < .25:
                body += f'. Please send refund to IBAN {f.pii("iban", g.iban())}'
            elif roll < .3:
                body += f'. Tax form attached, SSN {f.pii("ssn", g.ssn())}'
            elif roll < .38:
                body += f'. Order ref {f.neg("luhn-invalid-number", g.card(False).replace(" ", "").replace("-", ""))}'
            w.writerow([f'T-{r.randint(100000, 999999)}', f'2024-{m + 6:02d}-{r.randint(10, 28)}T{r.randint(10, 23)}:{r.randint(10, 59)}:00Z', f.neu('person-name', p['name']),
                        f.pii('email', p['email']), f.pii('phone', p['phone']), f.neu('postal-address', p['addr']),
                        f.neg('order-number', f'ORD-{r.randint(2023, 2025)}-{r.randint(100000, 999999)}'), body.split('.')[0], body,
                        f.neg('role-email', r.choice(['support@acme-corp.com', 'help@acme-corp.com', 'billing@acme-corp.com'])) if r.random() < .25 else r.choice(['Mia', 'Tom', 'Ravi', 'unassigned'])])
        f.text = buf.getvalue()
    f = g.file(R, 'exports/zendesk_tickets.json')
    tix = []
    for i in range(r.randint(8, 12)):
        p = g.person()
        tix.append({"id": r.randint(10 ** 5, 10 ** 6), "requester": {"name": f.neu('person-name', p['name']), "email": f.pii('email', p['email']), "phone": f.pii('phone', p['phone'])},
                    "created_at": f.neg('timestamp', f'2024-0{r.randint(1, 9)}-{r.randint(10, 28)}T0{r.randint(0, 9)}:{r.randint(10, 59)}:{r.randint(10, 59)}Z'),
                    "via": {"channel": r.choice(["email", "web", "chat"]), "source": {"from": {"address": f.neg('role-email', 'noreply@zendesk.com')}}},
                    "external_id": f.neg('uuid', g.uuid()), "tags": r.sample(["refund", "vip", "shipping", "login"], 2)})
    f.text = json.dumps({"tickets": tix, "count": len(tix)}, indent=2, ensure_ascii=False) + '\n'
    for n in range(r.randint(4, 6)):
        f = g.file(R, f'transcripts/chat_{r.randint(10000, 99999)}_{n}.txt')
        p = g.person()
        f.neu('person-name', p['name'])
        f.a(f'Chat transcript - {p["name"]} - 2024-0{r.randint(1, 9)}-{r.randint(10, 28)}', f'Agent (Mia): Hi {p["first"]}, thanks for contacting Acme support!',
            f'Customer: Hi, my order hasn\'t arrived. My email is {f.pii("email", p["email"])}', 'Agent (Mia): Sorry about that. Can you confirm the phone number on the account?',
            f'Customer: sure it\'s {f.pii("phone", p["phone"])}')
        t = n % 4
        if t == 0:
            f.a(f'Customer: I can also just give you my card, it\'s {f.pii("card", g.card())} exp 0{r.randint(1, 9)}/2{r.randint(6, 9)}',
                'Agent (Mia): Please never share full card numbers in chat - I have redacted it on our side.')
        elif t == 1:
            f.a(f'Customer: refund to my bank please, IBAN {f.pii("iban", g.iban())}', 'Agent (Mia): Noted, refunds take 5-7 business days.')
        elif t == 2:
            f.a(f'Customer: for the credit check you asked, my social is {f.pii("ssn", g.ssn())}', 'Agent (Mia): Thank you, we will delete this after verification.')
        else:
            f.a(f'Customer: is this the same as ticket {f.neg("order-number", str(r.randint(10 ** 8, 10 ** 9)))}?', f'Agent (Mia): Yes. You can also write to {f.neg("role-email", "support@acme-corp.com")}.')
        f.a('Agent (Mia): Is there anything else I can help with?', 'Customer: no thanks, bye')
    f = g.file(R, 'slack/support-escalations.json')
    msgs = []
    say = [lambda: f"the staging password is {f.sec('generic-password')} - please don't paste it elsewhere",
           lambda: f"here's the token for the zendesk bot: {f.sec('zendesk-api-token')}",
           lambda: f"ok I reset the admin panel login, it's now {f.sec('weak-password')} until Friday",
           lambda: f"use {f.sec('github-pat')} for the macros repo, it expires in 30 days",
           lambda: f"twilio creds for the SMS fallback -> auth token {f.sec('twilio-auth-token')}",
           lambda: f"reminder: never reuse stuff like {f.neg('doc-weak-password', 'Password1')} for shared accounts",
           lambda: f"customer {f.pii('email', g.person()['email'])} called again, number {f.pii('phone', g.phone())}",
           lambda: f"who owns {f.neg('role-email', 'noreply@acme-corp.com')} bounce handling?",
           lambda: f"intercom webhook signing secret is {f.sec('generic-secret')} fyi"]
    for i, fn in enumerate(say + [lambda: r.choice(['lunch?', 'deploying the macros update now', 'queue is at 140, all hands pls', 'LGTM'])] * 6):
        msgs.append({"type": "message", "user": 'U0' + g.rs(UP + DG, 9), "text": fn(), "ts": f"17{r.randint(10 ** 7, 10 ** 8 - 1)}.{r.randint(100000, 999999)}"})
    r.shuffle(msgs)
    f.text = json.dumps(msgs, indent=2) + '\n'
    f = g.file(R, 'scripts/twilio_notify.py')
    f.a('from twilio.rest import Client', '', *g.kv(f, 'twilio-auth-token', 'py'), 'client = Client(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)', '',
        'def sms(to: str, body: str) -> None:', f'    client.messages.create(to=to, from_="{f.neg("role-phone", "+18005550199")}", body=body)')
    f = g.file(R, 'scripts/sendgrid_mailer.py')
    f.a('import os', 'from sendgrid import SendGridAPIClient', '', f'sg = SendGridAPIClient("{f.sec("sendgrid-api-key")}")',
        f'FROM = "{f.neg("role-email", "support@acme-corp.com")}"')
    f = g.file(R, 'scripts/mailgun_bounce.sh')
    f.a('#!/usr/bin/env bash', 'set -euo pipefail', f'curl -s --user "api:{f.sec("mailgun-api-key")}" \\', '  https://api.eu.mailgun.net/v3/mg.acme-corp.com/bounces | jq .')
    for nm in ['refund_policy', 'shipping_delay', 'password_reset', 'vip_escalation']:
        f = g.file(R, f'macros/{nm}.md')
        f.a(f'# Macro: {nm.replace("_", " ")}', '', 'Hi {{ticket.requester.first_name}},', '', 'Thanks for reaching out. ' + r.choice(['We have processed your refund.', 'Your parcel is delayed.', 'Use the reset link we sent.']),
            '', f'Reply to {f.neg("role-email", "support@acme-corp.com")} if you need more help.')
    g.many(R, 'lib/{n}.py', 'py', 5)
    g.fill(R, [('README.md', 'md')])


def repo_ai(g):
    R, r = 'ai-assistants', g.r
    f = g.file(R, 'CLAUDE.md')
    f.a('# Project notes for Claude', '', '- Run `make test` before committing.', '- Use the staging DB for integration tests:',
        f'  `postgres://app:{f.sec("postgres-url-password", g.pw())}@staging-db.acme.internal:5432/app`', f'- The Linear API key for ticket lookups is {f.sec("linear-api-key")}',
        f'- Don\'t use `{f.neg("env-ref", "process.env.OPENAI_API_KEY")}` in the browser bundle.', '- Style: black, ruff, 100 cols.')
    f = g.file(R, 'AGENTS.md')
    f.a('# Agent instructions', '', '## Environment', '', 'Credentials are injected by the runner; do not hardcode them.', '',
        f'If the Notion sync fails, temporarily use `NOTION_TOKEN={f.sec("notion-token")}` (rotate after!).', '',
        f'Example header: `Authorization: Bearer {f.ph("<your-token>")}`')
    f = g.file(R, '.cursorrules')
    f.a('You are working in a TypeScript monorepo.', 'Prefer zod for validation.', f'When calling the internal API use the service JWT {f.sec("jwt")}',
        f'Anthropic key for local testing: {f.sec("anthropic-api-key")}', f'Never print secrets like {f.ph("sk-ant-api03-XXXXXXXX")}.')
    f = g.file(R, '.mcp.json')
    f.text = json.dumps({"mcpServers": {
        "github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"], "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": f.sec('github-pat')}},
        "postgres": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-postgres", f"postgresql://readonly:{f.sec('postgres-url-password', g.pw())}@analytics.internal/warehouse"]},
        "slack": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-slack"], "env": {"SLACK_BOT_TOKEN": f.neg('env-interpolation', '${SLACK_BOT_TOKEN}'), "SLACK_TEAM_ID": "T01234567"}},
        "atlassian": {"command": "uvx", "args": ["mcp-atlassian"], "env": {"JIRA_API_TOKEN": f.sec('atlassian-api-token'), "JIRA_USERNAME": f.pii('email', g.person()['email'])}}}}, indent=2) + '\n'
    for nm in ['refund_agent', 'kyc_review', 'sales_outreach', 'summarizer', 'escalation_router']:
        f = g.file(R, f'prompts/{nm}.md')
        p = g.person()
        f.a(f'# {nm} system prompt', '', 'You are a helpful assistant for Acme Corp.', '', '## Few-shot example', '', '<customer>', f'Name: {f.neu("person-name", p["name"])}',
            f'Email: {f.pii("email", p["email"])}', f'Phone: {f.pii("phone", p["phone"])}', f'Address: {f.neu("postal-address", p["addr"])}')
        if nm == 'kyc_review':
            f.a(f'SSN: {f.pii("ssn", g.ssn())}', f'Rejected SSN sample (invalid): {f.neg("invalid-ssn", g.ssn(False))}')
        if nm == 'refund_agent':
            f.a(f'IBAN: {f.pii("iban", g.iban())}', f'Typo IBAN (checksum fails): {f.neg("bad-iban", g.iban(False))}')
        f.a('</customer>', '', f'Template variables: {f.neg("template-ref", "{{customer_email}}")}, {{order_id}}.')
    f = g.file(R, 'evals/conversations.jsonl')
    for _ in range(r.randint(8, 12)):
        p = g.person()
        f.a(json.dumps({"messages": [{"role": "user", "content": f"I'm {p['first']}, reach me at {f.pii('email', p['email'])} or {f.pii('phone', p['phone'])}"},
                                     {"role": "assistant", "content": "Thanks, I've updated your contact details."}]}, ensure_ascii=False))
    g.many(R, 'agents/{n}.ts', 'ts', 6)
    g.fill(R, [('README.md', 'md'), ('docs/guardrails.md', 'md')])


def repo_dotnet(g):
    R, r = 'legacy-dotnet', g.r
    acct = 'acme' + g.rs(LO, 6)
    f = g.file(R, 'src/Acme.Web/appsettings.json')
    f.a('{', '  "Logging": { "LogLevel": { "Default": "Information" } },', '  "ConnectionStrings": {',
        f'    "Default": "Server=tcp:acme-sql.database.windows.net,1433;Initial Catalog=Orders;User ID=orders_app;Password={f.sec("mssql-password", g.pw())};Encrypt=True;",',
        f'    "Storage": "DefaultEndpointsProtocol=https;AccountName={acct};AccountKey={f.sec("azure-storage-key")};EndpointSuffix=core.windows.net",',
        f'    "Redis": "acme-cache.redis.cache.windows.net:6380,password={f.sec("generic-password", g.b64(32))},ssl=True,abortConnect=False"', '  },',
        '  "Auth0": {', '    "Domain": "acme.eu.auth0.com",', f'    "ClientId": "{f.neu("identifier", g.rs(AN, 32))}",', f'    "ClientSecret": "{f.sec("auth0-client-secret")}"', '  },',
        f'  "ApplicationInsights": {{ "ConnectionString": "InstrumentationKey={f.neu("identifier", g.uuid())};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/" }},',
        '  "AllowedHosts": "*"', '}')
    f = g.file(R, 'src/Acme.Web/appsettings.Development.json')
    f.a('{', '  "ConnectionStrings": {', f'    "Default": "Server=(localdb)\\\\mssqllocaldb;Database=Orders;Trusted_Connection=True;",',
        f'    "Storage": "{f.neg("local-default-password", "UseDevelopmentStorage=true")}"', '  },', f'  "Auth0": {{ "ClientSecret": "{f.ph("<auth0-client-secret>")}" }}', '}')
    f = g.file(R, 'src/Acme.Web/Web.config')
    f.a('<?xml version="1.0" encoding="utf-8"?>', '<configuration>', '  <connectionStrings>',
        f'    <add name="Legacy" connectionString="Data Source=sql01.corp.acme.local;Initial Catalog=Billing;User Id=billing;Password={f.sec("mssql-password", g.pw())};" providerName="System.Data.SqlClient" />',
        f'    <add name="Reports" connectionString="Driver={{ODBC Driver 18 for SQL Server}};Server=rpt.corp.acme.local;Uid=rpt;Pwd={f.sec("odbc-password", g.pw())};" />', '  </connectionStrings>', '  <appSettings>',
        f'    <add key="SendGridApiKey" value="{f.sec("sendgrid-api-key")}" />', f'    <add key="SmtpUrl" value="smtp://mailer%40acme-corp.com:{f.sec("smtp-url-password", g.pw())}@smtp.office365.com:587" />',
        f'    <add key="PayPalSecret" value="{f.ph("CHANGE_ME_IN_PROD")}" />', '  </appSettings>', '  <system.web>',
        f'    <machineKey validationKey="{f.sec("aspnet-machine-key")}" decryptionKey="{f.sec("aspnet-machine-key", g.hx(64).upper())}" validation="HMACSHA256" decryption="AES" />',
        '  </system.web>', '</configuration>')
    f = g.file(R, 'src/Acme.Web/Program.cs')
    f.a('var builder = WebApplication.CreateBuilder(args);', f'var key = {f.neg("env-ref", dq("Environment.GetEnvironmentVariable(`STRIPE_KEY`)"))};', 'var app = builder.Build();', 'app.MapGet("/health", () => "ok");', 'app.Run();')
    f = g.file(R, 'src/Acme.Web/Acme.Web.csproj')
    f.a('<Project Sdk="Microsoft.NET.Sdk.Web">', '  <PropertyGroup>', '    <TargetFramework>net8.0</TargetFramework>', f'    <UserSecretsId>{f.neg("uuid", g.uuid())}</UserSecretsId>', '  </PropertyGroup>', '</Project>')
    f = g.file(R, 'src/Acme.Web/packages.lock.json')
    f.text = json.dumps({"version": 1, "dependencies": {"net8.0": {p: {"type": "Direct", "requested": "[1.0.0, )", "resolved": "1.0.0", "contentHash": f.neg('integrity-hash', g.b64(64))}
                                                                   for p in ['Azure.Storage.Blobs', 'Dapper', 'Serilog', 'SendGrid', 'Stripe.net']}}}, indent=2) + '\n'
    f = g.file(R, 'scripts/upload-reports.ps1')
    f.a('$ErrorActionPreference = "Stop"',
        f'$sas = "?sv=2022-11-02&ss=b&srt=co&sp=rwlac&se=2026-0{r.randint(1, 9)}-01T00:00:00Z&st=2024-01-01T00:00:00Z&spr=https&sig={f.sec("azure-sas-signature")}"',
        f'azcopy copy .\\out\\*.csv "https://{acct}.blob.core.windows.net/reports$sas"')
    f = g.file(R, 'azure-pipelines.yml')
    f.a('trigger: [main]', 'pool: { vmImage: windows-latest }', 'variables:', '  - group: legacy-prod', 'steps:', '  - task: DotNetCoreCLI@2', '    inputs: { command: test }',
        '  - script: dotnet publish -c Release', '    env:', f'      SQL_PASSWORD: {f.neg("ci-secret-ref", "$(SqlPassword)")}')
    g.many(R, 'src/Acme.Core/{N}Repository.cs', 'cs', 10)
    g.fill(R, [('README.md', 'md'), ('docs/deploy.md', 'md')])


def repo_rails(g):
    R, r = 'rails-backoffice', g.r
    f = g.file(R, 'config/database.yml')
    f.a('default: &default', '  adapter: postgresql', '  encoding: unicode', '  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>', '', 'development:', '  <<: *default',
        '  database: backoffice_dev', '  username: postgres', f'  {f.neg("local-default-password", "password: password")}', '', 'staging:', '  <<: *default', '  host: staging-pg.internal',
        '  username: backoffice', f'  password: {f.sec("generic-password")}', '', 'production:', '  <<: *default', f'  url: {f.neg("env-ref", dq("<%= ENV[`DATABASE_URL`] %>"))}')
    f = g.file(R, 'config/master.key')
    f.lines = [f.sec('rails-master-key')]
    f = g.file(R, 'config/credentials.yml.enc')
    f.lines = [f.neg('encrypted-credentials', g.b64(r.randint(300, 500)) + '--' + g.b64(12).rstrip('=') + '--' + g.b64(16))]
    f = g.file(R, 'config/secrets.yml')
    f.a('# legacy, kept for rails 4 engines', 'production:', f'  secret_key_base: {f.sec("rails-secret-key-base")}', '  # dev keys are generated on boot')
    f = g.file(R, 'config/storage.yml')
    f.a('amazon:', '  service: S3', f'  access_key_id: {f.neg("env-ref", dq("<%= ENV[`AWS_ACCESS_KEY_ID`] %>"))}', '  bucket: acme-backoffice-uploads', '  region: eu-west-1')
    f = g.file(R, '.env')
    ks = ['heroku-api-key', 'sentry-auth-token', 'square-access-token', 'square-oauth-secret', 'mailgun-api-key']
    for k in ks + g.pick(2, excl=ks):
        f.a(*g.kv(f, k, 'env'))
    f = g.file(R, '.circleci/config.yml')
    f.a('version: 2.1', 'orbs:', '  ruby: circleci/ruby@2.1', 'jobs:', '  deploy:', '    docker:', '      - image: cimg/ruby:3.3', '        auth:', '          username: acmeci',
        f'          password: {f.neg("env-interpolation", "$DOCKERHUB_PASSWORD")}', '    environment:', *g.kv(f, 'heroku-api-key', 'yaml', '      '), '    steps:', '      - checkout',
        f'      - run: git push https://heroku:{f.neg("env-interpolation", "$HEROKU_API_KEY")}@git.heroku.com/acme-backoffice.git HEAD:main')
    f = g.file(R, 'db/seeds.rb')
    f.a('# Seed staff accounts (copied from prod on 2024-03-02 - FIXME scrub)')
    for _ in range(r.randint(5, 8)):
        p = g.person()
        f.a(f'User.create!(name: "{f.neu("person-name", p["name"])}", email: "{f.pii("email", p["email"])}", phone: "{f.pii("phone", p["phone"])}", password_digest: \'{g.bcrypt(f)}\')')
    f = g.file(R, 'spec/fixtures/users.yml')
    f.a('alice:', f'  email: {f.neg("example-email", "alice@example.com")}', '  name: Alice Example', f'  ssn: {f.neg("invalid-ssn", g.ssn(False))}',
        'bob:', f'  email: {f.neg("example-email", "bob@example.org")}', f'  card: {f.neg("test-card", "4111 1111 1111 1111")}')
    g.many(R, 'app/models/{n}.rb', 'rb', 8)
    g.many(R, 'app/services/{n}_service.rb', 'rb', 5)
    f = g.file(R, 'Gemfile')
    f.a("source 'https://rubygems.org'", "ruby '3.3.1'", "gem 'rails', '~> 7.1'", "gem 'pg'", "gem 'sidekiq'", "gem 'square.rb'", "gem 'sentry-rails'")
    g.fill(R, [('README.md', 'md')])


def repo_django(g):
    R, r = 'django-crm', g.r
    f = g.file(R, 'crm/settings/base.py')
    f.a('import os', 'from pathlib import Path', '', 'BASE_DIR = Path(__file__).resolve().parent.parent.parent',
        f'SECRET_KEY = {f.neg("env-ref", dq("os.environ[`DJANGO_SECRET_KEY`]"))}', 'DEBUG = False', 'ALLOWED_HOSTS = ["crm.acme-corp.com"]',
        'INSTALLED_APPS = ["django.contrib.admin", "django.contrib.auth", "crm.contacts", "crm.deals"]', f'DEFAULT_FROM_EMAIL = "{f.neg("role-email", "no-reply@acme-corp.com")}"')
    f = g.file(R, 'crm/settings/production.py')
    f.a('from .base import *  # noqa', '', f"SECRET_KEY = '{f.sec('django-secret-key')}'", '', 'DATABASES = {', '    "default": {', '        "ENGINE": "django.db.backends.postgresql",',
        '        "NAME": "crm",', '        "USER": "crm_app",', f'        "PASSWORD": "{f.sec("generic-password")}",', '        "HOST": "crm-pg.internal",', '    }', '}',
        'EMAIL_HOST = "smtp.mailgun.org"', f'EMAIL_HOST_USER = "{f.neg("role-email", "postmaster@mg.acme-corp.com")}"', f'EMAIL_HOST_PASSWORD = "{f.sec("generic-password")}"',
        f'CELERY_BROKER_URL = "amqp://crm:{f.sec("amqp-url-password", g.pw())}@rabbitmq.internal:5672/crm"',
        f'CACHES = {{"default": {{"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://:{f.sec("redis-url-password", g.pw())}@redis.internal:6379/1"}}}}',
        *g.kv(f, 'aws-access-key-id', 'py'), *g.kv(f, 'sentry-dsn', 'py'))
    f = g.file(R, 'crm/settings/local.py')
    f.a('from .base import *  # noqa', f"SECRET_KEY = '{f.ph('dev-only-not-secret')}'", 'DEBUG = True', 'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}')
    f = g.file(R, 'docker-compose.yml')
    f.a('services:', '  db:', '    image: postgres:16', '    environment:', '      POSTGRES_USER: postgres', f'      {f.neg("local-default-password", "POSTGRES_PASSWORD: postgres")}',
        '  rabbit:', '    image: rabbitmq:3-management', '  web:', '    build: .', '    env_file: .env', '    environment:',
        f'      - DATABASE_URL=postgres://postgres{f.neg("local-default-password", ":postgres@")}db:5432/crm', f'      - DJANGO_SECRET_KEY={f.neg("env-interpolation", "${DJANGO_SECRET_KEY:-dev}")}',
        '    ports: ["8000:8000"]')
    f = g.file(R, 'deploy/docker-compose.prod.yml')
    f.a('services:', '  web:', '    image: registry.gitlab.com/acme/django-crm:latest', '    environment:')
    ks = ['mailgun-api-key', 'okta-api-token', 'doppler-token']
    for k in ks + g.pick(2, excl=ks):
        f.a(*g.kv(f, k, 'compose', '      '))
    f.a('  worker:', '    image: registry.gitlab.com/acme/django-crm:latest', '    command: celery -A crm worker', '    environment:',
        f'      - CELERY_BROKER_URL=amqp://crm:{f.sec("amqp-url-password", g.pw())}@rabbitmq.internal:5672/crm')
    f = g.file(R, '.gitlab-ci.yml')
    f.a('stages: [test, deploy]', 'variables:', '  PIP_CACHE_DIR: "$CI_PROJECT_DIR/.cache/pip"', f'  DATABASE_URL: "postgres://postgres{f.neg("local-default-password", ":postgres@")}postgres:5432/test"',
        'test:', '  stage: test', '  image: python:3.12', '  services: [postgres:16]', '  script:', '    - pip install -r requirements.txt', '    - pytest -q', 'deploy:', '  stage: deploy',
        '  script:', f'    - echo "{f.neg("ci-secret-ref", "$CI_REGISTRY_PASSWORD")}" | docker login -u $CI_REGISTRY_USER --password-stdin $CI_REGISTRY',
        f'    - curl --request POST --header "PRIVATE-TOKEN: {f.sec("gitlab-pat")}" "https://gitlab.com/api/v4/projects/4242/pipeline?ref=main"', '  only: [main]')
    f = g.file(R, '.env.example')
    for k in ['mailgun-api-key', 'okta-api-token', 'aws-access-key-id', 'sentry-dsn']:
        f.a(*g.phkv(f, k, 'env'))
    f = g.file(R, 'crm/contacts/fixtures/contacts.json')
    objs = []
    for i in range(r.randint(8, 12)):
        p = g.person()
        objs.append({"model": "contacts.contact", "pk": i + 1, "fields": {"name": f.neu('person-name', p['name']), "email": f.pii('email', p['email']),
                                                                         "phone": f.pii('phone', p['phone']), "address": f.neu('postal-address', p['addr'])}})
    f.text = json.dumps(objs, indent=2, ensure_ascii=False) + '\n'
    for app in ['contacts', 'deals']:
        for mod in ['models', 'views', 'serializers', 'admin', 'tasks']:
            g.code(g.file(R, f'crm/{app}/{mod}.py'), 'py')
    f = g.file(R, 'requirements.txt')
    f.a('Django==5.0.6', 'celery==5.4.0', 'django-redis==5.4.0', 'psycopg[binary]==3.1.19', 'sentry-sdk==2.3.1')
    f = g.file(R, 'pyproject.toml')
    f.a('[project]', 'name = "django-crm"', f'version = "{f.neg("version-string", "3.12.0")}"', '[tool.ruff]', 'line-length = 100')
    g.fill(R, [('README.md', 'md')])


def repo_ops(g):
    R, r = 'ops-runbooks', g.r
    f = g.file(R, 'runbooks/api-debugging.md')
    f.a('# Debugging the public API', '', 'Check health:', '', '```bash', 'curl -s https://api.acme-corp.com/healthz', '```', '', 'Call the admin endpoint as the ops user:', '', '```bash',
        f'curl -u ops-admin:{f.sec("basic-auth-password", g.pw())} https://admin.acme-corp.com/api/v1/flags', '```', '', 'Or with a bearer token:', '', '```bash',
        f'curl -H "Authorization: Bearer {f.sec("jwt")}" https://api.acme-corp.com/internal/v2/users?limit=5', '```', '',
        f'Docs example (not a real token): `{f.neg("jwt-doc-example", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")}`',
        '', f'Never set the admin password to `{f.neg("doc-weak-password", "password123")}` again (INC-2211).')
    f = g.file(R, 'runbooks/vault.md')
    f.a('# Vault break-glass', '', '```bash', 'export VAULT_ADDR=https://vault.acme.internal:8200', f'export VAULT_TOKEN={f.sec("vault-token")}', 'vault kv get secret/prod/payments', '```',
        '', f'Normal flow: `export VAULT_TOKEN=$(vault login -method=oidc -token-only)`; never use `{f.ph("hvs.XXXXXXXXXXXXXXXXXXXXXXXX")}` style tokens from docs.')
    f = g.file(R, 'runbooks/cloudflare.md')
    f.a('# Purge CDN cache', '', '```', 'curl -X POST "https://api.cloudflare.com/client/v4/zones/$ZONE/purge_cache" \\',
        f'     -H "Authorization: Bearer {f.sec("cloudflare-api-token")}" \\', '     --data \'{"purge_everything":true}\'', '```', '',
        'Legacy global key (still active?):', f'`X-Auth-Key: {f.sec("cloudflare-global-api-key", g.hx(37))}`')
    f = g.file(R, 'runbooks/mongo-atlas.md')
    f.a('# Atlas access', '', f'mongosh "mongodb+srv://ops:{f.sec("mongodb-url-password", g.pw())}@cluster0.{g.rs(LO + DG, 5)}.mongodb.net/admin"', '',
        f'Atlas admin API key pair: public `{f.neu("identifier", g.rs(LO, 8))}` / private `{f.sec("mongodb-atlas-private-key")}`',
        f'Trace id from last outage: {f.neg("uuid", g.uuid())}')
    f = g.file(R, 'keys/deploy_id_rsa')
    f.a(*g.pemlines(f, 'openssh-private-key'))
    f = g.file(R, 'keys/deploy_id_rsa.pub')
    f.a(g.sshpub(f, 'deploy@ci-runner-01'))
    f = g.file(R, 'keys/jenkins-legacy.pem')
    f.a(*g.pemlines(f, 'rsa-private-key'))
    f = g.file(R, 'keys/jwt-signing.pub.pem')
    f.a(*g.pemlines(f, 'public-key-pem', neg=True))
    f = g.file(R, 'keys/authorized_keys')
    for who in ['alice@laptop', 'bob@mbp', 'ci@runner']:
        f.a(g.sshpub(f, who))
    f = g.file(R, 'dotfiles/.netrc')
    f.a('machine api.heroku.com', f'  login {f.neg("role-email", "ops@acme-corp.com")}', f'  password {f.sec("heroku-api-key")}', 'machine github.com', '  login acme-ci', f'  password {f.sec("github-pat")}')
    f = g.file(R, 'dotfiles/docker-config.json')
    auth = lambda u: base64.b64encode(f"{u}:{g.pw()}".encode()).decode()
    f.text = json.dumps({"auths": {"ghcr.io": {"auth": f.sec('docker-registry-auth', auth('acme-ci'))}, "registry.gitlab.com": {"auth": f.sec('docker-registry-auth', auth('deploy-bot'))},
                                   "https://index.docker.io/v1/": {}}, "credsStore": "desktop"}, indent=2) + '\n'
    f = g.file(R, 'dotfiles/.pgpass')
    f.a(f'pg-primary.internal:5432:*:ops:{f.sec("generic-password")}', f'localhost:5432:*:postgres:{f.neg("local-default-password", "postgres")}')
    f = g.file(R, 'ansible/group_vars/prod/vault.yml')
    f.a('$ANSIBLE_VAULT;1.1;AES256', *[f.neg('ansible-vault-ciphertext', g.hx(80)) if i == 0 else g.hx(80) for i in range(12)])
    f.marks[-1] = ('N', None, 'ansible-vault-ciphertext', f.lines[1])
    f = g.file(R, 'ansible/group_vars/prod/vars.yml')
    f.a('app_user: deploy', f'db_password: {f.neg("template-ref", dq("`{{ vault_db_password }}`"))}', 'smtp_host: smtp.sendgrid.net',
        f'smtp_url: smtps://apikey:{f.sec("smtp-url-password", g.pw())}@smtp.sendgrid.net:465')
    for n, d in enumerate(['2024-02-11', '2024-05-30', '2024-09-03']):
        f = g.file(R, f'incidents/{d}-postmortem.md')
        f.a(f'# Incident {d}', '', '## Timeline (from #inc channel)', '')
        lines = [f'**{r.choice(FIRST)}**: paging db on-call, phone {f.pii("phone", g.phone())}',
                 f'**{r.choice(FIRST)}**: here\'s the token for the status page API: {f.sec(r.choice(["atlassian-api-token", "postman-api-key", "linear-api-key"]))}',
                 f'**{r.choice(FIRST)}**: the replica password is {f.sec("generic-password")} if you need to connect manually',
                 f'**{r.choice(FIRST)}**: reached customer {f.pii("email", g.person()["email"])} about the double charge',
                 f'**{r.choice(FIRST)}**: deploy {f.neg("git-sha", g.hx(40))} rolled back at {f.neg("timestamp", d + "T0" + str(r.randint(1, 9)) + ":14:02Z")}']
        r.shuffle(lines)
        f.a(*lines, '', '## Action items', '', '- rotate credentials pasted in channel', '- add alert on replica lag')
    f = g.file(R, 'oncall/contacts.csv')
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(['name', 'team', 'work_email', 'mobile', 'backup'])
    for _ in range(r.randint(6, 9)):
        p = g.person()
        w.writerow([f.neu('person-name', p['name']), r.choice(NOUNS), f.pii('email', p['email']), f.pii('phone', p['phone']), r.choice(['yes', 'no'])])
    f.text = buf.getvalue()
    f = g.file(R, 'scripts/report_mailer.sh')
    f.a('#!/usr/bin/env bash', f'SMTP_URL="smtp://reports%40acme-corp.com:{f.sec("smtp-url-password", g.pw())}@smtp.gmail.com:587"',
        f'REDIS="redis://default:{f.sec("redis-url-password", g.pw())}@redis-prod.internal:6379"', 'python3 send_reports.py --smtp "$SMTP_URL"')
    f = g.file(R, 'scripts/bootstrap.sh')
    f.a('#!/usr/bin/env bash', 'set -e', f'export DIGITALOCEAN_TOKEN="{f.neg("env-interpolation", "${DIGITALOCEAN_TOKEN:?missing}")}"',
        f'curl -fsSL https://api.github.com/repos/acme-corp/tools/tarball -H "Authorization: token {f.sec("github-pat")}" | tar xz')
    f = g.file(R, 'CHANGELOG.md')
    f.a('# Changelog', '')
    for v in range(8, 0, -1):
        f.a(f'## {f.neg("version-string", f"1.{v}.{r.randint(0, 9)}")} ({f.neg("timestamp", f"2024-{v:02d}-{r.randint(10, 28)}")})', f'- {r.choice(VERBS)} {r.choice(NOUNS)} docs ({f.neg("git-sha", g.hx(7))})', '')
    g.fill(R, [(f'runbooks/{x}.md', 'md') for x in r.sample(NOUNS, 8)])


def extras(g):
    """Second wave: more key files, card/SSN/IBAN-heavy exports, SAS URLs."""
    r = g.r
    for R, path, kind in [('payments-api', 'src/main/resources/keys/jwt-signing.pem', 'pkcs8-private-key'), ('payments-api', 'src/main/resources/keys/apple-pay-merchant.key', 'ec-private-key'),
                          ('ops-runbooks', 'keys/bastion_ed25519', 'openssh-private-key'), ('ops-runbooks', 'ansible/files/backup-gpg-wrapper.key', 'rsa-private-key'),
                          ('rails-backoffice', 'config/keys/apns_auth.pem', 'ec-private-key'), ('legacy-dotnet', 'certs/saml-signing.key', 'rsa-private-key'),
                          ('ai-assistants', 'tools/.ssh/agent_deploy', 'openssh-private-key'), ('web-storefront', 'certs/dev-proxy.key', 'pkcs8-private-key')]:
        keyfile(g, R, path, kind)
    f = g.file('infra-terraform', 'credentials/gcp-terraform-sa.json')
    f.text = json.dumps(gcp_sa(g, f, 'acme-infra-prod', 'terraform'), indent=2) + '\n'
    f = g.file('ml-notebooks', 'configs/vertex-sa.json')
    f.text = json.dumps(gcp_sa(g, f, 'acme-ml-sandbox', 'vertex-runner'), indent=2) + '\n'
    f = g.file('platform-k8s', 'overlays/staging/tls-secret.yaml')
    f.a('apiVersion: v1', 'kind: Secret', 'metadata:', '  name: staging-tls', 'type: kubernetes.io/tls', 'stringData:', '  tls.key: |', *['    ' + x for x in g.pemlines(f, 'rsa-private-key')])
    # chargebacks: real cards, masked cards, vendor test cards, luhn-invalid refs
    f = g.file('support-tools', 'exports/chargebacks_2024Q3.csv')
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(['case_id', 'opened', 'cardholder', 'email', 'card_number', 'amount_eur', 'reason', 'notes'])
    for i in range(r.randint(14, 20)):
        p = g.person()
        t = r.random()
        if t < .55:
            card = f.pii('card', g.card())
        elif t < .75:
            c = g.card().replace(' ', '').replace('-', '')
            card = f.neg('masked-card', r.choice([f"**** **** **** {c[-4:]}", f"{c[:6]}******{c[-4:]}", f"XXXX-XXXX-XXXX-{c[-4:]}"]))
        elif t < .87:
            card = f.neg('test-card', r.choice(['4242424242424242', '4000 0566 5566 5556', '5555 5555 5555 4444', '4111-1111-1111-1111']))
        else:
            card = f.neg('luhn-invalid-number', g.card(False))
        note = r.choice(['', 'customer disputes', 'fraud ring?', f'auth code {r.randint(100000, 999999)}'])
        w.writerow([f'CB-{r.randint(10 ** 5, 10 ** 6)}', f'2024-0{r.randint(7, 9)}-{r.randint(10, 28)}', f.neu('person-name', p['name']), f.pii('email', p['email']), card,
                    f'{r.randint(5, 900)}.{r.randint(0, 99):02d}', r.choice(['fraudulent', 'product_not_received', 'duplicate']), note])
    f.text = buf.getvalue()
    # contractor tax/payout data with validation column (invalid rows are hard negatives)
    f = g.file('data-pipelines', 'fixtures/contractors_w9_2024.csv')
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(['contractor', 'email', 'phone', 'tin', 'payout_iban', 'validation'])
    for i in range(r.randint(12, 18)):
        p = g.person()
        bad = r.random() < .3
        if bad and r.random() < .5:
            tin, ib, v = f.neg('invalid-ssn', g.ssn(False)), f.pii('iban', g.iban()), 'TIN_INVALID'
        elif bad:
            tin, ib, v = f.pii('ssn', g.ssn()), f.neg('bad-iban', g.iban(False)), 'IBAN_CHECKSUM'
        else:
            tin, ib, v = f.pii('ssn', g.ssn()), f.pii('iban', g.iban()), 'ok'
        w.writerow([f.neu('person-name', p['name']), f.pii('email', p['email']), f.pii('phone', p['phone']), tin, ib, v])
    f.text = buf.getvalue()
    for R, path in [('data-pipelines', 'conf/blob_export.env'), ('ml-notebooks', 'configs/datasets.yaml'), ('legacy-dotnet', 'scripts/restore-db.cmd')]:
        f = g.file(R, path)
        acct = 'acme' + g.rs(LO + DG, 8)
        sas = f"https://{acct}.blob.core.windows.net/exports?sv=2023-01-03&ss=bf&srt=sco&sp=rl&se=2025-12-31T23:59:59Z&spr=https&sig={f.sec('azure-sas-signature')}"
        f.a(*{'env': lambda: [f'EXPORT_CONTAINER_SAS_URL="{sas}"', f'AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=https;AccountName={acct};AccountKey={f.sec("azure-storage-key")};EndpointSuffix=core.windows.net"'],
              'yaml': lambda: ['datasets:', '  tickets_2024:', '    format: parquet', f'    uri: "{sas}"', '  public_faq:', '    uri: https://acme-corp.com/faq.json'],
              'cmd': lambda: ['@echo off', f'azcopy copy "{sas}" C:\\restore\\ --recursive', 'sqlcmd -S . -i restore.sql']}[path.rsplit('.', 1)[-1]]())


def conn_strings(g):
    """Connection strings / URLs with embedded credentials in several dialects."""
    r, pw = g.r, g.pw
    f = g.file('data-pipelines', 'jobs/spark_ingest.py')
    f.a('from pyspark.sql import SparkSession', '', 'spark = SparkSession.builder.appName("ingest").getOrCreate()', '',
        f'MSSQL = "jdbc:sqlserver://erp-sql.corp.acme.local:1433;databaseName=ERP;user=etl_reader;password={f.sec("jdbc-password", pw())};encrypt=true"',
        f'ORACLE = "jdbc:oracle:thin:finance_ro/{f.sec("jdbc-password", pw())}@//ora-fin.corp.acme.local:1521/FINPRD"',
        'df = spark.read.format("jdbc").option("url", MSSQL).option("dbtable", "dbo.Invoices").load()')
    f = g.file('web-storefront', '.env.staging')
    f.a('NODE_ENV=production', f'MONGODB_URI=mongodb+srv://storefront:{f.sec("mongodb-url-password", pw())}@shop-staging.{g.rs(LO + DG, 5)}.mongodb.net/shop?retryWrites=true&w=majority',
        f'MYSQL_URL=mysql://wp_user:{f.sec("mysql-url-password", pw())}@blog-db.staging.internal:3306/wordpress', f'ADMIN_PASSWORD={f.sec("weak-password")}  # shared with QA vendor',
        *g.kv(f, 'stripe-restricted-key', 'env'))
    f = g.file('ml-notebooks', 'src/db.py')
    f.a('import pyodbc', 'from pymongo import MongoClient', '',
        f'CONN = "DRIVER={{PostgreSQL Unicode}};SERVER=analytics.internal;PORT=5432;DATABASE=dw;UID=analyst;PWD={f.sec("odbc-password", pw())}"',
        f'mongo = MongoClient("mongodb://ml_ro:{f.sec("mongodb-url-password", pw())}@mongo-0.ml.internal:27017,mongo-1.ml.internal:27017/features?replicaSet=rs0")',
        'def query(sql):', '    with pyodbc.connect(CONN) as c:', '        return c.execute(sql).fetchall()')
    f = g.file('ops-runbooks', 'scripts/healthcheck.sh')
    f.a('#!/usr/bin/env bash', 'set -u', f'curl -fsS -u admin:{f.sec("basic-auth-password", pw())} http://rabbitmq.internal:15672/api/overview | jq .',
        f'python3 check_amqp.py "amqp://monitor:{f.sec("amqp-url-password", pw())}@rabbitmq.internal:5672/"',
        f'docker login -u ci-bot -p {f.sec("generic-password")} registry.acme.internal', f'echo "{f.neg("env-interpolation", "$REGISTRY_PASSWORD")}" | docker login -u ci --password-stdin ghcr.io',
        f'psql "postgresql://nagios:{f.sec("postgres-url-password", pw())}@pg-primary.internal/postgres" -c "select 1"')
    f = g.file('platform-k8s', 'base/regcred.yaml')
    cfg = json.dumps({"auths": {"registry.acme.internal": {"auth": f.sec('docker-registry-auth', base64.b64encode(f"puller:{pw()}".encode()).decode())}}})
    f.a('apiVersion: v1', 'kind: Secret', 'metadata:', '  name: regcred', 'type: kubernetes.io/dockerconfigjson', 'stringData:', f"  .dockerconfigjson: '{cfg}'")
    f = g.file('django-crm', 'scripts/sync_ldap.py')
    f.a('import ldap3', '', f'BIND_PW = "{f.sec("generic-password")}"', 'server = ldap3.Server("ldaps://dc01.corp.acme.local")',
        'conn = ldap3.Connection(server, "CN=svc-crm,OU=Service,DC=corp,DC=acme,DC=local", BIND_PW, auto_bind=True)',
        f'MSSQL = "Server=crm-archive.corp.acme.local;Database=Archive;User Id=crm_archive;Password={f.sec("mssql-password", pw())};TrustServerCertificate=True"')


def topup(g, counts, minimum=3):
    """Make sure every vendor kind has at least `minimum` instances, in varied extra files."""
    r = g.r
    need = [k for k in VENDOR if counts[k] < minimum]
    targets = [('infra-terraform', 'envs/{}.auto.tfvars', 'tf'), ('platform-k8s', 'apps/{}/secret-env.yaml', 'yaml'),
               ('data-pipelines', 'conf/{}.env', 'env'), ('web-storefront', 'deploy/{}.env', 'env'), ('django-crm', 'deploy/{}.compose.yml', 'compose'),
               ('ops-runbooks', 'handover/{}.md', 'chat'), ('ml-notebooks', 'configs/{}.json', 'json'), ('payments-api', 'src/main/resources/{}.properties', 'props')]
    i = 0
    while need:
        R, tmpl, st = targets[i % len(targets)]
        i += 1
        f = g.file(R, tmpl.format(r.choice(NOUNS) + r.choice(['-svc', '-worker', '-sync', '-api', ''])))
        batch, need = need[:4], need[4:]
        if st == 'json':
            f.a('{', '  "env": {')
        if st == 'compose':
            f.a('services:', '  app:', '    environment:')
        for k in batch:
            c = counts[k]
            if k == 'aws-secret-key':
                f.a(*g.kv(f, 'aws-access-key-id', 'env' if st == 'chat' else st, '    ' if st in ('json', 'compose') else ''))
            elif st == 'chat':
                f.a(f'**{r.choice(FIRST)}**: {r.choice(["here is the", "fyi the", "new", "rotated"])} {g.name(k).lower().replace("_", " ")}: {f.sec(k)}')
            else:
                f.a(*g.kv(f, k, st, '    ' if st in ('json', 'compose') else ''))
            counts[k] = c
        if st == 'json':
            f.a('    "REGION": "eu-west-1"', '  }', '}')
        for m in f.marks:
            if m[0] == 'L':
                counts[m[2]] += 1
        need += [k for k in batch if counts[k] < minimum]


def finalize(g, out):
    labels, negs, neus = [], [], []
    for f in g.files:
        text = f.text if f.text is not None else '\n'.join(f.lines) + '\n'
        lines = text.split('\n')
        claimed = []
        groups = {}
        for m in f.marks:
            groups.setdefault(m[3], []).append(m)
        for val in sorted(groups, key=len, reverse=True):
            ms = groups[val]
            tries = [(c, b) for c in dict.fromkeys([val, json.dumps(val)[1:-1]]) for b in (True, False)]  # raw/JSON-escaped, bounded/unbounded
            for cand, bounded in tries:
                occ, i = [], text.find(cand)
                while i >= 0:
                    ok = not any(a <= i < b for a, b in claimed)
                    if bounded:
                        pre = AN + '._%+-' if ms[0][2] == 'email' else AN
                        ok = ok and (i == 0 or text[i - 1] not in pre) and text[i + len(cand):i + len(cand) + 1] not in list(AN)
                    if ok:
                        occ.append(i)
                    i = text.find(cand, i + 1)
                if len(occ) >= len(ms):
                    break
            val = cand
            isl = any(m[0] == 'L' for m in ms)
            if (isl and len(occ) != len(ms)) or len(occ) < len(ms):
                raise SystemExit(f"FATAL: {f.path}: value of kind {ms[0][2]} planted {len(ms)}x, found {len(occ)}x")
            for m, pos in zip(ms, occ):
                claimed.append((pos, pos + len(val)))
                ln = text.count('\n', 0, pos) + 1
                if m[2] in PEMK or m[2] == 'gcp-service-account-key':
                    j = ln
                    while '-----BEGIN' not in lines[j - 1] and '$ANSIBLE_VAULT' not in lines[j - 1] and j > ln - 3:
                        j -= 1
                    if '-----BEGIN' in lines[j - 1] or '$ANSIBLE_VAULT' in lines[j - 1]:
                        ln = j
                rec = {"path": f.path, "line": ln}
                if m[0] == 'L':
                    labels.append((dict(rec, category=m[1], kind=m[2]), val))
                else:
                    (negs if m[0] == 'N' else neus).append(dict(rec, type=m[2]))
        p = os.path.join(out, f.path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'w', encoding='utf-8', newline='') as fh:
            fh.write(text)
    # independent verification from disk
    cache = {}
    for rec, val in labels:
        if rec['path'] not in cache:
            with open(os.path.join(out, rec['path']), encoding='utf-8', newline='') as fh:
                cache[rec['path']] = fh.read().split('\n')
        ls = cache[rec['path']]
        L = rec['line']
        line = ls[L - 1]
        ok = val in line or ('-----BEGIN' in line and val in '\n'.join(ls[L:L + 2]))
        if not ok:
            raise SystemExit(f"FATAL: label verification failed: {rec}")
    key = lambda d: (d['path'], d['line'])
    labels = sorted((rec for rec, _ in labels), key=key)
    ll = {key(d) for d in labels}
    for d in negs:  # line-level evaluators: a few negatives sit on a line that also carries a label (e.g. CSV rows)
        d['shares_line_with_label'] = key(d) in ll
    for name, rows in [('labels.jsonl', labels), ('negatives.jsonl', sorted(negs, key=key)), ('neutral.jsonl', sorted(neus, key=key))]:
        with open(os.path.join(out, name), 'w') as fh:
            for d in rows:
                fh.write(json.dumps(d) + '\n')
    return labels, negs, neus


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', required=True)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    if os.path.exists(a.out):
        if os.listdir(a.out) and not os.path.exists(os.path.join(a.out, 'labels.jsonl')):
            raise SystemExit(f"refusing to overwrite non-corpus directory {a.out}")
        shutil.rmtree(a.out)
    os.makedirs(a.out)
    g = G(a.seed)
    for fn, nm, lang in [(repo_payments, 'payments-api', 'java'), (repo_storefront, 'web-storefront', 'ts'), (repo_terraform, 'infra-terraform', 'md'),
                         (repo_k8s, 'platform-k8s', 'md'), (repo_data, 'data-pipelines', 'py'), (repo_ml, 'ml-notebooks', 'py'), (repo_support, 'support-tools', 'py'),
                         (repo_ai, 'ai-assistants', 'ts'), (repo_dotnet, 'legacy-dotnet', 'cs'), (repo_rails, 'rails-backoffice', 'rb'),
                         (repo_django, 'django-crm', 'py'), (repo_ops, 'ops-runbooks', 'md')]:
        fn(g)
        scaffold(g, nm, lang)
    extras(g)
    conn_strings(g)
    counts = Counter(m[2] for f in g.files for m in f.marks if m[0] == 'L')
    topup(g, counts, 4)
    labels, negs, neus = finalize(g, a.out)
    repos = sorted({f.path.split('/')[0] for f in g.files})
    size = sum(os.path.getsize(os.path.join(a.out, f.path)) for f in g.files)
    cat = Counter(l['category'] for l in labels)
    kinds = Counter(l['kind'] for l in labels)
    stats = {"repos": len(repos), "files": len(g.files), "bytes": size, "labels": len(labels), "by_category": dict(cat),
             "secret_kinds": len([k for k in kinds if k not in ('email', 'phone', 'card', 'iban', 'ssn')]),
             "by_kind": dict(sorted(kinds.items())), "negatives": len(negs), "negatives_on_label_free_lines": sum(not n['shares_line_with_label'] for n in negs), "negatives_by_type": dict(sorted(Counter(n['type'] for n in negs).items())),
             "neutral_by_type": dict(Counter(n['type'] for n in neus))}
    print(json.dumps(stats, indent=1))
    low = [k for k in VENDOR if kinds[k] < 3]
    if low:
        raise SystemExit(f"FATAL: vendor kinds below 3 instances: {low}")


if __name__ == '__main__':
    main()
