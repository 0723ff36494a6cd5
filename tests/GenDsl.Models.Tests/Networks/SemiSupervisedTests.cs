using CommunityToolkit.HighPerformance;

namespace GenDsl.Models.Tests.Networks;

/// <summary>A small M2: 6 features, z of 3, 3 classes, one hidden layer per network.</summary>
[SemiSupervisedVae(Features = 6, Latent = 3, Classes = 3, Alpha = 0.7f)]
public sealed partial class TinyM2
{
    [Encoder, Dense(5, Activation.Tanh)] public partial Dense E1 { get; }
    [Decoder, Dense(4, Activation.Softplus)] public partial Dense D1 { get; }
    [Classifier, Dense(5, Activation.Tanh)] public partial Dense C1 { get; }
}

/// <summary>TinyM2 with a declared ClassifierNoise (training-time Gaussian noise on the classifier's input).</summary>
[SemiSupervisedVae(Features = 6, Latent = 3, Classes = 3, Alpha = 0.7f, ClassifierNoise = 0.25f)]
public sealed partial class TinyNoisyM2
{
    [Encoder, Dense(5, Activation.Tanh)] public partial Dense E1 { get; }
    [Decoder, Dense(4, Activation.Softplus)] public partial Dense D1 { get; }
    [Classifier, Dense(5, Activation.Tanh)] public partial Dense C1 { get; }
}

/// <summary>
/// The generated M2 (<c>[SemiSupervisedVae]</c>) against a double-precision reference of the same objective
/// (same parameters, same ε), differentiated by central finite differences; the marginalised bound against
/// an explicit sum over the classes; allocation and determinism.
/// </summary>
public class SemiSupervisedTests
{
    private const ulong Seed = 5;
    private const int D = 6, Z = 3, K = 3;

    private static readonly string[] EncoderNames = { "E1", "encoder.head" };
    private static readonly Activation[] EncoderActs = { Activation.Tanh, Activation.Identity };
    private static readonly string[] DecoderNames = { "D1", "decoder.head" };
    private static readonly Activation[] DecoderActs = { Activation.Softplus, Activation.Identity };
    private static readonly string[] ClassifierNames = { "C1", "classifier.head" };
    private static readonly Activation[] ClassifierActs = { Activation.Tanh, Activation.Identity };

    private static (float[] X, float[] Y) Data(Rng rng, int rows)
    {
        var x = new float[rows * D];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextUniform() < 0.4f ? 1f : rng.NextUniform() * 0.3f;
        return (x, x);
    }

    /// <summary>The objective in double: (total, labelled −ELBO mean, classification mean, unlabelled U mean).</summary>
    private static (double Total, double Labelled, double Classification, double Unlabelled) Reference(
        IGenerativeModel model, double[] p, double[,] xl, int[] labels, double[,] xu, double[,] eps, double alpha,
        double[,]? classifierXl = null, double[,]? classifierXu = null)
    {
        var enc = new RefNet(model, EncoderNames, EncoderActs);
        var dec = new RefNet(model, DecoderNames, DecoderActs);
        var cls = new RefNet(model, ClassifierNames, ClassifierActs);
        int nl = xl.GetLength(0), nu = xu.GetLength(0);

        double[,] LogSoftmax(double[,] x)
        {
            var a = cls.Forward(p, x).Last();
            var lp = new double[x.GetLength(0), K];
            for (int r = 0; r < x.GetLength(0); r++)
            {
                double max = double.NegativeInfinity;
                for (int k = 0; k < K; k++) max = Math.Max(max, a[r, k]);
                double s = 0;
                for (int k = 0; k < K; k++) s += Math.Exp(a[r, k] - max);
                for (int k = 0; k < K; k++) lp[r, k] = a[r, k] - max - Math.Log(s);
            }
            return lp;
        }

        // −ELBO(x, y) of one row with the ε of encoder row e.
        double NegElbo(double[,] x, int r, int y, int e)
        {
            var input = new double[1, D + K];
            for (int j = 0; j < D; j++) input[0, j] = x[r, j];
            input[0, D + y] = 1;
            var head = enc.Forward(p, input).Last();
            var zin = new double[1, Z + K];
            double kl = 0;
            for (int j = 0; j < Z; j++)
            {
                double mu = head[0, j], lv = head[0, Z + j];
                zin[0, j] = mu + Math.Exp(0.5 * lv) * eps[e, j];
                kl += 0.5 * (mu * mu + Math.Exp(lv) - lv - 1);
            }
            zin[0, Z + y] = 1;
            var o = dec.Forward(p, zin).Last();
            double rec = 0;
            for (int j = 0; j < D; j++) rec += RefNet.Softplus(o[0, j]) - x[r, j] * o[0, j];
            return rec + kl + Math.Log(K);
        }

        double labelled = 0, classification = 0, unlabelled = 0;
        if (nl > 0)
        {
            var lpl = LogSoftmax(classifierXl ?? xl);
            for (int r = 0; r < nl; r++)
            {
                labelled += NegElbo(xl, r, labels[r], r);
                classification -= lpl[r, labels[r]];
            }
            labelled /= nl;
            classification /= nl;
        }
        if (nu > 0)
        {
            var lpu = LogSoftmax(classifierXu ?? xu);
            for (int u = 0; u < nu; u++)
                for (int y = 0; y < K; y++)
                {
                    double q = Math.Exp(lpu[u, y]);
                    unlabelled += q * (NegElbo(xu, u, y, nl + u * K + y) + lpu[u, y]);
                }
            unlabelled /= nu;
        }
        return (labelled + alpha * classification + unlabelled, labelled, classification, unlabelled);
    }

    [Theory]
    [InlineData(4, 3)] // both kinds of rows
    [InlineData(5, 0)] // labelled rows only
    [InlineData(0, 4)] // unlabelled rows only
    public void LossAndGradientsMatchDoublePrecisionReference(int nl, int nu)
    {
        var model = new TinyM2(new ModelOptions { MaxBatch = 8, Seed = Seed });
        var rng = new Rng(17, 3);
        rng.FillNormal(model.Parameters.Span, 0f, 0.5f); // larger than the default init: exercises the nonlinearities
        var (xl, _) = Data(rng, nl);
        var (xu, _) = Data(rng, nu);
        var labels = new int[nl];
        for (int r = 0; r < nl; r++) labels[r] = r % K;

        // ε as the model draws it: Rng(Seed, stream 1), one fill of (L + K·U) × Latent, encoder rows in order.
        int rows = nl + K * nu;
        var eps = new float[rows * Z];
        new Rng(Seed, 1).FillNormal(eps);

        var loss = model.Backward(new ReadOnlySpan2D<float>(xl, nl, nl == 0 ? 0 : D), labels, new ReadOnlySpan2D<float>(xu, nu, nu == 0 ? 0 : D));
        var p = RefNet.ToDouble(model.Parameters.Span);
        var xld = RefNet.To2D(xl, nl, D);
        var xud = RefNet.To2D(xu, nu, D);
        var ed = RefNet.To2D(eps, rows, Z);
        double alpha = model.Alpha;
        Assert.Equal(0.7f, model.Alpha);
        var expected = Reference(model, p, xld, labels, xud, ed, alpha);

        void Close(double e, float a, string what) =>
            Assert.True(Math.Abs(a - e) <= 1e-4 * Math.Max(1, Math.Abs(e)), $"{what}: {a} vs reference {e}");
        Close(expected.Total, loss.Loss, "loss");
        Close(expected.Labelled, loss.Labelled, "labelled −ELBO");
        Close(expected.Classification, loss.Classification, "classification");
        Close(expected.Unlabelled, loss.Unlabelled, "unlabelled U");

        var g = RefNet.ToDouble(model.Gradients.Span);
        foreach (var t in TinyM2.Tensors)
        {
            var fd = new double[t.Length];
            for (int i = 0; i < t.Length; i++)
                fd[i] = RefNet.FiniteDifference(q => Reference(model, q, xld, labels, xud, ed, alpha).Total, p, t.Offset + i);
            RefNet.AssertClose(fd, g.AsSpan(t.Offset, t.Length).ToArray(), 2e-3, $"gradient of {t.Name} (L = {nl}, U = {nu})");
        }
    }

    /// <summary>
    /// With ClassifierNoise σ, the classifier of a training step sees x + σ·n (n from the training stream, Seed stream 1:
    /// labelled rows, then unlabelled rows, one fill per row, before ε) while the encoder and decoder see x; the loss and
    /// every gradient match the double reference with those inputs, by finite differences.
    /// </summary>
    [Theory]
    [InlineData(4, 3)]
    [InlineData(0, 4)]
    public void ClassifierNoiseEntersOnlyTheClassifierAndItsGradientsAreExact(int nl, int nu)
    {
        var model = new TinyNoisyM2(new ModelOptions { MaxBatch = 8, Seed = Seed });
        Assert.Equal(0.25f, model.ClassifierNoise); // the declaration's
        Assert.Equal(0.25f, TinyNoisyM2.DeclaredClassifierNoise);
        var rng = new Rng(21, 3);
        rng.FillNormal(model.Parameters.Span, 0f, 0.5f);
        var (xl, _) = Data(rng, nl);
        var (xu, _) = Data(rng, nu);
        var labels = new int[nl];
        for (int r = 0; r < nl; r++) labels[r] = (r + 1) % K;

        var stream = new Rng(Seed, 1);
        var noisyL = Noisy(xl, nl, stream, 0.25f);
        var noisyU = Noisy(xu, nu, stream, 0.25f);
        int rows = nl + K * nu;
        var eps = new float[rows * Z];
        stream.FillNormal(eps);

        var loss = model.Backward(new ReadOnlySpan2D<float>(xl, nl, nl == 0 ? 0 : D), labels, new ReadOnlySpan2D<float>(xu, nu, nu == 0 ? 0 : D));
        var p = RefNet.ToDouble(model.Parameters.Span);
        var xld = RefNet.To2D(xl, nl, D);
        var xud = RefNet.To2D(xu, nu, D);
        var ed = RefNet.To2D(eps, rows, Z);
        var nld = RefNet.To2D(noisyL, nl, D);
        var nud = RefNet.To2D(noisyU, nu, D);
        double Objective(double[] q) => Reference(model, q, xld, labels, xud, ed, model.Alpha, nld, nud).Total;
        var expected = Reference(model, p, xld, labels, xud, ed, model.Alpha, nld, nud);
        var clean = Reference(model, p, xld, labels, xud, ed, model.Alpha);
        Assert.True(Math.Abs(loss.Loss - expected.Total) <= 1e-4 * Math.Max(1, Math.Abs(expected.Total)), $"loss {loss.Loss} vs reference {expected.Total}");
        Assert.True(Math.Abs(loss.Labelled - clean.Labelled) <= 1e-4 * Math.Max(1, clean.Labelled), "the labelled −ELBO uses the clean x");
        Assert.True(Math.Abs(expected.Total - clean.Total) > 1e-3, "the noise changes the objective (else this test checks nothing)");

        var g = RefNet.ToDouble(model.Gradients.Span);
        foreach (var t in TinyNoisyM2.Tensors)
        {
            var fd = new double[t.Length];
            for (int i = 0; i < t.Length; i++)
                fd[i] = RefNet.FiniteDifference(Objective, p, t.Offset + i);
            RefNet.AssertClose(fd, g.AsSpan(t.Offset, t.Length).ToArray(), 2e-3, $"gradient of {t.Name} with classifier noise (L = {nl}, U = {nu})");
        }
    }

    /// <summary>x + σ·n row by row from <paramref name="stream"/>, as the generated SetClassifierRows draws it.</summary>
    private static float[] Noisy(float[] x, int rows, Rng stream, float sigma)
    {
        var noisy = new float[x.Length];
        for (int r = 0; r < rows; r++)
        {
            var row = noisy.AsSpan(r * D, D);
            stream.FillNormal(row, 0f, sigma);
            for (int j = 0; j < D; j++) row[j] += x[r * D + j];
        }
        return noisy;
    }

    [Fact]
    public void ClassifierNoiseIsTrainingOnlyValidatedAndDrawsNothingAtZero()
    {
        var model = new TinyNoisyM2(new ModelOptions { MaxBatch = 8, Seed = Seed });
        var plain = new TinyM2(new ModelOptions { MaxBatch = 8, Seed = Seed }); // same layout, same initial parameters
        Assert.Equal(plain.Parameters.ToArray(), model.Parameters.ToArray());
        var (x, _) = Data(new Rng(4), 5);
        var xs = new ReadOnlySpan2D<float>(x, 5, D);
        var a = new float[5 * K];
        var b = new float[5 * K];
        model.Classify(xs, new Span2D<float>(a, 5, K));
        plain.Classify(xs, new Span2D<float>(b, 5, K));
        Assert.Equal(b, a); // inference never adds noise
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ClassifierNoise = -0.1f);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ClassifierNoise = float.NaN);

        // σ = 0 draws nothing: the step is bit-identical to the noiseless model's and consumes only ε.
        var labels = new[] { 0, 1, 2, 0, 1 };
        model.ClassifierNoise = 0f;
        var l1 = model.Backward(xs, labels, xs);
        var l2 = plain.Backward(xs, labels, xs);
        Assert.Equal(l2, l1);
        Assert.Equal(plain.NoisePosition, model.NoisePosition);
        Assert.Equal(plain.Gradients.ToArray(), model.Gradients.ToArray());
        // σ > 0 draws 2·5·D more normals and changes the classifier's gradients.
        model.ClassifierNoise = 0.5f;
        plain.ClassifierNoise = 0f;
        model.Backward(xs, labels, xs);
        plain.Backward(xs, labels, xs);
        Assert.True(model.NoisePosition > plain.NoisePosition);
        Assert.NotEqual(plain.Gradients.ToArray(), model.Gradients.ToArray());
    }

    [Fact]
    public void MarginalisedBoundIsTheExplicitSumOverClasses()
    {
        var model = new TinyM2(new ModelOptions { MaxBatch = 16, Seed = Seed });
        var rng = new Rng(3, 3);
        rng.FillNormal(model.Parameters.Span, 0f, 0.5f);
        const int rows = 4;
        var (x, _) = Data(rng, rows);
        var xs = new ReadOnlySpan2D<float>(x, rows, D);

        ulong position = model.EvaluationNoisePosition;
        var marginal = new float[rows];
        model.Elbo(xs, marginal);

        // The same ε: each row repeated once per class, in the same (row, class) order, labelled with the class.
        model.EvaluationNoisePosition = position;
        var repeated = new float[rows * K * D];
        var classes = new int[rows * K];
        for (int u = 0; u < rows; u++)
            for (int y = 0; y < K; y++)
            {
                xs.GetRowSpan(u).CopyTo(repeated.AsSpan((u * K + y) * D, D));
                classes[u * K + y] = y;
            }
        var elbo = new float[rows * K];
        model.Elbo(new ReadOnlySpan2D<float>(repeated, rows * K, D), classes, elbo);
        var q = new float[rows * K];
        model.Classify(xs, new Span2D<float>(q, rows, K));

        for (int u = 0; u < rows; u++)
        {
            double sum = 0, entropy = 0, total = 0;
            for (int y = 0; y < K; y++)
            {
                double qy = q[u * K + y];
                total += qy;
                sum += qy * elbo[u * K + y];
                entropy -= qy * Math.Log(qy);
            }
            Assert.InRange(total, 1 - 1e-5, 1 + 1e-5);
            double expected = sum + entropy;
            Assert.True(Math.Abs(marginal[u] - expected) <= 1e-4 * Math.Max(1, Math.Abs(expected)),
                $"row {u}: −U(x) = {marginal[u]} but Σ_y q(y|x)·ELBO(x, y) + H = {expected}");
        }

        // (The unlabelled term of a training step is checked against the same explicit sum, with the training stream's ε,
        // in the finite-difference test above.)
    }

    [Fact]
    public void EvaluatingDuringTrainingLeavesTheRunUnchanged()
    {
        // Elbo draws its ε from the evaluation stream (Seed, stream 2): a run that evaluates every 5 steps trains
        // bit-identically to one that never evaluates, and replaying the evaluation stream replays Elbo.
        float[] Run(bool evaluate)
        {
            var model = new TinyM2(new ModelOptions { MaxBatch = 16, Seed = Seed });
            var adam = new Adam(model, 1e-3f);
            var rng = new Rng(12);
            var (xl, _) = Data(rng, 4);
            var (xu, _) = Data(rng, 8);
            var labels = new[] { 0, 1, 2, 0 };
            var l = new ReadOnlySpan2D<float>(xl, 4, D);
            var u = new ReadOnlySpan2D<float>(xu, 8, D);
            var losses = new float[20];
            var perRow = new float[8];
            for (int step = 0; step < losses.Length; step++)
            {
                losses[step] = model.TrainStep(l, labels, u, adam).Loss;
                if (evaluate && step % 5 == 0)
                {
                    ulong position = model.EvaluationNoisePosition;
                    model.Elbo(u, perRow);
                    var first = perRow.ToArray();
                    model.EvaluationNoisePosition = position;
                    model.Elbo(u, perRow);
                    Assert.Equal(first, perRow);
                    model.Elbo(l, labels, perRow.AsSpan(0, 4));
                }
            }
            return losses;
        }
        Assert.Equal(Run(evaluate: false), Run(evaluate: true));
    }

    [Fact]
    public void SteadyStateTrainStepAndClassifyAllocateNothing()
    {
        var model = new TinyM2(new ModelOptions { MaxBatch = 32, Seed = 1 }) { ClassifierNoise = 0.3f }; // the noise's draws too
        var adam = new Adam(model, learningRate: 1e-3f);
        var classifierAdam = new Adam(model.ClassifierPart, learningRate: 1e-3f);
        var rng = new Rng(9);
        var (xl, _) = Data(rng, 8);
        var (xu, _) = Data(rng, 32);
        var labels = new int[8];
        for (int r = 0; r < 8; r++) labels[r] = r % K;
        var probabilities = new float[32 * K];
        var predicted = new int[32];
        var samples = new float[8 * D];
        var perRow = new float[32];
        var l = new ReadOnlySpan2D<float>(xl, 8, D);
        var u = new ReadOnlySpan2D<float>(xu, 32, D);
        for (int i = 0; i < 3; i++)
        {
            model.TrainStep(l, labels, u, adam);
            model.TrainClassifier(l, labels, classifierAdam);
            model.Classify(u, new Span2D<float>(probabilities, 32, K));
            model.Predict(u, predicted);
            model.Sample(new Span2D<float>(samples, 8, D), labels, rng);
            model.Transfer(l, labels, new Span2D<float>(samples, 8, D), rng);
            model.Elbo(u, perRow);
        }
        long t0 = GC.GetAllocatedBytesForCurrentThread();
        model.TrainStep(l, labels, u, adam);
        long t1 = GC.GetAllocatedBytesForCurrentThread();
        model.Classify(u, new Span2D<float>(probabilities, 32, K));
        long t2 = GC.GetAllocatedBytesForCurrentThread();
        model.TrainClassifier(l, labels, classifierAdam);
        model.Predict(u, predicted);
        model.Sample(new Span2D<float>(samples, 8, D), labels, rng);
        model.Transfer(l, labels, new Span2D<float>(samples, 8, D), rng);
        model.Elbo(u, perRow);
        long t3 = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, t1 - t0);
        Assert.Equal(0, t2 - t1);
        Assert.Equal(0, t3 - t2);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.3f)] // with the classifier's input noise
    public void SameSeedGivesBitIdenticalTraining(float classifierNoise)
    {
        uint[] Run()
        {
            var model = new TinyM2(new ModelOptions { MaxBatch = 16, Seed = 42 }) { ClassifierNoise = classifierNoise };
            var adam = new Adam(model, learningRate: 1e-2f);
            var rng = new Rng(7);
            var (xl, _) = Data(rng, 6);
            var (xu, _) = Data(rng, 16);
            var labels = new int[] { 0, 1, 2, 0, 1, 2 };
            var losses = new List<float>();
            for (int i = 0; i < 20; i++)
                losses.Add(model.TrainStep(new ReadOnlySpan2D<float>(xl, 6, D), labels, new ReadOnlySpan2D<float>(xu, 16, D), adam).Loss);
            return losses.Concat(model.Parameters.ToArray()).Select(BitConverter.SingleToUInt32Bits).ToArray();
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void TrainClassifierChangesOnlyTheClassifier()
    {
        var model = new TinyM2(new ModelOptions { MaxBatch = 16, Seed = 3 });
        var before = model.Parameters.ToArray();
        var adam = new Adam(model.ClassifierPart, learningRate: 1e-2f);
        var rng = new Rng(4);
        var (xl, _) = Data(rng, 6);
        var labels = new int[] { 0, 1, 2, 0, 1, 2 };
        float first = model.TrainClassifier(new ReadOnlySpan2D<float>(xl, 6, D), labels, adam);
        float last = first;
        for (int i = 0; i < 200; i++)
            last = model.TrainClassifier(new ReadOnlySpan2D<float>(xl, 6, D), labels, adam);
        Assert.True(last < 0.5f * first, $"cross-entropy {first} → {last}");
        var after = model.Parameters.ToArray();
        int start = TinyM2.Tensors.Single(t => t.Name == "C1.weight").Offset;
        for (int i = 0; i < start; i++)
            Assert.Equal(before[i], after[i]);
    }

    [Fact]
    public void BadLabelsAndShapesAreNamed()
    {
        var model = new TinyM2(new ModelOptions { MaxBatch = 4, Seed = 3 });
        var x = new float[2 * D];
        var adam = new Adam(model);
        var e = Assert.Throws<ArgumentException>(() => model.TrainStep(new ReadOnlySpan2D<float>(x, 2, D), new[] { 0, 3 }, default, adam));
        Assert.Contains("labels[1] is 3: classes are 0…2", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.TrainStep(new ReadOnlySpan2D<float>(x, 2, D), new[] { 0 }, default, adam));
        Assert.Contains("labels has 1 labels but the batch has 2 rows", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.TrainStep(default, ReadOnlySpan<int>.Empty, default, adam));
        Assert.Contains("Both batches are empty", e.Message);
    }
}

/// <summary>A convolutional M2: y enters the conv encoder as constant channels; conv classifier with a batch norm.</summary>
[SemiSupervisedVae(Channels = 1, Height = 6, Width = 6, Latent = 2, Classes = 3, Alpha = 2f)]
public sealed partial class TinyConvM2
{
    [Encoder, Conv(3, 4, Stride = 2, Padding = 1, Activation = Activation.Tanh)] public partial Conv E1 { get; }
    [Decoder, Dense(2 * 3 * 3, Activation.Softplus)] public partial Dense D1 { get; }
    [Decoder, Unflatten(2, 3, 3)] public partial Reshape D2 { get; }
    [Decoder, ConvTranspose(1, 3, Stride = 2, Padding = 1, OutputPadding = 1, Activation = Activation.Identity)] public partial Conv D3 { get; }
    [Classifier, Conv(3, 4, Stride = 2, Padding = 1, Activation = Activation.Identity)] public partial Conv C1 { get; }
    [Classifier, BatchNorm(Activation = Activation.Tanh)] public partial BatchNorm C2 { get; }
    [Classifier, Dense(5, Activation.Tanh)] public partial Dense C3 { get; }
}

/// <summary>
/// The convolutional M2's gradients against central finite differences of its own loss (float, step 1e-2, the same
/// ε for every evaluation by resetting the noise position): every tensor, a few entries each.
/// </summary>
public class ConvSemiSupervisedTests
{
    [Fact]
    public void GradientsMatchFiniteDifferencesOfTheLoss()
    {
        const int d = 36, nl = 4, nu = 3;
        var model = new TinyConvM2(new ModelOptions { MaxBatch = 8, Seed = 2 });
        var rng = new Rng(11, 3);
        var x = new float[(nl + nu) * d];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextUniform() < 0.4f ? 1f : rng.NextUniform() * 0.3f;
        var labels = new[] { 0, 1, 2, 1 };
        var unlabelled = x.AsSpan(nl * d).ToArray();
        float Loss(ulong position)
        {
            model.NoisePosition = position;
            return model.Backward(new ReadOnlySpan2D<float>(x, nl, d), labels, new ReadOnlySpan2D<float>(unlabelled, nu, d)).Loss;
        }
        ulong start = model.NoisePosition;
        Loss(start);
        var g = model.Gradients.ToArray();
        var p = model.Parameters.Span;
        const float h = 1e-2f;
        int checkedEntries = 0;
        foreach (var t in TinyConvM2.Tensors.Where(t => !t.IsBuffer))
        {
            for (int k = 0; k < Math.Min(6, t.Length); k++)
            {
                int i = t.Offset + (int)((long)k * 7919 % t.Length);
                float saved = p[i];
                p[i] = saved + h;
                double up = Loss(start);
                p[i] = saved - h;
                double down = Loss(start);
                p[i] = saved;
                double fd = (up - down) / (2 * h);
                double err = Math.Abs(fd - g[i]);
                Assert.True(err <= 2e-2 * Math.Max(0.05, Math.Abs(fd)), $"{t.Name}[{i - t.Offset}]: finite difference {fd:G5}, gradient {g[i]:G5}");
                checkedEntries++;
            }
        }
        Assert.True(checkedEntries > 40);
    }
}
