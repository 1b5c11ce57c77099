#!/usr/bin/env python3
"""Scores tiercheck, Betterleaks and Kingfisher on a corpus written by gen.py.

Usage: score.py DIR [TIERCHECK_BINARY]   (see benches/heldout.sh)

A tool finds a label when it reports a finding on the label's line; precision counts the
lines a tool reports that carry no label at all (lines holding a label of the other
category are left out of both). Only secrets are compared with the other two, which have
no personal-data rules. Prints tiercheck's misses by kind and its unlabelled lines.
"""
import json, os, sys, subprocess, collections
D=sys.argv[1]
tc_bin=sys.argv[2] if len(sys.argv)>2 else '/work/main/target/release/tiercheck'
labels=[json.loads(l) for l in open(f'{D}/labels.jsonl')]
def rel(p):
    p=p.replace('\\','/')
    i=p.find(D.rstrip('/')+'/')
    if i>=0: return p[i+len(D.rstrip('/'))+1:]
    return p[len(os.path.basename(D))+1:] if p.startswith(os.path.basename(D)+'/') else p
subprocess.run([tc_bin,'scan',D,'--format','json','-o','/tmp/ho-tc.json'],capture_output=True)
subprocess.run(['betterleaks','fs',D,'--no-banner','-s','-o','/tmp/ho-bl.json'],capture_output=True)
subprocess.run(['kingfisher','scan',D,'--no-validate','--no-update-check','-f','json','-o','/tmp/ho-kf.json'],capture_output=True)
tc=json.load(open('/tmp/ho-tc.json'))
tools={}
for cat in ('secret','pii'):
    tools[('tiercheck',cat)]={(rel(f['path']),f['line']) for f in tc['findings'] if f['category']==cat}
tools[('betterleaks','secret')]={(rel(f['location']['path']),f['location']['start_line']) for f in json.load(open('/tmp/ho-bl.json'))['findings']}
tools[('kingfisher','secret')]={(rel(f['finding']['path']),f['finding']['line']) for f in json.load(open('/tmp/ho-kf.json'))['findings']}
meta=lambda s: {(p,l) for (p,l) in s if p not in ('labels.jsonl','negatives.jsonl','neutral.jsonl')}
for (t,cat),found in tools.items():
    found=meta(found)
    lab={(l['path'],l['line']) for l in labels if l['category']==cat}
    other={(l['path'],l['line']) for l in labels if l['category']!=cat}
    hit=len(found&lab)
    fp=found-lab-other
    print(f'{t:11} {cat:6} recall {hit/len(lab):.3f} precision {hit/max(1,len(found-other)):.3f} (found {len(found)}, labels {len(lab)}, unlabelled lines {len(fp)})')
# misses per kind for tiercheck
for cat in ('secret','pii'):
    found=tools[('tiercheck',cat)]
    miss=collections.Counter(l['kind'] for l in labels if l['category']==cat and (l['path'],l['line']) not in found)
    print('tiercheck misses',cat,dict(miss))
    fp=sorted(meta(found)-{(l['path'],l['line']) for l in labels})
    for p,l in fp[:25]:
        rule=[f['rule_id'] for f in tc['findings'] if rel(f['path'])==p and f['line']==l]
        try: line=open(f'{D}/{p}').read().split('\n')[l-1][:110]
        except Exception: line='?'
        print('   FP',cat,p,l,rule,line)
