#!/usr/bin/env python3
"""Regenerate the talk-claims table in README.md (between the talk-table markers) from
`danlu scenario scenarios/talk --json`. Run from the project root after a build."""
import json, re, subprocess

out = json.loads(subprocess.check_output(['build/danlu', 'scenario', 'scenarios/talk', '--json']))
lines = ['| claim | kind | what the talk says | danlu | claimed | verdict |', '|---|---|---|---|---|---|']
for s in out:
    v = s['danlu']
    num = f'{v:,.4g}' if 0.01 <= abs(v) < 1e6 else f'{v:.3g}'
    verdict = 'consistent' if s['consistent'] else s['verdict']
    lines.append(f"| {s['id']} | {s['kind']} | {s['claim']} | {num} {s['unit']} | {s['claimed']} | {verdict} |")
ok = sum(1 for s in out if s['consistent'])
lines.append('')
lines.append(f'{ok} of {len(out)} claims are consistent with danlu\'s figures (`danlu scenario scenarios/talk`).')
table = '\n'.join(lines)
readme = open('README.md').read()
new = re.sub(r'(<!-- talk-table:start -->\n).*?(<!-- talk-table:end -->)', lambda m: m.group(1) + table + '\n' + m.group(2), readme, flags=re.S)
open('README.md', 'w').write(new)
print(table)
