using System.Collections.Generic;
using System.Linq;
using System.Threading;
using GenDsl.Generators.Flows;
using GenDsl.Generators.Helpers;
using GenDsl.Generators.Layers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GenDsl.Generators.Networks;

/// <summary>Reads a [Vae], [Gan], [SemiSupervisedVae] or [Regressor] class and its layer members (a role and an op of the <see cref="OpCatalog"/>) into a <see cref="NetModelSpec"/>.</summary>
internal static class NetParser
{
    public const string VaeAttribute = "GenDsl.VaeAttribute";
    public const string GanAttribute = "GenDsl.GanAttribute";
    public const string SemiSupervisedVaeAttribute = "GenDsl.SemiSupervisedVaeAttribute";
    public const string RegressorAttribute = "GenDsl.RegressorAttribute";
    public const string DenseAttribute = "GenDsl.DenseAttribute";

    /// <summary>Role attribute full names → role names.</summary>
    public static readonly IReadOnlyDictionary<string, string> RoleAttributes = new Dictionary<string, string>
    {
        ["GenDsl.EncoderAttribute"] = "Encoder",
        ["GenDsl.DecoderAttribute"] = "Decoder",
        ["GenDsl.GeneratorAttribute"] = "Generator",
        ["GenDsl.DiscriminatorAttribute"] = "Discriminator",
        ["GenDsl.ClassifierAttribute"] = "Classifier",
        ["GenDsl.PredictorAttribute"] = "Predictor",
    };

    public static NetModelSpec Parse(NetKind kind, INamedTypeSymbol type, AttributeData attribute, CancellationToken cancellationToken)
    {
        int features = 0, latent = 0, condition = 0, likelihood = 0, loss = 0, output = 0, channels = 0, height = 0, width = 0;
        int classes = 0, conditionChannels = 0, conditionHeight = 0, conditionWidth = 0;
        float sigma = 1f, beta = 1f, penalty = 10f, alpha = 1f, classifierNoise = 0f;
        foreach (var arg in attribute.NamedArguments)
        {
            switch (arg.Key)
            {
                case "Features" when arg.Value.Value is int f: features = f; break;
                case "Latent" when arg.Value.Value is int l: latent = l; break;
                case "Noise" when arg.Value.Value is int n: latent = n; break;
                case "Condition" when arg.Value.Value is int c: condition = c; break;
                case "Likelihood" when arg.Value.Value is int lk: likelihood = lk; break;
                case "Sigma" when arg.Value.Value is float s: sigma = s; break;
                case "Beta" when arg.Value.Value is float b: beta = b; break;
                case "Loss" when arg.Value.Value is int lo: loss = lo; break;
                case "Output" when arg.Value.Value is int o: output = o; break;
                case "GradientPenalty" when arg.Value.Value is float gp: penalty = gp; break;
                case "Channels" when arg.Value.Value is int ch: channels = ch; break;
                case "Height" when arg.Value.Value is int h: height = h; break;
                case "Width" when arg.Value.Value is int wd: width = wd; break;
                case "Classes" when arg.Value.Value is int k: classes = k; break;
                case "Alpha" when arg.Value.Value is float al: alpha = al; break;
                case "ClassifierNoise" when arg.Value.Value is float cn: classifierNoise = cn; break;
                case "ConditionChannels" when arg.Value.Value is int cc: conditionChannels = cc; break;
                case "ConditionHeight" when arg.Value.Value is int chh: conditionHeight = chh; break;
                case "ConditionWidth" when arg.Value.Value is int cw: conditionWidth = cw; break;
            }
        }
        int declaredCondition = condition;
        var conditionImage = new ConditionImage(conditionChannels, conditionHeight, conditionWidth);
        if (kind != NetKind.SemiSupervisedVae)
            condition = conditionImage.ConditionSize(condition); // an image condition: k = C_y·H_y·W_y
        if (kind == NetKind.SemiSupervisedVae)
            condition = classes; // y = onehot(class) is the encoder's and the decoder's condition

        var layers = new List<NetLayerSpec>();
        var declarations = new HashSet<SyntaxNode>();
        foreach (var member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member is not (IPropertySymbol or IFieldSymbol) || member.IsImplicitlyDeclared)
                continue;
            OpSpec? op = null;
            int ops = 0;
            var roles = new List<string>();
            string? other = null;
            foreach (var a in member.GetAttributes())
            {
                string? name = a.AttributeClass?.ToDisplayString();
                if (name is null) continue;
                var catalogued = OpCatalog.ForAttribute(name);
                if (catalogued is not null)
                {
                    ops++;
                    op ??= catalogued.Parse(a);
                }
                else if (RoleAttributes.TryGetValue(name, out var role))
                    roles.Add(role);
                else if (FlowParser.LayerAttributes.ContainsKey(name))
                    other = a.AttributeClass!.Name.Replace("Attribute", "");
            }
            if (op is null && roles.Count == 0 && other is null)
                continue;

            var (memberType, isPartialProperty) = FlowParser.MemberShape(member);
            layers.Add(new NetLayerSpec(member.Name, memberType, FlowParser.MemberAccessibility(member, cancellationToken), isPartialProperty,
                op, ops, roles.ToEquatableArray(), other)
            {
                Stub = FlowParser.Stub(type, member, cancellationToken),
            });
            foreach (var reference in member.DeclaringSyntaxReferences)
            {
                var declaration = reference.GetSyntax(cancellationToken).FirstAncestorOrSelf<TypeDeclarationSyntax>();
                if (declaration is not null)
                    declarations.Add(declaration);
            }
        }

        bool isPartial = type.DeclaringSyntaxReferences.Any(r =>
            r.GetSyntax(cancellationToken) is TypeDeclarationSyntax t && t.Modifiers.Any(m => m.Text == "partial"));

        return new NetModelSpec(kind,
            type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(),
            type.Name, isPartial, type.IsStatic, type.IsAbstract, type.IsGenericType, type.ContainingType is not null,
            features, latent, condition, likelihood, sigma, beta, loss, output, declarations.Count, layers.ToEquatableArray(), penalty,
            channels, height, width, classes, alpha, classifierNoise)
        {
            ConditionImage = conditionImage,
            DeclaredCondition = declaredCondition,
            StubShell = Common.StubShell.Of(type, cancellationToken),
            StubHint = Common.StubShell.Hint(type),
        };
    }
}
