using CommunityToolkit.HighPerformance;
using GenDsl.Data;
using GenDsl.Threading;

namespace GenDsl.Models.Tests.Flows;

/// <summary>The ready-made 2-D RealNVP: it learns two moons, its density is normalised, it allocates nothing, it is deterministic.</summary>
public class MoonsFlowTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Batch = 512;

    /// <summary>Trains once (shared by the tests that need a trained model): 2000 steps of batch 512, Adam 1e-3.</summary>
    private static readonly Lazy<(MoonsFlow Flow, double HeldOutNll)> Trained = new(() =>
    {
        // A fresh batch from the generator at every step (as the usual normflows/PyTorch moons example does).
        var train = Toy2D.TwoMoons(2000 * Batch, seed: 1, noise: 0.05);
        var test = Toy2D.TwoMoons(5_000, seed: 2, noise: 0.05);
        var flow = new MoonsFlow(new ModelOptions { MaxBatch = Batch, Seed = 3 });
        var adam = new Adam(flow, learningRate: 1e-3f);
        for (int step = 0; step < 2000; step++)
            flow.TrainStep(train.GetRows(step * Batch, Batch), adam);
        return (flow, MeanNll(flow, test));
    });

    private static double MeanNll(MoonsFlow flow, Dataset data)
    {
        var logp = new float[Batch];
        double sum = 0;
        for (int start = 0; start < data.Rows; start += Batch)
        {
            int n = Math.Min(Batch, data.Rows - start);
            flow.LogProb(data.GetRows(start, n), logp.AsSpan(0, n));
            for (int i = 0; i < n; i++) sum -= logp[i];
        }
        return sum / data.Rows;
    }

    [Fact]
    public void LearnsTwoMoonsToHeldOutNllBelowThreshold()
    {
        var (_, nll) = Trained.Value;
        output.WriteLine($"MoonsFlow, 2000 steps of 512, Adam 1e-3: held-out NLL {nll:F4} nats");
        // Issue #3: ≤ 0.36 nats on held-out data after 2000 steps (TorchSharp, same architecture and budget: 0.32).
        // Measured 0.3189 (seed of Trained, 2026-12-04, the Linear default; with FlowInitialization.Identity about 0.35).
        Assert.True(nll <= 0.36, $"held-out NLL {nll:F4} nats > 0.36");
    }

    [Fact]
    public void LearnedDensityIntegratesToOne()
    {
        var (flow, _) = Trained.Value;
        // Riemann sum of p over a box holding the moons (x ∈ [−2, 3], y ∈ [−1.5, 2]); the mass outside is negligible.
        const int nx = 500, ny = 350;
        double x0 = -2, x1 = 3, y0 = -1.5, y1 = 2;
        double hx = (x1 - x0) / nx, hy = (y1 - y0) / ny;
        var points = new float[Batch * 2];
        var logp = new float[Batch];
        double mass = 0;
        int filled = 0;
        void Flush()
        {
            flow.LogProb(new ReadOnlySpan2D<float>(points, filled, 2), logp.AsSpan(0, filled));
            for (int i = 0; i < filled; i++) mass += Math.Exp(logp[i]) * hx * hy;
            filled = 0;
        }
        for (int i = 0; i < nx; i++)
            for (int j = 0; j < ny; j++)
            {
                points[2 * filled] = (float)(x0 + (i + 0.5) * hx);
                points[2 * filled + 1] = (float)(y0 + (j + 0.5) * hy);
                if (++filled == Batch) Flush();
            }
        if (filled > 0) Flush();
        output.WriteLine($"∫ p over the box = {mass:F4}");
        Assert.InRange(mass, 0.97, 1.03);
    }

    [Fact]
    public void SamplesLieOnTheMoons()
    {
        var (flow, _) = Trained.Value;
        var x = new float[Batch * 2];
        flow.Sample(new Span2D<float>(x, Batch, 2), new Rng(5));
        var test = Toy2D.TwoMoons(2_000, seed: 6, noise: 0.05);
        // Most samples should be within 0.25 of some data point (the moons are 0.05 thick).
        int near = 0;
        for (int i = 0; i < Batch; i++)
        {
            double best = double.MaxValue;
            for (int r = 0; r < test.Rows; r++)
            {
                var row = test.Row(r);
                double dx = x[2 * i] - row[0], dy = x[2 * i + 1] - row[1];
                best = Math.Min(best, dx * dx + dy * dy);
            }
            if (best < 0.25 * 0.25) near++;
        }
        Assert.True(near >= 0.9 * Batch, $"only {near}/{Batch} samples lie within 0.25 of the data");
    }

    [Fact]
    public void InverseOfForwardIsIdentity()
    {
        var (flow, _) = Trained.Value;
        var data = Toy2D.TwoMoons(Batch, seed: 8);
        var z = new float[Batch * 2];
        var back = new float[Batch * 2];
        flow.ToLatent(data.AsSpan2D(), new Span2D<float>(z, Batch, 2), new float[Batch]);
        flow.FromLatent(new ReadOnlySpan2D<float>(z, Batch, 2), new Span2D<float>(back, Batch, 2));
        double max = 0;
        for (int i = 0; i < back.Length; i++) max = Math.Max(max, Math.Abs(back[i] - data.Data[i]));
        Assert.True(max < 1e-4, $"max |f(h(x)) − x| = {max}");
    }

    [Fact]
    public void TrainStepLogProbAndSampleAllocateNothingAfterTheFirstCall()
    {
        var data = Toy2D.TwoMoons(Batch, seed: 9);
        var flow = new MoonsFlow(new ModelOptions { MaxBatch = Batch, Seed = 1 });
        var adam = new Adam(flow, 1e-3f);
        var logp = new float[Batch];
        var samples = new float[Batch * 2];
        var rng = new Rng(3);
        var batch = data.AsSpan2D();
        for (int i = 0; i < 3; i++) // warm up: JIT tiers, pool threads
        {
            flow.TrainStep(batch, adam);
            flow.LogProb(batch, logp);
            flow.Sample(new Span2D<float>(samples, Batch, 2), rng);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        flow.TrainStep(batch, adam);
        long afterTrain = GC.GetAllocatedBytesForCurrentThread();
        flow.LogProb(batch, logp);
        long afterLogProb = GC.GetAllocatedBytesForCurrentThread();
        flow.Sample(new Span2D<float>(samples, Batch, 2), rng);
        long afterSample = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, afterTrain - before);
        Assert.Equal(0, afterLogProb - afterTrain);
        Assert.Equal(0, afterSample - afterLogProb);
    }

    [Fact]
    public void OneAndTwoThreadsGiveBitIdenticalParametersAfterTenSteps()
    {
        float[] Train(int threads)
        {
            using var pool = new WorkerPool(threads);
            var flow = new MoonsFlow(new ModelOptions { MaxBatch = 256, Seed = 11, Pool = pool });
            var adam = new Adam(flow, 1e-3f);
            var sampler = new BatchSampler(Toy2D.TwoMoons(2048, seed: 12), 256, seed: 13);
            for (int i = 0; i < 10; i++) flow.TrainStep(sampler.Next(), adam);
            return flow.Parameters.ToArray();
        }
        var one = Train(1);
        var two = Train(2);
        Assert.Equal(one.Length, two.Length);
        for (int i = 0; i < one.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(one[i]) == BitConverter.SingleToInt32Bits(two[i]), $"parameter {i}: {one[i]} vs {two[i]}");
    }

    [Fact]
    public void WrongShapesAreRejectedWithBothNumbers()
    {
        var flow = new MoonsFlow(new ModelOptions { MaxBatch = 8 });
        var tooMany = new float[9 * 2];
        var ex = Assert.Throws<ArgumentException>(() => flow.LogProb(new ReadOnlySpan2D<float>(tooMany, 9, 2), new float[9]));
        Assert.Contains("9 rows", ex.Message);
        Assert.Contains("MaxBatch = 8", ex.Message);
        var wrongCols = new float[4 * 3];
        ex = Assert.Throws<ArgumentException>(() => flow.LogProb(new ReadOnlySpan2D<float>(wrongCols, 4, 3), new float[4]));
        Assert.Contains("3 columns", ex.Message);
        Assert.Contains("expects 2", ex.Message);
    }

    [Fact]
    public void SaveThenLoadRestoresSamplesExactly()
    {
        var dir = Directory.CreateTempSubdirectory("gendsl-flow-");
        try
        {
            var path = Path.Combine(dir.FullName, "moons.safetensors");
            var flow = new MoonsFlow(new ModelOptions { MaxBatch = 64, Seed = 21 });
            var adam = new Adam(flow, 1e-3f);
            var data = Toy2D.TwoMoons(64, seed: 22);
            for (int i = 0; i < 5; i++) flow.TrainStep(data.AsSpan2D(), adam);
            flow.Save(path, step: 5);

            var before = new float[64 * 2];
            flow.Sample(new Span2D<float>(before, 64, 2), new Rng(7));

            var loaded = new MoonsFlow(new ModelOptions { MaxBatch = 64, Seed = 99 });
            Assert.Equal(5, loaded.Load(path));
            var after = new float[64 * 2];
            loaded.Sample(new Span2D<float>(after, 64, 2), new Rng(7));
            Assert.Equal(before, after);

            // A checkpoint of another declaration is refused, naming the first mismatch.
            var other = new ConditionalMoonsFlow(new ModelOptions { MaxBatch = 64 });
            var ex = Assert.ThrowsAny<Exception>(() => other.Load(path));
            Assert.Contains("C1.net.0.weight", ex.Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
