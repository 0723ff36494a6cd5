using CommunityToolkit.HighPerformance;
using GenDsl.Data;
using GenDsl.Models;
using GenDsl.Threading;
using Xunit.Abstractions;

namespace GenDsl.Models.Tests.ImageToImage;

/// <summary>
/// The image-to-image tasks (models/ImageToImageExperiment.cs): the condition/target split against naive loops, the
/// eight models of models/ImageToImageModels.cs through the common face (shapes, ranges, draws that differ, seeds that
/// repeat), the metrics against direct computations, and — on a small budget — the regressor learning super-resolution.
/// </summary>
public class ImageToImageTests(ITestOutputHelper output)
{
    private static float[] TestImage(int seed)
    {
        var rng = new Random(seed);
        var image = new float[784];
        for (int i = 0; i < image.Length; i++) image[i] = rng.Next(256) / 255f;
        return image;
    }

    [Fact]
    public void SuperResolutionConditionIsTheFourByFourBlockMean()
    {
        var image = TestImage(1);
        var y = new float[49];
        var x = new float[784];
        Models.ImageToImage.Split(ImageTask.SuperResolution, image, y, x);
        Assert.Equal(image, x);
        for (int by = 0; by < 7; by++)
            for (int bx = 0; bx < 7; bx++)
            {
                double sum = 0;
                for (int r = 0; r < 4; r++)
                    for (int c = 0; c < 4; c++)
                        sum += image[(4 * by + r) * 28 + 4 * bx + c];
                Assert.Equal(sum / 16, y[by * 7 + bx], 1e-6);
            }
        var shown = new float[784];
        Models.ImageToImage.ShowCondition(ImageTask.SuperResolution, y, shown);
        Assert.Equal(y[3 * 7 + 5], shown[(3 * 4 + 2) * 28 + 5 * 4 + 1]);
        var composed = new float[784];
        Models.ImageToImage.Compose(ImageTask.SuperResolution, y, x, composed);
        Assert.Equal(image, composed);
    }

    [Fact]
    public void InpaintingSplitsTheHalvesAndComposesThemBack()
    {
        var image = TestImage(2);
        var y = new float[392];
        var x = new float[392];
        Models.ImageToImage.Split(ImageTask.Inpainting, image, y, x);
        for (int p = 0; p < 392; p++)
        {
            Assert.Equal(image[p], y[p]);
            Assert.Equal(image[392 + p], x[p]);
        }
        var composed = new float[784];
        Models.ImageToImage.Compose(ImageTask.Inpainting, y, x, composed);
        Assert.Equal(image, composed);
    }

    [Fact]
    public void MakeRefusesRowsThatAreNot28By28()
    {
        var e = Assert.Throws<ArgumentException>(() => Models.ImageToImage.Make(ImageTask.Inpainting, Digits.Load()));
        Assert.Contains("784 columns", e.Message);
        Assert.Contains("64", e.Message);
    }

    [Fact]
    public void RoughnessMatchesADirectSum()
    {
        var image = TestImage(3);
        double sum = 0;
        int pairs = 0;
        for (int r = 0; r < 14; r++)
            for (int c = 0; c < 28; c++)
            {
                if (c < 27) { sum += Math.Pow(image[r * 28 + c + 1] - image[r * 28 + c], 2); pairs++; }
                if (r < 13) { sum += Math.Pow(image[(r + 1) * 28 + c] - image[r * 28 + c], 2); pairs++; }
            }
        Assert.Equal(sum / pairs, Models.ImageToImage.Roughness(image, 14), 1e-9);
    }

    public static TheoryData<ImageTask, CompletionModel> Every()
    {
        var data = new TheoryData<ImageTask, CompletionModel>();
        foreach (var t in Enum.GetValues<ImageTask>())
            foreach (var k in Enum.GetValues<CompletionModel>())
                data.Add(t, k);
        return data;
    }

    private static readonly Lazy<(Dataset X, float[] Y)[]> s_small = new(() =>
    {
        var images = Mnist.Load().Data[..(256 * 784)];
        var labels = Mnist.Load().Labels[..256].ToArray();
        var set = new Dataset(images, 256, 784, labels, "mnist-256");
        return [Models.ImageToImage.Make(ImageTask.SuperResolution, set), Models.ImageToImage.Make(ImageTask.Inpainting, set)];
    });

    /// <summary>Every model trains a few steps with finite losses, draws pixels in [0, 1] of the target's shape, different draws (the generative ones) or equal ones (the regressor), and repeats bit for bit from its seed on 1 and 2 threads.</summary>
    [Theory]
    [MemberData(nameof(Every))]
    public void EveryModelTrainsDrawsAndRepeatsFromItsSeed(ImageTask task, CompletionModel kind)
    {
        var (x, y) = s_small.Value[(int)task];
        int dx = Models.ImageToImage.TargetSize(task), dy = Models.ImageToImage.ConditionSize(task);
        float[] Run(int threads)
        {
            using var pool = new WorkerPool(threads);
            var m = Models.ImageToImage.Create(task, kind, seed: 3, maxBatch: 64, pool: pool);
            float loss = Models.ImageToImage.Train(m, x, y, steps: 3, seed: 4);
            Assert.True(float.IsFinite(loss), $"{kind}: loss {loss}");
            var draws = new float[2 * 5 * dx];
            var rng = new Rng(9);
            var cond = new ReadOnlySpan2D<float>(y, 0, 5, dy, 0);
            m.Draw(cond, new Span2D<float>(draws, 0, 5, dx, 0), rng);
            m.Draw(cond, new Span2D<float>(draws, 5 * dx, 5, dx, 0), rng);
            return draws;
        }
        var one = Run(1);
        Assert.All(one, v => Assert.InRange(v, 0f, 1f));
        bool differ = false;
        for (int i = 0; i < 5 * dx; i++) differ |= one[i] != one[5 * dx + i];
        Assert.Equal(kind != CompletionModel.Regressor, differ);
        Assert.Equal(one, Run(2));
    }

    /// <summary>Evaluate's MSE of the regressor is the generated MeanSquaredError; its variance is 0; a generative model's variance is the per-pixel variance of its draws.</summary>
    [Fact]
    public void EvaluateAgreesWithTheModelsOwnMeanSquaredError()
    {
        var (x, y) = s_small.Value[1];
        var m = Models.ImageToImage.Create(ImageTask.Inpainting, CompletionModel.Regressor, seed: 2, maxBatch: 256);
        Models.ImageToImage.Train(m, x, y, steps: 20, seed: 2);
        var scores = Models.ImageToImage.Evaluate(m, x, y, classifier: null, draws: 2);
        double direct = ((IRegressorModel)m.Model).MeanSquaredError(x.AsSpan2D(), new ReadOnlySpan2D<float>(y, x.Rows, 392));
        Assert.Equal(direct, scores.MeanSquaredError, 1e-6);
        Assert.Equal(0, scores.SampleVariance);
        Assert.True(double.IsNaN(scores.TrueClass));

        var cvae = Models.ImageToImage.Create(ImageTask.Inpainting, CompletionModel.Cvae, seed: 2, maxBatch: 256);
        Models.ImageToImage.Train(cvae, x, y, steps: 5, seed: 2);
        var v = Models.ImageToImage.Evaluate(cvae, x, y, null, draws: 3, rows: 64, seed: 5);
        // the same draws, by hand
        var draws = new float[3 * 64 * 392];
        var rng = new Rng(5, stream: 29);
        for (int s = 0; s < 3; s++)
            cvae.Draw(new ReadOnlySpan2D<float>(y, 0, 64, 392, 0), new Span2D<float>(draws, s * 64 * 392, 64, 392, 0), rng);
        double variance = 0;
        for (int i = 0; i < 64 * 392; i++)
        {
            double mean = (draws[i] + draws[64 * 392 + i] + draws[2 * 64 * 392 + i]) / 3.0;
            for (int s = 0; s < 3; s++) variance += Math.Pow(draws[s * 64 * 392 + i] - mean, 2) / 2;
        }
        Assert.Equal(variance / (64 * 392), v.SampleVariance, 1e-9);
        Assert.True(v.SampleVariance > 0);
    }

    /// <summary>
    /// The regressor learns super-resolution on MNIST in 400 steps: its held-out MSE is below that of the condition
    /// itself drawn as 4×4 blocks (the upsampling baseline), and its answers are blurred — rougher than the blocks
    /// cannot be, smoother than the truth (sharpness below 1). Budget: a few seconds.
    /// </summary>
    [Fact]
    public void TheRegressorLearnsSuperResolutionAndIsBlurred()
    {
        var (train, test) = Mnist.Load().Split(0.2, 20_240_607);
        var (x, y) = Models.ImageToImage.Make(ImageTask.SuperResolution, train);
        var (tx, ty) = Models.ImageToImage.Make(ImageTask.SuperResolution, test);
        var m = Models.ImageToImage.Create(ImageTask.SuperResolution, CompletionModel.Regressor, seed: 1);
        Models.ImageToImage.Train(m, x, y, steps: 400, seed: 1);
        var s = Models.ImageToImage.Evaluate(m, tx, ty, null, draws: 2);
        double blocks = 0;
        var shown = new float[784];
        for (int r = 0; r < tx.Rows; r++)
        {
            Models.ImageToImage.ShowCondition(ImageTask.SuperResolution, ty.AsSpan(r * 49, 49), shown);
            var truth = tx.Row(r);
            for (int p = 0; p < 784; p++) blocks += Math.Pow(shown[p] - truth[p], 2);
        }
        blocks /= tx.Rows * 784.0;
        output.WriteLine($"regressor MSE {s.MeanSquaredError:F4} (4×4 blocks {blocks:F4}), sharpness {s.Sharpness:F3}");
        Assert.True(s.MeanSquaredError < 0.8 * blocks, $"MSE {s.MeanSquaredError} against the blocks' {blocks}");
        Assert.InRange(s.Sharpness, 0.05, 0.6);
    }
}
