"""Merges reference files made by separate runs of one driver (e.g. one model each, run in parallel) into one.

usage: /usr/bin/python3 scripts/reference/merge_results.py OUT.json IN1.json IN2.json …

Every input must come from the same driver, source commit and parameters (checked); the output keeps the first
input's header and the results of all, in the order given, and lists each input's environment under `runs` (an input
that is already a merge, e.g. the committed file when rows are added, contributes its own `runs`).
"""
import json
import sys


def main():
    out_path, inputs = sys.argv[1], sys.argv[2:]
    docs = [json.load(open(p)) for p in inputs]
    head = dict(docs[0])
    for key in ('description', 'source', 'parameters', 'images', 'seed', 'radii'):
        for p, d in zip(inputs, docs):
            if d.get(key) != head.get(key):
                raise SystemExit(f'{p}: {key} differs from {inputs[0]}')
    head['results'] = [r for d in docs for r in d['results']]
    # An input that is itself a merge (e.g. the committed file, to add rows to it) brings its own list of runs.
    head['runs'] = [run for p, d in zip(inputs, docs) for run in d.get('runs') or [
        {'file': p.rsplit('/', 1)[-1], 'environment': d.get('environment'),
         'models': sorted({r['model'] for r in d['results']})}]]
    with open(out_path, 'w') as f:
        json.dump(head, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
