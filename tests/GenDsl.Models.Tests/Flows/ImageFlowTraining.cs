using System.Diagnostics;
using CommunityToolkit.HighPerformance;
using GenDsl.Data;
using GenDsl.Metrics;

namespace GenDsl.Models.Tests.Flows;

/// <summary>
/// How the ready-made image flows (<see cref="FashionGlow"/>, <see cref="MnistGlow"/>) are trained in their tests:
/// RealNVP's preprocessing (uniform dequantisation of the 256 levels, logit with α = 0.05, <c>LogitTransform(256)</c>),
/// batch 64, Adam 1e-3, a fresh batch and fresh noise every step; the held-out bits/dim of the 8-bit images (the
/// dequantisation and the logit's Jacobian included, as RealNVP and Glow report them; one noise draw, Rng(4)).
/// </summary>
internal static class ImageFlowTraining
{
    public delegate float TrainStep(ReadOnlySpan2D<float> x, Optimizer optimizer);

    public sealed record Run(double TestBitsPerDim, double UntrainedBitsPerDim, double Seconds);

    public const int Batch = 64;

    public static Run Train(IFlowModel flow, TrainStep trainStep, LogProbFunction logProb, Dataset train, Dataset test, int steps)
    {
        int dims = flow.Features;
        var transform = new LogitTransform(256);
        double first = FlowMetrics.BitsPerDim(FlowMetrics.MeanNll(test, 256, logProb, transform, new Rng(4)), dims);
        var adam = new Adam(flow, learningRate: 1e-3f);
        var sampler = new BatchSampler(train, Batch, seed: 2);
        var noise = new Rng(3);
        var y = new float[Batch * dims];
        var clock = Stopwatch.StartNew();
        for (int step = 0; step < steps; step++)
        {
            ReadOnlySpan2D<float> x = sampler.Next();
            var yView = new Span2D<float>(y, x.Height, dims);
            transform.Forward(x, yView, default, noise);
            float nll = trainStep(yView, adam);
            if (!float.IsFinite(nll))
                throw new InvalidOperationException($"Training diverged at step {step}: NLL {nll}.");
        }
        double seconds = clock.Elapsed.TotalSeconds;
        double testBpd = FlowMetrics.BitsPerDim(FlowMetrics.MeanNll(test, 256, logProb, transform, new Rng(4)), dims);
        return new Run(testBpd, first, seconds);
    }

    /// <summary>The thresholds every image-flow learning test asserts: within <paramref name="tolerance"/> of the measured figure, well below the uniform model's 8 bits/dim, and at least 3 bits/dim gained.</summary>
    public static void AssertLearned(Run run, double measured, double tolerance = 0.15)
    {
        Assert.True(run.TestBitsPerDim <= measured + tolerance,
            $"held-out {run.TestBitsPerDim:F4} bits/dim > {measured + tolerance:F4} (measured {measured} + {tolerance})");
        Assert.True(run.TestBitsPerDim < 8 - 2, $"held-out {run.TestBitsPerDim:F4} bits/dim is not well below the uniform model's 8");
        Assert.True(run.TestBitsPerDim < run.UntrainedBitsPerDim - 3,
            $"held-out {run.TestBitsPerDim:F4} bits/dim: training gained less than 3 bits/dim over the untrained {run.UntrainedBitsPerDim:F4}");
    }

    /// <summary>The trained flow inverts held-out images (in logit space) to 1e-3 and samples finite images.</summary>
    public static void AssertInvertsAndSamples(IFlowModel flow, Dataset test,
        Action<ReadOnlySpan2D<float>, Span2D<float>, Span<float>> toLatent, Action<ReadOnlySpan2D<float>, Span2D<float>> fromLatent,
        Action<Span2D<float>, Rng> sample)
    {
        int dims = flow.Features;
        var transform = new LogitTransform(256);
        const int rows = 32;
        var y = new float[rows * dims];
        transform.Forward(test.GetRows(0, rows), new Span2D<float>(y, rows, dims), default, new Rng(5));
        var z = new float[rows * dims];
        var logDet = new float[rows];
        toLatent(new ReadOnlySpan2D<float>(y, rows, dims), new Span2D<float>(z, rows, dims), logDet);
        var back = new float[rows * dims];
        fromLatent(new ReadOnlySpan2D<float>(z, rows, dims), new Span2D<float>(back, rows, dims));
        double err = y.Zip(back, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(err < 1e-3, $"FromLatent(ToLatent(y)) differs from y by {err}");
        var samples = new float[rows * dims];
        sample(new Span2D<float>(samples, rows, dims), new Rng(6));
        Assert.All(samples, v => Assert.True(float.IsFinite(v)));
    }
}
