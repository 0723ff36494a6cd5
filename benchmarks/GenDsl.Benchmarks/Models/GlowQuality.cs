using System.Diagnostics;
using System.Globalization;
using CommunityToolkit.HighPerformance;
using GenDsl.Benchmarks.Torch;
using GenDsl.Data;
using GenDsl.Metrics;
using GenDsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenDsl.Benchmarks.Models;

/// <summary>
/// <c>quality fashion-glow [--steps N,N,…] [--seeds S,S,…] [--torch]</c>: FashionGlow trained as
/// tests/GenDsl.Models.Tests/Flows/FashionGlowTests.cs trains it (batch 64, Adam 1e-3, a fresh batch and fresh
/// dequantisation noise every step, RealNVP's logit with 256 levels), over several seeds; held-out bits/dim of the
/// 2,000 test images (FlowMetrics.MeanNll with the logit's Jacobian, one noise draw, Rng(4)). With --torch, the
/// TorchSharp twin (<see cref="TorchGlow"/>) from the same start on the same batches.
/// </summary>
internal static class GlowQuality
{
    public const string Usage = """
          quality fashion-glow [--steps N,N,…] [--seeds S,S,…] [--torch]
                          FashionGlow (issue #13) as FashionGlowTests trains it: batch 64, Adam 1e-3, steps
                          (default 600) of fresh batches (BatchSampler seed S+1) and dequantisation noise (Rng(S+2)),
                          model seed S (seed 1 = the test's run); held-out bits/dim of the 2,000 test images
                          (FlowMetrics.MeanNll with the logit's Jacobian, Rng(4)). --torch: the TorchSharp twin
                          (TorchGlow) too, from the same start (GenDsl's parameters after its data-dependent ActNorm
                          initialisation on the first batch, copied in) on the same batches, torch.optim.Adam 1e-3,
                          evaluated by our code on its parameters. Seeds default to 1,2,3.
        """;

    private const int Batch = 64, EvalBatch = 256, Dims = 784;

    public static int Run(ReadOnlySpan<string> args)
    {
        int[] steps = [600];
        int[] seeds = [1, 2, 3];
        bool useTorch = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--torch") { useTorch = true; continue; }
            if (i + 1 >= args.Length) return Bad(args[i]);
            switch (args[i])
            {
                case "--steps": if (!TryInts(args[++i], out steps)) return Bad(args[i]); break;
                case "--seeds": if (!TryInts(args[++i], out seeds)) return Bad(args[i]); break;
                default: return Bad(args[i]);
            }
        }
        Array.Sort(steps);
        int maxSteps = steps[^1];
        int threads = Environment.ProcessorCount;
        Console.WriteLine($"{threads} processors; command: quality fashion-glow {string.Join(' ', args.ToArray())}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        if (useTorch)
        {
            TorchNativeLoader.EnsureLoaded(Console.Out);
            torch.set_num_threads(threads);
        }
        var train = FashionMnist.LoadTrain();
        var test = FashionMnist.LoadTest();
        var transform = new LogitTransform(256);
        Console.WriteLine($"FashionGlow ({FashionGlow.TotalParameters} parameters): batch {Batch}, Adam 1e-3 (0.9, 0.999, 1e-8), steps {string.Join(',', steps)}; " +
                          $"{train.Rows} training / {test.Rows} test images; held-out bits/dim with 1 noise draw per image (Rng(4)); float32, {threads} thread(s)" +
                          (useTorch ? "; TorchGlow twin from the same start on the same batches, evaluated by our code on its parameters." : "."));

        // A fixed dequantised test set (logit space), for the cross-check of torch's own loss against our evaluator.
        var yTest = new float[test.Rows * Dims];
        if (useTorch)
            transform.Forward(test.GetRows(0, test.Rows), new Span2D<float>(yTest, test.Rows, Dims), default, new Rng(5));

        var ours = steps.ToDictionary(s => s, _ => new List<double>());
        var twin = steps.ToDictionary(s => s, _ => new List<double>());
        var oursMs = new List<double>();
        var torchMs = new List<double>();
        var crossCheck = new List<double>();
        foreach (int seed in seeds)
        {
            var flow = new FashionGlow(new ModelOptions { MaxBatch = EvalBatch, Seed = (ulong)seed });
            var sampler = new BatchSampler(train, Batch, seed: (ulong)seed + 1);
            var noise = new Rng((ulong)seed + 2);
            // The batches, made once (the same arrays for both sides when --torch).
            var batches = new List<float[]>();
            float[] NextBatch()
            {
                ReadOnlySpan2D<float> x = sampler.Next();
                var y = new float[x.Height * Dims];
                transform.Forward(x, new Span2D<float>(y, x.Height, Dims), default, noise);
                return y;
            }

            TorchGlow? t = null;
            ParameterMap? map = null;
            optim.Optimizer? tAdam = null;
            if (useTorch)
            {
                for (int s = 0; s < maxSteps; s++) batches.Add(NextBatch());
                t = TorchGlow.For(flow);
                map = ParameterMap.ByName(flow, t);
                // ActNorm: each side's own data-dependent initialisation on the first batch, compared; then GenDsl's copied in.
                map.CopyToTorch(flow.Parameters.Span);
                using (var first = tensor(batches[0], [batches[0].Length / Dims, Dims])) t.InitializeActNorm(first);
                flow.Backward(new ReadOnlySpan2D<float>(batches[0], batches[0].Length / Dims, Dims)); // initialises ActNorm; TrainStep overwrites the gradients
                var torchInit = flow.Parameters.Span.ToArray();
                map.CopyFromTorch(torchInit);
                double initDiff = 0;
                foreach (var ti in FashionGlow.Tensors.Where(x => x.Name.StartsWith('N')))
                    for (int i = 0; i < ti.Length; i++)
                        initDiff = Math.Max(initDiff, Math.Abs(torchInit[ti.Offset + i] - flow.Parameters.Span[ti.Offset + i]));
                Console.WriteLine($"seed {seed}: ActNorm data-dependent init on the first batch, torch's own vs GenDsl's: max abs difference {initDiff:0.0E+0} (GenDsl's copied in)");
                map.CopyToTorch(flow.Parameters.Span);
                tAdam = optim.Adam(t.parameters(), lr: 1e-3);
            }
            var adam = new Adam(flow, learningRate: 1e-3f);
            var oursLosses = new float[maxSteps];
            var torchLosses = new float[maxSteps];
            var ow = new Stopwatch();
            var tw = new Stopwatch();
            int done = 0;
            foreach (int target in steps)
            {
                for (int s = done; s < target; s++)
                {
                    var y = useTorch ? batches[s] : NextBatch();
                    ow.Start();
                    oursLosses[s] = flow.TrainStep(new ReadOnlySpan2D<float>(y, y.Length / Dims, Dims), adam);
                    ow.Stop();
                    if (!float.IsFinite(oursLosses[s]))
                        throw new InvalidOperationException($"GenDsl diverged at step {s}: NLL {oursLosses[s]}.");
                }
                if (useTorch)
                {
                    tw.Start();
                    for (int s = done; s < target; s++)
                    {
                        using var scope = NewDisposeScope();
                        tAdam!.zero_grad();
                        var loss = t!.Loss(tensor(batches[s], [batches[s].Length / Dims, Dims]));
                        loss.backward();
                        tAdam.step();
                        torchLosses[s] = loss.item<float>();
                    }
                    tw.Stop();
                    if (done == 0)
                    {
                        double rel = ParameterMap.RelativeDifference(oursLosses[0], torchLosses[0]);
                        Console.WriteLine($"seed {seed}: first-batch loss GenDsl {oursLosses[0]:R}, torch {torchLosses[0]:R} (rel {rel:0.0E+0})");
                        if (!(rel < 1e-5))
                            throw new InvalidOperationException($"The twin does not start equal: first-batch loss {oursLosses[0]} vs {torchLosses[0]}.");
                    }
                }
                done = target;
                double oursBpd = FlowMetrics.BitsPerDim(FlowMetrics.MeanNll(test, EvalBatch, flow.LogProb, transform, new Rng(4)), Dims);
                ours[target].Add(oursBpd);
                int window = Math.Min(50, target);
                string Window(float[] losses) => string.Create(CultureInfo.InvariantCulture,
                    $"{losses.AsSpan(target - window, window).ToArray().Average():F1} (max {losses.AsSpan(target - window, window).ToArray().Max():F1})");
                string line = $"seed {seed}, {target} steps: held-out bits/dim GenDsl {oursBpd:F4} ({ow.Elapsed.TotalMilliseconds / target:F1} ms/step; " +
                              $"training loss over the last {window} steps {Window(oursLosses)} nats)";
                if (useTorch)
                {
                    var eval = new FashionGlow(new ModelOptions { MaxBatch = EvalBatch, Seed = (ulong)seed });
                    map!.CopyFromTorch(eval.Parameters.Span);
                    double torchBpd = FlowMetrics.BitsPerDim(FlowMetrics.MeanNll(test, EvalBatch, eval.LogProb, transform, new Rng(4)), Dims);
                    twin[target].Add(torchBpd);
                    double torchOwn;
                    using (no_grad())
                    using (NewDisposeScope())
                        torchOwn = t!.Loss(tensor(yTest, [test.Rows, Dims])).item<float>();
                    double byOurs = MeanNegLogProb(eval.LogProb, yTest, test.Rows);
                    crossCheck.Add(ParameterMap.RelativeDifference(byOurs, torchOwn));
                    string drift = string.Join(", ", new[] { 1, 2, 10, 100, target }.Where(s => s <= target).Distinct()
                        .Select(s => string.Create(CultureInfo.InvariantCulture, $"{s}: {oursLosses[s - 1] - torchLosses[s - 1]:0.0E+0}")));
                    line += $", torch {torchBpd:F4} ({tw.Elapsed.TotalMilliseconds / target:F1} ms/step; {Window(torchLosses)} nats); torch's own test loss {torchOwn:F3} vs our evaluator {byOurs:F3} " +
                            $"nats (logit space); training loss GenDsl − torch at step {drift}";
                }
                Console.WriteLine(line);
            }
            oursMs.Add(ow.Elapsed.TotalMilliseconds / maxSteps);
            if (useTorch) torchMs.Add(tw.Elapsed.TotalMilliseconds / maxSteps);
            tAdam?.Dispose();
            t?.Dispose();
        }
        Console.WriteLine();
        if (useTorch)
            Console.WriteLine($"max relative |torch's own test loss − our evaluator's on the twin's parameters| = {crossCheck.Max():0.0E+0}");
        foreach (int s in steps)
        {
            Console.WriteLine($"{s} steps of {Batch}, held-out bits/dim over seeds {string.Join(',', seeds)}:");
            Console.WriteLine($"| model | {string.Join(" | ", seeds)} | mean ± s.d. |");
            Console.WriteLine($"|---|{string.Concat(seeds.Select(_ => "---:|"))}---:|");
            Console.WriteLine(Row("GenDsl FashionGlow", ours[s]));
            if (useTorch)
            {
                Console.WriteLine(Row("TorchSharp twin (TorchGlow)", twin[s]));
                var d = ours[s].Zip(twin[s], (a, b) => a - b).ToList();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"paired GenDsl − torch: {d.Average():F4} ± {Sd(d):F4}"));
            }
        }
        string torchPart = useTorch ? string.Create(CultureInfo.InvariantCulture, $", torch {torchMs.Average():F1} ms/step") : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"GenDsl {oursMs.Average():F1} ms/step{torchPart} (mean over seeds; training only)"));
        return 0;
    }

    private static string Row(string name, List<double> v) => string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {string.Join(" | ", v.Select(x => x.ToString("F4", CultureInfo.InvariantCulture)))} | {v.Average():F4} ± {Sd(v):F4} |");

    private static double MeanNegLogProb(LogProbFunction logProb, float[] y, int n)
    {
        var lp = new float[EvalBatch];
        double sum = 0;
        for (int start = 0; start < n; start += EvalBatch)
        {
            int m = Math.Min(EvalBatch, n - start);
            logProb(new ReadOnlySpan2D<float>(y, start * Dims, m, Dims, 0), lp.AsSpan(0, m));
            for (int i = 0; i < m; i++) sum -= lp[i];
        }
        return sum / n;
    }

    private static int Bad(string option)
    {
        Console.Error.WriteLine($"quality fashion-glow: bad option or value '{option}'.");
        Console.Error.WriteLine(Usage);
        return 2;
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
