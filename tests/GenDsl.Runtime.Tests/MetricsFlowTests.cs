using CommunityToolkit.HighPerformance;
using GenDsl.Data;
using GenDsl.Metrics;

namespace GenDsl.Runtime.Tests;

/// <summary>Mean NLL and bits/dim, on hand-made log-densities and on models whose answer is known in closed form.</summary>
public class MetricsFlowTests
{
    [Fact]
    public void MeanNllIsMinusTheAverageLogDensity()
    {
        Assert.Equal(2.0, FlowMetrics.MeanNll([-1f, -2f, -3f]), 12);
        // With a log-determinant: −mean(logp + logdet) = −mean(−1 + 0.5, −2 − 1) = −(−0.5 − 3)/2 = 1.75.
        Assert.Equal(1.75, FlowMetrics.MeanNll([-1f, -2f], [0.5f, -1f]), 12);
        Assert.True(double.IsNaN(FlowMetrics.MeanNll([-1f, float.NaN]))); // a diverged model is not hidden
    }

    [Fact]
    public void BitsPerDimWorkedExamples()
    {
        // 150 nats over 64 dimensions: 150 / (64 · ln 2) = 150 / 44.3614 = 3.381317 bits/dim.
        Assert.Equal(3.381317, FlowMetrics.BitsPerDim(150, 64), 6);
        // Uniform over 17 levels in 64 pixels: NLL = 64 ln 17 nats, i.e. log₂ 17 = 4.087463 bits/dim.
        Assert.Equal(4.087463, FlowMetrics.BitsPerDim(64 * Math.Log(17), 64), 6);
        // One nat in one dimension is 1/ln 2 = 1.442695 bits.
        Assert.Equal(1.442695, FlowMetrics.BitsPerDim(1, 1), 6);
    }

    [Fact]
    public void DatasetMeanNllVisitsEveryRowOnce()
    {
        // A standard normal model on 7 rows evaluated in batches of 3 (3 + 3 + 1).
        var values = new float[7 * 2];
        for (int i = 0; i < values.Length; i++)
            values[i] = 0.3f * i - 2f;
        var data = new Dataset(values, 7, 2);
        double expected = 0;
        for (int i = 0; i < values.Length; i++)
            expected += 0.5 * values[i] * values[i] + 0.5 * Math.Log(2 * Math.PI);
        expected /= 7;
        int calls = 0;
        double nll = FlowMetrics.MeanNll(data, 3, (x, lp) =>
        {
            calls++;
            Assert.True(x.Height <= 3);
            for (int r = 0; r < x.Height; r++)
                lp[r] = (float)(-0.5 * (x[r, 0] * x[r, 0] + x[r, 1] * x[r, 1]) - Math.Log(2 * Math.PI));
        });
        Assert.Equal(3, calls);
        Assert.Equal(expected, nll, 5);
    }

    /// <summary>ln of the standard logistic density σ(y)σ(−y), per row summed over columns.</summary>
    private static void LogisticLogProb(ReadOnlySpan2D<float> y, Span<float> logProb)
    {
        for (int r = 0; r < y.Height; r++)
        {
            double sum = 0;
            for (int j = 0; j < y.Width; j++)
                sum += -Math.Log(1 + Math.Exp(-y[r, j])) - Math.Log(1 + Math.Exp(y[r, j]));
            logProb[r] = (float)sum;
        }
    }

    [Fact]
    public void DequantisedBitsPerDimOfTheLogisticModelIsKnownExactly()
    {
        // If the flow's density of y is the standard logistic (per element), then s = σ(y) is uniform on its
        // range, and the density of the dequantised value v = k + ε is (1 − 2α)/L for every v. So every
        // image costs −D ln((1 − 2α)/L) nats: log₂ L − log₂(1 − 2α) bits/dim. With L = 17, α = 0.05:
        // 4.087463 + 0.152003 = 4.239466.
        var digits = Digits.Load().Split(0.1, seed: 1).test;
        var transform = LogitTransform.ForDigits();
        double nll = FlowMetrics.MeanNll(digits, 64, LogisticLogProb, transform, new Rng(1), repeats: 2);
        Assert.Equal(4.239466, FlowMetrics.BitsPerDim(nll, 64), 4);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => FlowMetrics.MeanNll([1f, 2f], [1f]));
        Assert.Contains("2 entries", ex.Message);
        Assert.Contains("has 1", ex.Message);
        Assert.Throws<ArgumentException>(() => FlowMetrics.MeanNll(ReadOnlySpan<float>.Empty));
        Assert.Throws<ArgumentOutOfRangeException>(() => FlowMetrics.BitsPerDim(1, 0));
        var data = new Dataset(new float[4], 2, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => FlowMetrics.MeanNll(data, 0, LogisticLogProb));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            FlowMetrics.MeanNll(data, 2, LogisticLogProb, LogitTransform.ForDigits(), new Rng(1), repeats: 0));
    }
}
