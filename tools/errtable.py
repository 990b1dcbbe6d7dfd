#!/usr/bin/env python3
"""Developer aid: validation errors joined with run features, grouped by cohort."""
import json, subprocess, sys, yaml
runs_file = sys.argv[1] if len(sys.argv) > 1 else 'data/validation/training-dev.yaml'
runs = {r['id']: r for r in yaml.safe_load(open(runs_file))}
out = json.loads(subprocess.check_output(['build/danlu', 'validate', '--runs', runs_file, '--json']))
rows = []
for o in out['runs']:
    r = runs[o['id']]; p = r.get('parallel', {}); m = r['model']
    e = o['error_pct']
    rows.append((o['id'].split('-')[0], e, o['id'][:44], r['accelerator'], r.get('precision'), p.get('tp'), p.get('pp'), p.get('dp'), p.get('cp'), p.get('vpp'), p.get('micro_batch'), p.get('recompute'), p.get('zero'), m.get('hidden'), r['seq_len']))
rows.sort(key=lambda x: (x[0], x[1] if x[1] is not None else 999))
for x in rows:
    print(f"{x[0][:10]:10} {('%+6.1f' % x[1]) if x[1] is not None else '  n/a '} {x[2]:44} {x[3]:8} {str(x[4]):5} tp{x[5]} pp{x[6]} dp{x[7]} cp{x[8]} v{x[9]} mb{x[10]} rc={x[11]} z{x[12]} h{x[13]} s{x[14]}")
print(out['summary'])
