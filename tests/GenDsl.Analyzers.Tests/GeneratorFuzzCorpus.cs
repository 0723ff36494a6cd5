using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GenDsl.Analyzers.Tests;

/// <summary>A seed declaration of the fuzz corpus: one model class, with the usings it needs.</summary>
/// <param name="Name">Where it comes from ("models/MoonsFlow.cs:MoonsFlow", "AllFlowLayers").</param>
/// <param name="Class">Which fuzz class it belongs to: "flows", "vaes" (semi-supervised VAEs too), "gans" (regressors too) or "layers" (a VAE, semi-supervised VAE, GAN or regressor using the conv ops, batch norm, flatten, unflatten or image shapes).</param>
/// <param name="Source">The compilable source.</param>
internal sealed record FuzzSeed(string Name, string Class, string Source)
{
    public override string ToString() => Name;
}

/// <summary>
/// The seed declarations (every ready-made model in models/*.cs, and declarations that use every flow
/// layer kind, every catalogue op, every model argument) and their mutations: prefixes, every
/// numeric/enum/string attribute argument replaced by hostile values, and random small edits.
/// </summary>
internal static class GeneratorFuzzCorpus
{
    private const string Header = "using GenDsl;\nnamespace Fuzz;\n\n";

    private static readonly string[] CatalogueOps = ["Conv", "ConvTranspose", "BatchNorm", "Flatten", "Unflatten"];

    private static readonly (string Name, string Class, string Body)[] Written =
    [
        ("AllFlowLayers", "flows", """
            [Flow(Features = 6, Condition = 2)]
            public sealed partial class AllFlowLayers
            {
                [ActNorm] public partial ActNorm N0 { get; }
                [AffineCoupling(Mask.Alternating, Hidden = 16, HiddenLayers = 1, Activation = Activation.Tanh)] public partial Coupling C1 { get; }
                [Permute(PermutationKind.Reverse)] public partial Permutation P1 { get; }
                [AdditiveCoupling("110100", Hidden = 8, HiddenLayers = 0)] public partial Coupling C2 { get; }
                [Permute(PermutationKind.Random, Seed = 3)] public partial Permutation P2 { get; }
                [AffineCoupling(Mask.FirstHalf, Hidden = 8, Activation = Activation.LeakyRelu)] public partial Coupling C3 { get; }
                [Permute(5, 4, 3, 2, 1, 0)] public partial Permutation P3 { get; }
                [InvertibleLinear(Seed = 7)] public partial InvertibleLinear L1 { get; }
                [AdditiveCoupling(Mask.SecondHalf, Hidden = 8, Activation = Activation.Softplus)] public partial Coupling C4 { get; }
                [AffineCoupling("010101", Hidden = 4, HiddenLayers = 3, Activation = Activation.Sigmoid)] internal partial Coupling C5 { get; }
            }
            """),
        ("ImageFlowLayers", "flows", """
            [Flow(Channels = 2, Height = 8, Width = 4, Condition = 1)]
            public sealed partial class ImageFlowLayers
            {
                [Squeeze] public partial Squeeze S1 { get; }
                [AffineCoupling(Mask.FirstHalf, Hidden = 8, HiddenLayers = 1)] public partial Coupling C1 { get; }
                [ActNorm] public partial ActNorm N1 { get; }
                [InvertibleConv1x1(Seed = 3)] public partial InvertibleConv1x1 W1 { get; }
                [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 4, HiddenLayers = 2)] public partial Coupling C3 { get; }
                [Squeeze] public partial Squeeze S2 { get; }
                [AdditiveCoupling(Mask.SecondHalf, Hidden = 4)] public partial Coupling C2 { get; }
                [AffineCoupling(Mask.CheckerboardEven, Hidden = 3, HiddenLayers = 1, Activation = Activation.Tanh)] public partial Coupling C4 { get; }
                [AdditiveCoupling(Mask.ChannelsSecondHalf, Hidden = 2, HiddenLayers = 0)] public partial Coupling C5 { get; }
                [Split] public partial Split X1 { get; }
                [ActNorm] public partial ActNorm N2 { get; }
                [AffineCoupling(Mask.CheckerboardOdd, Hidden = 2, HiddenLayers = 1)] public partial Coupling C6 { get; }
            }
            """),
        ("SplineFlows", "flows", """
            [Flow(Features = 5, Condition = 3)]
            public sealed partial class SplineFlows
            {
                [SplineCoupling(Mask.Alternating, Bins = 8, TailBound = 3, Hidden = 16, HiddenLayers = 2, Activation = Activation.Tanh)] public partial Coupling S1 { get; }
                [Permute(PermutationKind.Reverse)] public partial Permutation P1 { get; }
                [SplineCoupling("10110", Bins = 2, TailBound = 0.5f, Hidden = 4, HiddenLayers = 0)] public partial Coupling S2 { get; }
                [ActNorm] public partial ActNorm N1 { get; }
                [SplineCoupling(Mask.Even, Bins = 256, TailBound = 1e6f, Hidden = 2, HiddenLayers = 1)] public partial Coupling S3 { get; }
                [AffineCoupling(Mask.Odd)] public partial Coupling C1 { get; }
            }
            """),
        ("MaskedAutoregressiveFlows", "flows", """
            [Flow(Features = 5, Condition = 2)]
            public sealed partial class MaskedAutoregressiveFlows
            {
                [MaskedAutoregressive(Hidden = 8, HiddenLayers = 2)] public partial MaskedAutoregressive M1 { get; }
                [Permute(PermutationKind.Reverse)] public partial Permutation P1 { get; }
                [MaskedAutoregressive(Hidden = 4, HiddenLayers = 1, Activation = Activation.Tanh, Inverse = true)] public partial MaskedAutoregressive M2 { get; }
                [AffineCoupling(Mask.Odd, Hidden = 8)] public partial Coupling C1 { get; }
                [MaskedAutoregressive(Hidden = 2, HiddenLayers = 3, Inverse = false)] public partial MaskedAutoregressive M3 { get; }
            }
            """),
        ("MaskedAutoregressiveSplineFlows", "flows", """
            [Flow(Features = 4, Condition = 1)]
            public sealed partial class MaskedAutoregressiveSplineFlows
            {
                [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, Bins = 6, TailBound = 2.5f, Hidden = 8)] public partial MaskedAutoregressive M1 { get; }
                [Permute(PermutationKind.Reverse)] public partial Permutation P1 { get; }
                [MaskedAutoregressive(Transform = AutoregressiveTransform.Spline, Bins = 2, Hidden = 3, HiddenLayers = 1, Inverse = true)] public partial MaskedAutoregressive M2 { get; }
            }
            """),
        ("MixingOnlyFlow", "flows", """
            [Flow(Features = 8)]
            public sealed partial class MixingOnlyFlow
            {
                [ActNorm] public partial ActNorm N0 { get; }
                [Permute(PermutationKind.Reverse)] public partial Permutation P1 { get; }
                [Permute(PermutationKind.Random, Seed = 9)] public partial Permutation P2 { get; }
                [ActNorm] public partial ActNorm N1 { get; }
            }
            """),
        ("GaussianVaes", "vaes", """
            [Vae(Features = 6, Latent = 2, Likelihood = Likelihood.GaussianFixed, Sigma = 0.5f, Beta = 0.25f, Condition = 2)]
            public sealed partial class FixedSigmaVae
            {
                [Encoder, Dense(8)] public partial Dense E1 { get; }
                [Encoder, Dense(8, Activation.Softplus)] public partial Dense E2 { get; }
                [Decoder, Dense(8, Activation.Tanh)] internal partial Dense D1 { get; }
            }
            """),
        ("GaussianVae", "vaes", """
            [Vae(Features = 5, Latent = 3, Likelihood = Likelihood.Gaussian, Beta = 2f)]
            public sealed partial class GaussianVae
            {
                [Encoder, Dense(16, Activation.LeakyRelu)] public partial Dense E1 { get; }
                [Decoder, Dense(16, Activation.Sigmoid)] public partial Dense D1 { get; }
                [Decoder, Dense(4, Activation.Identity)] public partial Dense D2 { get; }
            }
            """),
        ("WassersteinGan", "gans", """
            [Gan(Features = 3, Noise = 4, Loss = GanLoss.Wasserstein, GradientPenalty = 5f, Output = Activation.Tanh, Condition = 1)]
            public sealed partial class WassersteinGan
            {
                [Generator, Dense(16)] public partial Dense G1 { get; }
                [Generator, Dense(16, Activation.Sigmoid)] public partial Dense G2 { get; }
                [Discriminator, Dense(16, Activation.LeakyRelu)] public partial Dense D1 { get; }
                [Discriminator, Dense(8, Activation.Relu)] public partial Dense D2 { get; }
            }
            """),
        ("HingeAndMinimaxGans", "gans", """
            [Gan(Features = 2, Noise = 4, Loss = GanLoss.Hinge, Output = Activation.Sigmoid)]
            public sealed partial class HingeGan
            {
                [Generator, Dense(8, Activation.Softplus)] public partial Dense G1 { get; }
                [Discriminator, Dense(8, Activation.Tanh)] public partial Dense D1 { get; }
            }
            [Gan(Features = 2, Noise = 2, Loss = GanLoss.Minimax)]
            public sealed partial class MinimaxGan
            {
                [Generator, Dense(8)] public partial Dense G1 { get; }
                [Discriminator, Dense(8, Activation.LeakyRelu)] public partial Dense D1 { get; }
            }
            """),
        ("ConvGaussianVae", "layers", """
            [Vae(Channels = 2, Height = 8, Width = 8, Latent = 4, Likelihood = Likelihood.Gaussian, Condition = 3)]
            public sealed partial class ConvGaussianVae
            {
                [Encoder, Conv(8, 3, Stride = 1, Padding = 1, Activation = Activation.LeakyRelu)] public partial Conv E1 { get; }
                [Encoder, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm E2 { get; }
                [Encoder, Conv(8, 4, Stride = 2, Padding = 1)] public partial Conv E3 { get; }
                [Encoder, Flatten] public partial Reshape E4 { get; }
                [Encoder, Dense(32)] public partial Dense E5 { get; }
                [Decoder, Dense(8 * 4 * 4)] public partial Dense D1 { get; }
                [Decoder, BatchNorm] public partial BatchNorm D2 { get; }
                [Decoder, Unflatten(8, 4, 4)] public partial Reshape D3 { get; }
                [Decoder, ConvTranspose(4, 3, Stride = 2, Padding = 1, OutputPadding = 1, Activation = Activation.Identity)] public partial Conv D4 { get; }
            }
            """),
        ("ConditionalConvGan", "layers", """
            [Gan(Channels = 1, Height = 8, Width = 8, Noise = 4, Condition = 2, Loss = GanLoss.Hinge)]
            public sealed partial class ConditionalConvGan
            {
                [Generator, Dense(8 * 2 * 2, Activation.Identity)] public partial Dense G1 { get; }
                [Generator, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm G2 { get; }
                [Generator, Unflatten(8, 2, 2)] public partial Reshape G3 { get; }
                [Generator, ConvTranspose(4, 4, Stride = 2, Padding = 1, Activation = Activation.Identity)] public partial Conv G4 { get; }
                [Generator, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm G5 { get; }
                [Generator, ConvTranspose(1, 4, Stride = 2, Padding = 1, Activation = Activation.Sigmoid)] public partial Conv G6 { get; }
                [Discriminator, Conv(4, 3, Stride = 1, Padding = 1, Activation = Activation.LeakyRelu)] public partial Conv D1 { get; }
                [Discriminator, Conv(8, 4, Stride = 2, Padding = 1, Activation = Activation.LeakyRelu)] public partial Conv D2 { get; }
                [Discriminator, Flatten] public partial Reshape D3 { get; }
                [Discriminator, Dense(16, Activation.LeakyRelu)] public partial Dense D4 { get; }
            }
            """),
        ("SemiSupervisedVae", "vaes", """
            [SemiSupervisedVae(Features = 6, Latent = 2, Classes = 3, Alpha = 0.5f)]
            public sealed partial class TinyM2
            {
                [Encoder, Dense(8, Activation.Softplus)] public partial Dense E1 { get; }
                [Decoder, Dense(8, Activation.Softplus)] public partial Dense D1 { get; }
                [Classifier, Dense(8)] public partial Dense C1 { get; }
                [Classifier, Dense(4, Activation.Tanh)] public partial Dense C2 { get; }
            }
            """),
        ("ConvSemiSupervisedVae", "layers", """
            [SemiSupervisedVae(Channels = 1, Height = 6, Width = 6, Latent = 2, Classes = 2, Alpha = 3f)]
            public sealed partial class TinyConvM2
            {
                [Encoder, Conv(4, 4, Stride = 2, Padding = 1)] public partial Conv E1 { get; }
                [Decoder, Dense(4 * 3 * 3)] public partial Dense D1 { get; }
                [Decoder, Unflatten(4, 3, 3)] public partial Reshape D2 { get; }
                [Decoder, ConvTranspose(1, 3, Stride = 2, Padding = 1, OutputPadding = 1, Activation = Activation.Identity)] public partial Conv D3 { get; }
                [Classifier, Conv(4, 4, Stride = 2, Padding = 1)] public partial Conv C1 { get; }
                [Classifier, BatchNorm(Activation = Activation.Relu)] public partial BatchNorm C2 { get; }
                [Classifier, Flatten] public partial Reshape C3 { get; }
                [Classifier, Dense(8)] public partial Dense C4 { get; }
            }
            """),
        ("ImageGanWithDenseGenerator", "layers", """
            [Gan(Channels = 3, Height = 4, Width = 4, Features = 48, Noise = 8, Output = Activation.Tanh)]
            public sealed partial class ImageGan
            {
                [Generator, Dense(32)] public partial Dense G1 { get; }
                [Generator, BatchNorm] public partial BatchNorm G2 { get; }
                [Discriminator, Conv(4, 2, Stride = 2)] public partial Conv D1 { get; }
                [Discriminator, Flatten] public partial Reshape D2 { get; }
            }
            """),
        ("ImageConditionedFlow", "flows", """
            [Flow(Channels = 1, Height = 4, Width = 6, ConditionChannels = 2, ConditionHeight = 3, ConditionWidth = 3)]
            public sealed partial class ImageConditionedFlow
            {
                [AffineCoupling(Mask.CheckerboardEven, Hidden = 4, HiddenLayers = 1)] public partial Coupling C1 { get; }
                [Squeeze] public partial Squeeze S1 { get; }
                [AffineCoupling(Mask.ChannelsFirstHalf, Hidden = 4, HiddenLayers = 1)] public partial Coupling C2 { get; }
                [AdditiveCoupling(Mask.SecondHalf, Hidden = 6, HiddenLayers = 1)] public partial Coupling C3 { get; }
            }
            """),
        ("ImageConditionedCvaeAndCgan", "layers", """
            [Vae(Channels = 1, Height = 8, Width = 8, Latent = 2, ConditionChannels = 1, ConditionHeight = 2, ConditionWidth = 2)]
            public sealed partial class SuperResolutionCvae
            {
                [Encoder, Conv(4, 4, Stride = 2, Padding = 1)] public partial Conv E1 { get; }
                [Decoder, Dense(16)] public partial Dense D1 { get; }
                [Decoder, Unflatten(1, 4, 4)] public partial Reshape D2 { get; }
                [Decoder, ConvTranspose(1, 4, Stride = 2, Padding = 1, Activation = Activation.Identity)] public partial Conv D3 { get; }
            }
            [Gan(Channels = 1, Height = 4, Width = 4, Noise = 3, ConditionChannels = 2, ConditionHeight = 2, ConditionWidth = 4, Output = Activation.Sigmoid)]
            public sealed partial class InpaintingCgan
            {
                [Generator, Dense(8, Activation.Relu)] public partial Dense G1 { get; }
                [Discriminator, Conv(3, 2, Stride = 2, Activation = Activation.LeakyRelu)] public partial Conv D1 { get; }
                [Discriminator, Dense(4, Activation.Tanh)] public partial Dense D2 { get; }
            }
            """),
        ("Regressors", "layers", """
            [Regressor(Channels = 1, Height = 8, Width = 8, ConditionChannels = 1, ConditionHeight = 2, ConditionWidth = 2)]
            public sealed partial class SuperResolutionRegressor
            {
                [Predictor, Dense(16)] public partial Dense P1 { get; }
                [Predictor, Unflatten(1, 4, 4)] public partial Reshape P2 { get; }
                [Predictor, BatchNorm] public partial BatchNorm P3 { get; }
                [Predictor, ConvTranspose(1, 4, Stride = 2, Padding = 1, Activation = Activation.Sigmoid)] public partial Conv P4 { get; }
            }
            [Regressor(Features = 5, Condition = 3, Output = Activation.Sigmoid)]
            public sealed partial class DenseRegressor
            {
                [Predictor, Dense(7, Activation.Tanh)] public partial Dense P1 { get; }
            }
            """),
    ];

    /// <summary>Every seed: the models of models/*.cs, one class each, then the written ones.</summary>
    public static readonly IReadOnlyList<FuzzSeed> Seeds = CreateSeeds();

    private static List<FuzzSeed> CreateSeeds()
    {
        var seeds = new List<FuzzSeed>();
        foreach (var path in Directory.GetFiles(TestSetup.RepositoryFile("models"), "*.cs").OrderBy(p => p, StringComparer.Ordinal))
        {
            var root = CSharpSyntaxTree.ParseText(File.ReadAllText(path)).GetRoot();
            foreach (var type in root.DescendantNodes().OfType<ClassDeclarationSyntax>())
            {
                var attributes = type.AttributeLists.SelectMany(l => l.Attributes).Select(a => a.Name.ToString()).ToList();
                string? kind = attributes.Contains("Flow") ? "flows" : attributes.Contains("Vae") || attributes.Contains("SemiSupervisedVae") ? "vaes" : attributes.Contains("Gan") || attributes.Contains("Regressor") ? "gans" : null;
                if (kind is null)
                    continue;
                bool usesCatalogue = type.DescendantNodes().OfType<AttributeSyntax>().Any(a => CatalogueOps.Contains(a.Name.ToString()))
                    || type.AttributeLists.SelectMany(l => l.Attributes).SelectMany(a => a.ArgumentList?.Arguments ?? default)
                        .Any(a => a.NameEquals?.Name.Identifier.Text is "Channels" or "Height" or "Width");
                string text = type.WithoutLeadingTrivia().ToFullString().TrimEnd();
                seeds.Add(new FuzzSeed($"models/{Path.GetFileName(path)}:{type.Identifier.Text}", usesCatalogue ? "layers" : kind, Header + text + "\n"));
            }
        }
        foreach (var (name, kind, body) in Written)
            seeds.Add(new FuzzSeed(name, kind, Header + body + "\n"));
        return seeds;
    }

    public static IEnumerable<FuzzSeed> Of(string fuzzClass) => Seeds.Where(s => s.Class == fuzzClass);

    /// <summary>
    /// Prefixes of <paramref name="source"/>: <paramref name="count"/> lengths drawn with a fixed seed
    /// (besides every token boundary of the model attribute), ascending.
    /// </summary>
    public static IEnumerable<(string Source, string Label)> Prefixes(FuzzSeed seed, int count, int randomSeed)
    {
        var random = new Random(randomSeed);
        var lengths = new SortedSet<int>();
        var tokens = CSharpSyntaxTree.ParseText(seed.Source).GetRoot().DescendantTokens().ToList();
        // Every token boundary of the model attribute ([Flow(Features = …)] half-typed), then random lengths.
        var modelAttribute = tokens.FirstOrDefault(t => t.IsKind(SyntaxKind.OpenBracketToken));
        foreach (var token in tokens.Where(t => t.SpanStart >= modelAttribute.SpanStart).TakeWhile(t => !t.IsKind(SyntaxKind.ClassKeyword)))
            lengths.Add(token.Span.End);
        int max = seed.Source.Length, target = Math.Min(lengths.Count + count, max);
        while (lengths.Count < target)
            lengths.Add(random.Next(1, max));
        return lengths.Select(n => (seed.Source[..n], $"{seed.Name} prefix of {n}/{max} chars"));
    }

    /// <summary>
    /// Hostile values for an int argument: those of the issue (always), then at and just past each limit of
    /// Shape.cs's Limits (<see cref="ExtraValues"/> of them per argument, drawn with the fixed seed, to keep CI time bounded).
    /// </summary>
    private static readonly string[] IntValues = ["0", "-1", "int.MaxValue", "int.MinValue"];

    private static readonly string[] IntExtras = ["64", "65", "256", "257", "4097", "16384", "16385", "65536", "1048576", "1048577"];

    private static readonly string[] FloatValues = ["0f", "-1f", "float.NaN", "float.PositiveInfinity"];

    private static readonly string[] FloatExtras = ["float.NegativeInfinity", "float.MaxValue", "float.Epsilon", "int.MaxValue"];

    private static string[] EnumValues(string type) => [$"({type})42", $"({type})(-7)", $"({type})int.MinValue"];

    private static string[] EnumExtras(string type) => [$"({type})int.MaxValue", $"({type})6", "0"];

    private static readonly string[] StringValues = ["\"\"", "\"2\"", "\"" + new string('1', 70000) + "\""];

    private static readonly string[] StringExtras = ["\"1\"", "\"11\"", "null", "(string)null"];

    /// <summary>How many of an argument's extra values it gets besides the issue's.</summary>
    private const int ExtraValues = 1;

    private static readonly HashSet<string> Enums = ["Activation", "Mask", "Likelihood", "GanLoss", "PermutationKind", "Permutation"];

    /// <summary>Every int, float, enum and string attribute argument of the seed, replaced by each of its hostile values.</summary>
    public static IEnumerable<(string Source, string Label)> ArgumentReplacements(FuzzSeed seed, int randomSeed)
    {
        var random = new Random(randomSeed);
        var root = CSharpSyntaxTree.ParseText(seed.Source).GetRoot();
        var seen = new Dictionary<string, int>();
        foreach (var argument in root.DescendantNodes().OfType<AttributeArgumentSyntax>())
        {
            // The arguments of an attribute written the same on more than two members (MoonsFlow's eight couplings)
            // are mutated on the first two only: the others would repeat their cases.
            string attribute = argument.Parent!.Parent!.ToString() + "#" + argument.ToString();
            seen[attribute] = seen.GetValueOrDefault(attribute) + 1;
            if (seen[attribute] > 2)
                continue;
            var expression = argument.Expression;
            string enumType = expression is MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax name }
                ? (name.Identifier.Text == "Permutation" ? "PermutationKind" : name.Identifier.Text) : "";
            (string[] always, string[] extras) = expression switch
            {
                LiteralExpressionSyntax { Token.Value: float } => (FloatValues, FloatExtras),
                LiteralExpressionSyntax { Token.Value: string } => (StringValues, StringExtras),
                LiteralExpressionSyntax { Token.Value: int } or BinaryExpressionSyntax or PrefixUnaryExpressionSyntax => (IntValues, IntExtras),
                MemberAccessExpressionSyntax when Enums.Contains(enumType) => (EnumValues(enumType), EnumExtras(enumType)),
                _ => ([], []),
            };
            var values = always.Concat(extras.OrderBy(_ => random.Next()).Take(ExtraValues)).ToList();
            string written = argument.ToString();
            if (written.Length > 40)
                written = written[..40] + "…";
            foreach (var value in values)
            {
                string mutated = seed.Source[..expression.SpanStart] + value + seed.Source[expression.Span.End..];
                string shown = value.Length > 40 ? value[..12] + $"…({value.Length} chars)" : value;
                yield return (mutated, $"{seed.Name}: {written} → {shown} (at {expression.SpanStart})");
            }
        }
    }

    /// <summary>
    /// <paramref name="count"/> random small edits with a fixed seed: delete a token, duplicate a token,
    /// duplicate an attribute (in its list or as a list of its own), duplicate or delete a member, or
    /// repeat the last edit's kind twice.
    /// </summary>
    public static IEnumerable<(string Source, string Label)> RandomEdits(FuzzSeed seed, int count, int randomSeed)
    {
        var random = new Random(randomSeed);
        var root = CSharpSyntaxTree.ParseText(seed.Source).GetRoot();
        var tokens = root.DescendantTokens().Where(t => t.Span.Length > 0).ToList();
        var attributes = root.DescendantNodes().OfType<AttributeSyntax>().ToList();
        var lists = root.DescendantNodes().OfType<AttributeListSyntax>().ToList();
        var members = root.DescendantNodes().OfType<MemberDeclarationSyntax>().Where(m => m is PropertyDeclarationSyntax or FieldDeclarationSyntax).ToList();
        string text = seed.Source;
        for (int i = 0; i < count; i++)
        {
            int kind = random.Next(6);
            string mutated, label;
            switch (kind)
            {
                case 0:
                {
                    var t = tokens[random.Next(tokens.Count)];
                    mutated = text.Remove(t.SpanStart, t.Span.Length);
                    label = $"delete token '{t.Text}' at {t.SpanStart}";
                    break;
                }
                case 1:
                {
                    var t = tokens[random.Next(tokens.Count)];
                    mutated = text.Insert(t.Span.End, " " + t.Text);
                    label = $"duplicate token '{t.Text}' at {t.SpanStart}";
                    break;
                }
                case 2:
                {
                    var a = attributes[random.Next(attributes.Count)];
                    mutated = text.Insert(a.Span.End, ", " + a);
                    label = $"duplicate attribute '{a.Name}' in its list at {a.SpanStart}";
                    break;
                }
                case 3:
                {
                    var l = lists[random.Next(lists.Count)];
                    mutated = text.Insert(l.Span.End, " " + l);
                    label = $"duplicate attribute list '{l}' at {l.SpanStart}";
                    break;
                }
                case 4 when members.Count > 0:
                {
                    var m = members[random.Next(members.Count)];
                    mutated = text.Insert(m.FullSpan.End, m.ToFullString());
                    label = $"duplicate member at {m.SpanStart}";
                    break;
                }
                default:
                {
                    if (members.Count == 0)
                        goto case 0;
                    var m = members[random.Next(members.Count)];
                    mutated = text.Remove(m.FullSpan.Start, m.FullSpan.Length);
                    label = $"delete member at {m.SpanStart}";
                    break;
                }
            }
            yield return (mutated, $"{seed.Name}: {label}");
        }
    }
}
