// Issue #17's measurement: M2 (MnistM2) on the shipped MNIST with 10 labels per class, against the same classifier
// network trained on the labels alone, over several label draws. Prints a Markdown table (mean ± s.d.).
//
//   dotnet run -c Release --project tools/m2-mnist -- [--draws 3] [--steps 3000] [--labelled-batch 50]
//       [--unlabelled-batch 50] [--lr 0.001] [--alpha 10] [--baseline-steps 1000] [--labels-per-class 10] [--first-seed 1]
//       [--classifier-noise σ] [--binarize 1] [--final-lr-factor F] [--model mnist-m2|z8|z16|wide|bn|bn-wide|conv] [--report N]
using System.Globalization;
using GenDsl;
using GenDsl.Models;

var inv = CultureInfo.InvariantCulture;
var settings = new M2Settings();
int draws = 3;
string modelName = "mnist-m2";
int report = 1000;
ulong firstSeed = 1;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    string v = args[i + 1];
    switch (args[i])
    {
        case "--draws": draws = int.Parse(v, inv); break;
        case "--steps": settings = settings with { Steps = int.Parse(v, inv) }; break;
        case "--labelled-batch": settings = settings with { LabelledBatch = int.Parse(v, inv) }; break;
        case "--unlabelled-batch": settings = settings with { UnlabelledBatch = int.Parse(v, inv) }; break;
        case "--lr": settings = settings with { LearningRate = float.Parse(v, inv) }; break;
        case "--alpha": settings = settings with { Alpha = float.Parse(v, inv) }; break;
        case "--baseline-steps": settings = settings with { BaselineSteps = int.Parse(v, inv) }; break;
        case "--labels-per-class": settings = settings with { LabelsPerClass = int.Parse(v, inv) }; break;
        case "--classifier-noise": settings = settings with { ClassifierNoise = float.Parse(v, inv) }; break;
        case "--binarize": settings = settings with { Binarize = v == "1" || v == "true" }; break;
        case "--final-lr-factor": settings = settings with { FinalLearningRateFactor = float.Parse(v, inv) }; break;
        case "--first-seed": firstSeed = ulong.Parse(v, inv); break;
        case "--model": modelName = v; break;
        case "--report": report = int.Parse(v, inv); break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
Func<ModelOptions, ISemiSupervisedModel> create = modelName switch
{
    "mnist-m2" => o => new MnistM2(o),
    "z8" => o => new M2Z8(o),
    "z16" => o => new M2Z16(o),
    "wide" => o => new M2Wide(o),
    "bn" => o => new M2BatchNorm(o),
    "bn-wide" => o => new M2BatchNormWide(o),
    "conv" => o => new MnistConvM2(o),
    _ => throw new ArgumentException($"unknown model {modelName}"),
};
Console.WriteLine($"# {modelName}: {settings} × {draws} draws, {Environment.ProcessorCount} cores");
var (train, test) = SemiSupervisedExperiment.Split();
var results = new List<M2Result>();
for (int d = 0; d < draws; d++)
{
    var s = settings with { LabelSeed = firstSeed + (ulong)d };
    var (model, r) = SemiSupervisedExperiment.Run(s, (step, loss, m) =>
    {
        if (step % report == 0)
            Console.WriteLine(string.Create(inv, $"  draw {s.LabelSeed} step {step}: loss {loss.Loss:F2} (labelled {loss.Labelled:F2}, −ln q(y|x) {loss.Classification:F3}, unlabelled {loss.Unlabelled:F2}); test error {100 * SemiSupervisedExperiment.Error(test, 200, m.Predict):F2} %"));
    }, train, test, create);
    results.Add(r);
    Console.WriteLine(string.Create(inv, $"  generative classifier argmax_y ELBO(x, y) on the {test.Rows} test images: {100 * SemiSupervisedExperiment.GenerativeError(model, test, test.Rows):F2} % error"));
    Console.WriteLine(string.Create(inv, $"draw {r.LabelSeed}: {r.Labelled} labelled, {r.Unlabelled} unlabelled, {r.Test} test: M2 {100 * r.M2Error:F2} %, labels only {100 * r.BaselineError:F2} % ({r.Seconds:F0} s)"));
}
static (double Mean, double Sd) Stats(IEnumerable<double> v)
{
    var a = v.ToArray();
    double m = a.Average();
    double sd = a.Length > 1 ? Math.Sqrt(a.Sum(x => (x - m) * (x - m)) / (a.Length - 1)) : 0;
    return (m, sd);
}
var m2 = Stats(results.Select(r => 100 * r.M2Error));
var baseline = Stats(results.Select(r => 100 * r.BaselineError));
Console.WriteLine();
Console.WriteLine("| label draw (seed) | M2 test error | classifier on the labels alone |");
Console.WriteLine("|---|---:|---:|");
foreach (var r in results)
    Console.WriteLine(string.Create(inv, $"| {r.LabelSeed} | {100 * r.M2Error:F2} % | {100 * r.BaselineError:F2} % |"));
Console.WriteLine(string.Create(inv, $"| mean ± s.d. | **{m2.Mean:F2} ± {m2.Sd:F2} %** | **{baseline.Mean:F2} ± {baseline.Sd:F2} %** |"));
return 0;

/// <summary>Variants for the measurement's notes: a smaller or larger z, wider networks.</summary>
[SemiSupervisedVae(Features = 784, Latent = 8, Classes = 10, Alpha = 10f)]
public sealed partial class M2Z8
{
    [Encoder, Dense(256, Activation.Softplus)] public partial Dense E1 { get; }
    [Decoder, Dense(256, Activation.Softplus)] public partial Dense D1 { get; }
    [Classifier, Dense(256, Activation.Relu)] public partial Dense C1 { get; }
    [Classifier, Dense(256, Activation.Relu)] public partial Dense C2 { get; }
}

[SemiSupervisedVae(Features = 784, Latent = 16, Classes = 10, Alpha = 10f)]
public sealed partial class M2Z16
{
    [Encoder, Dense(256, Activation.Softplus)] public partial Dense E1 { get; }
    [Decoder, Dense(256, Activation.Softplus)] public partial Dense D1 { get; }
    [Classifier, Dense(256, Activation.Relu)] public partial Dense C1 { get; }
    [Classifier, Dense(256, Activation.Relu)] public partial Dense C2 { get; }
}

[SemiSupervisedVae(Features = 784, Latent = 50, Classes = 10, Alpha = 10f)]
public sealed partial class M2Wide
{
    [Encoder, Dense(500, Activation.Softplus)] public partial Dense E1 { get; }
    [Decoder, Dense(500, Activation.Softplus)] public partial Dense D1 { get; }
    [Classifier, Dense(500, Activation.Softplus)] public partial Dense C1 { get; }
}

/// <summary>Batch norm after each hidden dense layer of the classifier (dense without activation, then BN + ReLU).</summary>
[SemiSupervisedVae(Features = 784, Latent = 32, Classes = 10, Alpha = 10f)]
public sealed partial class M2BatchNorm
{
    [Encoder, Dense(256, Activation.Softplus)] public partial Dense E1 { get; }
    [Decoder, Dense(256, Activation.Softplus)] public partial Dense D1 { get; }
    [Classifier, Dense(256)] public partial Dense C1 { get; }
    [Classifier, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm C1n { get; }
    [Classifier, Dense(256)] public partial Dense C2 { get; }
    [Classifier, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm C2n { get; }
}

/// <summary>As M2BatchNorm with 500-unit layers everywhere (the paper's width).</summary>
[SemiSupervisedVae(Features = 784, Latent = 50, Classes = 10, Alpha = 10f)]
public sealed partial class M2BatchNormWide
{
    [Encoder, Dense(500, Activation.Softplus)] public partial Dense E1 { get; }
    [Decoder, Dense(500, Activation.Softplus)] public partial Dense D1 { get; }
    [Classifier, Dense(500)] public partial Dense C1 { get; }
    [Classifier, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm C1n { get; }
    [Classifier, Dense(500)] public partial Dense C2 { get; }
    [Classifier, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm C2n { get; }
}

