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
        "train-flow2d", "train-flow784", "train-vae", "train-gan",
        "sample-flow2d-b1", "sample-vae-b1", "sample-flow2d-b4096",
    ];

    /// <summary>Builds the workload <paramref name="name"/> (data, both models, both optimizers).</summary>
    public static IComparison Create(string name, WorkerPool pool) => name switch
    {
        "train-flow2d" => new FlowTrainComparison(name, FlowSpec.Moons, BatchCycle.Moons(8, 512, seed: 1), pool),
        "train-flow784" => new FlowTrainComparison(name, FlowSpec.Mnist784, BatchCycle.MnistLogits(4, 256, seed: 1), pool),
        "train-vae" => new VaeTrainComparison(BatchCycle.MnistPixels(8, 128, seed: 1), pool),
        "train-gan" => new GanTrainComparison(BatchCycle.MnistSigned(8, 64, seed: 1), pool),
        "sample-flow2d-b1" => new FlowSampleComparison(name, FlowSpec.Moons, 1, pool),
        "sample-vae-b1" => new VaeSampleComparison(name, 1, pool),
        "sample-flow2d-b4096" => new FlowSampleComparison(name, FlowSpec.Moons, 4096, pool),
        _ => throw new ArgumentException($"Unknown model workload '{name}': use one of {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <summary>
    /// The suite for <see cref="CompareCommand"/>: one factory per workload; when the last has run,
    /// prints what each verification compared and found.
    /// </summary>
    public static IEnumerable<Func<IComparison>> Cases(CompareOptions options, WorkerPool pool)
    {
        _ = options; // the same workloads in quick mode (the runner takes fewer samples)
        var made = new List<IComparison>();
        foreach (string name in Names)
        {
            yield return () =>
            {
                var c = Create(name, pool);
                made.Add(c);
                return c;
            };
        }
        Console.WriteLine();
        Console.WriteLine("Model verification (same parameters and inputs on both sides; 'check' = the largest relative difference):");
        foreach (var c in made)
            if (c is IVerificationReport r)
                Console.WriteLine($"  {c.Name,-22} {r.VerificationDetail}");
    }
}
