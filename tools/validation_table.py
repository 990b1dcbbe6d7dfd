#!/usr/bin/env python3
"""Regenerate the table block of docs/validation.md from `danlu validate --json`."""
import json, re, subprocess, sys
runs = sys.argv[1] if len(sys.argv) > 1 else 'data/validation/training-dev.yaml'
doc = 'docs/validation.md'
out = json.loads(subprocess.check_output(['build/danlu', 'validate', '--runs', runs, '--json']))
rows = sorted(out['runs'], key=lambda r: -abs(r['error_pct']) if r['error_pct'] is not None else 1)
lines = ['| run | measured step_s | predicted step_s | error % | binding |', '|---|---:|---:|---:|---|']
for r in rows:
    if r['error_pct'] is None:
        lines.append(f"| {r['id']} | {r['measured']:.4g} | – | unscored: {r['reason']} | |")
    else:
        lines.append(f"| {r['id']} | {r['measured']:.4g} | {r['predicted']:.4g} | {r['error_pct']:+.1f} | {r.get('binding', '')} |")
s = out['summary']
lines.append('')
lines.append(f"{s['count']} runs, {s['unscored']} unscored; median |error| {s['median_abs_error_pct']:.1f} %, "
             f"p90 {s['p90_abs_error_pct']:.1f} %, max {s['max_abs_error_pct']:.1f} %.")
block = '<!-- table:begin -->\n' + '\n'.join(lines) + '\n<!-- table:end -->'
text = open(doc).read()
text = re.sub(r'<!-- table:begin -->.*<!-- table:end -->', lambda _: block, text, flags=re.S)
open(doc, 'w').write(text)
print(lines[-1])
