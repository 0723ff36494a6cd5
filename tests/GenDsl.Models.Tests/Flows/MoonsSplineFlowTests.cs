using CommunityToolkit.HighPerformance;
using GenDsl.Data;
using GenDsl.Threading;

namespace GenDsl.Models.Tests.Flows;

/// <summary>The ready-made 2-D neural spline flow: it learns two moons, inverts, allocates nothing, is deterministic.</summary>
public class MoonsSplineFlowTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Batch = 512;
    private const int Steps = 1000;

    /// <summary>Trains once: 1000 steps of batch 512, Adam 1e-3, a fresh batch per step (as MoonsFlowTests).</summary>
    private static readonly Lazy<(MoonsSplineFlow Flow, double HeldOutNll)> Trained = new(() =>
    {
        var train = Toy2D.TwoMoons(Steps * Batch, seed: 1, noise: 0.05);
        var test = Toy2D.TwoMoons(5_000, seed: 2, noise: 0.05);
        var flow = new MoonsSplineFlow(new ModelOptions { MaxBatch = Batch, Seed = 3 });
        var adam = new Adam(flow, learningRate: 1e-3f);
        for (int step = 0; step < Steps; step++)
            flow.TrainStep(train.GetRows(step * Batch, Batch), adam);
        var logp = new float[Batch];
        double sum = 0;
        for (int start = 0; start < test.Rows; start += Batch)
        {
            int n = Math.Min(Batch, test.Rows - start);
            flow.LogProb(test.GetRows(start, n), logp.AsSpan(0, n));
            for (int i = 0; i < n; i++) sum -= logp[i];
        }
        return (flow, sum / test.Rows);
    });

    [Fact]
    public void LearnsTwoMoons()
    {
        var (_, nll) = Trained.Value;
        output.WriteLine($"MoonsSplineFlow, {Steps} steps of {Batch}, Adam 1e-3: held-out NLL {nll:F4} nats");
        // Measured 0.3105 nats (seed 3, 2026-12-04, the Linear default; 0.3166 with FlowInitialization.Identity), 5 s on
        // 2 cores; MoonsFlow (affine) needs 2000 steps for ≤ 0.36
        Assert.True(nll <= 0.34, $"held-out NLL {nll:F4} nats > 0.34");
    }

    [Fact]
    public void InverseOfForwardIsWithin1e4AfterTraining()
    {
        var (flow, _) = Trained.Value;
        var data = Toy2D.TwoMoons(Batch, seed: 8, noise: 0.05);
        var z = new float[Batch * 2];
        var back = new float[Batch * 2];
        flow.ToLatent(data.AsSpan2D(), new Span2D<float>(z, Batch, 2), new float[Batch]);
        flow.FromLatent(new ReadOnlySpan2D<float>(z, Batch, 2), new Span2D<float>(back, Batch, 2));
        double max = 0;
        for (int i = 0; i < back.Length; i++) max = Math.Max(max, Math.Abs(back[i] - data.Data[i]));
        output.WriteLine($"max |f(h(x)) − x| = {max:g3}");
        Assert.True(max < 1e-4, $"max |f(h(x)) − x| = {max}");
        // samples are finite (the inverse of every latent, tails included)
        var x = new float[Batch * 2];
        flow.Sample(new Span2D<float>(x, Batch, 2), new Rng(5));
        Assert.All(x, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void TrainStepLogProbAndSampleAllocateNothingAfterTheFirstCall()
    {
        var data = Toy2D.TwoMoons(Batch, seed: 9);
        var flow = new MoonsSplineFlow(new ModelOptions { MaxBatch = Batch, Seed = 1 });
        var adam = new Adam(flow, 1e-3f);
        var logp = new float[Batch];
        var samples = new float[Batch * 2];
        var rng = new Rng(3);
        var batch = data.AsSpan2D();
        for (int i = 0; i < 3; i++)
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
            var flow = new MoonsSplineFlow(new ModelOptions { MaxBatch = 256, Seed = 11, Pool = pool });
            var adam = new Adam(flow, 1e-3f);
            var sampler = new BatchSampler(Toy2D.TwoMoons(2048, seed: 12), 256, seed: 13);
            for (int i = 0; i < 10; i++) flow.TrainStep(sampler.Next(), adam);
            return flow.Parameters.ToArray();
        }
        var one = Train(1);
        var two = Train(2);
        var again = Train(1);
        for (int i = 0; i < one.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(one[i]) == BitConverter.SingleToInt32Bits(two[i]), $"parameter {i}: {one[i]} vs {two[i]}");
            Assert.True(BitConverter.SingleToInt32Bits(one[i]) == BitConverter.SingleToInt32Bits(again[i]), $"parameter {i}: same seed, {one[i]} vs {again[i]}");
        }
    }
}
