using CommunityToolkit.HighPerformance;
using GenDsl.Data;
using GenDsl.Threading;

namespace GenDsl.Models.Tests.Flows;

/// <summary>
/// The ready-made autoregressive spline flow (<see cref="MoonsSplineMaf"/>): it learns two moons better than the affine
/// MAF at the same budget, inverts, keeps its masks, allocates nothing per step and is deterministic across threads.
/// </summary>
public class MoonsSplineMafTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Batch = 512;
    private const int Steps = 1000;

    /// <summary>Trains once as MoonsMafTests trains the affine MAF: 1000 steps of batch 512, Adam 1e-3, fresh batches.</summary>
    private static readonly Lazy<(MoonsSplineMaf Flow, double HeldOutNll)> Trained = new(() =>
    {
        var train = Toy2D.TwoMoons(Steps * Batch, seed: 1, noise: 0.05);
        var test = Toy2D.TwoMoons(5_000, seed: 2, noise: 0.05);
        var flow = new MoonsSplineMaf(new ModelOptions { MaxBatch = Batch, Seed = 3 });
        var adam = new Adam(flow, learningRate: 1e-3f);
        for (int step = 0; step < Steps; step++)
            flow.TrainStep(train.GetRows(step * Batch, Batch), adam);
        var logp = new float[test.Rows];
        flow.LogProb(test.GetRows(0, Batch), logp.AsSpan(0, Batch)); // warm the reused path, then the whole set in chunks
        double sum = 0;
        for (int start = 0; start < test.Rows; start += Batch)
        {
            int n = Math.Min(Batch, test.Rows - start);
            flow.LogProb(test.GetRows(start, n), logp.AsSpan(start, n));
        }
        foreach (var l in logp) sum -= l;
        return (flow, sum / test.Rows);
    });

    [Fact]
    public void LearnsTwoMoonsBelowTheAffineMaf()
    {
        var (_, nll) = Trained.Value;
        output.WriteLine($"MoonsSplineMaf, {Steps} steps of {Batch}, Adam 1e-3: held-out NLL {nll:F4} nats");
        // MoonsMaf (affine MADE layers, 6 of them, Linear init) reaches 0.3400 at the same budget and seeds (MoonsMafTests)
        // Measured 0.3061 nats (seed 3, 2026-12-04, Identity init; 0.3359 under the Linear default); MoonsSplineFlow
        // (spline couplings) reaches 0.3105 at the same budget
        Assert.True(nll <= 0.34, $"held-out NLL {nll:F4} nats > 0.34");
    }

    [Fact]
    public void RoundTripAndSamplesAfterTraining()
    {
        var (flow, _) = Trained.Value;
        var data = Toy2D.TwoMoons(Batch, seed: 8, noise: 0.05);
        var z = new float[Batch * 2];
        var back = new float[Batch * 2];
        flow.ToLatent(data.AsSpan2D(), new Span2D<float>(z, Batch, 2), new float[Batch]);
        flow.FromLatent(new ReadOnlySpan2D<float>(z, Batch, 2), new Span2D<float>(back, Batch, 2));
        double max = back.Select((b, i) => (double)Math.Abs(b - data.Data[i])).Max();
        output.WriteLine($"max |f(h(x)) − x| = {max:g3}");
        Assert.True(max < 1e-4, $"max |f(h(x)) − x| = {max}");
        var x = new float[Batch * 2];
        flow.Sample(new Span2D<float>(x, Batch, 2), new Rng(5));
        Assert.All(x, v => Assert.True(float.IsFinite(v)));
        // the spline MAF's masks survived training: θ_0 (outputs 0 … 22) reads no feature, θ_1 reads x_0 only
        foreach (var layer in new[] { flow.M1, flow.M2, flow.M3, flow.M4 })
        {
            Assert.Equal(AutoregressiveTransform.Spline, layer.Transform);
            for (int l = 0; l < layer.NetLayers; l++)
            {
                var mask = layer.Mask(l);
                var weight = layer.Weight(l);
                for (int o = 0; o < weight.Height; o++)
                    for (int i = 0; i < weight.Width; i++)
                        if (mask[o, i] == 0f) Assert.Equal(0f, weight[o, i]);
            }
            var first = layer.Weight(0);
            for (int j = 0; j < first.Height; j++) Assert.Equal(0f, first[j, 1]); // no hidden unit reads the last feature
        }
    }

    [Fact]
    public void StepsAllocateNothingAndThreadsAgreeBitForBit()
    {
        float[] Train(int threads, bool measure)
        {
            using var pool = new WorkerPool(threads);
            var flow = new MoonsSplineMaf(new ModelOptions { MaxBatch = 256, Seed = 11, Pool = pool });
            var adam = new Adam(flow, 1e-3f);
            var sampler = new BatchSampler(Toy2D.TwoMoons(2048, seed: 12), 256, seed: 13);
            var samples = new float[256 * 2];
            var rng = new Rng(4);
            for (int i = 0; i < 10; i++) flow.TrainStep(sampler.Next(), adam);
            var afterTen = flow.Parameters.ToArray();
            if (measure)
            {
                flow.Sample(new Span2D<float>(samples, 256, 2), rng);
                var batch = sampler.Next();
                long before = GC.GetAllocatedBytesForCurrentThread();
                flow.TrainStep(batch, adam);
                flow.Sample(new Span2D<float>(samples, 256, 2), rng);
                Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            }
            return afterTen;
        }
        var one = Train(1, measure: true);
        var two = Train(2, measure: false);
        for (int i = 0; i < one.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(one[i]) == BitConverter.SingleToInt32Bits(two[i]), $"parameter {i}: {one[i]} vs {two[i]}");
    }
}
