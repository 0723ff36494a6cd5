using System.Collections.Generic;
using System.Linq;
using GenDsl.Generators.Layers;

namespace GenDsl.Generators.Flows;

/// <summary>
/// The one source of truth for what makes a flow declaration valid. The generator skips a model with
/// any error; the analyzers report the same findings at the offending attribute.
/// </summary>
internal static class FlowValidator
{
    public static List<DiagnosticInfo> Validate(FlowSpec spec)
    {
        var found = new List<DiagnosticInfo>();
        void Error(string id, string message, int layer, FindingTarget target = FindingTarget.Attribute, string? argument = null) =>
            found.Add(new DiagnosticInfo(id, message, layer, true, target, argument));
        void Warn(string id, string message, int layer, FindingTarget target = FindingTarget.Attribute, string? argument = null) =>
            found.Add(new DiagnosticInfo(id, message, layer, false, target, argument));

        // A half-typed name ("class {", "namespace ;") is a missing identifier: nothing could be generated for it.
        bool unnamed = spec.ClassName.Length == 0 || spec.Namespace is not null && spec.Namespace.Split('.').Any(part => part.Length == 0);
        if (!spec.IsPartial || spec.IsStatic || spec.IsAbstract || spec.IsGeneric || spec.IsNested || unnamed)
        {
            string why = spec.ClassName.Length == 0 ? "has no name" : unnamed ? "is in a namespace with a missing name"
                : !spec.IsPartial ? "is not partial" : spec.IsStatic ? "is static" : spec.IsAbstract ? "is abstract"
                : spec.IsGeneric ? "is generic" : "is nested in another type";
            Error("GD0001", $"Model class '{spec.ClassName}' {why}: a model must be a non-static, non-abstract, non-generic, top-level 'partial' class", -1, FindingTarget.ClassName);
        }

        if (spec.IsImage)
        {
            foreach (var (dimension, value) in new[] { ("Channels", spec.Channels), ("Height", spec.Height), ("Width", spec.Width) })
                if (value < 1)
                    Error("GD0005", $"Image flow '{spec.ClassName}' has {dimension} = {value}: an image flow needs Channels, Height and Width all ≥ 1 (each row is an image stored channel-major [C, H, W])", -1, FindingTarget.NamedArgument, dimension);
            long pixels = (long)spec.Channels * spec.Height * spec.Width;
            if (spec.Channels >= 1 && spec.Height >= 1 && spec.Width >= 1 && spec.DeclaredFeatures != 0 && spec.DeclaredFeatures != pixels)
                Error("GD0005", $"Image flow '{spec.ClassName}' has Features = {spec.DeclaredFeatures} but Channels·Height·Width = {spec.Channels}·{spec.Height}·{spec.Width} = {pixels}: leave Features out (it is C·H·W)", -1, FindingTarget.NamedArgument, "Features");
        }
        else if (spec.Features <= 0)
            Error("GD0005", $"Flow '{spec.ClassName}' has Features = {spec.Features}: set Features to the number of columns of a data row (≥ 1)", -1, FindingTarget.NamedArgument, "Features");
        foreach (var (argument, message) in spec.ConditionImage.Check($"Flow '{spec.ClassName}'", spec.DeclaredCondition, spec.IsImage, "the convolutional couplings of an image flow read as an image"))
            Error("GD0005", message, -1, FindingTarget.NamedArgument, argument);
        if (spec.Condition < 0)
            Error("GD0005", $"Flow '{spec.ClassName}' has Condition = {spec.Condition}: use 0 for an unconditional flow or the size of Y", -1, FindingTarget.NamedArgument, "Condition");
        if (spec.Initialization is not (0 or 1))
            Error("GD0005", $"Flow '{spec.ClassName}' has Initialization = {spec.Initialization}, not a FlowInitialization: use FlowInitialization.Linear (the default) or FlowInitialization.Identity", -1, FindingTarget.NamedArgument, "Initialization");

        // Bounds first: nothing below allocates or loops in proportion to a size that is not checked yet (GD0015).
        if (spec.Features > Limits.MaxSize)
            Error("GD0015", $"Flow '{spec.ClassName}' has Features = {spec.Features}, more than GenDsl's limit of {Limits.MaxSize}", -1, FindingTarget.NamedArgument, "Features");
        if (spec.Condition > Limits.MaxSize)
            Error("GD0015", $"Flow '{spec.ClassName}' has Condition = {spec.Condition}, more than GenDsl's limit of {Limits.MaxSize}", -1, FindingTarget.NamedArgument, spec.ConditionImage.IsSet ? "ConditionChannels" : "Condition");
        // Vector couplings, MADE layers, permutations and invertible linear layers list their feature indices in the
        // generated code; squeezes and couplings with an image mask name the formula instead (GenDsl.FlowIndex), which
        // the generator still evaluates while planning.
        int listing = spec.Layers.Count(l => (l.HasNetwork && !(spec.IsImage && l.HasImageMask)) || l.Kind is LayerKind.Permute or LayerKind.InvertibleLinear);
        int computed = spec.IsImage ? spec.Layers.Count(l => l.HasImageMask || l.Kind == LayerKind.Squeeze) : 0;
        if (spec.Features <= Limits.MaxSize && (long)spec.Features * listing > Limits.MaxFlowFeatureIndices)
            Error("GD0015", $"Flow '{spec.ClassName}' has {(spec.IsImage ? $"{spec.Features} features ([{spec.Channels}, {spec.Height}, {spec.Width}])" : $"Features = {spec.Features}")} and {listing} vector coupling, autoregressive, permutation or invertible-linear layers: {(long)spec.Features * listing} feature indices in the generated code, more than GenDsl's limit of {Limits.MaxFlowFeatureIndices}: use fewer features or fewer of those layers{(spec.IsImage ? " (couplings with an image mask, Mask.ChannelsFirstHalf …, and squeezes do not count)" : "")}", -1, FindingTarget.NamedArgument, spec.IsImage ? "Channels" : "Features");
        else if (spec.Features <= Limits.MaxSize && (long)spec.Features * computed > Limits.MaxFlowComputedIndices)
            Error("GD0015", $"Flow '{spec.ClassName}' has {spec.Features} features and {computed} squeeze or image-mask coupling layers: {(long)spec.Features * computed} feature indices for the generator to plan, more than GenDsl's limit of {Limits.MaxFlowComputedIndices}: use a smaller image or fewer of those layers", -1, FindingTarget.NamedArgument, "Channels");
        if (spec.Layers.Count > Limits.MaxLayers)
            Error("GD0015", $"Flow '{spec.ClassName}' declares {spec.Layers.Count} layers, more than GenDsl's limit of {Limits.MaxLayers}", -1, FindingTarget.ClassName);
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            var layer = spec.Layers[i];
            if (!layer.HasNetwork)
                continue;
            string what = Describe(layer);
            if (layer.Hidden > Limits.MaxSize)
                Error("GD0015", $"{what} '{layer.Member}' has Hidden = {layer.Hidden}, more than GenDsl's limit of {Limits.MaxSize}", i, FindingTarget.NamedArgument, "Hidden");
            if (layer.HiddenLayers > Limits.MaxLayers)
                Error("GD0015", $"{what} '{layer.Member}' has HiddenLayers = {layer.HiddenLayers}, more than GenDsl's limit of {Limits.MaxLayers}", i, FindingTarget.NamedArgument, "HiddenLayers");
            if (layer.Activation is < 0 or > 5)
                Error("GD0005", $"{what} '{layer.Member}' has Activation = {layer.Activation}, which is not a value of GenDsl.Activation: use one of its named members", i, FindingTarget.NamedArgument, "Activation");
            if (layer.Kind == LayerKind.SplineCoupling || layer.IsSplineMade)
            {
                string spline = layer.IsSplineMade ? "Masked autoregressive spline layer" : "Spline coupling";
                if (layer.Bins > MaxBins)
                    Error("GD0015", $"{spline} '{layer.Member}' has Bins = {layer.Bins}, more than GenDsl's limit of {MaxBins} (each bin keeps at least 1/1000 of the interval, so K·0.001 must stay well below 1)", i, FindingTarget.NamedArgument, "Bins");
                if (float.IsInfinity(layer.TailBound) || layer.TailBound > MaxTailBound)
                    Error("GD0015", $"{spline} '{layer.Member}' has TailBound = {FormatBound(layer.TailBound)}, more than GenDsl's limit of {MaxTailBound}: the spline's interval [−B, B] must be finite (scale the data instead)", i, FindingTarget.NamedArgument, "TailBound");
            }
        }
        long netLayers = spec.Layers.Where(l => l.HasNetwork).Sum(l => (long)System.Math.Max(l.HiddenLayers, 0) + 1);
        if (netLayers > Limits.MaxNetworkLayers)
            Error("GD0015", $"Flow '{spec.ClassName}' has {netLayers} dense layers in its coupling and autoregressive networks, more than GenDsl's limit of {Limits.MaxNetworkLayers} (the generated code grows with each): use fewer couplings or HiddenLayers", -1, FindingTarget.ClassName);
        if (found.Any(f => f.Id == "GD0015"))
            return found;
        long parameters = Parameters(spec);
        if (parameters > Limits.MaxParameters)
        {
            Error("GD0015", $"Flow '{spec.ClassName}' would have {parameters} parameters, more than GenDsl's limit of {Limits.MaxParameters}: use fewer or narrower layers", -1, FindingTarget.ClassName);
            return found;
        }

        if (spec.LayerDeclarationCount > 1)
            Error("GD0010", $"The layers of '{spec.ClassName}' are declared in {spec.LayerDeclarationCount} partial declarations, so their order is undefined: declare every layer member in one declaration", -1, FindingTarget.LayerDeclarations);

        for (int r = 0; r < spec.Roles.Count; r++)
        {
            var role = spec.Roles[r];
            found.Add(new DiagnosticInfo("GD0009", $"Member '{role.Member}' has the role [{role.AttributeName}], which belongs to another model kind: a flow's layers have no roles, remove the attribute", -1, true, FindingTarget.Role, Role: r));
        }

        var shapes = FlowMath.Shapes(spec); // an image flow's [C, H, W] before each layer (null: a vector flow)
        bool split = false; // a [Split] came before: only image layers act on the active prefix
        int couplings = 0, autoregressive = 0;
        int[]? previousKept = null; // kept set of the previous coupling while no mixing layer came in between
        var names = new HashSet<string>();
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            var layer = spec.Layers[i];
            bool imageLayer = layer.Kind is LayerKind.Squeeze or LayerKind.ActNorm or LayerKind.InvertibleConv1x1 or LayerKind.Split or LayerKind.NotInvertible
                || layer.HasImageMask && layer.Kind != LayerKind.SplineCoupling;
            if (split && !imageLayer)
                Error("GD0018", $"Layer '{layer.Member}' ([{layer.AttributeName}]) comes after a [Split], where only the image layers act on the remaining channels: use [Squeeze], [ActNorm], [InvertibleConv1x1], [Split] and couplings with an image mask (Mask.ChannelsFirstHalf …) there, or move it before the split", i);
            if (!names.Add(layer.Member))
                Error("GD0011", $"Layer '{layer.Member}' is declared more than once: give each layer member a name of its own", i, FindingTarget.MemberName);
            switch (layer.Kind)
            {
                case LayerKind.NotInvertible:
                    Error("GD0002", $"Layer '{layer.Member}' uses [{layer.AttributeName}], which has no exact inverse and log-determinant: a flow accepts only [AffineCoupling], [AdditiveCoupling], [SplineCoupling], [MaskedAutoregressive], [Permute], [ActNorm], [InvertibleLinear], [Squeeze], [InvertibleConv1x1] and [Split]", i);
                    break;

                case LayerKind.AffineCoupling:
                case LayerKind.AdditiveCoupling:
                case LayerKind.SplineCoupling:
                {
                    if (layer.Kind == LayerKind.SplineCoupling)
                    {
                        if (layer.Bins < 2)
                            Error("GD0005", $"Spline coupling '{layer.Member}' has Bins = {layer.Bins}: a spline needs at least 2 bins (8 is the usual choice)", i, FindingTarget.NamedArgument, "Bins");
                        if (!(layer.TailBound > 0))
                            Error("GD0005", $"Spline coupling '{layer.Member}' has TailBound = {FormatBound(layer.TailBound)}: the spline acts on [−B, B], so B must be > 0 (3 is the usual choice for standardised data)", i, FindingTarget.NamedArgument, "TailBound");
                    }
                    if (layer.Hidden <= 0)
                        Error("GD0005", $"Coupling '{layer.Member}' has Hidden = {layer.Hidden}: the width of its hidden layers must be ≥ 1", i, FindingTarget.NamedArgument, "Hidden");
                    if (layer.HiddenLayers < 0)
                        Error("GD0005", $"Coupling '{layer.Member}' has HiddenLayers = {layer.HiddenLayers}: use 0 or more", i, FindingTarget.NamedArgument, "HiddenLayers");

                    if (layer.HasImageMask)
                    {
                        string maskName = MaskNames[layer.Mask];
                        if (!spec.IsImage)
                            Error("GD0018", $"Coupling '{layer.Member}' has the image mask Mask.{maskName}, but '{spec.ClassName}' is a vector flow of Features = {spec.Features}: declare [Flow(Channels = …, Height = …, Width = …)], or use a vector mask (Mask.FirstHalf, Mask.Even, a pattern)", i, FindingTarget.ConstructorArgument);
                        else if (layer.Kind == LayerKind.SplineCoupling)
                            Error("GD0018", $"Spline coupling '{layer.Member}' has the image mask Mask.{maskName}: spline couplings have no convolutional network yet; use [AffineCoupling] or [AdditiveCoupling] with it, or a vector mask", i, FindingTarget.ConstructorArgument);
                        else if (shapes is not null)
                        {
                            var shape = shapes[i];
                            bool channelMask = !layer.HasCheckerboardMask;
                            if (channelMask && shape.C < 2)
                                Error("GD0018", $"Coupling '{layer.Member}' has the channel mask Mask.{maskName} but receives the image shape [{shape.C}, {shape.H}, {shape.W}], of one channel: a channel mask needs at least 2 channels (put a [Squeeze] before it, or use Mask.CheckerboardEven)", i, FindingTarget.ConstructorArgument);
                            else if (!channelMask && shape.H * shape.W < 2)
                                Error("GD0018", $"Coupling '{layer.Member}' has the checkerboard mask Mask.{maskName} but receives the image shape [{shape.C}, {shape.H}, {shape.W}], of one pixel: a checkerboard needs at least 2 pixels (use Mask.ChannelsFirstHalf)", i, FindingTarget.ConstructorArgument);
                            else
                            {
                                var kept = FlowMath.ImageKept(layer.Mask, shape.C, shape.H, shape.W);
                                if (previousKept is not null && previousKept.SequenceEqual(kept))
                                    Warn("GD0007", $"Coupling '{layer.Member}' keeps the same features as the coupling before it, with no permutation or mixing layer in between: those features are never transformed. Insert [InvertibleConv1x1] or flip the mask", i, FindingTarget.ConstructorArgument);
                                previousKept = kept;
                            }
                        }
                        couplings++;
                        break;
                    }

                    bool patternOk = true;
                    if (layer.Pattern is not null)
                    {
                        if (spec.Features > 0 && layer.Pattern.Length != spec.Features)
                        {
                            Error("GD0006", $"Coupling '{layer.Member}' has the pattern \"{layer.Pattern}\" of length {layer.Pattern.Length}, but the flow has Features = {spec.Features}: write one '0' or '1' per feature", i, FindingTarget.ConstructorArgument);
                            patternOk = false;
                        }
                        else if (layer.Pattern.Any(c => c != '0' && c != '1'))
                        {
                            Error("GD0006", $"Coupling '{layer.Member}' has the pattern \"{layer.Pattern}\", which has characters other than '0' and '1': mark kept features with '1' and transformed ones with '0'", i, FindingTarget.ConstructorArgument);
                            patternOk = false;
                        }
                    }

                    if (spec.Features > 0 && patternOk)
                    {
                        var kept = FlowMath.Kept(layer, spec.Features, couplings);
                        if (spec.Features < 2)
                            Error("GD0003", $"Coupling '{layer.Member}' cannot split a flow of Features = {spec.Features}: a coupling needs at least 2 features, one kept and one transformed", i);
                        else if (kept.Length == 0 || kept.Length == spec.Features)
                            Error("GD0003", $"Coupling '{layer.Member}' {(kept.Length == 0 ? "keeps no feature" : "keeps every feature")}: its mask must leave both sides non-empty (e.g. \"{new string('1', spec.Features / 2)}{new string('0', spec.Features - spec.Features / 2)}\")", i, FindingTarget.ConstructorArgument);
                        else if (previousKept is not null && previousKept.SequenceEqual(kept))
                            Warn("GD0007", $"Coupling '{layer.Member}' keeps the same features as the coupling before it, with no permutation or mixing layer in between: those features are never transformed. Insert [Permute(Permutation.Reverse)] or flip the mask", i, FindingTarget.ConstructorArgument);
                        previousKept = kept;
                    }
                    couplings++;
                    break;
                }

                case LayerKind.MaskedAutoregressive:
                    if (layer.Transform is < 0 or > 1)
                        Error("GD0005", $"Masked autoregressive layer '{layer.Member}' has Transform = {layer.Transform}, which is not a value of GenDsl.AutoregressiveTransform: use AutoregressiveTransform.Affine or AutoregressiveTransform.Spline", i, FindingTarget.NamedArgument, "Transform");
                    if (layer.IsSplineMade)
                    {
                        if (layer.Bins < 2)
                            Error("GD0005", $"Masked autoregressive spline layer '{layer.Member}' has Bins = {layer.Bins}: a spline needs at least 2 bins (8 is the usual choice)", i, FindingTarget.NamedArgument, "Bins");
                        if (!(layer.TailBound > 0))
                            Error("GD0005", $"Masked autoregressive spline layer '{layer.Member}' has TailBound = {FormatBound(layer.TailBound)}: the spline acts on [−B, B], so B must be > 0 (3 is the usual choice for standardised data)", i, FindingTarget.NamedArgument, "TailBound");
                    }
                    if (layer.Hidden <= 0)
                        Error("GD0005", $"Masked autoregressive layer '{layer.Member}' has Hidden = {layer.Hidden}: the width of its hidden layers must be ≥ 1", i, FindingTarget.NamedArgument, "Hidden");
                    if (layer.HiddenLayers < 1)
                        Error("GD0005", $"Masked autoregressive layer '{layer.Member}' has HiddenLayers = {layer.HiddenLayers}: a MADE needs at least 1 hidden layer (its masks need hidden units to carry the dependencies; 2 is the usual choice)", i, FindingTarget.NamedArgument, "HiddenLayers");
                    else if (layer.Hidden > 0 && spec.Features > 2 && layer.Hidden < spec.Features - 1)
                        Warn("GD0017", $"Masked autoregressive layer '{layer.Member}' has Hidden = {layer.Hidden} but the flow has Features = {spec.Features}: with fewer than Features − 1 = {spec.Features - 1} hidden units no unit has the degrees {layer.Hidden + 1}…{spec.Features - 1}, so features {layer.Hidden + 1}…{spec.Features - 1} can never depend on every feature before them. Set Hidden = {spec.Features - 1} or more", i, FindingTarget.NamedArgument, "Hidden");
                    autoregressive++;
                    previousKept = null; // it transforms every feature
                    break;

                case LayerKind.Permute:
                    if (layer.PermutationKind < 0 && spec.Features > 0)
                    {
                        var order = layer.Order;
                        string? problem = null;
                        if (order.Count != spec.Features)
                            problem = $"has {order.Count} entries but the flow has Features = {spec.Features}";
                        else
                        {
                            var seen = new HashSet<int>();
                            foreach (int v in order)
                            {
                                if (v < 0 || v >= spec.Features) { problem = $"contains {v}, outside 0…{spec.Features - 1}"; break; }
                                if (!seen.Add(v)) { problem = $"contains {v} twice"; break; }
                            }
                        }
                        if (problem is not null)
                            Error("GD0004", $"Permutation '{layer.Member}' {problem}: list each of 0…{spec.Features - 1} exactly once", i, FindingTarget.ConstructorArgument);
                    }
                    previousKept = null;
                    break;

                case LayerKind.Squeeze:
                    if (!spec.IsImage)
                        Error("GD0018", $"Squeeze '{layer.Member}' needs an image flow, but '{spec.ClassName}' is a vector flow of Features = {spec.Features}: declare [Flow(Channels = …, Height = …, Width = …)] instead of Features", i);
                    else if (shapes is not null && (shapes[i].H % 2 != 0 || shapes[i].W % 2 != 0))
                        Error("GD0018", $"Squeeze '{layer.Member}' receives the image shape [{shapes[i].C}, {shapes[i].H}, {shapes[i].W}], whose {(shapes[i].H % 2 != 0 ? "height" : "width")} {(shapes[i].H % 2 != 0 ? shapes[i].H : shapes[i].W)} is odd: a 2×2 squeeze needs an even height and width (pad or crop the images, or squeeze fewer times)", i);
                    previousKept = null; // it permutes the features
                    break;

                case LayerKind.Split:
                    if (!spec.IsImage)
                        Error("GD0018", $"Split '{layer.Member}' needs an image flow, but '{spec.ClassName}' is a vector flow of Features = {spec.Features}: declare [Flow(Channels = …, Height = …, Width = …)]", i);
                    else if (shapes is not null && shapes[i].C < 2)
                        Error("GD0018", $"Split '{layer.Member}' receives the image shape [{shapes[i].C}, {shapes[i].H}, {shapes[i].W}], of one channel: a split sends half of the channels to the latent, so it needs at least 2 (put a [Squeeze] before it)", i);
                    previousKept = null;
                    split = true;
                    break;

                case LayerKind.InvertibleConv1x1:
                    if (!spec.IsImage)
                        Error("GD0018", $"Invertible 1×1 convolution '{layer.Member}' needs an image flow, but '{spec.ClassName}' is a vector flow of Features = {spec.Features}: declare [Flow(Channels = …, Height = …, Width = …)], or use [InvertibleLinear] on a vector flow", i);
                    previousKept = null; // it mixes the channels
                    break;

                default: // ActNorm does not mix features, InvertibleLinear does
                    if (layer.Kind == LayerKind.InvertibleLinear)
                        previousKept = null;
                    break;
            }

            if (layer.Kind != LayerKind.NotInvertible && !layer.IsPartialProperty)
                Error("GD0011", $"Layer '{layer.Member}' must be declared as a partial property, e.g. 'public partial {ShortType(layer.Kind)} {layer.Member} {{ get; }}'", i, FindingTarget.MemberName);
            else if (layer.Kind != LayerKind.NotInvertible && layer.MemberType != "GenDsl." + ShortType(layer.Kind))
                Error("GD0012", $"Layer '{layer.Member}' has [{layer.AttributeName}] but is typed '{layer.MemberType}': declare it as 'GenDsl.{ShortType(layer.Kind)}'", i, FindingTarget.MemberType);
        }

        if (couplings == 0 && autoregressive == 0 && spec.Features > 1)
            Warn("GD0008", $"Flow '{spec.ClassName}' has no coupling or autoregressive layer: it cannot model any dependence between features. Add an [AffineCoupling(Mask.Alternating)] layer", -1);

        return found;
    }

    /// <summary>GenDsl.Mask's member names by value, for messages.</summary>
    internal static readonly string[] MaskNames = { "Alternating", "FirstHalf", "SecondHalf", "Even", "Odd", "ChannelsFirstHalf", "ChannelsSecondHalf", "CheckerboardEven", "CheckerboardOdd" };

    /// <summary>The most bins of a [SplineCoupling] (the runtime's SplineKernels.MaxBins).</summary>
    public const int MaxBins = 256;

    /// <summary>The largest tail bound B of a [SplineCoupling]: 10^6 (the knots are computed in double, the data are floats).</summary>
    public const float MaxTailBound = 1e6f;

    private static string FormatBound(float value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The flow's learned parameters (and InvertibleLinear's D×D work space) as a long, from bounded sizes only.</summary>
    private static long Parameters(FlowSpec spec)
    {
        long d = System.Math.Max(spec.Features, 0), total = 0;
        var shapes = FlowMath.Shapes(spec); // image flows: the image layers' sizes follow the current channels, not D
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            var layer = spec.Layers[i];
            if (shapes is not null && (layer.Kind == LayerKind.InvertibleConv1x1 || layer.HasImageMask && layer.Kind != LayerKind.SplineCoupling))
            {
                long c = shapes[i].C, pixels = (long)shapes[i].H * shapes[i].W, k = System.Math.Max(spec.Condition, 0);
                if (layer.Kind == LayerKind.InvertibleConv1x1)
                {
                    total += 6 * c * c + c + 2 * d; // L, U, the 4·C² work space, logs; the pixel-major copies
                    continue;
                }
                // a convolutional coupling: conv 3×3, conv 1×1 …, conv 3×3 to at most 2·C channels, and its activations
                long hidden = System.Math.Max(layer.Hidden, 1), inChannels = c + k, n = System.Math.Max(layer.HiddenLayers, 0);
                total += n == 0 ? (inChannels * 9 + 1) * 2 * c
                    : (inChannels * 9 + 1) * hidden + (n - 1) * (hidden + 1) * hidden + (hidden * 9 + 1) * 2 * c;
                total += c; // the scale
                continue;
            }
            switch (layer.Kind)
            {
                case LayerKind.AffineCoupling:
                case LayerKind.AdditiveCoupling:
                case LayerKind.SplineCoupling:
                {
                    long width = d + System.Math.Max(spec.Condition, 0), hidden = System.Math.Max(layer.Hidden, 1);
                    long perFeature = layer.Kind == LayerKind.SplineCoupling ? 3L * System.Math.Min(System.Math.Max(layer.Bins, 1), MaxBins) - 1 : 2;
                    for (int l = 0; l <= System.Math.Max(layer.HiddenLayers, 0); l++)
                    {
                        long outW = l == layer.HiddenLayers ? perFeature * d : hidden;
                        total += (width + 1) * outW;
                        width = outW;
                    }
                    total += d;
                    break;
                }
                case LayerKind.MaskedAutoregressive:
                {
                    long width = d + System.Math.Max(spec.Condition, 0), hidden = System.Math.Max(layer.Hidden, 1);
                    long perFeature = layer.IsSplineMade ? 3L * System.Math.Min(System.Math.Max(layer.Bins, 1), MaxBins) - 1 : 2;
                    for (int l = 0; l <= System.Math.Max(layer.HiddenLayers, 0); l++)
                    {
                        long outW = l == layer.HiddenLayers ? perFeature * d : hidden;
                        total += (width + 1) * outW;
                        width = outW;
                    }
                    if (!layer.IsSplineMade)
                        total += d; // the learned scale
                    break;
                }
                case LayerKind.ActNorm:
                    total += 2 * d;
                    break;
                case LayerKind.InvertibleLinear:
                    total += 6 * d * d + d; // L, U and the 4·D² work space
                    break;
                case LayerKind.InvertibleConv1x1: // C ≤ D channels: at most as large as an [InvertibleLinear]
                    total += 6 * d * d + d;
                    break;
            }
        }
        return total;
    }

    public static string ShortType(LayerKind kind) => kind switch
    {
        LayerKind.AffineCoupling or LayerKind.AdditiveCoupling or LayerKind.SplineCoupling => "Coupling",
        LayerKind.Permute => "Permutation",
        LayerKind.ActNorm => "ActNorm",
        LayerKind.InvertibleLinear => "InvertibleLinear",
        LayerKind.MaskedAutoregressive => "MaskedAutoregressive",
        LayerKind.Squeeze => "Squeeze",
        LayerKind.InvertibleConv1x1 => "InvertibleConv1x1",
        LayerKind.Split => "Split",
        _ => "Coupling",
    };

    /// <summary>How messages name a layer with a network: "Coupling", "Spline coupling" is said where it matters, "Masked autoregressive layer".</summary>
    private static string Describe(LayerSpec layer) => layer.Kind == LayerKind.MaskedAutoregressive ? "Masked autoregressive layer" : "Coupling";
}
