using Xunit.Abstractions;

namespace GenDsl.Models.Tests.Quality;

/// <summary>
/// Issue #17's CI-sized learning check of <see cref="MnistM2"/> on the shipped MNIST: 100 labels (10 per class,
/// label seed 1), the other 7,900 training images unlabelled, the 2,000 held-out images scored
/// (<see cref="SemiSupervisedExperiment"/>, exactly as <c>tools/m2-mnist</c> and <c>gendsl train mnist-m2</c> train).
/// 1,500 steps take ≈ 40 s on an idle 2-core box. The thresholds come from measured runs (see the comments and
/// benchmarks/RESULTS.md, "Semi-supervised M2 on MNIST"): a broken unlabelled term or classifier fails them.
/// </summary>
public class M2LearningTests(ITestOutputHelper output)
{
    [Fact]
    public void M2LearnsFrom100LabelsAndTheUnlabelledImages()
    {
        var settings = new M2Settings { LabelSeed = 1, Steps = 1500, BaselineSteps = 500 };
        var losses = new List<SemiSupervisedLoss>();
        var (model, r) = SemiSupervisedExperiment.Run(settings, (_, loss, _) => losses.Add(loss));
        output.WriteLine($"M2 {100 * r.M2Error:F2} %, labels only {100 * r.BaselineError:F2} %, {r.Seconds:F0} s; loss {losses[0].Loss:F1} → {losses[^1].Loss:F1}, unlabelled {losses[0].Unlabelled:F1} → {losses[^1].Unlabelled:F1}");
        Assert.Equal(100, r.Labelled);
        Assert.Equal(7900, r.Unlabelled);
        // Measured with ClassifierNoise = 0.7 (2026-12-04): M2 21.0 % after 1,500 steps (29.0 % without the noise; 12.1 % after
        // 8,000 steps with it); chance is 90 %.
        Assert.True(r.M2Error < 0.27, $"M2 test error {r.M2Error:P1} ≥ 27 %");
        // Measured: 21.9 % for the classifier alone on the 100 labels (same input noise; 24.5 % without).
        Assert.True(r.BaselineError < 0.28, $"labels-only test error {r.BaselineError:P1} ≥ 28 %");
        // The unlabelled bound U(x) (nats per image) falls as the generative model learns: measured 193.6 at step 100 → 123.1 at 1,500.
        Assert.True(losses[^1].Unlabelled < 135, $"unlabelled U = {losses[^1].Unlabelled:F1} nats per image ≥ 135");
        Assert.True(losses[^1].Classification < 0.05, $"−ln q(y|x) on the labelled batch {losses[^1].Classification:F3} ≥ 0.05");
        _ = model;
    }

    /// <summary>
    /// <see cref="MnistConvM2"/>, the convolutional encoder and classifier, at a CI-sized 1,000 steps (≈ 1–2 min on
    /// 2 cores). Measured (2026-12-04, label seed 1): 16.70 % after 1,000 steps (10.25 % after 8,000; the labels-only
    /// classifier of the same network 20.50 %).
    /// </summary>
    [Fact]
    public void ConvolutionalM2LearnsFrom100LabelsAndTheUnlabelledImages()
    {
        var settings = new M2Settings { LabelSeed = 1, Steps = 1000, BaselineSteps = 1000 };
        var (_, r) = SemiSupervisedExperiment.Run(settings, create: o => new MnistConvM2(o));
        output.WriteLine($"conv M2 {100 * r.M2Error:F2} %, labels only {100 * r.BaselineError:F2} %, {r.Seconds:F0} s");
        Assert.True(r.M2Error < 0.19, $"conv M2 test error {r.M2Error:P1} ≥ 19 % (measured 16.70 %)");
        Assert.True(r.M2Error < r.BaselineError - 0.02, $"conv M2 {r.M2Error:P1} is not 2 points below the labels-only classifier's {r.BaselineError:P1}");
    }
}
