using System.Diagnostics;
using GenDsl.Benchmarks.Compare;
using GenDsl.Threading;

namespace GenDsl.Benchmarks.Models;

/// <summary>
/// The reference workloads of the <c>compare models</c> suite (GenDsl issue #6): whole training steps
/// and sampling calls of the four reference models, ours against an idiomatic TorchSharp twin with the
/// same architecture, parameters, batches and optimizer.
/// </summary>
public static class ModelSuite
{
    /// <summary>Every workload name, in the order the suite runs them.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "train-flow2d", "train-nsf2d", "train-maf64", "train-flow784", "train-vae", "train-gan", "train-dcgan", "train-convvae", "train-glow",
        "sample-flow2d-b1", "sample-vae-b1", "sample-flow2d-b4096", "sample-nsf2d-b4096", "sample-maf64-b256",
    ];

    /// <summary>Builds the workload <paramref name="name"/> (data, both models, both optimizers).</summary>
    public static IComparison Create(string name, WorkerPool pool) => name switch
    {
        "train-flow2d" => new FlowTrainComparison(name, FlowSpec.Moons, BatchCycle.Moons(8, 512, seed: 1), pool),
        "train-nsf2d" => new FlowTrainComparison(name, FlowSpec.MoonsSpline, BatchCycle.Moons(8, 512, seed: 1), pool),
        "train-maf64" => new FlowTrainComparison(name, FlowSpec.Maf64, BatchCycle.DigitsLogits(4, 256, seed: 1), pool),
        "train-flow784" => new FlowTrainComparison(name, FlowSpec.Mnist784, BatchCycle.MnistLogits(4, 256, seed: 1), pool),
        "train-vae" => new VaeTrainComparison(BatchCycle.MnistPixels(8, 128, seed: 1), pool),
        "train-gan" => new GanTrainComparison(BatchCycle.MnistSigned(8, 64, seed: 1), pool),
        "train-dcgan" => new DcganTrainComparison(BatchCycle.FashionPixels(4, 64, seed: 1), pool),
        "train-convvae" => new ConvVaeTrainComparison(BatchCycle.FashionPixels(4, 128, seed: 1), pool),
        "train-glow" => new GlowTrainComparison(BatchCycle.FashionLogits(4, 64, seed: 1), pool),
        "sample-flow2d-b1" => new FlowSampleComparison(name, FlowSpec.Moons, 1, pool),
        "sample-vae-b1" => new VaeSampleComparison(name, 1, pool),
        "sample-flow2d-b4096" => new FlowSampleComparison(name, FlowSpec.Moons, 4096, pool),
        "sample-nsf2d-b4096" => new FlowSampleComparison(name, FlowSpec.MoonsSpline, 4096, pool),
        "sample-maf64-b256" => new FlowSampleComparison(name, FlowSpec.Maf64, 256, pool),
        _ => throw new ArgumentException($"Unknown model workload '{name}': use one of {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <summary>
    /// The suite for <see cref="CompareCommand"/>: one factory per workload (the same workloads in quick
    /// mode; the runner takes fewer samples). Each factory also warms both sides up until their speed
    /// is stable (see <see cref="WarmUp"/>). When the last has run, prints what each verification compared and found.
    /// </summary>
    public static IEnumerable<Func<IComparison>> Cases(CompareOptions options, WorkerPool pool)
    {
        var made = new List<IComparison>();
        foreach (string name in Names)
        {
            if (!options.Selects(name))
                continue;
            yield return () =>
            {
                var c = Create(name, pool);
                made.Add(c);
                WarmUp(c, options.Quick);
                return c;
            };
        }
        Console.WriteLine();
        Console.WriteLine("Model verification (same parameters and inputs on both sides; 'check' = the largest relative difference):");
        foreach (var c in made)
            if (c is IVerificationReport r)
                Console.WriteLine($"  {c.Name,-22} {r.VerificationDetail}");
    }

    /// <summary>
    /// Runs each side in blocks of at least 50 ms until a block is no faster than the best so far
    /// (within 2 %) twice in a row — at least <c>min</c>, at most <c>max</c> per side — then pauses
    /// briefly. Why: the generated model code goes through .NET's tiers (tier 0, instrumented tier 0
    /// with TieredPGO, then tier 1, compiled in the background after a delay that restarts whenever
    /// new code is jitted); measured on this 2-core machine, a MoonsFlow step still took twice its
    /// steady time after the runner's 400 ms warm-up, and tier 1 was reached only after 1–2 s.
    /// libtorch's kernels are native, but TorchSharp's managed wrappers tier too.
    /// </summary>
    public static void WarmUp(IComparison c, bool quick)
    {
        var min = TimeSpan.FromMilliseconds(quick ? 1500 : 3000);
        var max = TimeSpan.FromMilliseconds(quick ? 4000 : 10000);
        Stabilize(c.RunOurs, min, max);
        Stabilize(c.RunTorch, min, max);
        Thread.Sleep(100); // let pending background compilations finish
    }

    private static void Stabilize(Action run, TimeSpan min, TimeSpan max)
    {
        long start = Stopwatch.GetTimestamp();
        double best = double.MaxValue;
        int noGain = 0;
        while (Stopwatch.GetElapsedTime(start) < max)
        {
            long t0 = Stopwatch.GetTimestamp();
            int calls = 0;
            do { run(); calls++; } while (calls < 3 || Stopwatch.GetElapsedTime(t0).TotalMilliseconds < 50);
            double perCall = Stopwatch.GetElapsedTime(t0).TotalSeconds / calls;
            noGain = perCall < best * 0.98 ? 0 : noGain + 1;
            best = Math.Min(best, perCall);
            if (noGain >= 2 && Stopwatch.GetElapsedTime(start) >= min)
                return;
        }
    }
}
