#!/usr/bin/env bash
# Runs the steps of action.yml that need no network (those whose script starts with the
# marker `# tiercheck-step`: the two `tiercheck verify` runs and the verdict) the way GitHub
# Actions runs them, on a fixture repository in a temporary folder, and checks what they
# leave: a SARIF 2.1.0 file, a Markdown job summary, `exit-code=` in GITHUB_OUTPUT and the
# action's exit status under `fail-on-error` true and false. The cache and install steps are
# not run, so no network is needed.
#
# It needs a built tiercheck on PATH, for example:
#   cargo build --release && PATH="$PWD/target/release:$PATH" .ci/action-local.sh
# and python3 (its standard library). With PyYAML, action.yml is parsed as YAML and the
# marker-based reading used without it is checked to find the same steps.
#
# Exit 0 when every check passes, 1 when one fails, 2 when something it needs is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

if ! command -v tiercheck >/dev/null 2>&1; then
  echo "action-local: no tiercheck on PATH; build it first:" >&2
  echo "  cargo build --release && PATH=\"\$PWD/target/release:\$PATH\" .ci/action-local.sh" >&2
  exit 2
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "action-local: python3 is needed to read action.yml and the SARIF report" >&2
  exit 2
fi
echo "action-local: using $(command -v tiercheck)"

work=$(mktemp -d "${TMPDIR:-/tmp}/tiercheck-action.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The fixture: a T1 folder (a manifest and one script), committed to its own repository.
fixture=$work/repo
mkdir -p "$fixture"
printf 'version: 1\naudience: me\ndata: none\nowner: a@b.example\n' >"$fixture/.tier.yaml"
printf 'print("hello")\n' >"$fixture/hello.py"
if command -v git >/dev/null 2>&1; then
  git -C "$fixture" init -q
  git -C "$fixture" add .
  git -C "$fixture" -c user.name=fixture -c user.email=a@b.example -c commit.gpgsign=false \
    -c core.hooksPath=/dev/null commit -q -m fixture
fi

# run_action OUT_DIR [INPUT=VALUE ...]: runs the marked steps with these inputs (the others
# keep action.yml's defaults). It leaves in OUT_DIR: github_output (every step's
# GITHUB_OUTPUT), summary.md (every step's GITHUB_STEP_SUMMARY), status (the action's exit
# status: 0, or the code of the step that failed) and log.
run_action() {
  local out=$1
  shift
  mkdir -p "$out"
  rm -f "$fixture/tiercheck.sarif"
  python3 - "$root/action.yml" "$fixture" "$out" "$@" <<'PY'
import os, re, subprocess, sys, tempfile

action_yml, workspace, out_dir = sys.argv[1:4]
overrides = dict(a.split("=", 1) for a in sys.argv[4:])
MARKER = "# tiercheck-step"


def fail(msg):
    print(f"action-local: {action_yml}: {msg}", file=sys.stderr)
    sys.exit(2)


def read_without_yaml(text):
    """Reads the inputs' defaults and the marked steps by their layout (two-space indents,
    `run: |` blocks, `KEY: value` env lines), as action.yml writes them."""
    lines = text.split("\n")
    inputs, name, section = {}, None, None
    for line in lines:
        if re.match(r"^\S", line):
            section = line.split(":")[0]
            continue
        if section != "inputs":
            continue
        m = re.match(r"^  ([A-Za-z0-9_-]+):\s*$", line)
        if m:
            name = m.group(1)
            inputs[name] = ""
            continue
        m = re.match(r"^    default:\s*(.*)$", line)
        if m and name:
            v = m.group(1).strip()
            if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
                v = v[1:-1]
            inputs[name] = v
    # Steps: `    - ` items below `  steps:` in `runs:`.
    try:
        start = next(i for i, l in enumerate(lines) if l == "  steps:") + 1
    except StopIteration:
        fail("no `  steps:` under `runs:`")
    chunks, cur = [], None
    for line in lines[start:]:
        if line.startswith("    - "):
            cur = [line.replace("    - ", "      ", 1)]
            chunks.append(cur)
        elif cur is not None and (line.startswith("      ") or not line.strip()):
            cur.append(line)
        elif cur is not None and line.startswith("    #"):
            continue
        elif cur is not None:
            break
    steps = []
    for chunk in chunks:
        step, i = {}, 0
        while i < len(chunk):
            m = re.match(r"^      ([A-Za-z0-9_-]+):\s*(.*)$", chunk[i])
            i += 1
            if not m:
                continue
            key, val = m.group(1), m.group(2).strip()
            if key in ("env", "with"):
                if val:
                    fail(f"write `{key}:` as a block (one `KEY: value` a line), not `{val}`")
                block = {}
                while i < len(chunk) and (chunk[i].startswith("        ") or not chunk[i].strip()):
                    kv = re.match(r"^        ([A-Za-z0-9_-]+):\s*(.*)$", chunk[i])
                    if kv:
                        block[kv.group(1)] = kv.group(2).strip()
                    i += 1
                step[key] = block
            elif key == "run" and val == "|":
                body = []
                while i < len(chunk) and (chunk[i].startswith("        ") or not chunk[i].strip()):
                    body.append(chunk[i][8:])
                    i += 1
                step["run"] = "\n".join(body).rstrip("\n") + "\n"
            else:
                step[key] = val
        steps.append(step)
    return inputs, steps


text = open(action_yml, encoding="utf-8").read()
inputs, steps = read_without_yaml(text)
try:
    import yaml
except ImportError:
    yaml = None
if yaml is not None:
    doc = yaml.safe_load(text)
    yaml_inputs = {k: str(v.get("default", "")) for k, v in doc["inputs"].items()}
    yaml_steps = doc["runs"]["steps"]

    def marked_view(ss):
        return [
            (s.get("id"), {k: str(v) for k, v in s.get("env", {}).items()}, s["run"].rstrip("\n"))
            for s in ss
            if MARKER in s.get("run", "")
        ]

    if yaml_inputs != inputs or marked_view(yaml_steps) != marked_view(steps):
        fail("the marker-based reading (used without PyYAML) no longer matches the YAML; "
             "keep the layout of the `# tiercheck-step` steps and the inputs' `default:` lines")
    inputs, steps = yaml_inputs, yaml_steps

unknown = set(overrides) - set(inputs)
if unknown:
    fail(f"no such input: {', '.join(sorted(unknown))}")
inputs.update(overrides)
marked = [s for s in steps if MARKER in s.get("run", "")]
if len(marked) < 3:
    fail(f"expected the two verify steps and the verdict marked `{MARKER}`, found {len(marked)}")

outputs = {}
expr = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def resolve(m):
    e = m.group(1)
    if e.startswith("inputs."):
        if e[len("inputs."):] not in inputs:
            fail(f"`${{{{ {e} }}}}` names no input of the action")
        return str(inputs[e[len("inputs."):]])
    s = re.fullmatch(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)", e)
    if s:
        return outputs.get(s.group(1), {}).get(s.group(2), "")
    if e == "github.action_path":
        return os.path.dirname(os.path.abspath(action_yml))
    if e == "github.workspace":
        return workspace
    fail(f"a `{MARKER}` step uses `${{{{ {e} }}}}`, which this script does not emulate")


def read_outputs(path):
    got, lines, i = {}, open(path, encoding="utf-8").read().split("\n"), 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delim = line.split("<<", 1)
            body = []
            while i < len(lines) and lines[i] != delim:
                body.append(lines[i])
                i += 1
            i += 1
            got[key] = "\n".join(body)
        elif "=" in line:
            key, val = line.split("=", 1)
            got[key] = val
    return got


base_env = dict(os.environ)
base_env.pop("TIERCHECK_POLICY", None)  # the fixture is judged by the built-in policy
base_env.update(
    CI="true",
    GITHUB_ACTIONS="true",
    GITHUB_WORKSPACE=workspace,
    GITHUB_ACTION_PATH=os.path.dirname(os.path.abspath(action_yml)),
    RUNNER_OS={"Darwin": "macOS"}.get(os.uname().sysname, "Linux"),
    RUNNER_TEMP=out_dir,
)
status = 0
with open(os.path.join(out_dir, "github_output"), "w") as all_out, \
        open(os.path.join(out_dir, "summary.md"), "w") as all_summary, \
        open(os.path.join(out_dir, "log"), "w") as log:
    for n, step in enumerate(marked):
        name = step.get("name", step.get("id", f"step {n}"))
        for key in ("if", "working-directory", "uses", "continue-on-error"):
            if key in step:
                fail(f"step `{name}`: `{key}:` on a `{MARKER}` step is not emulated")
        if step.get("shell") != "bash":
            fail(f"step `{name}`: a `{MARKER}` step must say `shell: bash`")
        if expr.search(step["run"]):
            fail(f"step `{name}`: `${{{{ }}}}` inside `run:` (pass it through env:)")
        env = dict(base_env)
        env.update({k: expr.sub(resolve, str(v)) for k, v in step.get("env", {}).items()})
        files = {}
        for var in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH"):
            fd, files[var] = tempfile.mkstemp(prefix=f"{n}-{var}.", dir=out_dir)
            os.close(fd)
            env[var] = files[var]
        script = os.path.join(out_dir, f"{n}.sh")
        with open(script, "w") as f:
            f.write(step["run"])
        # The command GitHub Actions runs for `shell: bash`.
        r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", script],
                           cwd=workspace, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        log.write(f"== {name}: exit {r.returncode}\n{r.stdout}")
        print(f"action-local:   {name}: exit {r.returncode}")
        if step.get("id"):
            outputs[step["id"]] = read_outputs(files["GITHUB_OUTPUT"])
        all_out.write(open(files["GITHUB_OUTPUT"], encoding="utf-8").read())
        all_summary.write(open(files["GITHUB_STEP_SUMMARY"], encoding="utf-8").read())
        if r.returncode != 0:
            status = r.returncode  # later steps are skipped, as on GitHub
            break
with open(os.path.join(out_dir, "status"), "w") as f:
    f.write(f"{status}\n")
PY
}

failures=0
check() { # check DESCRIPTION COMMAND...: runs COMMAND, reports, counts a failure
  local what=$1
  shift
  if "$@"; then
    echo "action-local: ok   $what"
  else
    echo "action-local: FAIL $what" >&2
    failures=$((failures + 1))
  fi
}
show_log() { sed 's/^/    /' "$1/log" >&2; }

# 1. The defaults: fail-on-error true.
echo "action-local: run 1, the defaults (fail-on-error: true)"
run_action "$work/run1"
code=$(sed -n 's/^exit-code=//p' "$work/run1/github_output" | tail -n 1)
check "GITHUB_OUTPUT has exit-code= (got '$code')" grep -q '^exit-code=' "$work/run1/github_output"
check "GITHUB_OUTPUT has sarif-file=tiercheck.sarif" grep -qx 'sarif-file=tiercheck.sarif' "$work/run1/github_output"
if [ "$code" != 0 ] && [ "$code" != 1 ]; then
  echo "action-local: FAIL tiercheck verify exited '$code' on the fixture; the steps' output:" >&2
  show_log "$work/run1"
  exit 1
fi
check "the SARIF file is JSON with \"version\": \"2.1.0\"" python3 -c '
import json, sys
sys.exit(0 if json.load(open(sys.argv[1], encoding="utf-8")).get("version") == "2.1.0" else 1)
' "$fixture/tiercheck.sarif"
check "the job summary is non-empty Markdown (a table)" \
  grep -q '^|.*|[[:space:]]*$' "$work/run1/summary.md"
check "the action ends with verify's exit code ($code)" \
  test "$(cat "$work/run1/status")" = "$code"

# 2. fail-on-error false: exit 1 is reported, not a failure.
echo "action-local: run 2, fail-on-error: false"
run_action "$work/run2" fail-on-error=false
check "with fail-on-error false the action passes (exit-code $code)" \
  test "$(cat "$work/run2/status")" = 0
check "with fail-on-error false exit-code is still $code" \
  grep -qx "exit-code=$code" "$work/run2/github_output"

# 3. A bad input is a usage error before tiercheck runs.
echo "action-local: run 3, fail-on-error: maybe"
run_action "$work/run3" fail-on-error=maybe
check "fail-on-error 'maybe' is a usage error (exit 2)" test "$(cat "$work/run3/status")" = 2
check "fail-on-error 'maybe' writes no exit-code" test ! -s "$work/run3/github_output"

if [ "$failures" -gt 0 ]; then
  echo "action-local: $failures check(s) failed; the steps' output:" >&2
  for run in run1 run2 run3; do show_log "$work/$run"; done
  exit 1
fi
echo "action-local: all checks passed"
