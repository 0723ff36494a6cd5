using System.Collections.Generic;
using System.Linq;
using GenDsl.Generators.Flows;

namespace GenDsl.Generators.Networks;

/// <summary>
/// What makes a [Vae] or [Gan] declaration valid (shared by the generator and the analyzers). Each
/// finding says which syntax is at fault (<see cref="FindingTarget"/>): the generator only needs to know
/// there is an error, the analyzers put it on that syntax.
/// </summary>
internal static class NetValidator
{
    public static List<DiagnosticInfo> Validate(NetModelSpec spec)
    {
        var found = new List<DiagnosticInfo>();
        void Error(string id, string message, int layer, FindingTarget target = FindingTarget.Attribute, string? argument = null) =>
            found.Add(new DiagnosticInfo(id, message, layer, true, target, argument));

        if (!spec.IsPartial || spec.IsStatic || spec.IsAbstract || spec.IsGeneric || spec.IsNested)
        {
            string why = !spec.IsPartial ? "is not partial" : spec.IsStatic ? "is static" : spec.IsAbstract ? "is abstract"
                : spec.IsGeneric ? "is generic" : "is nested in another type";
            Error("GD0001", $"Model class '{spec.ClassName}' {why}: a model must be a non-static, non-abstract, non-generic, top-level 'partial' class", -1, FindingTarget.ClassName);
        }

        string latentName = spec.Kind == NetKind.Vae ? "Latent" : "Noise";
        if (spec.Features <= 0)
            Error("GD0005", $"{spec.KindName} '{spec.ClassName}' has Features = {spec.Features}: set Features to the number of columns of a data row (≥ 1)", -1, FindingTarget.NamedArgument, "Features");
        if (spec.Latent <= 0)
            Error("GD0005", $"{spec.KindName} '{spec.ClassName}' has {latentName} = {spec.Latent}: set {latentName} to the size of Z (≥ 1)", -1, FindingTarget.NamedArgument, latentName);
        if (spec.Condition < 0)
            Error("GD0005", $"{spec.KindName} '{spec.ClassName}' has Condition = {spec.Condition}: use 0 for an unconditional model or the size of Y", -1, FindingTarget.NamedArgument, "Condition");
        if (spec.Kind == NetKind.Vae && spec.Beta < 0)
            Error("GD0005", $"VAE '{spec.ClassName}' has Beta = {spec.Beta}: the KL weight must be ≥ 0 (1 for the ELBO)", -1, FindingTarget.NamedArgument, "Beta");
        if (spec.Kind == NetKind.Vae && spec.Likelihood == 2 && !(spec.Sigma > 0))
            Error("GD0005", $"VAE '{spec.ClassName}' has Likelihood = GaussianFixed with Sigma = {spec.Sigma}: set Sigma > 0", -1, FindingTarget.NamedArgument, "Sigma");
        if (spec.Kind == NetKind.Gan && spec.Loss == 3)
        {
            // The gradient penalty is differentiated exactly through a piecewise-linear critic (f″ = 0).
            var smooth = spec.Layers.FirstOrDefault(l => l.IsDense && l.Roles.Count == 1 && l.Roles[0] == "Discriminator" && l.Activation is not (0 or 1 or 2));
            if (smooth is not null)
                Error("GD0014", $"GAN '{spec.ClassName}' uses GanLoss.Wasserstein, whose gradient penalty GenDsl differentiates through a piecewise-linear critic only, but discriminator layer '{smooth.Member}' uses a smooth activation: use Activation.LeakyRelu or Relu there, or another loss", -1, FindingTarget.NamedArgument, "Loss");
            if (!(spec.GradientPenalty >= 0))
                Error("GD0005", $"GAN '{spec.ClassName}' has GradientPenalty = {spec.GradientPenalty}: the penalty weight λ must be ≥ 0 (10 is the usual value)", -1, FindingTarget.NamedArgument, "GradientPenalty");
        }

        if (spec.LayerDeclarationCount > 1)
            Error("GD0010", $"The layers of '{spec.ClassName}' are declared in {spec.LayerDeclarationCount} partial declarations, so their order is undefined: declare every layer member in one declaration", -1, FindingTarget.LayerDeclarations);

        var allowed = spec.Kind == NetKind.Vae ? new[] { "Encoder", "Decoder" } : new[] { "Generator", "Discriminator" };
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            var layer = spec.Layers[i];
            if (layer.OtherLayerAttribute is not null)
            {
                Error("GD0009", $"Layer '{layer.Member}' has [{layer.OtherLayerAttribute}], a flow layer, inside a {spec.KindName}: use [{allowed[0]}, Dense(width, activation)] or [{allowed[1]}, Dense(…)]", i, FindingTarget.MemberAttribute, layer.OtherLayerAttribute);
                continue;
            }
            var foreign = layer.Roles.FirstOrDefault(r => !allowed.Contains(r));
            if (foreign is not null)
            {
                Error("GD0009", $"Layer '{layer.Member}' has the role [{foreign}], which a {spec.KindName} does not have: use [{allowed[0]}] or [{allowed[1]}]", i, FindingTarget.MemberAttribute, foreign);
                continue;
            }
            if (layer.Roles.Count != 1 || !layer.IsDense)
            {
                string what = !layer.IsDense ? "has no [Dense(width, activation)]" : layer.Roles.Count == 0 ? "has no role" : "has two roles";
                // At the attribute to complete or remove: the role lacking its [Dense], the [Dense] lacking a role, the second role.
                string attribute = !layer.IsDense ? (layer.Roles.Count > 0 ? layer.Roles[0] : "Dense") : layer.Roles.Count == 0 ? "Dense" : layer.Roles[1];
                Error("GD0013", $"Layer '{layer.Member}' {what}: each layer of a {spec.KindName} is '[{allowed[0]}, Dense(width, activation)]' or '[{allowed[1]}, Dense(…)]'", i, FindingTarget.MemberAttribute, attribute);
                continue;
            }
            if (layer.Width <= 0)
                Error("GD0005", $"Layer '{layer.Member}' has width {layer.Width}: a [Dense] layer needs at least 1 unit", i, FindingTarget.ConstructorArgument, "width");
            if (!layer.IsPartialProperty)
                Error("GD0011", $"Layer '{layer.Member}' must be declared as a partial property, e.g. 'public partial Dense {layer.Member} {{ get; }}'", i, FindingTarget.MemberName);
            else if (layer.MemberType != "GenDsl.Dense")
                Error("GD0012", $"Layer '{layer.Member}' has [Dense] but is typed '{layer.MemberType}': declare it as 'GenDsl.Dense'", i, FindingTarget.MemberType);
        }
        return found;
    }
}
