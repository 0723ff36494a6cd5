using CommunityToolkit.HighPerformance;
using GenDsl.Data;

namespace GenDsl.Metrics;

/// <summary>
/// A model's log-density of a batch: writes ln p(xᵢ) (nats) for each row of <paramref name="x"/> into
/// <paramref name="logProb"/>. A generated flow's <c>LogProb</c> method converts to it directly
/// (<c>FlowMetrics.MeanNll(test, 256, flow.LogProb)</c>).
/// </summary>
public delegate void LogProbFunction(ReadOnlySpan2D<float> x, Span<float> logProb);

/// <summary>
/// Likelihood metrics for density models (normalizing flows): mean negative log-likelihood in nats and
/// bits per dimension, including the conversion for dequantised, logit-transformed discrete data
/// (<see cref="LogitTransform"/>). Definitions and the derivation: docs/metrics.md.
/// </summary>
/// <remarks>
/// Sums are taken in double. A NaN or infinite log-density is not hidden: it makes the mean NaN or
/// infinite, which is what a diverged model should report.
/// </remarks>
public static class FlowMetrics
{
    /// <summary>−(1/N) Σᵢ ln p(xᵢ): the mean negative log-likelihood in nats of N log-densities.</summary>
    /// <exception cref="ArgumentException"><paramref name="logProb"/> is empty.</exception>
    public static double MeanNll(ReadOnlySpan<float> logProb)
    {
        if (logProb.IsEmpty)
            throw new ArgumentException("logProb is empty; pass at least one log-density.", nameof(logProb));
        double sum = 0;
        for (int i = 0; i < logProb.Length; i++)
            sum += logProb[i];
        return -sum / logProb.Length;
    }

    /// <summary>
    /// −(1/N) Σᵢ (ln p_Y(yᵢ) + logDetᵢ): the mean NLL of the data before a transform y = T(v), given the
    /// model's log-density of the transformed rows and ln|det ∂y/∂v| per row (change of variables:
    /// ln p_V(v) = ln p_Y(T(v)) + ln|det ∂T/∂v|).
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length or are empty.</exception>
    public static double MeanNll(ReadOnlySpan<float> logProb, ReadOnlySpan<float> logDet)
    {
        if (logProb.Length != logDet.Length)
            throw new ArgumentException(
                $"logProb has {logProb.Length} entries but logDet has {logDet.Length}; pass one log-determinant per log-density.", nameof(logDet));
        if (logProb.IsEmpty)
            throw new ArgumentException("logProb is empty; pass at least one log-density.", nameof(logProb));
        double sum = 0;
        for (int i = 0; i < logProb.Length; i++)
            sum += (double)logProb[i] + logDet[i];
        return -sum / logProb.Length;
    }

    /// <summary>
    /// The mean NLL (nats) of a whole data set under a model, evaluated in batches of at most
    /// <paramref name="batchSize"/> rows (use the model's MaxBatch). Allocates one buffer of
    /// <paramref name="batchSize"/> floats.
    /// </summary>
    public static double MeanNll(Dataset data, int batchSize, LogProbFunction logProb)
    {
        CheckDataset(data, batchSize, logProb);
        var lp = new float[batchSize];
        double sum = 0;
        for (int start = 0; start < data.Rows; start += batchSize)
        {
            int n = Math.Min(batchSize, data.Rows - start);
            logProb(data.GetRows(start, n), lp.AsSpan(0, n));
            for (int i = 0; i < n; i++)
                sum += lp[i];
        }
        return -sum / data.Rows;
    }

    /// <summary>
    /// The mean NLL (nats per example) of DISCRETE data under a flow trained on its dequantised logits:
    /// each batch goes through <paramref name="transform"/> with fresh noise from <paramref name="rng"/>,
    /// and −(ln p_Y(y) + ln|det ∂y/∂v|) is averaged. With one noise draw per row this is an unbiased
    /// estimate of an upper bound on −ln P(k) (see <see cref="LogitTransform"/>); pass
    /// <paramref name="repeats"/> &gt; 1 to average several draws (a lower-variance estimate of the same bound).
    /// Allocates buffers for one batch.
    /// </summary>
    /// <param name="data">Pixels on the [0, 1] scale as <see cref="LogitTransform.Forward(ReadOnlySpan2D{float}, Span2D{float}, Span{float}, Rng)"/> expects.</param>
    /// <param name="batchSize">Rows per call of <paramref name="logProb"/> (the model's MaxBatch at most).</param>
    /// <param name="logProb">The flow's log-density of logits.</param>
    /// <param name="transform">The preprocessing the flow was trained with.</param>
    /// <param name="rng">Noise for the dequantisation.</param>
    /// <param name="repeats">Noise draws per row (≥ 1).</param>
    public static double MeanNll(Dataset data, int batchSize, LogProbFunction logProb, LogitTransform transform, Rng rng, int repeats = 1)
    {
        CheckDataset(data, batchSize, logProb);
        ArgumentNullException.ThrowIfNull(transform);
        ArgumentNullException.ThrowIfNull(rng);
        if (repeats < 1)
            throw new ArgumentOutOfRangeException(nameof(repeats), repeats, "repeats (noise draws per row) must be at least 1.");
        var y = new float[batchSize * data.Columns];
        var lp = new float[batchSize];
        var logDet = new float[batchSize];
        double sum = 0;
        for (int rep = 0; rep < repeats; rep++)
        {
            for (int start = 0; start < data.Rows; start += batchSize)
            {
                int n = Math.Min(batchSize, data.Rows - start);
                var yView = new Span2D<float>(y, n, data.Columns);
                transform.Forward(data.GetRows(start, n), yView, logDet.AsSpan(0, n), rng);
                logProb(yView, lp.AsSpan(0, n));
                for (int i = 0; i < n; i++)
                    sum += (double)lp[i] + logDet[i];
            }
        }
        return -sum / ((double)data.Rows * repeats);
    }

    /// <summary>
    /// KL(p‖q) = E_p[ln p − ln q] estimated on fresh samples x_i ~ p: the mean of ln p(x_i) − ln q(x_i), in nats, and
    /// its standard error s/√n (s the sample standard deviation of the differences, n − 1 in its denominator).
    /// The distance of a model q to the true density p, 0 at the physical limit.
    /// </summary>
    /// <param name="logP">ln p(x_i), the target's exact log-density at each sample.</param>
    /// <param name="logQ">ln q(x_i), the model's log-density at the same samples.</param>
    /// <param name="standardError">The standard error of the estimate.</param>
    public static double KlDivergence(ReadOnlySpan<double> logP, ReadOnlySpan<float> logQ, out double standardError)
    {
        if (logP.Length != logQ.Length)
            throw new ArgumentException($"logQ has {logQ.Length} values but logP has {logP.Length}: pass both densities at the same samples.", nameof(logQ));
        if (logP.Length < 2)
            throw new ArgumentException($"logP has {logP.Length} values: the estimate and its standard error need at least 2 samples.", nameof(logP));
        double mean = 0;
        for (int i = 0; i < logP.Length; i++)
            mean += logP[i] - logQ[i];
        mean /= logP.Length;
        double squares = 0;
        for (int i = 0; i < logP.Length; i++)
        {
            double d = logP[i] - logQ[i] - mean;
            squares += d * d;
        }
        standardError = Math.Sqrt(squares / (logP.Length - 1) / logP.Length);
        return mean;
    }

    /// <summary>
    /// Bits per dimension: <paramref name="meanNllNats"/> / (D·ln 2), the mean NLL per example converted from
    /// nats to bits and divided by the number of dimensions D = <paramref name="dims"/>.
    /// Example: 64 pixels, NLL 150 nats → 150 / (64 · 0.6931) = 3.381 bits/dim.
    /// </summary>
    public static double BitsPerDim(double meanNllNats, int dims)
    {
        if (dims < 1)
            throw new ArgumentOutOfRangeException(nameof(dims), dims, "dims is the number of dimensions per example (columns); it must be at least 1.");
        return meanNllNats / (dims * Math.Log(2.0));
    }

    private static void CheckDataset(Dataset data, int batchSize, LogProbFunction logProb)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(logProb);
        if (data.Rows < 1)
            throw new ArgumentException($"The data set '{data.Name}' has no rows; the mean NLL needs at least one.", nameof(data));
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be at least 1 (use the model's MaxBatch).");
    }
}
