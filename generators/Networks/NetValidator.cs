using System.Collections.Generic;
using System.Linq;
using GenDsl.Generators.Flows;
using GenDsl.Generators.Layers;

namespace GenDsl.Generators.Networks;

/// <summary>
/// What makes a [Vae] or [Gan] declaration valid (shared by the generator and the analyzers). Each
/// finding says which syntax is at fault (<see cref="FindingTarget"/>): the generator only needs to know
/// there is an error, the analyzers put it on that syntax. Every size is checked against
/// <see cref="Limits"/> before anything is computed from it.
/// </summary>
internal static class NetValidator
{
    public static List<DiagnosticInfo> Validate(NetModelSpec spec)
    {
        var found = new List<DiagnosticInfo>();
        void Error(string id, string message, int layer, FindingTarget target = FindingTarget.Attribute, string? argument = null) =>
            found.Add(new DiagnosticInfo(id, message, layer, true, target, argument));

        // A half-typed name ("class {", "namespace ;") is a missing identifier: nothing could be generated for it.
        bool unnamed = spec.ClassName.Length == 0 || spec.Namespace is not null && spec.Namespace.Split('.').Any(part => part.Length == 0);
        if (!spec.IsPartial || spec.IsStatic || spec.IsAbstract || spec.IsGeneric || spec.IsNested || unnamed)
        {
            string why = spec.ClassName.Length == 0 ? "has no name" : unnamed ? "is in a namespace with a missing name"
                : !spec.IsPartial ? "is not partial" : spec.IsStatic ? "is static" : spec.IsAbstract ? "is abstract"
                : spec.IsGeneric ? "is generic" : "is nested in another type";
            Error("GD0001", $"Model class '{spec.ClassName}' {why}: a model must be a non-static, non-abstract, non-generic, top-level 'partial' class", -1, FindingTarget.ClassName);
        }

        string latentName = spec.Kind == NetKind.Gan ? "Noise" : "Latent";
        bool semi = spec.Kind == NetKind.SemiSupervisedVae;
        bool regressor = spec.Kind == NetKind.Regressor;
        bool sizesOk = true;
        void Size(string name, int value, int min, int max, string what)
        {
            if (value < min)
            {
                Error("GD0005", $"{spec.KindName} '{spec.ClassName}' has {name} = {value}: {what}", -1, FindingTarget.NamedArgument, name);
                sizesOk = false;
            }
            else if (value > max)
            {
                Error("GD0015", $"{spec.KindName} '{spec.ClassName}' has {name} = {value}, more than GenDsl's limit of {max}", -1, FindingTarget.NamedArgument, name);
                sizesOk = false;
            }
        }

        if (spec.HasImageShape)
        {
            Size("Channels", spec.Channels, 1, Limits.MaxSize, "set Channels, Height and Width to the shape of an image (≥ 1 each)");
            Size("Height", spec.Height, 1, Limits.MaxSide, "set Channels, Height and Width to the shape of an image (≥ 1 each)");
            Size("Width", spec.Width, 1, Limits.MaxSide, "set Channels, Height and Width to the shape of an image (≥ 1 each)");
            if (sizesOk)
            {
                long values = spec.DataShape.LongSize;
                if (values > Limits.MaxValues)
                {
                    Error("GD0015", $"{spec.KindName} '{spec.ClassName}' has images of {spec.DataShape} = {values} values, more than GenDsl's limit of {Limits.MaxValues}", -1, FindingTarget.NamedArgument, "Channels");
                    sizesOk = false;
                }
                else if (spec.Features != 0 && spec.Features != values)
                {
                    Error("GD0016", $"{spec.KindName} '{spec.ClassName}' has Features = {spec.Features} but images of {spec.Channels}×{spec.Height}×{spec.Width} = {values} values: remove Features or make it {values}", -1, FindingTarget.NamedArgument, "Features");
                    sizesOk = false;
                }
            }
        }
        else
            Size("Features", spec.Features, 1, Limits.MaxSize, "set Features to the number of columns of a data row (≥ 1)");
        if (!regressor)
            Size(latentName, spec.Latent, 1, Limits.MaxSize, $"set {latentName} to the size of Z (≥ 1)");
        if (semi)
        {
            Size("Classes", spec.Classes, 2, Limits.MaxSize, "set Classes to the number of classes of the labels y, at least 2 (10 for digits)");
            if (!(spec.Alpha >= 0) || float.IsInfinity(spec.Alpha))
                Error("GD0005", $"Semi-supervised VAE '{spec.ClassName}' has Alpha = {spec.Alpha}: the classification weight α must be a finite number ≥ 0 (the paper's 0.1·N is Alpha = 0.1·N/N_labelled here; see docs/semi-supervised.md)", -1, FindingTarget.NamedArgument, "Alpha");
            if (!(spec.ClassifierNoise >= 0) || float.IsInfinity(spec.ClassifierNoise))
                Error("GD0005", $"Semi-supervised VAE '{spec.ClassName}' has ClassifierNoise = {spec.ClassifierNoise}: the standard deviation of the classifier's training input noise must be a finite number ≥ 0 (0: no noise)", -1, FindingTarget.NamedArgument, "ClassifierNoise");
        }
        else if (regressor)
            Size(spec.ConditionImage.IsSet && spec.DeclaredCondition == 0 ? "ConditionChannels" : "Condition", spec.Condition, 1, Limits.MaxSize,
                "a regressor predicts x from y: set Condition to the size of Y (≥ 1), or ConditionChannels, ConditionHeight and ConditionWidth for an image y");
        else
            Size(spec.ConditionImage.IsSet && spec.DeclaredCondition == 0 ? "ConditionChannels" : "Condition", spec.Condition, 0, Limits.MaxSize, "use 0 for an unconditional model or the size of Y");
        if (semi && spec.ConditionImage.IsSet)
            Error("GD0005", $"Semi-supervised VAE '{spec.ClassName}' declares an image condition (ConditionChannels, ConditionHeight, ConditionWidth), but its condition is the class y: remove them", -1, FindingTarget.NamedArgument, "ConditionChannels");
        else
            foreach (var (argument, message) in spec.ConditionImage.Check($"{spec.KindName} '{spec.ClassName}'", spec.DeclaredCondition, spec.HasImageShape || regressor,
                "a network reading image data takes as an image"))
                Error("GD0005", message, -1, FindingTarget.NamedArgument, argument);

        if (spec.Kind == NetKind.Vae && spec.Likelihood is < 0 or > 2)
            Error("GD0005", $"VAE '{spec.ClassName}' has Likelihood = {spec.Likelihood}, which is not a value of GenDsl.Likelihood: use Bernoulli, Gaussian or GaussianFixed", -1, FindingTarget.NamedArgument, "Likelihood");
        if (spec.Kind == NetKind.Gan && spec.Loss is < 0 or > 3)
            Error("GD0005", $"GAN '{spec.ClassName}' has Loss = {spec.Loss}, which is not a value of GenDsl.GanLoss: use NonSaturating, Minimax, Hinge or Wasserstein", -1, FindingTarget.NamedArgument, "Loss");
        if (spec.Kind is NetKind.Gan or NetKind.Regressor && spec.Output is < 0 or > 5)
            Error("GD0005", $"{spec.KindName} '{spec.ClassName}' has Output = {spec.Output}, which is not a value of GenDsl.Activation: use one of its named members", -1, FindingTarget.NamedArgument, "Output");
        if (spec.Kind == NetKind.Vae && !(spec.Beta >= 0) || spec.Kind == NetKind.Vae && float.IsInfinity(spec.Beta))
            Error("GD0005", $"VAE '{spec.ClassName}' has Beta = {spec.Beta}: the KL weight must be a finite number ≥ 0 (1 for the ELBO)", -1, FindingTarget.NamedArgument, "Beta");
        if (spec.Kind == NetKind.Vae && spec.Likelihood == 2 && !(spec.Sigma > 0 && !float.IsInfinity(spec.Sigma)))
            Error("GD0005", $"VAE '{spec.ClassName}' has Likelihood = GaussianFixed with Sigma = {spec.Sigma}: set Sigma to a finite number > 0", -1, FindingTarget.NamedArgument, "Sigma");
        if (spec.Kind == NetKind.Gan && spec.Loss == 3)
        {
            // The gradient penalty is differentiated exactly through a piecewise-linear dense critic (f″ = 0).
            var smooth = spec.Layers.FirstOrDefault(l => l.Op is not null && l.Roles.Count == 1 && l.Roles[0] == "Discriminator"
                && (l.Op.Op != "Dense" || OpCatalog.Get(l.Op.Op).ActivationOf(l.Op) is not (0 or 1 or 2)));
            if (smooth is not null)
            {
                string why = smooth.Op!.Op != "Dense" ? $"is a [{smooth.Op.Op}] layer: use [Dense] layers there" : "uses a smooth activation: use Activation.LeakyRelu or Relu there";
                Error("GD0014", $"GAN '{spec.ClassName}' uses GanLoss.Wasserstein, whose gradient penalty GenDsl differentiates through a piecewise-linear dense critic only, but discriminator layer '{smooth.Member}' {why}, or another loss", -1, FindingTarget.NamedArgument, "Loss");
            }
            if (!(spec.GradientPenalty >= 0) || float.IsInfinity(spec.GradientPenalty))
                Error("GD0005", $"GAN '{spec.ClassName}' has GradientPenalty = {spec.GradientPenalty}: the penalty weight λ must be a finite number ≥ 0 (10 is the usual value)", -1, FindingTarget.NamedArgument, "GradientPenalty");
        }

        if (spec.LayerDeclarationCount > 1)
            Error("GD0010", $"The layers of '{spec.ClassName}' are declared in {spec.LayerDeclarationCount} partial declarations, so their order is undefined: declare every layer member in one declaration", -1, FindingTarget.LayerDeclarations);
        if (spec.Layers.Count > Limits.MaxLayers)
        {
            Error("GD0015", $"{spec.KindName} '{spec.ClassName}' declares {spec.Layers.Count} layers, more than GenDsl's limit of {Limits.MaxLayers}", -1, FindingTarget.ClassName);
            return found;
        }

        var allowed = spec.Kind switch
        {
            NetKind.Vae => new[] { "Encoder", "Decoder" },
            NetKind.Gan => new[] { "Generator", "Discriminator" },
            NetKind.Regressor => new[] { "Predictor" },
            _ => new[] { "Encoder", "Decoder", "Classifier" },
        };
        bool layersOk = true;
        var names = new HashSet<string>();
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            var layer = spec.Layers[i];
            if (!names.Add(layer.Member))
            {
                Error("GD0011", $"Layer '{layer.Member}' is declared more than once: give each layer member a name of its own", i, FindingTarget.MemberName);
                layersOk = false;
            }
            if (layer.OtherLayerAttribute is not null)
            {
                Error("GD0009", $"Layer '{layer.Member}' has [{layer.OtherLayerAttribute}], a flow layer, inside a {spec.KindName}: use [{allowed[0]}, Dense(width, activation)]{(allowed.Length > 1 ? $" or [{allowed[1]}, Dense(…)]" : "")}", i, FindingTarget.MemberAttribute, layer.OtherLayerAttribute);
                layersOk = false;
                continue;
            }
            var foreign = layer.Roles.FirstOrDefault(r => !allowed.Contains(r));
            if (foreign is not null)
            {
                Error("GD0009", $"Layer '{layer.Member}' has the role [{foreign}], which a {spec.KindName} does not have: use {string.Join(" or ", allowed.Select(a => $"[{a}]"))}", i, FindingTarget.MemberAttribute, foreign);
                layersOk = false;
                continue;
            }
            if (layer.Roles.Count != 1 || layer.Op is null || layer.OpCount > 1)
            {
                string what = layer.Op is null ? "has no layer attribute such as [Dense(width, activation)] or [Conv(channels, kernel)]"
                    : layer.Roles.Count == 0 ? "has no role" : layer.Roles.Count > 1 ? "has two roles" : "has two layer attributes";
                // At the attribute to complete or remove: the role lacking its op, the op lacking a role, the second role.
                string attribute = layer.Op is null ? (layer.Roles.Count > 0 ? layer.Roles[0] : "Dense")
                    : layer.Roles.Count == 0 || layer.Roles.Count == 1 ? layer.Op.Op : layer.Roles[1];
                Error("GD0013", $"Layer '{layer.Member}' {what}: each layer of a {spec.KindName} is '[{allowed[0]}, Dense(width, activation)]' or '[{allowed[allowed.Length - 1]}, Conv(…)]' (a role and one layer attribute)", i, FindingTarget.MemberAttribute, attribute);
                layersOk = false;
                continue;
            }
            var op = OpCatalog.Get(layer.Op.Op);
            if (!layer.IsPartialProperty)
                Error("GD0011", $"Layer '{layer.Member}' must be declared as a partial property, e.g. 'public partial {op.MemberType} {layer.Member} {{ get; }}'", i, FindingTarget.MemberName);
            else if (layer.MemberType != "GenDsl." + op.MemberType)
                Error("GD0012", $"Layer '{layer.Member}' has [{op.Name}] but is typed '{layer.MemberType}': declare it as 'GenDsl.{op.MemberType}'", i, FindingTarget.MemberType);
            var arguments = op.CheckArguments(layer.Op, layer.Member);
            if (arguments.Error is not null)
            {
                NetworkShapes.Report(found, arguments.Id, arguments.Error, i, op, arguments.Argument);
                layersOk = false;
            }
        }

        if (semi && layersOk && !spec.Layers.Any(l => l.Roles.Count == 1 && l.Roles[0] == "Classifier"))
        {
            Error("GD0013", $"Semi-supervised VAE '{spec.ClassName}' has no [Classifier] layer: q(y|x) needs one, e.g. '[Classifier, Dense(500, Activation.Relu)] public partial Dense C1 {{ get; }}' (its softmax head over the {spec.Classes} classes is implied)", -1, FindingTarget.Attribute);
            layersOk = false;
        }

        if (layersOk && sizesOk && !found.Any(f => f.IsError && f.Layer < 0 && f.Id == "GD0005"))
            CheckShapes(spec, found);
        return found;
    }

    /// <summary>The layers of one role, with their indices.</summary>
    internal static IEnumerable<NetworkShapes.Item> Role(NetModelSpec spec, string role) =>
        spec.Layers.Select((l, i) => (l, i)).Where(t => t.l.Roles.Count == 1 && t.l.Roles[0] == role && t.l.Op is not null)
            .Select(t => new NetworkShapes.Item(t.i, t.l.Member, t.l.Op!));

    /// <summary>Input shape of a network that reads data rows: the image with the condition as extra constant channels, or [x, y].</summary>
    internal static Shape DataInput(NetModelSpec spec) =>
        spec.HasImageShape ? new Shape(spec.Channels + spec.ConditionImage.ChannelCount(spec.Condition), spec.Height, spec.Width) : Shape.Vector(spec.Features + spec.Condition);

    /// <summary>What the decoder (its likelihood's parameters) or the generator must output.</summary>
    internal static Shape ExpectedOutput(NetModelSpec spec)
    {
        var data = spec.DataShape;
        bool twice = spec.Kind == NetKind.Vae && spec.Likelihood == 1; // Gaussian: mean and log-variance
        return twice ? new Shape(2 * data.C, data.H, data.W) : data;
    }

    /// <summary>True when the network's last declared layer makes the output itself (a convolution), so no dense head is implied.</summary>
    internal static bool EndsWithImage(NetModelSpec spec, string role)
    {
        var last = Role(spec, role).LastOrDefault();
        return last.Spec is not null && OpCatalog.Get(last.Spec.Op).MakesImage;
    }

    private static void CheckShapes(NetModelSpec spec, List<DiagnosticInfo> found)
    {
        bool vae = spec.Kind is NetKind.Vae or NetKind.SemiSupervisedVae;
        var latentIn = Shape.Vector((spec.Kind == NetKind.Regressor ? 0 : spec.Latent) + spec.Condition); // a regressor's network reads y alone
        var (first, second) = vae ? ("Encoder", "Decoder") : ("Generator", "Discriminator");
        var reading = vae ? first : second;   // the network that reads data rows
        var making = vae ? second : first;    // the network that makes them
        long parameters = 0;

        // A semi-supervised VAE's classifier q(y|x) reads the data alone (no condition) and has an implied softmax head.
        // A regressor has one network, which makes data rows from y.
        var roles = spec.Kind switch
        {
            NetKind.SemiSupervisedVae => new[] { first, second, "Classifier" },
            NetKind.Regressor => new[] { "Predictor" },
            _ => new[] { first, second },
        };
        foreach (var role in roles)
        {
            bool readsData = role == reading || role == "Classifier";
            var input = role == "Classifier" ? spec.DataShape : readsData ? DataInput(spec) : latentIn;
            string network = role.ToLowerInvariant();
            var layers = Role(spec, role).ToList();
            var output = NetworkShapes.Chain(input, layers, network, found);
            if (output is null)
            {
                if (!readsData)
                    SuggestLastLayerFix(spec, input, layers, network, found);
                return;
            }
            parameters += Parameters(input, layers);

            if (!readsData && EndsWithImage(spec, role))
            {
                var lastItem = layers[layers.Count - 1];
                var lastOp = OpCatalog.Get(lastItem.Spec.Op);
                var expected = ExpectedOutput(spec);
                if (!output.Value.Equals(expected))
                {
                    string data = spec.HasImageShape ? $"Channels = {spec.Channels}, Height = {spec.Height}, Width = {spec.Width}" : $"Features = {spec.Features} (declare Channels, Height and Width for image data)";
                    var lastInput = NetworkShapes.Chain(input, layers.Take(layers.Count - 1), network, new List<DiagnosticInfo>());
                    var changes = lastInput is null ? new List<ArgumentChange>() : OutputFix.Changes(lastItem.Spec, lastInput.Value, expected, lastItem.Member);
                    string fix = changes.Count switch
                    {
                        0 => $"change its channels, kernel, stride or padding, or end the {network} with a [Dense] layer so that a dense head is implied",
                        1 => $"set {changes[0]}, which gives {expected}",
                        _ => $"{OutputFix.Describe(changes)} gives {expected} (one of them), or change its kernel or stride, or end the {network} with a [Dense] layer so that a dense head is implied",
                    };
                    NetworkShapes.Report(found, "GD0016", $"The {network} ends with '{lastItem.Member}', whose output {output} is not the data's shape {expected} ({data}{(vae && spec.Likelihood == 1 ? "; a Gaussian decoder outputs a mean and a log-variance channel per data channel" : "")}): {fix}", lastItem.Layer, lastOp, null);
                    if (changes.Count == 1)
                        found[found.Count - 1] = found[found.Count - 1] with { Fix = changes[0] };
                    return;
                }
                int act = lastOp.ActivationOf(lastItem.Spec);
                if (vae && act != 0)
                {
                    NetworkShapes.Report(found, "GD0016", $"The decoder ends with '{lastItem.Member}', whose output is the likelihood's parameters ({(spec.Likelihood == 0 ? "Bernoulli logits" : "means")}), but it has Activation = {Op.ActivationNames[act]}: use Activation.Identity there (the Bernoulli likelihood applies the sigmoid itself)", lastItem.Layer, lastOp, "Activation");
                    return;
                }
                if (!vae && spec.Output != 0 && spec.Output != act)
                {
                    found.Add(new DiagnosticInfo("GD0016", $"The {network} ends with '{lastItem.Member}', a [{lastOp.Name}] whose Activation = {Op.ActivationNames[act]} is the output activation, but [{(spec.Kind == NetKind.Regressor ? "Regressor" : "Gan")}] also sets Output = {Op.ActivationNames[spec.Output]}: set the activation once, on '{lastItem.Member}'", -1, true, FindingTarget.NamedArgument, "Output"));
                    return;
                }
            }
            else
            {
                // The implied dense head: encoder → [μ, ln σ²], decoder → likelihood parameters, generator → x, discriminator → logit.
                int headOut = role switch
                {
                    "Encoder" => 2 * spec.Latent,
                    "Discriminator" => 1,
                    "Classifier" => spec.Classes,
                    _ => ExpectedOutput(spec).Size,
                };
                parameters += ((long)output.Value.LongSize + 1) * headOut;
            }
        }
        if (parameters > Limits.MaxParameters)
            found.Add(new DiagnosticInfo("GD0015", $"{spec.KindName} '{spec.ClassName}' would have {parameters} parameters, more than GenDsl's limit of {Limits.MaxParameters}: use fewer or narrower layers", -1, true, FindingTarget.ClassName));
    }

    /// <summary>
    /// When the chain of the network that makes data rows failed (GD0016) at its last layer, a [Conv] or
    /// [ConvTranspose] that makes the image: the data's shape pins that layer's output, so the change of
    /// one argument that gives it (<see cref="OutputFix"/>) is named in the message, and is the finding's
    /// fix when it is the only one.
    /// </summary>
    private static void SuggestLastLayerFix(NetModelSpec spec, Shape input, List<NetworkShapes.Item> layers, string network, List<DiagnosticInfo> found)
    {
        if (layers.Count == 0 || found.Count == 0)
            return;
        var finding = found[found.Count - 1];
        var last = layers[layers.Count - 1];
        if (finding.Id != "GD0016" || finding.Layer != last.Layer || !OpCatalog.Get(last.Spec.Op).MakesImage)
            return;
        var lastInput = NetworkShapes.Chain(input, layers.Take(layers.Count - 1), network, new List<DiagnosticInfo>());
        if (lastInput is null)
            return;
        var expected = ExpectedOutput(spec);
        var changes = OutputFix.Changes(last.Spec, lastInput.Value, expected, last.Member);
        if (changes.Count == 0)
            return;
        string fix = changes.Count == 1
            ? $"; '{last.Member}' is the last layer of the {network}: set {changes[0]}, which gives the data's shape {expected}"
            : $"; '{last.Member}' is the last layer of the {network}: {OutputFix.Describe(changes)} gives the data's shape {expected} (one of them)";
        found[found.Count - 1] = finding with { Message = finding.Message + fix, Fix = changes.Count == 1 ? changes[0] : null };
    }

    /// <summary>Learned parameters of a validated chain of layers, as a long.</summary>
    internal static long Parameters(Shape input, IEnumerable<NetworkShapes.Item> layers)
    {
        long total = 0;
        var shape = input;
        foreach (var item in layers)
        {
            var op = OpCatalog.Get(item.Spec.Op);
            var node = new OpNode { Op = op, Spec = item.Spec, In = shape, Out = op.Check(item.Spec, shape, item.Member).Output };
            if (!op.IsView)
                total += op.Tensors(node).Where(t => !t.IsBuffer).Sum(t => t.Length);
            shape = node.Out;
        }
        return total;
    }
}
