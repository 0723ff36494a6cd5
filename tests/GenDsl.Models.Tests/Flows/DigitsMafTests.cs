using CommunityToolkit.HighPerformance;
using GenDsl.Data;
using GenDsl.Metrics;
using Xunit.Abstractions;

namespace GenDsl.Models.Tests.Flows;

/// <summary>
/// A masked autoregressive flow in 64 dimensions (issue #14): <see cref="DigitsMaf"/> (577,088 parameters) against
/// <see cref="DigitsFlow"/> (560,960, affine couplings), trained exactly as DigitsFlowTests trains DigitsFlow (80/20
/// split seed 1, batch 128, Adam 1e-3, 250 steps, fresh dequantisation noise each step), held-out bits/dim with
/// 4 noise draws per image.
/// </summary>
public class DigitsMafTests(ITestOutputHelper output)
{
    private const int Batch = 128, Steps = 250, Dims = 64;

    /// <summary>DigitsFlowTests' measured held-out figure for the affine flow at the same budget.</summary>
    private const double AffineTestBitsPerDim = 2.2059;

    [Fact]
    public void LearnsTheDigitsAsWellAsTheAffineFlowAtEqualParametersAndSteps()
    {
        var (train, test) = Digits.Load().Split(0.2, seed: 1);
        var transform = LogitTransform.ForDigits();
        var flow = new DigitsMaf(new ModelOptions { MaxBatch = 256, Seed = 1 });
        var adam = new Adam(flow, learningRate: 1e-3f);
        var sampler = new BatchSampler(train, Batch, seed: 2);
        var noise = new Rng(3);
        var y = new float[Batch * Dims];
        for (int step = 0; step < Steps; step++)
        {
            ReadOnlySpan2D<float> x = sampler.Next();
            var yView = new Span2D<float>(y, x.Height, Dims);
            transform.Forward(x, yView, default, noise);
            float nll = flow.TrainStep(yView, adam);
            Assert.True(float.IsFinite(nll), $"step {step}: NLL {nll}");
        }
        double testBpd = FlowMetrics.BitsPerDim(FlowMetrics.MeanNll(test, 256, flow.LogProb, transform, new Rng(4), repeats: 4), Dims);
        output.WriteLine($"DigitsMaf ({DigitsMaf.TotalParameters} parameters), {Steps} steps: held-out {testBpd:F4} bits/dim " +
                         $"(DigitsFlow, {DigitsFlow.TotalParameters} parameters: {AffineTestBitsPerDim})");
        Assert.True(Math.Abs(DigitsMaf.TotalParameters - DigitsFlow.TotalParameters) < 0.03 * DigitsFlow.TotalParameters);
        // measured 2.2218 (2026-12-04): level with the affine flow at this budget (its 3-seed early-stopped figure is 2.198 ± 0.008 against 2.189 ± 0.014)
        Assert.True(testBpd < AffineTestBitsPerDim + 0.05, $"held-out {testBpd:F4} bits/dim is more than 0.05 above DigitsFlow's {AffineTestBitsPerDim}");

        // and the inverse is exact to float round-off on held-out digits
        int n = 128;
        var yt = new float[n * Dims];
        var z = new float[n * Dims];
        var back = new float[n * Dims];
        transform.Forward(test.GetRows(0, n), new Span2D<float>(yt, n, Dims), default, new Rng(7));
        flow.ToLatent(new ReadOnlySpan2D<float>(yt, n, Dims), new Span2D<float>(z, n, Dims), new float[n]);
        flow.FromLatent(new ReadOnlySpan2D<float>(z, n, Dims), new Span2D<float>(back, n, Dims));
        double max = 0;
        for (int i = 0; i < yt.Length; i++) max = Math.Max(max, Math.Abs(back[i] - yt[i]));
        Assert.True(max < 1e-3, $"max |f(h(y)) − y| = {max}");
    }
}
