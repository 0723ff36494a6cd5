using CommunityToolkit.HighPerformance;
using GenDsl.Models.Tests.ConvNets;
using GenDsl.Models.Tests.Networks;
using GenDsl.Threading;
using Xunit.Abstractions;

namespace GenDsl.Models.Tests.Regressors;

/// <summary>
/// The [Regressor] declarations of TestRegressors.cs against a double-precision reference built layer by layer from
/// their tensor tables: the reference's gradient of the mean squared error against central finite differences; the
/// generated Backward (loss, every gradient, the batch norm's running statistics) against the reference; Predict and
/// MeanSquaredError (eval mode) against it; and what a regressor is for the course: trained on answers that split in
/// two, it answers their mean, which no example is near.
/// </summary>
public class RegressorTests(ITestOutputHelper output)
{
    private const ulong Seed = 5;

    private static ModelOptions Options(WorkerPool? pool = null) => new() { MaxBatch = 8, Seed = Seed, Pool = pool };

    internal sealed record Case(IRegressorModel Model, RefNetwork Ref, int Rows);

    internal static Case Make(string name, WorkerPool? pool = null)
    {
        switch (name)
        {
            case nameof(DenseRegressor):
            {
                var m = new DenseRegressor(Options(pool));
                return new Case(m, new RefNetwork(m, RefShape.Vector(3))
                    .Dense("P1", 7, Activation.Tanh)
                    .Dense("P2", 6, Activation.LeakyRelu)
                    .Dense("predictor.head", 5, Activation.Sigmoid), 6);
            }
            case nameof(ConvRegressor):
            {
                var m = new ConvRegressor(Options(pool));
                return new Case(m, new RefNetwork(m, RefShape.Vector(9))
                    .Dense("P1", 27, Activation.LeakyRelu)
                    .Unflatten(3, 3, 3)
                    .BatchNorm("P3", Activation.Relu)
                    .ConvTranspose("P4", 1, 3, 1, 0, 0, Activation.Sigmoid), 5);
            }
            case nameof(LinearRegressor):
            {
                var m = new LinearRegressor(Options(pool));
                return new Case(m, new RefNetwork(m, RefShape.Vector(4)).Dense("predictor.head", 2, Activation.Identity), 4);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, "no such test regressor");
        }
    }

    /// <summary>Random non-zero parameters (batch norms' γ around 1), a target batch x and inputs y.</summary>
    private static (float[] X, float[] Y) Setup(Case c, int rows, ulong seed = 31)
    {
        var m = c.Model;
        var rng = new Rng(seed, 4);
        rng.FillNormal(m.Parameters.Span, 0f, 0.6f);
        foreach (var t in m.Tensors.Where(t => t.Name.EndsWith(".running_mean", StringComparison.Ordinal)))
        {
            var gamma = m.Tensors.Single(g => g.Name == t.Name[..^".running_mean".Length] + ".weight");
            rng.FillUniform(m.Parameters.Span.Slice(gamma.Offset, gamma.Length), 0.5f, 1.5f);
        }
        var x = new float[rows * m.Features];
        var y = new float[rows * m.ConditionSize];
        rng.FillUniform(x, 0f, 1f);
        rng.FillNormal(y, 0f, 1f);
        return (x, y);
    }

    /// <summary>The reference loss 1/(rows·D)·Σ(f(y) − x)²; with <paramref name="gradient"/>, its gradient added into a.G.</summary>
    private static double ReferenceLoss(RefNetwork net, RefArena a, double[,] x, double[,] y, RefPass pass, bool gradient)
    {
        var f = net.Forward(a, y, pass);
        int rows = x.GetLength(0), d = x.GetLength(1);
        double loss = 0;
        var g = new double[rows, d];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < d; j++)
            {
                double e = f[r, j] - x[r, j];
                loss += e * e;
                g[r, j] = 2 * e / (rows * d);
            }
        if (gradient)
            net.Backward(a, g, parameterGradients: true);
        return loss / (rows * d);
    }

    public static TheoryData<string> Names => new() { nameof(DenseRegressor), nameof(ConvRegressor), nameof(LinearRegressor) };

    [Theory]
    [MemberData(nameof(Names))]
    public void ReferenceGradientsMatchFiniteDifferences(string name)
    {
        var c = Make(name);
        var (x, y) = Setup(c, c.Rows);
        ConvCheck.CoversEveryTensor(c.Model, c.Ref);
        var a = RefArena.Of(c.Model);
        var buffers = (double[])a.Buffers.Clone();
        var xd = RefNet.To2D(x, c.Rows, c.Model.Features);
        var yd = RefNet.To2D(y, c.Rows, c.Model.ConditionSize);
        ReferenceLoss(c.Ref, a, xd, yd, RefPass.Batch, gradient: true);
        var p = (double[])a.P.Clone();
        ConvCheck.FiniteDifferences(c.Model, c.Ref.TensorNames,
            q => ReferenceLoss(c.Ref, new RefArena(q, buffers), xd, yd, RefPass.Batch, gradient: false), a.G, p, 1e-6, output, name + " mean squared error");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void GeneratedBackwardMatchesReference(string name)
    {
        var c = Make(name);
        var (x, y) = Setup(c, c.Rows);
        var a = RefArena.Of(c.Model);
        double expected = ReferenceLoss(c.Ref, a, RefNet.To2D(x, c.Rows, c.Model.Features), RefNet.To2D(y, c.Rows, c.Model.ConditionSize), RefPass.Train, gradient: true);
        float loss = c.Model.TrainStep(new ReadOnlySpan2D<float>(x, c.Rows, c.Model.Features), new ReadOnlySpan2D<float>(y, c.Rows, c.Model.ConditionSize), new NoStep(c.Model));

        double worstLoss = ConvCheck.Close(expected, loss, 1e-5, "loss");
        double worst = 0;
        foreach (var t in ConvCheck.Learned(c.Model))
            worst = Math.Max(worst, ConvCheck.Close(ConvCheck.Slice(a.G, t), ConvCheck.Slice(c.Model.Gradients.Span, t), 1e-5, $"{name}: gradient of {t.Name}"));
        double worstBuffer = 0;
        foreach (var t in ConvCheck.Buffers(c.Model))
            worstBuffer = Math.Max(worstBuffer, ConvCheck.Close(ConvCheck.Slice(a.Buffers, t), ConvCheck.Slice(c.Model.Buffers.Span, t), 1e-5, $"{name}: {t.Name} after the step"));
        output.WriteLine($"{name}: loss {loss} vs {expected} ({worstLoss:g3}); gradients {worst:g3}; running statistics {worstBuffer:g3}");
    }

    /// <summary>Predict (running statistics) and MeanSquaredError over 19 rows, 8 at a time, against the reference in eval mode.</summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void PredictAndMeanSquaredErrorMatchReference(string name)
    {
        var c = Make(name);
        var (x0, y0) = Setup(c, c.Rows);
        c.Model.TrainStep(new ReadOnlySpan2D<float>(x0, c.Rows, c.Model.Features), new ReadOnlySpan2D<float>(y0, c.Rows, c.Model.ConditionSize), new NoStep(c.Model)); // moves the running statistics
        const int rows = 19;
        var rng = new Rng(77, 1);
        var x = new float[rows * c.Model.Features];
        var y = new float[rows * c.Model.ConditionSize];
        rng.FillUniform(x, 0f, 1f);
        rng.FillNormal(y, 0f, 1f);
        var a = RefArena.Of(c.Model);
        var xd = RefNet.To2D(x, rows, c.Model.Features);
        var yd = RefNet.To2D(y, rows, c.Model.ConditionSize);
        var f = c.Ref.Forward(a, yd, RefPass.Eval);
        double expected = ReferenceLoss(c.Ref, a, xd, yd, RefPass.Eval, gradient: false);

        var predicted = new float[8 * c.Model.Features];
        for (int start = 0; start < rows; start += 8)
        {
            int n = Math.Min(8, rows - start);
            c.Model.Predict(new ReadOnlySpan2D<float>(y, start * c.Model.ConditionSize, n, c.Model.ConditionSize, 0), new Span2D<float>(predicted, n, c.Model.Features));
            for (int r = 0; r < n; r++)
                for (int j = 0; j < c.Model.Features; j++)
                    Assert.True(Math.Abs(predicted[r * c.Model.Features + j] - f[start + r, j]) <= 1e-5, $"{name}: Predict row {start + r} column {j}: {predicted[r * c.Model.Features + j]} vs the reference's {f[start + r, j]}");
        }
        double mse = c.Model.MeanSquaredError(new ReadOnlySpan2D<float>(x, rows, c.Model.Features), new ReadOnlySpan2D<float>(y, rows, c.Model.ConditionSize));
        ConvCheck.Close(expected, mse, 1e-5, "MeanSquaredError");
        output.WriteLine($"{name}: MeanSquaredError {mse} vs {expected}");
    }

    /// <summary>
    /// The course's point: each y (one of 3 classes) has two equally likely answers x = c_y ± 0.3 (every feature), half
    /// of each class's rows in every batch. Trained by the mean squared error, the regressor answers c_y, their mean
    /// (within 0.02), which is 0.3 from every training answer.
    /// </summary>
    [Fact]
    public void LearnsTheConditionalMeanWhichNoExampleIsNear()
    {
        const int rows = 60; // 20 rows per class, 10 with each answer
        var m = new DenseRegressor(new ModelOptions { MaxBatch = rows, Seed = 3 });
        var adam = new Adam(m, 1e-2f);
        float[] centre = [0.3f, 0.5f, 0.7f];
        var x = new float[rows * 5];
        var y = new float[rows * 3];
        for (int r = 0; r < rows; r++)
        {
            int k = r % 3;
            y[r * 3 + k] = 1f;
            float answer = centre[k] + ((r / 3) % 2 == 0 ? -0.3f : 0.3f);
            for (int j = 0; j < 5; j++) x[r * 5 + j] = answer;
        }
        float loss = 0;
        for (int step = 0; step < 1500; step++)
            loss = m.TrainStep(new ReadOnlySpan2D<float>(x, rows, 5), new ReadOnlySpan2D<float>(y, rows, 3), adam);
        output.WriteLine($"mean squared error after 1500 steps: {loss:F5} (0.09 is the conditional mean's: the answers' variance)");
        Assert.InRange(loss, 0.09f, 0.092f);
        var oneHot = new float[3 * 3];
        for (int k = 0; k < 3; k++) oneHot[k * 3 + k] = 1f;
        var predicted = new float[3 * 5];
        m.Predict(new ReadOnlySpan2D<float>(oneHot, 3, 3), new Span2D<float>(predicted, 3, 5));
        for (int k = 0; k < 3; k++)
            for (int j = 0; j < 5; j++)
            {
                float p = predicted[k * 5 + j];
                output.WriteLine($"y = {k}: x̂_{j} = {p:F4} (mean {centre[k]}, answers {centre[k] - 0.3f} and {centre[k] + 0.3f})");
                Assert.True(Math.Abs(p - centre[k]) < 0.02f, $"y = {k}: x̂_{j} = {p}, the conditional mean is {centre[k]}");
            }
    }

    [Theory]
    [InlineData(nameof(DenseRegressor))]
    [InlineData(nameof(ConvRegressor))]
    public void TrainStepAndPredictAllocateNothing(string name)
    {
        var c = Make(name);
        var (x, y) = Setup(c, c.Rows);
        var adam = new Adam(c.Model, 1e-3f);
        var predicted = new float[c.Rows * c.Model.Features];
        void Step() => c.Model.TrainStep(new ReadOnlySpan2D<float>(x, c.Rows, c.Model.Features), new ReadOnlySpan2D<float>(y, c.Rows, c.Model.ConditionSize), adam);
        void Predict() => c.Model.Predict(new ReadOnlySpan2D<float>(y, c.Rows, c.Model.ConditionSize), new Span2D<float>(predicted, c.Rows, c.Model.Features));
        for (int i = 0; i < 3; i++) { Step(); Predict(); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) Step();
        long afterTrain = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) Predict();
        long afterPredict = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, afterTrain - before);
        Assert.Equal(0, afterPredict - afterTrain);
    }

    [Theory]
    [InlineData(nameof(DenseRegressor))]
    [InlineData(nameof(ConvRegressor))]
    public void SameSeedGivesBitIdenticalParametersOnOneAndTwoThreads(string name)
    {
        float[] Run(int threads)
        {
            using var pool = new WorkerPool(threads);
            var c = Make(name, pool);
            var (x, y) = Setup(c, c.Rows);
            var adam = new Adam(c.Model, 1e-2f);
            for (int i = 0; i < 5; i++)
                c.Model.TrainStep(new ReadOnlySpan2D<float>(x, c.Rows, c.Model.Features), new ReadOnlySpan2D<float>(y, c.Rows, c.Model.ConditionSize), adam);
            return c.Model.Parameters.ToArray().Concat(c.Model.Buffers.ToArray()).ToArray();
        }
        Assert.Equal(Run(1), Run(2));
    }

    [Fact]
    public void BadBatchesGetErrorsThatNameTheArgumentAndTheFix()
    {
        var m = new DenseRegressor(new ModelOptions { MaxBatch = 4, Seed = 1 });
        var adam = new Adam(m, 1e-3f);
        var x = new float[4 * 5];
        var y = new float[4 * 3];
        var e = Assert.Throws<ArgumentException>(() => m.TrainStep(new ReadOnlySpan2D<float>(x, 4, 5), new ReadOnlySpan2D<float>(y, 3, 4), adam));
        Assert.Contains("y is 3×4 but must be 4×3", e.Message);
        e = Assert.Throws<ArgumentException>(() => m.TrainStep(new ReadOnlySpan2D<float>(new float[4 * 6], 4, 6), new ReadOnlySpan2D<float>(y, 4, 3), adam));
        Assert.Contains("x has 6 columns but DenseRegressor expects 5", e.Message);
        e = Assert.Throws<ArgumentException>(() => m.Predict(new ReadOnlySpan2D<float>(new float[5 * 3], 5, 3), new Span2D<float>(new float[5 * 5], 5, 5)));
        Assert.Contains("MaxBatch = 4", e.Message);
        e = Assert.Throws<ArgumentException>(() => m.Predict(new ReadOnlySpan2D<float>(y, 4, 3), new Span2D<float>(new float[3 * 5], 3, 5)));
        Assert.Contains("x is 3×5 but must be 4×5", e.Message);
        y[7] = float.NaN;
        e = Assert.Throws<ArgumentException>(() => m.Predict(new ReadOnlySpan2D<float>(y, 4, 3), new Span2D<float>(new float[4 * 5], 4, 5)));
        Assert.Contains("NaN", e.Message);
        Assert.Throws<ArgumentNullException>(() => m.TrainStep(new ReadOnlySpan2D<float>(x, 4, 5), new ReadOnlySpan2D<float>(new float[12], 4, 3), null!));
        e = Assert.Throws<ArgumentException>(() => m.MeanSquaredError(new ReadOnlySpan2D<float>(new float[10 * 5], 10, 5), new ReadOnlySpan2D<float>(new float[9 * 3], 9, 3)));
        Assert.Contains("y is 9×3 but must be 10×3", e.Message);
    }

    [Fact]
    public void SavedParametersAndRunningStatisticsLoadBackAndAnotherDeclarationIsRefused()
    {
        var c = Make(nameof(ConvRegressor));
        var (x, y) = Setup(c, c.Rows);
        c.Model.TrainStep(new ReadOnlySpan2D<float>(x, c.Rows, 25), new ReadOnlySpan2D<float>(y, c.Rows, 9), new Adam(c.Model, 1e-2f));
        string dir = Directory.CreateTempSubdirectory("gendsl-regressor-").FullName;
        try
        {
            string path = Path.Combine(dir, "r.safetensors");
            c.Model.Save(path, step: 12);
            var loaded = new ConvRegressor(new ModelOptions { MaxBatch = 8, Seed = 99 });
            Assert.Equal(12, loaded.Load(path));
            var a = new float[c.Rows * 25];
            var b = new float[c.Rows * 25];
            c.Model.Predict(new ReadOnlySpan2D<float>(y, c.Rows, 9), new Span2D<float>(a, c.Rows, 25));
            loaded.Predict(new ReadOnlySpan2D<float>(y, c.Rows, 9), new Span2D<float>(b, c.Rows, 25));
            Assert.Equal(a, b);
            var other = new DenseRegressor(Options());
            Assert.ThrowsAny<Exception>(() => other.Load(path));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
