using CommunityToolkit.HighPerformance;
using GenDsl.Models.Tests.Networks;
using Xunit.Abstractions;

namespace GenDsl.Models.Tests.ConvNets;

/// <summary>
/// Batch norm's two modes in generated models: after a training step the running statistics equal the
/// reference's (momentum 0.1, unbiased running variance, every training pass updating them once); evaluation
/// calls normalise with them and leave them alone, and with <c>Training = true</c> use (and update) batch statistics.
/// </summary>
public class BatchNormModeTests(ITestOutputHelper output)
{
    private static double[] Flat(float[] a) => RefNet.ToDouble(a);

    [Fact]
    public void GanRunningStatisticsAndEvaluationModeMatchReference()
    {
        var c = ConvGanGradientTests.Make(nameof(ConvBnGan));
        var gan = (ConvBnGan)c.Model;
        var s = ConvGanGradientTests.Setup(c);
        var a = RefArena.Of(gan);
        var initial = (double[])a.Buffers.Clone();
        ConvGanGradientTests.ReferenceStep(c, s, a);
        c.Train(s.X, s.Y, c.Rows, new NoStep(gan.DiscriminatorPart), new NoStep(gan.GeneratorPart));
        double worstStats = 0;
        foreach (var t in ConvCheck.Buffers(gan))
        {
            Assert.NotEqual(ConvCheck.Slice(initial, t), ConvCheck.Slice(a.Buffers, t)); // the step moved them
            worstStats = Math.Max(worstStats, ConvCheck.Close(ConvCheck.Slice(a.Buffers, t), ConvCheck.Slice(gan.Buffers.Span, t), 1e-4, t.Name));
        }

        // Sampling in evaluation mode: the running statistics, which stay as they are.
        const int rows = 5;
        var z = new float[rows * ConvBnGan.NoiseCount];
        new Rng(99).FillNormal(z);
        var zd = RefNet.To2D(z, rows, ConvBnGan.NoiseCount);
        var evalOut = new float[rows * ConvBnGan.FeatureCount];
        var before = gan.Buffers.ToArray();
        Assert.False(gan.Training);
        gan.Sample(new Span2D<float>(evalOut, rows, ConvBnGan.FeatureCount), new Rng(99));
        Assert.Equal(before, gan.Buffers.ToArray());
        double eval = ConvCheck.Close(RefInput.Flat(c.Ref.Generate(a, zd, null, RefPass.Eval)), Flat(evalOut), 1e-4, "Sample, Training = false");

        // Training = true: batch statistics (and, as torch's train(), the running ones move).
        gan.Training = true;
        var trainOut = new float[rows * ConvBnGan.FeatureCount];
        gan.Sample(new Span2D<float>(trainOut, rows, ConvBnGan.FeatureCount), new Rng(99));
        double train = ConvCheck.Close(RefInput.Flat(c.Ref.Generate(a, zd, null, RefPass.Train)), Flat(trainOut), 1e-4, "Sample, Training = true");
        double moved = evalOut.Zip(trainOut, (e, t) => Math.Abs(e - t)).Max();
        Assert.True(moved > 1e-2, $"Training = true and false sample the same ({moved:g3} apart)");
        foreach (var t in ConvCheck.Buffers(gan))
            worstStats = Math.Max(worstStats, ConvCheck.Close(ConvCheck.Slice(a.Buffers, t), ConvCheck.Slice(gan.Buffers.Span, t), 1e-4, t.Name + " after a Training = true sample"));

        // The discriminator's batch norm in both modes.
        var probability = new float[c.Rows];
        double worstD = 0;
        foreach (bool training in new[] { false, true })
        {
            gan.Training = training;
            gan.Discriminate(new ReadOnlySpan2D<float>(s.X, c.Rows, ConvBnGan.FeatureCount), probability);
            var logit = c.Ref.Discriminator.Forward(a, s.Xd, training ? RefPass.Train : RefPass.Eval);
            var expected = Enumerable.Range(0, c.Rows).Select(r => RefNet.Sigmoid(logit[r, 0])).ToArray();
            worstD = Math.Max(worstD, ConvCheck.Close(expected, Flat(probability), 1e-4, $"Discriminate, Training = {training}"));
        }
        output.WriteLine($"running statistics {worstStats:g3}; samples: eval {eval:g3}, train {train:g3} (modes {moved:g3} apart); discriminator {worstD:g3}");
    }

    [Fact]
    public void VaeRunningStatisticsAndEvaluationModeMatchReference()
    {
        var c = ConvVaeGradientTests.Make(nameof(ConvGaussianVae));
        var vae = (ConvGaussianVae)c.Model;
        var (x, y, xd, yd, eps) = ConvVaeGradientTests.Setup(c);
        var a = RefArena.Of(vae);
        c.Ref.Loss(a, xd, yd, eps, RefPass.Train, gradient: false);
        c.Backward(x, y, c.Rows);
        double worstStats = 0;
        foreach (var t in ConvCheck.Buffers(vae))
            worstStats = Math.Max(worstStats, ConvCheck.Close(ConvCheck.Slice(a.Buffers, t), ConvCheck.Slice(vae.Buffers.Span, t), 1e-4, t.Name));

        int rows = c.Rows, z = ConvGaussianVae.LatentCount;
        var mu = new float[2][];
        double worst = 0;
        foreach (bool training in new[] { false, true })
        {
            vae.Training = training;
            var before = vae.Buffers.ToArray();
            var m = new float[rows * z];
            var lv = new float[rows * z];
            vae.Encode(new ReadOnlySpan2D<float>(x, rows, ConvGaussianVae.FeatureCount), new Span2D<float>(m, rows, z), new Span2D<float>(lv, rows, z));
            var head = c.Ref.Encoder.Forward(a, xd, training ? RefPass.Train : RefPass.Eval);
            worst = Math.Max(worst, ConvCheck.Close(RefInput.Flat(RefInput.Columns(head, z)), Flat(m), 1e-4, $"μ, Training = {training}"));
            var expectedLv = Enumerable.Range(0, rows * z).Select(i => head[i / z, z + i % z]).ToArray();
            worst = Math.Max(worst, ConvCheck.Close(expectedLv, Flat(lv), 1e-4, $"ln σ², Training = {training}"));
            if (!training) Assert.Equal(before, vae.Buffers.ToArray());
            mu[training ? 1 : 0] = m;
        }
        foreach (var t in ConvCheck.Buffers(vae))
            worstStats = Math.Max(worstStats, ConvCheck.Close(ConvCheck.Slice(a.Buffers, t), ConvCheck.Slice(vae.Buffers.Span, t), 1e-4, t.Name + " after a Training = true pass"));
        double moved = mu[0].Zip(mu[1], (e, t) => Math.Abs(e - t)).Max();
        Assert.True(moved > 1e-2, $"Training = true and false encode the same ({moved:g3} apart)");
        output.WriteLine($"running statistics {worstStats:g3}; Encode {worst:g3} (modes {moved:g3} apart)");
    }
}
