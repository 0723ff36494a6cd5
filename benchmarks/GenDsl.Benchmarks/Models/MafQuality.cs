using System.Diagnostics;
using System.Globalization;
using CommunityToolkit.HighPerformance;
using GenDsl.Benchmarks.Torch;
using GenDsl.Data;
using GenDsl.Metrics;
using GenDsl.Models;
using GenDsl.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace GenDsl.Benchmarks.Models;

/// <summary>
/// <c>quality maf-moons</c> (issue #14): equal-budget quality of GenDsl's <see cref="MoonsMaf"/> against a TorchSharp twin of
/// the same architecture (<see cref="TorchMaf"/>: 6 MADE layers 2 → 64 → 64 → 4, ReLU, the same masks — built from
/// <see cref="GenDsl.Numerics.MadeKernels.IsConnected"/> —, s = scale ⊙ tanh r, reversals between), trained on the same
/// batches (a fresh 512 two-moons points per step, <c>TwoMoons(steps·512, seed 1, noise 0.05)</c>, as MoonsMafTests), Adam
/// 1e-3 (β 0.9/0.999, ε 1e-8, no clipping, no weight decay) on both sides, float32, one thread each. Held-out NLL on
/// <c>TwoMoons(5000, seed 2)</c>. Four rows per seed:
/// <list type="bullet">
/// <item>GenDsl as declared (its initialisation: hidden layers as nn.Linear then masked, output layers zero, scale 1);</item>
/// <item>the twin started from exactly those parameters (copied by name);</item>
/// <item>the twin with torch's default initialisation (nn.Linear everywhere, output layers too; scale 1);</item>
/// <item>GenDsl started from that torch initialisation (copied, then <c>ApplyMasks</c>: the masked-out entries torch keeps but never uses are dropped).</item>
/// </list>
/// Before training each pair is checked: the first-batch loss of both sides (to float tolerance), and once per run a
/// perturbed model's loss and every gradient. After training the twin is also evaluated by our code (its parameters
/// copied into a MoonsMaf), which must agree with torch's own held-out loss.
/// </summary>
public static class MafQuality
{
    /// <summary>Usage lines for the help text.</summary>
    public const string Usage = """
          quality maf-moons [--steps N,N,…] [--seeds S,S,…] [--threads T]
                          MoonsMaf against its TorchSharp twin (same masks, parametrisation, batches, Adam
                          1e-3, float32, T threads each, default 1; issue #14): held-out NLL after each of the --steps
                          (default 1000,2000) of batch 512, seeds default 3,4,5,6,7; GenDsl's and torch's
                          initialisation on both sides.
          quality maf-digits [--steps N,N,…] [--seeds S,S,…] [--threads T]
                          DigitsMaf against its TorchSharp twin (ActNorm + 5 MADE 64-256-256-128, the same
                          permutations), trained as DigitsMafTests (80/20 split seed 1, batch 128, Adam 1e-3,
                          fresh dequantisation noise per step, the same batches on both sides; 1 thread
                          each): held-out bits/dim (4 noise draws per image) after each of the --steps
                          (default 250,500); seeds default 1,2,3,4,5.
        """;

    private const int Batch = 512, Features = 2, Layers = 6, Hidden = 64, HiddenLayers = 2;

    /// <summary>--steps N,N,… (sorted), --seeds S,S,… and --threads T after "quality <paramref name="command"/>"; false (with the usage printed) on a bad option.</summary>
    private static bool TryOptions(ReadOnlySpan<string> args, string command, int[] defaultSteps, int[] defaultSeeds,
        out int[] steps, out int[] seeds, out int threads)
    {
        steps = defaultSteps;
        seeds = defaultSeeds;
        threads = 1;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--steps" && i + 1 < args.Length && TryInts(args[i + 1], out steps)) i++;
            else if (args[i] == "--seeds" && i + 1 < args.Length && TryInts(args[i + 1], out seeds)) i++;
            else if (args[i] == "--threads" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out threads) && threads >= 1) i++;
            else
            {
                Console.Error.WriteLine($"quality {command}: bad option '{args[i]}'.");
                Console.Error.WriteLine(Usage);
                return false;
            }
        }
        Array.Sort(steps);
        return true;
    }

    /// <summary>Runs after "quality maf-moons"; returns the exit code.</summary>
    public static int Run(ReadOnlySpan<string> args)
    {
        if (!TryOptions(args, "maf-moons", [1000, 2000], [3, 4, 5, 6, 7], out var steps, out var seeds, out int threads))
            return 2;
        TorchNativeLoader.EnsureLoaded(Console.Out);
        torch.set_num_threads(threads);
        using var pool = new WorkerPool(threads);
        int maxSteps = steps[^1];
        var train = Toy2D.TwoMoons(maxSteps * Batch, seed: 1, noise: 0.05);
        var test = Toy2D.TwoMoons(5_000, seed: 2, noise: 0.05);
        Console.WriteLine($"MoonsMaf vs TorchMaf twin: {Layers} MADE layers {Features} → {Hidden} → {Hidden} → {2 * Features} ReLU, reversals between; " +
                          $"Adam 1e-3 (0.9, 0.999, 1e-8), steps {string.Join(',', steps)} of {Batch} fresh points (TwoMoons seed 1, noise 0.05); " +
                          $"held out TwoMoons(5000, seed 2); float32, {threads} thread(s) each (GenDsl WorkerPool({threads}), torch.set_num_threads({threads})).");

        var rows = new (string Name, bool Torch, bool TorchInit)[]
        {
            ("GenDsl, GenDsl init", false, false),
            ("torch twin, GenDsl init", true, false),
            ("torch twin, torch init", true, true),
            ("GenDsl, torch init", false, true),
        };
        // results[row][stepIndex] = per-seed NLLs
        var results = rows.Select(_ => steps.Select(_ => new List<double>()).ToArray()).ToArray();
        var msPerStep = rows.Select(_ => new List<double>()).ToArray();
        var crossCheck = new List<double>();
        foreach (int seed in seeds)
        {
            var verify = VerifyPerturbed((ulong)seed + 1000, train, pool);
            Console.WriteLine($"seed {seed}: perturbed-model check {verify}");
            foreach (bool torchInit in new[] { false, true })
            {
                // The pair's common initial parameters: GenDsl's own, or a fresh twin's (torch.manual_seed(seed)).
                var ours = new MoonsMaf(new ModelOptions { MaxBatch = Batch, Seed = (ulong)seed, Pool = pool });
                torch.manual_seed(seed);
                using var twin = new TorchMaf(Features, Layers, Hidden, HiddenLayers);
                var map = ParameterMap.ByName(ours, twin);
                if (torchInit)
                {
                    map.CopyFromTorch(ours.Parameters.Span);
                    ApplyMasks(ours);
                }
                else
                    map.CopyToTorch(ours.Parameters.Span);

                var adam = new Adam(ours, learningRate: 1e-3f);
                using var tAdam = optim.Adam(twin.parameters(), lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8);
                var tBatch = new float[Batch * Features];
                var oursLosses = new float[maxSteps];
                var torchLosses = new float[maxSteps];
                var ow = new Stopwatch();
                var tw = new Stopwatch();
                int done = 0;
                for (int k = 0; k < steps.Length; k++)
                {
                    int target = steps[k];
                    ow.Start();
                    for (int step = done; step < target; step++)
                        oursLosses[step] = ours.TrainStep(train.GetRows(step * Batch, Batch), adam);
                    ow.Stop();
                    tw.Start();
                    for (int step = done; step < target; step++)
                    {
                        using var scope = NewDisposeScope();
                        train.Data.AsSpan(step * Batch * Features, Batch * Features).CopyTo(tBatch);
                        tAdam.zero_grad();
                        var loss = twin.Loss(tensor(tBatch, [Batch, Features]));
                        loss.backward();
                        tAdam.step();
                        torchLosses[step] = loss.item<float>();
                    }
                    tw.Stop();
                    if (done == 0)
                    {
                        double rel = ParameterMap.RelativeDifference(oursLosses[0], torchLosses[0]);
                        Console.WriteLine($"seed {seed}, {(torchInit ? "torch" : "GenDsl")} init: first-batch loss GenDsl {oursLosses[0]:R}, torch {torchLosses[0]:R} (rel {rel:0.0E+0})");
                        if (!(rel < 1e-5))
                            throw new InvalidOperationException($"The twin does not start equal: first-batch loss {oursLosses[0]} vs {torchLosses[0]}.");
                    }
                    done = target;
                    double oursNll = HeldOutNll(ours, test);
                    double torchNll;
                    using (no_grad())
                    using (NewDisposeScope())
                        torchNll = twin.Loss(tensor(test.Data, [test.Rows, Features])).item<float>();
                    // The twin evaluated by our code: its parameters in a fresh MoonsMaf.
                    var eval = new MoonsMaf(new ModelOptions { MaxBatch = Batch, Seed = 1, Pool = pool });
                    map.CopyFromTorch(eval.Parameters.Span);
                    ApplyMasks(eval);
                    double torchByOurs = HeldOutNll(eval, test);
                    crossCheck.Add(Math.Abs(torchByOurs - torchNll));
                    int oursRow = torchInit ? 3 : 0, torchRow = torchInit ? 2 : 1;
                    results[oursRow][k].Add(oursNll);
                    results[torchRow][k].Add(torchNll);
                    string drift = string.Join(", ", new[] { 1, 10, 100, target }.Where(s => s <= target)
                        .Select(s => $"{s}: {oursLosses[s - 1] - torchLosses[s - 1]:0.0E+0}"));
                    Console.WriteLine($"seed {seed}, {(torchInit ? "torch" : "GenDsl")} init, {target} steps: held-out NLL GenDsl {oursNll:F4} " +
                                      $"({ow.Elapsed.TotalMilliseconds / target:F2} ms/step), torch {torchNll:F4} ({tw.Elapsed.TotalMilliseconds / target:F2} ms/step; " +
                                      $"by our evaluator {torchByOurs:F4}); training loss GenDsl − torch at step {drift}");
                }
                msPerStep[torchInit ? 3 : 0].Add(ow.Elapsed.TotalMilliseconds / maxSteps);
                msPerStep[torchInit ? 2 : 1].Add(tw.Elapsed.TotalMilliseconds / maxSteps);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"max |torch's own held-out loss − our evaluator's on the twin's parameters| = {crossCheck.Max():0.0E+0}");
        PrintTables(rows.Select(r => r.Name).ToArray(), steps, seeds, results, msPerStep, Batch, "held-out NLL (nats)");
        return 0;
    }

    /// <summary>
    /// As the speed workloads' Verify: a MoonsMaf with perturbed parameters (non-zero output layers, scales ≠ 1), the
    /// same in the twin; the loss of one forward pass on the first batch and every gradient must agree.
    /// </summary>
    private static string VerifyPerturbed(ulong seed, Dataset train, WorkerPool pool)
    {
        var check = new MoonsMafAdapter(new MoonsMaf(new ModelOptions { MaxBatch = Batch, Seed = seed, Pool = pool }));
        check.Perturb(seed);
        using var twin = new TorchMaf(Features, Layers, Hidden, HiddenLayers);
        var map = ParameterMap.ByName(check.Model, twin);
        map.CopyToTorch(check.Model.Parameters.Span);
        float oursLoss = check.Backward(train.GetRows(0, Batch));
        double torchLoss;
        using (NewDisposeScope())
        {
            var loss = twin.Loss(tensor(train.Data.AsSpan(0, Batch * Features).ToArray(), [Batch, Features]));
            loss.backward();
            torchLoss = loss.item<float>();
        }
        double lossDiff = ParameterMap.RelativeDifference(oursLoss, torchLoss);
        var (gradDiff, worst) = map.CompareGradients(check.Model.Gradients.Span);
        if (!(lossDiff < 1e-5) || !(gradDiff < 1e-4))
            throw new InvalidOperationException($"The twin disagrees on a perturbed model: loss {oursLoss} vs {torchLoss}, gradients rel {gradDiff} ({worst}).");
        return $"loss {oursLoss:G6} vs {torchLoss:G6} (rel {lossDiff:0.0E+0}), gradients rel {gradDiff:0.0E+0} (worst {worst})";
    }

    private const int DigitsBatch = 128, DigitsDims = 64, DigitsEvalBatch = 256;

    /// <summary>Runs after "quality maf-digits"; returns the exit code.</summary>
    public static int RunDigits(ReadOnlySpan<string> args)
    {
        if (!TryOptions(args, "maf-digits", [250, 500], [1, 2, 3, 4, 5], out var steps, out var seeds, out int threads))
            return 2;
        TorchNativeLoader.EnsureLoaded(Console.Out);
        torch.set_num_threads(threads);
        using var pool = new WorkerPool(threads);
        int maxSteps = steps[^1];
        var (train, test) = Digits.Load().Split(0.2, seed: 1);
        var transform = LogitTransform.ForDigits();
        // The batch stream, as DigitsMafTests draws it (sampler seed 2, noise Rng(3)), made once and fed to every run.
        var batches = new float[maxSteps][];
        {
            var sampler = new BatchSampler(train, DigitsBatch, seed: 2);
            var noise = new Rng(3);
            for (int step = 0; step < maxSteps; step++)
            {
                ReadOnlySpan2D<float> x = sampler.Next();
                batches[step] = new float[x.Height * DigitsDims];
                transform.Forward(x, new Span2D<float>(batches[step], x.Height, DigitsDims), default, noise);
            }
        }
        // A fixed dequantised test set, for the cross-check of torch's own loss against our evaluator.
        var yTest = new float[test.Rows * DigitsDims];
        transform.Forward(test.GetRows(0, test.Rows), new Span2D<float>(yTest, test.Rows, DigitsDims), default, new Rng(4));
        Console.WriteLine($"DigitsMaf vs TorchDigitsMaf twin: ActNorm, 5 MADE layers 64 → 256 → 256 → 128 ReLU, permutations as GenDsl's; " +
                          $"{train.Rows} training / {test.Rows} test digits (Split(0.2, seed 1)); Adam 1e-3 (0.9, 0.999, 1e-8), steps {string.Join(',', steps)} " +
                          $"of batch {DigitsBatch} (BatchSampler seed 2, dequantisation noise Rng(3), the same arrays on both sides); held-out bits/dim with " +
                          $"4 noise draws per image (FlowMetrics.MeanNll, Rng(4)), the twin evaluated by our code on its parameters; float32, {threads} thread(s) each.");

        var rows = new[] { "GenDsl, GenDsl init", "torch twin, GenDsl init", "torch twin, torch init", "GenDsl, torch init" };
        var results = rows.Select(_ => steps.Select(_ => new List<double>()).ToArray()).ToArray();
        var msPerStep = rows.Select(_ => new List<double>()).ToArray();
        var crossCheck = new List<double>();
        var first = new ReadOnlySpan2D<float>(batches[0], DigitsBatch, DigitsDims);
        foreach (int seed in seeds)
        {
            Console.WriteLine($"seed {seed}: perturbed-model check {VerifyDigits((ulong)seed + 1000, batches[0], pool)}");
            foreach (bool torchInit in new[] { false, true })
            {
                var ours = new DigitsMaf(new ModelOptions { MaxBatch = DigitsEvalBatch, Seed = (ulong)seed, Pool = pool });
                // ActNorm's data-dependent initialisation happens in the first training forward pass: run it (Backward on the
                // first batch) before copying, and check that Backward writes, not adds to, the gradients (so that the
                // first TrainStep below is not changed by it).
                ours.Backward(first);
                var g1 = ours.Gradients.Span.ToArray();
                ours.Backward(first);
                if (!ours.Gradients.Span.SequenceEqual(g1))
                    throw new InvalidOperationException("DigitsMaf.Backward does not overwrite its gradients.");
                if (!torchInit)
                {
                    // With the output layers zero, M1 is the identity on ActNorm's output, which has zero mean and unit (population)
                    // variance on this very batch: ∂L/∂(M1's output biases) is 0 up to rounding, and Adam's first step moves those
                    // biases by ±lr whatever the sign of that rounding. Show how small they are.
                    var t = DigitsMaf.Tensors.First(t => t.Name == "M1.net.2.bias");
                    var g = ours.Gradients.Span.Slice(t.Offset, t.Length);
                    float gMax = 0, all = 0;
                    foreach (float v in g) gMax = Math.Max(gMax, Math.Abs(v));
                    foreach (float v in ours.Gradients.Span) all = Math.Max(all, Math.Abs(v));
                    Console.WriteLine($"seed {seed}, GenDsl init: first batch, max |∂L/∂M1.net.2.bias| = {gMax:0.0E+0} (largest gradient entry {all:0.0E+0})");
                }
                torch.manual_seed(seed);
                using var twin = NewDigitsTwin(ours);
                var map = ParameterMap.ByName(ours, twin);
                if (torchInit)
                {
                    // torch's nn.Linear initialisation everywhere, GenDsl's data-initialised ActNorm on both sides.
                    var logScale = ours.N1.LogScale.ToArray();
                    var bias = ours.N1.Bias.ToArray();
                    map.CopyFromTorch(ours.Parameters.Span);
                    logScale.CopyTo(ours.N1.LogScale);
                    bias.CopyTo(ours.N1.Bias);
                    ApplyMasks(ours);
                }
                map.CopyToTorch(ours.Parameters.Span);

                var adam = new Adam(ours, learningRate: 1e-3f);
                using var tAdam = optim.Adam(twin.parameters(), lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8);
                var oursLosses = new float[maxSteps];
                var torchLosses = new float[maxSteps];
                var ow = new Stopwatch();
                var tw = new Stopwatch();
                int done = 0;
                for (int k = 0; k < steps.Length; k++)
                {
                    int target = steps[k];
                    ow.Start();
                    for (int step = done; step < target; step++)
                        oursLosses[step] = ours.TrainStep(new ReadOnlySpan2D<float>(batches[step], batches[step].Length / DigitsDims, DigitsDims), adam);
                    ow.Stop();
                    tw.Start();
                    for (int step = done; step < target; step++)
                    {
                        using var scope = NewDisposeScope();
                        tAdam.zero_grad();
                        var loss = twin.Loss(tensor(batches[step], [batches[step].Length / DigitsDims, DigitsDims]));
                        loss.backward();
                        tAdam.step();
                        torchLosses[step] = loss.item<float>();
                    }
                    tw.Stop();
                    if (done == 0)
                    {
                        double rel = ParameterMap.RelativeDifference(oursLosses[0], torchLosses[0]);
                        Console.WriteLine($"seed {seed}, {(torchInit ? "torch" : "GenDsl")} init: first-batch loss GenDsl {oursLosses[0]:R}, torch {torchLosses[0]:R} (rel {rel:0.0E+0})");
                        if (!(rel < 1e-5))
                            throw new InvalidOperationException($"The twin does not start equal: first-batch loss {oursLosses[0]} vs {torchLosses[0]}.");
                    }
                    done = target;
                    double oursBpd = FlowMetrics.BitsPerDim(FlowMetrics.MeanNll(test, DigitsEvalBatch, ours.LogProb, transform, new Rng(4), repeats: 4), DigitsDims);
                    var eval = new DigitsMaf(new ModelOptions { MaxBatch = DigitsEvalBatch, Seed = 1, Pool = pool });
                    map.CopyFromTorch(eval.Parameters.Span);
                    ApplyMasks(eval);
                    double torchBpd = FlowMetrics.BitsPerDim(FlowMetrics.MeanNll(test, DigitsEvalBatch, eval.LogProb, transform, new Rng(4), repeats: 4), DigitsDims);
                    // Cross-check on one fixed dequantisation of the test set (logit space, nats): torch's own loss vs our evaluator.
                    double torchOwn;
                    using (no_grad())
                    using (NewDisposeScope())
                        torchOwn = twin.Loss(tensor(yTest, [test.Rows, DigitsDims])).item<float>();
                    double byOurs = MeanNegLogProb(eval.LogProb, yTest, test.Rows);
                    crossCheck.Add(ParameterMap.RelativeDifference(byOurs, torchOwn));
                    int oursRow = torchInit ? 3 : 0, torchRow = torchInit ? 2 : 1;
                    results[oursRow][k].Add(oursBpd);
                    results[torchRow][k].Add(torchBpd);
                    string drift = string.Join(", ", new[] { 1, 2, 10, 100, target }.Where(s => s <= target).Distinct()
                        .Select(s => $"{s}: {oursLosses[s - 1] - torchLosses[s - 1]:0.0E+0}"));
                    Console.WriteLine($"seed {seed}, {(torchInit ? "torch" : "GenDsl")} init, {target} steps: held-out bits/dim GenDsl {oursBpd:F4} " +
                                      $"({ow.Elapsed.TotalMilliseconds / target:F2} ms/step), torch {torchBpd:F4} ({tw.Elapsed.TotalMilliseconds / target:F2} ms/step); " +
                                      $"torch's own test loss {torchOwn:F4} vs our evaluator {byOurs:F4} nats (logit space); training loss GenDsl − torch at step {drift}");
                }
                msPerStep[torchInit ? 3 : 0].Add(ow.Elapsed.TotalMilliseconds / maxSteps);
                msPerStep[torchInit ? 2 : 1].Add(tw.Elapsed.TotalMilliseconds / maxSteps);
            }
        }
        Console.WriteLine();
        Console.WriteLine($"max relative |torch's own test loss − our evaluator's on the twin's parameters| = {crossCheck.Max():0.0E+0}");
        PrintTables(rows, steps, seeds, results, msPerStep, DigitsBatch, "held-out bits/dim");
        return 0;
    }

    private static double MeanNegLogProb(LogProbFunction logProb, float[] y, int n)
    {
        var lp = new float[DigitsEvalBatch];
        double sum = 0;
        for (int start = 0; start < n; start += DigitsEvalBatch)
        {
            int m = Math.Min(DigitsEvalBatch, n - start);
            logProb(new ReadOnlySpan2D<float>(y, start * DigitsDims, m, DigitsDims, 0), lp.AsSpan(0, m));
            for (int i = 0; i < m; i++) sum -= lp[i];
        }
        return sum / n;
    }

    private static TorchDigitsMaf NewDigitsTwin(DigitsMaf flow) =>
        new(DigitsDims, 256, 2, [flow.P1.Order.ToArray(), flow.P2.Order.ToArray(), flow.P3.Order.ToArray(), flow.P4.Order.ToArray()]);

    /// <summary>The perturbed-model check for DigitsMaf (ActNorm initialised first, so that the perturbation is what both sides see).</summary>
    private static string VerifyDigits(ulong seed, float[] batch, WorkerPool pool)
    {
        var flow = new DigitsMaf(new ModelOptions { MaxBatch = DigitsEvalBatch, Seed = seed, Pool = pool });
        var x = new ReadOnlySpan2D<float>(batch, batch.Length / DigitsDims, DigitsDims);
        flow.Backward(x); // ActNorm's data-dependent initialisation
        var check = new DigitsMafAdapter(flow);
        check.Perturb(seed);
        using var twin = NewDigitsTwin(flow);
        var map = ParameterMap.ByName(flow, twin);
        map.CopyToTorch(flow.Parameters.Span);
        float oursLoss = flow.Backward(x);
        double torchLoss;
        using (NewDisposeScope())
        {
            var loss = twin.Loss(tensor(batch, [batch.Length / DigitsDims, DigitsDims]));
            loss.backward();
            torchLoss = loss.item<float>();
        }
        double lossDiff = ParameterMap.RelativeDifference(oursLoss, torchLoss);
        var (gradDiff, worst) = map.CompareGradients(flow.Gradients.Span);
        if (!(lossDiff < 1e-5) || !(gradDiff < 1e-4))
            throw new InvalidOperationException($"The digits twin disagrees on a perturbed model: loss {oursLoss} vs {torchLoss}, gradients rel {gradDiff} ({worst}).");
        return $"loss {oursLoss:G6} vs {torchLoss:G6} (rel {lossDiff:0.0E+0}), gradients rel {gradDiff:0.0E+0} (worst {worst})";
    }

    private static void ApplyMasks(DigitsMaf flow)
    {
        foreach (var layer in new[] { flow.M1, flow.M2, flow.M3, flow.M4, flow.M5 })
            layer.ApplyMasks();
    }

    private static void PrintTables(string[] rows, int[] steps, int[] seeds, List<double>[][] results, List<double>[] msPerStep, int batch, string what)
    {
        for (int k = 0; k < steps.Length; k++)
        {
            Console.WriteLine();
            Console.WriteLine($"{steps[k]} steps of {batch}: {what}");
            Console.WriteLine($"| variant | {string.Join(" | ", seeds)} | mean ± s.d. |");
            Console.WriteLine($"|---|{string.Concat(seeds.Select(_ => "---:|"))}---:|");
            for (int r = 0; r < rows.Length; r++)
            {
                var v = results[r][k];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {rows[r]} | {string.Join(" | ", v.Select(x => x.ToString("F4", CultureInfo.InvariantCulture)))} | {v.Average():F4} ± {Sd(v):F4} |"));
            }
            // Paired differences (same seed, same initial parameters, same batches).
            var dG = results[0][k].Zip(results[1][k], (a, b) => a - b).ToList();
            var dT = results[3][k].Zip(results[2][k], (a, b) => a - b).ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"paired GenDsl − torch: GenDsl init {dG.Average():F4} ± {Sd(dG):F4}, torch init {dT.Average():F4} ± {Sd(dT):F4}"));
        }
        Console.WriteLine();
        for (int r = 0; r < rows.Length; r++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{rows[r]}: {msPerStep[r].Average():F2} ms/step (mean over seeds)"));
    }

    private static void ApplyMasks(MoonsMaf flow)
    {
        foreach (var layer in new[] { flow.M1, flow.M2, flow.M3, flow.M4, flow.M5, flow.M6 })
            layer.ApplyMasks();
    }

    private static double HeldOutNll(MoonsMaf flow, Dataset test)
    {
        var logp = new float[Batch];
        double sum = 0;
        for (int start = 0; start < test.Rows; start += Batch)
        {
            int n = Math.Min(Batch, test.Rows - start);
            flow.LogProb(test.GetRows(start, n), logp.AsSpan(0, n));
            for (int i = 0; i < n; i++) sum -= logp[i];
        }
        return sum / test.Rows;
    }

    private static bool TryInts(string text, out int[] values)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries);
        values = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]) || values[i] < 1)
                return false;
        return values.Length > 0;
    }

    private static double Sd(List<double> x)
    {
        if (x.Count < 2) return 0;
        double m = x.Average();
        return Math.Sqrt(x.Sum(v => (v - m) * (v - m)) / (x.Count - 1));
    }
}
