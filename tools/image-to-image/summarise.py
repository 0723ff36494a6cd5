"""Mean ± s.d. over seeds of the metrics written by `gendsl complete` (tools/image-to-image/run.sh)."""
import glob, json, statistics, sys

out, data = sys.argv[1], sys.argv[2]
for task in ("superres", "inpaint"):
    runs = [json.load(open(f)) for f in sorted(glob.glob(f"{out}/{data}-{task}-seed*/{task}-metrics.json"))]
    if not runs:
        continue
    def ms(values):
        values = [v for v in values if v is not None]
        if not values:
            return "—"
        m = statistics.mean(values)
        s = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{m:.4f} ± {s:.4f}"
    print(f"\n{data} {task}: {len(runs)} seeds ({', '.join(str(r['seed']) for r in runs)}), {runs[0]['steps']} steps, {runs[0]['test_rows']} held-out images")
    print(f"classifier on the true images {ms([r['classifier_on_truth'] for r in runs])}, on the conditions alone {ms([r['classifier_on_condition'] for r in runs])}")
    print("| model | MSE | per-pixel sample variance | true class | sharpness | seconds |")
    print("|---|---|---|---|---|---|")
    for name in ("regressor", "cvae", "cgan", "flow"):
        rows = [r["models"][name] for r in runs if name in r["models"]]
        if rows:
            print(f"| {name} | {ms([m['mse'] for m in rows])} | {ms([m['sample_variance'] for m in rows])} | {ms([m['true_class'] for m in rows])} | {ms([m['sharpness'] for m in rows])} | {statistics.mean(m['seconds'] for m in rows):.0f} |")
