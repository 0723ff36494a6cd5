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

    /// <summary>
    /// The generated log-det against ln|det| of the numerical Jacobian of the generated ToLatent (central differences
    /// in float, step 1e-2, the determinant by LU in double) on 1×4×4 images through two splits, and on a 3×4×4 flow of
    /// checkerboard and channel couplings; random non-zero parameters.
    /// </summary>
    [Theory]
    [InlineData(nameof(ImageSplitFlow))]
    [InlineData(nameof(ImageCheckerboardFlow))]
    public void LogDetMatchesTheNumericalJacobian(string name)
    {
        IFlowModel flow;
        Action<float[], float[], float[], int> toLatent;
        if (name == nameof(ImageSplitFlow))
        {
            var f = new ImageSplitFlow(new ModelOptions { MaxBatch = 4, Seed = 2 });
            flow = f;
            toLatent = (x, z, ld, d) => f.ToLatent(new ReadOnlySpan2D<float>(x, 1, d), new Span2D<float>(z, 1, d), ld);
        }
        else
        {
            var f = new ImageCheckerboardFlow(new ModelOptions { MaxBatch = 4, Seed = 2 });
            flow = f;
            toLatent = (x, z, ld, d) => f.ToLatent(new ReadOnlySpan2D<float>(x, 1, d), new Span2D<float>(z, 1, d), ld);
        }
        int d = flow.Features;
        var rng = new Rng(8, 2);
        foreach (var t in flow.Tensors)
            rng.FillNormal(flow.Parameters.Span.Slice(t.Offset, t.Length), 0f, 0.3f);
        var x = Images(1, d, 12);
        var z = new float[d];
        var logDet = new float[1];
        toLatent(x, z, logDet, d);
        const float h = 1e-2f;
        var jacobian = new double[d, d];
        var zPlus = new float[d];
        var zMinus = new float[d];
        var scratch = new float[1];
        for (int j = 0; j < d; j++)
        {
            var xp = (float[])x.Clone();
            xp[j] += h;
            toLatent(xp, zPlus, scratch, d);
            xp[j] -= 2 * h;
            toLatent(xp, zMinus, scratch, d);
            for (int i = 0; i < d; i++) jacobian[i, j] = ((double)zPlus[i] - zMinus[i]) / (2 * h);
        }
        double numeric = LogAbsDeterminant(jacobian);
        Assert.True(Math.Abs(numeric - logDet[0]) < 2e-2 * Math.Max(1, Math.Abs(numeric)), $"log-det {logDet[0]} vs ln|det J| {numeric} of the numerical Jacobian");
    }

    /// <summary>ln|det A| by Gaussian elimination with partial pivoting, in double.</summary>
    private static double LogAbsDeterminant(double[,] a)
    {
        int n = a.GetLength(0);
        a = (double[,])a.Clone();
        double sum = 0;
        for (int k = 0; k < n; k++)
        {
            int pivot = k;
            for (int i = k + 1; i < n; i++) if (Math.Abs(a[i, k]) > Math.Abs(a[pivot, k])) pivot = i;
            for (int j = 0; j < n; j++) (a[k, j], a[pivot, j]) = (a[pivot, j], a[k, j]);
            sum += Math.Log(Math.Abs(a[k, k]));
            for (int i = k + 1; i < n; i++)
            {
                double f = a[i, k] / a[k, k];
                for (int j = k; j < n; j++) a[i, j] -= f * a[k, j];
            }
        }
        return sum;
    }
}
