using CommunityToolkit.HighPerformance;
using GenDsl.Threading;

namespace GenDsl.Models.Tests.Flows;

/// <summary>
/// Image flows ([Flow(Channels, Height, Width)]): no allocation after warm-up, 1 and 2 threads bit-identical. Cases: the
/// Glow steps (squeeze, ActNorm, 1×1 convolution, channel and checkerboard convolutional couplings) and the multi-scale
/// flow with two splits.
/// </summary>
public class ImageFlowTests
{
    private const int Batch = 48;

    /// <summary>A generated flow's calls, for a test that runs on several flow classes.</summary>
    private sealed record Calls(IFlowModel Flow, Func<ReadOnlySpan2D<float>, Optimizer, float> TrainStep,
        Action<ReadOnlySpan2D<float>, float[]> LogProb, Action<Span2D<float>, Rng> Sample);

    private static Calls Make(string name, ModelOptions options)
    {
        switch (name)
        {
            case nameof(ImageGlowStepFlow):
            {
                var f = new ImageGlowStepFlow(options);
                return new Calls(f, (b, o) => f.TrainStep(b, o), (b, l) => f.LogProb(b, l), (x, r) => f.Sample(x, r));
            }
            case nameof(ImageSplitFlow):
            {
                var f = new ImageSplitFlow(options);
                return new Calls(f, (b, o) => f.TrainStep(b, o), (b, l) => f.LogProb(b, l), (x, r) => f.Sample(x, r));
            }
            default: throw new ArgumentException(name);
        }
    }

    private static float[] Images(int rows, int features, ulong seed)
    {
        var x = new float[rows * features];
        new Rng(seed, 1).FillNormal(x, 0.2f, 1f);
        return x;
    }

    [Theory]
    [InlineData(nameof(ImageGlowStepFlow))]
    [InlineData(nameof(ImageSplitFlow))]
    public void TrainStepLogProbAndSampleAllocateNothingAfterTheFirstCall(string name)
    {
        var calls = Make(name, new ModelOptions { MaxBatch = Batch, Seed = 1 });
        int d = calls.Flow.Features;
        var adam = new Adam(calls.Flow, 1e-3f);
        var images = Images(Batch, d, 5);
        var logp = new float[Batch];
        var samples = new float[Batch * d];
        var rng = new Rng(3);
        for (int i = 0; i < 3; i++)
        {
            calls.TrainStep(new ReadOnlySpan2D<float>(images, Batch, d), adam);
            calls.LogProb(new ReadOnlySpan2D<float>(images, Batch, d), logp);
            calls.Sample(new Span2D<float>(samples, Batch, d), rng);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        calls.TrainStep(new ReadOnlySpan2D<float>(images, Batch, d), adam);
        long afterTrain = GC.GetAllocatedBytesForCurrentThread();
        calls.LogProb(new ReadOnlySpan2D<float>(images, Batch, d), logp);
        long afterLogProb = GC.GetAllocatedBytesForCurrentThread();
        calls.Sample(new Span2D<float>(samples, Batch, d), rng);
        long afterSample = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, afterTrain - before);
        Assert.Equal(0, afterLogProb - afterTrain);
        Assert.Equal(0, afterSample - afterLogProb);
        Assert.All(logp, v => Assert.True(float.IsFinite(v)));
        Assert.All(samples, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData(nameof(ImageGlowStepFlow))]
    [InlineData(nameof(ImageSplitFlow))]
    public void OneAndTwoThreadsGiveBitIdenticalParametersAfterTenSteps(string name)
    {
        float[] Train(int threads)
        {
            using var pool = new WorkerPool(threads);
            var calls = Make(name, new ModelOptions { MaxBatch = 256, Seed = 11, Pool = pool });
            int d = calls.Flow.Features;
            var adam = new Adam(calls.Flow, 1e-3f);
            for (int i = 0; i < 10; i++)
                calls.TrainStep(new ReadOnlySpan2D<float>(Images(256, d, 20 + (ulong)i), 256, d), adam);
            return calls.Flow.Parameters.ToArray();
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

    /// <summary>Sampling draws the factored-out channels from N(0, I) and puts them back: FromLatent ∘ ToLatent and the split columns of z.</summary>
    [Fact]
    public void SplitChannelsGoStraightToTheirLatentColumns()
    {
        var flow = new ImageSplitFlow(new ModelOptions { MaxBatch = 8, Seed = 4 });
        var x = Images(8, 16, 9);
        var z = new float[8 * 16];
        var logDet = new float[8];
        flow.ToLatent(new ReadOnlySpan2D<float>(x, 8, 16), new Span2D<float>(z, 8, 16), logDet);
        // change only the columns X1 factored out: the inverse changes, and ToLatent of it gives back exactly that z
        for (int r = 0; r < 8; r++) z[r * 16 + 12] += 0.5f;
        var x2 = new float[8 * 16];
        flow.FromLatent(new ReadOnlySpan2D<float>(z, 8, 16), new Span2D<float>(x2, 8, 16));
        var z2 = new float[8 * 16];
        flow.ToLatent(new ReadOnlySpan2D<float>(x2, 8, 16), new Span2D<float>(z2, 8, 16), logDet);
        Assert.True(x.Zip(x2, (a, b) => Math.Abs(a - b)).Max() > 1e-3, "the factored-out column changed nothing");
        Assert.True(z.Zip(z2, (a, b) => Math.Abs(a - b)).Max() < 1e-4, "ToLatent(FromLatent(z)) ≠ z");
    }
}
