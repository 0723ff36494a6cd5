using CommunityToolkit.HighPerformance;
using GenDsl.Threading;

namespace GenDsl.Models.Tests.Flows;

/// <summary>Image flows ([Flow(Channels, Height, Width)]): no allocation after warm-up, 1 and 2 threads bit-identical.</summary>
public class ImageFlowTests
{
    private const int Batch = 48;

    private static float[] Images(int rows, int features, ulong seed)
    {
        var x = new float[rows * features];
        new Rng(seed, 1).FillNormal(x, 0.2f, 1f);
        return x;
    }

    [Fact]
    public void TrainStepLogProbAndSampleAllocateNothingAfterTheFirstCall()
    {
        const int d = ImageGlowStepFlow.FeatureCount;
        var flow = new ImageGlowStepFlow(new ModelOptions { MaxBatch = Batch, Seed = 1 });
        var adam = new Adam(flow, 1e-3f);
        var batch = new ReadOnlySpan2D<float>(Images(Batch, d, 5), Batch, d);
        var logp = new float[Batch];
        var samples = new float[Batch * d];
        var rng = new Rng(3);
        for (int i = 0; i < 3; i++)
        {
            flow.TrainStep(batch, adam);
            flow.LogProb(batch, logp);
            flow.Sample(new Span2D<float>(samples, Batch, d), rng);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        flow.TrainStep(batch, adam);
        long afterTrain = GC.GetAllocatedBytesForCurrentThread();
        flow.LogProb(batch, logp);
        long afterLogProb = GC.GetAllocatedBytesForCurrentThread();
        flow.Sample(new Span2D<float>(samples, Batch, d), rng);
        long afterSample = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, afterTrain - before);
        Assert.Equal(0, afterLogProb - afterTrain);
        Assert.Equal(0, afterSample - afterLogProb);
        Assert.All(logp, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void OneAndTwoThreadsGiveBitIdenticalParametersAfterTenSteps()
    {
        const int d = ImageGlowStepFlow.FeatureCount;
        float[] Train(int threads)
        {
            using var pool = new WorkerPool(threads);
            var flow = new ImageGlowStepFlow(new ModelOptions { MaxBatch = 256, Seed = 11, Pool = pool });
            var adam = new Adam(flow, 1e-3f);
            for (int i = 0; i < 10; i++)
                flow.TrainStep(new ReadOnlySpan2D<float>(Images(256, d, 20 + (ulong)i), 256, d), adam);
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
