using System.Collections.Generic;
using System.Linq;
using GenDsl.Generators.Flows;
using GenDsl.Generators.Layers;

namespace GenDsl.Generators.Networks;

/// <summary>
/// Layout of a [Regressor]: one network of catalogue ops from y (read flat, as a GAN's generator reads [z, y]) to
/// x̂, its implied output layer (Features wide, activation Output) unless the last declared layer makes the image, and
/// the slices of the mean-squared-error loss.
/// </summary>
internal sealed class RegressorPlan
{
    public NetModelSpec Spec = null!;
    public int D, K;
    public NetworkPlan Net = new();
    public ModelLayout Layout = new();
    public List<(string Member, string Type, List<int> TensorIndices)> LayerViews = new();
    public int MaxHidden;
    public string DeclarationHash = "";

    public int ParameterCount => Layout.ParameterCount;

    public bool UsesTrainingFlag => Net.UsesTrainingFlag;

    public static RegressorPlan Create(NetModelSpec spec)
    {
        var plan = new RegressorPlan { Spec = spec, D = spec.DataShape.Size, K = spec.Condition };
        var layout = plan.Layout;
        layout.AddField("_regIn", plan.K, 1, "network input y (flat, channel-major for an image y)");
        var requests = new List<NodeRequest>();
        bool image = NetValidator.EndsWithImage(spec, "Predictor");
        var members = spec.Layers.Where(l => l.Roles.Count == 1 && l.Roles[0] == "Predictor" && l.Op is not null).ToList();
        for (int i = 0; i < members.Count; i++)
        {
            var layer = members[i];
            bool head = image && i == members.Count - 1;
            requests.Add(new NodeRequest(layer.Member, layer.Op!, layer.Member, layer.Member, "",
                head ? "_pred" : $"_{layer.Member}_out", head ? null : $"{layer.Member}: predictor layer {i + 1}"));
        }
        if (!image)
            requests.Add(new NodeRequest("", DenseOp.Make(plan.D, spec.Output), "predictor.head", "RegHead", "", "_pred", null));
        plan.Net = NetworkPlan.Create(layout, "predictor", "_regIn", Shape.Vector(plan.K), 1, requests, node =>
        {
            if (node.Member.Length > 0)
                plan.LayerViews.Add((node.Member, node.Op.MemberType, node.Tensors.Select(t => layout.TensorIndex(t.Name)).ToList()));
        });
        plan.MaxHidden = plan.Net.MaxHidden;
        layout.AddField("_pred", plan.D, 1, "the prediction x̂ = f(y)");
        layout.AddField("_gPred", plan.D, 1, "∂L/∂x̂ = 2(x̂ − x)/(rows·D)");
        if (plan.MaxHidden > 0)
        {
            layout.AddField("_gh0", plan.MaxHidden, 1, "∂L/∂(hidden layer) ping-pong");
            layout.AddField("_gh1", plan.MaxHidden, 1, "∂L/∂(hidden layer) ping-pong");
        }
        plan.DeclarationHash = FlowMath.Hash(Canonical(spec));
        return plan;
    }

    /// <summary>The declaration as text, hashed into checkpoints.</summary>
    private static string Canonical(NetModelSpec spec)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(spec.Kind).Append(';').Append(spec.DataShape.Size).Append(';').Append(spec.Condition).Append(';').Append(spec.Output);
        if (spec.HasImageShape)
            sb.Append(";image:").Append(spec.Channels).Append('x').Append(spec.Height).Append('x').Append(spec.Width);
        if (spec.ConditionImage.IsSet)
            sb.Append(";ycond:").Append(spec.ConditionImage.Channels).Append('x').Append(spec.ConditionImage.Height).Append('x').Append(spec.ConditionImage.Width);
        foreach (var l in spec.Layers)
        {
            sb.Append('|').Append(l.Member).Append(':').Append(string.Join(",", l.Roles)).Append(':');
            if (l.Op is not null)
                sb.Append(l.Op.Op).Append('(').Append(string.Join(",", l.Op.Args)).Append(')');
        }
        return sb.ToString();
    }
}
