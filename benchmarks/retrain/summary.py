"""Summary of benchmarks/retrain/retrain-finals.sh: test accuracy per (landscape seed, method) over
training seeds, per landscape seed the difference between the first method and each other, and the
training-seed noise pooled over every genotype retrained with two seeds or more."""
import json, os, re, statistics, sys

root = sys.argv[1]
runs = {}
for d in sorted(os.listdir(root)):
    m = re.fullmatch(r"seed-(\d+)-(\w+)-train-(\d+)", d)
    if not m or not os.path.exists(os.path.join(root, d, "result.json")):
        continue
    result = json.load(open(os.path.join(root, d, "result.json")))
    acc = result.get("test_accuracy", result.get("testAccuracy"))
    runs.setdefault((int(m[1]), m[2]), {})[int(m[3])] = 100 * acc if acc <= 1 else acc
if not runs:
    sys.exit(f"{root}: no finished runs yet")
print("| landscape seed | method | training seeds | test accuracy mean | std | each |")
print("| --- | --- | --- | --- | --- | --- |")
for (s, meth), accs in sorted(runs.items()):
    v = [accs[t] for t in sorted(accs)]
    sd = f"{statistics.stdev(v):.2f}" if len(v) > 1 else "-"
    print(f"| {s} | {meth} | {len(v)} | {statistics.mean(v):.2f} % | {sd} | {' '.join(f'{x:.2f}' for x in v)} |")
methods = sorted({m for _, m in runs}, key=lambda m: (m != "pvll", m))
for other in methods[1:]:
    for s in sorted({s for s, _ in runs}):
        a, b = runs.get((s, methods[0])), runs.get((s, other))
        if a and b:
            common = sorted(set(a) & set(b))
            if common:
                d = [a[t] - b[t] for t in common]
                print(f"landscape seed {s}: {methods[0]} - {other} = {statistics.mean(d):+.2f} points over {len(d)} training seed(s)")
pooled = [(len(a) - 1, statistics.variance(a.values())) for a in runs.values() if len(a) > 1]
if pooled:
    dof = sum(d for d, _ in pooled)
    print(f"training-seed noise, pooled over {len(pooled)} genotype(s): std {(sum(d * v for d, v in pooled) / dof) ** 0.5:.2f} points ({dof} degrees of freedom)")
