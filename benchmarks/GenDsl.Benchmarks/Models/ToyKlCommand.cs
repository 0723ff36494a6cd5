using System.Diagnostics;
using System.Globalization;
using CommunityToolkit.HighPerformance;
using GenDsl.Data;
using GenDsl.Metrics;
using GenDsl.Models;

namespace GenDsl.Benchmarks.Models;

/// <summary>
/// <c>reference toy-kl</c>: the distance of affine and spline flows to the true density of the toy targets, KL(p‖q) =
/// E_p[ln p − ln q] on 20,000 fresh samples (Toy2D.LogDensity, exact), at equal parameter counts and equal steps
/// (issue #14). Each flow trains on fresh batches of 512 (Toy2D.Create(target, steps·512, seed 1)), Adam 1e-3
/// (optionally with a cosine decay to 0), model seed = the run's seed; KL on Toy2D.Create(target, 20000, seed 2).
/// </summary>
public static class ToyKlCommand
{
    /// <summary>Usage lines for the help text.</summary>
    public const string Usage = """
          reference toy-kl [--steps N] [--seeds a,b,…] [--targets t,u,…] [--models m,n,…] [--cosine]
                          KL(p‖q) in nats to the exact density of the toy targets (issue #14): affine
                          RealNVP (8 couplings, hidden 74: 46,792 parameters) against spline flows
                          (8 couplings, hidden 64, 8 bins, tail bound 3 or 5: 46,264); N steps of batch
                          512 (default 5000), seeds default 3,4,5; targets default moons, 8gaussians,
                          checkerboard; models: affine74, spline-b3, spline-b5 (default all three).
        """;

    private const int Batch = 512;

    /// <summary>Runs after "reference toy-kl"; returns the exit code.</summary>
    public static int Run(ReadOnlySpan<string> args)
    {
        int steps = 5000;
        string[] seeds = ["3", "4", "5"];
        string[] targets = ["moons", "8gaussians", "checkerboard"];
        string[] models = ["affine74", "spline-b3", "spline-b5"];
        bool cosine = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--steps" && i + 1 < args.Length && int.TryParse(args[i + 1], out steps) && steps > 0) i++;
            else if (args[i] == "--seeds" && i + 1 < args.Length) seeds = args[++i].Split(',');
            else if (args[i] == "--targets" && i + 1 < args.Length) targets = args[++i].Split(',');
            else if (args[i] == "--models" && i + 1 < args.Length) models = args[++i].Split(',');
            else if (args[i] == "--cosine") cosine = true;
            else
            {
                Console.Error.WriteLine($"reference toy-kl: bad option '{args[i]}'.");
                Console.Error.WriteLine(Usage);
                return 2;
            }
        }
        if (seeds.Any(s => !ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            || targets.Any(t => !Toy2D.NamesWithDensity.Contains(t))
            || models.Any(m => m is not ("affine74" or "spline-b3" or "spline-b5")))
        {
            Console.Error.WriteLine($"reference toy-kl: seeds are integers, targets among {string.Join(", ", Toy2D.NamesWithDensity)}, models among affine74, spline-b3, spline-b5.");
            return 2;
        }

        Console.WriteLine($"KL(p‖q) in nats on 20,000 fresh samples; {steps} steps of {Batch}; Adam 1e-3{(cosine ? " with cosine decay to 0" : "")}; " +
                          $"{Environment.ProcessorCount} threads, float32. Parameters: affine74 {ToyAffineFlow74.TotalParameters}, " +
                          $"spline-b3 {MoonsSplineFlow.TotalParameters}, spline-b5 {ToySplineFlowB5.TotalParameters}.");
        foreach (string target in targets)
        {
            var train = Toy2D.Create(target, steps * Batch, 1);
            var test = Toy2D.Create(target, 20_000, 2);
            var logP = new double[test.Rows];
            for (int r = 0; r < test.Rows; r++)
                logP[r] = Toy2D.LogDensity(target, test.Row(r)[0], test.Row(r)[1]);
            Console.WriteLine($"\n{target}: E_p[−ln p] (the entropy, the floor of the NLL) = {-logP.Average():F4} nats");
            foreach (string model in models)
            {
                var kls = new List<double>();
                var line = $"  {model,-10}";
                foreach (string seedText in seeds)
                {
                    ulong seed = ulong.Parse(seedText, CultureInfo.InvariantCulture);
                    var options = new ModelOptions { MaxBatch = Batch, Seed = seed };
                    var clock = Stopwatch.StartNew();
                    double kl, se;
                    if (model == "affine74")
                    {
                        var flow = new ToyAffineFlow74(options);
                        kl = Kl(flow, flow.TrainStep, flow.LogProb, train, test, logP, steps, cosine, out se);
                    }
                    else if (model == "spline-b3")
                    {
                        var flow = new MoonsSplineFlow(options);
                        kl = Kl(flow, flow.TrainStep, flow.LogProb, train, test, logP, steps, cosine, out se);
                    }
                    else
                    {
                        var flow = new ToySplineFlowB5(options);
                        kl = Kl(flow, flow.TrainStep, flow.LogProb, train, test, logP, steps, cosine, out se);
                    }
                    kls.Add(kl);
                    line += $"  {kl,8:F4} ± {se:F4} ({clock.Elapsed.TotalSeconds:F0} s)";
                }
                double mean = kls.Average(), sd = kls.Count < 2 ? 0 : Math.Sqrt(kls.Sum(k => (k - mean) * (k - mean)) / (kls.Count - 1));
                Console.WriteLine($"{line}   mean {mean:F4} ± {sd:F4} (s.d. over {kls.Count} seeds)");
            }
        }
        return 0;
    }

    private delegate float TrainStepFunction(ReadOnlySpan2D<float> x, Optimizer optimizer);

    private static double Kl(IFlowModel flow, TrainStepFunction trainStep, LogProbFunction logProb, Dataset train, Dataset test,
        double[] logP, int steps, bool cosine, out double standardError)
    {
        var adam = new Adam(flow, 1e-3f);
        for (int s = 0; s < steps; s++)
        {
            if (cosine)
                adam.LearningRate = (float)(1e-3 * 0.5 * (1 + Math.Cos(Math.PI * s / steps)));
            trainStep(train.GetRows(s * Batch, Batch), adam);
        }
        var logQ = new float[test.Rows];
        for (int start = 0; start < test.Rows; start += Batch)
        {
            int n = Math.Min(Batch, test.Rows - start);
            logProb(test.GetRows(start, n), logQ.AsSpan(start, n));
        }
        return FlowMetrics.KlDivergence(logP, logQ, out standardError);
    }
}

/// <summary>MoonsFlow's 8 affine couplings with hidden width 74 instead of 64: 46,792 parameters, 1.1 % more than MoonsSplineFlow's 46,264.</summary>
[Flow(Features = 2)]
public sealed partial class ToyAffineFlow74
{
    [AffineCoupling(Mask.Alternating, Hidden = 74, HiddenLayers = 2)] public partial Coupling C1 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 74, HiddenLayers = 2)] public partial Coupling C2 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 74, HiddenLayers = 2)] public partial Coupling C3 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 74, HiddenLayers = 2)] public partial Coupling C4 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 74, HiddenLayers = 2)] public partial Coupling C5 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 74, HiddenLayers = 2)] public partial Coupling C6 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 74, HiddenLayers = 2)] public partial Coupling C7 { get; }
    [AffineCoupling(Mask.Alternating, Hidden = 74, HiddenLayers = 2)] public partial Coupling C8 { get; }
}

/// <summary>MoonsSplineFlow with TailBound 5, so the spline covers the checkerboard's [−4, 4]² (46,264 parameters, the same count).</summary>
[Flow(Features = 2)]
public sealed partial class ToySplineFlowB5
{
    [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 5, Hidden = 64, HiddenLayers = 2)] public partial Coupling C1 { get; }
    [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 5, Hidden = 64, HiddenLayers = 2)] public partial Coupling C2 { get; }
    [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 5, Hidden = 64, HiddenLayers = 2)] public partial Coupling C3 { get; }
    [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 5, Hidden = 64, HiddenLayers = 2)] public partial Coupling C4 { get; }
    [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 5, Hidden = 64, HiddenLayers = 2)] public partial Coupling C5 { get; }
    [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 5, Hidden = 64, HiddenLayers = 2)] public partial Coupling C6 { get; }
    [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 5, Hidden = 64, HiddenLayers = 2)] public partial Coupling C7 { get; }
    [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 5, Hidden = 64, HiddenLayers = 2)] public partial Coupling C8 { get; }
}
