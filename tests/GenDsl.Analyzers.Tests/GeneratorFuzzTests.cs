using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace GenDsl.Analyzers.Tests;

/// <summary>
/// Issue #15: the generator and the analyzer never throw, never take more than about a second, and
/// never emit code that does not compile, whatever half-typed or hostile declaration they are given.
/// Four fuzz classes (flows; dense VAEs; dense GANs; VAEs and GANs with the catalogue's conv,
/// transposed-conv, batch-norm, flatten and unflatten layers and image shapes), each under three kinds
/// of mutation of its seeds (<see cref="GeneratorFuzzCorpus"/>): prefixes of the source, every
/// attribute argument replaced by hostile values, and random small edits. Fixed seeds: the same cases
/// on every run. See <see cref="GeneratorFuzzHarness"/> for what each case checks.
/// </summary>
public class GeneratorFuzzTests(ITestOutputHelper output)
{
    /// <summary>Prefix lengths per seed (besides every token boundary of the model attribute).</summary>
    private const int PrefixesPerSeed = 12;

    private const int EditsPerSeed = 10;

    private static readonly string[] s_classes = ["flows", "vaes", "gans", "layers"];

    public static TheoryData<string> Classes => new(s_classes);

    [Theory]
    [MemberData(nameof(Classes))]
    public void EveryPrefixOfADeclarationIsHandled(string fuzzClass)
    {
        var harness = new GeneratorFuzzHarness(output);
        int seed = 15;
        foreach (var model in GeneratorFuzzCorpus.Of(fuzzClass))
            foreach (var (source, label) in GeneratorFuzzCorpus.Prefixes(model, PrefixesPerSeed, seed++))
                harness.Check(source, label);
        harness.Report($"prefixes of the {fuzzClass}");
    }

    [Theory]
    [MemberData(nameof(Classes))]
    public void EveryArgumentReplacedByAHostileValueIsHandled(string fuzzClass)
    {
        var harness = new GeneratorFuzzHarness(output);
        int seed = 150;
        foreach (var model in GeneratorFuzzCorpus.Of(fuzzClass))
            foreach (var (source, label) in GeneratorFuzzCorpus.ArgumentReplacements(model, seed++))
                harness.Check(source, label);
        harness.Report($"arguments of the {fuzzClass}");
    }

    [Theory]
    [MemberData(nameof(Classes))]
    public void RandomSmallEditsAreHandled(string fuzzClass)
    {
        var harness = new GeneratorFuzzHarness(output);
        int seed = 1500;
        foreach (var model in GeneratorFuzzCorpus.Of(fuzzClass))
            foreach (var (source, label) in GeneratorFuzzCorpus.RandomEdits(model, EditsPerSeed, seed++))
                harness.Check(source, label);
        harness.Report($"random edits of the {fuzzClass}");
    }

    /// <summary>Every seed is a valid model: its generated code is compiled and checked (so the mutations start from working code).</summary>
    [Fact]
    public void EverySeedIsAValidModelWhoseGeneratedCodeCompiles()
    {
        var harness = new GeneratorFuzzHarness(output);
        foreach (var model in GeneratorFuzzCorpus.Seeds)
        {
            int before = harness.Generated;
            harness.Check(model.Source, model.Name);
            Assert.True(harness.Generated == before + 1, $"{model.Name} has GD errors, or generates nothing");
        }
        harness.Report("seeds");
    }

    /// <summary>
    /// Declarations at (and just past) the limits that bound the generated code's size: the most feature
    /// indices a flow may list, the most layers, the most dense layers in coupling networks, the largest image.
    /// Valid ones at the limits make the compiler build much generated code, so they get 5 s, not 2 s (the
    /// slowest, 256 couplings, takes about 3 s on a loaded 2-core box); those past a limit are rejected at once.
    /// </summary>
    [Fact]
    public void DeclarationsAtTheLimitsAreHandledInTime()
    {
        var harness = new GeneratorFuzzHarness(output, TimeSpan.FromSeconds(5));
        // Features × (couplings, permutations, invertible linears) ≤ 2^15.
        harness.Check(Flow(16384, 2, i => i == 0 ? "[Permute(PermutationKind.Reverse)]" : "[Permute(PermutationKind.Random, Seed = 1)]"), "2 permutations of 16384 features");
        harness.Check(Flow(32769, 1, _ => "[Permute(PermutationKind.Reverse)]"), "1 permutation of 32769 features");
        harness.Check(Flow(1 << 20, 256, _ => "[Permute(PermutationKind.Reverse)]"), "256 permutations of 2^20 features");
        harness.Check(Flow(128, 256, _ => "[AffineCoupling(Mask.Alternating, HiddenLayers = 0)]"), "256 couplings of 128 features");
        harness.Check(Flow(2, 257, _ => "[AffineCoupling(Mask.Alternating, HiddenLayers = 0)]"), "257 couplings");
        // At most 512 dense layers in all the coupling networks, 256 per network.
        harness.Check(Flow(2, 2, _ => "[AffineCoupling(Mask.Alternating, Hidden = 1, HiddenLayers = 255)]"), "2 couplings with 255 hidden layers");
        harness.Check(Flow(2, 8, _ => "[AffineCoupling(Mask.Alternating, Hidden = 1, HiddenLayers = 63)]"), "8 couplings with 63 hidden layers");
        harness.Check(Flow(2, 8, _ => "[AffineCoupling(Mask.Alternating, Hidden = 1, HiddenLayers = 64)]"), "8 couplings with 64 hidden layers");
        harness.Check(Flow(2, 1, _ => "[AffineCoupling(Mask.Alternating, HiddenLayers = 100000)]"), "HiddenLayers = 100000");
        harness.Check(Flow(2, 1, _ => "[AffineCoupling(Mask.Alternating, HiddenLayers = int.MaxValue)]"), "HiddenLayers = int.MaxValue");
        harness.Check(Flow(int.MaxValue, 1, _ => "[AffineCoupling(Mask.Alternating)]"), "Features = int.MaxValue");
        // 256 layers in a VAE; an image of 2^24 values.
        harness.Check("using GenDsl;\nnamespace Fuzz;\n[Vae(Features = 4, Latent = 2)]\npublic sealed partial class V\n{\n"
            + string.Concat(Enumerable.Range(0, 255).Select(i => $"    [Encoder, Dense(4)] public partial Dense E{i} {{ get; }}\n"))
            + "    [Decoder, Dense(4)] public partial Dense D0 { get; }\n}\n", "VAE of 256 layers");
        harness.Check("""
            using GenDsl;
            namespace Fuzz;
            [Gan(Channels = 1, Height = 4096, Width = 4096, Noise = 2)]
            public sealed partial class G
            {
                [Generator, Dense(1)] public partial Dense G1 { get; }
                [Discriminator, Conv(1, 64, Stride = 64)] public partial Conv D1 { get; }
            }
            """, "GAN of 4096×4096 images");
        harness.Report("declarations at the limits");
    }

    /// <summary>A flow of <paramref name="layers"/> layers, the i-th with the attribute <paramref name="layer"/>(i).</summary>
    private static string Flow(int features, int layers, Func<int, string> layer) =>
        $"using GenDsl;\nnamespace Fuzz;\n[Flow(Features = {features})]\npublic sealed partial class F\n{{\n"
        + string.Concat(Enumerable.Range(0, layers).Select(i =>
            $"    {layer(i)} public partial {(layer(i).Contains("Coupling", StringComparison.Ordinal) ? "Coupling" : "Permutation")} L{i} {{ get; }}\n"))
        + "}\n";

    /// <summary>The corpus covers what the issue asks: every flow layer kind and catalogue op, image shapes and conditions, in each class.</summary>
    [Fact]
    public void TheCorpusCoversEveryLayerKindAndModelArgument()
    {
        string all = string.Join("\n", GeneratorFuzzCorpus.Seeds.Select(s => s.Source));
        foreach (var used in new[]
        {
            "[ActNorm]", "[AffineCoupling(Mask.", "[SplineCoupling(Mask.", "[SplineCoupling(\"", "Bins =", "TailBound =", "[AdditiveCoupling(\"", "[Permute(PermutationKind.Reverse)]", "[Permute(PermutationKind.Random", "[Permute(5,",
            "[InvertibleLinear(", "Conv(", "ConvTranspose(", "OutputPadding =", "BatchNorm", "Flatten]", "Unflatten(", "Channels =", "Height =", "Width =",
            "Condition =", "Sigma =", "Beta =", "GradientPenalty =", "Output =", "Likelihood.Gaussian,", "Likelihood.GaussianFixed", "GanLoss.Wasserstein",
            "GanLoss.Hinge", "GanLoss.Minimax", "HiddenLayers =", "Activation = Activation.",
            "[SemiSupervisedVae(", "Classes =", "Alpha =", "[Classifier,", "[MaskedAutoregressive(", "Inverse = true", "Transform = AutoregressiveTransform.Spline", "Initialization = FlowInitialization.Identity",
            "[Squeeze]", "[Flow(Channels =", "[InvertibleConv1x1(", "Mask.ChannelsFirstHalf", "Mask.CheckerboardEven", "[Split]",
            "ConditionChannels =", "ConditionHeight =", "ConditionWidth =",
        })
            Assert.Contains(used, all);
        foreach (var fuzzClass in s_classes)
            Assert.True(GeneratorFuzzCorpus.Of(fuzzClass).Count() >= 3, $"fewer than 3 seeds of the {fuzzClass}");
        // One seed per ready-made model class: every [Flow]/[Vae]/[Gan]/[SemiSupervisedVae]/[Regressor] class of models/*.cs.
        int readyMade = Directory.GetFiles(TestSetup.RepositoryFile("models"), "*.cs")
            .Sum(path => Regex.Matches(File.ReadAllText(path), @"^\[(Flow|Vae|Gan|SemiSupervisedVae|Regressor)\b", RegexOptions.Multiline).Count);
        Assert.True(readyMade >= 20, $"only {readyMade} ready-made models found");
        Assert.Equal(readyMade, GeneratorFuzzCorpus.Seeds.Count(s => s.Name.StartsWith("models/", StringComparison.Ordinal)));
    }
}
