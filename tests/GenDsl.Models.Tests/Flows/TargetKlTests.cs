using CommunityToolkit.HighPerformance;
using GenDsl.Data;
using GenDsl.Metrics;

namespace GenDsl.Models.Tests.Flows;

/// <summary>The exact densities of the toy targets, the KL(p‖q) metric, and KL of the affine and spline flows at equal steps.</summary>
public class TargetKlTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void CheckerboardDensityIntegratesToOneAndMatchesItsSamples()
    {
        // Riemann sum over [−5, 5]² (the board is [−4, 4]²)
        const int n = 1000;
        double h = 10.0 / n, mass = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                mass += Math.Exp(Toy2D.CheckerboardLogDensity(-5 + (i + 0.5) * h, -5 + (j + 0.5) * h)) * h * h;
        Assert.InRange(mass, 0.999, 1.001);
        // every sample has the density 1/32; a histogram of 32 cells of the board matches it
        var data = Toy2D.Checkerboard(64_000, seed: 3);
        var counts = new int[4, 4];
        for (int r = 0; r < data.Rows; r++)
        {
            var row = data.Row(r);
            Assert.Equal(-Math.Log(32), Toy2D.CheckerboardLogDensity(row[0], row[1]), 12);
            counts[(int)Math.Floor(row[0] / 2) + 2, (int)Math.Floor(row[1] / 2) + 2]++;
        }
        for (int c = 0; c < 4; c++)
            for (int r = 0; r < 4; r++)
            {
                double expected = (c + r) % 2 == 0 ? data.Rows / 8.0 : 0;
                Assert.True(Math.Abs(counts[c, r] - expected) <= 4 * Math.Sqrt(data.Rows / 8.0), $"cell ({c}, {r}): {counts[c, r]} samples, expected {expected}");
            }
        Assert.Equal(double.NegativeInfinity, Toy2D.CheckerboardLogDensity(1, -1)); // a light cell (column 2, row 1)
        Assert.Equal(double.NegativeInfinity, Toy2D.CheckerboardLogDensity(4, -3)); // x = 4 is outside the half-open board
    }

    [Fact]
    public void KlOfTwoGaussiansMatchesTheClosedForm()
    {
        // p = N(0, 1), q = N(0.5, 1.5²): KL = ln(1.5) + (1 + 0.25)/(2·2.25) − ½
        var rng = new Rng(4);
        var x = new float[200_000];
        rng.FillNormal(x);
        var logP = x.Select(v => -0.5 * v * v - 0.5 * Math.Log(2 * Math.PI)).ToArray();
        var logQ = x.Select(v => (float)(-0.5 * (v - 0.5) * (v - 0.5) / 2.25 - Math.Log(1.5) - 0.5 * Math.Log(2 * Math.PI))).ToArray();
        double kl = FlowMetrics.KlDivergence(logP, logQ, out double se);
        double exact = Math.Log(1.5) + 1.25 / 4.5 - 0.5;
        output.WriteLine($"KL = {kl:F5} ± {se:F5}, exact {exact:F5}");
        Assert.True(Math.Abs(kl - exact) < 4 * se + 1e-6, $"{kl} ± {se} vs {exact}");
        Assert.Equal(0, FlowMetrics.KlDivergence(logP, logP.Select(v => (float)v).ToArray(), out _), 6);
    }

    /// <summary>
    /// Measurement, and on 8 Gaussians the spline flow must be the closer (on the moons: not farther): the affine MoonsFlow (35,352 parameters) and MoonsSplineFlow (46,264)
    /// trained 1000 steps of batch 512 (Adam 1e-3, seed 3) on 8 Gaussians, the checkerboard and the moons, KL(p‖q) on 20,000
    /// fresh samples. The numbers are in benchmarks/RESULTS.md.
    /// </summary>
    [Theory]
    [InlineData("8gaussians")]
    [InlineData("checkerboard")]
    [InlineData("moons")]
    public void AffineAndSplineFlowsKlAtEqualSteps(string target)
    {
        const int batch = 512, steps = 1000;
        var train = Toy2D.Create(target, steps * batch, 1);
        var test = Toy2D.Create(target, 20_000, 2);
        var logP = new double[test.Rows];
        for (int r = 0; r < test.Rows; r++) logP[r] = Toy2D.LogDensity(target, test.Row(r)[0], test.Row(r)[1]);

        double Kl(IFlowModel flow, Func<ReadOnlySpan2D<float>, Optimizer, float> step, LogProbFunction logProb, out double se, out float[] logQ)
        {
            var adam = new Adam(flow, 1e-3f);
            for (int s = 0; s < steps; s++) step(train.GetRows(s * batch, batch), adam);
            logQ = new float[test.Rows];
            for (int start = 0; start < test.Rows; start += batch)
            {
                int n = Math.Min(batch, test.Rows - start);
                logProb(test.GetRows(start, n), logQ.AsSpan(start, n));
            }
            return FlowMetrics.KlDivergence(logP, logQ, out se);
        }
        var affine = new MoonsFlow(new ModelOptions { MaxBatch = batch, Seed = 3 });
        double klAffine = Kl(affine, (x, o) => affine.TrainStep(x, o), affine.LogProb, out double seAffine, out var logQAffine);
        var spline = new MoonsSplineFlow(new ModelOptions { MaxBatch = batch, Seed = 3 });
        double klSpline = Kl(spline, (x, o) => spline.TrainStep(x, o), spline.LogProb, out double seSpline, out var logQSpline);
        output.WriteLine($"{target}, {steps} steps of {batch}: MoonsFlow ({MoonsFlow.TotalParameters} parameters) KL = {klAffine:F4} ± {seAffine:F4}; MoonsSplineFlow ({MoonsSplineFlow.TotalParameters}) KL = {klSpline:F4} ± {seSpline:F4}");
        Assert.True(double.IsFinite(klAffine) && double.IsFinite(klSpline));
        // The difference KL_affine − KL_spline = E_p[ln q_spline − ln q_affine], paired on the same test points: its
        // standard error is that of the per-point differences (far smaller than either KL's, which shares ln p).
        var difference = new double[test.Rows];
        for (int r = 0; r < test.Rows; r++) difference[r] = (double)logQSpline[r] - logQAffine[r];
        double meanDifference = difference.Average();
        double seDifference = Math.Sqrt(difference.Sum(d => (d - meanDifference) * (d - meanDifference)) / (test.Rows - 1) / test.Rows);
        output.WriteLine($"{target}: KL_affine − KL_spline = {meanDifference:F4} ± {seDifference:F4} (paired)");
        // Measured (seed 3) with FlowInitialization.Identity (the default before 2026-12-04): 8 Gaussians 4.35 vs 0.18, moons
        // 0.082 vs 0.044; with the Linear default: 8 Gaussians 3.86 vs 0.14 (the spline flow is the closer one, asserted),
        // moons 0.0431 vs 0.0404 (paired difference 0.0027 ± 0.0022: the affine flow caught up at this budget, so on the
        // moons only "not worse" is asserted). Not on
        // the checkerboard (0.22 vs 2.19): its data reach ±4, outside MoonsSplineFlow's TailBound 3, where a spline is the
        // identity (with TailBound 5 it reaches 0.043 at 5,000 steps: benchmarks/RESULTS.md).
        if (target == "moons")
            Assert.True(meanDifference > -4 * seDifference, $"moons: the spline flow's KL {klSpline} is above the affine flow's {klAffine} by more than 4 standard errors of the paired difference ({meanDifference} ± {seDifference})");
        else if (target != "checkerboard")
            Assert.True(meanDifference > 4 * seDifference, $"{target}: the spline flow's KL {klSpline} is not below the affine flow's {klAffine} by 4 standard errors of the paired difference ({meanDifference} ± {seDifference})");
    }
}
